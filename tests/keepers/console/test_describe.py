"""CON-83: what a person reads for a chain value (keepers/console/describe.py), with the project's
compiled ABIs and no chain: addresses named by the deployment record or the role table, role ids
by role, selectors by function, calldata decoded to function(arguments) with the inner call of a
`schedule`, unix times in ISO 8601 UTC, durations in days and hours, countries by ISO name, a
token's own amounts in whole units with its symbol; what does not decode is said, never guessed."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address

from keepers.access import ROLE_IDS, ROLE_NAMES
from keepers.console.describe import Describer, Unit, duration
from keepers.console.source import load_abis

MANAGER = to_checksum_address("0x" + "11" * 20)
AGGREGATOR = to_checksum_address("0x" + "22" * 20)
TOKEN = to_checksum_address("0x" + "33" * 20)
ENGINE = to_checksum_address("0x" + "44" * 20)
VENUE = to_checksum_address("0x" + "55" * 20)
GOVERNOR = to_checksum_address("0x" + "66" * 20)
STRANGER = to_checksum_address("0x" + "77" * 20)


POOL = to_checksum_address("0x" + "88" * 20)
WETH = to_checksum_address("0x" + "99" * 20)
# The record: names, and the compiled ABI type of each address that has one.
RECORD = {
    MANAGER: ("QuanteraAccessManager", "QuanteraAccessManager"),
    AGGREGATOR: ("LiquidityAggregator", "LiquidityAggregator"),
    TOKEN: ("SecurityToken.QSPX", "SecurityToken"),
    ENGINE: ("ComplianceEngine.QSPX", "ComplianceEngine"),
    VENUE: ("UniswapV2Pair.A.QSPX-USDC", None),
    POOL: ("LendingPool", "LendingPool"),  # an ERC-4626: its amounts are often its asset's
    WETH: ("WETH9", None),  # recorded from an external artifact: no project ABI
}


@pytest.fixture(scope="module")
def wide() -> Describer:
    """A describer of RECORD with the project's compiled ABIs, QSPX's and the pool's units."""
    abis = load_abis()
    names = {address: name for address, (name, _) in RECORD.items()}
    by_address = {a: abis[kind] for a, (_, kind) in RECORD.items() if kind is not None}
    units = {TOKEN: Unit("QSPX", 18), POOL: Unit("qUSDC", 12)}
    countries = {826: "United Kingdom", 276: "Germany"}
    return Describer(
        names,
        by_address,
        countries,
        units.get,
        dict(ROLE_NAMES),
        list(abis.values()),
        contracts=frozenset(names),
    )


@pytest.fixture(scope="module")
def describer(wide) -> Describer:
    """`wide` naming GOVERNOR by the roles it holds."""
    return wide.with_roles({ROLE_IDS["GOVERNOR"]: {GOVERNOR}, ROLE_IDS["ADMIN"]: {GOVERNOR}})


def _calldata(abi: list, name: str, *args) -> str:
    [fn] = [i for i in abi if i.get("type") == "function" and i["name"] == name]
    types = [i["type"] for i in fn["inputs"]]
    return "0x" + (function_abi_to_4byte_selector(fn) + encode(types, list(args))).hex()


def _scheduled(caller: str, target: str, data: str) -> dict:
    """An OperationScheduled event's arguments: operation 0xabab…, nonce 1, ready at
    2029-01-01T00:00:00Z."""
    return {
        "operationId": "0x" + "ab" * 32,
        "nonce": 1,
        "schedule": 1_861_920_000,
        "caller": caller,
        "target": target,
        "data": data,
    }


def test_con_83__a_scheduled_operation__caller_named_by_role_call_decoded_inside(describer):
    """An OperationScheduled row reads as the schedule's ISO time, the caller's roles, the
    target's record name and the scheduled call decoded with the target's ABI."""
    abi = describer.abis[AGGREGATOR]
    data = _calldata(abi, "unpauseVenue", VENUE)
    args = _scheduled(GOVERNOR, AGGREGATOR, data)
    shown = describer.event(MANAGER, "OperationScheduled", args)
    assert "schedule=2029-01-01T00:00:00Z" in shown
    assert f"caller={GOVERNOR} (ADMIN, GOVERNOR)" in shown
    assert f"target={AGGREGATOR} (LiquidityAggregator)" in shown
    assert f"data=unpauseVenue(venue={VENUE} (UniswapV2Pair.A.QSPX-USDC))" in shown
    assert data not in shown  # decoded, not the raw hex


