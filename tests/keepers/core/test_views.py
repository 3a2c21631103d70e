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
    for alias in ("TEST::x", "TEST::\u0661"):  # an Arabic-Indic one is no account number here
        with pytest.raises(chain.QuanteraError, match="a test account is TEST::<n>"):
            chain.account_address(alias)


def test_test_account_address__the_config_s_own_hd_path(tmp_path, monkeypatch):
    """helper-86 L7: a `test.hd_path` in ape-config.yaml is the path ape derives on: so here."""
    from eth_account import Account

    words = "test test test test test test test test test test test junk"
    (tmp_path / "ape-config.yaml").write_text(
        f"test:\n  mnemonic: {words}\n  hd_path: m/44'/60'/1'/0\n"
    )
    monkeypatch.chdir(tmp_path)
    Account.enable_unaudited_hdwallet_features()
    expected = Account.from_mnemonic(words, account_path="m/44'/60'/1'/0/3").address
    assert chain.account_address("TEST::3") == expected


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


def test_reading__a_node_that_never_answers__one_attempt_one_line(tmp_path, monkeypatch):
    """helper-86 L5: a node that accepts and never answers is asked once (web3 retried each call
    five times: minutes on a command), then one line naming the network."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(chain, "READ_TIMEOUT_S", 0.5)
    choice = f"ethereum:local:http://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(chain.QuanteraError, match=f"cannot connect to {choice}: no node"):
            with chain.reading(choice):
                pass
    finally:
        server.close()
    assert len(accepted) == 1


def test_instrument_status__an_unknown_value__named_not_fatal():
    """helper-86 L8: a registry answering a status the enum does not know lists it as such."""
    from keepers.lifecycle.cli import _status_name

    assert _status_name(2) == "active" and _status_name(9) == "status 9"


def test_direct_view__pending_time__the_node_s_clock_moved_time_included(anvil):
    """helper-88 F1: a route's deadline counts from the next block's time as the node keeps it:
    on an anvil whose clock was moved an hour without a block, an hour on, not the head's + 1
    (the route would have expired before it was sent)."""
    from web3 import Web3

    from keepers.core.views import DirectView

    w3 = Web3(Web3.HTTPProvider(anvil))
    view = DirectView(w3, {})
    _, head_time = view.head()
    w3.provider.make_request("evm_increaseTime", [3_600])
    assert view.pending_timestamp() >= head_time + 3_600


def test_view_call_as_sender__lower_case_sender__undecodable_answer_is_one_line():
    """helper-88 F2, F3: a sender in lower case is checksummed (web3 refuses it otherwise); an
    answer the ABI cannot decode is the call's one-line failure, not a ReadError."""
    from keepers.core.views import DirectReads, ViewContract, ViewReverted

    seen = {}

    class Eth:
        def call(self, request, block):
            seen.update(request)
            return b""

    class W3:
        eth = Eth()

    abi = [{"type": "function", "name": "quote", "inputs": [], "outputs": [{"type": "uint256"}]}]
    contract = ViewContract("0x" + "11" * 20, abi, DirectReads(W3()), "LiquidityAggregator")
    sender = "0x14dc79964da2c08b23698b3d3cc7ca32193d9955"
    with pytest.raises(ViewReverted, match="undecodable"):
        contract.quote.call(sender=sender)
    assert seen["from"] == "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
