"""ape's network settings built once per content, not once per call.

ape 0.8.51's `NetworkAPI.config` validates the network's section of `ape-config.yaml` into a new
`PluginConfig` (a pydantic-settings object, which also reads the environment) every time it is
asked, and it is asked several times for every call and transaction: `create_transaction` reads
`required_confirmations` and `default_transaction_type` through it, `get_receipt` the acceptance
timeout. Over a contract state machine that was 13% of the process's CPU (py-spy over
`tests/contracts/lifecycle/test_fund_stateful.py`; benchmarks/test_cpu.md).

`cache_network_config()` keeps, per network object, the `repr` of the section it validated and
the result, and answers a copy of that result (callers get their own object, as from ape) while
the section's `repr` is unchanged (so `1` changed to `True` or `1.0`, or a nested change, is
validated again). Only sections that are dictionaries are cached (ape's own other cases are
cheap). Idempotent; installed wherever the keepers bring ape in: `keepers.core.chain.connected`
(the CLI and keepers), `Deployment` (the deploy script, benchmarks, fixtures),
`keepers.core.sending` and `.record` (keeper bots), and the contract and keeper suites'
conftests."""

from __future__ import annotations

from typing import Any

_MARK = "_quantera_cached"
#: network object id -> (the network, the repr of the section validated, its PluginConfig)
_CACHE: dict[int, tuple[Any, str, Any]] = {}


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
        seen = repr(section)
        cached = _CACHE.get(id(self))
        if cached is None or cached[0] is not self or cached[1] != seen:
            cached = (self, seen, original(self))
            _CACHE[id(self)] = cached
        return cached[2].model_copy()

    setattr(config, _MARK, True)
    config.__wrapped__ = original  # type: ignore[attr-defined]
    NetworkAPI.config = property(config, doc=prop.__doc__)  # type: ignore[method-assign]
