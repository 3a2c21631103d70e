"""CON-94: what the governance page says about a proposed upgrade's new code, row by row (no
chain: a source whose reads are given). A read that fails is said in its row and never blanks the
page (an attacker's read of a5c90b6: one failing read took roles, operations and upgrades with
it); code at the address whose hash is not the announced one is said so."""

from __future__ import annotations

from types import SimpleNamespace

from eth_utils import keccak, to_checksum_address

from keepers.access import PendingUpgrade
from keepers.console.upgrades import code_warnings

PROXY, CODE = "0x" + "11" * 20, "0x" + "22" * 20
RUNTIME = bytes.fromhex("6080604052")


def _source(get_code, modules: bytes = b"", contracts=None, running: str | None = None):
    """A source whose reads are given: the code, `modules()`'s answer, the record's contracts, and
    the implementation the proxy runs (its ERC-1967 slot; none: zero)."""

    def storage(address, slot, block):
        if running and address == PROXY:
            return bytes(12) + bytes.fromhex(running[2:])
        return bytes(32)

    eth = SimpleNamespace(get_code=get_code, get_storage_at=storage, call=lambda *_: modules)
    record = SimpleNamespace(contracts=contracts or {})
    # No ABIs: what a proposed code is built on is read on a chain (UPG-8's drill), not here.
    return SimpleNamespace(w3=SimpleNamespace(eth=eth), record=record, has=lambda name: False)


def _names(recorded):
    return SimpleNamespace(name=lambda a: recorded.get(a), address=lambda a: a)


def _proposal(codehash: str) -> PendingUpgrade:
    return PendingUpgrade("0x" + "aa" * 32, PROXY, CODE, "0xAdmin", "0x", 100, 0, 1, codehash)


def test_code_warnings__the_proposed_code__recorded_as_the_proxys__nothing_to_say():
    names = _names({PROXY: "BondServicer.X", CODE: "BondServicer.X.implementation"})
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(_source(lambda *_: RUNTIME), names, proposal, 5) == []


def test_code_warnings__other_code_at_the_address__said():
    names = _names({PROXY: "BondServicer.X", CODE: "BondServicer.X.implementation"})
    proposal = _proposal("0x" + keccak(b"announced").hex())
    assert code_warnings(_source(lambda *_: RUNTIME), names, proposal, 5) == [
        "the code at this address is not the code proposed"
    ]


def test_code_warnings__a_module_the_code_runs_that_no_deployment_recorded__said():
    """An attacker's read of the vault behind a proxy: an upgrade of a FundVault replaces the
    modules it DELEGATECALLs (immutables of the implementation), and the proposed code's modules
    were not visible. Its `modules()` are read; one nobody recorded is said."""
    instant, admin = "0x" + "33" * 20, "0x" + "44" * 20
    names = _names(
        {
            PROXY: "FundVault.X",
            CODE: "FundVault.X.implementation",
            to_checksum_address(instant): "FundInstant.FundVault.X.1234abcd",
        }
    )
    answer = bytes(12) + bytes.fromhex(instant[2:]) + bytes(12) + bytes.fromhex(admin[2:])
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    contracts = {"FundInstant.FundVault.X.1234abcd": to_checksum_address(instant)}
    source = _source(lambda *_: RUNTIME, answer, contracts)
    assert code_warnings(source, names, proposal, 5) == [
        f"runs module {to_checksum_address(admin)}, which no deployment recorded"
    ]
    # A second read (helper-105, L2): a name from the address book is an account, not code the
    # deployment built: a module it names is still flagged.
    names.name = lambda a: (
        {to_checksum_address(admin): "Harbor (client)"}.get(a)
        or {
            PROXY: "FundVault.X",
            CODE: "FundVault.X.implementation",
        }.get(a)
    )
    assert code_warnings(source, names, proposal, 5) == [
        f"runs module {to_checksum_address(admin)}, which no deployment recorded"
    ]


