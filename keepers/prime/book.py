"""The prime broker as the margin keeper and `quantera margin` read it: its listings, an account's
holdings and debts at oracle prices (the model's `Holding`s), and every account marked to market —
each in JSON-RPC batches (keepers.core.reads), one round trip per kind of read.

`health`, `previewLiquidation` and the margin entries are the margin module's, served at the
broker's address (IPrimeViews): `margin` is that ABI at the broker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from keepers.core.reads import ReadFailure
from keepers.core.views import ChainView, view_or_ape
from keepers.prime import model
from keepers.prime.margin import Health, Mark, Tier

ZERO = "0x" + "00" * 20
BROKER = "PrimeBroker"


@dataclass(frozen=True)
class Listing:
    """A listed asset: symbol, decimals, risk weight, its lending pool (None: not borrowable) and
    its income's kind (IPrimeBroker's IncomeKind: 0 none, 1 a note's coupons, 2 income shares)."""

    asset: str
    symbol: str
    decimals: int
    risk_weight_bps: int
    pool: Any | None
    income_kind: int = 0

    def as_record(self) -> dict:
        return {
            "asset": self.asset,
            "symbol": self.symbol,
            "decimals": self.decimals,
            "risk_weight_bps": self.risk_weight_bps,
            "haircut_bps": model.haircut_bps(self.risk_weight_bps),
            "pool": None if self.pool is None else self.pool.address,
            "income_kind": self.income_kind,
        }


class PrimeBook:
    """One deployed broker's reads, through `view` (keepers.core.views; by default ape's
    connected provider, whose contracts also send)."""

    def __init__(self, broker_address: str, view: ChainView | None = None):
        self.view = view = view_or_ape(view)
        self.broker = view.at("PrimeBroker", broker_address)
        self.margin = view.at("PrimeViews", broker_address)
        self.oracle = view.at("OracleRouter", self.broker.oracle())
        self.registry = view.at("IdentityRegistry", self.broker.registry())
        self._listings: list[Listing] | None = None

    @classmethod
    def of_record(cls, record, view: ChainView | None = None) -> PrimeBook:
        return cls(record.address_of(BROKER), view)

    @property
    def address(self) -> str:
        return self.broker.address

    def listings(self, refresh: bool = False) -> list[Listing]:
        """Listed assets in listing order (read once; `refresh` reads them again)."""
        if self._listings is None or refresh:
            view = self.view
            assets = [str(a) for a in self.margin.assets()]
            n = len(assets)
            reads = view.reads.views(
                [(self.margin, "collateralOf", (a,)) for a in assets]
                + [(self.margin, "poolOf", (a,)) for a in assets]
                + [(self.margin, "incomeOf", (a,)) for a in assets]
            )
            configs, pools, incomes = reads[:n], reads[n : 2 * n], reads[2 * n :]
            self._listings = [
                Listing(
                    asset,
                    str(view.at("SecurityToken", asset).symbol()),
                    view.decimals(asset),
                    int(config[0]),
                    None if str(pool) == ZERO else view.at("LendingPool", str(pool)),
                    int(tuple(income)[0]),
                )
                for asset, config, pool, income in zip(assets, configs, pools, incomes)
            ]
        return self._listings

    def income_kind(self, asset: str) -> int:
        """The kind of income `asset` bears at the broker (0: none; see `Listing`)."""
        for listing in self.listings():
            if listing.asset.lower() == str(asset).lower():
                return listing.income_kind
        return 0

    def listing(self, reference: str) -> Listing:
        """A listing by symbol or address (LookupError naming the listed ones)."""
        for listing in self.listings():
            if reference.lower() in (listing.asset.lower(), listing.symbol.lower()):
                return listing
        known = ", ".join(item.symbol for item in self.listings())
        raise LookupError(f"{reference!r} is not listed by the broker (listed: {known})")

    def holdings(self, account: str, block: int | str = "latest") -> dict[str, model.Holding]:
        """The account's balance and debt of every listed asset at `block`, at oracle prices (asset
        -> Holding): a debt is the pool's `debtOf` and the broker's `assignedDebtOf` together, as
        the broker's health counts it (the assigned part in `Holding.assigned`, SEC-190). A price
        that cannot be read (a stale feed) raises its ContractLogicError when the account owes the
        asset — as the broker's own check would — and reads as 0 otherwise: the broker values a
        holding without a usable price at 0 (SEC-153)."""
        listings = self.listings()
        spread = int(self.margin.creditLineOf(account, block_id=block)[1])
        calls: list = [(self.broker, "balanceOf", (account, item.asset)) for item in listings]
        calls += [(self.oracle, "price", (item.asset,)) for item in listings]
        borrowable = [item for item in listings if item.pool is not None]
        calls += [(item.pool, "debtOf", (account, spread)) for item in borrowable]
        calls += [(self.broker, "assignedDebtOf", (account, item.asset)) for item in borrowable]
        calls += [(self.broker, "carriedDebtOf", (account, item.asset)) for item in borrowable]
        values = self.view.reads.views(calls, block, allow_failure=True)
        n, m = len(listings), len(borrowable)
        balances, prices = values[:n], values[n : 2 * n]
        debts, assigned = values[2 * n : 2 * n + m], values[2 * n + m : 2 * n + 2 * m]
        carried = values[2 * n + 2 * m :]
        owed = {
            item.asset: triple for item, triple in zip(borrowable, zip(debts, assigned, carried))
        }
        out = {}
        for item, balance, price in zip(listings, balances, prices):
            debt, part, carry = owed.get(item.asset, (0, 0, 0))
            for value in (balance, debt, part, carry):
                if isinstance(value, ReadFailure):
                    value.raise_error()
            if isinstance(price, ReadFailure):
                if debt or part:
                    price.raise_error()
                price = 0
            out[item.asset] = model.Holding(
                int(balance),
                int(debt) + int(part),
                int(price),
                item.decimals,
                item.risk_weight_bps,
                int(part),
                int(carry),
            )
        return out

    def marks(
        self, accounts: Sequence[str], block: int | str = "latest"
    ) -> tuple[list[Mark], dict[str, str]]:
        """Every account marked to market (its health, tier and liquidation count, three reads
        each, batched), and the accounts whose health could not be read with the reason (a price
        unavailable: the broker's own checks revert the same way)."""
        calls: list = []
        for account in accounts:
            calls += [
                (self.margin, "health", (account,)),
                (self.broker, "liquidationCount", (account,)),
                (self.margin, "creditLineOf", (account,)),
            ]
        values = self.view.reads.views(calls, block, allow_failure=True)
        tiers: dict[int, Tier] = {}
        marks, unreadable = [], {}
        for k, account in enumerate(accounts):
            health, count, line = values[3 * k : 3 * k + 3]
            failed = next((v for v in (health, count, line) if isinstance(v, ReadFailure)), None)
            if failed is not None:
                unreadable[account] = failed.reason
                continue
            tier_id = int(tuple(line)[2])
            if tier_id not in tiers:
                tiers[tier_id] = Tier.of(self.margin.tierOf(tier_id))
            marks.append(Mark(account, Health.of(health), tiers[tier_id], int(count)))
        return marks, unreadable

    def mark(self, account: str, block: int | str = "latest") -> Mark:
        marks, unreadable = self.marks([account], block)
        if unreadable:
            raise LookupError(f"health of {account} unreadable: {unreadable[account]}")
        return marks[0]


