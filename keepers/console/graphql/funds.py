"""The funds page's data as GraphQL: the instruments of the instrument registries, each fund's
struck NAVs, its subscription and redemption queue per period and its gate, income declared and
claimed, fees, and upcoming coupons and maturities. As of the page's head; the reader's own bounds
apply (keepers.lifecycle.discovery: MAX_REGISTRIES, MAX_INSTRUMENTS; keepers/console/pages/
funds.py: NAV_POINTS, PERIOD_ROWS)."""

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

PAGE = "funds"


@strawberry.type(description="An ERC-20 token.")
class TokenInfo:
    address: str
    symbol: str
    decimals: int


@strawberry.type(description="An instrument of an InstrumentRegistry.")
class Instrument:
    registry: str
    id: int
    isin: str
    kind: str
    status: str
    share: TokenInfo
    fund: str | None
    desk: str | None
    servicer: str | None
    nav18: BigInt = strawberry.field(description="NAV per share, 18 decimals.")
    nav: float
    nav_at: Long
    max_nav_move_bps: int
    maturity_date: Long = strawberry.field(description="0: none (a fund).")


@strawberry.type(description="A NAV struck for a period.")
class NavPoint:
    period: Long
    time: Long
    nav18: BigInt


@strawberry.type(description="One struck period of a vault's queue.")
class QueuePeriod:
    period: Long
    nav18: BigInt
    deposit_assets: BigInt
    deposit_shares: BigInt
    pending_shares: BigInt = strawberry.field(description="Redemptions asked.")
    fulfilled_shares: BigInt = strawberry.field(description="Redemptions paid.")
    carried_shares: BigInt = strawberry.field(description="Carried to the next period (gate).")
    gated: bool


@strawberry.type(description="A fund vault: its open period's queue, its gate and its fees.")
class FundVault:
    address: str
    asset: TokenInfo
    open_period: Long
    cutoff: Long
    pending_deposit_assets: BigInt
    pending_redeem_shares: BigInt
    late_deposit_assets: BigInt
    late_redeem_shares: BigInt
    gate_bps: int
    gate_shares: BigInt
    free_cash: BigInt
    reserved_assets: BigInt
    fees_owed_shares: BigInt
    fees_held_assets: BigInt
    fees_accrued_at: Long
    fees_collected_shares: BigInt
    fees_collected_assets: BigInt
    fees_collections: int
    periods_struck: int
    period_rows: strawberry.Private[list[QueuePeriod]]

    @strawberry.field(description="The newest struck periods (the reader keeps PERIOD_ROWS).")
    def periods(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[QueuePeriod]:
        return paginate_listed(self.period_rows, first, after)


@strawberry.type(description="Income declared to a share class and claimed from it.")
class Income:
    declarations: int
    last_declared_at: Long
    index: BigInt
    declared_shares: BigInt
    claimed_shares: BigInt
    unclaimed_shares: BigInt
    holders: int


@strawberry.type(description="A fund: its NAV history, vaults and income.")
class Fund:
    isin: str
    id: int
    address: str
    desk: str | None
    share: TokenInfo
    income: Income | None
    nav_rows: strawberry.Private[list[NavPoint]]
    vault_rows: strawberry.Private[list[FundVault]]

    @strawberry.field(description="Struck NAVs, oldest first (the reader keeps NAV_POINTS).")
    def nav_history(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[NavPoint]:
        return paginate_listed(self.nav_rows, first, after)

    @strawberry.field(description="Its vaults (one per deposit asset).")
    def vaults(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[FundVault]:
        return paginate_listed(self.vault_rows, first, after)


@strawberry.type(description="A coupon to come.")
class Coupon:
    number: int
    record_date: str = strawberry.field(description="ISO date.")
    payment_date: str
    per_unit: BigInt | None


@strawberry.type(description="An instrument's maturity and its coupons.")
class Maturity:
    isin: str
    id: int
    maturity_date: Long
    days_left: Long
    status: str
    coming_rows: strawberry.Private[list[Coupon]]
    recorded_rows: strawberry.Private[list[int]]

    @strawberry.field(description="Coupons to come.")
    def coming(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Coupon]:
        return paginate_listed(self.coming_rows, first, after)

    @strawberry.field(description="Numbers of the coupons the servicer recorded.")
    def recorded(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RecordedCoupon]:
        return paginate_listed([RecordedCoupon(number=n) for n in self.recorded_rows], first, after)


@strawberry.type(description="A coupon the BondServicer recorded.")
class RecordedCoupon:
    number: int


@strawberry.type(description="Funds: the funds page's data.")
class Funds:
    head: Long
    chain_time: Long
    instrument_rows: strawberry.Private[list[Instrument]]
    fund_rows: strawberry.Private[list[Fund]]
    maturity_rows: strawberry.Private[list[Maturity]]

    @strawberry.field(description="Instruments, by registry then id.")
    def instruments(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Instrument]:
        return paginate_listed(self.instrument_rows, first, after)

    @strawberry.field(description="Funds.")
    def funds(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Fund]:
        return paginate_listed(self.fund_rows, first, after)

    @strawberry.field(description="Maturities, soonest first.")
    def maturities(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Maturity]:
        return paginate_listed(self.maturity_rows, first, after)


def _fund(row: dict[str, Any]) -> Fund:
    income = row.get("income")
    return from_row(
        Fund,
        row,
        share=from_row(TokenInfo, row["share"]),
        income=from_row(Income, income) if income else None,
        nav_rows=[from_row(NavPoint, p) for p in row["nav_history"]],
        vault_rows=[
            from_row(
                FundVault,
                v,
                asset=from_row(TokenInfo, v["asset"]),
                period_rows=[from_row(QueuePeriod, p) for p in v["periods"]],
            )
            for v in row["vaults"]
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(description="Funds (the console's funds page).")
    async def funds(self, info: strawberry.Info) -> Funds:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        return Funds(
            head=int(data["head"]),
            chain_time=int(data["chain_time"]),
            instrument_rows=[
                from_row(Instrument, i, share=from_row(TokenInfo, i["share"]))
                for i in data["instruments"]
            ],
            fund_rows=[_fund(f) for f in data["funds"]],
            maturity_rows=[
                from_row(
                    Maturity,
                    m,
                    coming_rows=[from_row(Coupon, c) for c in m["coming"]],
                    recorded_rows=[int(n) for n in m["recorded"]],
                )
                for m in data["maturities"]
            ],
        )