def test_code_warnings__a_broker_or_pool_module_no_deployment_recorded__said():
    """UPG-8: the PrimeBroker and its pools behind proxies replace their modules with their code
    (immutables: `marginModule`, `liquidationModule`, `viewsModule`; a pool's `lossesModule`),
    which `modules()` does not name. Each is read; one nobody recorded is said."""
    from eth_utils import keccak as _keccak

    margin, liquidation = "0x" + "55" * 20, "0x" + "66" * 20
    answers = {
        "0x" + _keccak(text="marginModule()")[:4].hex(): margin,
        "0x" + _keccak(text="liquidationModule()")[:4].hex(): liquidation,
    }
    names = _names({PROXY: "PrimeBroker", CODE: "PrimeBroker.implementation"})
    source = _source(lambda *_: RUNTIME, contracts={"PrimeMargin.1234abcd": margin})

    def call(tx, block):
        address = answers.get(tx["data"])
        if address is None:
            raise ValueError("execution reverted")  # no such getter on this code
        return bytes(12) + bytes.fromhex(address[2:])

    source.w3.eth.call = call
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(source, names, proposal, 5) == [
        f"runs module {to_checksum_address(liquidation)}, which no deployment recorded"
    ]


def test_code_warnings__code_recorded_but_a_proxy_nobody_recorded__said_not_raised():
    """A second attacker's read (helper-105, M1): a proposal naming a proxy the record does not
    know, with recorded code, raised (the page and `upgrade status` blank for its whole window)."""
    names = _names({CODE: "FundVault.X.implementation"})
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(_source(lambda *_: RUNTIME), names, proposal, 5) == [
        "a proxy no deployment recorded",
        "code recorded as FundVault.X.implementation",
    ]


def test_code_warnings__the_code_the_proxy_was_deployed_with_while_it_runs_other__a_rollback():
    """helper-105, L1: after an upgrade the record still names the first code as the proxy's; a
    proposal back to it looked like the cleanest row. It is said to be a rollback."""
    names = _names({PROXY: "FundVault.X", CODE: "FundVault.X.implementation"})
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    fixed = "0x" + "55" * 20
    source = _source(lambda *_: RUNTIME, running=fixed)
    assert code_warnings(source, names, proposal, 5) == [
        "a rollback: the code it was deployed with, not the code it runs "
        f"({to_checksum_address(fixed)})"
    ]
    # The proxy running that very code: nothing to say.
    assert code_warnings(_source(lambda *_: RUNTIME, running=CODE), names, proposal, 5) == []


def test_code_warnings__a_failing_read__said_in_the_row_not_raised():
    def refused(*_):
        raise ConnectionError("node went away\ntrace")

    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(_source(refused), _names({}), proposal, 5) == [
        "a proxy no deployment recorded",
        "code no deployment recorded",
        "code unreadable: node went away",
    ]


def test_upgrade_rows__every_pending_one_listed__code_read_for_the_soonest(monkeypatch):
    """An attacker's read of 8b9768b: past the 50th pending proposal, rows were dropped without
    a word: an UPGRADER's fifty decoys hid the real one. Every pending one is listed."""
    from keepers.access import StoredEvent
    from keepers.console import upgrades

    count = upgrades.MAX_UPGRADE_ROWS + 1
    events = [
        StoredEvent(
            "UpgradeProposed",
            block,
            0,
            {
                "id": f"0x{block:064x}",
                "proxy": PROXY,
                "implementation": CODE,
                "admin": "0xA",
                "data": "0x",
                "eta": 1_000 + block,
                "codehash": "",
            },
        )
        for block in range(1, count + 1)
    ]
    monkeypatch.setattr(
        upgrades,
        "batch_call",
        lambda source, calls, *a, **k: [86_400] + [(1, 1_000 + i) for i in range(1, count + 1)],
    )
    monkeypatch.setattr(upgrades, "code_warnings", lambda *a: ["read"])
    source = SimpleNamespace(has=lambda name: True, contract=lambda name: object())
    rows = upgrades.upgrade_rows(source, events, 10, 0, _names({}))
    assert len(rows) == count
    assert rows[-1]["upgrade_id"] == f"0x{count:064x}"
    assert rows[-1]["code_warnings"] == [
        f"code not read: more than {upgrades.MAX_UPGRADE_ROWS} upgrades pending"
    ]
    assert rows[0]["code_warnings"] == ["read"]


