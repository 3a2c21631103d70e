"""Errors the CLI reports as one line (no traceback)."""

from dataclasses import dataclass


class QuanteraError(Exception):
    """A user-facing failure: bad input, missing file, inconsistent state. The message is the
    whole explanation."""


def revert_line(err: Exception) -> str:
    """A revert as one line: the custom error with its arguments (ape decodes it from the ABI,
    e.g. `InitialMarginBreached(account=0x…, ratioBps=14000, initialBps=15000)`), or the node's
    first line."""
    from ape.exceptions import CustomError

    if isinstance(err, CustomError):
        inputs = {i.name: i for i in err.abi.inputs}
        args = ", ".join(
            f"{k}={_shown(getattr(inputs.get(k), 'internal_type', None), v, k)}"
            for k, v in sorted(err.inputs.items())
        )
        return f"{err.abi.name}({args})"
    line = (str(err).splitlines() or [type(err).__name__])[0]
    return decode_error_data(line) or line


def decode_error_data(data: str) -> str | None:
    """Revert data (`0x` + selector + arguments) as `Error(name=value, ...)`, the error looked up
    among every project contract's errors: a revert raised by another contract than the one
    called (a token's compliance refusing a transfer the broker makes) is not in the called
    contract's ABI, so ape leaves it undecoded. None when no project error has the selector."""
    from eth_abi import decode

    text = data.strip()
    if not text.startswith("0x") or len(text) < 10:
        return None
    try:
        raw = bytes.fromhex(text[2:])
    except ValueError:
        return None
    abi = _project_errors().get(raw[:4])
    if abi is None:
        return None
    try:
        values = decode([i.canonical_type for i in abi.inputs], raw[4:])
    except Exception:  # noqa: BLE001 - not this error's encoding after all
        return None
    args = ", ".join(
        f"{i.name}={_shown(i.internal_type, v, i.name)}" for i, v in zip(abi.inputs, values)
    )
    return f"{abi.name}({args})"


_ERRORS: dict[bytes, object] = {}


@dataclass(frozen=True)
class _Input:
    name: str
    canonical_type: str  # a tuple spelled out: `(address,uint256)`
    internal_type: str | None


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    inputs: tuple[_Input, ...]


def _project_errors() -> dict[bytes, object]:
    """Selector -> error of every compiled project contract, read from the build manifest (no
    ape: a command reading a node directly decodes a revert too)."""
    if not _ERRORS:
        from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types

        from keepers.core.artifacts import project_abis

        try:
            compiled = project_abis()
        except QuanteraError:  # not built here: the revert stays as the node gave it
            return {}
        for abi in compiled.values():
            for entry in abi:
                if entry.get("type") != "error":
                    continue
                types = get_abi_input_types(entry)
                inputs = tuple(
                    _Input(i.get("name", ""), t, i.get("internalType"))
                    for i, t in zip(entry.get("inputs", []), types)
                )
                selector = function_abi_to_4byte_selector(entry)
                _ERRORS.setdefault(selector, _ErrorAbi(entry["name"], inputs))
    return _ERRORS


#: Error arguments named as times (unix seconds): shown in ISO 8601 UTC.
TIME_ARGUMENTS = frozenset({"deadline", "expiry", "maxExpiry", "timestamp", "maxTimestamp"})
#: The values read as a time: from 2001-09-09 (10**9 s; a smaller one, as a block number named
#: `committedAt`, is no time) to 2**40 s (year 36,812).
MIN_TIME, MAX_TIME = 10**9, 2**40
#: The longest text argument shown (a contract's string is the caller's or the issuer's).
MAX_TEXT = 120


def _shown(internal_type: str | None, value, name: str = "") -> str:
    """An error argument as a person reads it (issue 33 §2): an enum's member by name (`rule=Vol`,
    from the Solidity sources), bytes in hex; by the argument's name (the contracts' convention),
    a time (`…At`, `deadline`, `expiry`) in ISO 8601 UTC, USD (`…Usd`, 18 decimals) as money,
    basis points (`…Bps`) with their percentage; anything else as it is (a token amount stays in
    base units: the error does not say its token)."""
    from keepers.core.solidity_enums import member_name

    named = member_name(internal_type, value)
    if named is not None:
        return named
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):  # one line, bounded: written out, never obeyed
        from keepers.core.terminal import printable_line

        text = printable_line(value)
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… ({len(text)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        if (name.endswith("At") or name in TIME_ARGUMENTS) and MIN_TIME <= value < MAX_TIME:
            from keepers.core.units import iso_utc

            return iso_utc(value)
        if name.endswith("Usd"):
            from keepers.core.shown import money

            return money(value, exact=True)
        if name.endswith("Bps") or name == "bps":
            from decimal import Decimal

            return f"{value} ({Decimal(value) / 100:f}%)"
    return str(value)


def send_or_explain(what: str, send):
    """Runs `send()` (a transaction); a revert becomes a one-line QuanteraError naming `what`.
    Under the CLI, what was sent is named on stderr (keepers.core.chain.announce_sent)."""
    from ape.exceptions import ContractLogicError

    from keepers.core.chain import announce_sent

    try:
        receipt = send()
    except ContractLogicError as err:
        raise QuanteraError(f"{what} reverted: {revert_line(err)}") from None
    announce_sent(what, receipt)
    return receipt


def call_or_explain(what: str, contract, method: str, *args):
    """A view call; a revert becomes a one-line QuanteraError naming the error and its arguments.
    The revert data is read again by a plain eth_call (ape sometimes keeps only its arguments: a
    view served through a DELEGATECALL fallback) and decoded from the project's errors."""
    from ape.exceptions import ContractLogicError

    try:
        return getattr(contract, method)(*args)
    except ContractLogicError as err:
        data = _revert_data(contract, method, args)
        explained = decode_error_data(data) if data else None
        raise QuanteraError(f"{what} reverted: {explained or revert_line(err)}") from None


def _revert_data(contract, method: str, args) -> str | None:
    from ape import chain

    call = {"to": contract.address, "data": getattr(contract, method).encode_input(*args)}
    try:
        chain.provider.web3.eth.call(call)
    except Exception as err:  # noqa: BLE001 - web3's revert types vary: look for the data
        for value in (getattr(err, "data", None), *err.args):
            if isinstance(value, str) and value.startswith("0x"):
                return value
    return None
