"""SEC-100..SEC-112: the red team's second read of the console (keepers/console), each finding
performed as its attack against the console's own code on a deployed chain: a Safe batch that
`console sign` reads differently from the Safe app, a stale checksum, a target outside the
deployment record, unnamed ABI inputs; a dust route through a token whose `symbol()` reverts; a
timelock ETA past the year 9999; the event index filled past its bound and a provider that
refuses large log windows; audit exports that hold the event loop; failed transfers that cost
the compliance page RPCs; an RPC key in a client report, a CLI error and a log.

The chain is a private anvil loaded with the session's deployment (tests/keepers/conftest.py
`deployment_state`, `ape run deploy all` with its venues), its record in a folder of its own;
the console is `create_app` over a ChainSource of it (served by uvicorn in a thread where the
event loop matters), and `quantera console sign` runs as the operator runs it."""

from __future__ import annotations

import copy
import json
import shutil
from types import SimpleNamespace

import pytest

import postgres
from keepers.access import ROLE_IDS
from keepers.console.source import ChainSource, load_abis
from keepers.core.deployments import load
from keepers.demo.processes import ProcessGroup, start_anvil

ADMIN_ACCOUNT = 0  # deploy all: the deployer keeps ADMIN, no delay
GOVERNOR_ACCOUNT = 2  # deploy all: GOVERNOR with its 3,600 s execution delay
ATTACKER = "0x000000000000000000000000000000000000bEEF"
NEWCOMER = "0xc0ffee254729296a45a3885639AC7E10F9d54979"  # checksummed
BAD_CHECKSUM = NEWCOMER.replace("AC7E", "Ac7E")  # mixed case, one letter's case wrong


def settled(chain, receipt) -> None:
    """Waits until the chain has mined past `receipt`'s block (one block a second): the console's
    index takes no block until it is no longer the head (CON-96)."""
    from console_checks import wait_for

    block = receipt["blockNumber"]
    wait_for(lambda: chain.w3.eth.block_number > block or None, f"a block after {block}")


@pytest.fixture(scope="module")
def chain(deployment_state, tmp_path_factory):
    """An anvil on the session's deployment: its URL, network choice, record (and the folder the
    CLI reads it from), web3 and a ChainSource of it."""
    from web3 import Web3

    state, record_file = deployment_state
    folder = tmp_path_factory.mktemp("hardening")
    group = ProcessGroup(folder)
    try:
        url = start_anvil(group, chain_id=1337, extra_args=("--load-state", str(state)))
        shutil.copy(record_file, folder / record_file.name)
        record = load(record_file)
        w3 = Web3(Web3.HTTPProvider(url))
        yield SimpleNamespace(
            url=url,
            network=f"ethereum:local:{url}",
            folder=folder,
            record=record,
            w3=w3,
            accounts=w3.eth.accounts,
            source=ChainSource(w3, record, load_abis(), None, f"ethereum:local:{url}"),
        )
    finally:
        group.stop_all()


def _manager(chain):
    return chain.source.contract("QuanteraAccessManager")


def _batch(chain, safe: str, calls) -> dict:
    from keepers.console.actions import prepare, safe_batch

    prepared = prepare(chain.source, safe, calls)
    return safe_batch(chain.source.chain_id, safe, prepared, "test", prepared[0].summary)


def _sign(chain, tmp_path, batch: dict, account: int, *extra: str, stdin: str = ""):
    """`quantera console sign` of `batch` from test account `account`, as the operator runs it
    (stdin: the answer to its confirmation)."""
    import os
    import subprocess

    from conftest import BIN, SUBPROCESS_TIMEOUT_SECONDS

    path = tmp_path / f"batch-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(batch))
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(chain.folder))
    argv = ["console", "sign", str(path), "--account", f"TEST::{account}"]
    return subprocess.run(
        [str(BIN / "quantera"), *argv, "--network", chain.network, *extra],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )


def _has_role(chain, role: str, account: str) -> bool:
    return bool(_manager(chain).functions.hasRole(ROLE_IDS[role], account).call()[0])


# ------------------------------------------------------------------ console sign (SEC-100..103)


def test_sec_100__console_sign__data_and_method_two_calls__refused_nothing_sent(chain, tmp_path):
    """SEC-100: the red team's forged file — `data` is the reviewed call (what the Safe app shows,
    simulates and sends), the method entry grants ADMIN to the attacker, the checksum recomputed
    so nothing warns — is refused by `console sign` before anything is sent: the attacker holds
    no ADMIN, the reviewed grant is not made either."""
    from keepers.console.actions import Call, checksum

    admin = chain.accounts[ADMIN_ACCOUNT]
    genuine = _batch(chain, admin, [Call("QuanteraAccessManager", "grantRole", (3, NEWCOMER, 0))])
    reviewed = _manager(chain).encode_abi("grantRole", [3, NEWCOMER, 0])
    forged = copy.deepcopy(genuine)
    tx = forged["transactions"][0]
    tx["data"] = reviewed
    tx["contractInputsValues"] = {"roleId": "0", "account": ATTACKER, "executionDelay": "0"}
    forged["meta"]["checksum"] = checksum(forged)
    nonce = chain.w3.eth.get_transaction_count(admin)

    run = _sign(chain, tmp_path, forged, ADMIN_ACCOUNT, stdin="y\n")
    assert not _has_role(chain, "ADMIN", ATTACKER), "the forged method entry was sent"
    assert run.returncode == 1, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert "its data and its contractMethod are two different calls" in line
    assert chain.w3.eth.get_transaction_count(admin) == nonce  # nothing sent at all
    assert not _has_role(chain, "OPERATOR", NEWCOMER)


