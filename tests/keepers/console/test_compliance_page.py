"""CON-30..CON-33: the compliance page against the served demo, in a real browser: investors,
holder caps, frozen wallets and transfer refusals as the chain holds them, live updates, the
onboarding batch and its refusals."""

from __future__ import annotations

import json
import secrets
from collections import Counter

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from conftest import wait_for
from console_checks import load_seconds, open_page, screenshot
from keepers.compliance import INVESTOR_CLASSES
from keepers.compliance.onboarding import parse_kyc_csv
from keepers.console.actions import batch_calldata, checksum

OPERATOR = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # test account 3: the demo's OPERATOR
KEEPER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"  # test account 6: COMPLIANCE_KEEPER
CLASS_NAMES = {v: k for k, v in INVESTOR_CLASSES.items()}
NOT_COMPLIANT_SELECTOR = function_signature_to_4byte_selector(
    "TransferNotCompliant(address,address,uint256,uint8)"
)
LOAD_SECONDS: dict[str, float] = {}


def _fresh_wallet() -> str:
    return to_checksum_address("0x" + secrets.token_hex(20))


def _identities(chain_reads) -> list[str]:
    registry = chain_reads.contract("IdentityRegistry")
    logs = registry.events.IdentityRegistered().get_logs(from_block=chain_reads.record["block"])
    return list(dict.fromkeys(log.args.identity for log in logs))


def _cell(row, col: str) -> str:
    return row.locator(f"[data-col={col}]").inner_text()


