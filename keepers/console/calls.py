"""Many view calls in one JSON-RPC batch: a page reads tens of values per block, and one round trip
instead of one per call keeps it within its load-time budget on a busy machine.

Results are decoded as web3 would (a single output unwrapped, several as a tuple, structs as
tuples); a call that reverts (or answers what its ABI does not decode) raises ConsoleError naming
it, unless the caller allows failures: then its result is the reason, a str.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import decode
from eth_utils.abi import get_abi_output_types

from keepers.console.source import ChainSource, ConsoleError

MAX_BATCH_CALLS = 500

ViewCall = tuple[Any, str, Sequence[Any]]  # (web3 contract, function name, arguments)


class CallFailure(str):
    """The result of a call that failed, when the batch allows failures: its one-line reason (a
    str, so it is told from a string the call returns by its type)."""


def batch_call(
    source: ChainSource,
    calls: Sequence[ViewCall],
    block: int | str = "latest",
    blocks: Sequence[int | str] | None = None,
    allow_failure: bool = False,
) -> list[Any]:
    """The results of `calls`, in order, all read at `block` (or each at its entry of `blocks`:
    historical reads of the same batch). One failing call fails the batch, unless
    `allow_failure`: then the calls are made again one by one and a failed one's result is the
    one-line reason (a str), e.g. a node that no longer holds an old block's state."""
    if len(calls) > MAX_BATCH_CALLS:
        raise ConsoleError(f"{len(calls)} calls in one batch: at most {MAX_BATCH_CALLS}")
    if not calls:
        return []
    w3 = source.w3
    abis = []
    with w3.batch_requests() as batch:
        for k, (contract, name, args) in enumerate(calls):
            fn = contract.get_function_by_name(name)
            abis.append(fn.abi)
            batch.add(
                w3.eth.call(
                    {"to": contract.address, "data": contract.encode_abi(name, list(args))},
                    block if blocks is None else blocks[k],
                )
            )
        try:
            raw = batch.execute()
        except Exception as err:  # noqa: BLE001 - one revert fails the batch: say which batch
            if not allow_failure:
                raise ConsoleError(f"a batched read failed: {str(err).splitlines()[0]}") from None
            raw = None
    if raw is None:
        return [
            _one(source, call, block if blocks is None else blocks[k])
            for k, call in enumerate(calls)
        ]
    results = []
    for (contract, name, _), abi, data in zip(calls, abis, raw, strict=True):
        types = get_abi_output_types(abi)
        try:
            values = decode(types, bytes(data))
        except Exception:  # noqa: BLE001
            if not allow_failure:
                raise ConsoleError(f"{name} at {contract.address}: undecodable result") from None
            results.append(CallFailure(f"{name} at {contract.address}: undecodable result"))
            continue
        results.append(values[0] if len(values) == 1 else tuple(values))
    return results


def _one(source: ChainSource, call: ViewCall, block: int | str) -> Any:
    contract, name, args = call
    try:
        return contract.get_function_by_name(name)(*args).call(block_identifier=block)
    except Exception as err:  # noqa: BLE001 - the reason is the result
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        return CallFailure(f"{name} at block {block}: {reason}")