def test_proposed__found_back_from_the_head_past_a_million_blocks_of_history():
    """An attacker's read of 8b9768b: the run form read the authority's logs forward from the
    record's block and refused past 500 windows (about 4.6 months on mainnet): the run of a
    recent proposal became impossible. It now reads back from the head, filtered by the id."""
    from keepers.console import upgrades

    upgrade_id = "0x" + "ab" * 32
    asked = []

    def get_logs(from_block, to_block, argument_filters):
        asked.append((from_block, to_block))
        if from_block <= 4_999_000 <= to_block:
            args = {
                "id": bytes.fromhex("ab" * 32),
                "proxy": PROXY,
                "implementation": CODE,
                "admin": "0xA",
                "data": b"",
                "eta": 1,
                "codehash": b"\x01" * 32,
            }
            return [{"args": args, "blockNumber": 4_999_000, "logIndex": 3}]
        return []

    authority = SimpleNamespace(
        events=SimpleNamespace(UpgradeProposed=SimpleNamespace(get_logs=get_logs))
    )
    source = SimpleNamespace(
        contract=lambda name: authority,
        head=lambda: 5_000_000,
        record=SimpleNamespace(block=0),
    )
    event = upgrades.proposed(source, upgrade_id)
    assert (event.block_number, event.args["proxy"], event.args["data"]) == (4_999_000, PROXY, "0x")
    assert asked == [(4_998_001, 5_000_000)]


def test_built_on_changes__a_getter_the_new_version_adds__no_change__one_it_drops__said(
    monkeypatch,
):
    """helper-107 L-2: a getter the running code does not answer (the new version added it)
    refused every upgrade of the contract; one the new code no longer answers is a change."""
    from keepers.console import upgrades

    abi = [
        {"type": "function", "name": n, "stateMutability": "view", "inputs": [], "outputs": o}
        for n, o in (
            ("asset", [{"type": "address"}]),
            ("added", [{"type": "address"}]),
            ("dropped", [{"type": "address"}]),
        )
    ]
    source = SimpleNamespace(
        abis={"LendingPool": abi},
        record=SimpleNamespace(contracts={}),
        contract=lambda name, address, abi_of: address,
    )
    asset = to_checksum_address("0x" + "77" * 20)
    failure = upgrades.CallFailure("execution reverted")
    # new: asset, added, dropped; then old: the same three
    answers = [asset, asset, failure, asset, failure, asset]
    monkeypatch.setattr(upgrades, "batch_call", lambda *_args, **_kw: answers)
    assert upgrades.built_on_changes(source, "LendingPool.USDC", CODE, PROXY, 5) == [
        f"dropped() no answer, where the code it runs has {asset}"
    ]


def test_built_on_changes__a_vaults_new_modules__recorded__no_change(monkeypatch):
    """A fourth read (helper-108, Medium): `modules()` (a vault's instant and admin modules, one
    tuple) was compared as what the vault is built on, so every fix shipping a new module (the
    fund drill's FundAdminNext) was refused and flagged. A module may change: each new one must be
    recorded, and not as a proxy's code; the same-type rule is the validator's alone (a module's
    role and layout are checked by its dispatcher's constructor, `moduleId`)."""
    from keepers.console import upgrades

    abi = [
        {
            "type": "function",
            "name": "modules",
            "stateMutability": "view",
            "inputs": [],
            "outputs": [{"type": "address"}, {"type": "address"}],
        }
    ]
    instant, old, new, stray = (
        to_checksum_address("0x" + c * 20) for c in ("a1", "a2", "a3", "a4")
    )
    contracts = {
        "FundInstant.FundVault.X.1234abcd": instant,
        "FundAdmin.FundVault.X.1234abcd": old,
        "FundAdminNext.fix": new,
        "FundVault.Y.implementation": stray,
    }
    source = SimpleNamespace(
        abis={"FundVault": abi},
        record=SimpleNamespace(contracts=contracts),
        contract=lambda name, address, abi_of: address,
    )
    answers = [[instant, new], [instant, old]]
    monkeypatch.setattr(upgrades, "batch_call", lambda *_args, **_kw: answers)
    assert upgrades.built_on_changes(source, "FundVault.X", CODE, PROXY, 5) == []
    answers[0] = [instant, stray]  # a proxy's code as a module: said
    [said] = upgrades.built_on_changes(source, "FundVault.X", CODE, PROXY, 5)
    assert said.startswith("modules() ") and "FundVault.Y.implementation" in said
