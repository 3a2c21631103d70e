"""FND-23: ape's network settings are validated once per content, not on every call and transaction
(keepers/core/ape_config.py), and answer exactly what ape's own validation answers."""

from __future__ import annotations

import copy

import pytest
from ape import networks
from ape.api.networks import NetworkAPI

import keepers.core.record  # noqa: F401  (installs the cache, as the keepers' ape modules do)
from keepers.core.ape_config import _section, cache_network_config


@pytest.fixture
def local():
    network = networks.ethereum.local
    section = _section(network)
    assert isinstance(section, dict)  # ape-config.yaml's `ethereum.local`: the cached case
    saved = copy.deepcopy(section)
    yield network, section
    section.clear()
    section.update(saved)


def _validated(network):
    """What ape's own NetworkAPI.config answers (the property's original getter)."""
    from ape.api.config import PluginConfig

    return PluginConfig.model_validate(_section(network))


def test_fnd_23__network_config__ape_s_answer_built_once(local, monkeypatch):
    network, _ = local
    first = network.config
    assert first.model_dump() == _validated(network).model_dump()
    assert first.get("block_time") == 1 and first.get("gas_limit") == 30_000_000
    from ape.api.config import PluginConfig

    built = []
    original = PluginConfig.model_validate.__func__
    monkeypatch.setattr(
        PluginConfig,
        "model_validate",
        classmethod(lambda cls, *args, **kwargs: built.append(1) or original(cls, *args, **kwargs)),
    )
    for _ in range(50):
        assert network.config is first
    assert built == []  # ape alone validates the section on each of these 50 reads


def test_fnd_23__section_changed__validated_again(local):
    network, section = local
    before = network.config
    section["block_time"] = 7
    after = network.config
    assert after is not before and after.get("block_time") == 7
    nested = network.config
    section["request_headers"]["X-Test"] = "1"  # a nested change counts too
    assert network.config is not nested
    assert network.config.get("request_headers") == {"X-Test": "1"}


def test_fnd_23__installed_once():
    installed = NetworkAPI.__dict__["config"]
    cache_network_config()
    cache_network_config()
    assert NetworkAPI.__dict__["config"] is installed