def test_compliance__shows_the_investors_caps_freezes_and_refusals_the_chain_holds(
    browser_page, console_url, chain_reads
):
    """CON-30: investors by jurisdiction and class are the registry's profiles; each engine's
    holder counts and caps are its views; each frozen wallet is frozen on chain; each refusal
    shown is a failed transaction whose revert data (its trace) carries that reason code."""
    open_page(browser_page, console_url, "compliance")
    LOAD_SECONDS["compliance"] = load_seconds(browser_page)
    print(f"compliance page load: {LOAD_SECONDS['compliance']:.2f} s")
    registry = chain_reads.contract("IdentityRegistry")
    expected: Counter = Counter()
    for identity in _identities(chain_reads):
        country, klass, *_, wallets, _ = registry.functions.profileOf(identity).call()
        if wallets:
            expected[(country, CLASS_NAMES[klass])] += 1
    shown: Counter = Counter()
    rows = browser_page.locator("[data-testid=investors] tbody tr[data-country]")
    for k in range(rows.count()):
        row = rows.nth(k)
        for name in INVESTOR_CLASSES:
            count = int(row.locator(f"[data-class={name}]").inner_text())
            if count:
                shown[(int(row.get_attribute("data-country")), name)] = count
    assert shown == expected and sum(expected.values()) >= 10

    caps = browser_page.locator("[data-testid=caps] tbody tr")
    assert caps.count() >= 5
    for k in range(caps.count()):
        row = caps.nth(k)
        engine = chain_reads.contract(row.get_attribute("data-engine"))
        scope = row.get_attribute("data-scope")
        if scope == "total":
            holders, non_accredited, _ = engine.functions.holderCounts().call()
            limits = engine.functions.limits().call()
            caps_on_chain = (limits[7], limits[8])
        else:
            config, holders, non_accredited = engine.functions.jurisdiction(int(scope)).call()
            caps_on_chain = (config[2], config[3])
        assert int(_cell(row, "holders")) == holders
        assert int(_cell(row, "non-accredited")) == non_accredited
        assert _cell(row, "holder-cap") == (str(caps_on_chain[0]) if caps_on_chain[0] else "—")

    frozen = browser_page.locator("[data-testid=frozen] tbody tr[data-wallet]")
    assert frozen.count() >= 1  # the demo's sanctioned wallet, frozen by the screening keeper
    kinds = Counter()
    for k in range(frozen.count()):
        row = frozen.nth(k)
        wallet, kind = row.get_attribute("data-wallet"), row.get_attribute("data-kind")
        kinds[kind] += 1
        if kind == "identity":
            assert registry.functions.isFrozen(wallet).call()
            continue
        # Issue 33 §3: a token's own freezes are shown too, each as the token says it is.
        token = chain_reads.contract(row.get_attribute("data-token"))
        if kind == "token":
            assert token.functions.isFrozen(wallet).call()
        else:
            assert kind == "partial"
            assert token.functions.getFrozenTokens(wallet).call() > 0
    assert kinds["identity"] >= 1
    assert (
        "SAMPLE SANCTIONED WALLET ONE" in browser_page.locator("[data-testid=frozen]").inner_text()
    )

    token = chain_reads.contract("SecurityToken")
    recent = browser_page.locator("[data-testid=recent-refusals] tbody tr[data-tx]")
    assert recent.count() >= 3
    refused: Counter = Counter()
    for k in range(recent.count()):
        tx_hash = recent.nth(k).get_attribute("data-tx")
        assert chain_reads.w3.eth.get_transaction_receipt(tx_hash).status == 0
        tx = chain_reads.w3.eth.get_transaction(tx_hash)
        if tx["to"] != token.address or tx["input"][:4] != bytes.fromhex("a9059cbb"):
            continue
        # the revert data the node kept (the transaction's trace): TransferNotCompliant's code
        [frame] = [
            f
            for f in chain_reads.w3.provider.make_request("trace_transaction", [tx_hash])["result"]
            if not f["traceAddress"]
        ]
        output = bytes.fromhex(frame["result"]["output"][2:])
        assert output[:4] == NOT_COMPLIANT_SELECTOR
        code = output[-1]
        assert code != 0
        refused[code] += 1
        assert f"({code})" in recent.nth(k).text_content()  # in a closed <details>
    assert refused, "no refused token transfer among the latest refusals"
    for code in refused:
        group = browser_page.locator(f"[data-testid=refusals] tr[data-code='{code}']")
        assert token.functions.messageForTransferRestriction(code).call() in group.inner_text()

    # Issue 33 §3: the deploy's `setJurisdictions` (dozens of JurisdictionSet in one
    # transaction) is one collapsed line per transaction, not a row per country.
    rules = browser_page.locator("[data-testid=rules] tbody tr[data-group]")
    sizes = [int(rules.nth(k).get_attribute("data-group")) for k in range(rules.count())]
    assert sizes and max(sizes) >= 12, sizes
    events = {rules.nth(k).get_attribute("data-event") for k in range(rules.count())}
    assert "JurisdictionSet" in events
    screenshot(browser_page, "compliance")


def test_compliance__a_freeze_and_a_refused_transfer_appear_live(
    browser_page, console_url, chain_reads
):
    """CON-31: a freeze and a refused transfer sent on chain appear without a reload: the wallet
    among the frozen ones, the refusal counted under the code the token's ERC-1404 gives it."""
    open_page(browser_page, console_url, "compliance")
    w3 = chain_reads.w3
    registry = chain_reads.contract("IdentityRegistry")
    token = chain_reads.contract("SecurityToken")
    outsider = _fresh_wallet()
    # An unlocked account of the node that holds the token if one does: its transfer to an
    # unregistered wallet is refused whatever else holds.
    unlocked = w3.eth.accounts
    sender = next(
        (a for a in unlocked if token.functions.balanceOf(a).call() > 0),
        unlocked[0],
    )
    code = token.functions.detectTransferRestriction(sender, outsider, 1).call()
    assert code != 0
    group = browser_page.locator(f"[data-testid=refusals] tr[data-code='{code}']")
    before = int(_cell(group, "count")) if group.count() else 0

    tx = registry.functions.freeze(outsider).transact({"from": KEEPER})
    assert w3.eth.wait_for_transaction_receipt(tx).status == 1
    assert registry.functions.isFrozen(outsider).call()
    # sent with its gas given, so the node mines it although it reverts (no estimate first)
    refused = token.functions.transfer(outsider, 1).transact({"from": sender, "gas": 500_000})
    assert w3.eth.wait_for_transaction_receipt(refused).status == 0

    row = browser_page.locator(f"[data-testid=frozen] tr[data-wallet='{outsider}']")
    wait_for(lambda: row.count() == 1 or None, "the frozen wallet to appear")
    assert "manual freeze" in row.inner_text()  # no screening decision behind it
    wait_for(
        lambda: (group.count() and int(_cell(group, "count")) == before + 1) or None,
        f"the refusal under code {code}",
    )
    assert (
        browser_page.locator(
            f"[data-testid=recent-refusals] tr[data-tx='{refused.to_0x_hex()}']"
        ).count()
        == 1
    )


