"""A deployment's contracts read by name, the same reader code over either transport.

`quantera`'s read commands (`instrument show`, `fund status`, `margin health`) read a handful of
views. Through ape, a command first pays ape's start-up: its plugins, the project's manifest as
ethpm models, the provider (about 3 s of a 3.4 to 4.4 s command, benchmarks/cli.json). When the
network is a node's URL (the served demo's, found by default, or `--network
<ecosystem>:<network>:http(s)://…`), the command reads it directly with web3 and the compiled
ABIs (`.build/__local__.json`), and never imports ape.

A `ChainView` is what the domains' readers (keepers.lifecycle.funds, keepers.prime.book) are
given:
- `ApeView`: ape's connected provider, contracts as ape instances (the keepers', and every
  command that sends);
- `DirectView`: a web3 on the node's URL, contracts as `ViewContract`s.

A `ViewContract` calls a view by name as ape does (`registry.instrumentCount()`), through the one
read protocol (keepers.core.reads), with a struct answered as a named tuple (index or field
name). A revert is raised as `ViewReverted` (a QuanteraError: the CLI's one line), its custom
error decoded from the project's ABIs, whichever contract raised it.

NOT done here: no sends (a DirectView has no accounts; commands that send connect through ape),
no events, and no ABI other than the compiled project's and OpenZeppelin's ERC-20.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from keepers.core.artifacts import project_at
from keepers.core.errors import QuanteraError
from keepers.core.reads import Block, ReadError, ReadFailure, Web3Reads, first_line


class ViewReverted(QuanteraError):
    """A view reverted: `function at address: Error(arguments)`."""


class ChainView(Protocol):
    """What a domain's reader needs of a connection."""

    reads: Any  # keepers.core.reads' protocol: `views(calls, block, blocks, allow_failure)`

    def at(self, contract_type: str, address: str) -> Any:
        """The contract of compiled type `contract_type` at `address`."""

    def erc20(self, address: str) -> Any:
        """Any ERC-20 at `address` (OpenZeppelin's IERC20Metadata ABI)."""

    def decimals(self, token: str) -> int:
        """An ERC-20's decimals, read once per view."""

    @property
    def chain_id(self) -> int: ...

    def head(self) -> tuple[int, int]:
        """(number, timestamp) of the chain's latest block."""

    def gas_price(self) -> int:
        """The node's gas price (wei)."""

    def pending_timestamp(self) -> int:
        """The time the next block will carry (a route's deadline counts from it)."""


class DirectReads(Web3Reads):
    """Web3Reads whose revert reasons are decoded from the project's ABIs (web3 leaves a custom
    error as its raw data), a failure raised as ViewReverted (one line)."""

    def call_from(self, call: Any, sender: str, block: Block = "latest") -> Any:
        """One call as from `sender` (eth_call's `from`): its result, or a ReadFailure."""
        from web3.exceptions import ContractLogicError

        from keepers.core.reads import _Prepared, calldata, function_abi

        abi = function_abi(call[0], call[1])
        prepared = _Prepared(call, abi, calldata(abi, call[2]), block)
        request = {"to": prepared.address, "data": prepared.data, "from": sender}
        try:
            data = self.w3.eth.call(request, block)
        except ContractLogicError as err:
            return self._revert(prepared, err)
        try:
            return prepared.decode(bytes(data))
        except ReadError as err:  # an answer its ABI does not decode: the call's failure
            return ReadFailure.of(prepared, str(err), ViewReverted(str(err)))

    def _revert(self, call, err: Exception) -> ReadFailure:
        from keepers.core.errors import decode_error_data

        data = getattr(err, "data", None)
        reason = (decode_error_data(data) if isinstance(data, str) else None) or first_line(err)
        failure = ReadFailure.of(call, reason)
        failure.error = ViewReverted(str(failure))
        return failure


