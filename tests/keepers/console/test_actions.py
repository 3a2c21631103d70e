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