def test_sec_101__console_sign__file_changed_after_it_was_made__refused(chain, tmp_path):
    """SEC-101: a batch whose call was edited after the console made it (the grantee swapped for
    the attacker, meta.checksum left as it was) is refused: the checksum is verified."""
    from keepers.console.actions import Call

    admin = chain.accounts[ADMIN_ACCOUNT]
    batch = _batch(chain, admin, [Call("QuanteraAccessManager", "grantRole", (2, NEWCOMER, 0))])
    batch["transactions"][0]["contractInputsValues"]["account"] = ATTACKER
    nonce = chain.w3.eth.get_transaction_count(admin)

    run = _sign(chain, tmp_path, batch, ADMIN_ACCOUNT, stdin="y\n")
    assert not _has_role(chain, "GUARDIAN", ATTACKER), "the edited batch was sent"
    assert run.returncode == 1
    assert "is not its own" in run.stderr and "changed after it was made" in run.stderr
    assert chain.w3.eth.get_transaction_count(admin) == nonce


def test_sec_102__console_sign__target_outside_the_record__refused(chain, tmp_path):
    """SEC-102: a batch (valid checksum) calling an address the deployment record does not name
    is refused unless the operator names it with --allow-target; so is a `schedule` of a call to
    such an address."""
    from keepers.console.actions import checksum

    admin = chain.accounts[ADMIN_ACCOUNT]
    batch = {
        "version": "1.0",
        "chainId": str(chain.source.chain_id),
        "createdAt": 0,
        "meta": {
            "name": "x",
            "description": "",
            "txBuilderVersion": "1.16.5",
            "createdFromSafeAddress": admin,
            "createdFromOwnerAddress": "",
        },
        "transactions": [
            {
                "to": ATTACKER,
                "value": "0",
                "data": _manager(chain).encode_abi("grantRole", [0, ATTACKER, 0]),
                "contractMethod": None,
                "contractInputsValues": None,
            }
        ],
    }
    batch["meta"]["checksum"] = checksum(batch)
    nonce = chain.w3.eth.get_transaction_count(admin)
    run = _sign(chain, tmp_path, batch, ADMIN_ACCOUNT, stdin="y\n")
    assert chain.w3.eth.get_transaction_count(admin) == nonce, "sent to an unknown target"
    assert run.returncode == 1
    assert "is not a contract of the deployment record" in run.stderr

    from keepers.console.actions import ActionInputError, signable_calls

    manager = _manager(chain)
    inner = manager.encode_abi("schedule", [ATTACKER, b"\x12\x34\x56\x78", 0])
    scheduled = copy.deepcopy(batch)
    scheduled["transactions"][0].update(to=manager.address, data=inner)
    scheduled["meta"]["checksum"] = checksum(scheduled)
    with pytest.raises(ActionInputError, match="schedule of a call to .*not a contract"):
        signable_calls(chain.source, scheduled)
    [allowed] = signable_calls(chain.source, batch, [ATTACKER])
    assert allowed.target == "not in the record"