class ViewContract:
    """A contract's views by name over `reads` (a DirectView's contracts)."""

    def __init__(self, address: str, abi: Sequence[Mapping[str, Any]], reads: Any, name: str):
        from eth_utils import to_checksum_address

        self.address = to_checksum_address(address)
        self.contract_type = name
        self._reads = reads
        self._functions = {entry["name"]: entry for entry in abi if entry.get("type") == "function"}

    def function_abi(self, name: str) -> Mapping[str, Any]:
        """The ABI of function `name` (keepers.core.reads' protocol); our views are not
        overloaded."""
        try:
            return self._functions[name]
        except KeyError:
            raise AttributeError(f"{self.contract_type} has no function {name!r}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self, name, self.function_abi(name))

    def __repr__(self) -> str:
        return f"<{self.contract_type} {self.address}>"


class _Method:
    """A function of a ViewContract, as ape's handlers are used: called for its answer (a view),
    `.call(..., sender=)` to eth_call any function as from an account (a quote), and
    `encode_input(...)` for its calldata."""

    def __init__(self, contract: ViewContract, name: str, abi: Mapping[str, Any]):
        self.contract, self.name, self.abi = contract, name, abi

    def __call__(self, *args: Any, block_id: Block = "latest") -> Any:
        return self.call(*args, block_id=block_id)

    def call(self, *args: Any, sender: Any = None, block_id: Block = "latest") -> Any:
        reads = self.contract._reads
        call = (self.contract, self.name, args)
        if sender is None:
            (value,) = reads.views([call], block_id, allow_failure=True)
        else:  # one eth_call from the sender (a batch has no `from`), checksummed as ape does
            from eth_utils import to_checksum_address

            account = to_checksum_address(str(getattr(sender, "address", sender)))
            value = reads.call_from(call, account, block_id)
        if isinstance(value, ReadFailure):
            raise ViewReverted(str(value))
        return _named(self.abi["outputs"], value)

    def encode_input(self, *args: Any) -> bytes:
        from keepers.core.reads import calldata

        return calldata(self.abi, args)


def _named(outputs: Sequence[Mapping[str, Any]], value: Any) -> Any:
    """A decoded result with its structs as named tuples (ape's `investor.identity`)."""
    if len(outputs) == 1:
        return _struct(outputs[0], value)
    return tuple(_struct(o, v) for o, v in zip(outputs, value))


def _struct(param: Mapping[str, Any], value: Any) -> Any:
    kind = param["type"]
    if kind.endswith("]"):
        item = {**param, "type": kind[: kind.rindex("[")]}
        return [_struct(item, v) for v in value]
    if kind != "tuple":
        return value
    components = param["components"]
    names = [c.get("name") or f"_{k}" for k, c in enumerate(components)]
    return _tuple_type(tuple(names))(*(_struct(c, v) for c, v in zip(components, value)))


@cache
def _tuple_type(names: tuple[str, ...]) -> type:
    return namedtuple("Struct", names, rename=True)  # type: ignore[misc]  # noqa: PYI024


class DirectView:
    """A node read directly: web3 on its URL, the compiled project's ABIs."""

    def __init__(self, w3: Any, abis: Mapping[str, Sequence[Mapping[str, Any]]]):
        self.w3 = w3
        self.abis = abis
        self.reads = DirectReads(w3)
        self._decimals: dict[str, int] = {}
        self._chain_id: int | None = None

    def at(self, contract_type: str, address: str) -> ViewContract:
        abi = self.abis.get(contract_type)
        if abi is None:
            raise QuanteraError(f"no compiled contract {contract_type}: run `make build`")
        return ViewContract(address, abi, self.reads, contract_type)

    def erc20(self, address: str) -> ViewContract:
        from keepers.core.tokens import ERC20, erc20_abi

        return ViewContract(address, erc20_abi(), self.reads, ERC20)

    def decimals(self, token: str) -> int:
        key = token.lower()
        if key not in self._decimals:
            self._decimals[key] = int(self.erc20(token).decimals())
        return self._decimals[key]

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def head(self) -> tuple[int, int]:
        block = self.w3.eth.get_block("latest")
        return int(block["number"]), int(block["timestamp"])

    def gas_price(self) -> int:
        return int(self.w3.eth.gas_price)

    def pending_timestamp(self) -> int:
        """The pending block's time as the node gives it (anvil: its clock, moved time included),
        else the head's plus one."""
        try:
            return int(self.w3.eth.get_block("pending")["timestamp"])
        except Exception:  # noqa: BLE001 - a node without a pending block
            return self.head()[1] + 1


class ApeView:
    """ape's connected provider: contracts as ape instances (they also send)."""

    def __init__(self) -> None:
        from keepers.core.reads import ApeReads

        self.reads = ApeReads()

    def at(self, contract_type: str, address: str) -> Any:

        return project_at(contract_type, address)

    def erc20(self, address: str) -> Any:
        from keepers.core.tokens import erc20_at

        return erc20_at(address)

    def decimals(self, token: str) -> int:
        from keepers.core.tokens import token_decimals

        return token_decimals(token)

    @property
    def chain_id(self) -> int:
        from ape import chain

        return int(chain.chain_id)

    def head(self) -> tuple[int, int]:
        from ape import chain

        head = chain.blocks.head
        return int(head.number), int(head.timestamp)

    def gas_price(self) -> int:
        from ape import chain

        return int(chain.provider.gas_price)

    def pending_timestamp(self) -> int:
        from ape import chain

        return int(chain.pending_timestamp)


def view_or_ape(view: ChainView | None) -> ChainView:
    """`view`, or ape's connected provider when none is given (the keepers')."""
    return ApeView() if view is None else view
