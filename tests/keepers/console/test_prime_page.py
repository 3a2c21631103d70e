"""CON-70..CON-74: the prime-brokerage page against the served demo, in a real browser: the margin
accounts, margin calls, liquidations, bad debt and lending pools are what the PrimeBroker, its
margin module (`health` at the broker's address) and the pools hold (read directly, at the block
the page says it shows); a margin call appears live; the halt action refuses bad input and
prepares the broker's own call.

The book is set up here, on accounts the demo does not use (fresh identities and wallets,
impersonated; small amounts): two institutions each post 1,000 USDC and borrow under the standard
tier (A 550, B 660 USDC), then governance moves both to a strict tier of their own (initial 250 %,
maintenance 200 %, liquidation 160 %) — A falls below maintenance (a margin call may be issued),
B below the liquidation ratio, and the LIQUIDATOR liquidates a part of B. No price moves: the other
pages' figures stay as they are. The GOVERNOR's delay is passed once (one time jump of that
delay, as the demo's own acts do)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conftest import wait_for
from console_checks import as_of_block, fresh_address, frozen, load_seconds, open_page, screenshot
from keepers.console.actions import batch_calldata

# The deploy script's local test accounts.
GUARDIAN, GOVERNOR, OPERATOR, LIQUIDATOR, PRICE_REPORTER = 1, 2, 3, 4, 8
US, INSTITUTIONAL, NEVER = 840, 4, 2**40 - 1
DEPOSIT, BORROW = 0, 2
ZERO = "0x" + "00" * 20
USDC = 10**6
MAX_TIERS = 4
# A strict tier of the test's own: (initial, maintenance, liquidation, close factor, bonus, grace).
STRICT = (25_000, 20_000, 16_000, 5_000, 500, 3_600)
NO_DEBT = 2**256 - 1
VALID_PRICE = (0, 1, 2)  # IOracleRouter.PriceStatus Ok, PrimaryOnly, Fallback
BPS = 10_000


def _rpc(w3, method: str, params: list) -> None:
    response = w3.provider.make_request(method, params)
    assert "error" not in response, f"{method}: {response['error']}"


def _sent(w3, tx_hash) -> object:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1, f"transaction {tx_hash.hex()} reverted"
    return receipt


def _strict_tier(views) -> int | None:
    """A tier already holding STRICT, else the first unset one (None: every tier is in use)."""
    terms = [tuple(views.functions.tierOf(k).call()) for k in range(MAX_TIERS)]
    for k, t in enumerate(terms):
        if t == STRICT:
            return k
    return next((k for k, t in enumerate(terms) if t[0] == 0), None)


@pytest.fixture(scope="module")
def book(chain_reads):
    """Institutions A (to be margin-called) and B (liquidated), set up as the module docstring
    says; returns their identities and wallets."""
    w3 = chain_reads.w3
    role = w3.eth.accounts
    broker = chain_reads.contract("PrimeBroker")
    manager = chain_reads.contract("QuanteraAccessManager")
    registry = chain_reads.contract("IdentityRegistry")
    usdc = chain_reads.contract("LocalStablecoin.USDC")
    pool = chain_reads.contract("LendingPool.USDC")
    tier = _strict_tier(_margin(chain_reads))
    if tier is None:
        pytest.skip("every margin tier of the broker is in use: no tier for the test's own")

    def send(fn, sender: str):
        return _sent(w3, fn.transact({"from": sender}))

    a, b = (
        SimpleNamespace(
            identity=fresh_address(w3, f"prime-console-identity-{name}"),
            wallet=fresh_address(w3, f"prime-console-wallet-{name}"),
        )
        for name in "AB"
    )
    for inst, borrow in ((a, 550), (b, 660)):
        _rpc(w3, "anvil_impersonateAccount", [inst.wallet])
        _rpc(w3, "anvil_setBalance", [inst.wallet, hex(10**20)])
        send(
            registry.functions.registerInvestor(
                inst.wallet, inst.identity, US, INSTITUTIONAL, NEVER
            ),
            role[OPERATOR],
        )
        send(usdc.functions.mint(inst.wallet, 2_000 * USDC), role[OPERATOR])
        send(usdc.functions.approve(pool.address, 1_000 * USDC), inst.wallet)
        # The pool's cash for the loans: each institution lends what it borrows and more.
        send(pool.functions.deposit(1_000 * USDC, inst.wallet), inst.wallet)
        send(usdc.functions.approve(broker.address, 1_000 * USDC), inst.wallet)
        send(broker.functions.openAccount(), inst.wallet)
        inst.borrow = borrow * USDC

    # GOVERNOR: the strict tier and both credit lines (standard tier 0 first, the strict tier
    # after the borrows), all scheduled now and executed once its delay has passed.
    limit = 10_000 * 10**18
    # No demo act halts the book (the RiskEngine's `halt(broker)`): the accounts below must borrow.
    assert not broker.functions.bookHalted().call(), "the demo left the whole book halted"
    ops = []
    if tuple(_margin(chain_reads).functions.tierOf(tier).call()) != STRICT:
        ops.append(broker.encode_abi("setTier", [tier, STRICT]))
    for inst in (a, b):
        ops.append(broker.encode_abi("setCreditLine", [inst.identity, (limit, 0, 0)]))
    later = [broker.encode_abi("setCreditLine", [i.identity, (limit, 0, tier)]) for i in (a, b)]
    data = ops + later
    delay = 0
    for d in data:
        immediate, delay_d = manager.functions.canCall(
            role[GOVERNOR], broker.address, bytes.fromhex(d[2:10])
        ).call()
        assert immediate or delay_d > 0, "GOVERNOR may not configure the broker"
        delay = max(delay, delay_d)
        send(manager.functions.schedule(broker.address, d, 0), role[GOVERNOR])
    _rpc(w3, "evm_increaseTime", [delay + 1])
    _rpc(w3, "evm_mine", [])
    # The demo leaves chain time past the USDC feed's heartbeat: its answer is reported again
    # (the same price), so the broker can value the book.
    router = chain_reads.contract("OracleRouter")
    if router.functions.priceOf(usdc.address).call()[0] not in VALID_PRICE:
        feed = chain_reads.contract(
            "ReporterPriceFeed", router.functions.feedOf(usdc.address).call()[0]
        )
        answer = feed.functions.latestRoundData().call()[1]
        send(feed.functions.report(answer), role[PRICE_REPORTER])
    for d in data[: len(ops)]:
        send(manager.functions.execute(broker.address, d), role[GOVERNOR])
    for inst in (a, b):
        send(
            broker.functions.execute(
                inst.identity,
                [
                    (DEPOSIT, usdc.address, 1_000 * USDC, ZERO, b""),
                    (BORROW, usdc.address, inst.borrow, inst.wallet, b""),
                ],
            ),
            inst.wallet,
        )
    for d in data[len(ops) :]:
        send(manager.functions.execute(broker.address, d), role[GOVERNOR])
    # B is below the strict tier's liquidation ratio: the LIQUIDATOR repays 50 USDC of its debt
    # and takes USDC collateral (B stays below it: 947.5 / 610 at the 5 % bonus).
    send(usdc.functions.mint(role[LIQUIDATOR], 50 * USDC), role[OPERATOR])
    send(usdc.functions.approve(broker.address, 50 * USDC), role[LIQUIDATOR])
    count = broker.functions.liquidationCount(b.identity).call()
    liquidated = send(
        broker.functions.liquidate(b.identity, usdc.address, 50 * USDC, usdc.address, b"", count),
        role[LIQUIDATOR],
    )
    return SimpleNamespace(
        a=a, b=b, tier=tier, broker=broker, liquidated_block=liquidated.blockNumber
    )


def _margin(chain_reads):
    return chain_reads.contract("PrimeViews", chain_reads.record["contracts"]["PrimeBroker"])


def _datasets(page, selector: str) -> list[dict[str, str]]:
    """Each matching element's data attributes (camelCased, as `dataset`), read in one go."""
    return page.locator(selector).evaluate_all("rows => rows.map(r => ({...r.dataset}))")