def test_sec_103__console_sign__prints_each_decoded_call_and_asks(chain, tmp_path):
    """SEC-103: the operator is shown every call decoded (the record's name of the target, the
    function, its arguments with role and contract names) and that the batch is not atomic, and
    is asked: "n" sends nothing, "y" sends it; --yes sends without asking (unattended)."""
    from keepers.console.actions import Call

    admin = chain.accounts[ADMIN_ACCOUNT]
    manager = _manager(chain)
    batch = _batch(chain, admin, [Call("QuanteraAccessManager", "grantRole", (3, NEWCOMER, 0))])
    nonce = chain.w3.eth.get_transaction_count(admin)

    declined = _sign(chain, tmp_path, batch, ADMIN_ACCOUNT, stdin="n\n")
    shown = declined.stdout
    assert f"QuanteraAccessManager {manager.address}" in shown, shown
    assert f"grantRole(roleId=3 (OPERATOR), account={NEWCOMER}, executionDelay=0)" in shown
    assert "NOT atomic" in shown
    assert "Send these 1 transaction(s)?" in shown
    assert declined.returncode == 1 and "aborted" in declined.stderr
    assert chain.w3.eth.get_transaction_count(admin) == nonce
    assert not _has_role(chain, "OPERATOR", NEWCOMER)

    accepted = _sign(chain, tmp_path, batch, ADMIN_ACCOUNT, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert _has_role(chain, "OPERATOR", NEWCOMER)

    revoke = _batch(chain, admin, [Call("QuanteraAccessManager", "revokeRole", (3, NEWCOMER))])
    unattended = _sign(chain, tmp_path, revoke, ADMIN_ACCOUNT, "--yes", "--json")
    assert unattended.returncode == 0, unattended.stderr
    assert "revokeRole(roleId=3 (OPERATOR)" in unattended.stderr  # shown, never asked
    assert not _has_role(chain, "OPERATOR", NEWCOMER)


def test_sec_103__console_sign__a_scheduled_call_is_shown_inside_its_schedule(chain):
    """SEC-103: a call routed behind the Safe's delay is shown as the manager's `schedule` with the
    call it schedules decoded (target name, function, arguments)."""
    from keepers.console.actions import Call, signable_calls

    governor = chain.accounts[GOVERNOR_ACCOUNT]
    aggregator = chain.source.contract("LiquidityAggregator")
    venue = chain.source.address("UniswapV2Pair.A.QNDX-USDC")
    batch = _batch(chain, governor, [Call("LiquidityAggregator", "unpauseVenue", (venue,))])
    [call] = signable_calls(chain.source, batch)
    assert call.target == "QuanteraAccessManager"
    assert call.text == (
        f"schedule(target={aggregator.address} (LiquidityAggregator), "
        f"data=unpauseVenue(venue={venue} (UniswapV2Pair.A.QNDX-USDC)), when=0)"
    )


def test_sec_104__unnamed_inputs__keyed_by_index_as_the_safe_app_reads_them(chain):
    """SEC-104: a console batch for a function whose ABI inputs are unnamed
    (PrimeBroker.marginCall(address)) keys its values by input index, as the Safe app does
    (`contractField.name || index`): the app and `console sign` encode the very call prepared
    (on main the app encoded nothing, `0x`, and `console sign` refused the console's own batch)."""
    from keepers.console.actions import Call, batch_calldata, encode_call

    admin = chain.accounts[ADMIN_ACCOUNT]
    broker = chain.source.contract("PrimeBroker")
    batch = _batch(chain, admin, [Call("PrimeBroker", "marginCall", (NEWCOMER,))])
    tx = batch["transactions"][0]
    assert [i["name"] for i in tx["contractMethod"]["inputs"]] == [""]
    assert tx["contractInputsValues"] == {"0": NEWCOMER}
    expected = broker.encode_abi("marginCall", [NEWCOMER])
    assert _safe_app_calldata(tx) == expected
    assert batch_calldata(batch) == [(broker.address, expected.lower())]
    assert encode_call(tx["contractMethod"], [NEWCOMER]) == expected


def _safe_app_calldata(tx: dict) -> str:
    """What the Safe Transaction Builder proposes for one imported entry (its
    `convertToProposedTransactions`: `data` when present, else the method encoded from the values
    keyed `name || index`, `0x` when that fails)."""
    from keepers.console.actions import encode_call

    if tx.get("data"):
        return tx["data"]
    method, values = tx["contractMethod"], tx.get("contractInputsValues") or {}
    try:
        args = [values[i["name"] or str(k)] for k, i in enumerate(method["inputs"])]
    except KeyError:
        return "0x"
    return encode_call(method, args)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"roleId": "0x3", "account": NEWCOMER, "executionDelay": "0"}, "not a decimal integer"),
        ({"roleId": "3", "account": BAD_CHECKSUM, "executionDelay": "0"}, "checksum is wrong"),
        ({"roleId": "3", "account": NEWCOMER}, "the file gives"),
        ({"roleId": "3", "account": NEWCOMER, "executionDelay": "0", "x": "1"}, "the file gives"),
    ],
)
def test_sec_100__method_values_readable_two_ways__refused(chain, values, message):
    """SEC-100: a method entry whose values another encoder could read differently (a hex
    number, a mixed-case address with a wrong checksum), or that misses or adds a value, is
    refused rather than guessed."""
    from keepers.console.actions import ActionInputError, Call, batch_calldata

    admin = chain.accounts[ADMIN_ACCOUNT]
    batch = _batch(chain, admin, [Call("QuanteraAccessManager", "grantRole", (3, NEWCOMER, 0))])
    batch["transactions"][0]["contractInputsValues"] = values
    with pytest.raises(ActionInputError, match=message):
        batch_calldata(batch)


# ------------------------------------------------------------------ liquidity page (SEC-105)

# The red team's token (poc_fake_token_route.py): `balanceOf(address)` answers 2^256-1-gas() (it
# rises within a transaction, so the aggregator measures an output), anything else reverts
# (`symbol()`, `decimals()`). 64 bytes of runtime behind an init code that copies them.
FAKE_RUNTIME = (
    "600035" "60e01c" "6370a08231" "14" "6014" "57" "6000" "6000" "fd" "5b" "5a"
    "7f" + "ff" * 32 + "03" "6000" "52" "6020" "6000" "f3"
)  # fmt: skip
FAKE_INIT = "0x6040" "80" "600b" "6000" "39" "6000" "f3" + FAKE_RUNTIME  # fmt: skip
OPERATOR_ACCOUNT = 3  # deploy all: OPERATOR (mints the local stablecoin)
TOKEN_AGENT_ACCOUNT = 5  # deploy all: the security tokens' agent (they start paused)
LIQUIDITY_ATTACKER = 19  # a test account with no role, no KYC and no tokens


def _deploy_fake_token(chain, sender: str, side_of: str | None = None, token0: bool = True):
    """The red team's token, at an address on the given side of `side_of` (a pair keeps its
    tokens' order), or anywhere."""
    while True:
        tx = chain.w3.eth.send_transaction({"from": sender, "data": FAKE_INIT})
        fake = chain.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        if side_of is None or (int(side_of, 16) < int(fake, 16)) == token0:
            return fake


def _liquidity_answers(chain):
    """/api/liquidity, GraphQL `liquidity` and the /liquidity page of a console on the chain."""
    from starlette.testclient import TestClient

    from keepers.console.app import create_app

    app = create_app(chain.source, poll_seconds=3_600)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        api = client.get("/api/liquidity")
        graphql = client.post(
            "/graphql", json={"query": "{ liquidity { head paused routes { totalCount } } }"}
        )
        page = client.get("/liquidity")
    return api, graphql, page


