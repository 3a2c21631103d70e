"""keepers.core.views and `reading` without a chain: a read-only command's `--account TEST::<n>`
is the address ape derives (without importing ape), a struct is answered by field name, and a
network choice is read directly only when it names its node's URL (CON-89)."""

from __future__ import annotations

import pytest

from keepers.core import chain
from keepers.core.views import _named


@pytest.mark.parametrize("index", [0, 7, 23, 24, 27, 40])
def test_test_account_address__as_ape_derives_it(index):
    """Ape's configured test accounts (0-23) and the ones past them the demo funds (24 and up,
    `chain._test_account`) alike."""
    alias = f"TEST::{index}"
    assert chain.account_address(alias) == chain.load_account(alias).address


def test_test_account_address__not_a_number__one_line():
    with pytest.raises(chain.QuanteraError, match="a test account is TEST::<n>"):
        chain.account_address("TEST::x")


def test_named__a_struct_by_field_and_position__arrays_of_structs_too():
    investor = {
        "type": "tuple",
        "components": [
            {"name": "identity", "type": "address"},
            {"name": "country", "type": "uint16"},
        ],
    }
    value = _named([investor], ("0x" + "11" * 20, 840))
    assert value.identity == value[0] == "0x" + "11" * 20 and value.country == 840
    assert value == ("0x" + "11" * 20, 840)
    listed = _named([{**investor, "type": "tuple[]"}], [("0x" + "22" * 20, 250)])
    assert listed[0].country == 250
    pair = _named([{"name": "a", "type": "uint256"}, investor], (1, ("0x" + "33" * 20, 76)))
    assert pair[0] == 1 and pair[1].country == 76


@pytest.mark.parametrize(
    ("choice", "direct"),
    [
        ("ethereum:local:http://127.0.0.1:8545", True),
        ("ethereum:sepolia:https://node.example/v1", True),
        ("ethereum:sepolia:node", False),
        ("ethereum:local", False),
        ("ethereum:local:foundry", False),
    ],
)
def test_reading__direct_only_for_a_node_url(choice, direct):
    assert (chain._NODE_URL.fullmatch(choice) is not None) is direct
