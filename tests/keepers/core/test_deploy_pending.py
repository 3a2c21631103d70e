"""A deployment interrupted between naming a contract as pending and sending it (keepers/core/
deploying.py `Deployment.deploy`): a rerun adopts what the pending nonce created only when no other
record name already holds that address (the attacker's read of the admin modules, L-1: a rerun
after a rebuild deployed the new build's module at that nonce first, and the record named the
module as the engine). No chain: the chain and the sender are stand-ins."""

from __future__ import annotations

import sys
import types

import pytest

from keepers.core.deployments import DeploymentRecord


class FakeChain:
    """The nonce, the code at each address, and the head block: all `deploy` reads."""

    def __init__(self):
        self.nonce = 0
        self.code: dict[str, bytes] = {}
        self.provider = self
        self.blocks = types.SimpleNamespace(head=types.SimpleNamespace(number=1))

    def get_nonce(self, _address):
        return self.nonce

    def get_code(self, address):
        return self.code.get(address, b"")


class Sender:
    address = "0x" + "de" * 20

    @staticmethod
    def get_deployment_address(nonce):
        return f"0xaddr{nonce}"


@pytest.fixture
def chain(monkeypatch):
    fake = FakeChain()
    monkeypatch.setitem(sys.modules, "ape", types.SimpleNamespace(chain=fake))
    return fake


def _creates(chain: FakeChain, code: bytes):
    """A factory that mines a creation of `code` at the sender's current nonce."""

    def factory():
        address = f"0xaddr{chain.nonce}"
        chain.code[address] = code
        chain.nonce += 1
        return types.SimpleNamespace(address=address)

    return factory


def _interrupted():
    raise KeyboardInterrupt  # not an Exception: the pending entry stays, as after Ctrl-C


def _deployment():
    from keepers.core.deploying import Deployment

    record = DeploymentRecord(network="ethereum:sepolia", chain_id=11155111)
    return Deployment(sender=Sender(), record=record, is_local=False, assume_yes=True)


def test_rerun__pending_nonce_taken_by_another_recorded_contract__deployed_afresh(chain):
    d = _deployment()
    d.deploy("ComplianceAdmin.build1", _creates(chain, b"admin 1"))
    with pytest.raises(KeyboardInterrupt):
        d.deploy("ComplianceEngine", _interrupted)
    assert "ComplianceEngine" in d.record.pending
    # The rerun after a rebuild deploys this build's module first, at the pending nonce.
    module = d.deploy("ComplianceAdmin.build2", _creates(chain, b"admin 2"))
    engine = d.deploy("ComplianceEngine", _creates(chain, b"engine"))
    assert engine != module and chain.code[engine] == b"engine"
    assert d.record.contracts["ComplianceEngine"] == engine
    assert d.record.contracts["ComplianceAdmin.build2"] == module
    assert "ComplianceEngine" not in d.record.pending


def test_rerun__pending_transaction_was_mined__adopted_not_deployed_again(chain):
    d = _deployment()

    def sent_then_interrupted():
        _creates(chain, b"engine")()  # mined, but the run died before recording it
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        d.deploy("ComplianceEngine", sent_then_interrupted)
    nonce = chain.nonce
    engine = d.deploy("ComplianceEngine", _creates(chain, b"a second engine"))
    assert chain.code[engine] == b"engine" and chain.nonce == nonce  # nothing sent again


def test_settled__says_whether_deploy_would_send_nothing(chain):
    """A routine passing a dispatcher its modules asks `settled` first (the review of
    328b2dd..HEAD, L-3): recorded with code, or pending and adoptable, is settled (no module is
    deployed for it); recorded without code, pending but unsent, or pending at a nonce another
    recorded contract took, is not (`deploy` sends it, with new modules)."""
    d = _deployment()
    assert not d.settled("Engine")
    d.deploy("Engine", _creates(chain, b"engine"))
    assert d.settled("Engine")
    # Recorded, but no code there (a chain reset under an old record): deploy would send it.
    chain.code.pop(d.record.contracts["Engine"])
    assert not d.settled("Engine")
    # Pending and mined, not recorded: deploy would adopt it.

    def sent_then_interrupted():
        _creates(chain, b"vault")()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        d.deploy("Vault", sent_then_interrupted)
    assert d.settled("Vault")
    # Pending, never sent: not settled, and still not once another contract takes its nonce.
    with pytest.raises(KeyboardInterrupt):
        d.deploy("Broker", _interrupted)
    assert not d.settled("Broker")
    d.deploy("Module", _creates(chain, b"module"))
    assert not d.settled("Broker")
    # `settled` only looks: the pending entries are still there for `deploy` to settle.
    assert {"Broker"} <= set(d.record.pending)