def test_sec_105__dust_route_through_a_token_whose_symbol_reverts__page_stays_up(chain):
    """SEC-105: the red team's attack — a stranger with 1 USDC swaps through a Uniswap V2 pair
    naming as `tokenOut` a token of their own whose `symbol()` reverts (its `balanceOf` rises, so
    the aggregator measures an output) — no longer blanks the liquidity page: either the
    aggregator refuses the hop (its own fix), or the page, /api/liquidity and GraphQL still answer,
    the route shown with UNKNOWN_SYMBOL and its address."""
    w3 = chain.w3
    attacker = chain.accounts[LIQUIDITY_ATTACKER]
    qndx = chain.source.contract("SecurityToken.QNDX")
    if qndx.functions.paused().call():  # trading open, as on the demo
        qndx.functions.unpause().transact({"from": chain.accounts[TOKEN_AGENT_ACCOUNT]})
    usdc = chain.source.contract("LocalStablecoin.USDC")
    pair_name = "UniswapV2Pair.A.QNDX-USDC"
    pair = chain.source.address(pair_name)
    token0 = w3.eth.call({"to": pair, "data": "0x0dfe1681"})  # token0()
    usdc_is_token0 = int.from_bytes(token0[-20:], "big") == int(usdc.address, 16)
    usdc.functions.mint(attacker, 10**6).transact({"from": chain.accounts[OPERATOR_ACCOUNT]})
    fake = _deploy_fake_token(chain, attacker, usdc.address, usdc_is_token0)
    aggregator = chain.source.contract("LiquidityAggregator")
    usdc.functions.approve(aggregator.address, 10**6).transact({"from": attacker})
    deadline = w3.eth.get_block("latest")["timestamp"] + 3_600
    recipient = chain.source.address("NavVenue")  # a registered venue identity: no KYC needed
    route = (
        bytes.fromhex(usdc.address[2:])
        + bytes.fromhex(fake[2:])
        + bytes.fromhex(recipient[2:])
        + (0).to_bytes(16, "big")  # minimum out
        + deadline.to_bytes(5, "big")
        + (0).to_bytes(2, "big")  # slippage
        + bytes([1])  # one leg
        + (10**6).to_bytes(16, "big")
        + bytes([1])  # one hop
        + bytes.fromhex(pair[2:])
        + (0).to_bytes(2, "big")
    )
    try:
        tx = aggregator.functions.swap(route).transact({"from": attacker, "gas": 3_000_000})
        swapped = w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    except Exception:  # noqa: BLE001 - refused at estimation: the aggregator's own fix
        swapped = False
    print(f"SEC-105: the aggregator {'took' if swapped else 'refused'} the fake token's hop")
    api, graphql, page = _liquidity_answers(chain)
    assert api.status_code == 200, api.text[:300]
    assert graphql.status_code == 200 and graphql.json().get("errors") is None, graphql.text[:300]
    assert page.status_code == 200, page.text[-2000:]
    live = page.text[page.text.index('<section id="live"') : page.text.index("</section>")]
    assert 'data-testid="venues"' in live and 'data-testid="routes"' in live, live[:2000]
    if swapped:  # the aggregator took the hop: the console must show it, not fall over
        from keepers.console.prices import UNKNOWN_SYMBOL

        [shown] = [r for r in api.json()["routes"] if r["payer"] == attacker]
        assert shown["token_out"] == f"{UNKNOWN_SYMBOL} ({fake[:6]}…{fake[-4:]})"
        assert shown["token_in"] == "USDC"
        assert api.json()["venues"]  # venues, pause state and commits are all still there


def test_sec_105__token_metadata__a_failing_token_is_a_placeholder_not_an_error(chain):
    """SEC-105, the console's side whatever the aggregator accepts: a route naming a token whose
    `symbol()` and `decimals()` revert (the red team's contract, deployed) reads with
    UNKNOWN_SYMBOL and base units, beside a listed token read as usual; token_meta never raises
    for a token's answers."""
    from keepers.console.index import ChainEvent, EventIndex
    from keepers.console.pages import liquidity
    from keepers.console.prices import UNKNOWN_SYMBOL, token_meta

    fake = _deploy_fake_token(chain, chain.accounts[LIQUIDITY_ATTACKER])
    usdc = chain.source.address("LocalStablecoin.USDC")
    assert token_meta(chain.source, [fake, usdc]) == {fake: (UNKNOWN_SYMBOL, 0), usdc: ("USDC", 6)}
    index = EventIndex(chain.source)
    index.sync()
    head = index.head
    route = ChainEvent(
        head,
        0,
        chain.source.block_time(head),
        "0x" + "ab" * 32,
        "LiquidityAggregator",
        chain.source.address("LiquidityAggregator"),
        "RouteExecuted",
        {
            "payer": chain.accounts[LIQUIDITY_ATTACKER],
            "recipient": chain.source.address("NavVenue"),
            "tokenIn": usdc,
            "tokenOut": fake,
            "amountIn": 10**6,
            "amountOut": 12_345,
            "fills": "0x",
        },
    )
    index._events.append(route)
    data = liquidity.read(chain.source, index)
    [row] = [r for r in data["routes"] if r["tx"] == route.tx_hash]
    assert (
        row["token_out"].startswith(UNKNOWN_SYMBOL) and row["amount_out_display"] == "12,345.0000"
    )
    assert data["unreadable_routes"] == 0 and data["venues"]


# ------------------------------------------------------------------ rendering (SEC-106, SEC-107)

FAR_ETA = 2**48 - 1  # the latest `when` an AccessManager schedule takes (uint48)


