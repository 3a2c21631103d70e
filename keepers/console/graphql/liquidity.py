"""The liquidity page's data as GraphQL: the LiquidityAggregator's venues with their depth and
paused state, the recent routes with their fills and their improvement over the best single
venue, and the commit-reveal orders. As of the page's head; the reader keeps the newest
MAX_ROUTES routes and MAX_COMMITS commitments (keepers/console/pages/liquidity.py)."""

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
from keepers.console.graphql.scalars import BigInt, Long

PAGE = "liquidity"


@strawberry.type(description="What a venue holds of one token it trades.")
class VenueDepth:
    token: str
    symbol: str
    amount: BigInt = strawberry.field(description="In the token's base units.")
    amount_display: str
    usd18: BigInt | None = strawberry.field(description="At oracle prices (null: no valid price).")
    remaining_capacity: BigInt | None = strawberry.field(
        description="The NAV desk's subscription capacity left today: net cash it still accepts "
        "for this token (null for pools)."
    )


@strawberry.type(description="A venue listed on the LiquidityAggregator.")
class Venue:
    venue: str
    name: str
    kind: str
    adapter: str
    adapter_name: str
    paused: bool
    unpriced: bool = strawberry.field(description="Some of its depth has no valid oracle price.")
    depth_basis: str | None
    depth_usd18: BigInt | None
    depth_rows: strawberry.Private[list[VenueDepth]]

    @strawberry.field(description="Its depth per token.")
    def depth(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[VenueDepth]:
        return paginate_listed(self.depth_rows, first, after)


@strawberry.type(description="One venue's fill of a route (`RouteExecuted.fills`).")
class Fill:
    venue: str
    venue_name: str
    token_in: str
    token_out: str
    amount_in: BigInt
    amount_out: BigInt
    amount_in_display: str
    amount_out_display: str


@strawberry.type(description="A route executed through the aggregator.")
class Route:
    block: Long
    log_index: int
    time: Long
    tx: str
    payer: str
    token_in: str
    token_out: str
    amount_in: BigInt
    amount_out: BigInt
    amount_in_display: str
    amount_out_display: str
    best_single_out: BigInt | None = strawberry.field(
        description="The best single venue's quote of the whole order, the block before."
    )
    best_single_out_display: str | None
    best_single_venue: str | None
    best_single_unavailable: str | None = strawberry.field(
        description="Why there is no best-single quote (e.g. the node keeps no state that old)."
    )
    improvement_bps: float | None
    committed: bool = strawberry.field(description="Executed by commit-reveal.")
    fill_rows: strawberry.Private[list[Fill]]

    @strawberry.field(description="Its fills, in the route's order.")
    def fills(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Fill]:
        return paginate_listed(self.fill_rows, first, after)


@strawberry.type(description="A commit-reveal order's commitment.")
class Commitment:
    commitment: str
    sender: str
    status: str = strawberry.field(description="pending, revealed or expired.")
    committed_block: Long
    reveal_from_block: Long
    last_block: Long
    blocks_left: Long
    time: Long


@strawberry.type(description="A token the venues trade.")
class Token:
    address: str
    symbol: str


@strawberry.type(description="Liquidity: the liquidity page's data.")
class Liquidity:
    head: Long = strawberry.field(description="The block everything here is read at.")
    paused: bool = strawberry.field(description="The aggregator as a whole.")
    reveal_window: Long = strawberry.field(description="Blocks a commitment may be revealed in.")
    pending_commits: int
    venue_rows: strawberry.Private[list[Venue]]
    route_rows: strawberry.Private[list[Route]]
    commit_rows: strawberry.Private[list[Commitment]]
    token_rows: strawberry.Private[list[Token]]

    @strawberry.field(description="Venues, in the aggregator's listing order.")
    def venues(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Venue]:
        return paginate_listed(self.venue_rows, first, after)

    @strawberry.field(description="The newest routes (the reader keeps MAX_ROUTES), newest first.")
    def routes(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Route]:
        return paginate_listed(self.route_rows, first, after)

    @strawberry.field(description="Commitments (the reader keeps MAX_COMMITS), as the page lists.")
    def commitments(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Commitment]:
        return paginate_listed(self.commit_rows, first, after)

    @strawberry.field(description="The tokens the venues trade, with their symbols.")
    def tokens(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Token]:
        return paginate_listed(self.token_rows, first, after)


def _route(row: dict[str, Any]) -> Route:
    return from_row(Route, row, fill_rows=[from_row(Fill, f) for f in row["fills"]])


@strawberry.type
class Query:
    @strawberry.field(description="Liquidity (the console's liquidity page).")
    async def liquidity(self, info: strawberry.Info) -> Liquidity:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        return Liquidity(
            head=int(data["head"]),
            paused=bool(data["paused"]),
            reveal_window=int(data["reveal_window"]),
            pending_commits=int(data["pending_commits"]),
            venue_rows=[
                from_row(Venue, v, depth_rows=[from_row(VenueDepth, d) for d in v["depth"]])
                for v in data["venues"]
            ],
            route_rows=[_route(r) for r in data["routes"]],
            commit_rows=[from_row(Commitment, c) for c in data["commits"]],
            token_rows=[Token(address=a, symbol=s) for a, s in sorted(data["symbols"].items())],
        )