def _read_all(w3, functions: list, block: int) -> list:
    """The results of web3 contract calls at `block`, in one JSON-RPC batch."""
    with w3.batch_requests() as batch:
        for fn in functions:
            batch.add(fn.call(block_identifier=block))
        return batch.execute()


def _logs(event, start: int, block: int) -> list:
    return event.get_logs(from_block=start, to_block=block)


def _expected_level(ratio: int, tier: tuple, liquidatable: bool) -> str:
    """The page's colour rule (docs/specs.md CON-70)."""
    if ratio == NO_DEBT:
        return "ok"
    if liquidatable or ratio < tier[2]:
        return "bad"
    return "warn" if ratio < tier[1] else "ok"


def test_prime__accounts_pools_and_liquidations_match_the_chain(
    book, browser_page, console_url, chain_reads, record_property
):
    """CON-70, CON-71, CON-74: every account opened (AccountOpened, at most 100) with the health,
    credit line, tier and halt the broker holds, coloured by its tier's ratios; each open margin
    call with its deadline; the newest liquidations and bad-debt records as logged; each pool's
    `state()`; the ratio chart drawn with each indebted account's ratio."""
    open_page(browser_page, console_url, "prime")
    load = load_seconds(browser_page)
    record_property("prime_page_load_seconds", load)
    print(f"prime page load: {load:.3f} s")
    as_of = browser_page.locator("#live [data-testid=as-of]")
    wait_for(
        lambda: int(as_of.get_attribute("data-block")) >= book.liquidated_block or None,
        "the page to show the block of the book's last transaction",
    )
    page = frozen(browser_page)
    block = as_of_block(page, chain_reads.w3)
    at = {"block_identifier": block}
    broker, margin = book.broker, _margin(chain_reads)
    start = chain_reads.record["block"]

    opened = _logs(broker.events.AccountOpened, start, block)
    accounts = list(dict.fromkeys(log.args.account for log in opened))[-100:]
    assert {book.a.identity, book.b.identity} <= set(accounts)
    rows = _datasets(page, "[data-testid=accounts] tbody tr[data-account]")
    assert sorted(r["account"] for r in rows) == sorted(accounts)
    views = _read_all(
        chain_reads.w3,
        [
            fn
            for account in accounts
            for fn in (
                margin.functions.health(account),
                margin.functions.creditLineOf(account),
                broker.functions.isHalted(account),
            )
        ],
        block,
    )
    tiers = {}
    open_calls = []
    by_account = {r["account"]: r for r in rows}
    for k, account in enumerate(accounts):
        row = by_account[account]
        h, line, halted = views[3 * k : 3 * k + 3]
        if line[2] not in tiers:
            tiers[line[2]] = margin.functions.tierOf(line[2]).call(**at)
        shown = {
            "collateralUsd18": h[0],
            "adjustedCollateralUsd18": h[1],
            "debtUsd18": h[2],
            "adjustedDebtUsd18": h[3],
            "ratioBps": h[4],
            "marginCallAt": h[5],
            "limitUsd18": line[0],
            "tier": line[2],
        }
        for attr, value in shown.items():
            assert int(row[attr]) == value, f"{account} {attr}"
        assert row["halted"] == ("true" if halted else "false")
        assert row["level"] == _expected_level(h[4], tiers[line[2]], h[7])
        if h[5]:
            open_calls.append((account, h[6]))
    assert by_account[book.a.identity]["level"] == "warn"  # 1,000 / 550: in [160 %, 200 %)
    assert int(by_account[book.a.identity]["tier"]) == book.tier
    assert by_account[book.b.identity]["level"] == "bad"  # below 160 % after the liquidation too

    calls = page.locator("[data-testid=margin-calls] tbody tr[data-account]")
    shown_calls = [
        (c.get_attribute("data-account"), int(c.get_attribute("data-deadline")))
        for c in (calls.nth(k) for k in range(calls.count()))
    ]
    assert sorted(shown_calls) == sorted(open_calls)

    liquidated = _logs(broker.events.Liquidated, start, block)[-20:]
    shown = page.locator("[data-testid=liquidations] tbody tr[data-tx]")
    assert shown.count() == len(liquidated) > 0, (
        f"page block {block}, the fixture's liquidation in block {book.liquidated_block}"
    )
    for log in liquidated:
        tx = "0x" + log.transactionHash.hex().removeprefix("0x")
        row = page.locator(
            f"[data-testid=liquidations] tr[data-tx='{tx}'][data-log-index='{log.logIndex}']"
        )
        assert row.get_attribute("data-account") == log.args.account
        assert int(row.get_attribute("data-repaid")) == log.args.repaid
        assert int(row.get_attribute("data-seized")) == log.args.seized
    assert (
        page.locator(f"[data-testid=liquidations] tr[data-account='{book.b.identity}']").count()
        == 1
    )
    bad_debts = _logs(broker.events.BadDebt, start, block)[-20:]
    shown = page.locator("[data-testid=bad-debts] tbody tr[data-tx]")
    assert [int(shown.nth(k).get_attribute("data-amount")) for k in range(shown.count())] == [
        log.args.amount for log in reversed(bad_debts)
    ]

    pools = [
        a
        for n, a in chain_reads.record["contracts"].items()
        if n.startswith("LendingPool.") and not n.endswith(".implementation")
    ]
    assert len(pools) >= 1
    # A pool's code (behind its proxy) is no pool of its own: the page lists the proxies alone.
    assert page.locator("[data-testid=pools] tr[data-pool]").count() == len(pools)
    for address in pools:
        state = chain_reads.contract("LendingPool", address).functions.state().call(**at)
        row = page.locator(f"[data-testid=pools] tr[data-pool='{address}']")
        for attr, value in (
            ("data-cash", state[0]),
            ("data-total-debt", state[1]),
            ("data-reserves", state[2]),
            ("data-bad-debt-realised", state[3]),
            ("data-bad-debt-absorbed", state[4]),
            ("data-assigned-debt", state[5]),
            ("data-utilisation-bps", state[8]),
            ("data-borrow-rate-bps", state[9]),
        ):
            assert int(row.get_attribute(attr)) == value, f"{address} {attr}"

    chart = json.loads(page.locator("[data-testid=ratio-chart]").get_attribute("data-chart"))
    indebted = [int(r["ratioBps"]) / 100 for r in rows if int(r["ratioBps"]) != NO_DEBT]
    assert chart["data"][0]["y"] == indebted
    drawn = browser_page.locator("[data-testid=ratio-chart] .main-svg")
    wait_for(lambda: drawn.count() > 0 or None, "the ratio chart to be drawn")


