"""What a person reads for a chain value, defined once for the console's pages, its audit log and
export, and `console sign`:

- an address with the name the deployment record gives it, else the roles the role table gives it
  (`0x15d3… (ADMIN)`), else bare;
- a role id with the role's name; a function selector with the function's name in the ABI of the
  contract it is for;
- calldata decoded to `function(argument=value, ...)` with the ABI of the contract it is sent to, a
  manager's `schedule`/`execute` showing the call inside it the same way (as a Safe or a block
  explorer shows it);
- a unix time as ISO 8601 UTC, a duration in seconds with its days and hours;
- a country code with its ISO 3166-1 name;
- a token's amount in whole units with its symbol.

The raw values stay where they were (an event's `args`, the JSON API, the CSV's own columns):
these are their display forms, shown beside them. Which argument is a time, a duration, a country
or an amount is read from its ABI type and name (the protocol's naming: `...At`, `...Until`,
`delay`, `country`, `amount`); a value that does not fit is shown as it is, never guessed."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import function_abi_to_4byte_selector, is_hex_address, to_checksum_address

# MAX_TIME: the last instant a calendar writes (9999-12-31T23:59:59Z): a later "time" is its
# number (defined once, beside the console's time filter).
from keepers.console.render import MAX_TIME
from keepers.core.units import format_amount, human_duration, iso_utc

# The AccessManager's arguments that are role ids: shown with the role's name.
ROLE_ARGUMENTS = frozenset({"roleId", "admin", "guardian", "role", "roleIds"})
# The AccessManager's functions whose `data` is a call to their `target` (shown decoded inside),
# and its `multicall(bytes[] data)`, whose calls are to the manager itself.
INNER_CALLS = frozenset({"schedule", "execute"})
SELF_CALLS = frozenset({"multicall"})
# Unix times by name, besides any `...At`, `...Until` or `...Time` (0 means "none": shown as 0);
# a block number named like a time is not one.
TIME_ARGUMENTS = frozenset(
    {"since", "schedule", "when", "eta", "expiry", "deadline", "timestamp", "maturity", "cutoff"}
)
BLOCK_ARGUMENTS = frozenset({"committedAt", "blockNumber"})
# Durations in seconds by name, besides any `...Delay`, `...Seconds`, `...Age`, `...Cooldown` or
# `...Duration`. Not `period` nor `...Period`: a fund's dealing period is a number
# (`requestPeriod`); `lossRefillPeriod` is the one period in seconds.
DURATION_ARGUMENTS = frozenset({"delay", "cooldown", "setback", "duration", "lossRefillPeriod"})
DURATION_SUFFIXES = ("Delay", "Seconds", "Age", "Cooldown", "Duration")
# ISO 3166-1 numeric codes by name.
COUNTRY_ARGUMENTS = frozenset(
    {"country", "countries", "countryCode", "jurisdiction", "fromCountry", "toCountry"}
)
# Amounts by name: in whole units with the symbol only where they are the token's own (below);
# anywhere else in base units, said so.
AMOUNT_ARGUMENTS = frozenset({"amount", "value", "amounts", "values"})
# The functions and events whose amounts are in the token's own unit (ERC-20 and ERC-3643): an
# amount anywhere else (an ERC-4626's assets, a pool's reserves in its asset, a payment in some
# other token) is never given the contract's unit.
TOKEN_UNIT_ENTRIES = frozenset(
    {
        "transfer",
        "transferFrom",
        "approve",
        "Transfer",
        "Approval",
        "mint",
        "burn",
        "forcedTransfer",
        "batchTransfer",
        "batchMint",
        "batchBurn",
        "batchForcedTransfer",
        "freezePartialTokens",
        "unfreezePartialTokens",
        "batchFreezePartialTokens",
        "batchUnfreezePartialTokens",
        "ForcedTransfer",
        "TokensFrozen",
        "TokensUnfrozen",
    }
)
# A symbol shown as a unit: a plain ticker, else the amount stays in base units (a symbol is the
# token's own text: a newline or an escape sequence in it must not reach a signer's screen).
SYMBOL = re.compile(r"^[A-Za-z0-9.$_-]{1,16}$")
# Calldata longer than this is not decoded for display (aliased offsets decode a few KB into
# megabytes): it is shown as its selector and length. `console sign` reads the operator's own
# batch with a larger bound (SIGN_DECODED_BYTES).
MAX_DECODED_BYTES = 16_384
SIGN_DECODED_BYTES = 131_072
# Display forms kept per describer (calls and events are read again at every page refresh).
MEMO_ENTRIES = 4_096
_UINT = ("uint", "int")
_DYNAMIC = ("string", "bytes")


def _is_time(name: str) -> bool:
    if name in BLOCK_ARGUMENTS:
        return False
    return name in TIME_ARGUMENTS or name.endswith(("At", "Until", "Time"))


def _is_duration(name: str) -> bool:
    return name in DURATION_ARGUMENTS or name.endswith(DURATION_SUFFIXES)


def duration(seconds: int) -> str:
    """Seconds as a person reads them beside the exact figure: `90,000 s (1 d 1 h)`; under a
    minute, `45 s`."""
    seconds = int(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds:,} s ({human_duration(seconds)})"


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


@dataclass(frozen=True)
class Unit:
    symbol: str
    decimals: int


@dataclass
class Describer:
    """Display forms for one deployment. `names`: checksummed address -> name (the record's
    contracts; `with_roles` adds the role table's holders); `abis`: checksummed address -> the ABI
    of the contract there (a record contract without one decodes nothing); `countries`: ISO
    numeric -> name; `unit_of`: a token's symbol and decimals by address (None: not a token; a
    failed read is asked again next time); `all_abis`: every compiled ABI, for an address outside
    the record (an operator's `--allow-target`)."""

    names: Mapping[str, str]
    abis: Mapping[str, Sequence[Mapping[str, Any]]]
    countries: Mapping[int, str] = field(default_factory=dict)
    unit_of: Callable[[str], Unit | None] = lambda _address: None
    role_names: Mapping[int, str] = field(default_factory=dict)
    all_abis: Sequence[Sequence[Mapping[str, Any]]] = ()
    # The record's contracts (a contract of the record decodes with its own ABI only) and its
    # address book (address -> name: accounts that are no contract, whose calls decode as any
    # address outside the record's: CON-88).
    contracts: frozenset[str] = frozenset()
    accounts: Mapping[str, str] = field(default_factory=dict)
    _units: dict[str, Unit | None] = field(default_factory=dict, repr=False)
    _memo: OrderedDict[tuple, str] = field(default_factory=OrderedDict, repr=False)
    # One describer serves the audit API, the CSV export's thread and GraphQL at once.
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _failed_reads: int = field(default=0, repr=False)  # unit reads that failed (not remembered)

    def with_roles(self, holders: Mapping[int, Iterable[str]]) -> Describer:
        """The same, naming each account that is not a contract of the record by the roles it
        holds (`role id -> holders`, the governance page's table; names as of that table)."""
        held: dict[str, list[str]] = {}
        for role, accounts in sorted(holders.items()):
            for account in accounts:
                held.setdefault(to_checksum_address(account), []).append(
                    self.role_names.get(int(role), str(role))
                )
        names = {a: ", ".join(r) for a, r in held.items()} | dict(self.names)
        # An address-book account keeps its roles beside its name (a contract its record name).
        for account, roles in held.items():
            if account in self.accounts and account not in self.contracts:
                names[account] = f"{self.accounts[account]}; {', '.join(roles)}"
        # The units already read are shared (a symbol change is read by the next process).
        return Describer(
            names,
            self.abis,
            self.countries,
            self.unit_of,
            self.role_names,
            self.all_abis,
            self.contracts,
            self.accounts,
            self._units,
        )

    # ------------------------------------------------------------------ single values

    def address(self, value: Any, full: bool = True) -> str:
        """`0xAbC… (Name)` with the record's or the role table's name; bare when it has none."""
        text = str(value)
        if not is_hex_address(text):
            return text
        address = to_checksum_address(text)
        shown = address if full else short(address)
        name = self.names.get(address)
        return f"{shown} ({name})" if name else shown

    def name(self, value: Any) -> str | None:
        text = str(value)
        return self.names.get(to_checksum_address(text)) if is_hex_address(text) else None

    def unit(self, address: str) -> Unit | None:
        """The token's unit, read once; a symbol that is not a plain ticker gives none (its
        amounts stay in base units). A read that fails is not kept: asked again next time."""
        address = to_checksum_address(address)
        if address not in self._units:
            try:
                unit = self.unit_of(address)
            except Exception:  # noqa: BLE001 - shown in base units this time, asked again later
                self._failed_reads += 1
                return None
            if unit is not None and not (SYMBOL.match(unit.symbol) and 0 <= unit.decimals <= 77):
                unit = None
            self._units[address] = unit
        return self._units[address]

    def selector(self, value: Any, target: Any = None) -> str:
        """A 4-byte selector with the function's name in its target's own ABI, or said to be
        none of the target's; no name at all without a known target (never another contract's
        function name)."""
        raw = _bytes(value)
        text = "0x" + raw.hex()
        if target is None or not is_hex_address(str(target)):
            return text
        abi = self.abis.get(to_checksum_address(str(target)))
        if abi is None:
            return f"{text} (no ABI for {self.address(target)})"
        fn = next(iter(_by_selector(abi).get(raw, ())), None)
        return (
            f"{text} ({fn['name']})" if fn else f"{text} (not a function of {self.address(target)})"
        )

    def show(
        self, abi_input: Mapping[str, Any], value: Any, unit: Unit | None = None, target: Any = None
    ) -> str:
        """One argument's display form, by its ABI type and name. `unit`: the token whose own
        amounts these are; `target`: the contract a selector or calldata argument is for."""
        kind = str(abi_input.get("type", ""))
        name = str(abi_input.get("name") or "")
        if abi_input.get("indexed") and (kind in _DYNAMIC or kind.endswith("]") or "tuple" in kind):
            # An indexed dynamic value: the log holds its keccak256 only.
            return f"keccak256 {value} (indexed: the value is not in the log)"
        if kind.endswith("]"):
            inner = {**abi_input, "type": kind[: kind.rindex("[")], "name": name}
            return "[" + ", ".join(self.show(inner, v, unit, target) for v in value) + "]"
        if kind == "tuple":
            components = abi_input.get("components", [])
            values = (
                [value.get(c["name"]) for c in components] if isinstance(value, Mapping) else value
            )
            return (
                "("
                + ", ".join(
                    f"{c['name']}={self.show(c, v, unit, target)}"
                    for c, v in zip(components, values, strict=False)
                )
                + ")"
            )
        if kind == "address":
            return self.address(value)
        if kind == "bool":
            return "true" if value in (True, "true", "True") else "false"
        if kind == "string":  # quoted and escaped: a newline in it cannot fake a line
            return json.dumps(str(value))
        if kind == "bytes4" and ("selector" in name.lower() or name == ""):
            return self.selector(value, target)
        if kind == "bytes" and name == "data" and target is not None:
            return self.call(target, value)
        if kind.startswith(("bytes",)):
            return "0x" + _bytes(value).hex()
        if kind.startswith(_UINT):
            return self._number(kind, name, int(value), unit)
        return str(value)

    def _number(self, kind: str, name: str, value: int, unit: Unit | None) -> str:
        if kind == "uint64" and name in ROLE_ARGUMENTS:
            role = self.role_names.get(value)
            return f"{value} ({role})" if role else str(value)
        if name in COUNTRY_ARGUMENTS:
            country = self.countries.get(value)
            return f"{value} ({country})" if country else str(value)
        if 0 < value <= MAX_TIME and _is_time(name):
            return iso_utc(value)
        if 0 < value <= MAX_TIME and _is_duration(name):
            return duration(value)
        if name in AMOUNT_ARGUMENTS and kind.startswith("uint"):
            if unit is not None:
                return format_amount(value, unit.decimals, unit.symbol)
            return f"{value} (base units)"  # ungrouped: the exact integer a signer compares
        return str(value)

    # ------------------------------------------------------------------ calls and events

    def decode(
        self, to: Any, data: Any, bound: int = MAX_DECODED_BYTES
    ) -> tuple[Mapping[str, Any], tuple[Any, ...]] | None:
        """`data` as a call of one of `to`'s functions (the record's ABI for a record contract;
        every compiled ABI for an address outside the record): the function's ABI entry and its
        arguments, or None when nothing decodes it exactly (no trailing bytes), or it is longer
        than `bound` bytes."""
        from eth_abi import decode, encode

        raw = _bytes(data)
        if len(raw) > bound:
            return None
        for abi in self._abis_for(to):
            for item in _by_selector(abi).get(raw[:4], ()):
                types = [canonical(i) for i in item.get("inputs", [])]
                try:
                    args = decode(types, raw[4:])
                except Exception:  # noqa: BLE001 - not this function's arguments
                    continue
                if encode(types, list(args)) != raw[4:]:
                    continue  # trailing bytes: not exactly this call
                return item, tuple(args)
        return None

    def call(
        self,
        to: Any,
        data: Any,
        keys: Callable[[Sequence], list[str]] | None = None,
        bound: int = MAX_DECODED_BYTES,
    ) -> str:
        """`function(argument=value, ...)`; a `schedule`/`execute`'s inner call and each call of
        the manager's `multicall` decoded the same way; data that decodes as no function of `to`
        (or is longer than `bound`) is shown as its selector and length."""
        raw = _bytes(data)
        key = ("call", str(to), hashlib.sha256(raw).digest(), keys or _keys, bound)
        remembered = self._recall(key)
        if remembered is not None:
            return remembered
        failed = self._failed_reads
        shown = self._call(to, raw, keys, bound)
        if self._failed_reads == failed:  # nothing read badly: the same next time
            self._remember(key, shown)
        return shown

    def _call(self, to: Any, raw: bytes, keys: Callable | None, bound: int) -> str:
        decoded = self.decode(to, raw, bound)
        if decoded is None:
            if not raw:
                return "0x (no calldata)"
            why = (
                f"not decoded: over {bound:,}"
                if len(raw) > bound
                else f"not a function of {self.address(to)}"
            )
            return f"0x{raw[:4].hex()}… ({len(raw):,} bytes, {why})"
        fn, args = decoded
        inputs = list(fn.get("inputs", []))
        by_name = {i.get("name"): a for i, a in zip(inputs, args, strict=True)}
        unit = (
            self.unit(to) if self._is_token(to) and fn.get("name") in TOKEN_UNIT_ENTRIES else None
        )
        # The contract a selector or inner call is for: the call's own `target` argument (a
        # manager's schedule, execute, setTargetFunctionRole), or the manager itself for the
        # calls of its multicall.
        target = to if fn.get("name") in SELF_CALLS else by_name.get("target")
        names = (keys or _keys)(inputs)
        parts = []
        for k, i, a in zip(names, inputs, args, strict=True):
            if fn.get("name") in SELF_CALLS and i.get("type") == "bytes[]":
                shown = "[" + ", ".join(self.call(to, b, keys, bound) for b in a) + "]"
            elif i.get("name") == "data" and fn.get("name") not in INNER_CALLS:
                shown = "0x" + _bytes(a).hex()  # only a schedule's or execute's data is a call
            else:
                shown = self.show(i, a, unit, target)
            parts.append(f"{k}={shown}")
        return f"{fn['name']}({', '.join(parts)})"

    def event(self, address: Any, event: str, args: Mapping[str, Any]) -> str:
        """An event's arguments as `name=value, ...` in its ABI's order, each in its display form
        (a token's own amounts in whole units); arguments the ABI does not name, as they are."""
        entry = self._event_abi(address, event, args)
        if entry is None:
            return ", ".join(f"{k}={_plain(v)}" for k, v in args.items())
        unit = (
            self.unit(address) if self._is_token(address) and event in TOKEN_UNIT_ENTRIES else None
        )
        inputs = entry.get("inputs", [])
        target = args.get("target")
        parts = [
            f"{i['name']}={self.show(i, args[i['name']], unit, target)}"
            for i in inputs
            if i.get("name") in args
        ]
        known = {i.get("name") for i in inputs}
        parts += [f"{k}={_plain(v)}" for k, v in args.items() if k not in known]
        return ", ".join(parts)

    def event_safely(self, address: Any, event: str, args: Mapping[str, Any]) -> str:
        """`event`, or, should a value defeat it, a note beside the raw arguments: one row never
        takes a page, an export or a search down."""
        digest = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).digest()
        key = ("event", str(address), event, digest)
        remembered = self._recall(key)
        if remembered is not None:
            return remembered
        failed = self._failed_reads
        try:
            shown = self.event(address, event, args)
        except Exception as err:  # noqa: BLE001 - the raw arguments stay shown beside it
            return f"(not shown: {type(err).__name__})"
        if self._failed_reads == failed:
            self._remember(key, shown)
        return shown

    def keywords(self, address: Any, event: str, args: Mapping[str, Any]) -> str:
        """What the audit filter matches besides the raw row, read from tables (no decoding):
        the names of the addresses among the arguments, and the function named by a selector or
        a `data` argument's first four bytes in its target's ABI."""
        words = []
        target = args.get("target")
        target_abi = (
            self.abis.get(to_checksum_address(str(target)))
            if target is not None and is_hex_address(str(target))
            else None
        )
        for key, value in args.items():
            text = str(value)
            if is_hex_address(text):
                words.append(self.names.get(to_checksum_address(text), ""))
            elif target_abi is not None and key in ("selector", "data") and text.startswith("0x"):
                fn = next(iter(_by_selector(target_abi).get(_bytes(text[:10]), ())), None)
                words.append(fn["name"] if fn else "")
        return " ".join(w for w in words if w)

    # ------------------------------------------------------------------ internals

    def _recall(self, key: tuple) -> str | None:
        with self._memo_lock:
            shown = self._memo.get(key)
            if shown is not None:
                self._memo.move_to_end(key)
            return shown

    def _remember(self, key: tuple, shown: str) -> None:
        with self._memo_lock:
            self._memo[key] = shown
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)

    def _abis_for(self, target: Any) -> list[Sequence[Mapping[str, Any]]]:
        """A record contract's own ABI (none when it has none: decoded with no other's); every
        compiled ABI for an address outside the record."""
        text = str(target) if target is not None else ""
        if is_hex_address(text):
            address = to_checksum_address(text)
            abi = self.abis.get(address)
            if abi is not None:
                return [abi]
            if address in self.contracts:
                return []
        return _distinct(self.all_abis or self.abis.values())

    def _is_token(self, address: Any) -> bool:
        """An ERC-20 of the record that is not an ERC-4626 (whose amounts are often its asset's)."""
        text = str(address)
        if not is_hex_address(text):
            return False
        abi = self.abis.get(to_checksum_address(text), ())
        names = {i.get("name") for i in _functions(abi)}
        return {"decimals", "symbol", "balanceOf"} <= names and "asset" not in names

    def _event_abi(
        self, address: Any, event: str, args: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        text = str(address)
        abi = self.abis.get(to_checksum_address(text), ()) if is_hex_address(text) else ()
        for item in abi:
            if item.get("type") == "event" and item.get("name") == event:
                if {i.get("name") for i in item.get("inputs", [])} >= set(args):
                    return item
        return None


def canonical(abi_input: Mapping[str, Any]) -> str:
    """The ABI type as eth_abi reads it (tuples spelled out)."""
    kind = abi_input["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical(c) for c in abi_input["components"]) + ")" + kind[5:]
    return kind


def _keys(inputs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(i.get("name") or k) for k, i in enumerate(inputs)]


def _functions(abi: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [i for i in abi if i.get("type") == "function"]


def _selector(item: Mapping[str, Any]) -> bytes:
    return function_abi_to_4byte_selector(dict(item))


# id(ABI) -> (the ABI, its functions by selector): computed once per ABI object (the ABIs are
# the compiled manifest's, loaded once per process; the ABI is kept so that its id stays its own).
_SELECTORS: dict[int, tuple[Any, dict[bytes, list[Mapping[str, Any]]]]] = {}


def _by_selector(abi: Sequence[Mapping[str, Any]]) -> dict[bytes, list[Mapping[str, Any]]]:
    cached = _SELECTORS.get(id(abi))
    if cached is None or cached[0] is not abi:
        table: dict[bytes, list[Mapping[str, Any]]] = {}
        for item in _functions(abi):
            table.setdefault(_selector(item), []).append(item)
        cached = (abi, table)
        _SELECTORS[id(abi)] = cached
    return cached[1]


def _distinct(abis: Iterable[Sequence[Mapping[str, Any]]]) -> list[Sequence[Mapping[str, Any]]]:
    seen: set[int] = set()
    out = []
    for abi in abis:
        if id(abi) not in seen:
            seen.add(id(abi))
            out.append(abi)
    return out


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    text = str(value)
    try:
        return bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        return b""


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@functools.cache
def country_names() -> Mapping[int, str]:
    """ISO 3166-1 numeric code -> name, from the jurisdiction table the deployment sets."""
    from keepers.compliance import load_jurisdictions

    return {j.iso: j.name for j in load_jurisdictions()}


def for_record(
    contracts: Mapping[str, str],
    abis: Mapping[str, Sequence[Mapping[str, Any]]],
    unit_of: Callable[[str], Unit | None] = lambda _address: None,
    accounts: Mapping[str, str] | None = None,
) -> Describer:
    """A describer of a deployment record (`name -> address`) with the compiled ABIs (`type ->
    ABI`): names, ABIs, countries and roles; amounts in base units unless `unit_of` reads a
    token's symbol and decimals. `accounts`: the record's address book (address -> name), the
    names of accounts that are not its contracts (a contract keeps its record name)."""
    from keepers.access import ROLE_NAMES
    from keepers.console.source import abi_name

    names: dict[str, str] = {to_checksum_address(a): n for a, n in (accounts or {}).items()}
    by_address: dict[str, Sequence[Mapping[str, Any]]] = {}
    for name, address in contracts.items():
        checksummed = to_checksum_address(address)
        names[checksummed] = name  # the last name of an address, as `console sign` has it
        abi = abis.get(abi_name(name))
        if abi is not None:
            by_address[checksummed] = abi
    book = {to_checksum_address(a): n for a, n in (accounts or {}).items()}
    return Describer(
        names,
        by_address,
        country_names(),
        unit_of,
        dict(ROLE_NAMES),
        list(abis.values()),
        frozenset(to_checksum_address(a) for a in contracts.values()),
        book,
    )


def for_source(source: Any) -> Describer:
    """The deployment's describer, made once per ChainSource (`for_record` of its record, each
    token's symbol and decimals read from the chain once; `with_roles` adds the role table's
    holders)."""
    cached = getattr(source, "_describer", None)
    if cached is not None:
        return cached

    def unit_of(address: str) -> Unit | None:
        # The console's one token reader: one batch, cached per chain, an unreadable token asked
        # again only after its retry delay (prices.token_meta).
        from keepers.console.prices import UNKNOWN_SYMBOL, token_meta

        symbol, decimals = token_meta(source, [address])[to_checksum_address(address)]
        if symbol == UNKNOWN_SYMBOL:
            raise LookupError(f"{address}: no readable symbol and decimals (asked again later)")
        return Unit(symbol, decimals)

    source._describer = for_record(
        source.record.contracts, source.abis, unit_of, source.record.accounts
    )
    return source._describer
