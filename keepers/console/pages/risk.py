"""Risk: each portfolio the RiskEngine knows (its `PortfolioConfigured` events), with its NAV at
OracleRouter prices, VaR and ES against their limits, drawdown against the soft and hard caps,
concentration by asset and class, the keeper's correlation matrix, halted or not, the risk
keeper's last publication and its age, and the stress scenarios' losses on current weights.

Figures are the chain's: VaR and ES are the RiskLens's `portfolioRisk` on the vault's holdings
(what the engine's checks compute, at its snapshot prices and published model), drawdown the last
`Synced` event, the publication `metricsOf`. The stress losses apply the scenario file the keeper
publishes from (`keepers.risk.load_scenarios`) to the weights at oracle prices, beside the shocks
the engine holds (`modelInputsOf`) applied to the same weights. Bounded: MAX_PORTFOLIOS portfolios
(the newest configured), each a fixed number of calls per asset.
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.calls import batch_call
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.keeper_store import store_of
from keepers.console.pages import Page
from keepers.console.prices import oracle_calls, oracle_prices, token_meta, value_usd18
from keepers.console.source import ChainSource
from keepers.core.units import BPS, WAD, human_duration
from keepers.risk import RISK_LIMIT_NAMES, load_scenarios, stress_losses
from keepers.vault import LIMIT_FIELDS

ENGINE = "RiskEngine"
LENS = "RiskLens"
VAULT_ABI = "PortfolioVault"
MAX_PORTFOLIOS = 20
# A figure at or above this share of its limit is shown as a warning; above the limit, bad.
WARN_SHARE = 0.8
GRADES = "ABCDEF"
# Limit fields and the largest value the engine (RiskUpdateRules.validateLimits) or the field's
# Solidity type accepts; maxClassWeightBps is set per class ("maxClassWeightBps[k]").
UINT16, UINT32 = 2**16 - 1, 2**32 - 1
LIMIT_MAX = {
    "minLiquidBps": BPS,
    "maxVar95Bps": UINT16,
    "maxVar99Bps": UINT16,
    "maxEsBps": UINT16,
    "maxStressLossBps": UINT16,
    "maxDrawdownBps": BPS,
    "hardDrawdownBps": BPS,
    "maxModelAge": UINT32,
    "maxPriceAge": UINT32,
    "minUpdateDelay": UINT32,
    "maxVolChangeBps": UINT16,
    "maxCorrelationChange": UINT16,
    "maxStressChangeBps": UINT16,
    "boundWindowHours": 8_760,
}
NONZERO = frozenset(
    {"maxModelAge", "maxPriceAge", "maxVolChangeBps", "maxCorrelationChange", "maxStressChangeBps"}
)
CLASS_CAPS = 8
LIMIT_CHOICES = (
    *LIMIT_MAX,
    *(f"maxClassWeightBps[{k}]" for k in range(CLASS_CAPS)),
)


def level(value: float, bound: float) -> str:
    """ok / warn / bad of a figure against its limit (no limit: ok)."""
    if bound <= 0:
        return "ok"
    if value > bound:
        return "bad"
    return "warn" if value >= WARN_SHARE * bound else "ok"


def drawdown_level(drawdown_bps: int, soft_bps: int, hard_bps: int) -> str:
    if hard_bps and drawdown_bps >= hard_bps:
        return "bad"
    if soft_bps and drawdown_bps > soft_bps:
        return "bad"
    return level(drawdown_bps, soft_bps)


def portfolios(index: EventIndex) -> list[str]:
    """Every portfolio configured on the engine, newest configured last (at most MAX_PORTFOLIOS)."""
    seen: dict[str, int] = {}
    for e in index.events(contract=ENGINE, names=["PortfolioConfigured"]):
        seen.pop(e.args["portfolio"], None)
        seen[e.args["portfolio"]] = e.block_number
    return list(seen)[-MAX_PORTFOLIOS:]


def _last(events: list[ChainEvent], portfolio: str) -> ChainEvent | None:
    mine = [e for e in events if e.args.get("portfolio") == portfolio]
    return mine[-1] if mine else None


def correlation_matrix(upper: list[int], n: int) -> list[list[float]]:
    """The full matrix from the upper triangle row by row, 1e-4 units -> fractions."""
    matrix = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i][j] = matrix[j][i] = upper[k] / BPS if k < len(upper) else 0.0
            k += 1
    return matrix


def _publication(source: ChainSource, portfolio: str) -> dict[str, Any] | None:
    """The risk keeper's own record of its last publication (the keeper store), when known."""
    db = store_of(source)
    if db is None:
        return None
    from keepers.risk import publications

    rows = publications(db, source.chain_id, portfolio)
    if not rows:
        return None
    row = rows[-1]
    return {
        "update_id": int(row.update_id),
        "status": row.status,
        "tx": row.tx_hash,
        "computed_at": int(row.computed_at),
        "note": row.note,
    }


