"""FND-23: ape's network settings are validated once per content, not on every call and transaction
(keepers/core/ape_config.py), and answer exactly what ape's own validation answers."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from ape import networks
from ape.api.networks import NetworkAPI

import keepers.core.record  # noqa: F401  (installs the cache, as the keepers' ape modules do)
from keepers.core.ape_config import _section, cache_network_config
from keepers.core.chain import connected

ROOT = Path(__file__).resolve().parents[3]


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
    return NetworkAPI.__dict__["config"].fget.__wrapped__(network)


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
        again = network.config
        assert again.model_dump() == first.model_dump()
    assert built == []  # ape alone validates the section on each of these 50 reads
    # each caller its own object, as from ape: a change to one is not seen by the next
    again.block_time = 0
    assert network.config.get("block_time") == 1


def test_fnd_23__section_changed__validated_again(local):
    network, section = local
    assert network.config.get("block_time") == 1
    section["block_time"] = 7
    assert network.config.get("block_time") == 7
    section["request_headers"]["X-Test"] = "1"  # a nested change counts too
    assert network.config.get("request_headers") == {"X-Test": "1"}
    section["block_time"] = True  # equal to 1 by ==, another value to ape
    assert network.config.get("block_time") is _validated(network).get("block_time")


def test_fnd_23__a_section_that_is_not_a_dict__ape_s_own_answer(local, monkeypatch):
    network, _ = local
    from ape.api.config import PluginConfig

    given = PluginConfig.model_validate({"block_time": 3})
    monkeypatch.setattr("keepers.core.ape_config._section", lambda _network: given)
    monkeypatch.setitem(network.ecosystem_config.__dict__, "local", given)
    assert network.config.get("block_time") == _validated(network).get("block_time")


_INSTALLED = (
    "import sys; sys.path[:0] = ['.', 'tests/contracts', 'tests/keepers']; {imports}; "
    "from ape.api.networks import NetworkAPI; "
    "print(getattr(NetworkAPI.__dict__['config'].fget, '_quantera_cached', False))"
)


@pytest.mark.parametrize(
    "imports",
    [
        "import keepers.core.sending",  # keeper bots that send
        "import keepers.core.record",  # every keeper bot and script reading the record
        "import keepers.core.deploying as d; d.Deployment(sender=None, record=None)",
        "import conftest",  # the suites' conftests (run from tests/contracts, tests/keepers)
    ],
)
def test_fnd_23__every_place_the_keepers_bring_ape_in__installs_it(imports):
    out = subprocess.run(
        [sys.executable, "-c", _INSTALLED.format(imports=imports)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.stdout.strip().splitlines()[-1:] == ["True"], out.stderr[-2000:]


def test_fnd_23__connected__installs_it_before_it_connects():
    # (connecting for real needs a node: the CLI's and keepers' chain tests run through it)
    source = inspect.getsource(connected)
    assert source.index("cache_network_config()") < source.index("parse_network_choice(")


def test_fnd_23__installed_once():
    installed = NetworkAPI.__dict__["config"]
    cache_network_config()
    cache_network_config()
    assert NetworkAPI.__dict__["config"] is installed