def test_prime__a_margin_call_appears_live_with_its_deadline(
    book, browser_page, console_url, chain_reads
):
    """CON-72: a margin call sent to the broker appears on the open page without a reload, with
    the deadline of its MarginCalled event, the time left to it and the top-up back to initial
    margin (`topUp` in the cash asset)."""
    open_page(browser_page, console_url, "prime")
    w3, broker = chain_reads.w3, book.broker
    call = broker.functions.marginCall(book.a.identity)
    receipt = _sent(w3, call.transact({"from": book.a.wallet}))
    (called,) = broker.events.MarginCalled().process_receipt(receipt)
    row = browser_page.locator(f"[data-testid=margin-calls] tr[data-account='{book.a.identity}']")
    wait_for(lambda: row.count() == 1 or None, "the margin call to appear on the page")
    assert int(row.get_attribute("data-deadline")) == called.args.deadline
    now = w3.eth.get_block(receipt.blockNumber)["timestamp"]
    assert called.args.deadline == now + STRICT[5]
    page = frozen(browser_page)
    block = as_of_block(page, chain_reads.w3)
    # The time left is counted from the page's own block. (A loaded anvil can answer a read at
    # the head block from the state of a block mined while answering: the page then shows the
    # call as of the block before it, one second more left — seen once, 3,601 s.)
    called_row = page.locator(f"[data-testid=margin-calls] tr[data-account='{book.a.identity}']")
    left = int(called_row.get_attribute("data-seconds-left"))
    assert 0 < left == called.args.deadline - w3.eth.get_block(block)["timestamp"]
    assert left <= STRICT[5] + now - w3.eth.get_block(block)["timestamp"]
    account = page.locator(f"[data-testid=accounts] tr[data-account='{book.a.identity}']")
    assert int(account.get_attribute("data-margin-call-at")) == now
    # The top-up back to initial margin, in USDC (the pools' cash asset: no haircut).
    usdc = chain_reads.record["contracts"]["LocalStablecoin.USDC"]
    units, _ = (
        _margin(chain_reads).functions.topUp(book.a.identity, usdc).call(block_identifier=block)
    )
    top_up = called_row.locator("[data-top-up-units]").get_attribute("data-top-up-units")
    assert int(top_up) == units > 0
    screenshot(browser_page, "prime")