def _client(chain, pages=None, **options):
    from starlette.testclient import TestClient

    from keepers.console.app import create_app

    app = create_app(chain.source, pages=pages, poll_seconds=3_600, **options)
    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_sec_106__an_eta_past_year_9999__governance_page_still_answers(chain):
    """SEC-106: the red team's attack — a member of a delayed role (the GOVERNOR) schedules a call
    with `when = 2^48 - 1` — no longer takes /governance down: the page and its live fragment
    answer 200 with the roles, the operation shown with its ETA as a number past year 9999 and
    flagged, the audit export too; every formatting filter answers for any value."""
    governor = chain.accounts[GOVERNOR_ACCOUNT]
    manager = _manager(chain)
    aggregator = chain.source.contract("LiquidityAggregator")
    venue = chain.source.address("UniswapV2Pair.A.QSPX-USDC")
    data = aggregator.encode_abi("unpauseVenue", [venue])
    tx = manager.functions.schedule(aggregator.address, data, FAR_ETA).transact({"from": governor})
    scheduled = chain.w3.eth.wait_for_transaction_receipt(tx)
    assert scheduled["status"] == 1
    settled(chain, scheduled)
    operation = (
        "0x" + manager.functions.hashOperation(governor, aggregator.address, data).call().hex()
    )
    # OZ's getSchedule itself reverts for it (its expiry check adds a week to 2^48 - 1 and
    # overflows): the page cannot lean on that view for this operation.

    with _client(chain) as client:
        page = client.get("/governance")
        fragment = client.get("/governance?fragment=1")
        api = client.get("/api/governance")
        export = client.get("/governance/audit.csv?event=OperationScheduled")
    assert page.status_code == 200, page.text[:500]
    assert fragment.status_code == 200, fragment.text[:500]
    row = page.text[page.text.index(f'data-operation="{operation}"') :]
    row = row[: row.index("</tr>")]
    assert f"{FAR_ETA} (after year 9999)" in row and 'data-testid="far-eta"' in row
    assert 'data-role="ADMIN"' in page.text and 'data-role="GOVERNOR"' in page.text
    [shown] = [p for p in api.json()["pending"] if p["operation_id"] == operation]
    assert shown["eta"] == FAR_ETA and shown["eta_far_future"]
    assert export.status_code == 200 and operation[2:] in export.text

    from keepers.console.render import fmt_num, fmt_time

    assert fmt_time(-(2**63)) == f"{-(2**63)} (before year 1)"
    assert fmt_time(None) == "None" and fmt_time("x") == "x"
    assert fmt_num(2**1100) == str(2**1100) and fmt_num(None) == "—"
    assert fmt_num(float("nan")) == "nan" and fmt_num("12") == "12.00"


def test_sec_107__one_value_a_row_cannot_render__costs_that_row_not_the_page(chain):
    """SEC-107: a row whose value makes its template raise (a route whose improvement is text
    where the template compares a number) is shown as one row saying it could not be shown; the
    rest of the page (its venues, its other rows) renders, 200."""
    from keepers.console.pages import Page, liquidity

    def read(source, index):
        data = liquidity.read(source, index)
        good = {
            "block": 1,
            "time": 0,
            "tx": "0x" + "01" * 32,
            "log_index": 0,
            "payer": ATTACKER,
            "token_in": "USDC",
            "token_out": "QNDX",
            "amount_in": 1,
            "amount_out": 1,
            "amount_in_display": "1",
            "amount_out_display": "1",
            "fills": [],
            "committed": False,
            "best_single_venue": None,
            "best_single_out": 0,
            "best_single_unavailable": None,
            "best_single_out_display": "0",
            "improvement_bps": None,
        }
        bad = {**good, "tx": "0x" + "02" * 32, "improvement_bps": "not a number"}
        return {**data, "routes": [good, bad]}

    page = Page("liquidity", "Liquidity", read, liquidity.PAGE.actions)
    with _client(chain, pages=(page,)) as client:
        answer = client.get("/liquidity")
    assert answer.status_code == 200, answer.text[:500]
    assert 'data-testid="venues"' in answer.text
    assert f'data-tx="0x{"01" * 32}"' in answer.text  # the good row
    assert answer.text.count('data-unrendered="row"') == 1  # the bad one, alone
    assert "this row could not be shown (TypeError" in answer.text


# ------------------------------------------------------------------ event index (SEC-108, SEC-109)


def test_sec_108__index_filled_with_permissionless_events__state_still_complete(chain):
    """SEC-108: the red team's attack on the event index — a stranger fills it with
    LiquidityAggregator commitments (permissionless, in multicalls) past its bound (scaled here to
    what the deployment and one scheduled operation hold) — no longer erases state: the role
    holders, the pending operation, the registered investors and a frozen wallet are all still
    shown (each confirmed by the chain's views), and the pages say from which block the history
    is complete (`first_block` moved past what was dropped)."""
    from keepers.console.index import EventIndex
    from keepers.console.pages import compliance, governance

    w3 = chain.w3
    governor, keeper = chain.accounts[GOVERNOR_ACCOUNT], chain.accounts[6]
    manager, registry = _manager(chain), chain.source.contract("IdentityRegistry")
    aggregator = chain.source.contract("LiquidityAggregator")
    data = aggregator.encode_abi(
        "unpauseVenue", [chain.source.address("UniswapV2Pair.B.QSPX-USDC")]
    )
    w3.eth.wait_for_transaction_receipt(
        manager.functions.schedule(aggregator.address, data, 0).transact({"from": governor})
    )
    operation = (
        "0x" + manager.functions.hashOperation(governor, aggregator.address, data).call().hex()
    )
    wallet = next(
        e.args["investorAddress"]
        for e in _synced(chain).events(contract="IdentityRegistry", names=["IdentityRegistered"])
        if not registry.functions.isFrozen(e.args["investorAddress"]).call()
    )
    settled(
        chain,
        w3.eth.wait_for_transaction_receipt(
            registry.functions.freeze(wallet).transact({"from": keeper})
        ),
    )
    held = len(_synced(chain).events())
    index = EventIndex(chain.source, max_events=held)
    index.sync()
    before = governance.read(chain.source, index), compliance.read(chain.source, index)
    assert len(index.events()) == held  # nothing dropped yet
    assert operation in {p["operation_id"] for p in before[0]["pending"]}

    stranger = chain.accounts[LIQUIDITY_ATTACKER]
    commits = [aggregator.encode_abi("commit", [_word(k)]) for k in range(held + 10)]
    for start in range(0, len(commits), 400):
        tx = aggregator.functions.multicall(commits[start : start + 400]).transact(
            {"from": stranger, "gas": 25_000_000}
        )
        receipt = w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
    settled(chain, receipt)
    index.sync()
    after = governance.read(chain.source, index), compliance.read(chain.source, index)
    assert after[0]["roles"] == before[0]["roles"], "role holders vanished with the history"
    assert operation in {p["operation_id"] for p in after[0]["pending"]}, "the operation vanished"
    assert after[1]["investors"] == before[1]["investors"] > 0
    assert wallet in {f["wallet"] for f in after[1]["frozen"]}
    assert index.dropped > 0 and len(index._events) == held
    first_kept = index._events[0].block_number
    assert after[0]["audit_complete_from_block"] >= first_kept > chain.record.block
    with _client(chain, max_events=held) as client:  # its own index, bound as this one
        assert client.app.state.index.first_block == index.first_block
        page = client.get("/governance").text
        health = client.get("/health").json()
    assert f"history from block {index.first_block}" in page
    assert health["index_complete_from_block"] == index.first_block


