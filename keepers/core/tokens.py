"""ERC-20 facts keepers read once: decimals, cached per token of a chain; and the ERC-20 ABI any
reader uses for a token whatever its contract (OpenZeppelin's compiled `IERC20Metadata`, the npm
package's own artifact, rather than a test double's or a copy)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from keepers.core.errors import QuanteraError

#: The ABI name readers use for any ERC-20 (`name`, `symbol`, `decimals`, `totalSupply`,
#: `balanceOf`, `allowance`, `Transfer`, `Approval`).
ERC20 = "IERC20Metadata"
ERC20_ARTIFACT = (
    Path(__file__).resolve().parents[2]
    / "node_modules/@openzeppelin/contracts/build/contracts/IERC20Metadata.json"
)


@cache
def erc20_abi() -> list[dict[str, Any]]:
    """OpenZeppelin's IERC20Metadata ABI, read once from the installed npm package."""
    try:
        return json.loads(ERC20_ARTIFACT.read_text())["abi"]
    except (OSError, ValueError, KeyError):
        raise QuanteraError(f"{ERC20_ARTIFACT} is missing: run `make install`") from None


# (chain id, node URI, token) -> decimals. The node is part of the key: two local chains share a
# chain id (anvil's 1337) and, deployed by the same account, the same addresses for other tokens.
_DECIMALS: dict[tuple[int, str, str], int] = {}


def token_decimals(token: str) -> int:
    """An ERC-20's decimals, read once per token of the connected chain and cached."""
    from ape import chain

    provider = chain.provider
    key = (int(provider.chain_id), str(getattr(provider, "http_uri", "") or ""), token.lower())
    if key not in _DECIMALS:
        _DECIMALS[key] = int(erc20_at(token).decimals())
    return _DECIMALS[key]


def erc20_at(address: str) -> Any:
    """Any ERC-20 at `address` as an ape contract with OpenZeppelin's IERC20Metadata ABI (its
    views, `approve` and `transfer`), whatever its contract; not cached as the address's type."""
    from ape.contracts.base import ContractInstance

    return ContractInstance(address, _erc20_type())


@cache
def _erc20_type() -> Any:
    from keepers.core.artifacts import load_contract_type

    return load_contract_type(ERC20, ERC20_ARTIFACT)