def test_prime__halt_action_refuses_bad_input_and_prepares_the_halt(
    book, browser_page, console_url, chain_reads
):
    """CON-73: an address without a margin account, and resuming an account (or the whole book)
    that is not halted, are refused next to the form naming the field, nothing prepared; halting
    an open account, or the whole book (the zero address), is the GUARDIAN's direct `halt` at the
    RiskEngine, of the account's identity or of the broker."""
    engine = chain_reads.contract("RiskEngine")
    open_page(browser_page, console_url, "prime")
    guardian = chain_reads.w3.eth.accounts[GUARDIAN]
    form = browser_page.locator("[data-testid=action-prime-account-halt]")
    error = browser_page.locator("[data-testid=error-prime-account-halt]")
    result = browser_page.locator("[data-testid=result-prime-account-halt]")
    form.locator("input[name=safe]").fill(guardian)

    form.locator("input[name=account]").fill(book.a.wallet)  # a wallet, not the identity
    form.locator("button[type=submit]").click()
    wait_for(lambda: "no margin account" in error.inner_text() or None, "the no-account refusal")
    assert error.inner_text().startswith("Account: ") and result.inner_text() == ""

    form.locator("input[name=account]").fill("0x1234")
    form.locator("button[type=submit]").click()
    wait_for(lambda: "is not an address" in error.inner_text() or None, "the address refusal")

    assert not book.broker.functions.isHalted(book.a.identity).call()
    form.locator("input[name=account]").fill(book.a.identity)
    form.locator("select[name=operation]").select_option("resume")
    form.locator("button[type=submit]").click()
    wait_for(lambda: "is not halted" in error.inner_text() or None, "the not-halted refusal")
    assert result.inner_text() == ""

    form.locator("select[name=operation]").select_option("halt")
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-prime-account-halt] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared halt batch")
    [(to, data)] = batch_calldata(json.loads(pre.inner_text()))
    fn, args = engine.decode_function_input(data)
    assert to == engine.address and fn.fn_name == "halt"
    assert args["subject"] == book.a.identity
    assert "direct" in result.locator("li").inner_text()

    # The zero address is the whole book: resuming it while it runs is refused, halting it is
    # the GUARDIAN's direct `halt(broker)` at the RiskEngine.
    assert not book.broker.functions.bookHalted().call()
    form.locator("input[name=account]").fill(ZERO)
    form.locator("select[name=operation]").select_option("resume")
    form.locator("button[type=submit]").click()
    wait_for(lambda: "the whole book is not halted" in error.inner_text() or None, "the refusal")
    form.locator("select[name=operation]").select_option("halt")
    form.locator("button[type=submit]").click()
    wait_for(lambda: error.inner_text() == "" or None, "the refusal to clear")
    broker_word = book.broker.address[2:].lower()
    wait_for(
        lambda: broker_word in pre.inner_text().lower() or None, "the prepared whole-book halt"
    )
    [(to, data)] = batch_calldata(json.loads(pre.inner_text()))
    fn, args = engine.decode_function_input(data)
    assert to == engine.address and fn.fn_name == "halt"
    assert args["subject"] == book.broker.address


