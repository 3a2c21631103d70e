"""`keepers.core.artifacts.project_at`: an instance of exactly the type asked, and ape's cache for
the address left holding every type asked there on this chain (helper-105 L3), never a type asked
on another chain whose provider happened to have the same id (helper-106 L2)."""

from __future__ import annotations

from types import SimpleNamespace

import ape
import pytest

from keepers.core import artifacts

ADDRESS = "0x" + "ab" * 20


@pytest.fixture
def cache(monkeypatch):
    """ape's cache as `project_at` writes it (address -> the last type written), the provider
    swappable, and the project's types plain names."""
    written: dict[str, object] = {}

    def instance(address, contract_type):
        written[address] = contract_type
        return SimpleNamespace(address=address, contract_type=contract_type)

    fake_chain = SimpleNamespace(provider=object())
    monkeypatch.setattr(artifacts, "_instance", instance)
    monkeypatch.setattr(artifacts, "_union", lambda types: tuple(sorted(types)))
    monkeypatch.setattr(artifacts, "_ASKED", {})
    monkeypatch.setattr(ape, "chain", fake_chain, raising=False)
    project = SimpleNamespace(**{t: SimpleNamespace(contract_type=t) for t in ("A", "B", "C")})
    monkeypatch.setattr(ape, "project", project, raising=False)
    return written, fake_chain


def test_project_at__the_type_asked__the_cache_every_type_asked_at_the_address(cache):
    written, _ = cache
    assert artifacts.project_at("A", ADDRESS).contract_type == "A"
    assert written[ADDRESS] == "A"
    assert artifacts.project_at("B", ADDRESS).contract_type == "B"
    assert written[ADDRESS] == ("A", "B")


def test_project_at__a_provider_with_a_dropped_ones_id__none_of_its_types(cache, monkeypatch):
    written, fake_chain = cache
    # CPython gives a new object a dropped one's id: here every provider has the same one.
    monkeypatch.setattr(artifacts, "id", lambda _: 1, raising=False)
    artifacts.project_at("A", ADDRESS)
    artifacts.project_at("B", ADDRESS)
    fake_chain.provider = object()  # another chain's provider (a new anvil, the same chain id)
    assert artifacts.project_at("C", ADDRESS).contract_type == "C"
    assert written[ADDRESS] == "C"