def test_compliance__bad_input_is_refused_naming_the_row(browser_page, console_url):
    """CON-32: an onboarding CSV with a bad row is refused whole with a one-line message naming
    its line; unfreezing a wallet that is not frozen is refused; nothing is prepared."""
    open_page(browser_page, console_url, "compliance")
    form = browser_page.locator("[data-testid=action-compliance-onboard]")
    form.locator("input[name=safe]").fill(OPERATOR)
    good = f"{_fresh_wallet()},840,institutional,2031-01-31,kyc:good"
    form.locator("textarea[name=csv]").fill(
        "wallet,country,investor_class,expiry,provider_reference\n"
        f"{good}\nnot-a-wallet,840,retail,2031-01-31,kyc:bad\n"
        f"{_fresh_wallet()},840,sovereign,2031-01-31,kyc:bad-class\n"
    )
    form.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-compliance-onboard]")
    wait_for(lambda: error.inner_text() or None, "the refusal message")
    assert error.inner_text() == (
        "Onboarding CSV: line 3: wallet is not an address: 'not-a-wallet' "
        "(and 1 more bad line(s): 4)"
    )
    assert browser_page.locator("[data-testid=result-compliance-onboard]").inner_text() == ""

    freeze = browser_page.locator("[data-testid=action-compliance-freeze]")
    freeze.locator("input[name=safe]").fill(OPERATOR)
    wallet = _fresh_wallet()
    freeze.locator("input[name=wallet]").fill(wallet)
    freeze.locator("select[name=action]").select_option("unfreeze")
    freeze.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-compliance-freeze]")
    wait_for(lambda: error.inner_text() or None, "the unfreeze refusal")
    assert error.inner_text() == f"Wallet: {wallet} is not frozen"


def test_compliance__onboarding_batch_registers_every_row(browser_page, console_url, chain_reads):
    """CON-33: a valid CSV becomes one `registerInvestor` per new wallet, prepared for the
    OPERATOR's Safe (direct), in the Transaction Builder format; each call succeeds when the
    Safe simulates it (eth_call: nothing is sent)."""
    open_page(browser_page, console_url, "compliance")
    wallets = [_fresh_wallet(), _fresh_wallet()]
    form = browser_page.locator("[data-testid=action-compliance-onboard]")
    form.locator("input[name=safe]").fill(OPERATOR)
    form.locator("textarea[name=csv]").fill(
        "wallet,country,investor_class,expiry,provider_reference\n"
        f"{wallets[0]},840,institutional,2031-01-31,kyc:console:{wallets[0]}\n"
        f"{wallets[1]},756,qualified,2031-01-31,kyc:console:{wallets[1]}\n"
    )
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-compliance-onboard] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared batch")
    batch = json.loads(pre.inner_text())
    assert batch["meta"]["checksum"] == checksum(batch)
    registry = chain_reads.contract("IdentityRegistry")
    calls = batch_calldata(batch)
    assert len(calls) == 2
    for (to, data), wallet, country in zip(calls, wallets, (840, 756), strict=True):
        assert to == registry.address
        fn, args = registry.decode_function_input(data)
        assert fn.fn_name == "registerInvestor"
        assert args["wallet"] == wallet and args["country"] == country
        chain_reads.w3.eth.call({"from": OPERATOR, "to": to, "data": data})
    assert (
        "direct"
        in browser_page.locator("[data-testid=result-compliance-onboard] li").first.inner_text()
    )


