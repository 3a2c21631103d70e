"""Model portfolios and the clients that follow them: the asset manager's off-chain book, kept in
the keeper store (`keepers.rebalancing.store`: `model_portfolios`, `model_assignments`), and each
client's drift from its model: max |weight - target| in bps, weights from on-chain positions at
oracle prices, computed for every client at once with numpy.

No chain access here except `read_positions` / `read_prices` (plain view calls), so the drift maths
is testable alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from keepers.core.errors import QuanteraError
from keepers.core.units import BPS
from keepers.rebalancing import store as rebalancing_store

MAX_NAME_LENGTH = 64


@dataclass(frozen=True)
class ModelPortfolio:
    name: str
    weights_bps: dict[str, int]  # asset address (checksummed) -> bps, summing to 10,000
    version: int


def _checksum(address: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(address):
        raise QuanteraError(f"not an address: {address!r}")
    return to_checksum_address(address)


def define_model(
    db, chain_id: int, name: str, weights_bps: dict[str, int], now: int
) -> ModelPortfolio:
    """Stores (or replaces) model `name`: weights per asset address, whole bps summing to 10,000."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise QuanteraError(f"a model name has 1 to {MAX_NAME_LENGTH} characters, not {name!r}")
    weights = {_checksum(asset): int(bps) for asset, bps in weights_bps.items()}
    if len(weights) != len(weights_bps):
        raise QuanteraError(f"model {name!r} names an asset twice")
    if not weights or any(not 0 <= bps <= BPS for bps in weights.values()):
        raise QuanteraError(f"model {name!r}: each weight is 0 to {BPS} bps")
    if sum(weights.values()) != BPS:
        raise QuanteraError(
            f"model {name!r}: weights sum to {sum(weights.values())} bps, not {BPS}"
        )
    version = rebalancing_store.define_model(db, chain_id, name, weights, now)
    return ModelPortfolio(name, weights, version)


def list_models(db, chain_id: int) -> list[ModelPortfolio]:
    return [
        ModelPortfolio(row.name, dict(row.weights), row.version)
        for row in rebalancing_store.model_portfolios(db, chain_id)
    ]


def get_model(db, chain_id: int, name: str) -> ModelPortfolio:
    for model in list_models(db, chain_id):
        if model.name == name:
            return model
    known = ", ".join(m.name for m in list_models(db, chain_id)) or "none"
    raise QuanteraError(f"no model portfolio named {name!r} (defined: {known})")


def assign_model(db, chain_id: int, name: str, portfolios: Iterable[str], now: int) -> int:
    """Makes each client portfolio follow model `name`; returns how many assignments changed."""
    get_model(db, chain_id, name)
    return rebalancing_store.assign_model(
        db, chain_id, [_checksum(p) for p in portfolios], name, now
    )


def clients_of(db, chain_id: int, name: str) -> list[str]:
    return [row.portfolio for row in rebalancing_store.model_assignments(db, chain_id, name)]


def assignments(db, chain_id: int) -> dict[str, str]:
    """Client portfolio -> the model it follows."""
    return {row.portfolio: row.model for row in rebalancing_store.model_assignments(db, chain_id)}


def target_bps(model: ModelPortfolio, assets: Sequence[str]) -> list[int]:
    """The model's targets in a vault's asset order (an asset the model omits: 0). Raises when the
    model weights an asset the vault does not hold: its targets could not sum to 10,000."""
    held = {_checksum(a) for a in assets}
    missing = [a for a, bps in model.weights_bps.items() if bps and a not in held]
    if missing:
        raise QuanteraError(f"model {model.name!r} weights assets the portfolio lacks: {missing}")
    return [model.weights_bps.get(_checksum(a), 0) for a in assets]


def drift_bps(values_usd: np.ndarray, targets_bps: np.ndarray) -> np.ndarray:
    """Per client (rows): max over assets of |value / NAV - target| in bps (0 for an empty
    portfolio). `values_usd` and `targets_bps` are clients x assets (rows padded with zeros)."""
    values = np.asarray(values_usd, dtype=float)
    nav = values.sum(axis=1, keepdims=True)
    weights = np.divide(values, nav, out=np.zeros_like(values), where=nav > 0) * BPS
    gaps = np.abs(weights - np.asarray(targets_bps, dtype=float))
    return np.where(nav[:, 0] > 0, gaps.max(axis=1), 0.0)


@dataclass(frozen=True)
class Positions:
    """Clients' positions as one matrix: `assets[i]` lists client i's assets (vault order),
    `holdings` is clients x max assets in token units (zero padded)."""

    portfolios: list[str]
    assets: list[list[str]]
    holdings: np.ndarray  # dtype object: exact integers


def read_positions(vaults: Sequence) -> Positions:
    """Each vault's `positions()` (assets and balances)."""
    assets, rows = [], []
    for vault in vaults:
        listed, held = vault.positions()
        assets.append([str(a) for a in listed])
        rows.append([int(h) for h in held])
    width = max((len(r) for r in rows), default=0)
    holdings = np.array([r + [0] * (width - len(r)) for r in rows], dtype=object).reshape(
        len(rows), width
    )
    return Positions([v.address for v in vaults], assets, holdings)


def read_prices(router, assets: Iterable[str]) -> dict[str, tuple[int, int]]:
    """asset -> (oracle price, 18-decimal USD per whole token; 10**decimals)."""
    from keepers.core.tokens import token_decimals

    return {a: (int(router.price(a)), 10 ** token_decimals(a)) for a in dict.fromkeys(assets)}


def client_drifts(
    positions: Positions,
    prices: dict[str, tuple[int, int]],
    model: ModelPortfolio,
    strict: bool = True,
) -> np.ndarray:
    """Each client's drift (bps) from `model` at `prices`, vectorised over clients. A client the
    model does not fit (it weights an asset the client lacks) raises, or with `strict` False gets
    NaN."""
    shape = positions.holdings.shape
    price = np.zeros(shape)
    unit = np.ones(shape)
    targets = np.zeros(shape)
    unfit = np.zeros(shape[0], dtype=bool)
    for i, listed in enumerate(positions.assets):
        price[i, : len(listed)] = [prices[a][0] for a in listed]
        unit[i, : len(listed)] = [prices[a][1] for a in listed]
        try:
            targets[i, : len(listed)] = target_bps(model, listed)
        except QuanteraError:
            if strict:
                raise
            unfit[i] = True
    values = positions.holdings.astype(float) / unit * price / 1e18
    return np.where(unfit, np.nan, drift_bps(values, targets))