def read_portfolio(
    source: ChainSource, index: EventIndex, portfolio: str, now: int, block: int
) -> dict[str, Any]:
    """One portfolio, read at `block` in two JSON-RPC batches."""
    engine = source.contract(ENGINE)
    lens = source.contract(LENS)
    vault = source.contract(VAULT_ABI, portfolio, abi_of=VAULT_ABI)
    (
        (tokens, held),
        (limits_raw, asset_risk),
        (synced_at, _, snapshot),
        (metrics, update_id, as_of, published_at),
        (vols, upper, es_multiplier, shocks),
        halted,
        name,
    ) = batch_call(
        source,
        [
            (vault, "positions", ()),
            (lens, "limitsOf", (engine.address, portfolio)),
            (engine, "priceSnapshot", (portfolio,)),
            (engine, "metricsOf", (portfolio,)),
            (lens, "modelInputsOf", (engine.address, portfolio)),
            (engine, "isHalted", (portfolio,)),
            (vault, "symbol", ()),
        ],
        block,
    )
    tokens = [to_checksum_address(t) for t in tokens]
    meta = token_meta(source, tokens)
    prices_calls = oracle_calls(source, tokens)
    (var95, var99, es), *priced = batch_call(
        source,
        [(lens, "portfolioRisk", (engine.address, portfolio, list(held))), *prices_calls],
        block,
    )
    prices = oracle_prices(priced) if priced else [None] * len(tokens)
    limits = dict(zip(LIMIT_FIELDS, limits_raw, strict=True))
    limits["maxClassWeightBps"] = list(limits["maxClassWeightBps"])

    scenario_set = load_scenarios()
    classes = scenario_set.asset_classes
    assets = []
    for k, (token, amount) in enumerate(zip(tokens, held, strict=True)):
        symbol, decimals = meta[token]
        price = prices[k]
        snap = int(snapshot[k]) if k < len(snapshot) else 0
        if price is not None and price.valid:
            price18, priced_by = price.price18, "oracle"
        else:
            price18, priced_by = snap, "engine snapshot"
        max_w, cls, liquid = asset_risk[k] if k < len(asset_risk) else (0, 0, False)
        assets.append(
            {
                "token": token,
                "symbol": symbol,
                "decimals": decimals,
                "holding": int(amount),
                "holding_display": f"{int(amount) / 10**decimals:,.4f}",
                "price18": price18,
                "price_usd": price18 / WAD,
                "priced_by": priced_by,
                "oracle_status": price.status_name if price is not None else "no oracle",
                "value_usd18": value_usd18(int(amount), decimals, price18),
                "class_index": int(cls),
                "class": classes[cls] if cls < len(classes) else str(cls),
                "liquid": bool(liquid),
                "max_weight_bps": int(max_w),
            }
        )
    nav18 = sum(a["value_usd18"] for a in assets)
    for a in assets:
        a["weight_bps"] = a["value_usd18"] * BPS / nav18 if nav18 else 0.0
        a["weight_level"] = level(a["weight_bps"], a["max_weight_bps"])
    class_weights = []
    for cls in sorted({a["class_index"] for a in assets}):
        weight = sum(a["weight_bps"] for a in assets if a["class_index"] == cls)
        cap = limits["maxClassWeightBps"][cls] if cls < CLASS_CAPS else 0
        class_weights.append(
            {
                "class_index": cls,
                "class": classes[cls] if cls < len(classes) else str(cls),
                "weight_bps": weight,
                "cap_bps": cap,
                "level": level(weight, cap),
            }
        )
    liquid_bps = sum(a["weight_bps"] for a in assets if a["liquid"])

    risk = [
        {"name": name, "value_bps": wad * BPS / WAD, "limit_bps": limits[field]}
        for name, wad, field in (
            ("VaR 95% (1 day)", var95, "maxVar95Bps"),
            ("VaR 99% (1 day)", var99, "maxVar99Bps"),
            ("ES 97.5% (1 day)", es, "maxEsBps"),
        )
    ]
    for r in risk:
        r["level"] = level(r["value_bps"], r["limit_bps"])

    n = len(tokens)
    weights = [a["weight_bps"] / BPS for a in assets]
    file_losses = stress_losses(
        weights, [a["class"] for a in assets], scenario_set
    )  # fractions of NAV
    published = len(shocks) // n if n else 0
    stress = []
    for s, scenario in enumerate(scenario_set.scenarios):
        engine_bps = (
            sum(weights[i] * shocks[s * n + i] for i in range(n)) if s < published else None
        )
        worst = max(file_losses[scenario.name] * BPS, engine_bps or 0.0)
        stress.append(
            {
                "scenario": scenario.name,
                "window": scenario.window,
                "file_loss_bps": file_losses[scenario.name] * BPS,
                "engine_loss_bps": engine_bps,
                "limit_bps": limits["maxStressLossBps"],
                "level": level(worst, limits["maxStressLossBps"]),
            }
        )

    synced = _last(index.events(contract=ENGINE, names=["Synced"]), portfolio)
    drawdown = int(synced.args["drawdownBps"]) if synced else 0
    halt_event = _last(index.events(contract=ENGINE, names=["Halted", "Resumed"]), portfolio)
    halt = None
    if halt_event is not None:
        halt = {
            "event": halt_event.event,
            "by": halt_event.args.get("by"),
            "reason": RISK_LIMIT_NAMES[halt_event.args["reason"]]
            if halt_event.event == "Halted" and halt_event.args["reason"] < len(RISK_LIMIT_NAMES)
            else None,
            "block": halt_event.block_number,
            "time": halt_event.block_time,
        }
    symbols = [a["symbol"] for a in assets]
    return {
        "portfolio": portfolio,
        "name": str(name),
        "nav_usd18": nav18,
        "nav_usd": nav18 / WAD,
        "halted": bool(halted),
        "halt": halt,
        "assets": assets,
        "classes": class_weights,
        "liquid_bps": liquid_bps,
        "liquid_level": "bad"
        if limits["minLiquidBps"] and liquid_bps < limits["minLiquidBps"]
        else "ok",
        "risk": risk,
        "drawdown": {
            "drawdown_bps": drawdown,
            "soft_cap_bps": limits["maxDrawdownBps"],
            "hard_cap_bps": limits["hardDrawdownBps"],
            "level": drawdown_level(drawdown, limits["maxDrawdownBps"], limits["hardDrawdownBps"]),
            "nav_per_share18": int(synced.args["navPerShare"]) if synced else None,
            "high_water_mark18": int(synced.args["highWaterMark"]) if synced else None,
            "synced_block": synced.block_number if synced else None,
            "synced_at": int(synced_at),
        },
        "publication": {
            "update_id": int(update_id),
            "as_of": int(as_of),
            "published_at": int(published_at),
            "age_seconds": now - int(published_at) if published_at else None,
            "age_display": human_duration(now - int(published_at)) if published_at else "never",
            "max_model_age": limits["maxModelAge"],
            "level": "bad"
            if not published_at or now - int(as_of) > limits["maxModelAge"]
            else "ok",
            "grade": GRADES[metrics[10]] if metrics[10] < len(GRADES) else str(metrics[10]),
            "keeper_var99_bps": int(metrics[1]),
            "keeper_es_bps": int(metrics[2]),
            "keeper": _publication(source, portfolio),
        },
        "limits": limits,
        "stress": stress,
        "model": {"vols_ppm": [int(v) for v in vols], "es_multiplier_ppm": int(es_multiplier)},
        "correlation_chart": {
            "data": [
                {
                    "type": "heatmap",
                    "z": correlation_matrix(list(upper), n),
                    "x": symbols,
                    "y": symbols,
                    "zmin": -1,
                    "zmax": 1,
                    "colorscale": "RdBu",
                    "reversescale": True,
                }
            ],
            "layout": {
                "title": {"text": "Correlations (keeper model)"},
                "height": 320,
                "yaxis": {"autorange": "reversed"},
            },
        },
        "weights_chart": {
            "data": [
                {
                    "type": "bar",
                    "name": "weight",
                    "x": symbols,
                    "y": [round(a["weight_bps"] / 100, 2) for a in assets],
                },
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "max weight",
                    "x": symbols,
                    "y": [a["max_weight_bps"] / 100 for a in assets],
                },
            ],
            "layout": {"title": {"text": "Weight by asset (% of NAV)"}, "height": 280},
        },
    }


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    block = index.head
    now = source.block_time(block)
    return {
        "chain_time": now,
        "block": block,
        "warn_share": WARN_SHARE,
        "portfolios": [read_portfolio(source, index, p, now, block) for p in portfolios(index)],
    }