def test_rule_groups__one_transaction_s_changes_of_one_event_are_one_group():
    """Issue 33 §3: a transaction's changes by one event of one contract are one group (its rows
    kept, oldest first), another event, contract or transaction starts a new one; newest first."""
    from keepers.console.pages.compliance import rule_groups

    def row(tx, contract, event, key):
        return {"block": 1, "time": 2, "tx": tx, "contract": contract, "event": event, "key": key}

    rules = [row("0xa", "E", "JurisdictionSet", f"country={c}") for c in (4, 8, 12)]
    rules += [row("0xa", "E", "RouteSet", "x"), row("0xa", "F", "RouteSet", "x")]
    rules += [row("0xb", "F", "RouteSet", "x")]
    groups = rule_groups(rules)
    assert [(g["tx"], g["contract"], g["event"], len(g["rows"])) for g in groups] == [
        ("0xb", "F", "RouteSet", 1),
        ("0xa", "F", "RouteSet", 1),
        ("0xa", "E", "RouteSet", 1),
        ("0xa", "E", "JurisdictionSet", 3),
    ]
    assert [r["key"] for r in groups[-1]["rows"]] == ["country=4", "country=8", "country=12"]


def test_parse_kyc_csv__every_bad_line_named():
    """CON-32 (pure part): each bad line is reported with its line number; the header may be in
    any order and `identity` is optional."""
    now = 1_800_000_000
    text = (
        "provider_reference,wallet,country,investor_class,expiry\n"
        "kyc:1,0x00000000000000000000000000000000000000a1,840,retail,2031-01-01\n"
        "\n"
        "kyc:2,0x00000000000000000000000000000000000000a2,0,retail,2031-01-01\n"
        "kyc:3,0x00000000000000000000000000000000000000a3,840,retail\n"
    )
    records, errors = parse_kyc_csv(text, now)
    assert [r.line for r in records] == [2]
    assert [(e.line, e.error) for e in errors] == [
        (4, "country 0 is not an ISO 3166-1 numeric code (1-999)"),
        (5, "4 cells, the header has 5"),
    ]
    _, header_errors = parse_kyc_csv("wallet,country\n", now)
    assert header_errors[0].line == 1 and "investor_class" in header_errors[0].error


def _shown_freezes(browser_page, console_url, w3, sent, outsider, holder, token: str):
    """Once both freezes are mined, the compliance page's rows of the outsider's wallet freeze
    and of the holder's frozen part on `token` (the form's key: record name or address)."""
    assert all(w3.eth.wait_for_transaction_receipt(tx).status == 1 for tx in sent)
    open_page(browser_page, console_url, "compliance")
    frozen = f"[data-testid=frozen] tr[data-token='{token}']"
    whole = browser_page.locator(f"{frozen}[data-wallet='{outsider}'][data-kind=token]")
    partial = browser_page.locator(f"{frozen}[data-wallet='{holder}'][data-kind=partial]")
    wait_for(lambda: (whole.count() == 1 and partial.count() == 1) or None, "both freezes")
    return whole, partial


def _token_unfreeze_batch(browser_page, wallet: str, token: str, what: str):
    """ "Lift a token's freeze" of `wallet` on `token` for AGENT's Safe: the form and its batch."""
    form = browser_page.locator("[data-testid=action-compliance-token-unfreeze]")
    form.locator("input[name=safe]").fill(AGENT)
    form.locator("input[name=wallet]").fill(wallet)
    form.locator("input[name=token]").fill(token)
    form.locator("select[name=what]").select_option(what)
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-compliance-token-unfreeze] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared unfreeze")
    return form, json.loads(pre.inner_text())


