"""The asset manager page's data as GraphQL: the client portfolios (the record's PortfolioVaults)
with their strategy on the AutoRebalancer, their weights at oracle prices and their drift from
the model they follow, the model portfolios of the keeper store's off-chain book, the latest bulk
rebalance run's per-client outcomes and the book's history. As of the page's head; the reader's
own bounds apply (keepers/console/pages/manager.py: MAX_CLIENTS, OUTCOMES_SHOWN, HISTORY_SHOWN)."""

from __future__ import annotations

from typing import Any

import strawberry

from keepers.console.graphql.context import ConsoleContext
from keepers.console.graphql.paging import (
    DEFAULT_PAGE_SIZE,
    After,
    Connection,
    First,
    paginate_listed,
)
from keepers.console.graphql.rows import from_row
from keepers.console.graphql.scalars import Long

PAGE = "manager"


@strawberry.type(description="One position's share of a client's NAV at oracle prices.")
class ClientWeight:
    symbol: str
    bps: int


@strawberry.type(description="A client portfolio (a PortfolioVault) and its strategy.")
class ClientPortfolio:
    name: str = strawberry.field(description="The record's name (PortfolioVault.<client>).")
    vault: str
    nav_usd: float
    strategy_id: int = strawberry.field(description="RebalancerLens.strategyOf (0: none).")
    paused: bool
    nonce: Long = strawberry.field(description="The AutoRebalancer's intent nonce (stateOf).")
    relayer: str | None
    model: str | None = strawberry.field(description="The model it follows (the book's).")
    drift_bps: float | None = strawberry.field(
        description="max |weight - target| (bps) from its model; null: no model or unpriced."
    )
    priced: bool = strawberry.field(description="False: a position's oracle price is unusable.")
    weight_rows: strawberry.Private[list[ClientWeight]]

    @strawberry.field(description="Weights, in the vault's order.")
    def weights(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ClientWeight]:
        return paginate_listed(self.weight_rows, first, after)


@strawberry.type(description="A model portfolio's target weight in one asset.")
class ModelWeight:
    asset: str
    symbol: str
    bps: int


@strawberry.type(description="A client portfolio following a model.")
class ModelClient:
    portfolio: str


@strawberry.type(description="A model portfolio of the keeper store's book.")
class ModelPortfolio:
    name: str
    version: int
    weight_rows: strawberry.Private[list[ModelWeight]]
    client_rows: strawberry.Private[list[str]]

    @strawberry.field(description="Target weights.")
    def weights(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ModelWeight]:
        return paginate_listed(self.weight_rows, first, after)

    @strawberry.field(description="The client portfolios assigned to it, by address.")
    def clients(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ModelClient]:
        return paginate_listed([ModelClient(portfolio=p) for p in self.client_rows], first, after)


@strawberry.type(description="An asset the client portfolios hold.")
class ManagerAsset:
    symbol: str
    address: str


@strawberry.type(description="How many clients a bulk run rebalanced, skipped and failed.")
class RunCounts:
    rebalanced: int
    skipped: int
    failed: int


@strawberry.type(description="One client's outcome in a bulk rebalance run.")
class RebalanceOutcome:
    portfolio: str
    status: str = strawberry.field(description="rebalanced, skipped or failed.")
    reason: str | None
    tx_hash: str | None
    drift_before_bps: int | None
    drift_after_bps: int | None


@strawberry.type(description="The latest bulk rebalance run (keepers.rebalancing.bulk).")
class BulkRun:
    run_id: str
    model: str
    recorded_at: Long
    counts: RunCounts
    outcome_rows: strawberry.Private[list[RebalanceOutcome]]

    @strawberry.field(description="Per-client outcomes (the reader keeps OUTCOMES_SHOWN).")
    def outcomes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RebalanceOutcome]:
        return paginate_listed(self.outcome_rows, first, after)


@strawberry.type(description="An entry of the book: a model defined or a client assigned.")
class BookEntry:
    time: Long
    entry: str


@strawberry.type(description="Asset manager: the asset manager page's data.")
class Manager:
    head: Long = strawberry.field(description="The block everything here is read at.")
    clients_bound: int = strawberry.field(description="At most this many clients are read.")
    store: bool = strawberry.field(description="False: the console has no keeper store (no book).")
    last_run: BulkRun | None
    client_rows: strawberry.Private[list[ClientPortfolio]]
    model_rows: strawberry.Private[list[ModelPortfolio]]
    asset_rows: strawberry.Private[list[ManagerAsset]]
    history_rows: strawberry.Private[list[BookEntry]]

    @strawberry.field(description="Client portfolios, by record name.")
    def clients(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ClientPortfolio]:
        return paginate_listed(self.client_rows, first, after)

    @strawberry.field(description="Model portfolios of the book.")
    def models(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ModelPortfolio]:
        return paginate_listed(self.model_rows, first, after)

    @strawberry.field(description="Assets the client portfolios hold, by address.")
    def assets(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ManagerAsset]:
        return paginate_listed(self.asset_rows, first, after)

    @strawberry.field(description="The book, newest first (the reader keeps HISTORY_SHOWN).")
    def history(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[BookEntry]:
        return paginate_listed(self.history_rows, first, after)


def _last_run(row: dict[str, Any] | None) -> BulkRun | None:
    if row is None:
        return None
    return from_row(
        BulkRun,
        row,
        counts=from_row(RunCounts, row["counts"]),
        outcome_rows=[from_row(RebalanceOutcome, o) for o in row["outcomes"]],
    )


@strawberry.type
class Query:
    @strawberry.field(description="Asset manager (the console's asset manager page).")
    async def manager(self, info: strawberry.Info) -> Manager:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        return Manager(
            head=int(data["head"]),
            clients_bound=int(data["clients_bound"]),
            store=bool(data["store"]),
            last_run=_last_run(data["last_run"]),
            client_rows=[
                from_row(
                    ClientPortfolio,
                    c,
                    weight_rows=[from_row(ClientWeight, w) for w in c["weights"]],
                )
                for c in data["clients"]
            ],
            model_rows=[
                from_row(
                    ModelPortfolio,
                    m,
                    weight_rows=[from_row(ModelWeight, w) for w in m["weights"]],
                    client_rows=list(m["clients"]),
                )
                for m in data["models"]
            ],
            asset_rows=[from_row(ManagerAsset, a) for a in data["assets"]],
            history_rows=[from_row(BookEntry, e) for e in data["history"]],
        )