# ------------------------------------------------------------------ the book as a screen reads it

MAX_TIERS = 4  # PrimeLayout.MAX_TIERS


@dataclass(frozen=True)
class PoolView:
    """A lending pool as ILendingPool's `state()` (PoolState, in its field order), its rate
    model's kink and the broker's haircut of its asset."""

    pool: str
    asset: str
    cash: int
    total_debt: int
    reserves: int
    bad_debt_realised: int
    bad_debt_absorbed: int
    assigned_debt: int
    borrow_index_ray: int
    last_accrual: int
    utilisation_bps: int
    borrow_rate_bps: int
    locked_restoration: int
    restoration_unlocks_at: int
    kink_bps: int
    haircut_bps: int


@dataclass(frozen=True)
class AccountView:
    """An account's health (the margin module's), credit line and halt (the broker's)."""

    account: str
    health: Health
    limit_usd: int
    spread_bps: int
    tier: int
    halted: bool


@dataclass(frozen=True)
class BookView:
    """The book at one block: halted or not, the set tiers (initial margin above 0), the pools
    and the accounts asked for, in the order asked."""

    block: int | str
    halted: bool
    tiers: dict[int, Tier]
    pools: list[PoolView]
    accounts: list[AccountView]


def read_book(
    reads: Any,
    broker: Any,
    margin: Any,
    pools: Sequence[tuple[Any, str]],
    accounts: Sequence[str],
    block: int | str = "latest",
) -> BookView:
    """The book as of `block` in one read of the protocol (`reads`: keepers.core.reads' Web3Reads
    for the console, ApeReads for a keeper); `broker` and `margin` the broker's address under the
    PrimeBroker and the PrimeViews ABIs, `pools` (pool contract, its asset) pairs. One failed
    call fails the read (the transport's ReadError)."""
    calls: list = [
        (broker, "bookHalted", ()),
        *((margin, "tierOf", (k,)) for k in range(MAX_TIERS)),
    ]
    for pool, asset in pools:
        calls += [(pool, "state", ()), (pool, "rateModel", ()), (margin, "haircutBps", (asset,))]
    for account in accounts:
        calls += [
            (margin, "health", (account,)),
            (margin, "creditLineOf", (account,)),
            (broker, "isHalted", (account,)),
        ]
    values = reads.views(calls, block)
    head, values = values[: 1 + MAX_TIERS], values[1 + MAX_TIERS :]
    tiers = {k: Tier.of(t) for k, t in enumerate(head[1:]) if int(t[0]) > 0}
    pool_views = []
    for k, (pool, asset) in enumerate(pools):
        state, rates, haircut = values[3 * k : 3 * k + 3]
        fields = [int(x) for x in tuple(state)[:12]]
        kink = int(tuple(rates)[3])
        pool_views.append(PoolView(pool.address, asset, *fields, kink, int(haircut)))
    values = values[3 * len(pools) :]
    account_views = []
    for k, account in enumerate(accounts):
        health, line, halted = values[3 * k : 3 * k + 3]
        limit, spread, tier = (int(x) for x in tuple(line))
        account_views.append(
            AccountView(account, Health.of(health), limit, spread, tier, bool(halted))
        )
    return BookView(block, bool(head[0]), tiers, pool_views, account_views)


def top_ups(
    reads: Any, margin: Any, accounts: Sequence[str], asset: str, block: int | str = "latest"
) -> list[int | None]:
    """What each account must add of `asset` to be back at initial margin (`topUp`), None where
    it cannot be read (a stale price: the reason is the margin module's)."""
    calls = [(margin, "topUp", (account, asset)) for account in accounts]
    values = reads.views(calls, block, allow_failure=True)
    return [None if isinstance(v, ReadFailure) else int(tuple(v)[0]) for v in values]
