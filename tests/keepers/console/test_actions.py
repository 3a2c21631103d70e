"""CON-4: the Safe Transaction Builder format, without a chain."""

import pytest

from keepers.console.actions import (
    ActionInputError,
    Field,
    batch_calldata,
    checksum,
    encode_call,
    parse_field,
)

# A batch exported by the Safe Transaction Builder 1.18.0 (chain 43114), as published in a public
# CCIP token-pool script; the app computed this checksum when it saved the file.
EXPORTED = {
    "version": "1.0",
    "chainId": "43114",
    "createdAt": 1738784020211,
    "meta": {
        "name": "Token Pool Chain Updates",
        "description": "",
        "txBuilderVersion": "1.18.0",
        "createdFromSafeAddress": "0xbF6512B1bBEeC3a673Feff43C0A182C2b28DFD9f",
        "createdFromOwnerAddress": "",
        "checksum": "0x9e720fd0c8bace9ee9ac950de106fd7d1081311426122e814e5c094c602a4cd6",
    },
    "transactions": [
        {
            "to": "0x6f6F5645B86b1fD3c4C015822a0E672132D4e2F8",
            "value": "0",
            "data": None,
            "contractMethod": {
                "inputs": [
                    {"internalType": "uint64", "name": "remoteChainSelector", "type": "uint64"},
                    {"internalType": "bytes", "name": "remotePoolAddress", "type": "bytes"},
                ],
                "name": "addRemotePool",
                "payable": False,
            },
            "contractInputsValues": {"remoteChainSelector": "0", "remotePoolAddress": "0x0"},
        }
    ],
}


def test_checksum__equals_the_transaction_builders_own():
    assert checksum(EXPORTED) == EXPORTED["meta"]["checksum"]
    renamed = {**EXPORTED, "meta": {**EXPORTED["meta"], "name": "another name"}}
    assert checksum(renamed) == EXPORTED["meta"]["checksum"]  # the name is not covered
    moved = {**EXPORTED, "chainId": "1"}
    assert checksum(moved) != EXPORTED["meta"]["checksum"]


def test_batch_calldata__method_entries_encoded_from_their_values():
    batch = {
        **EXPORTED,
        "transactions": [
            {
                **EXPORTED["transactions"][0],
                "contractInputsValues": {"remoteChainSelector": "7", "remotePoolAddress": "0xab"},
            }
        ],
    }
    [(to, data)] = batch_calldata(batch)
    method = EXPORTED["transactions"][0]["contractMethod"]
    assert to == EXPORTED["transactions"][0]["to"]
    assert data == encode_call(method, [7, b"\xab"])
    with pytest.raises(ActionInputError, match="not a Safe Transaction Builder batch"):
        batch_calldata({"transactions": [{"value": "0"}]})


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("address", "0x123", "is not an address"),
        ("uint", "-1", "must not be negative"),
        ("uint", "abc", "is not an integer"),
        ("bytes32", "0x12", "expected 32 bytes"),
        ("bool", "maybe", "is not true or false"),
        ("text", "", "required"),
    ],
)
def test_parse_field__bad_input__one_line_naming_the_field(kind, raw, message):
    with pytest.raises(ActionInputError, match=message) as err:
        parse_field(Field("f", "Field", kind), raw)
    assert str(err.value).startswith("Field: ") and "\n" not in str(err.value)


def _granting_chain(grantees, head: int, at=None):
    """A fake chain whose AccessManager granted role 7 to `grantees`, the k-th at block `at[k]`
    (k + 1 by default); `get_logs` answers its block range only and records each range asked."""
    from types import SimpleNamespace

    blocks = at or list(range(1, len(grantees) + 1))
    logs = [
        {"topics": [b"", (7).to_bytes(32, "big"), bytes.fromhex("00" * 12 + g[2:])]}
        for g in grantees
    ]
    queries: list[tuple[int, int]] = []

    def get_logs(query):
        start, end = query["fromBlock"], query["toBlock"]
        queries.append((start, end))
        return [log for log, b in zip(logs, blocks, strict=True) if start <= b <= end]

    return SimpleNamespace(
        has=lambda name: True,
        address=lambda name: "0x" + "cd" * 20,  # the deployment's own manager: another one
        record=SimpleNamespace(block=0),
        w3=SimpleNamespace(eth=SimpleNamespace(get_logs=get_logs, block_number=head)),
        _describer=SimpleNamespace(address=lambda a: a),
        queries=queries,
    )


