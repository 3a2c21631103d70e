"""State-changing actions, prepared and never signed here: each action turns an operator's form
into calls, routes each through the AccessManager as the institution's Safe would have to make it
(directly when the Safe may call at once, as a timelocked `schedule` when its role has a delay, or
refused with the reason), and returns the batch in the Safe Transaction Builder's JSON format, to
import into the multisig — or to sign locally with `quantera console sign --account ALIAS`.

Format: safe-global/safe-react-apps `apps/tx-builder` batch files (version 1.0): each transaction
either names its method and inputs (`contractMethod`, `contractInputsValues`, `data` null: what
the Safe app shows its signers) when every input is a plain type, or carries raw `data`
(`contractMethod` null). A value is keyed by its input's name, or by the input's index ("0",
"1"...) when the ABI leaves the input unnamed: the app's own rule (`contractField.name || index`).
`meta.checksum` is the app's: keccak-256 of its key-sorted serialisation of the batch with
`meta.name` set to null, so the app imports it without a "modified" warning.

Reading a batch to sign it (`batch_calldata`, `signable_calls`) gives each entry the one meaning
the Safe app gives it, or refuses the file: the app sends `data` whenever it is present and
ignores the method, so an entry whose `data` and method encode different calls (or a method whose
values are missing, extra, or written in a form two encoders could read differently) is refused,
as is a file whose checksum is not its own, a target outside the deployment record (unless the
operator names it), and a call that cannot be decoded for display.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_utils import (
    function_abi_to_4byte_selector,
    is_checksum_address,
    is_hex_address,
    keccak,
    to_checksum_address,
)

from keepers.console import describe
from keepers.console.source import ChainSource, ConsoleError

TX_BUILDER_VERSION = "1.16.5"
MAX_CALLS_PER_BATCH = 200
PLAIN_TYPES = ("address", "bool", "string", "bytes")
MANAGER = "QuanteraAccessManager"
# The AccessManager's functions whose `data` argument is another call: decoded for display too.
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)$")
_HEX = re.compile(r"^0x([0-9a-fA-F]{2})*$")


class ActionInputError(ConsoleError):
    """The operator's input is refused (shown next to the form, nothing prepared)."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # address | uint | int | bool | bytes32 | text | choice
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    # A picker instead of a pasted address: (the page data's list, each row's address key, its
    # label key); the form offers the rows as choices (any address may still be typed).
    picks: tuple[str, str, str] = ()


SAFE_FIELD = Field("safe", "Safe address", "address", "the multisig that will sign the batch")


@dataclass(frozen=True)
class Call:
    """One contract call: `contract` names the record entry (or the ABI type of `address`)."""

    contract: str
    function: str
    args: tuple[Any, ...]
    address: str | None = None
    # A security token's agent function: the token checks this capability of its caller
    # (`agentCapabilities`), not the AccessManager; `prepare` asks the token.
    capability: int | None = None
    # A function the target checks itself by a role of its AccessManager (`hasRole`), not by
    # the manager's wiring (UpgradeAuthority.veto, GUARDIAN): `prepare` asks `hasRole`.
    role: int | None = None


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    fields: tuple[Field, ...]
    build: Callable[[ChainSource, Mapping[str, Any]], Sequence[Call]]
    help: str = ""
    #: The (record contract, function) pairs the action calls, for "who may act" (shown beside
    #: the form before anything is prepared: `who_may_act`); `who` instead, for an action whose
    #: targets the operator picks (each fund's own stack): its lines from the chain.
    calls: tuple[tuple[str, str], ...] = ()
    who: Callable[[ChainSource], list[str]] | None = None


@dataclass
class Prepared:
    """A call as the Safe must send it, and why."""

    to: str
    data: str
    function_abi: dict[str, Any] | None
    values: dict[str, str] | None
    route: str  # "direct" | "scheduled (delay N s)"
    summary: str
    notes: list[str] = field(default_factory=list)


