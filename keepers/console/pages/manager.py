"""Asset manager: client portfolios (the record's PortfolioVaults with their strategy on the
AutoRebalancer), the model portfolios and who follows which (the keeper store's off-chain book,
keepers.rebalancing), each client's drift from its model at oracle prices, the latest bulk
rebalance run's per-client outcomes, and a PDF report per client (keepers.reports).

The book (defining a model, assigning it) is written from the page (`manager_routes`); the bulk
rebalance runs from the page only when the console was started with `--signer` and `--relayer`
(else the page shows the `quantera manager rebalance` command to run)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from keepers.console.index import EventIndex
from keepers.console.keeper_store import store_of
from keepers.console.pages import Page
from keepers.console.source import ChainSource, ConsoleError
from keepers.core.deploying import is_implementation
from keepers.core.tokens import ERC20
from keepers.core.units import BPS, USABLE_PRICE_STATUS

CLIENT_PREFIX = "PortfolioVault"
MAX_CLIENTS = 200  # portfolios read per refresh (each: positions, strategy, state: 3 calls)
OUTCOMES_SHOWN = 200  # the latest run's outcomes (one per client of its model)
HISTORY_SHOWN = 20  # newest book entries (models defined, assignments)
USD = 10**18


def client_vaults(source: ChainSource) -> dict[str, str]:
    """Record name -> address of every PortfolioVault of the deployment (at most MAX_CLIENTS): the
    proxies, never their code (`<name>.implementation`, UPG-9)."""
    names = sorted(
        n
        for n in source.record.contracts
        if (n == CLIENT_PREFIX or n.startswith(f"{CLIENT_PREFIX}.")) and not is_implementation(n)
    )
    return {n: source.address(n) for n in names[:MAX_CLIENTS]}


class _Vault:
    """A web3 PortfolioVault as keepers.rebalancing.models reads one (`positions()`, `address`)."""

    def __init__(self, contract: Any):
        self._c = contract
        self.address = contract.address

    def positions(self):
        return self._c.functions.positions().call()


def token_meta(source: ChainSource, asset: str) -> tuple[str, int]:
    token = source.contract("", asset, abi_of=ERC20)
    return token.functions.symbol().call(), int(token.functions.decimals().call())


def known_assets(source: ChainSource) -> dict[str, str]:
    """Symbol -> address of the fund vault's assets (the assets a model may weight)."""
    vault = source.contract(CLIENT_PREFIX)
    return {token_meta(source, a)[0]: a for a in vault.functions.assets().call()}


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    from keepers.rebalancing import Positions, assignments, client_drifts, list_models

    vaults = client_vaults(source)
    rebalancer = source.contract("AutoRebalancer") if source.has("AutoRebalancer") else None
    lens = source.contract("RebalancerLens") if source.has("RebalancerLens") else None
    router = source.contract("OracleRouter")
    db = store_of(source)
    chain_id = source.chain_id
    models = list_models(db, chain_id) if db is not None else []
    following = assignments(db, chain_id) if db is not None else {}
    by_name = {m.name: m for m in models}

    positions = [
        _Vault(source.contract(name, address, abi_of="PortfolioVault")).positions()
        for name, address in vaults.items()
    ]
    assets = sorted({str(a) for listed, _ in positions for a in listed})
    meta = {a: token_meta(source, a) for a in assets}
    quotes = {a: router.functions.priceOf(a).call() for a in assets}  # (status, price18, at)
    unpriced = {a for a, q in quotes.items() if int(q[0]) >= USABLE_PRICE_STATUS}
    prices = {a: (int(quotes[a][1]), 10 ** meta[a][1]) for a in assets}
    clients = []
    for (name, address), (listed, held) in zip(vaults.items(), positions):
        values = [int(h) * prices[str(a)][0] // prices[str(a)][1] for a, h in zip(listed, held)]
        nav = sum(values)
        strategy_id, paused, nonce, relayer = 0, False, 0, None
        if rebalancer is not None and lens is not None:
            _, strategy_id, paused = lens.functions.strategyOf(rebalancer.address, address).call()
            nonce = int(lens.functions.stateOf(rebalancer.address, address).call()[0])
            relayer = lens.functions.relayerOf(rebalancer.address, address).call()
        model = following.get(address)
        drift = None
        priced = not unpriced.intersection(str(x) for x in listed)
        if model in by_name and priced:
            one = Positions(
                [address],
                [[str(a) for a in listed]],
                np.array([[int(h) for h in held]], dtype=object).reshape(1, len(held)),
            )
            value = float(client_drifts(one, prices, by_name[model], strict=False)[0])
            drift = None if math.isnan(value) else round(value, 2)
        clients.append(
            {
                "name": name,
                "vault": address,
                "nav_usd": nav / USD,
                "weights": [
                    {"symbol": meta[str(a)][0], "bps": round(v * BPS / nav) if nav else 0}
                    for a, v in zip(listed, values)
                ],
                "strategy_id": int(strategy_id),
                "paused": bool(paused),
                "nonce": nonce,
                "relayer": relayer,
                "model": model,
                "drift_bps": drift,
                "priced": priced,
            }
        )
    symbol_of = {a: meta[a][0] if a in meta else a for a in assets}
    model_rows = [
        {
            "name": m.name,
            "version": m.version,
            "weights": [
                {"asset": a, "symbol": symbol_of.get(a, a), "bps": bps}
                for a, bps in m.weights_bps.items()
            ],
            "clients": sorted(p for p, n in following.items() if n == m.name),
        }
        for m in models
    ]
    return {
        "clients": clients,
        "clients_bound": MAX_CLIENTS,
        "models": model_rows,
        "assets": [{"symbol": meta[a][0], "address": a} for a in assets],
        "last_run": last_run(db, chain_id) if db is not None else None,
        "history": book_history(db, chain_id) if db is not None else [],
        "store": db is not None,
    }


def last_run(db, chain_id: int) -> dict[str, Any] | None:
    """The latest bulk run's per-client outcomes (keepers.rebalancing.bulk stores them)."""
    from keepers.rebalancing import bulk_outcomes

    rows = bulk_outcomes(db, chain_id)
    if not rows:
        return None
    run_id = rows[-1].run_id
    mine = [r for r in rows if r.run_id == run_id]
    counts = {"rebalanced": 0, "skipped": 0, "failed": 0}
    for r in mine:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "run_id": run_id,
        "model": mine[0].model,
        "recorded_at": int(mine[0].recorded_at),
        "counts": counts,
        "outcomes": [
            {
                "portfolio": r.portfolio,
                "status": r.status,
                "reason": r.reason,
                "tx_hash": r.tx_hash,
                "drift_before_bps": r.drift_before_bps,
                "drift_after_bps": r.drift_after_bps,
            }
            for r in mine[:OUTCOMES_SHOWN]
        ],
    }