def test_who_may_call__grants_read_back_from_the_head_in_bounded_windows():
    """Issue 33 leftover: the RoleGranted logs were one eth_getLogs from the record's block to the
    head (a node refuses such a range on a long chain). Now windows of the event index's size,
    newest first: a grant far back is found, all read ("no account" only then); on a chain longer
    than MAX_GRANT_WINDOWS windows the read stops and says older grants were not read."""
    from eth_utils import to_checksum_address

    from keepers.console import actions
    from keepers.console.index import LOG_WINDOW_BLOCKS

    def manager(holds: bool):
        return _manager(7, holds=holds)

    granted = "0x" + "77" * 20
    far = _granting_chain([granted], head=60_000, at=[5])
    line = actions.who_may_call(far, manager(True), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert f"held by {to_checksum_address(granted)}" in line and "checked" not in line
    assert all(end - start + 1 <= LOG_WINDOW_BLOCKS for start, end in far.queries)
    assert far.queries[0][1] == 60_000 and far.queries[-1][0] == 0  # down to the record's block

    long = _granting_chain(
        [granted], head=actions.MAX_GRANT_WINDOWS * LOG_WINDOW_BLOCKS * 2, at=[5]
    )
    line = actions.who_may_call(long, manager(True), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert len(long.queries) == actions.MAX_GRANT_WINDOWS
    assert "none of the grantees checked holds" in line and "older grants were not read" in line
    assert "no account holds" not in line

    gone = _granting_chain([granted], head=60_000, at=[5])
    line = actions.who_may_call(gone, manager(False), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert line.endswith("which no account holds")  # every grant read: the one grantee left

    # helper-91 C2: every grant read but more than 20 grantees, none of the newest 20 holding:
    # not "no account holds" (an older grantee may).
    many = _granting_chain(_grantees_list(25), head=59_999)  # windows end at block 0
    line = actions.who_may_call(many, manager(False), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert "no account holds" not in line
    assert "none of the grantees checked holds (the newest 20 of 25 grantees checked)" in line
    # C3: a record block above the head (another chain's record): nothing read is complete.
    ahead = _granting_chain([granted], head=50, at=[5])
    ahead.record.block = 100
    ahead.address = lambda name: "0x" + "ab" * 20  # the deployment's own manager this time
    line = actions.who_may_call(ahead, manager(True), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert "no account holds" not in line and "older grants were not read" in line
    # C4: a manager other than the deployment's may have granted before the record's block.
    older = _granting_chain([granted], head=12_000, at=[5])
    older.record.block = 10_000
    line = actions.who_may_call(older, manager(True), "0x" + "ef" * 20, "0x12345678", "X.halt")
    assert f"held by {to_checksum_address(granted)}" in line


def _grantees_list(n: int) -> list[str]:
    return [f"0x{k:040x}" for k in range(1, n + 1)]


class _Answer:
    """A contract function's `.call()`: its value, or raises it when it is an exception."""

    def __init__(self, value):
        self.value = value

    def call(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class _ManagerFunctions:
    """An AccessManager's views: `role` for every function (or the exception reading it
    raises), `holds` for every hasRole, each account asked recorded in `asked`."""

    def __init__(self, role, holds: bool, asked: list[str]):
        self.role, self.holds, self.asked = role, holds, asked

    def isTargetClosed(self, target):  # noqa: N802 - the AccessManager's ABI
        return _Answer(False)

    def getTargetFunctionRole(self, target, selector):  # noqa: N802
        return _Answer(self.role)

    def hasRole(self, role, account):  # noqa: N802
        self.asked.append(account)
        return _Answer((self.holds, 0))


def _manager(role, holds: bool = True, asked: list[str] | None = None):
    from types import SimpleNamespace

    functions = _ManagerFunctions(role, holds, [] if asked is None else asked)
    return SimpleNamespace(address="0x" + "ab" * 20, functions=functions)


def test_who_may_call__an_outside_authority__bounded_reads__marked__a_failed_read_said():
    """helper-89 H1, M2, L3: a fund stack's own AccessManager (an issuer's contract) that granted
    a role to 10,000 accounts costs at most MAX_HOLDERS_CHECKED `hasRole` reads, not 10,000; the
    line says that manager is not the deployment's; a role that cannot be read is said so, not
    "no role allows"."""

    from keepers.console import actions

    grantees = [f"0x{k:040x}" for k in range(1, 10_001)]
    asked: list[str] = []

    def manager(fail=False):
        return _manager(RuntimeError("reverted") if fail else 7, asked=asked)

    source = _granting_chain(grantees, head=10_000)  # a grant a block, blocks 1 .. 10,000
    line = actions.who_may_call(source, manager(), "0x" + "ef" * 20, "0x12345678", "X.strike")
    assert len(asked) == actions.MAX_HOLDERS_CHECKED
    assert "not the deployment's AccessManager" in line
    # Read back from the head one window (2,000 blocks, 2,000 grants) and stopped there.
    assert source.queries == [(8_001, 10_000)]
    assert f"the newest {actions.MAX_HOLDERS_CHECKED} of 2000 or more grantees checked" in line
    failed = actions.who_may_call(source, manager(True), "0x" + "ef" * 20, "0x12345678", "X.strike")
    assert (
        failed.startswith("X.strike: its role in the AccessManager")
        and "could not be read" in failed
    )
    assert "no role allows" not in failed


def test_prepare__an_authority_that_is_no_access_manager__one_line_refusal_no_node_key():
    """helper-91 C5, C6: a contract's `authority()` naming something that does not answer
    `canCall` (a wallet, another contract, a node that fails) made the action an HTTP 500; the
    refusal now names it in one line, and an RPC URL the error quotes is cut to its host."""
    from types import SimpleNamespace

    from keepers.console import actions

    secret = "https://rpc.example/v3/SECRETKEY"

    class Failing:
        def call(self):
            raise ConnectionError(f"HTTPConnectionPool: max retries for url {secret}")

    deployment_manager = SimpleNamespace(address="0x" + "cd" * 20)
    foreign = SimpleNamespace(
        address="0x" + "ef" * 20,
        functions=SimpleNamespace(canCall=lambda *args: Failing()),
    )
    token = SimpleNamespace(
        address="0x" + "12" * 20,
        abi=[
            {"type": "function", "name": "pause", "inputs": []},
            {"type": "function", "name": "authority", "inputs": []},
        ],
        functions=SimpleNamespace(authority=lambda: _Answer(foreign.address)),
    )

    def contract(name, address=None, abi_of=None):
        if name == actions.MANAGER:
            return deployment_manager if address is None else foreign
        return token

    source = SimpleNamespace(has=lambda name: True, contract=contract)
    with pytest.raises(ActionInputError) as refused:
        actions.prepare(source, "0x" + "34" * 20, [actions.Call("Token", "pause", ())])
    message = str(refused.value)
    assert "did not answer canCall" in message and "\n" not in message
    assert "SECRETKEY" not in message and "rpc.example" in message
