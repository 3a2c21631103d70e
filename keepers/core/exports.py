"""A domain package's public API, imported on first use (PEP 562 module `__getattr__`).

`from keepers.risk import observed_history` loads `keepers.risk.publication` only then: the
`quantera` CLI, which loads every domain's command group, keeps starting without ape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, public: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`, serving each name of `public` (name -> submodule)."""

    def __getattr__(name: str) -> Any:
        submodule = public.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{submodule}"), name)

    return __getattr__
