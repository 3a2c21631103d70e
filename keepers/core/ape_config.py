"""ape's network settings built once per content, not once per call.

ape 0.8.51's `NetworkAPI.config` validates the network's section of `ape-config.yaml` into a new
`PluginConfig` (a pydantic-settings object, which also reads the environment) every time it is
asked, and it is asked several times for every call and transaction: `create_transaction` reads
`required_confirmations` and `default_transaction_type` through it, `get_receipt` the acceptance
timeout. Over a contract state machine that was 13% of the process's CPU (py-spy over
`tests/contracts/lifecycle/test_fund_stateful.py`; benchmarks/test_cpu.md).

`cache_network_config()` keeps, per network object, the section it validated and the result, and
answers the same result while the section is equal to the one validated (compared by value, so a
changed configuration, `config_manager.isolate()` included, is validated again). Only sections
that are dictionaries are cached (ape's own other cases are cheap). Idempotent; installed where
the keepers bring ape in (`keepers.core.sending`, `.record`, `.bot`) and by the contract suite's
conftest."""

from __future__ import annotations

import copy
from typing import Any

_MARK = "_quantera_cached"
#: network object id -> (the network, the section validated, its PluginConfig)
_CACHE: dict[int, tuple[Any, dict[str, Any], Any]] = {}


def _section(network: Any) -> Any:
    """The network's section of the ecosystem's settings, as ape's `NetworkAPI.config` finds it."""
    name = network.name
    for option in {name, name.replace("-", "_"), name.replace("_", "-")}:
        if section := network.ecosystem_config.get(option):
            return section
    return None


def cache_network_config() -> None:
    """Makes ape's `NetworkAPI.config` answer from a cache while its section is unchanged (once)."""
    from ape.api.networks import NetworkAPI

    prop = NetworkAPI.__dict__["config"]
    original = prop.fget
    if getattr(original, _MARK, False):
        return

    def config(self: Any) -> Any:
        section = _section(self)
        if not isinstance(section, dict):
            return original(self)
        cached = _CACHE.get(id(self))
        if cached is not None and cached[0] is self and cached[1] == section:
            return cached[2]
        result = original(self)
        _CACHE[id(self)] = (self, copy.deepcopy(section), result)
        return result

    setattr(config, _MARK, True)
    NetworkAPI.config = property(config, doc=prop.__doc__)  # type: ignore[method-assign]
