"""State-changing actions, prepared and never signed here: each action turns an operator's form
into calls, routes each through the AccessManager as the institution's Safe would have to make it
(directly when the Safe may call at once, as a timelocked `schedule` when its role has a delay, or
refused with the reason), and returns the batch in the Safe Transaction Builder's JSON format, to
import into the multisig — or to sign locally with `quantera console sign --account ALIAS`.

Format: safe-global/safe-react-apps `apps/tx-builder` batch files (version 1.0): each transaction
either names its method and inputs (`contractMethod`, `contractInputsValues`, `data` null: what
the Safe app shows its signers) when every input is a plain type, or carries raw `data`
(`contractMethod` null). `meta.checksum` is the app's: keccak-256 of its key-sorted serialisation
of the batch with `meta.name` set to null, so the app imports it without a "modified" warning.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector, is_address, keccak, to_checksum_address

from keepers.console.source import ChainSource, ConsoleError

TX_BUILDER_VERSION = "1.16.5"
MAX_CALLS_PER_BATCH = 200
PLAIN_TYPES = ("address", "bool", "string", "bytes")
MANAGER = "QuanteraAccessManager"


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


SAFE_FIELD = Field("safe", "Safe address", "address", "the multisig that will sign the batch")


@dataclass(frozen=True)
class Call:
    """One contract call: `contract` names the record entry (or the ABI type of `address`)."""

    contract: str
    function: str
    args: tuple[Any, ...]
    address: str | None = None


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    fields: tuple[Field, ...]
    build: Callable[[ChainSource, Mapping[str, Any]], Sequence[Call]]
    help: str = ""


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
        if not is_address(text):
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
    types = [_canonical(i) for i in function_abi.get("inputs", [])]
    selector = function_abi_to_4byte_selector({"type": "function", **function_abi})
    return "0x" + (selector + encode(types, list(args))).hex()


def _canonical(abi_input: Mapping[str, Any]) -> str:
    kind = abi_input["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in abi_input["components"]) + ")" + kind[5:]
    return kind


def prepare(source: ChainSource, safe: str, calls: Sequence[Call]) -> list[Prepared]:
    """Each call routed as `safe` must make it; ActionInputError if the Safe may not make it."""
    if len(calls) > MAX_CALLS_PER_BATCH:
        raise ActionInputError(f"{len(calls)} calls: a batch holds at most {MAX_CALLS_PER_BATCH}")
    record_manager = source.contract(MANAGER) if source.has(MANAGER) else None
    prepared: list[Prepared] = []
    for call in calls:
        contract, fn = _function_abi(source, call)
        manager = _manager_of(source, contract, record_manager)
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
        call = Call(call.contract, call.function, args, call.address)
        summary = (
            f"{call.contract}.{call.function}({', '.join(_as_text('', a) for a in call.args)})"
        )
        immediate, delay = True, 0
        if manager is not None:  # the manager's own functions too (OZ `_canCallSelf`)
            immediate, delay = manager.functions.canCall(
                safe, contract.address, bytes.fromhex(data[2:10])
            ).call()
            if not immediate and delay == 0:
                raise ActionInputError(
                    f"{safe} may not call {call.function} on {call.contract}: no role of it "
                    "allows that function in the AccessManager"
                )
        simple = all(_plain(i) for i in fn.get("inputs", []))
        values = (
            {
                (i["name"] or f"arg{k}"): _as_text(i["type"], a)
                for k, (i, a) in enumerate(zip(fn["inputs"], call.args, strict=True))
            }
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


def _manager_of(source: ChainSource, contract: Any, default: Any) -> Any:
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


def batch_calldata(batch: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(to, data) of every transaction of a batch file, method entries encoded from their values
    (what `quantera console sign` sends). Raises ActionInputError on a malformed file."""
    try:
        transactions = batch["transactions"]
        out = []
        for k, tx in enumerate(transactions):
            to = to_checksum_address(tx["to"])
            if tx.get("contractMethod"):
                method = tx["contractMethod"]
                values = tx.get("contractInputsValues") or {}
                args = [_from_text(i["type"], values[i["name"]]) for i in method["inputs"]]
                out.append((to, encode_call({"type": "function", **method}, args)))
            elif tx.get("data"):
                out.append((to, str(tx["data"])))
            else:
                raise ActionInputError(f"transaction {k}: neither data nor contractMethod")
            if str(tx.get("value", "0")) not in ("0", ""):
                raise ActionInputError(f"transaction {k}: sends value; console batches never do")
        return out
    except (KeyError, TypeError, ValueError) as err:
        raise ActionInputError(f"not a Safe Transaction Builder batch: {err}") from None


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
