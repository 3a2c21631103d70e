"""CON-94: what the governance page says about a proposed upgrade's new code, row by row (no
chain: a source whose reads are given). A read that fails is said in its row and never blanks the
page (an attacker's read of a5c90b6: one failing read took roles, operations and upgrades with
it); code at the address whose hash is not the announced one is said so."""

from __future__ import annotations

from types import SimpleNamespace

from eth_utils import keccak

from keepers.access import PendingUpgrade
from keepers.console.upgrades import code_warnings

PROXY, CODE = "0x" + "11" * 20, "0x" + "22" * 20
RUNTIME = bytes.fromhex("6080604052")


def _source(get_code):
    eth = SimpleNamespace(get_code=get_code, get_storage_at=lambda *_: bytes(32))
    return SimpleNamespace(w3=SimpleNamespace(eth=eth))


def _names(recorded):
    return SimpleNamespace(name=lambda a: recorded.get(a), address=lambda a: a)


def _proposal(codehash: str) -> PendingUpgrade:
    return PendingUpgrade("0x" + "aa" * 32, PROXY, CODE, "0xAdmin", "0x", 100, 0, 1, codehash)


def test_code_warnings__the_proposed_code__recorded_as_the_proxys__nothing_to_say():
    names = _names({PROXY: "BondServicer.X", CODE: "BondServicer.X.implementation"})
    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(_source(lambda *_: RUNTIME), names, proposal, 5) == []


def test_code_warnings__other_code_at_the_address__said():
    names = _names({PROXY: "BondServicer.X", CODE: "BondServicer.X.implementation"})
    proposal = _proposal("0x" + keccak(b"announced").hex())
    assert code_warnings(_source(lambda *_: RUNTIME), names, proposal, 5) == [
        "the code at this address is not the code proposed"
    ]


def test_code_warnings__a_failing_read__said_in_the_row_not_raised():
    def refused(*_):
        raise ConnectionError("node went away\ntrace")

    proposal = _proposal("0x" + keccak(RUNTIME).hex())
    assert code_warnings(_source(refused), _names({}), proposal, 5) == [
        "code no deployment recorded",
        "code unreadable: node went away",
    ]
