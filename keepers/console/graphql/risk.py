"""The risk page's data as GraphQL: each portfolio the RiskEngine knows, with its NAV, VaR and ES
against their limits, drawdown against its caps, weights by asset and class, the keeper's
correlations, its last publication, halted or not, and the stress scenarios' losses. As of the
page's head; the reader reads at most MAX_PORTFOLIOS portfolios (keepers/console/pages/risk.py)."""

from __future__ import annotations

from typing import Any

import strawberry
from eth_utils import is_address, to_checksum_address

from keepers.console.graphql.context import ConsoleContext
from keepers.console.graphql.paging import (
    DEFAULT_PAGE_SIZE,
    After,
    Connection,
    First,
    QueryInputError,
    paginate,
    paginate_listed,
)
from keepers.console.graphql.rows import Level, from_row
from keepers.console.graphql.scalars import BigInt, Long

PAGE = "risk"


@strawberry.type(description="One position of a portfolio's vault, priced.")
class RiskAsset:
    token: str
    symbol: str
    decimals: int
    holding: BigInt = strawberry.field(description="Held, in the token's base units.")
    price18: BigInt = strawberry.field(description="USD per whole token, 18 decimals.")
    price_usd: float
    priced_by: str = strawberry.field(description="oracle, or the engine's snapshot.")
    oracle_status: str
    value_usd18: BigInt
    class_index: int
    asset_class: str
    liquid: bool
    weight_bps: float = strawberry.field(description="Share of NAV (basis points).")
    max_weight_bps: int
    weight_level: Level
    model_vol_ppm: Long | None = strawberry.field(
        description="The keeper model's daily volatility (parts per million)."
    )


@strawberry.type(description="A portfolio's weight in one asset class against its cap.")
class AssetClassWeight:
    class_index: int
    asset_class: str
    weight_bps: float
    cap_bps: int
    level: Level


@strawberry.type(description="VaR or ES (1 day) on the vault's holdings, against its limit.")
class RiskFigure:
    name: str
    value_bps: float
    limit_bps: int
    level: Level


@strawberry.type(description="Drawdown from the high-water mark (the engine's last Synced).")
class Drawdown:
    drawdown_bps: int
    soft_cap_bps: int
    hard_cap_bps: int
    level: Level
    nav_per_share18: BigInt | None
    high_water_mark18: BigInt | None
    synced_block: Long | None
    synced_at: Long


@strawberry.type(description="The last Halted or Resumed event of the portfolio.")
class HaltEvent:
    event: str
    by: str | None
    reason: str | None
    block: Long
    time: Long


@strawberry.type(description="The risk keeper's own record of its last publication.")
class KeeperPublication:
    update_id: Long
    status: str
    tx: str | None
    computed_at: Long
    note: str | None


@strawberry.type(description="The risk metrics last published on the engine (`metricsOf`).")
class RiskPublication:
    update_id: Long
    as_of: Long
    published_at: Long
    age_seconds: Long | None
    max_model_age: Long
    level: Level
    grade: str
    keeper_var99_bps: int
    keeper_es_bps: int
    keeper: KeeperPublication | None


@strawberry.type(description="One stress scenario's loss on the current weights.")
class StressLoss:
    scenario: str
    window: str
    file_loss_bps: float = strawberry.field(description="With the scenario file's shocks.")
    engine_loss_bps: float | None = strawberry.field(
        description="With the shocks the engine holds (null if not published)."
    )
    limit_bps: int
    level: Level


@strawberry.type(description="One limit the engine holds for the portfolio.")
class RiskLimit:
    name: str = strawberry.field(description="The field's name (maxClassWeightBps[k] per class).")
    value: BigInt


@strawberry.type(description="The keeper model's correlation of two assets.")
class Correlation:
    asset_a: str
    asset_b: str
    correlation: float