def _synced(chain):
    from keepers.console.index import EventIndex

    index = EventIndex(chain.source)
    index.sync()
    return index


def _word(k: int) -> bytes:
    from eth_utils import keccak

    return keccak(text=f"SEC-108 commitment {k}")


class _LogCappedEth:
    """web3's `eth` of a provider that refuses an `eth_getLogs` answer of more than `cap` logs
    (as Infura refuses more than 10,000), counting the windows asked."""

    def __init__(self, eth, cap: int):
        self._eth, self.cap, self.asked, self.refused = eth, cap, [], 0

    def __getattr__(self, name):
        return getattr(self._eth, name)

    def get_logs(self, params):
        self.asked.append((params["fromBlock"], params["toBlock"]))
        logs = self._eth.get_logs(params)
        if len(logs) > self.cap:
            self.refused += 1
            raise ValueError(
                {"code": -32005, "message": f"query returned more than {self.cap} results"}
            )
        return logs


def test_sec_109__provider_caps_log_results__index_splits_the_window(chain):
    """SEC-109: on a provider that refuses any `eth_getLogs` answering more than N logs (N here the
    most the deployment logged in one block; Infura's is 10,000), the index splits its window
    and indexes every event (the same as an uncapped provider's), instead of failing the sync
    (on main the console did not start, and its live feed retried the same window forever)."""
    from keepers.console.index import EventIndex

    whole = _synced(chain)
    per_block: dict[int, int] = {}
    for e in whole.events():
        per_block[e.block_number] = per_block.get(e.block_number, 0) + 1
    cap = max(per_block.values())
    assert sum(per_block.values()) > cap  # the 2,000-block window is over the cap
    capped_eth = _LogCappedEth(chain.w3.eth, cap)
    capped_w3 = SimpleNamespace(eth=capped_eth, codec=chain.w3.codec, provider=chain.w3.provider)
    source = ChainSource(capped_w3, chain.record, chain.source.abis, None, chain.source.network)
    index = EventIndex(source)
    index.sync(whole.head)
    assert capped_eth.refused > 0
    key = lambda e: (e.block_number, e.log_index)  # noqa: E731
    assert [key(e) for e in index.events()] == [key(e) for e in whole.events()]
    assert index.head == whole.head


# ------------------------------------------------------------------ audit exports (SEC-110)


def test_sec_110__audit_exports__walked_off_the_loop_shared_and_bounded(chain, monkeypatch):
    """SEC-110: the REST audit routes (`/governance/audit.csv`, `/api/governance/audit`: simple
    GETs any page can send) walk the index in a worker thread: while a walk is held (here until
    the test lets it go, or 30 s), /health answers (on main the walk ran on the event loop and
    froze every page, stream and query); at most MAX_RUNNING_WALKS run at once, the next refused
    (429) at once; a walk asked again — by REST or GraphQL — is not walked again."""
    import threading

    import httpx

    from console_checks import served
    from keepers.console.app import create_app
    from keepers.console.pages import governance

    app = create_app(chain.source, poll_seconds=3_600)  # one head: the walks' keys name it
    index = app.state.index
    real_events = index.events
    walking, release = threading.Semaphore(0), threading.Event()

    def held_events(*args, **kwargs):
        if kwargs.get("administrative") and not release.is_set():
            walking.release()
            release.wait(timeout=300)  # released by let_go; on its own only if the test hangs
        return real_events(*args, **kwargs)

    def hold(url: str, queries: list[str], answers: list) -> list[threading.Thread]:
        threads = [
            threading.Thread(
                target=lambda q=q: answers.append(
                    httpx.get(f"{url}/governance/audit.csv", params={"q": q}, timeout=120)
                )
            )
            for q in queries
        ]
        for thread in threads:
            thread.start()
        for _ in threads:
            assert walking.acquire(timeout=60), "a walk never started"
        return threads

    def let_go(threads: list[threading.Thread]) -> None:
        release.set()
        for thread in threads:
            thread.join(timeout=120)

    monkeypatch.setattr(index, "events", held_events)
    with served(app) as url:
        answers: list[httpx.Response] = []
        threads = hold(url, ["held"], answers)
        try:
            health = httpx.get(f"{url}/health", timeout=60)  # main: held behind the walk
            assert health.status_code == 200
        finally:
            let_go(threads)

        from keepers.console.walks import MAX_RUNNING_WALKS

        release.clear()
        threads = hold(url, [f"walk{k}" for k in range(MAX_RUNNING_WALKS)], answers)
        try:
            busy = httpx.get(f"{url}/api/governance/audit", params={"q": "another"}, timeout=60)
            assert busy.status_code == 429, busy.text[:300]
            assert "audit walks are running" in busy.json()["error"]
        finally:
            let_go(threads)
        assert [a.status_code for a in answers] == [200] * (1 + MAX_RUNNING_WALKS)

        filtered: list[tuple] = []
        real_filter = governance.filter_audit
        monkeypatch.setattr(
            governance,
            "filter_audit",
            lambda *args, **kwargs: filtered.append(args[1:]) or real_filter(*args, **kwargs),
        )
        export = httpx.get(f"{url}/governance/audit.csv", params={"event": "RoleGranted"})
        again = httpx.get(f"{url}/api/governance/audit", params={"event": "RoleGranted"})
        query = '{ governance { auditEvents(event: "RoleGranted") { totalCount } } }'
        graphql = httpx.post(f"{url}/graphql", json={"query": query}, timeout=120)
        assert len(filtered) == 1, f"the same filter was walked {len(filtered)} times"
        rows = export.text.strip().splitlines()[1:]
        assert len(rows) == again.json()["total"] > 0
        assert graphql.json()["data"]["governance"]["auditEvents"]["totalCount"] == len(rows)
        assert all(",RoleGranted," in row for row in rows)