def test_con_83__role_grant__role_by_name_delay_in_days_since_in_iso(describer):
    args = {
        "roleId": ROLE_IDS["GUARDIAN"],
        "account": STRANGER,
        "delay": 172_800,
        "since": 1_861_920_000,
        "newMember": True,
    }
    shown = describer.event(MANAGER, "RoleGranted", args)
    assert shown == (
        f"roleId={ROLE_IDS['GUARDIAN']} (GUARDIAN), account={STRANGER}, "
        "delay=172,800 s (2 d), since=2029-01-01T00:00:00Z, newMember=true"
    )


def test_con_83__a_function_role__the_selector_named_in_the_targets_abi(describer):
    selector = _calldata(describer.abis[AGGREGATOR], "pauseVenue", VENUE)[:10]
    args = {"target": AGGREGATOR, "selector": selector, "roleId": ROLE_IDS["GUARDIAN"]}
    shown = describer.event(MANAGER, "TargetFunctionRoleUpdated", args)
    assert f"selector={selector} (pauseVenue)" in shown and "(GUARDIAN)" in shown


def test_con_83__a_token_event__its_own_amount_in_whole_units_with_the_symbol(describer):
    shown = describer.event(TOKEN, "TokensFrozen", {"userAddress": STRANGER, "amount": 25 * 10**17})
    assert shown == f"userAddress={STRANGER}, amount=2.5 QSPX"
    # A non-token contract's amounts are not given a unit they do not have: base units, said so.
    assert describer.show({"type": "uint256", "name": "amount"}, 10**18) == (
        f"{10**18} (base units)"
    )


def test_con_83__a_jurisdiction__its_country_by_name_its_config_read_field_by_field(describer):
    config = {
        "allowed": True,
        "minInvestorClass": 2,
        "holderCap": 0,
        "nonAccreditedCap": 0,
        "inboundClosedUntil": 1_861_920_000,
    }
    args = {"country": 826, "previous": dict(config, allowed=False), "next": config}
    shown = describer.event(ENGINE, "JurisdictionSet", args)
    assert shown.startswith("country=826 (United Kingdom), previous=(allowed=false")
    assert "inboundClosedUntil=2029-01-01T00:00:00Z" in shown


def test_con_83__what_does_not_decode_is_said_not_guessed(describer):
    unknown = "0xdeadbeef" + "00" * 32
    shown = describer.call(AGGREGATOR, unknown)
    assert shown == (
        f"0xdeadbeef… (36 bytes, not a function of {AGGREGATOR} (LiquidityAggregator))"
    )
    # Trailing bytes after a valid call: not exactly that call.
    padded = _calldata(describer.abis[AGGREGATOR], "unpauseVenue", VENUE) + "00"
    assert "not a function of" in describer.call(AGGREGATOR, padded)
    assert describer.call(AGGREGATOR, "0x") == "0x (no calldata)"
    # An event the ABI does not know keeps its raw arguments.
    assert describer.event(STRANGER, "Unknown", {"x": 1, "y": "0xab"}) == "x=1, y=0xab"


def test_con_83__times_and_durations(describer):
    assert duration(45) == "45 s" and duration(90_000) == "90,000 s (1 d 1 h)"
    time = {"type": "uint48", "name": "validUntil"}
    assert describer.show(time, 0) == "0"  # none, not 1970
    assert describer.show(time, 1_861_920_000) == "2029-01-01T00:00:00Z"
    assert describer.show(time, 2**60) == str(2**60)  # beyond any clock: the number as it is
    assert describer.show({"type": "uint16", "name": "country"}, 999) == "999"  # unnamed code
    assert describer.show({"type": "string", "name": "s"}, 'a"\nb') == '"a\\"\\nb"'


# ------------------------------------------------------------------ an attacker's read (helper-76)
# Each test below failed on the first form of describe.py; the finding is named in its docstring.