def _registry_unfreeze_refusal(browser_page, wallet: str) -> str:
    """The registry's "unfreeze" of `wallet` asked for OPERATOR's Safe: the refusal shown."""
    form = browser_page.locator("[data-testid=action-compliance-freeze]")
    form.locator("input[name=safe]").fill(OPERATOR)
    form.locator("input[name=wallet]").fill(wallet)
    form.locator("select[name=action]").select_option("unfreeze")
    form.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-compliance-freeze]")
    wait_for(lambda: error.inner_text() or None, "the registry unfreeze's refusal")
    return error.inner_text()


AGENT = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # test account 5: the token agent (all caps)


def test_compliance__token_freezes__shown_and_lifted_by_unfreeze(
    browser_page, console_url, chain_reads
):
    """CON-84 (issue 33 §3): a token's own freezes show beside the registry's, each as the token
    says: a wallet frozen on the token, and tokens frozen in part in whole units. "Unfreeze"
    answered "is not frozen" for a wallet frozen on a token; it lifts only the registry's freeze
    and now names the token's, which its own action lifts, prepared for an agent the token
    allows (helper-76 F7: a sanctions unfreeze must not lift a legal hold). Lifted at the end."""
    w3 = chain_reads.w3
    token = chain_reads.contract("SecurityToken")
    outsider = _fresh_wallet()
    holders = [a for a in w3.eth.accounts if token.functions.balanceOf(a).call() > 10**18]
    holder = holders[0] if holders else None
    assert holder is not None, "no unlocked account holds the token"
    part = 10**18 // 4  # 0.25 tokens
    sent = [
        token.functions.setAddressFrozen(outsider, True).transact({"from": KEEPER}),
        token.functions.freezePartialTokens(holder, part).transact({"from": KEEPER}),
    ]
    try:
        whole, partial = _shown_freezes(
            browser_page, console_url, w3, sent, outsider, holder, "SecurityToken"
        )
        assert whole.get_attribute("data-token") == "SecurityToken"
        # Who and when are each freeze's own: the wallet freeze by KEEPER in its transaction,
        # the partial freeze in its own (TokensFrozen names no agent).
        assert KEEPER[:10] in whole.inner_text() and sent[0].to_0x_hex()[:10] in whole.inner_text()
        assert sent[1].to_0x_hex()[:10] in partial.inner_text()
        assert sent[0].to_0x_hex()[:10] not in partial.inner_text()
        symbol = token.functions.symbol().call()
        frozen_now = token.functions.getFrozenTokens(holder).call()
        from keepers.core.units import format_units

        assert f"{format_units(frozen_now, 18)} {symbol}" in _cell(partial, "scope")

        # The registry's unfreeze (a sanctions decision) does not lift a token agent's freeze:
        # it is refused, naming the token freeze and where it is lifted.
        refusal = _registry_unfreeze_refusal(browser_page, outsider)
        assert "is not frozen on the registry; its token freezes (SecurityToken: wallet)" in refusal
        # The token's own freeze is lifted by its agent (the token checks UNFREEZE).
        form, batch = _token_unfreeze_batch(browser_page, holder, "SecurityToken", "frozen part")
        [(to, data)] = batch_calldata(batch)
        fn, _ = token.decode_function_input(data)
        assert to == token.address and fn.fn_name == "unfreezePartialTokens"
        # The token's stub names no input: read by position.
        wallet_arg, amount_arg = decode(["address", "uint256"], bytes.fromhex(data[10:]))
        assert (to_checksum_address(wallet_arg), amount_arg) == (holder, frozen_now)
        # A Safe that is no agent with UNFREEZE is refused by name (the token's check).
        form.locator("input[name=safe]").fill(OPERATOR)
        form.locator("button[type=submit]").click()
        error = browser_page.locator("[data-testid=error-compliance-token-unfreeze]")
        wait_for(lambda: error.inner_text() or None, "the refusal of a non-agent")
        assert "needs a token agent holding UNFREEZE on that token" in error.inner_text()
        w3.eth.call({"from": AGENT, "to": to, "data": data})  # the agent may make it
    finally:
        for tx in (
            token.functions.setAddressFrozen(outsider, False).transact({"from": AGENT}),
            token.functions.unfreezePartialTokens(holder, part).transact({"from": AGENT}),
        ):
            w3.eth.wait_for_transaction_receipt(tx)
    assert not token.functions.isFrozen(outsider).call()


