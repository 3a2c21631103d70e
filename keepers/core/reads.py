"""The one way keepers and the console read views: many calls in JSON-RPC batches (one round trip
per BATCH_CALLS instead of one per call), over any connected web3 — the console's own, or ape's
provider's (`chain.provider.web3`) for a keeper. The domains' readers build their calls on it, so
that the keepers and the console read the chain alike.

A call is (contract, function name, arguments) with the contract a web3 contract or an ape
contract instance (only its address and the function's ABI are used). Results are decoded by the
function's ABI with eth_abi: one output unwrapped, several as a tuple, a struct as a tuple in
declaration order, addresses checksummed.

One implementation per transport: `Web3Reads` over a web3 (the console), `ApeReads` over ape's
provider (the keepers: a revert decoded by ape, transport failures retried).

A call that reverts fails its batch. `views` then raises ReadError naming it, or, with
`allow_failure`, makes the calls of that batch again one by one and gives a failed one's result as
a ReadFailure (a str: its one-line reason; told from a string the call returns by its type).

NOT done here: no multicall contract (none is deployed; a batch needs none), no caching, and a
batch is not atomic across blocks unless `block` pins one (every call of a `views` reads the
same `block`, or each its entry of `blocks`); events are read by each side's own index for now
(the console's `keepers.console.index`, the keepers' `keepers.core.scan`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi import decode, encode
from eth_abi.grammar import parse
from eth_utils import function_abi_to_4byte_selector, to_checksum_address
from eth_utils.abi import get_abi_input_types, get_abi_output_types
from web3.exceptions import (
    CannotHandleRequest,
    ContractLogicError,
    ProviderConnectionError,
    Web3RPCError,
)

# A transport's failure: the socket's, or web3's CannotHandleRequest — how ape's node provider (a
# web3 AutoProvider) reports an endpoint that stopped answering. Raised as it is, never read as a
# revert (keepers.core.retries retries these).
TRANSPORT_ERRORS = (ConnectionError, TimeoutError, OSError, CannotHandleRequest)
# What a read may meet besides a revert: the transport's failures and the node's own errors (a
# request timed out, a rate limit, a block it no longer holds: web3's Web3RPCError, which a revert
# is not). Never read as the call's answer: raised, and retried by ApeReads (safe for a read; a
# send is retried on TRANSPORT_ERRORS only, a node's refusal of a transaction being an answer).
NODE_ERRORS = (*TRANSPORT_ERRORS, Web3RPCError, ProviderConnectionError)
# Calls per JSON-RPC batch (nodes cap a batch's size; Geth's default is 1,000).
BATCH_CALLS = 200
# A read of "the chain now" is made this many blocks below its head, at a block the chain moved
# past (CON-96): a node may answer a read at its head from the block it is mining as it answers
# (anvil does: that block's state and time, one more second of interest on a pool's debt under
# the previous block's label; helper-111). The console's event index stops there.
SETTLE_BLOCKS = 1


def settled_block(head: int) -> int:
    """The last block a chain whose head is `head` moved past (SETTLE_BLOCKS below it)."""
    return max(head - SETTLE_BLOCKS, 0)


ViewCall = tuple[Any, str, Sequence[Any]]  # (contract, view name, arguments)
Block = int | str


class ReadError(Exception):
    """A batched read failed (a call reverted or answered what its ABI does not decode)."""


class ReadFailure(str):
    """The result of a call that failed, when the read allows failures: its one-line reason (a
    str), with the exception it came from in `error` (ape's ContractLogicError through ApeReads)."""

    error: Exception | None = None
    reason: str = ""  # the revert (or the node's answer) alone, without the call's name

    @classmethod
    def of(cls, call: _Prepared, reason: str, error: Exception | None = None) -> ReadFailure:
        failure = cls(f"{call.abi['name']} at {call.address} (block {call.block}): {reason}")
        failure.error, failure.reason = error, reason
        return failure

    def raise_error(self) -> None:
        """Raises what the call raised (its ContractLogicError), or a ReadError with the reason."""
        raise self.error if self.error is not None else ReadError(str(self))


def function_abi(contract: Any, name: str) -> Mapping[str, Any]:
    """The ABI entry of `contract`'s function `name` (a ViewContract, a web3 contract or an ape
    instance); our views are not overloaded."""
    if hasattr(contract, "function_abi"):  # keepers.core.views.ViewContract
        return contract.function_abi(name)
    if hasattr(contract, "get_function_by_name"):  # web3
        return contract.get_function_by_name(name).abi
    (abi,) = getattr(contract, name).abis  # ape
    return abi.model_dump(mode="json", by_alias=True)


def calldata(abi: Mapping[str, Any], args: Sequence[Any]) -> bytes:
    return function_abi_to_4byte_selector(abi) + encode(get_abi_input_types(abi), list(args))


class Web3Reads:
    """The read protocol over a connected web3 (the console's transport)."""

    def __init__(self, w3: Any):
        self.w3 = w3

    def views(
        self,
        calls: Sequence[ViewCall],
        block: Block = "latest",
        blocks: Sequence[Block] | None = None,
        allow_failure: bool = False,
    ) -> list[Any]:
        """The results of `calls` in order, each read at `block` (or at its entry of `blocks`)."""
        if blocks is not None and len(blocks) != len(calls):
            raise ValueError(f"{len(blocks)} blocks for {len(calls)} calls")
        prepared = [
            _Prepared(call, abi, calldata(abi, call[2]), block if blocks is None else blocks[k])
            for k, call in enumerate(calls)
            for abi in (function_abi(call[0], call[1]),)
        ]
        results: list[Any] = []
        for start in range(0, len(prepared), BATCH_CALLS):
            part = prepared[start : start + BATCH_CALLS]
            try:
                results.extend(self._batch(part))
            except ReadError:
                if not allow_failure:
                    raise
                results.extend(self._single(call) for call in part)
        return results

    def codes(self, addresses: Sequence[str], block: Block = "latest") -> list[bytes]:
        """The code of each of `addresses` at `block`, in order, in batches of BATCH_CALLS."""
        w3, codes = self.w3, []
        for start in range(0, len(addresses), BATCH_CALLS):
            with w3.batch_requests() as batch:
                for address in addresses[start : start + BATCH_CALLS]:
                    batch.add(w3.eth.get_code(to_checksum_address(address), block))
                codes.extend(bytes(code) for code in batch.execute())
        return codes

    def _batch(self, part: list[_Prepared]) -> list[Any]:
        w3 = self.w3
        try:
            with w3.batch_requests() as batch:
                for call in part:
                    batch.add(w3.eth.call({"to": call.address, "data": call.data}, call.block))
                raw = batch.execute()
        except ContractLogicError as err:  # a revert fails the whole batch; a node error is raised
            raise ReadError(f"a batched read failed: {first_line(err)}") from None
        return [call.decode(bytes(data)) for call, data in zip(part, raw, strict=True)]

    def _single(self, call: _Prepared) -> Any:
        """One call of a batch that failed: its result, or its ReadFailure (a revert, or an answer
        its ABI does not decode: the empty answer of an address without code among them). A node
        error is raised."""
        try:
            data = self.w3.eth.call({"to": call.address, "data": call.data}, call.block)
        except ContractLogicError as err:
            return self._revert(call, err)
        try:
            return call.decode(bytes(data))
        except ReadError as err:
            return ReadFailure.of(call, str(err))

    def _revert(self, call: _Prepared, err: Exception) -> ReadFailure:
        return ReadFailure.of(call, first_line(err), err)


class ApeReads(Web3Reads):
    """The read protocol over ape's connected provider (the keepers' transport): reads as
    Web3Reads does; a reverted call's ReadFailure carries ape's ContractLogicError (the revert
    decoded to the contract's custom error); transport and node errors are retried
    (keepers.core.retries) and raised after the last attempt."""

    def __init__(self) -> None:
        from ape import chain

        super().__init__(chain.provider.web3)

    def views(self, calls, block="latest", blocks=None, allow_failure=False) -> list[Any]:
        from keepers.core.retries import with_retries

        read = super().views
        return with_retries(lambda: read(calls, block, blocks, allow_failure), retry_on=NODE_ERRORS)

    def codes(self, addresses, block="latest") -> list[bytes]:
        from keepers.core.retries import with_retries

        read = super().codes
        return with_retries(lambda: read(addresses, block), retry_on=NODE_ERRORS)

    def _revert(self, call: _Prepared, err: Exception) -> ReadFailure:
        """The revert as ape decodes it (the contract's custom error), by making the call again
        through ape; a web3 contract's as web3 gives it."""
        from ape.contracts.base import ContractTransactionHandler
        from ape.exceptions import ContractLogicError as ApeRevert

        from keepers.core.chain import untraced
        from keepers.core.errors import revert_line

        contract, name, args = call.call
        if hasattr(contract, "get_function_by_name"):  # a web3 contract: no ape decoding
            return super()._revert(call, err)
        method = getattr(contract, name)
        if isinstance(method, ContractTransactionHandler):  # not `view` (a quote): eth_call it
            method = method.call
        try:
            with untraced():  # the revert is this read's answer, not an error to show
                method(*args, block_id=call.block)
        except ApeRevert as revert:
            return ReadFailure.of(call, revert_line(revert), revert)
        return super()._revert(call, err)  # answered through ape: the first revert stands


class _Prepared:
    """A call with its ABI, calldata and block."""

    __slots__ = ("call", "abi", "data", "block")

    def __init__(self, call: ViewCall, abi: Mapping[str, Any], data: bytes, block: Block):
        self.call, self.abi, self.data, self.block = call, abi, data, block

    @property
    def address(self) -> str:
        return self.call[0].address

    def decode(self, data: bytes) -> Any:
        types = get_abi_output_types(self.abi)
        # Strict on length: ape, once imported, makes eth_abi pad a short uint answer (an address
        # without code answers nothing: it would read as zeros, a health of no debt).
        if len(data) < 32 * sum(_head_words(parse(t)) for t in types):
            raise ReadError(f"{self.abi['name']} at {self.address}: undecodable result")
        try:
            values = decode(types, data)
        except Exception:  # noqa: BLE001
            raise ReadError(f"{self.abi['name']} at {self.address}: undecodable result") from None
        values = tuple(_checksummed(o, v) for o, v in zip(self.abi["outputs"], values))
        return values[0] if len(values) == 1 else values


def _head_words(node: Any) -> int:
    """The 32-byte words an ABI type takes in the head of an encoding (a dynamic one: its
    offset)."""
    if node.is_dynamic:
        return 1
    count = 1
    for dims in node.arrlist or ():
        count *= dims[0]
    if hasattr(node, "components"):
        return count * sum(_head_words(c) for c in node.components)
    return count


def _checksummed(param: Mapping[str, Any], value: Any) -> Any:
    """`value` of ABI parameter `param` with its addresses checksummed (eth_abi gives them in
    lower case), at any depth of arrays and structs."""
    kind = param["type"]
    if kind.endswith("]"):
        item = {**param, "type": kind[: kind.rindex("[")]}
        return type(value)(_checksummed(item, v) for v in value)
    if kind == "tuple":
        return tuple(_checksummed(c, v) for c, v in zip(param["components"], value))
    return to_checksum_address(value) if kind == "address" else value


def first_line(err: Exception) -> str:
    """The error's first line (web3's ContractLogicError: its message, not its args' tuple)."""
    text = getattr(err, "message", None) or str(err)
    return (str(text).splitlines() or [type(err).__name__])[0][:200]
