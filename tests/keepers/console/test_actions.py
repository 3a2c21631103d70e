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


def test_who_may_call__an_outside_authority__bounded_reads__marked__a_failed_read_said():
    """helper-89 H1, M2, L3: a fund stack's own AccessManager (an issuer's contract) that granted
    a role to 10,000 accounts costs at most MAX_HOLDERS_CHECKED `hasRole` reads, not 10,000; the
    line says that manager is not the deployment's; a role that cannot be read is said so, not
    "no role allows"."""
    from types import SimpleNamespace

    from keepers.console import actions

    grantees = [f"0x{k:040x}" for k in range(1, 10_001)]
    asked: list[str] = []

    class Call:
        def __init__(self, value):
            self.value = value

        def call(self):
            if isinstance(self.value, Exception):
                raise self.value
            return self.value

    class Functions:
        def __init__(self, fail: bool):
            self.fail = fail

        def isTargetClosed(self, target):  # noqa: N802 - the AccessManager's ABI
            return Call(False)

        def getTargetFunctionRole(self, target, selector):  # noqa: N802
            return Call(RuntimeError("reverted") if self.fail else 7)

        def hasRole(self, role, account):  # noqa: N802
            asked.append(account)
            return Call((True, 0))

    def manager(fail=False):
        return SimpleNamespace(address="0x" + "ab" * 20, functions=Functions(fail))

    logs = [
        {"topics": [b"", (7).to_bytes(32, "big"), bytes.fromhex("00" * 12 + g[2:])]}
        for g in grantees
    ]
    source = SimpleNamespace(
        has=lambda name: True,
        address=lambda name: "0x" + "cd" * 20,  # the deployment's own manager: another one
        record=SimpleNamespace(block=0),
        w3=SimpleNamespace(eth=SimpleNamespace(get_logs=lambda query: logs)),
        _describer=SimpleNamespace(address=lambda a: a),
    )
    line = actions.who_may_call(source, manager(), "0x" + "ef" * 20, "0x12345678", "X.strike")
    assert len(asked) == actions.MAX_HOLDERS_CHECKED
    assert "not the deployment's AccessManager" in line
    assert f"the newest {actions.MAX_HOLDERS_CHECKED} of 10000 grantees checked" in line
    failed = actions.who_may_call(source, manager(True), "0x" + "ef" * 20, "0x12345678", "X.strike")
    assert (
        failed.startswith("X.strike: its role in the AccessManager")
        and "could not be read" in failed
    )
    assert "no role allows" not in failed