# ------------------------------------------------------------------ refusal scan (SEC-111)

FAILED_TRANSFERS = 120


def _counting_source(chain):
    """A ChainSource whose provider counts its round trips and the JSON-RPC calls in them."""
    from collections import Counter

    from web3 import HTTPProvider, Web3

    class Counting(HTTPProvider):
        def __init__(self, url):
            super().__init__(url)
            self.round_trips, self.calls = 0, Counter()

        def make_request(self, method, params):
            self.round_trips += 1
            self.calls[method] += 1
            return super().make_request(method, params)

        def make_batch_request(self, requests):
            self.round_trips += 1
            self.calls.update(method for method, _ in requests)
            return super().make_batch_request(requests)

    provider = Counting(chain.url)
    return ChainSource(Web3(provider), chain.record, chain.source.abis), provider


def test_sec_111__failed_transfers__a_page_read_makes_a_bounded_number_of_requests(chain):
    """SEC-111: the red team's attack on the compliance page — a stranger sends many failing
    `transfer`s straight to a security token (each mined with status 0, ~28k gas) — no longer
    costs 3-4 sequential RPCs each (transaction, trace, replay, block time) inside the page read:
    the read after FAILED_TRANSFERS of them makes as many round trips as a read with none plus a
    constant few (receipts, their blocks' times, one batch of traces), reads at most
    MAX_REASONS_PER_SYNC traces, counts every refusal at once, and later reads finish the
    reasons."""
    from keepers.console.index import EventIndex
    from keepers.console.pages import compliance

    w3 = chain.w3
    token = chain.source.contract("SecurityToken")
    stranger = chain.accounts[LIQUIDITY_ATTACKER]
    source, provider = _counting_source(chain)
    index = EventIndex(source)
    index.sync()
    compliance.read(source, index)  # the scanner's first pass, up to the head
    index.sync()
    provider.round_trips, provider.calls = 0, type(provider.calls)()
    compliance.read(source, index)
    baseline = provider.round_trips

    data = token.encode_abi("transfer", [stranger, 1])  # no balance: reverts
    hashes = [
        w3.eth.send_transaction(
            {"from": stranger, "to": token.address, "data": data, "gas": 90_000}
        )
        for _ in range(FAILED_TRANSFERS)
    ]
    receipts = [w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert {r["status"] for r in receipts} == {0}
    settled(chain, max(receipts, key=lambda r: r["blockNumber"]))
    index.sync()
    provider.round_trips, provider.calls = 0, type(provider.calls)()
    read = compliance.read(source, index)["refusals"]
    spent, traced = provider.round_trips, provider.calls["trace_transaction"]
    print(f"SEC-111: {spent} round trips ({baseline} with nothing new), {traced} traces")
    assert spent <= baseline + 6, f"{spent} round trips for one page read ({baseline} before)"

    from keepers.console.refusals import MAX_REASONS_PER_SYNC, REASON_NOT_READ

    assert read["total"] >= FAILED_TRANSFERS  # every refusal counted at once
    assert traced <= MAX_REASONS_PER_SYNC, f"{traced} traces in one page read"
    assert read["unread"] == read["total"] - MAX_REASONS_PER_SYNC
    recent = {r["tx"]: r for r in read["recent"]}
    assert all(recent[h.to_0x_hex()]["error"] != REASON_NOT_READ for h in hashes[-10:])

    for _ in range(FAILED_TRANSFERS // MAX_REASONS_PER_SYNC + 1):
        index.sync()
        read = compliance.read(source, index)["refusals"]
    assert read["unread"] == 0
    assert {g["error"] for g in read["by_code"]} - {"(no custom error)"}, read["by_code"]


# ------------------------------------------------------------------ RPC keys (SEC-112)

SECRET_PASSWORD, SECRET_KEY = "hunter2", "apikey0123456789"


def _keyed(url: str) -> str:
    """`url` with credentials and a key in its query, as an operator's provider URL has them
    (anvil answers it as it answers `url`)."""
    return url.replace("http://", f"http://operator:{SECRET_PASSWORD}@") + f"/?apikey={SECRET_KEY}"


def test_sec_112__client_report_pdf__the_network_shows_no_credentials(tmp_path):
    """SEC-112: a client report read over a network given with credentials and a key in its RPC
    URL (what `client_report_at_head` stamps: the console's `--network`) prints the network's
    scheme and host only in its PDF footer and its JSON, never the key."""
    import io

    import numpy as np
    import pandas as pd

    from keepers.reports import DataStamp, Holding, client_report, render_client
    from pdf_text import flat, pdf_pages

    network = f"ethereum:mainnet:{_keyed('http://node.example:8545')}"
    holdings = (Holding("USDC", "cash_stablecoin", 1_000.0, 1.0), Holding("QTF", "tbill", 5, 100))
    days = pd.bdate_range("2023-01-02", periods=504)
    returns = pd.DataFrame(
        np.random.default_rng(3).normal(0, 0.001, (504, 2)), index=days, columns=["USDC", "QTF"]
    )
    report = client_report(
        "0x" + "c1" * 20,
        "PortfolioVault",
        DataStamp(network, 7, 1_764_050_000),
        holdings,
        returns,
        {"QTF": 1.0},
        "seeded synthetic returns",
        (),
        (),
    )
    out = io.BytesIO()
    render_client(report, out)
    text = flat(pdf_pages(out.getvalue()))
    assert "Data: ethereum:mainnet:http://node.example:8545/…, block 7" in text
    for secret in (SECRET_PASSWORD, SECRET_KEY):
        assert secret not in text and secret not in json.dumps(report.to_json())


def test_sec_112__cli_error_and_logs__the_rpc_url_is_cut_to_its_host(chain, tmp_path):
    """SEC-112: a CLI error quoting the network (`quantera console` on a network that does not
    answer) and a log record with a traceback quoting it (what uvicorn logs for a failed request
    or start) show the URL's scheme and host only."""
    import io
    import logging
    import os
    import subprocess

    from conftest import BIN

    network = f"ethereum:local:{_keyed('http://127.0.0.1:1')}"
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(chain.folder))
    run = subprocess.run(
        [str(BIN / "quantera"), "console", "--port", "0", "--network", network],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: cannot connect to ethereum:local:http://127.0.0.1:1/…"), line
    assert SECRET_PASSWORD not in run.stderr + run.stdout and SECRET_KEY not in run.stderr

    from keepers.core.redact import redact_logs

    stream = io.StringIO()
    logger = logging.getLogger("sec112.uvicorn")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        redact_logs("sec112.uvicorn")
        try:
            raise ConnectionError(f"Max retries exceeded with url: /?apikey={SECRET_KEY}")
        except ConnectionError:
            logger.exception("cannot reach %s", _keyed("http://127.0.0.1:1"))
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "cannot reach http://127.0.0.1:1/…" in logged and "ConnectionError" in logged
    assert SECRET_PASSWORD not in logged and SECRET_KEY not in logged


def _asked_logs(source) -> list[tuple[int, int]]:
    """The block ranges `source`'s index asks `eth_getLogs` for, recorded as it asks."""
    asked: list[tuple[int, int]] = []
    real = source.w3.eth.get_logs

    def get_logs(params):
        asked.append((int(params["fromBlock"]), int(params["toBlock"])))
        return real(params)

    source.w3.eth.get_logs = get_logs
    return asked


@pytest.mark.skipif(postgres.available() is not None, reason=str(postgres.available()))
def test_console_index__two_consoles_and_a_restart_on_one_postgresql_store(chain):
    """Issue 32 §2: the console's event index lives in the keeper store. A console on a
    PostgreSQL store indexes the deployment; a second console on the same store (and later a
    restarted one) asks the chain for no block the first indexed (only the blocks mined since)
    and serves the same audit export; a commitment mined afterwards reaches both."""
    from starlette.testclient import TestClient
    from web3 import Web3

    from keepers.console.app import create_app

    def console(url: str):
        source = ChainSource(Web3(Web3.HTTPProvider(chain.url)), chain.record, chain.source.abis)
        source.db_url = url
        return create_app(source, poll_seconds=3_600), _asked_logs(source)

    with postgres.postgres_server() as url:
        first, first_asked = console(url)
        with TestClient(first, base_url="http://127.0.0.1") as a:
            assert first_asked and first_asked[0][0] == chain.record.block
            health = a.get("/health").json()
            assert health["index_store"] == "postgresql"
            indexed = first.state.index.head
            second, second_asked = console(url)
            with TestClient(second, base_url="http://127.0.0.1") as b:
                assert all(start > indexed for start, _ in second_asked), second_asked
                assert second.state.index.head >= indexed
                audit = a.get("/governance/audit.csv").text.splitlines()
                again = b.get("/governance/audit.csv").text.splitlines()
                assert len(audit) > 100 and audit[0] == again[0]  # the header, then the rows
                assert [r for r in again[1:] if int(r.split(",")[0]) <= indexed] == audit[1:]
                aggregator = chain.source.contract("LiquidityAggregator")
                tx = aggregator.functions.commit(_word(-1)).transact(
                    {"from": chain.accounts[LIQUIDITY_ATTACKER]}
                )
                receipt = chain.w3.eth.wait_for_transaction_receipt(tx)
                mined = receipt["blockNumber"]
                settled(chain, receipt)
                for app in (first, second):  # their live feeds' next poll
                    app.state.index.sync()
                for client in (a, b):
                    rows = client.get("/governance/audit.csv", params={"event": "Committed"})
                    assert f"\n{mined}," in rows.text, "the new commitment is missing"
        restarted, restarted_asked = console(url)
        with TestClient(restarted, base_url="http://127.0.0.1"):
            assert all(start > mined for start, _ in restarted_asked), restarted_asked
            assert restarted.state.index.head >= mined


def test_issue_33__graphiql_served_by_the_console__nothing_from_another_host(chain):
    """Issue 33 §3: GraphiQL loaded React and GraphiQL from a CDN, so it was blank offline. Its
    page now names scripts and styles of the console only (/vendor, /static), each of which the
    console serves; an unknown vendor name is a 404, never a file outside the list."""
    import re

    with _client(chain) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith(("/vendor/", "/static/")) for a in assets), assets
        assert "unpkg" not in page.text and "https://" not in page.text
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 100, asset
        assert client.get("/vendor/react.min.js").content.startswith(b"/**")  # React's bundle
        assert client.get("/vendor/package.json").status_code == 404
        assert client.get("/vendor/..%2Fpackage.json").status_code == 404