@strawberry.type(description="One portfolio as the risk page shows it.")
class PortfolioRisk:
    portfolio: str
    name: str
    nav_usd18: BigInt
    nav_usd: float
    halted: bool
    halt: HaltEvent | None
    liquid_bps: float
    liquid_level: Level
    drawdown: Drawdown
    publication: RiskPublication
    es_multiplier_ppm: Long
    asset_rows: strawberry.Private[list[RiskAsset]]
    class_rows: strawberry.Private[list[AssetClassWeight]]
    figure_rows: strawberry.Private[list[RiskFigure]]
    stress_rows: strawberry.Private[list[StressLoss]]
    limit_rows: strawberry.Private[list[RiskLimit]]
    correlation_rows: strawberry.Private[list[Correlation]]

    @strawberry.field(description="Positions, in the vault's order.")
    def assets(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RiskAsset]:
        return paginate_listed(self.asset_rows, first, after)

    @strawberry.field(description="Weights by asset class, by class index.")
    def classes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[AssetClassWeight]:
        return paginate_listed(self.class_rows, first, after)

    @strawberry.field(description="VaR 95 %, VaR 99 % and ES 97.5 % against their limits.")
    def figures(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RiskFigure]:
        return paginate_listed(self.figure_rows, first, after)

    @strawberry.field(description="Stress losses, in the scenario file's order.")
    def stress(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[StressLoss]:
        return paginate_listed(self.stress_rows, first, after)

    @strawberry.field(description="The engine's limits for the portfolio.")
    def limits(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RiskLimit]:
        return paginate_listed(self.limit_rows, first, after)

    @strawberry.field(description="Each pair of assets once (a before b in the vault's order).")
    def correlations(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Correlation]:
        return paginate_listed(self.correlation_rows, first, after)

    @classmethod
    def of(cls, row: dict[str, Any]) -> PortfolioRisk:
        vols = row["model"]["vols_ppm"]
        assets = [
            from_row(
                RiskAsset,
                a,
                asset_class=a["class"],
                model_vol_ppm=vols[k] if k < len(vols) else None,
            )
            for k, a in enumerate(row["assets"])
        ]
        limits = []
        for name, value in row["limits"].items():
            if isinstance(value, list):
                limits += [RiskLimit(name=f"{name}[{k}]", value=v) for k, v in enumerate(value)]
            else:
                limits.append(RiskLimit(name=name, value=value))
        publication = row["publication"]
        keeper = publication.get("keeper")
        return from_row(
            cls,
            row,
            halt=from_row(HaltEvent, row["halt"]) if row.get("halt") else None,
            drawdown=from_row(Drawdown, row["drawdown"]),
            publication=from_row(
                RiskPublication,
                publication,
                keeper=from_row(KeeperPublication, keeper) if keeper else None,
            ),
            es_multiplier_ppm=row["model"]["es_multiplier_ppm"],
            asset_rows=assets,
            class_rows=[
                from_row(AssetClassWeight, c, asset_class=c["class"]) for c in row["classes"]
            ],
            figure_rows=[from_row(RiskFigure, r) for r in row["risk"]],
            stress_rows=[from_row(StressLoss, s) for s in row["stress"]],
            limit_rows=limits,
            correlation_rows=_correlations(row),
        )


def _correlations(row: dict[str, Any]) -> list[Correlation]:
    """The upper triangle of the keeper's matrix (the reader gives it as its heatmap's z)."""
    [heatmap] = [d for d in row["correlation_chart"]["data"] if d.get("type") == "heatmap"]
    symbols, matrix = heatmap["x"], heatmap["z"]
    return [
        Correlation(asset_a=symbols[i], asset_b=symbols[j], correlation=float(matrix[i][j]))
        for i in range(len(symbols))
        for j in range(i + 1, len(symbols))
    ]


@strawberry.type(description="Risk: the risk page's data.")
class Risk:
    head: Long = strawberry.field(description="The block everything here is read at.")
    chain_time: Long
    warn_share: float = strawberry.field(
        description="A figure at or above this share of its limit is WARN."
    )
    portfolio_rows: strawberry.Private[list[PortfolioRisk]]

    @strawberry.field(description="Portfolios configured on the RiskEngine, by address.")
    def portfolios(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[PortfolioRisk]:
        return paginate(self.portfolio_rows, first, after, lambda p: (p.portfolio,))

    @strawberry.field(description="One portfolio (null if the engine does not know it).")
    def portfolio(self, address: str) -> PortfolioRisk | None:
        if not is_address(address):
            raise QueryInputError(f"address: {address!r} is not an address")
        wanted = to_checksum_address(address)
        return next((p for p in self.portfolio_rows if p.portfolio == wanted), None)


@strawberry.type
class Query:
    @strawberry.field(description="Risk (the console's risk page).")
    async def risk(self, info: strawberry.Info) -> Risk:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        rows = sorted((PortfolioRisk.of(p) for p in data["portfolios"]), key=lambda p: p.portfolio)
        return Risk(
            head=int(data["head"]),
            chain_time=int(data["chain_time"]),
            warn_share=float(data["warn_share"]),
            portfolio_rows=rows,
        )
