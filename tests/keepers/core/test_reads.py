"""keepers/core/reads.py without a chain: the one read protocol batches views in bounded batches in
order, decodes them by their ABI (addresses checksummed), reads a failed batch again call by call
when failures are allowed (the failed call's result its reason), raises a transport failure as it
is, and over ape's transport retries it (keepers.core.retries)."""

from contextlib import contextmanager

import pytest
from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector
from web3.exceptions import ContractLogicError, RequestTimedOut

from keepers.core import reads, retries

BALANCE_OF = {
    "type": "function",
    "name": "balanceOf",
    "stateMutability": "view",
    "inputs": [{"name": "holder", "type": "address"}],
    "outputs": [{"name": "", "type": "uint256"}],
}
OWNER_OF = {
    "type": "function",
    "name": "ownerOf",
    "stateMutability": "view",
    "inputs": [{"name": "id", "type": "uint256"}],
    "outputs": [
        {
            "name": "",
            "type": "tuple",
            "components": [
                {"name": "owner", "type": "address"},
                {"name": "since", "type": "uint64"},
            ],
        }
    ],
}
HOLDER = "0x" + "ab" * 20
REVERTING_HOLDER = "0x" + "ee" * 20
TIMED_OUT_HOLDER = "0x" + "70" * 20  # the node times out on its call
NO_CODE = "0x" + "c0" * 20  # an address without code: an empty answer


class Contract:
    """What the protocol uses of a web3 contract: its address and its functions' ABIs."""

    address = "0x" + "11" * 20

    def get_function_by_name(self, name):
        return type("Fn", (), {"abi": {"balanceOf": BALANCE_OF, "ownerOf": OWNER_OF}[name]})


class Node:
    """A JSON-RPC node as web3 shows it: `w3.eth.call` answers at once, or, inside
    `batch_requests`, is queued and answered at `execute` (one round trip, counted in `batches`).
    A call for REVERTING_HOLDER reverts; the first `down` requests fail on the transport."""

    def __init__(self, down: int = 0):
        self.batches: list[int] = []
        self.down = down
        self.queue: list | None = None
        self.eth = self

    def answer(self, tx, block):
        if self.down:
            self.down -= 1
            raise ConnectionError("connection reset by peer")
        data = tx["data"]
        if tx["to"] == NO_CODE:
            return b""
        if data[:4] == function_abi_to_4byte_selector(OWNER_OF):
            return encode(["(address,uint64)"], [(HOLDER, int.from_bytes(data[4:], "big"))])
        holder = "0x" + data[-20:].hex()
        if holder == REVERTING_HOLDER:
            raise ContractLogicError("execution reverted: Frozen(holder)")
        if holder == TIMED_OUT_HOLDER:
            raise RequestTimedOut("request timed out")
        return encode(
            ["uint256"], [int(holder[-4:], 16) + (block if isinstance(block, int) else 0)]
        )

    def call(self, tx, block):
        if self.queue is None:
            return self.answer(tx, block)
        return (tx, block)

    @contextmanager
    def batch_requests(self):
        node = self
        node.queue = []

        class Batch:
            def add(self, request):
                node.queue.append(request)

            def execute(self):
                node.batches.append(len(node.queue))
                return [node.answer(tx, block) for tx, block in node.queue]

        try:
            yield Batch()
        finally:
            node.queue = None


def holder(k: int) -> str:
    return "0x" + f"{k:040x}"


def test_views__many_calls__read_in_bounded_batches_in_order_and_decoded():
    node = Node()
    n = 2 * reads.BATCH_CALLS + 5
    calls = [(Contract(), "balanceOf", (holder(k),)) for k in range(n)]
    assert reads.Web3Reads(node).views(calls, block=7) == [k % 0x10000 + 7 for k in range(n)]
    assert node.batches == [reads.BATCH_CALLS, reads.BATCH_CALLS, 5]
    # A struct is a tuple in declaration order, its address checksummed.
    (owner,) = reads.Web3Reads(node).views([(Contract(), "ownerOf", (9,))])
    assert owner == ("0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB", 9)


def test_views__a_revert__fails_the_read_or_with_failures_allowed_is_that_call_s_result():
    calls = [(Contract(), "balanceOf", (h,)) for h in (holder(1), REVERTING_HOLDER, holder(2))]
    with pytest.raises(reads.ReadError, match="a batched read failed: execution reverted"):
        reads.Web3Reads(Node()).views(calls)
    one, failed, two = reads.Web3Reads(Node()).views(calls, block=3, allow_failure=True)
    assert (one, two) == (4, 5)
    assert isinstance(failed, reads.ReadFailure)
    assert failed.reason == "execution reverted: Frozen(holder)"
    assert str(failed).startswith(
        "balanceOf at 0x1111111111111111111111111111111111111111 (block 3)"
    )
    with pytest.raises(ContractLogicError, match="Frozen"):  # what the call raised
        failed.raise_error()