def test_f1__a_time_past_year_9999__shown_as_its_number_never_an_exception(wide):
    """F1 (High): `validUntil = type(uint40).max` (what anyone's `verifyClaims` writes with no
    claim topic) or a schedule at 2**39 raised ValueError and took the governance page down."""
    for value in (2**40 - 1, 2**39, 253_402_300_800):
        shown = wide.show({"type": "uint40", "name": "validUntil"}, value)
        assert shown.startswith(str(value)), shown
    assert wide.show({"type": "uint40", "name": "validUntil"}, 253_402_300_799).startswith("9999")
    pause = _calldata(wide.abis[TOKEN], "pause")
    schedule = _calldata(wide.abis[MANAGER], "schedule", TOKEN, bytes.fromhex(pause[2:]), 2**39)
    assert "when=549755813888" in wide.call(MANAGER, schedule)
    from keepers.core.units import iso_utc

    assert iso_utc(2**39) == "549755813888 (beyond year 9999)"


def test_f2__an_erc4626_amount_in_the_asset__never_shown_in_the_share_unit(wide):
    """F2 (High): `withdrawReserves(10**12, to)` on a 6-decimal USDC pool (12-decimal shares) was
    shown to the signer as `amount=1 qUSDC`. A unit is applied only to a token's own transfer,
    mint, burn and freeze amounts; ERC-4626 contracts and every other amount stay base units,
    marked as such."""
    data = _calldata(wide.abis[POOL], "withdrawReserves", 10**12, STRANGER)
    assert wide.call(POOL, data) == (
        f"withdrawReserves(amount=1000000000000 (base units), to={STRANGER})"
    )
    transfer = _calldata(wide.abis[TOKEN], "transfer", STRANGER, 25 * 10**17)
    assert wide.call(TOKEN, transfer) == f"transfer(to={STRANGER}, amount=2.5 QSPX)"


def test_f3__a_selector_is_named_only_from_its_targets_own_abi(wide):
    """F3 (Medium): `setTargetFunctionRole(LendingPool, [a selector of another contract])` showed
    that selector under the other contract's function name."""
    foreign = _calldata(wide.abis[AGGREGATOR], "pauseVenue", STRANGER)[:10]
    data = _calldata(
        wide.abis[MANAGER], "setTargetFunctionRole", POOL, [bytes.fromhex(foreign[2:])], 3
    )
    shown = wide.call(MANAGER, data)
    assert f"selectors=[{foreign} (not a function of {POOL} (LendingPool))]" in shown, shown
    own = _calldata(wide.abis[AGGREGATOR], "pauseVenue", STRANGER)[:10]
    data = _calldata(
        wide.abis[MANAGER], "setTargetFunctionRole", AGGREGATOR, [bytes.fromhex(own[2:])], 2
    )
    assert f"selectors=[{own} (pauseVenue)]" in wide.call(MANAGER, data)


def test_f4__a_record_contract_without_an_abi__decodes_nothing(wide):
    """F4 (Medium): WETH9 (in the record, no project ABI) had a transfer decoded with
    SecurityToken's ABI, so `console sign` accepted it; a call to it decodes as nothing."""
    transfer = _calldata(wide.abis[TOKEN], "transfer", STRANGER, 10**18)
    assert wide.decode(WETH, transfer) is None
    assert "not a function of" in wide.call(WETH, transfer)
    # An address outside the record (an --allow-target) is still read with the project's ABIs.
    outside = to_checksum_address("0x" + "ab" * 20)
    assert wide.decode(outside, transfer) is not None


def test_f5__a_symbol_that_is_not_a_plain_ticker__never_reaches_the_text(wide):
    """F5 (Medium): a symbol with a newline or an escape sequence went verbatim into the listing
    `console sign` prints (a fake second transaction, concealed text)."""
    evil = Describer(
        wide.names,
        wide.abis,
        {},
        lambda _a: Unit("QSPX\n  2. pause()\x1b[8m", 18),
        {},
        list(wide.abis.values()),
    )
    shown = evil.call(TOKEN, _calldata(wide.abis[TOKEN], "transfer", STRANGER, 10**18))
    assert "\n" not in shown and "\x1b" not in shown
    assert shown.endswith("amount=1000000000000000000 (base units))")