def test_compliance__kyc_expiries__countries_by_name__identities_named():
    """Issue 33 §2/§3: the KYC expiries due show the country by its ISO name and the identity
    with the name the deployment gives it, as the investors table and the freezes do (the live
    block rendered as the console renders it)."""
    from eth_utils import to_checksum_address

    from keepers.console.app import templates

    identity = to_checksum_address("0x" + "c1" * 20)
    due = {"identity": identity, "country": 826, "class": "Institutional", "days_left": 3}
    data = {
        "kyc_due": [{**due, "kyc_expiry": 1_830_211_200, "expired": False}],
        "kyc_due_days": 30,
        **{"chain_time": 1_830_000_000, "expiry_example": "2028-12-28"},
        **{"by_jurisdiction": [], "classes": [], "investors": 1, "caps": [], "frozen": []},
        "refusals": {"total": 0, "watched": [], "scanned_to": 0},
    }
    template = templates().get_template("compliance.html")
    context = template.new_context({"data": data, "names": {identity: "Harbor pension plan"}})
    html = "".join(template.blocks["live"](context))
    row = html[html.index('data-testid="kyc-due"') :]
    row = row[: row.index("</tr>", row.index("<tbody>"))]
    assert f"{identity} (Harbor pension plan)" in row
    assert "826 United Kingdom" in row and "2027-12-31" in row
    # The chain's time, and an expiry an onboarding batch would accept (issue 33 §3: the demo's
    # chain runs years ahead of the wall clock).
    data |= {"chain_time": 1_861_920_000, "expiry_example": "2030-01-01"}
    html = "".join(template.blocks["live"](template.new_context({"data": data, "names": {}})))
    assert "Chain time 2029-01-01" in html and ">2030-01-01</code>" in html


INSURER = "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097"  # test account 14: a QMMF holder (demo)
FUND_ISIN = "US00QMMF0086"  # keepers/demo/lifecycle.py


def _fund_share_token(browser_page, console_url, chain_reads):
    """The demo fund's share token: the funds page names the fund's registry (built beside the
    deployment record, as the fund is) and instrument; that registry's terms name the token,
    which the record does not hold."""
    from keepers.lifecycle.instruments import InstrumentTerms

    open_page(browser_page, console_url, "funds")
    rows = browser_page.locator("[data-testid=instruments] tbody tr[data-id]")
    for k in range(rows.count()):
        row = rows.nth(k)
        registry = chain_reads.contract(
            None, row.get_attribute("data-registry"), "InstrumentRegistry"
        )
        terms = registry.functions.termsOf(int(row.get_attribute("data-id"))).call()
        terms = InstrumentTerms.from_chain(terms)
        if terms.isin == FUND_ISIN:
            address = to_checksum_address(terms.share_token)
            recorded = {to_checksum_address(a) for a in chain_reads.record["contracts"].values()}
            assert address not in recorded
            return chain_reads.contract(None, address, "SecurityToken")
    raise AssertionError(f"the funds page shows no instrument {FUND_ISIN}")