def parse_field(spec: Field, raw: Any) -> Any:
    """The typed value of one form field, or ActionInputError naming the field."""
    text = "" if raw is None else str(raw).strip()
    if text == "" and spec.default:
        text = spec.default
    if text == "":
        raise ActionInputError(f"{spec.label}: required")
    if spec.kind == "address":
        if not strict_address(text):
            raise ActionInputError(f"{spec.label}: {text!r} is not an address")
        return to_checksum_address(text)
    if spec.kind in ("uint", "int"):
        try:
            value = int(text.replace("_", "").replace(",", ""), 0)
        except ValueError:
            raise ActionInputError(f"{spec.label}: {text!r} is not an integer") from None
        if spec.kind == "uint" and value < 0:
            raise ActionInputError(f"{spec.label}: must not be negative")
        return value
    if spec.kind == "bool":
        if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ActionInputError(f"{spec.label}: {text!r} is not true or false")
        return text.lower() in ("true", "1", "yes", "on")
    if spec.kind == "bytes32":
        hexpart = text.removeprefix("0x")
        if len(hexpart) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexpart):
            raise ActionInputError(f"{spec.label}: expected 32 bytes as 0x + 64 hex digits")
        return bytes.fromhex(hexpart)
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ActionInputError(
                f"{spec.label}: {text!r} is not one of {', '.join(spec.choices)}"
            )
        return text
    return text


