"""ERC-20 facts keepers read once: decimals, cached per token."""

from __future__ import annotations

_DECIMALS: dict[str, int] = {}


def token_decimals(token: str) -> int:
    """An ERC-20's decimals, read once per token and cached."""
    if token not in _DECIMALS:
        from ape import project

        # Any ERC-20 answers decimals(); the SecurityToken ABI serves as the ERC-20 ABI here.
        _DECIMALS[token] = int(project.SecurityToken.at(token).decimals())
    return _DECIMALS[token]
