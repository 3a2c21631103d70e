"""The NAV of a money-market fund share, from the fund's holdings and prices. Pure: no chain access
(the NAV agent keeper, keepers/lifecycle/striking.py, reads the inputs and sends the results).

The model, for a fund whose assets are cash and US Treasury bills:

- Holdings, per the FundVault's own accounting: its free cash (`freeCash()`: its balance of the
  settlement asset less pending deposits and the cash reserved for claimable redemptions, which
  are not the fund's) and what it sent to its custodian. The custodian account is rebuilt from the
  vault's events: `CashInvested(custodian, assets, ...)` adds `assets`, `CashReturned(from,
  assets)` takes `assets` out (cash returned by anyone is taken as coming out of that account; if
  more comes back than it holds, it is empty, never negative).
- Income: the custodian account holds T-bills, so between two of its flows it grows at the short
  rate, `G(t0, t1)` of keepers/lifecycle/rates.py (French's monthly RF spread daily). Free cash in
  the vault earns nothing.
- Price: the holdings are in the settlement asset's base units; they are valued at the
  OracleRouter's price of that asset (18 decimals, USD), so a depeg shows in the NAV.
- Shares outstanding (IFundVault's definition): the share token's supply (it includes the shares
  escrowed for pending redemptions: they are the fund's until burned at a strike), plus the fee
  shares owed to the fee schedule's recipient (`heldFees().shares`, minted only when collected)
  with the management fee accrued since the vault's last accrual (the strike crystallises it
  before it deals at this NAV), plus the shares struck for deposits and not yet claimed (minted
  only on claim): the sum of `PeriodStruck.depositShares` less the shares of every `Deposit` claim
  and of every `SubscriptionFeeHeld` (the subscription fee's part of a claim, owed from then on).
  (`depositShares` is the period's total before per-investor rounding, so a few units of dust stay
  counted: the NAV is lower by less than 1e-18 a share.)
- NAV per whole share (18 decimals, USD) = value / shares outstanding, rounded down. With no share
  outstanding (before the first subscription is struck) the NAV does not come from holdings: the
  last struck NAV holds, or the share class's initial NAV ($1.00) before any strike.

The valuation time is the time of the block the keeper reads; a late strike is valued when it is
struck, as the registry's `strikeNav` records it ("the NAV now").

A share class in several settlement assets (a FundDesk, one FundVault per asset:
`compute_class_nav`): the value sums every vault's free cash and custodian account, each valued at
its own asset's oracle price, and the shares outstanding are the one share supply plus every
vault's struck and unclaimed subscription shares; every vault is struck at that NAV."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from keepers.core.units import BPS, WAD
from keepers.lifecycle.rates import PRECISION, MonthlyRates

INITIAL_NAV18 = WAD  # $1.00 a share: a money-market share class's opening NAV
# The FundVault events the ledger is built from (FundFlow kinds): cash to and from the
# custodian, deposit shares struck, claimed, and owed to the fee recipient at a claim.
INVESTED, RETURNED, STRUCK, CLAIMED, FEE_HELD = (
    "invested",
    "returned",
    "struck",
    "claimed",
    "fee_held",
)
FLOW_KINDS = (INVESTED, RETURNED, STRUCK, CLAIMED, FEE_HELD)


@dataclass(frozen=True)
class Flow:
    """One FundVault event: `assets` (settlement-asset base units) for cash flows, `shares` (share
    base units) for deposits struck and claimed."""

    kind: str
    timestamp: int
    assets: int = 0
    shares: int = 0

    def __post_init__(self):
        if self.kind not in FLOW_KINDS:
            raise ValueError(f"unknown flow kind {self.kind!r} (one of {', '.join(FLOW_KINDS)})")
        if self.assets < 0 or self.shares < 0:
            raise ValueError(f"a flow's amounts are not negative: {self}")


def custodian_value(flows: Iterable[Flow], at: int, rates: MonthlyRates) -> Decimal:
    """The custodian account at time `at` (base units, 50 significant digits): every invested
    amount grown at the short rate from its time, every return taken out when it came back (never
    below zero). Flows after `at` are not counted."""
    value, since = Decimal(0), None
    with localcontext() as context:
        context.prec = PRECISION
        for flow in sorted((f for f in flows if f.kind in (INVESTED, RETURNED)), key=_time):
            if flow.timestamp > at:
                break
            if since is not None:
                value *= rates.growth(since, flow.timestamp)
            value += flow.assets if flow.kind == INVESTED else -flow.assets
            value, since = max(value, Decimal(0)), flow.timestamp
        if since is not None:
            value *= rates.growth(since, at)
    return value


def unclaimed_deposit_shares(flows: Iterable[Flow]) -> int:
    """Shares struck for deposits and not claimed yet (never below zero): a claim's shares go to
    its receiver (`Deposit`) or, its subscription fee's part, to the fee shares owed
    (`SubscriptionFeeHeld`)."""
    struck = claimed = 0
    for flow in flows:
        if flow.kind == STRUCK:
            struck += flow.shares
        elif flow.kind in (CLAIMED, FEE_HELD):
            claimed += flow.shares
    return max(struck - claimed, 0)


def _time(flow: Flow) -> int:
    return flow.timestamp


@dataclass(frozen=True)
class Holdings:
    """What the NAV is computed from, as read at `valued_at`."""

    valued_at: int
    free_cash: int  # settlement-asset base units
    asset_price18: int  # USD per whole settlement-asset unit, 18 decimals
    asset_decimals: int
    share_supply: int  # share base units
    share_decimals: int
    previous_nav18: int = 0  # the registry's last NAV (0: never struck)
    initial_nav18: int = INITIAL_NAV18
    # Fee shares owed to the fee recipient, not minted yet (`heldFees().shares` and the management
    # fee accrued since the vault's last accrual).
    fee_shares: int = 0

    def __post_init__(self):
        for name in ("free_cash", "asset_price18", "share_supply", "previous_nav18", "fee_shares"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} {getattr(self, name)} is negative")
        for name in ("asset_decimals", "share_decimals"):
            if not 0 <= getattr(self, name) <= 36:
                raise ValueError(f"{name} {getattr(self, name)} outside 0..36")
        if self.initial_nav18 <= 0:
            raise ValueError("initial_nav18 must be positive")


@dataclass(frozen=True)
class Nav:
    """A computed NAV and how it was reached (`basis`: "holdings", "previous" or "initial")."""

    nav18: int
    basis: str
    custodian_assets: Decimal
    total_assets: Decimal
    value_usd18: int
    shares_outstanding: int

    def as_record(self) -> dict:
        """JSON-safe (amounts as strings: they exceed 64 bits)."""
        return {
            "nav18": str(self.nav18),
            "basis": self.basis,
            "custodian_assets": str(self.custodian_assets),
            "total_assets": str(self.total_assets),
            "value_usd18": str(self.value_usd18),
            "shares_outstanding": str(self.shares_outstanding),
        }


def compute_nav(holdings: Holdings, flows: list[Flow], rates: MonthlyRates) -> Nav:
    """The NAV per whole share (18 decimals) of the model above, rounded down."""
    with localcontext() as context:
        context.prec = PRECISION
        custodian = custodian_value(flows, holdings.valued_at, rates)
        total = holdings.free_cash + custodian
        value = total * holdings.asset_price18 / (Decimal(10) ** holdings.asset_decimals)
        shares = holdings.share_supply + holdings.fee_shares + unclaimed_deposit_shares(flows)
        nav18, basis = _per_share(value, shares, holdings)
    return Nav(nav18, basis, custodian, total, int(value.to_integral_value(ROUND_FLOOR)), shares)


@dataclass(frozen=True)
class VaultHoldings:
    """One vault of a share class dealt in several assets: its free cash (base units of its
    asset), the asset's oracle price (USD, 18 decimals) and decimals, its NAV-ledger flows and the
    fee shares it owes the fee recipient (`Holdings.fee_shares`, per vault)."""

    free_cash: int
    asset_price18: int
    asset_decimals: int
    flows: tuple[Flow, ...] = ()
    fee_shares: int = 0

    def __post_init__(self):
        if self.free_cash < 0 or self.asset_price18 < 0 or self.fee_shares < 0:
            raise ValueError(f"a vault's cash and price are not negative: {self}")
        if not 0 <= self.asset_decimals <= 36:
            raise ValueError(f"asset_decimals {self.asset_decimals} outside 0..36")


@dataclass(frozen=True)
class ClassNav:
    """The NAV of a share class over several vaults, with each vault's custodian account and
    total (base units of its asset) and value (USD, 18 decimals, rounded down)."""

    nav: Nav
    vault_values: tuple[tuple[Decimal, Decimal, int], ...]

    def as_record(self) -> dict:
        return {
            **self.nav.as_record(),
            "vaults": [
                {"custodian_assets": str(c), "total_assets": str(t), "value_usd18": str(v)}
                for c, t, v in self.vault_values
            ],
        }


def compute_class_nav(
    holdings: Holdings, vaults: list[VaultHoldings], rates: MonthlyRates
) -> ClassNav:
    """The NAV per whole share (18 decimals, rounded down) of a share class dealt in several
    settlement assets: `holdings` gives the time, the share supply, its decimals and the previous
    and initial NAVs (its own cash, price, decimals and fee shares are not read: each vault has
    its own, and the shares outstanding add every vault's fee shares and unclaimed deposits).
    `nav.custodian_assets` and `nav.total_assets` are then USD values (18 decimals) summed over
    the vaults (amounts in different assets do not add)."""
    if not vaults:
        raise ValueError("a share class has at least one vault")
    with localcontext() as context:
        context.prec = PRECISION
        parts, value, custodian_usd, owed = [], Decimal(0), Decimal(0), 0
        for vault in vaults:
            custodian = custodian_value(vault.flows, holdings.valued_at, rates)
            total = vault.free_cash + custodian
            unit_price = Decimal(vault.asset_price18) / (Decimal(10) ** vault.asset_decimals)
            parts.append(
                (custodian, total, int((total * unit_price).to_integral_value(ROUND_FLOOR)))
            )
            value += total * unit_price
            custodian_usd += custodian * unit_price
            owed += vault.fee_shares + unclaimed_deposit_shares(vault.flows)
        shares = holdings.share_supply + owed
        nav18, basis = _per_share(value, shares, holdings)
        value_usd18 = int(value.to_integral_value(ROUND_FLOOR))
    return ClassNav(Nav(nav18, basis, custodian_usd, value, value_usd18, shares), tuple(parts))


def _per_share(value: Decimal, shares: int, holdings: Holdings) -> tuple[int, str]:
    """(NAV per whole share rounded down, basis); without a share outstanding the previous NAV
    holds, or the initial one before any strike."""
    if shares == 0:
        if holdings.previous_nav18:
            return holdings.previous_nav18, "previous"
        return holdings.initial_nav18, "initial"
    exact = value * (Decimal(10) ** holdings.share_decimals) / shares
    return int(exact.to_integral_value(ROUND_FLOOR)), "holdings"


def feed_answer(nav18: int, feed_decimals: int) -> int:
    """The price feed's answer for `nav18`: rounded down to the feed's decimals."""
    if not 0 <= feed_decimals <= 18:
        raise ValueError(f"feed decimals {feed_decimals} outside 0..18")
    return nav18 // 10 ** (18 - feed_decimals)


def answer_nav18(answer: int, feed_decimals: int) -> int:
    """The router's 18-decimal price of a feed answer."""
    return answer * 10 ** (18 - feed_decimals)


def move_bps(previous18: int, next18: int) -> Decimal:
    """|next - previous| / previous in basis points (0 without a previous NAV)."""
    if previous18 == 0:
        return Decimal(0)
    return Decimal(abs(next18 - previous18) * BPS) / previous18


def within_move_bound(previous18: int, next18: int, max_bps: int) -> bool:
    """The registry's rule (`strikeNav`): no previous NAV, or |next - previous| x 10,000 <=
    previous x maxNavMoveBps (the bound inclusive)."""
    return previous18 == 0 or abs(next18 - previous18) * BPS <= previous18 * max_bps