def json_array(label: str, text: str) -> list[Any]:
    """`text` read as a JSON array (empty: none), or ActionInputError naming `label`."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        raise ActionInputError(f"{label}: not a JSON array") from None
    if not isinstance(value, list):
        raise ActionInputError(f"{label}: not a JSON array")
    return value


def parse_form(action: Action, form: Mapping[str, Any]) -> dict[str, Any]:
    return {spec.name: parse_field(spec, form.get(spec.name)) for spec in action.fields}


def _function_abi(source: ChainSource, call: Call) -> tuple[Any, dict[str, Any]]:
    contract = (
        source.contract(call.contract, call.address, abi_of=call.contract)
        if call.address
        else source.contract(call.contract)
    )
    candidates = [
        item
        for item in contract.abi
        if item.get("type") == "function"
        and item["name"] == call.function
        and len(item.get("inputs", [])) == len(call.args)
    ]
    if not candidates:
        raise ActionInputError(f"{call.contract} has no function {call.function}/{len(call.args)}")
    return contract, candidates[0]


def _plain(abi_input: Mapping[str, Any]) -> bool:
    kind = abi_input["type"]
    return (
        kind in PLAIN_TYPES
        or (kind.startswith(("uint", "int")) and "[" not in kind)
        or (kind.startswith("bytes") and "[" not in kind)
    )


def _as_text(kind: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if kind == "address":
        return to_checksum_address(value)
    return str(value)


def encode_call(function_abi: Mapping[str, Any], args: Sequence[Any]) -> str:
    types = [describe.canonical(i) for i in function_abi.get("inputs", [])]
    selector = function_abi_to_4byte_selector({"type": "function", **function_abi})
    return "0x" + (selector + encode(types, list(args))).hex()


def prepare(source: ChainSource, safe: str, calls: Sequence[Call]) -> list[Prepared]:
    """Each call routed as `safe` must make it; ActionInputError if the Safe may not make it."""
    if len(calls) > MAX_CALLS_PER_BATCH:
        raise ActionInputError(f"{len(calls)} calls: a batch holds at most {MAX_CALLS_PER_BATCH}")
    record_manager = source.contract(MANAGER) if source.has(MANAGER) else None
    prepared: list[Prepared] = []
    for call in calls:
        contract, fn = _function_abi(source, call)
        try:
            manager = manager_of(source, contract, record_manager)
        except Exception as err:  # noqa: BLE001 - a contract outside the record may not answer
            raise ActionInputError(
                f"{call.contract} at {contract.address} did not answer authority(): "
                + _first_line(err)
            ) from None
        try:
            args = tuple(
                _coerce(i, a) for i, a in zip(fn.get("inputs", []), call.args, strict=True)
            )
            data = encode_call(fn, args)
        except (TypeError, ValueError, OverflowError) as err:
            raise ActionInputError(
                f"{call.contract}.{call.function}: arguments do not fit "
                f"({', '.join(i['type'] for i in fn.get('inputs', []))}): {err}"
            ) from None
        capability, role = call.capability, call.role
        call = Call(call.contract, call.function, args, call.address, capability, role)
        # A contract outside the record is named with its address (several share tokens have
        # one ABI name: the operator reads which one, not only the batch's `to`).
        target = call.contract if call.address is None else f"{call.contract} at {call.address}"
        summary = f"{target}.{call.function}({', '.join(_as_text('', a) for a in call.args)})"
        immediate, delay = True, 0
        if capability is not None:  # a token agent's function: the token asks, not the manager
            try:
                held = int(contract.functions.agentCapabilities(safe).call())
            except Exception as err:  # noqa: BLE001 - a token outside the record may not answer
                raise ActionInputError(
                    f"{target} did not answer agentCapabilities: {_first_line(err)}"
                ) from None
            if held & capability != capability:
                raise ActionInputError(
                    f"{safe} may not call {call.function} on {target}: it needs a token "
                    f"agent holding {_capability_names(capability)} on that token (it holds "
                    f"{_capability_names(held) or 'none'})"
                )
        elif role is not None and manager is not None:  # checked by the target: a member calls
            from keepers.access import ROLE_NAMES

            try:
                member = bool(manager.functions.hasRole(role, safe).call()[0])
            except Exception as err:  # noqa: BLE001 - an authority that is no AccessManager
                raise ActionInputError(
                    f"{target}'s authority {manager.address} did not answer hasRole: "
                    + _first_line(err)
                ) from None
            if not member:
                raise ActionInputError(
                    f"{safe} may not call {call.function} on {target}: it needs "
                    f"{ROLE_NAMES.get(role, 'role')} ({role}) in the AccessManager "
                    f"{describe.for_source(source).address(manager.address)}"
                )
        elif manager is not None:  # the manager's own functions too (OZ `_canCallSelf`)
            try:
                immediate, delay = manager.functions.canCall(
                    safe, contract.address, bytes.fromhex(data[2:10])
                ).call()
            except Exception as err:  # noqa: BLE001 - an authority that is no AccessManager
                raise ActionInputError(
                    f"{target}'s authority {manager.address} did not answer canCall: "
                    + _first_line(err)
                ) from None
            if not immediate and delay == 0:
                raise ActionInputError(
                    f"{safe} may not call {call.function} on {target}: "
                    + who_may_call(source, manager, contract.address, data[:10])
                )
        inputs = fn.get("inputs", [])
        keys = value_keys(inputs)
        # A method entry only when the Safe app reads it as this call: plain inputs, and one key
        # per input (two inputs of one name would share a value there); else raw `data`.
        simple = all(_plain(i) for i in inputs) and len(set(keys)) == len(keys)
        values = (
            {key: _as_text(i["type"], a) for key, i, a in zip(keys, inputs, call.args, strict=True)}
            if simple
            else None
        )
        if immediate:
            prepared.append(
                Prepared(contract.address, data, fn if simple else None, values, "direct", summary)
            )
            continue
        _, schedule_fn = _function_abi(source, Call(MANAGER, "schedule", (None, None, None)))
        schedule_args = (contract.address, bytes.fromhex(data[2:]), 0)
        prepared.append(
            Prepared(
                manager.address,
                encode_call(schedule_fn, schedule_args),
                schedule_fn,
                {"target": contract.address, "data": data, "when": "0"},
                f"scheduled (delay {delay} s)",
                summary,
                [
                    f"the Safe's role has a {delay} s execution delay: this schedules the call; "
                    f"prepare `execute` once it is ready (the Governance page shows its ETA)"
                ],
            )
        )
    return prepared


def _capability_names(flags: int) -> str:
    from keepers.compliance import AgentCapability

    return ", ".join(c.name for c in AgentCapability(flags & 0xFF) if c.name)  # members, ALL out


# How many holders a refusal names (the role's newest grants first).
MAX_HOLDERS_NAMED = 5
# The grantees of a role confirmed with `hasRole`, at most (the newest first).
MAX_HOLDERS_CHECKED = 20
_ROLE_GRANTED = "0x" + keccak(text="RoleGranted(uint64,address,uint32,uint48,bool)").hex()
# RoleGranted is read back from the head in windows of the event index's size, at most this many
# (a node refuses a range or an answer too large; a chain's whole history is not read per line).
MAX_GRANT_WINDOWS = 50


def _grantees(source: ChainSource, manager: str, role: int, first: int) -> tuple[list[str], bool]:
    """The accounts `role`'s RoleGranted logs name, newest first, each once: read back from the
    head in windows of LOG_WINDOW_BLOCKS down to block `first`, stopping once more than
    MAX_HOLDERS_CHECKED are found or after MAX_GRANT_WINDOWS windows. `complete`: every grant
    since `first` was read (never when `first` is above the head: not this chain's history)."""
    from keepers.console.index import LOG_WINDOW_BLOCKS

    end = int(source.w3.eth.block_number)
    if end < first:
        return [], False
    found: dict[str, None] = {}
    for _ in range(MAX_GRANT_WINDOWS):
        start = max(first, end - LOG_WINDOW_BLOCKS + 1)
        logs = source.w3.eth.get_logs(
            {
                "address": manager,
                "fromBlock": start,
                "toBlock": end,
                "topics": [_ROLE_GRANTED, "0x" + role.to_bytes(32, "big").hex()],
            }
        )
        for log in reversed(logs):
            found.setdefault(to_checksum_address("0x" + bytes(log["topics"][2]).hex()[-40:]), None)
        if start == first:
            return list(found), True
        if len(found) > MAX_HOLDERS_CHECKED:
            return list(found), False
        end = start - 1
    return list(found), False


def who_may_call(
    source: ChainSource, manager: Any, target: str, selector: str, subject: str = "it"
) -> str:
    """Who may make a call a Safe may not (issue 33 §3: "who may act"): the role the governing
    AccessManager requires for the function, and the accounts holding it there (its RoleGranted
    logs since the record's block, each confirmed by `hasRole`), named as the record names them;
    the manager named too, since a fund's stack may answer to one of its own. A read that fails
    leaves the part it would have given out, never the refusal."""
    from keepers.access import ROLE_NAMES

    names = describe.for_source(source)
    where = f"the AccessManager {names.address(manager.address)}"
    own = source.has(MANAGER) and source.address(MANAGER).lower() == manager.address.lower()
    if not own:
        # Another authority (a fund stack's own): its answers are its own, not the deployment's.
        where += " (not the deployment's AccessManager: its roles and holders are its own word)"
    try:
        if manager.functions.isTargetClosed(target).call():
            return f"{where} has closed {names.address(target)} to every caller"
        role = int(
            manager.functions.getTargetFunctionRole(target, bytes.fromhex(selector[2:])).call()
        )
    except Exception:  # noqa: BLE001 - the refusal stands without the detail
        return f"{subject}: its role in {where} could not be read"
    role_name = f"{ROLE_NAMES.get(role, 'role')} ({role})"
    try:
        # The deployment's manager granted from the record's block on; another may be older.
        first = int(source.record.block or 0) if own else 0
        accounts, complete = _grantees(source, manager.address, role, first)
        # The newest grantees, at most MAX_HOLDERS_CHECKED of them, each confirmed: an authority
        # granting a role to thousands of accounts costs a bounded number of reads.
        newest = accounts[:MAX_HOLDERS_CHECKED]
        holders = [a for a in newest if manager.functions.hasRole(role, a).call()[0]]
    except Exception:  # noqa: BLE001 - the role is still worth naming
        return f"{subject} needs {role_name} in {where}"
    checked = ""
    every = complete and len(accounts) <= MAX_HOLDERS_CHECKED  # every grantee there is, checked
    if not every and accounts:
        counted = f"{len(accounts)}{'' if complete else ' or more'}"
        checked = f" (the newest {len(newest)} of {counted} grantees checked)"
    if not holders and every:
        return f"{subject} needs {role_name} in {where}, which no account holds"
    if not holders:
        unread = "" if complete else ": older grants were not read"
        return (
            f"{subject} needs {role_name} in {where}, which none of the grantees checked holds"
            f"{checked}{unread}"
        )
    shown = ", ".join(names.address(a) for a in holders[:MAX_HOLDERS_NAMED])
    more = (
        f" and {len(holders) - MAX_HOLDERS_NAMED} more" if len(holders) > MAX_HOLDERS_NAMED else ""
    )
    more += checked
    return f"{subject} needs {role_name} in {where}, held by {shown}{more}"


def who_may_act(source: ChainSource, action: Action) -> list[str]:
    """Who may make each call of `action` (issue 33 §3): per function, the role its AccessManager
    requires and the accounts holding it, on which authority (`who_may_call`), or the action's own
    `who`. A function the record does not have, or a read that fails, is said so in its line."""
    if action.who is not None:
        return action.who(source)
    record_manager = source.contract(MANAGER) if source.has(MANAGER) else None
    lines = []
    for name, function in action.calls:
        label = f"{name}.{function}"
        try:
            contract = source.contract(name)
            selector = selector_of(contract, function)
            manager = manager_of(source, contract, record_manager)
        except Exception:  # noqa: BLE001 - not in this deployment: said, the form stays usable
            lines.append(f"{label}: not in this deployment")
            continue
        if manager is None:
            lines.append(f"{label}: no AccessManager in the record")
            continue
        lines.append(who_may_call(source, manager, contract.address, selector, label))
    return lines


def selector_of(contract: Any, function: str) -> str:
    """`0x` + the 4-byte selector of `contract`'s function `function` (its ABI's first of that
    name); StopIteration when it has none."""
    fn = next(i for i in contract.abi if i.get("type") == "function" and i["name"] == function)
    return "0x" + function_abi_to_4byte_selector(fn).hex()


def _first_line(err: Exception) -> str:
    """An error's first line for a refusal (`keepers.core.reads.first_line`), any URL cut to its
    host (an RPC key in a transport error's message never reaches the browser)."""
    from keepers.core.reads import first_line
    from keepers.core.redact import redact_urls

    return redact_urls(first_line(err))


def manager_of(source: ChainSource, contract: Any, default: Any) -> Any:
    """The AccessManager that governs `contract`: its own `authority()` when it is AccessManaged
    (a fund's stack may have an authority of its own), else the record's."""
    if default is None or not any(i.get("name") == "authority" for i in contract.abi):
        return default
    authority = contract.functions.authority().call()
    if authority.lower() == default.address.lower():
        return default
    return source.contract(MANAGER, authority)


def _serialise(value: Any) -> str:
    """The tx builder's `serializeJSONObject` (keys sorted, JSON.stringify of leaves)."""
    if isinstance(value, list):
        return "[" + ",".join(_serialise(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        return (
            "{"
            + json.dumps(keys, separators=(",", ":"), ensure_ascii=False)
            + "".join(_serialise(value[k]) + "," for k in keys)
            + "}"
        )
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def checksum(batch: Mapping[str, Any]) -> str:
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    meta["name"] = None
    return "0x" + keccak(text=_serialise({**batch, "meta": meta})).hex()


def safe_batch(
    chain_id: int,
    safe: str,
    prepared: Sequence[Prepared],
    name: str,
    description: str,
    created_at_ms: int | None = None,
) -> dict[str, Any]:
    transactions = []
    for p in prepared:
        if p.function_abi is not None:
            method = {
                "inputs": [
                    {
                        "internalType": i.get("internalType", i["type"]),
                        "name": i["name"],
                        "type": i["type"],
                    }
                    for i in p.function_abi.get("inputs", [])
                ],
                "name": p.function_abi["name"],
                "payable": p.function_abi.get("stateMutability") == "payable",
            }
            transactions.append(
                {
                    "to": p.to,
                    "value": "0",
                    "data": None,
                    "contractMethod": method,
                    "contractInputsValues": p.values,
                }
            )
        else:
            transactions.append(
                {
                    "to": p.to,
                    "value": "0",
                    "data": p.data,
                    "contractMethod": None,
                    "contractInputsValues": None,
                }
            )
    batch: dict[str, Any] = {
        "version": "1.0",
        "chainId": str(chain_id),
        "createdAt": created_at_ms if created_at_ms is not None else int(time.time() * 1000),
        "meta": {
            "name": name,
            "description": description,
            "txBuilderVersion": TX_BUILDER_VERSION,
            "createdFromSafeAddress": to_checksum_address(safe),
            "createdFromOwnerAddress": "",
        },
        "transactions": transactions,
    }
    batch["meta"]["checksum"] = checksum(batch)
    return batch


def value_keys(inputs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The keys of a method entry's `contractInputsValues`: each input's name, or its index when
    the ABI leaves it unnamed (the Safe app's `contractField.name || index`)."""
    return [str(i.get("name") or k) for k, i in enumerate(inputs)]


def _method_calldata(k: int, tx: Mapping[str, Any]) -> str:
    """The calldata of a method entry, read strictly: every input plain-typed, one value per
    input under its key and no other, each value in the one form both encoders read alike."""
    method = tx["contractMethod"]
    inputs = method.get("inputs") or []
    values = tx.get("contractInputsValues") or {}
    if not isinstance(method.get("name"), str) or not method["name"]:
        raise ActionInputError(f"transaction {k}: its contractMethod has no name")
    if not isinstance(values, Mapping):
        raise ActionInputError(f"transaction {k}: contractInputsValues is not an object")
    keys = value_keys(inputs)
    if len(set(keys)) != len(keys):
        raise ActionInputError(
            f"transaction {k}: {method['name']} has two inputs of one name: which value is "
            "which is ambiguous"
        )
    if set(values) != set(keys):
        raise ActionInputError(
            f"transaction {k}: {method['name']} takes values for {keys}, the file gives "
            f"{sorted(values)}"
        )
    args = []
    for key, i in zip(keys, inputs, strict=True):
        if not _plain(i):
            raise ActionInputError(
                f"transaction {k}: input {key} of {method['name']} is a {i['type']}: "
                "only plain types are read from a method entry"
            )
        try:
            args.append(_strict(i["type"], values[key]))
        except (TypeError, ValueError) as err:
            raise ActionInputError(
                f"transaction {k}: input {key} of {method['name']} ({i['type']}): {err}"
            ) from None
    return encode_call({"type": "function", **method}, args)


def batch_calldata(batch: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(to, data) of every transaction of a batch file: the call the Safe Transaction Builder
    proposes for it (`data` when present, else the method encoded from its values), which is
    what `quantera console sign` sends. ActionInputError on a malformed file, and on an entry
    that two readers could read as two calls: `data` and a method that encode different calls,
    missing, extra or non-canonical values (`0x10` for a number, a mixed-case address whose
    checksum is wrong), value sent."""
    try:
        transactions = batch["transactions"]
        if not isinstance(transactions, list) or not transactions:
            raise ActionInputError("not a Safe Transaction Builder batch: no transactions")
        if len(transactions) > MAX_CALLS_PER_BATCH:
            raise ActionInputError(
                f"{len(transactions)} transactions: a batch holds at most {MAX_CALLS_PER_BATCH}"
            )
        out = []
        for k, tx in enumerate(transactions):
            if not strict_address(tx["to"]):
                raise ActionInputError(f"transaction {k}: {tx['to']!r} is not an address")
            to = to_checksum_address(tx["to"])
            if str(tx.get("value", "0")) not in ("0", ""):
                raise ActionInputError(f"transaction {k}: sends value; console batches never do")
            raw = tx.get("data")
            method = _method_calldata(k, tx) if tx.get("contractMethod") else None
            if raw:  # what the Safe app sends whenever it is there (JS truthiness: "0x" too)
                if not isinstance(raw, str) or not _HEX.match(raw) or len(raw) < 10:
                    raise ActionInputError(f"transaction {k}: data {str(raw)[:20]!r} is no call")
                if method is not None and method.lower() != raw.lower():
                    raise ActionInputError(
                        f"transaction {k}: its data and its contractMethod are two different "
                        "calls (the Safe app sends the data); refused"
                    )
                out.append((to, raw.lower()))
            elif method is not None:
                out.append((to, method))
            else:
                raise ActionInputError(f"transaction {k}: neither data nor contractMethod")
        return out
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ActionInputError(f"not a Safe Transaction Builder batch: {err!r}") from None


def verify_checksum(batch: Mapping[str, Any]) -> None:
    """ActionInputError unless `meta.checksum` is the batch's own (the file was changed after it
    was made: the Safe app would warn, `console sign` refuses)."""
    try:
        stated, computed = batch["meta"]["checksum"], checksum(batch)
    except (KeyError, TypeError, AttributeError):
        raise ActionInputError("the batch has no meta.checksum: refused") from None
    if stated != computed:
        raise ActionInputError(
            f"the batch's meta.checksum {stated} is not its own ({computed}): the file was "
            "changed after it was made; refused"
        )


@dataclass(frozen=True)
class SignedCall:
    """One transaction `console sign` sends, and how it reads."""

    to: str
    data: str
    target: str  # the deployment record's name (or "not in the record")
    text: str  # the decoded call, e.g. "grantRole(roleId=3 (OPERATOR), account=0x… , delay=0)"


def signable_calls(
    source: ChainSource, batch: Mapping[str, Any], allowed: Sequence[str] = ()
) -> list[SignedCall]:
    """The calls of a batch as `console sign` would send them, each decoded for the operator;
    ActionInputError on a batch that is not its checksum's, is for another chain, reads two ways
    (`batch_calldata`), targets a contract outside the deployment record (and not in `allowed`,
    the addresses the operator named), or holds a call no ABI of the project decodes."""
    verify_checksum(batch)
    if str(batch.get("chainId")) != str(source.chain_id):
        raise ActionInputError(
            f"the batch is for chain {batch.get('chainId')}, the network is chain {source.chain_id}"
        )
    names = _record_names(source)
    extra = {to_checksum_address(a) for a in allowed}
    out = []
    for k, (to, data) in enumerate(batch_calldata(batch)):
        if to not in names and to not in extra:
            raise ActionInputError(
                f"transaction {k}: {to} is not a contract of the deployment record; refused "
                "(name it with --allow-target if you mean it)"
            )
        text = describe_call(source, to, data, names, frozenset(extra), k)
        out.append(SignedCall(to, data, names.get(to, "not in the record"), text))
    return out


def _record_names(source: ChainSource) -> dict[str, str]:
    return {to_checksum_address(a): n for n, a in source.record.contracts.items()}


def describe_call(
    source: ChainSource,
    to: str,
    data: str,
    names: Mapping[str, str],
    allowed: set[str] | frozenset[str] = frozenset(),
    k: int = 0,
) -> str:
    """`data` sent to `to`, decoded with the ABI of the record's contract there (another of the
    project's ABIs for an allowed address outside it), as `keepers.console.describe` shows calls:
    `function(arg=value, ...)`, addresses named after the record, role ids after the protocol's
    roles, times in ISO 8601; a manager's `schedule`/`execute` shows the call inside it the same
    way (its target checked as the outer one is). ActionInputError when it, or the call inside
    it, does not decode: nothing is signed that cannot be shown."""
    describer = describe.for_source(source)
    _require_decodes(describer, to, data, names, frozenset(allowed), k)
    return describer.call(to, data, keys=value_keys, bound=describe.SIGN_DECODED_BYTES)


def _require_decodes(
    describer: describe.Describer,
    to: str,
    data: str,
    names: Mapping[str, str],
    allowed: frozenset[str],
    k: int,
    bound: int = describe.SIGN_DECODED_BYTES,
) -> None:
    """Refuses what would not be shown decoded: the call, the call a schedule or execute holds
    (its target in the record or allowed), each call of a manager's multicall (calls inside
    are shown with the display bound, so they are checked with it)."""
    decoded = describer.decode(to, data, bound)
    if decoded is None:
        raw = bytes.fromhex(data.removeprefix("0x"))
        raise ActionInputError(
            f"transaction {k}: {names.get(to) or to} has no function 0x{raw[:4].hex()} that "
            "decodes this data; refused (nothing is sent that cannot be shown)"
        )
    fn, args = decoded
    by_name = {i.get("name"): a for i, a in zip(fn.get("inputs", []), args, strict=True)}
    if fn["name"] in describe.INNER_CALLS and "data" in by_name and "target" in by_name:
        inner = to_checksum_address(by_name["target"])
        if inner not in names and inner not in allowed:
            raise ActionInputError(
                f"transaction {k}: {fn['name']} of a call to {inner}, not a contract of "
                "the deployment record; refused (name it with --allow-target if you mean it)"
            )
        inner_data = "0x" + bytes(by_name["data"]).hex()
        _require_decodes(
            describer, inner, inner_data, names, allowed, k, describe.MAX_DECODED_BYTES
        )
    if fn["name"] in describe.SELF_CALLS and isinstance(by_name.get("data"), (list, tuple)):
        for each in by_name["data"]:
            call = "0x" + bytes(each).hex()
            _require_decodes(describer, to, call, names, allowed, k, describe.MAX_DECODED_BYTES)


def _coerce(abi_input: Mapping[str, Any], value: Any) -> Any:
    """A JSON/form value as eth_abi wants it for `abi_input` (hex text for bytes, digits for ints,
    arrays and tuples element by element)."""
    kind = abi_input["type"]
    if kind.endswith("]"):
        inner = dict(abi_input, type=kind[: kind.rindex("[")])
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{kind} needs an array")
        return [_coerce(inner, v) for v in value]
    if kind == "tuple":
        components = abi_input["components"]
        if isinstance(value, Mapping):
            value = [value[c["name"]] for c in components]
        return tuple(_coerce(c, v) for c, v in zip(components, value, strict=True))
    if isinstance(value, str) and kind != "string":
        return _from_text(kind, value)
    return value


def strict_address(text: Any) -> bool:
    """0x and 40 hex digits, in one case or with a valid EIP-55 checksum (web3 refuses a mixed
    case whose checksum is wrong; eth_utils' `is_address` does not check it)."""
    if not isinstance(text, str) or not is_hex_address(text):
        return False
    digits = text[2:]
    return digits in (digits.lower(), digits.upper()) or is_checksum_address(text)


def _strict(kind: str, text: Any) -> Any:
    """A method entry's value in the one form the console writes and the Safe app reads alike:
    decimal digits for numbers, a valid (checksummed or one-case) address, `true`/`false`,
    0x-hex of whole bytes (exactly N for bytesN); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not text")
    if kind == "string":
        return text
    if kind == "address":
        if not strict_address(text):
            raise ValueError(f"{text!r} is not an address (or its checksum is wrong)")
        return to_checksum_address(text)
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text == "true"
    if kind.startswith(("uint", "int")):
        if not _DECIMAL.match(text):
            raise ValueError(f"{text!r} is not a decimal integer")
        return int(text)
    if kind.startswith("bytes"):
        if not _HEX.match(text):
            raise ValueError(f"{text!r} is not 0x-hex of whole bytes")
        raw = bytes.fromhex(text[2:])
        if kind != "bytes" and len(raw) != int(kind[5:]):
            raise ValueError(f"{text!r} is not {kind[5:]} bytes")
        return raw
    raise ValueError(f"type {kind} is not read from a method entry")


def _from_text(kind: str, text: str) -> Any:
    if kind == "address":
        return to_checksum_address(text)
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text == "true"
    if kind.startswith(("uint", "int")):
        return int(text, 0)
    if kind.startswith("bytes"):
        return bytes.fromhex(text.removeprefix("0x"))
    return text
