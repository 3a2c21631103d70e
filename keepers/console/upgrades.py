"""Proposed upgrades as the governance page and `ape run upgrade` show them, and the three calls
an upgrade takes, prepared as Safe batches like every console action (issue 34 §4).

`upgrade_rows` confirms the UpgradeAuthority's folded events (`keepers.access.pending_upgrades`)
with its `proposal` view, in one batch, and flags new code worth a look (`code_warnings`). The page
passes the events its index holds; `authority_events` reads them from the chain in windows (the
script, which has no index).

`propose_calls` runs the domain's checks first (keepers/access/upgrade_plan.py: the storage
layout against the deployed version's, and the code at the implementation against this build's);
`run_calls` and `veto_calls` take the id and read what was proposed from the chain, so the run is
exactly what was announced. The veto is checked by the authority itself (`hasRole` of GUARDIAN),
not wired: `Call.role` says so to `prepare`.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address

from keepers.access import (
    BEACON_SLOT,
    IMPLEMENTATION_SLOT,
    ROLE_IDS,
    UPGRADE_AUTHORITY,
    StoredEvent,
    address_arguments,
    check_build_code,
    check_build_current,
    check_layout,
    forwarding,
    pending_upgrades,
)
from keepers.console import describe
from keepers.console.actions import ActionInputError, Call
from keepers.console.calls import CallFailure, batch_call
from keepers.console.source import ChainSource, abi_name
from keepers.core.deploying import implementation_name, is_implementation
from keepers.core.jsonable import to_jsonable
from keepers.core.reads import first_line

PENDING = 1  # IUpgradeAuthority.Status.Pending
UPGRADE_LOGS = ("UpgradeProposed", "UpgradeVetoedBy", "ProxyUpgraded")
#: Windows of this many blocks, at most MAX_LOG_WINDOWS of them, per read of the authority's logs
#: (a node refuses a range too large; a chain's whole history is not read per command).
LOG_WINDOW_BLOCKS = 2_000
MAX_LOG_WINDOWS = 500
#: Pending upgrades whose new code is read (the soonest: three reads each); the rest are listed.
MAX_UPGRADE_ROWS = 50
#: `modules()` (IFundVault): the modules a dispatcher's code runs.
MODULES_SELECTOR = "0x" + keccak(text="modules()")[:4].hex()
#: Getters of an address a new version may change: the code the contract runs by DELEGATECALL
#: or calls without state of its own (a fix is a new module). Every other zero-argument getter of
#: an address is what the contract is built on (its asset, broker, registry, engine, oracle): the
#: same in the new code as in the code it runs (helper-106 M1).
REPLACEABLE = frozenset(
    (
        "modules",
        "marginModule",
        "liquidationModule",
        "viewsModule",
        "lossesModule",
        "adminModule",
        "basketModule",
        "validator",
    )
)
#: REPLACEABLE getters whose new value must be recorded as the old one's contract type: code the
#: contract calls that no constructor check binds (a registry's validator). A dispatcher's modules
#: are checked by its constructor (`moduleId`: their layout, role and what they are built on).
SAME_TYPE = frozenset(("validator",))
#: The one-module getters (REPLACEABLE but `modules()`) as selectors: the PrimeBroker's three, a
#: LendingPool's bad-debt module, a registry's validator (immutables of the code, UPG-8).
MODULE_GETTERS = tuple(
    "0x" + keccak(text=f"{name}()")[:4].hex() for name in sorted(REPLACEABLE - {"modules"})
)


def _stored(name: str, log: Any) -> StoredEvent:
    """A web3 log as the folds read it (bytes as 0x-hex, as the console's index stores them)."""
    return StoredEvent(name, log["blockNumber"], log["logIndex"], to_jsonable(dict(log["args"])))


def authority_events(
    source: ChainSource, from_block: int | None = None, to_block: int | None = None
) -> list[StoredEvent]:
    """The UpgradeAuthority's events from `from_block` (default: the record's block) to
    `to_block` (default: the head), oldest first. ActionInputError past MAX_LOG_WINDOWS windows:
    name a later `from_block`."""
    authority = source.contract(UPGRADE_AUTHORITY)
    end = source.head() if to_block is None else to_block
    start = int(source.record.block or 0) if from_block is None else from_block
    windows = (end - start) // LOG_WINDOW_BLOCKS + 1
    if windows > MAX_LOG_WINDOWS:
        raise ActionInputError(
            f"blocks {start}..{end} are {windows} windows of {LOG_WINDOW_BLOCKS} blocks, more "
            f"than {MAX_LOG_WINDOWS}: name a later first block"
        )
    events = []
    for low in range(start, end + 1, LOG_WINDOW_BLOCKS):
        high = min(low + LOG_WINDOW_BLOCKS - 1, end)
        for name in UPGRADE_LOGS:
            for log in getattr(authority.events, name).get_logs(from_block=low, to_block=high):
                events.append(_stored(name, log))
    return sorted(events, key=lambda e: (e.block_number, e.log_index))


def upgrade_rows(
    source: ChainSource,
    events: list[StoredEvent],
    block: int,
    now: int,
    records: describe.Describer,
) -> list[dict[str, Any]]:
    """The proposed upgrades the UpgradeAuthority still has pending at `block` (its `proposal`
    view: status 1), each with its ETA, the window's close, the proxy's and new code's names, the
    call decoded, and what to look at in the new code (`code_warnings`)."""
    if not source.has(UPGRADE_AUTHORITY):
        return []
    folded = pending_upgrades(events, now)
    if not folded:
        return []
    authority = source.contract(UPGRADE_AUTHORITY)
    calls = [(authority, "GRACE", ())]
    calls += [(authority, "proposal", (bytes.fromhex(up.upgrade_id[2:]),)) for up in folded]
    grace, *answers = batch_call(source, calls, block, allow_failure=True, limit=None)
    grace = 0 if isinstance(grace, CallFailure) else int(grace)
    rows = []
    for up, answer in zip(folded, answers, strict=False):
        if isinstance(answer, CallFailure):
            eta = up.eta  # the event's word
        elif int(answer[0]) == PENDING:  # not vetoed, run or expired (its window closed)
            eta = int(answer[1])
        else:
            continue
        rows.append(
            {
                **up.to_json(),
                "eta": eta,
                "ready_in_seconds": max(eta - now, 0),
                "closes_at": eta + grace,
                "closed": bool(grace) and now > eta + grace,
                "proxy_shown": records.address(up.proxy),
                "implementation_shown": records.address(up.implementation),
                # The calldata runs on the new code: decoded with the proxy's recorded ABI, which
                # the new code may not share.
                "call": records.call(up.proxy, up.data) if up.data not in ("", "0x") else "",
                # Every pending one is listed (a row hidden is a proposal nobody reads); the code
                # of the soonest MAX_UPGRADE_ROWS is read.
                "code_warnings": code_warnings(source, records, up, block)
                if len(rows) < MAX_UPGRADE_ROWS
                else [f"code not read: more than {MAX_UPGRADE_ROWS} upgrades pending"],
            }
        )
    return rows


def code_warnings(
    source: ChainSource, records: describe.Describer, up: Any, block: int
) -> list[str]:
    """What a reader of a proposed upgrade should look at before it runs (each a short phrase):
    a proxy no deployment recorded; new code no deployment recorded (nobody here built it), code
    recorded as another contract than this proxy's implementation (its immutables are that
    instance's: its token, its payment asset), or the code the proxy was deployed with while it
    now runs other code (a rollback: the code a fix replaced); code that does not run itself
    (`forwarding`: a clone, a proxy, a delegated account — what runs can change without a
    proposal); code at the address that is not the code proposed (its hash differs from the
    announcement's); and modules the code runs (`modules()`) that are no contract of the
    deployment record (the address book names accounts, not code). Up to ten reads per row, at
    `block`; a read that fails is said in the row, never the page."""
    warnings = []
    name, proxy_name = records.name(up.implementation), records.name(up.proxy)
    recorded_code = implementation_name(proxy_name) if proxy_name else None
    if not proxy_name:
        warnings.append("a proxy no deployment recorded")
    if not name:
        warnings.append("code no deployment recorded")
    elif name != recorded_code:
        warnings.append(f"code recorded as {name}")
    eth = source.w3.eth
    try:
        code = bytes(eth.get_code(up.implementation, block))
        slots = [
            bytes(eth.get_storage_at(up.implementation, slot, block))
            for slot in (IMPLEMENTATION_SLOT, BEACON_SLOT)
        ]
        running = bytes(eth.get_storage_at(up.proxy, IMPLEMENTATION_SLOT, block))[-20:]
    except Exception as err:  # noqa: BLE001 - one row's reads; the page stands
        return [*warnings, f"code unreadable: {first_line(err)[:120]}"]
    if name and name == recorded_code and any(running):
        current = to_checksum_address(running)
        if current != to_checksum_address(up.implementation):
            warnings.append(
                f"a rollback: the code it was deployed with, not the code it runs ({current})"
            )
    if up.codehash and "0x" + keccak(code).hex() != up.codehash.lower():
        warnings.append("the code at this address is not the code proposed")
    forwards = forwarding(code, *slots)
    if forwards:
        warnings.append(f"forwards: {forwards}")
    if proxy_name and any(running) and source.has(proxy_name):
        try:
            changed = built_on_changes(
                source, proxy_name, up.implementation, to_checksum_address(running), block
            )
            # Its module getters are compared with the running code's and checked against the
            # record there: `_modules` below would say an unrecorded new module a second time.
            return [*warnings, *(f"built on {change}" for change in changed)]
        except Exception as err:  # noqa: BLE001 - one row's reads; the page stands
            warnings.append(f"what it is built on unreadable: {first_line(err)[:120]}")
    contracts = {a.lower() for a in source.record.contracts.values()}
    warnings += [
        f"runs module {m}, which no deployment recorded"
        for m in _modules(eth, up, block)
        if m.lower() not in contracts
    ]
    return warnings


def _modules(eth: Any, up: Any, block: int) -> list[str]:
    """The modules a proposed dispatcher's code runs by DELEGATECALL, read at `block`: its
    `modules()` (FundVault's) and each of MODULE_GETTERS it answers (the PrimeBroker's, a
    LendingPool's) — immutables of the implementation, so an upgrade replaces them too. Code
    answering none runs none: []."""
    found: list[str] = []
    answer = _call(eth, up.implementation, MODULES_SELECTOR, block)
    if len(answer) == 64:
        found += [to_checksum_address(answer[i + 12 : i + 32]) for i in (0, 32)]
    for selector in MODULE_GETTERS:
        answer = _call(eth, up.implementation, selector, block)
        if len(answer) == 32 and not any(answer[:12]) and any(answer[12:]):
            found.append(to_checksum_address(answer[12:]))
    return found


def _call(eth: Any, to: str, data: str, block: int) -> bytes:
    """`eth_call` of `data` on `to` at `block`; b"" when it reverts or the read fails."""
    try:
        return bytes(eth.call({"to": to, "data": data}, block))
    except Exception:  # noqa: BLE001 - no such function (not a dispatcher), or the read failed
        return b""


def built_on_changes(
    source: ChainSource, proxy_name: str, new_code: str, running: str, block: int | str
) -> list[str]:
    """What the proxy's contract is built on that differs between `new_code` and the code the
    proxy runs (`running`), read on both implementations at `block` in one batch (immutables; what
    reads storage answers the implementations' own, empty, on both):
    - every zero-argument view of the proxy's ABI whose answer holds an address (`navSource()`:
      an address and an instrument id), but REPLACEABLE: `<getter>() <new>, where the code it
      runs has <old>`; a getter the running code does not answer (the new version added it) is
      no change, one the new code no longer answers is;
    - the shares' `name()` and `symbol()` (KEPT_TEXT: immutables of a PortfolioVault's and a
      LendingPool's code, which an upgrade would otherwise rename unsaid; helper-109 L1);
    - each REPLACEABLE getter (modules, alone or a tuple of them: `modules()`) whose new module
      no deployment recorded, or recorded as a proxy's code, or (SAME_TYPE: a registry's
      validator) recorded as another contract type than the old one's (`_module_refusal`)
      (helper-107 M-2, L-1, L-2; helper-108: a vault's new admin module is a fix it takes)."""
    type_name = abi_name(proxy_name)
    getters, modules = [], []
    for entry in source.abis.get(type_name, []):
        outputs = [o.get("type") for o in entry.get("outputs", [])]
        if (
            entry.get("type") == "function"
            and entry.get("stateMutability") in ("view", "pure")
            and not entry.get("inputs")
            and (
                ("address" in outputs and all(t in STATIC_TYPES for t in outputs))
                or (entry.get("name") in KEPT_TEXT and outputs == ["string"])
            )
        ):
            (modules if entry["name"] in REPLACEABLE else getters).append(entry["name"])
    names = getters + modules
    if not names:
        return []
    old = source.contract(proxy_name, running, abi_of=type_name)
    new = source.contract(proxy_name, new_code, abi_of=type_name)
    calls = [(c, g, ()) for c in (new, old) for g in names]
    answers = batch_call(source, calls, block, allow_failure=True, limit=None)
    recorded = _recorded_names(source)
    said = []
    for getter, now, before in zip(names, answers, answers[len(names) :], strict=False):
        if isinstance(now, CallFailure):
            if not isinstance(before, CallFailure):
                said.append(f"{getter}() no answer, where the code it runs has {_shown(before)}")
            continue
        if isinstance(before, CallFailure) or _shown(now) == _shown(before):
            continue
        if getter not in modules:
            said.append(f"{getter}() {_shown(now)}, where the code it runs has {_shown(before)}")
            continue
        members = zip(_members(now), _members(before), strict=False)
        for new_module, old_module in members:
            why = _module_refusal(getter, recorded, new_module, old_module)
            if why:
                said.append(
                    f"{getter}() {_shown(now)}: {_shown(new_module)} is {why}, where the code it "
                    f"runs has {_shown(before)}"
                )
                break
    return said


def _members(answer: Any) -> list[Any]:
    return list(answer) if isinstance(answer, (list, tuple)) else [answer]


def _module_refusal(getter: str, names: dict[str, str], new: Any, old: Any) -> str | None:
    """Why a module a new version runs (`new`, where the running code runs `old`) is not one it
    may: no deployment recorded it, it is a proxy's code (empty storage), or (SAME_TYPE getters)
    it is recorded as another contract type than the old one. None when it may."""
    if _shown(new) == _shown(old):
        return None
    name = names.get(str(new).lower())
    if name is None:
        return "no contract the deployment recorded"
    if is_implementation(name):
        return f"{name}, a proxy's code"
    was = names.get(str(old).lower())
    if getter in SAME_TYPE and (was is None or abi_name(name) != abi_name(was)):
        return f"{name}, not a {abi_name(was) if was else 'recorded contract'}"
    return None


#: Text getters `built_on_changes` compares too: a share's name and symbol, immutables of the code
#: of a contract behind a proxy (PortfolioVault, LendingPool), kept by an upgrade.
KEPT_TEXT = frozenset(("name", "symbol"))

#: ABI types a getter compared by `built_on_changes` may answer (one word each).
STATIC_TYPES = frozenset(("address", "uint256", "uint8", "uint16", "uint32", "uint64", "bytes32"))


def _shown(answer: Any) -> str:
    """An answer of `built_on_changes`'s getters as text: an address checksummed, a tuple's
    members joined."""
    if isinstance(answer, (list, tuple)):
        return "(" + ", ".join(_shown(a) for a in answer) + ")"
    text = str(answer)
    if text.startswith("0x") and len(text) == 42:
        return to_checksum_address(text)
    return text


def _recorded_names(source: ChainSource) -> dict[str, str]:
    """address (lower case) -> the name the record gives it (the first, in record order)."""
    names: dict[str, str] = {}
    for name, address in source.record.contracts.items():
        names.setdefault(str(address).lower(), name)
    return names


def _running(source: ChainSource, proxy: str, block: int | str = "latest") -> str:
    """The implementation `proxy` runs (its ERC-1967 slot)."""
    word = bytes(source.w3.eth.get_storage_at(proxy, IMPLEMENTATION_SLOT, block))
    return to_checksum_address(word[-20:])


def _hex_bytes(label: str, text: str) -> bytes:
    text = (text or "").strip()
    body = text.removeprefix("0x")
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise ActionInputError(f"{label}: not hex bytes ({text[:20]!r})") from None


def propose_calls(
    source: ChainSource,
    proxy_name: str,
    new_type: str,
    implementation: str,
    constructor_args: list[Any],
    data: str = "",
) -> list[Call]:
    """`UpgradeAuthority.propose` moving the record's proxy `proxy_name` to `implementation`
    (then calling it with `data`), once both checks pass: `new_type`'s storage layout runs on the
    deployed version's storage, and `implementation` holds this build's `new_type` built with
    `constructor_args`. ActionInputError (one line) otherwise."""
    from keepers.core.errors import QuanteraError

    if not source.has(proxy_name) or not source.has(implementation_name(proxy_name)):
        raise ActionInputError(f"{proxy_name}: the deployment has no such proxy")
    try:
        implementation = to_checksum_address(implementation)
    except ValueError:
        raise ActionInputError(f"implementation: not an address ({implementation!r})") from None
    call_data = _hex_bytes("call data", data)
    try:
        check_build_current()
        check_layout(abi_name(proxy_name), new_type)
        check_build_code(source.w3, implementation, new_type, constructor_args)
        addresses = address_arguments(new_type, constructor_args)
    except QuanteraError as err:
        raise ActionInputError(str(err)) from None
    except Exception as err:  # noqa: BLE001 - a node's error reading the code: one line
        text = first_line(err)
        raise ActionInputError(f"cannot read the code at {implementation}: {text}") from None
    # This build's code with another module, registry or token passes the byte check: every
    # address it is built with must be one the deployment recorded.
    recorded = {a.lower() for a in source.record.contracts.values()}
    codes = {a.lower(): n for n, a in source.record.contracts.items() if is_implementation(n)}
    for name, address in addresses:
        if address.lower() not in recorded:
            raise ActionInputError(
                f"{new_type}'s constructor argument {name} is {address}, no contract the "
                "deployment record names: the new code would run with it"
            )
        if address.lower() in codes:
            raise ActionInputError(
                f"{new_type}'s constructor argument {name} is {address}, {codes[address.lower()]}"
                ": a proxy's code, whose own storage is empty (name the proxy)"
            )
    # What the contract is built on stays: only a module may change (helper-106 M1).
    try:
        running = _running(source, source.address(proxy_name))
        changed = built_on_changes(source, proxy_name, implementation, running, "latest")
    except Exception as err:  # noqa: BLE001 - the node's answer, said in one line (helper-107)
        text = first_line(err)
        raise ActionInputError(
            f"cannot read what {proxy_name}'s code is built on: {text}"
        ) from None
    if changed:
        raise ActionInputError(
            f"{new_type} at {implementation} is built on other contracts than {proxy_name}: "
            f"{'; '.join(changed)} (an upgrade keeps what a contract is built on; one built on "
            "others is a new contract: docs/architecture.md, Upgrades)"
        )
    return [
        Call(UPGRADE_AUTHORITY, "propose", (source.address(proxy_name), implementation, call_data))
    ]


def proposed(source: ChainSource, upgrade_id: str, from_block: int | None = None) -> StoredEvent:
    """The latest `UpgradeProposed` of `upgrade_id` (every one of an id carries the same
    arguments: the id is their hash), read back from the head in windows, filtered by the id, down
    to `from_block` (default: the record's block) or MAX_LOG_WINDOWS windows; ActionInputError
    when none is found."""
    authority = source.contract(UPGRADE_AUTHORITY)
    first = int(source.record.block or 0) if from_block is None else from_block
    end = source.head()
    wanted = bytes.fromhex(upgrade_id[2:])
    for _ in range(MAX_LOG_WINDOWS):
        if end < first:
            break
        start = max(first, end - LOG_WINDOW_BLOCKS + 1)
        logs = authority.events.UpgradeProposed.get_logs(
            from_block=start, to_block=end, argument_filters={"id": wanted}
        )
        if logs:
            latest = max(logs, key=lambda x: (x["blockNumber"], x["logIndex"]))
            return _stored("UpgradeProposed", latest)
        end = start - 1
    searched = f"blocks {max(first, end + 1)}..{source.head()}"
    raise ActionInputError(
        f"no upgrade {upgrade_id} was proposed to the UpgradeAuthority in {searched}"
    )


def _upgrade_id(text: str) -> str:
    body = (text or "").strip().removeprefix("0x")
    if len(body) != 64:
        raise ActionInputError(f"upgrade id: 32 bytes in hex expected ({text[:20]!r})")
    _hex_bytes("upgrade id", body)
    return "0x" + body.lower()


def run_calls(source: ChainSource, upgrade_id: str, from_block: int | None = None) -> list[Call]:
    """`UpgradeAuthority.upgrade` with exactly the arguments proposed under `upgrade_id`;
    ActionInputError unless the chain says it is pending and its notice has run out."""
    upgrade_id = _upgrade_id(upgrade_id)
    authority = source.contract(UPGRADE_AUTHORITY)
    status, eta = authority.functions.proposal(bytes.fromhex(upgrade_id[2:])).call()
    now = source.block_time()
    if int(status) != PENDING:
        raise ActionInputError(f"upgrade {upgrade_id} is not pending (status {int(status)})")
    if now < int(eta):
        raise ActionInputError(
            f"upgrade {upgrade_id} may run from {int(eta)}, {int(eta) - now} s from now"
        )
    event = proposed(source, upgrade_id, from_block)
    data = _hex_bytes("call data", str(event.args["data"]))
    return [
        Call(
            UPGRADE_AUTHORITY,
            "upgrade",
            (str(event.args["proxy"]), str(event.args["implementation"]), data),
        )
    ]


def veto_calls(source: ChainSource, upgrade_id: str) -> list[Call]:
    """`UpgradeAuthority.veto(upgrade_id)`, which the authority checks itself (GUARDIAN);
    ActionInputError unless the chain says it is pending and within its window."""
    upgrade_id = _upgrade_id(upgrade_id)
    authority = source.contract(UPGRADE_AUTHORITY)
    status, eta = authority.functions.proposal(bytes.fromhex(upgrade_id[2:])).call()
    if int(status) != PENDING:
        raise ActionInputError(f"upgrade {upgrade_id} is not pending (status {int(status)})")
    deadline = int(eta) + int(authority.functions.GRACE().call())
    if source.block_time() > deadline:
        raise ActionInputError(
            f"upgrade {upgrade_id}'s window closed at {deadline}: it can neither run nor be vetoed"
        )
    return [
        Call(
            UPGRADE_AUTHORITY,
            "veto",
            (bytes.fromhex(upgrade_id[2:]),),
            role=ROLE_IDS["GUARDIAN"],
        )
    ]