def test_compliance__a_fund_share_token_s_freezes__shown_and_lifted(
    browser_page, console_url, chain_reads
):
    """CON-92 (issue 33 §3, every freeze there is): a fund's share token is built beside the
    deployment record; its own freezes (a wallet frozen on it, part of a holder's shares frozen)
    show on the compliance page beside the record tokens', named by symbol and ISIN, and "Lift a
    token's freeze" takes the share token as the table names it (its address) and prepares the
    call to that token, for an agent the token allows. Lifted at the end."""
    from keepers.compliance import AgentCapability

    w3 = chain_reads.w3
    share = _fund_share_token(browser_page, console_url, chain_reads)
    caps = int(AgentCapability.FREEZE | AgentCapability.UNFREEZE)
    before = share.functions.agentCapabilities(AGENT).call()

    def may_grant(account: str) -> bool:
        try:
            share.functions.setAgentCapabilities(AGENT, before | caps).call({"from": account})
        except Exception:  # noqa: BLE001 - not this account's right
            return False
        return True

    granter = next((a for a in w3.eth.accounts if may_grant(a)), None)
    assert granter is not None, "no unlocked account may set the share token's agents"
    w3.eth.wait_for_transaction_receipt(
        share.functions.setAgentCapabilities(AGENT, before | caps).transact({"from": granter})
    )
    outsider = _fresh_wallet()
    held = share.functions.balanceOf(INSURER).call()
    assert held > 0, "the demo's insurer holds no fund shares"
    part = held // 4
    sent = [
        share.functions.setAddressFrozen(outsider, True).transact({"from": AGENT}),
        share.functions.freezePartialTokens(INSURER, part).transact({"from": AGENT}),
    ]
    try:
        whole, partial = _shown_freezes(
            browser_page, console_url, w3, sent, outsider, INSURER, share.address
        )
        assert whole.get_attribute("data-token") == share.address
        symbol = share.functions.symbol().call()
        decimals = share.functions.decimals().call()
        from keepers.core.units import format_units

        assert f"{symbol} ({FUND_ISIN}) {share.address}" in _cell(whole, "scope")
        frozen_now = share.functions.getFrozenTokens(INSURER).call()
        assert f"{format_units(frozen_now, decimals)} {symbol}" in _cell(partial, "scope")
        assert sent[1].to_0x_hex()[:10] in partial.inner_text()

        # The registry's unfreeze names the share token's freeze, as the token's label.
        refusal = _registry_unfreeze_refusal(browser_page, outsider)
        assert f"its token freezes ({symbol} ({FUND_ISIN}) {share.address}: wallet)" in refusal

        # Lifted by the share token's agent: the call goes to the share token's address.
        token_key = share.address.lower()
        form, batch = _token_unfreeze_batch(browser_page, outsider, token_key, "wallet freeze")
        [(to, data)] = batch_calldata(batch)
        assert to == share.address
        # The batch says which share token it calls, not only its ABI's name (helper-90 F5).
        assert (
            f"IncomeShareToken at {share.address}.setAddressFrozen"
            in (batch["meta"]["description"])
        )
        assert (
            data[:10]
            == "0x" + function_signature_to_4byte_selector("setAddressFrozen(address,bool)").hex()
        )
        wallet_arg, frozen_arg = decode(["address", "bool"], bytes.fromhex(data[10:]))
        assert (to_checksum_address(wallet_arg), frozen_arg) == (outsider, False)
        w3.eth.call({"from": AGENT, "to": to, "data": data})  # the agent may make it

        # A token the operator sees nowhere is refused by name.
        form.locator("input[name=token]").fill(_fresh_wallet())
        form.locator("button[type=submit]").click()
        error = browser_page.locator("[data-testid=error-compliance-token-unfreeze]")
        wait_for(lambda: error.inner_text() or None, "the unknown token's refusal")
        assert "is not a token with freezes" in error.inner_text()
    finally:
        for tx in (
            share.functions.setAddressFrozen(outsider, False).transact({"from": AGENT}),
            share.functions.unfreezePartialTokens(INSURER, part).transact({"from": AGENT}),
            share.functions.setAgentCapabilities(AGENT, before).transact({"from": granter}),
        ):
            w3.eth.wait_for_transaction_receipt(tx)
    assert not share.functions.isFrozen(outsider).call()