# ---------------------------------------------------------------- actions


def _configured(source: ChainSource, portfolio: str) -> tuple[list, list]:
    engine = source.contract(ENGINE)
    limits, assets = source.contract(LENS).functions.limitsOf(engine.address, portfolio).call()
    if not assets:
        raise ActionInputError(f"Portfolio: {portfolio} is not configured on the RiskEngine")
    return list(limits), [tuple(a) for a in assets]


def _set_limit(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """The engine's `configure` with the portfolio's current assets and limits, one limit
    changed; refused here when the engine would refuse it (RiskUpdateRules.validateLimits)."""
    portfolio, name, value = form["portfolio"], form["limit"], form["value"]
    limits_raw, assets = _configured(source, portfolio)
    limits = dict(zip(LIMIT_FIELDS, limits_raw, strict=True))
    limits["maxClassWeightBps"] = list(limits["maxClassWeightBps"])
    if name.startswith("maxClassWeightBps["):
        if value > BPS:
            raise ActionInputError(f"Value: {name} is in basis points, at most {BPS}")
        limits["maxClassWeightBps"][int(name[len("maxClassWeightBps[") : -1])] = value
    else:
        if value > LIMIT_MAX[name]:
            raise ActionInputError(f"Value: {name} must be at most {LIMIT_MAX[name]:,}")
        if name in NONZERO and value == 0:
            raise ActionInputError(f"Value: {name} must not be 0")
        limits[name] = value
    if limits["hardDrawdownBps"] and limits["hardDrawdownBps"] < limits["maxDrawdownBps"]:
        raise ActionInputError(
            f"Value: hardDrawdownBps ({limits['hardDrawdownBps']}) below maxDrawdownBps "
            f"({limits['maxDrawdownBps']}): the hard cap must be at least the soft cap"
        )
    new = tuple(limits[f] for f in LIMIT_FIELDS)
    if list(new[:-1]) == list(limits_raw[:-1]) and list(new[-1]) == list(limits_raw[-1]):
        raise ActionInputError(f"Value: {name} is already {value}")
    return [Call(ENGINE, "configure", (portfolio, assets, new))]


def _halt(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    portfolio = form["portfolio"]
    _configured(source, portfolio)
    halted = source.contract(ENGINE).functions.isHalted(portfolio).call()
    if form["operation"] == "halt":
        if halted:
            raise ActionInputError(f"Portfolio: {portfolio} is already halted")
        return [Call(ENGINE, "halt", (portfolio,))]
    if not halted:
        raise ActionInputError(f"Portfolio: {portfolio} is not halted (the engine: NotHalted)")
    return [Call(ENGINE, "resume", (portfolio, form["reset_high_water_mark"] == "true"))]


PORTFOLIO_FIELD = Field(
    "portfolio",
    "Portfolio",
    "address",
    "a portfolio the RiskEngine knows",
    picks=("portfolios", "portfolio", "name"),
)
SET_LIMIT = Action(
    name="risk-set-limit",
    title="Set a risk limit",
    fields=(
        PORTFOLIO_FIELD,
        Field("limit", "Limit", "choice", choices=LIMIT_CHOICES, default="maxVar99Bps"),
        Field("value", "Value", "uint", "basis points of NAV, seconds or hours (see the limit)"),
    ),
    build=_set_limit,
    help="The engine's configure with the portfolio's current assets and limits, one changed "
    "(GOVERNOR: timelocked).",
    calls=((ENGINE, "configure"),),
)
HALT = Action(
    name="risk-halt",
    title="Halt or resume a portfolio",
    fields=(
        PORTFOLIO_FIELD,
        Field("operation", "Operation", "choice", choices=("halt", "resume"), default="halt"),
        Field(
            "reset_high_water_mark",
            "On resume, restart drawdown from the last NAV per share",
            "choice",
            choices=("false", "true"),
            default="false",
        ),
    ),
    build=_halt,
    help="Halt: the GUARDIAN, at once. Resume: the GOVERNOR, behind its delay.",
    calls=((ENGINE, "halt"), (ENGINE, "resume")),
)

PAGE = Page("risk", "Risk", read, (SET_LIMIT, HALT), charts=True)