def test_views__each_call_at_its_own_block():
    calls = [(Contract(), "balanceOf", (holder(1),))] * 3
    assert reads.Web3Reads(Node()).views(calls, blocks=[10, 20, 30]) == [11, 21, 31]
    with pytest.raises(ValueError, match="2 blocks for 3 calls"):
        reads.Web3Reads(Node()).views(calls, blocks=[1, 2])


def test_views__a_transport_failure__raised_as_it_is_never_read_as_a_revert():
    calls = [(Contract(), "balanceOf", (holder(1),))]
    with pytest.raises(ConnectionError):
        reads.Web3Reads(Node(down=1)).views(calls, allow_failure=True)


@pytest.fixture
def no_back_off(monkeypatch):
    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)


def ape_reads(node: Node) -> reads.ApeReads:
    """ApeReads over `node` (its transport without a connected ape provider)."""
    instance = reads.ApeReads.__new__(reads.ApeReads)
    reads.Web3Reads.__init__(instance, node)
    return instance


def test_ape_reads__a_transport_failure__retried_and_the_batch_read_again(no_back_off):
    node = Node(down=1)
    calls = [(Contract(), "balanceOf", (holder(k),)) for k in (1, 2)]
    assert ape_reads(node).views(calls, block=7) == [8, 9]
    assert node.batches == [2, 2]


def test_ape_reads__the_endpoint_stays_down__raises_after_the_last_attempt(no_back_off):
    with pytest.raises(ConnectionError):
        ape_reads(Node(down=10)).views([(Contract(), "balanceOf", (holder(1),))])


def test_views__a_node_error__raised_never_read_as_the_call_s_revert():
    """The helper's L-1 (findings/store-reads.md): a request the node times out is not the call's
    answer (a FundDesk whose `vaults()` timed out would read as a vault)."""
    calls = [(Contract(), "balanceOf", (h,)) for h in (holder(1), TIMED_OUT_HOLDER)]
    with pytest.raises(RequestTimedOut):
        reads.Web3Reads(Node()).views(calls, allow_failure=True)


def test_ape_reads__a_node_error__retried(no_back_off):
    node = Node()
    flaky = {"left": 1}
    answer = node.answer

    def once_timed_out(tx, block):
        if flaky["left"]:
            flaky["left"] -= 1
            raise RequestTimedOut("request timed out")
        return answer(tx, block)

    node.answer = once_timed_out
    assert ape_reads(node).views([(Contract(), "balanceOf", (holder(1),))]) == [1]
    assert node.batches == [1, 1]


class ApeMethod:
    """An ape view handler: its ABI, and a call that decodes as ape does (an empty answer as
    zeros)."""

    def __init__(self, abi):
        self.abis = [type("Abi", (), {"model_dump": lambda self, **kw: abi})()]

    def __call__(self, *args, **kwargs):
        return 0


def test_ape_reads__an_address_without_code__a_failure_not_zeros():
    """The helper's L-2: ape decodes an empty answer as zeros (a health of no debt); the protocol
    decodes it strictly, whichever transport makes the call, and with ape imported (which makes
    eth_abi pad a short uint: the test imports it first)."""
    import ape  # noqa: F401 - its import re-registers eth_abi's uint decoder

    contract = type("ApeContract", (), {"address": NO_CODE, "balanceOf": ApeMethod(BALANCE_OF)})()
    calls = [(contract, "balanceOf", (holder(1),)), (Contract(), "balanceOf", (REVERTING_HOLDER,))]
    empty, _ = ape_reads(Node()).views(calls, allow_failure=True)
    assert isinstance(empty, reads.ReadFailure)
    assert "undecodable" in empty.reason


def test_views__short_answers_of_structs_and_arrays__failures_not_padded():
    """Each output's head is checked: a struct answered by one word is no answer."""
    import ape  # noqa: F401

    class Short(Node):
        def answer(self, tx, block):
            return encode(["uint256"], [7])  # one word for a (address, uint64) struct

    (short,) = reads.Web3Reads(Short()).views([(Contract(), "ownerOf", (1,))], allow_failure=True)
    assert isinstance(short, reads.ReadFailure) and "undecodable" in short.reason