PRIME_QUERY = """{ prime { head accountsOpened
    accounts(first: 100) { totalCount nodes { account ratioBps debtUsd18 adjustedCollateralUsd18
        limitUsd18 tier halted marginCallAt level } }
    pools(first: 10) { nodes { pool cash totalDebt reserves assignedDebt utilisationBps
        borrowRateBps } }
    liquidations(first: 20) { nodes { account repaid seized } } } }"""


def test_graphql__prime_equals_the_broker_and_the_pools(book, console_url, chain_reads):
    """CON-75: the prime-brokerage data the GraphQL API serves equals the chain at the served
    head: each account's health (`health` at the broker), credit line and halt, each pool's
    `state()`, each liquidation its `Liquidated` log."""
    import httpx

    def served() -> dict | None:
        answer = httpx.post(f"{console_url}/graphql", json={"query": PRIME_QUERY}, timeout=60)
        assert "errors" not in answer.json(), answer.json()["errors"]
        prime = answer.json()["data"]["prime"]
        return prime if prime["head"] >= book.liquidated_block else None

    prime = wait_for(served, "the console to serve the block of the book's last transaction")
    at = {"block_identifier": prime["head"]}
    broker, margin = book.broker, _margin(chain_reads)
    nodes = {n["account"]: n for n in prime["accounts"]["nodes"]}
    assert {book.a.identity, book.b.identity} <= set(nodes)
    assert prime["accounts"]["totalCount"] == min(prime["accountsOpened"], 100)
    for account, node in nodes.items():
        h = margin.functions.health(account).call(**at)
        line = margin.functions.creditLineOf(account).call(**at)
        assert (
            int(node["ratioBps"]),
            int(node["debtUsd18"]),
            int(node["adjustedCollateralUsd18"]),
            node["marginCallAt"],
        ) == (h[4], h[2], h[1], h[5])
        assert (int(node["limitUsd18"]), node["tier"]) == (line[0], line[2])
        assert node["halted"] == broker.functions.isHalted(account).call(**at)
    assert nodes[book.b.identity]["level"] == "BAD"
    for node in prime["pools"]["nodes"]:
        state = chain_reads.contract("LendingPool", node["pool"]).functions.state().call(**at)
        assert (
            int(node["cash"]),
            int(node["totalDebt"]),
            int(node["reserves"]),
            int(node["assignedDebt"]),
            node["utilisationBps"],
            node["borrowRateBps"],
        ) == (state[0], state[1], state[2], state[5], state[8], state[9])
    logs = _logs(broker.events.Liquidated, chain_reads.record["block"], prime["head"])[-20:]
    assert [
        (n["account"], int(n["repaid"]), int(n["seized"])) for n in prime["liquidations"]["nodes"]
    ] == [(log.args.account, log.args.repaid, log.args.seized) for log in reversed(logs)]


