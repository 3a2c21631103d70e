"""Many view calls in one JSON-RPC batch (one round trip instead of one per call), decoded as ape
decodes a call (structs with named fields; one output unwrapped). For a keeper that marks every
account each block: the repository has no on-chain multicall, and a batch needs none.

A call that reverts fails the batch; the calls are then made one by one and a reverted one's result
is its ContractLogicError (the caller decides what an unreadable value means). Transport failures
are retried (keepers.core.retries) and raised after the last attempt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ape.exceptions import ContractLogicError

from keepers.core.retries import TRANSPORT_ERRORS, with_retries

# Calls per JSON-RPC batch (nodes cap a batch's size; Geth's default is 1,000).
BATCH_CALLS = 200

View = tuple[Any, str, Sequence[Any]]  # (ape contract instance, view name, arguments)


def read_views(calls: Sequence[View], block: int | str = "latest") -> list[Any]:
    """The results of `calls` in order, read at `block`."""
    results: list[Any] = []
    for start in range(0, len(calls), BATCH_CALLS):
        part = calls[start : start + BATCH_CALLS]
        results.extend(with_retries(lambda part=part: _batch(part, block)))
    return results


def _batch(calls: Sequence[View], block: int | str) -> list[Any]:
    from ape import chain, networks

    w3 = chain.provider.web3
    methods = [getattr(contract, name) for contract, name, _ in calls]
    try:
        with w3.batch_requests() as batch:
            for (contract, _, args), method in zip(calls, methods):
                data = method.encode_input(*args)
                batch.add(w3.eth.call({"to": contract.address, "data": data}, block))
            raw = batch.execute()
    except TRANSPORT_ERRORS:
        raise
    except Exception:  # noqa: BLE001 - a revert fails the whole batch: read one by one
        return [_one(method, args, block) for method, (_, _, args) in zip(methods, calls)]
    decoded = []
    for method, data in zip(methods, raw, strict=True):
        abi = _abi(method)
        values = networks.provider.network.ecosystem.decode_returndata(abi, bytes(data))
        decoded.append(values[0] if len(values) == 1 else tuple(values))
    return decoded


def _abi(method) -> Any:
    (abi,) = method.abis  # our views are not overloaded
    return abi


def _one(method, args: Sequence[Any], block: int | str) -> Any:
    try:
        return method(*args, block_id=block)
    except ContractLogicError as err:
        return err