def test_f6__calldata_past_the_display_bound__not_decoded(wide):
    """F6 (Medium): any calldata was decoded and re-encoded on every read (aliased offsets make
    124 KB decode to 120 MB); past MAX_DECODED_BYTES it is shown as selector and length."""
    from keepers.console.describe import MAX_DECODED_BYTES

    blob = b"\x01" * (MAX_DECODED_BYTES + 1)
    data = _calldata(wide.abis[MANAGER], "multicall", [blob])
    assert wide.decode(MANAGER, data) is None
    assert "bytes, not decoded" in wide.call(MANAGER, data)


def test_f6__the_audit_filter_reads_names_without_decoding(wide):
    """F6: the text filter matches names (record and roles), the event and a call's function
    name, read from tables, not by decoding every event."""
    args = _scheduled(STRANGER, AGGREGATOR, _calldata(wide.abis[AGGREGATOR], "unpauseVenue", VENUE))
    words = wide.keywords(MANAGER, "OperationScheduled", args)
    assert "LiquidityAggregator" in words and "unpauseVenue" in words


def test_f10_f11__a_period_number_is_not_a_duration__an_indexed_string_is_its_hash(wide):
    """F10: a dealing period's number showed as seconds (`3 s`). F11: an indexed string (only its
    keccak in the log) showed as if it were the string."""
    assert wide.show({"type": "uint256", "name": "period"}, 3) == "3"
    assert wide.show({"type": "uint256", "name": "requestPeriod"}, 4000) == "4000"
    assert wide.show({"type": "uint32", "name": "lossRefillPeriod"}, 86_400) == "86,400 s (1 d)"
    hashed = "0x" + "ab" * 32
    shown = wide.show({"type": "string", "name": "newSymbol", "indexed": True}, hashed)
    assert shown == f"keccak256 {hashed} (indexed: the value is not in the log)"


def test_f12__a_failed_unit_read_is_not_kept(wide):
    """F12: one failed read (a node timeout) kept the token's amounts in base units for the life
    of the process."""
    answers = iter([RuntimeError("timeout"), Unit("QSPX", 18)])

    def flaky(_address):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    d = Describer(wide.names, wide.abis, {}, flaky, {}, list(wide.abis.values()))
    transfer = _calldata(wide.abis[TOKEN], "transfer", STRANGER, 10**18)
    assert d.call(TOKEN, transfer).endswith("(base units))")
    assert d.call(TOKEN, transfer).endswith("amount=1 QSPX)")


def test_f13__a_managers_multicall__each_call_decoded(wide):
    """F13 (Info): the AccessManager's `multicall(bytes[])` showed its calls as hex blobs (a
    grantRole inside unseen); each is decoded as a call to the manager."""
    grant = _calldata(wide.abis[MANAGER], "grantRole", 0, STRANGER, 0)
    data = _calldata(wide.abis[MANAGER], "multicall", [bytes.fromhex(grant[2:])])
    shown = wide.call(MANAGER, data)
    assert f"data=[grantRole(roleId=0 (ADMIN), account={STRANGER}, executionDelay=0)]" in shown


def test_f5__console_sign_prints_chain_text_as_text():
    """F5: whatever a decoded line holds, `console sign` prints it as one visible line."""
    from keepers.core.terminal import printable_line as printable

    assert (
        printable("transfer(amount=1 Q\nSPX\x1b[8m)\r") == "transfer(amount=1 Q\\nSPX\\x1b[8m)\\r"
    )
    assert printable("grantRole(roleId=2 (GUARDIAN), account=0xAb…)") == (
        "grantRole(roleId=2 (GUARDIAN), account=0xAb…)"
    )


def test_review_a1__one_describer_many_threads__no_row_lost(wide, monkeypatch):
    """Review A1: the memo's look-up and eviction raced between the audit API, the CSV export's
    thread and GraphQL (a KeyError out of `event_safely`). Four threads over a memo of 8."""
    import sys
    import threading

    from keepers.console import describe

    monkeypatch.setattr(describe, "MEMO_ENTRIES", 8)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    d = Describer(wide.names, wide.abis, {}, lambda _a: None, dict(ROLE_NAMES), wide.all_abis)
    failures: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for k in range(3_000):
                value = (k * 7 + offset) % 40
                shown = d.event_safely(
                    TOKEN, "TokensFrozen", {"userAddress": STRANGER, "amount": value}
                )
                assert shown.endswith(f"amount={value} (base units)"), shown
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []  # before the lock: a KeyError in about one run of two