def test_prime__accounts_named_from_the_deployment_address_book(
    book, browser_page, console_url, chain_reads
):
    """CON-88 (issue 33 §2): a margin account is an institution's identity, which no contract of
    the record names: the page showed the bare address. The demo names its institutions in the
    deployment's address book (`quantera deployments name`, `keepers.core.deployments.
    name_accounts`), and the page shows each account with that name; `/api/prime` keeps the raw
    address with the name beside it (None for an account the book does not name)."""
    import httpx

    from keepers.prime import identity_of

    named = {identity_of(f"prime demo {n}"): n for n in ("Harbor pension plan", "Ashford insurer")}
    book_names = chain_reads.record.get("accounts", {})
    assert {a: book_names.get(a) for a in named} == named
    open_page(browser_page, console_url, "prime")
    for account, name in named.items():
        cell = browser_page.locator(f"[data-testid=accounts] tr[data-account='{account}'] td").first
        assert cell.inner_text().strip() == f"{account} ({name})"
    rows = httpx.get(f"{console_url}/api/prime", timeout=60).json()["accounts"]
    by_account = {r["account"]: r for r in rows}
    assert {a: by_account[a]["account_name"] for a in named} == named
    assert by_account[book.a.identity]["account_name"] is None  # this test's own, unnamed