def book_history(db, chain_id: int) -> list[dict[str, Any]]:
    """The book's entries, newest first: models (re)defined and clients assigned."""
    from keepers.rebalancing import model_assignments, model_portfolios

    entries = [
        {"time": int(m.updated_at), "entry": f"model {m.name} v{m.version} defined"}
        for m in model_portfolios(db, chain_id)
    ] + [
        {"time": int(a.assigned_at), "entry": f"{a.portfolio} follows {a.model}"}
        for a in model_assignments(db, chain_id)
    ]
    return sorted(entries, key=lambda e: -e["time"])[:HISTORY_SHOWN]


def parse_weights(source: ChainSource, text: str) -> dict[str, int]:
    """'USDC=2500, QTF=7500' (symbols of the fund's assets or addresses) -> address -> bps."""
    assets = known_assets(source)
    by_address = {a.lower(): a for a in assets.values()}
    weights: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        symbol, sep, bps = part.partition("=")
        symbol, bps = symbol.strip(), bps.strip()
        if not sep or not bps.isdigit():
            raise ConsoleError(f"Weights: {part!r} is not SYMBOL=BPS")
        address = assets.get(symbol.upper()) or by_address.get(symbol.lower())
        if address is None:
            raise ConsoleError(f"Weights: unknown asset {symbol!r} (known: {', '.join(assets)})")
        if address in weights:
            raise ConsoleError(f"Weights: {symbol} given twice")
        weights[address] = int(bps)
    if not weights:
        raise ConsoleError("Weights: give SYMBOL=BPS pairs, e.g. USDC=5000,QTF=5000")
    if sum(weights.values()) != BPS:
        raise ConsoleError(f"Weights: they sum to {sum(weights.values()):,} bps, not 10,000")
    return weights


def parse_clients(source: ChainSource, text: str) -> list[str]:
    """Client vaults by record name (client-001 or PortfolioVault.client-001) or address."""
    vaults = client_vaults(source)
    by_address = {a.lower(): a for a in vaults.values()}
    chosen: list[str] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        name = part if part.startswith(CLIENT_PREFIX) else f"{CLIENT_PREFIX}.{part}"
        address = vaults.get(name) or by_address.get(part.lower())
        if address is None:
            raise ConsoleError(f"Clients: {part!r} is not a client portfolio of the deployment")
        chosen.append(address)
    if not chosen:
        raise ConsoleError("Clients: name at least one client portfolio")
    return chosen


def _routes(ctx) -> list:
    from keepers.console.pages.manager_ops import routes

    return routes(ctx)


PAGE = Page("manager", "Asset manager", read, routes=_routes)
