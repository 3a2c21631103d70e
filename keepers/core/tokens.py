"""ERC-20 facts keepers read once: decimals, cached per token of a chain."""

from __future__ import annotations

# (chain id, node URI, token) -> decimals. The node is part of the key: two local chains share a
# chain id (anvil's 1337) and, deployed by the same account, the same addresses for other tokens.
_DECIMALS: dict[tuple[int, str, str], int] = {}


def token_decimals(token: str) -> int:
    """An ERC-20's decimals, read once per token of the connected chain and cached."""
    from ape import chain, project

    provider = chain.provider
    key = (int(provider.chain_id), str(getattr(provider, "http_uri", "") or ""), token.lower())
    if key not in _DECIMALS:
        # Any ERC-20 answers decimals(); the SecurityToken ABI serves as the ERC-20 ABI here.
        _DECIMALS[key] = int(project.SecurityToken.at(token).decimals())
    return _DECIMALS[key]
