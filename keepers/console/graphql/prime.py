"""The prime-brokerage page's data as GraphQL: the margin accounts with their health, credit use,
tier and halt, the open margin calls, the recent liquidations and bad debt, the lending pools and
the margin tiers. As of the page's head; the reader keeps the newest MAX_ACCOUNTS accounts,
MAX_LIQUIDATIONS liquidations and MAX_BAD_DEBTS bad-debt records (keepers/console/pages/prime.py).
"""

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
from keepers.console.graphql.rows import Level, from_row
from keepers.console.graphql.scalars import BigInt, Long

PAGE = "prime"


@strawberry.type(description="A margin tier's ratios and liquidation terms (bps; grace in s).")
class MarginTier:
    tier: int
    initial_bps: int
    maintenance_bps: int
    liquidation_bps: int
    close_factor_bps: int
    bonus_bps: int
    grace_period: Long


@strawberry.type(description="A margin account (an institution's identity) and its health.")
class MarginAccount:
    account: str
    collateral_usd18: BigInt = strawberry.field(description="At oracle prices, USD x 1e18.")
    adjusted_collateral_usd18: BigInt = strawberry.field(description="After haircuts.")
    debt_usd18: BigInt
    adjusted_debt_usd18: BigInt = strawberry.field(
        description="With each borrowed asset's haircut added."
    )
    ratio_bps: BigInt = strawberry.field(
        description="Adjusted collateral / adjusted debt, bps (2^256 - 1: no debt)."
    )
    level: Level = strawberry.field(description="The ratio against the account's tier.")
    liquidatable: bool
    limit_usd18: BigInt = strawberry.field(description="The credit line's limit.")
    spread_bps: int
    credit_use_bps: int | None = strawberry.field(description="Debt / limit (null: no line).")
    credit_level: Level
    tier: int
    halted: bool = strawberry.field(description="The account or the whole book.")
    margin_call_at: Long = strawberry.field(description="The open call's time (0: none).")
    deadline: Long = strawberry.field(description="When the open call allows liquidation.")


@strawberry.type(description="An open margin call.")
class MarginCall:
    account: str
    ratio_bps: BigInt
    level: Level
    margin_call_at: Long
    deadline: Long
    seconds_left: Long | None
    shortfall_usd18: BigInt | None = strawberry.field(
        description="To initial margin, as the call's MarginCalled event says."
    )
    liquidatable: bool
    top_up_symbol: str | None = strawberry.field(
        description="The pools' cash asset (the lowest haircut) the top-up is in."
    )
    top_up_units: BigInt | None = strawberry.field(
        description="Of it, to post to be back at initial margin now (`topUp`), base units."
    )


@strawberry.type(description="A liquidation (`Liquidated`).")
class Liquidation:
    block: Long
    log_index: int
    time: Long
    tx: str
    account: str
    liquidator: str
    debt_symbol: str
    collateral_symbol: str
    repaid: BigInt = strawberry.field(description="In the debt asset's base units.")
    seized: BigInt = strawberry.field(description="In the collateral's base units.")
    proceeds: BigInt
    ratio_before_bps: BigInt
    ratio_after_bps: BigInt


@strawberry.type(description="Bad debt recorded for an account (`BadDebt`).")
class BadDebtRecord:
    block: Long
    time: Long
    tx: str
    account: str
    symbol: str
    amount: BigInt


@strawberry.type(description="A lending pool's `state()`.")
class LendingPool:
    pool: str
    name: str
    asset: str
    symbol: str
    decimals: int
    cash: BigInt
    total_debt: BigInt
    reserves: BigInt
    bad_debt_realised: BigInt
    bad_debt_absorbed: BigInt
    assigned_debt: BigInt = strawberry.field(
        description="Debt written off beside a claim and still carried at face (SEC-234)."
    )
    locked_restoration: BigInt = strawberry.field(
        description="Restored loss still unlocking into the lenders' assets (SEC-241)."
    )
    restoration_unlocks_at: Long = strawberry.field(
        description="When the restored loss is all unlocked, unix seconds (0: none locked)."
    )
    utilisation_bps: int
    borrow_rate_bps: int
    kink_bps: int
    level: Level = strawberry.field(description="Utilisation against the rate model's kink.")


@strawberry.type(description="Prime brokerage: the prime-brokerage page's data.")
class Prime:
    head: Long = strawberry.field(description="The block everything here is read at.")
    broker: str
    book_halted: bool
    accounts_opened: int
    account_rows: strawberry.Private[list[MarginAccount]]
    call_rows: strawberry.Private[list[MarginCall]]
    liquidation_rows: strawberry.Private[list[Liquidation]]
    bad_debt_rows: strawberry.Private[list[BadDebtRecord]]
    pool_rows: strawberry.Private[list[LendingPool]]
    tier_rows: strawberry.Private[list[MarginTier]]

    @strawberry.field(description="Accounts (the reader keeps MAX_ACCOUNTS), lowest ratio first.")
    def accounts(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[MarginAccount]:
        return paginate_listed(self.account_rows, first, after)

    @strawberry.field(description="Open margin calls, soonest deadline first.")
    def margin_calls(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[MarginCall]:
        return paginate_listed(self.call_rows, first, after)

    @strawberry.field(description="The newest liquidations, newest first.")
    def liquidations(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Liquidation]:
        return paginate_listed(self.liquidation_rows, first, after)

    @strawberry.field(description="The newest bad-debt records, newest first.")
    def bad_debts(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[BadDebtRecord]:
        return paginate_listed(self.bad_debt_rows, first, after)

    @strawberry.field(description="The record's lending pools.")
    def pools(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[LendingPool]:
        return paginate_listed(self.pool_rows, first, after)

    @strawberry.field(description="The margin tiers set on the broker.")
    def tiers(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[MarginTier]:
        return paginate_listed(self.tier_rows, first, after)


def prime_of(data: dict[str, Any]) -> Prime:
    return Prime(
        head=int(data["head"]),
        broker=data["broker"],
        book_halted=bool(data["book_halted"]),
        accounts_opened=int(data["accounts_opened"]),
        account_rows=[from_row(MarginAccount, a) for a in data["accounts"]],
        call_rows=[from_row(MarginCall, c) for c in data["margin_calls"]],
        liquidation_rows=[from_row(Liquidation, x) for x in data["liquidations"]],
        bad_debt_rows=[from_row(BadDebtRecord, b) for b in data["bad_debts"]],
        pool_rows=[from_row(LendingPool, p) for p in data["pools"]],
        tier_rows=[from_row(MarginTier, t) for t in data["tiers"]],
    )


@strawberry.type
class Query:
    @strawberry.field(description="Prime brokerage (the console's prime-brokerage page).")
    async def prime(self, info: strawberry.Info) -> Prime:
        context: ConsoleContext = info.context
        return prime_of(await context.page_data(PAGE))
