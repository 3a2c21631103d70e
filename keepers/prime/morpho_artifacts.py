"""Morpho Blue as compiled by `make build` from its npm package's source (solc-js 0.8.19 at
Morpho's own settings: tools/solc/build-morpho.js writes `.build/morpho/<Name>.json`), loaded as
ape contract containers the way keepers/liquidity/artifacts.py loads Uniswap's."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from keepers.core.artifacts import load_contract_type
from keepers.core.errors import QuanteraError

MORPHO_BUILD = Path(__file__).resolve().parents[2] / ".build" / "morpho"
# Morpho itself, the package's test IRM and its plain ERC-20 (tools/solc/build-morpho.js TARGETS).
MORPHO_ARTIFACTS = ("Morpho", "IrmMock", "ERC20Mock")


@cache
def morpho_contract_type(name: str):
    """The ethpm ContractType of a Morpho Blue artifact (ABI + creation and runtime bytecode)."""
    if name not in MORPHO_ARTIFACTS:
        raise QuanteraError(
            f"unknown Morpho artifact {name!r} (known: {', '.join(MORPHO_ARTIFACTS)})"
        )
    return load_contract_type(name, MORPHO_BUILD / f"{name}.json", "run `make build`")


def morpho_container(name: str):
    """An ape ContractContainer for `name`: `.at(address)`, or `account.deploy(container, ...)`."""
    from ape.contracts import ContractContainer

    return ContractContainer(morpho_contract_type(name))
