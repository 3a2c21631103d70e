"""The margin keeper's decisions (keepers/prime/keeper.py fetches and sends; nothing here touches a
chain): which accounts get a margin call, which are liquidated this block and in what order, and
for each liquidation the debt to repay, the collateral to seize and how much — the contract's own
arithmetic (keepers/prime/model.py), so the keeper proposes only what `liquidate` accepts.

Choices. The largest debt (at oracle value) is repaid first: it moves the ratio most. The
collateral seized is the account's largest holding at oracle value, the lower haircut breaking a
tie (the most liquid): a sale of it moves its market least, and it is the likeliest to cover the
repayment with its bonus. The repayment is the close factor's maximum (`model.max_repay`); when
the collateral runs out first the contract repays less, and realises what is left as bad debt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from keepers.prime import model

# At most this many liquidations a block (the keeper's on-chain effect is bounded: the rest wait
# for the next block, most under-collateralised first).
MAX_LIQUIDATIONS_PER_BLOCK = 3
# At most this many margin calls a block.
MAX_MARGIN_CALLS_PER_BLOCK = 16


@dataclass(frozen=True)
class Tier:
    """IPrimeBroker's MarginTier (bps, seconds)."""

    initial_bps: int
    maintenance_bps: int
    liquidation_bps: int
    close_factor_bps: int
    bonus_bps: int
    grace_period: int

    @classmethod
    def of(cls, terms) -> Tier:
        return cls(*(int(v) for v in tuple(terms)))


@dataclass(frozen=True)
class Health:
    """IPrimeBroker's AccountHealth (USD with 18 decimals)."""

    collateral_usd: int
    adjusted_collateral_usd: int
    debt_usd: int
    adjusted_debt_usd: int
    ratio_bps: int
    margin_call_at: int
    deadline: int
    liquidatable: bool

    @classmethod
    def of(cls, h) -> Health:
        values = tuple(h)
        return cls(*(int(v) for v in values[:7]), bool(values[7]))

    def as_record(self) -> dict:
        return {
            "collateral_usd": str(self.collateral_usd),
            "adjusted_collateral_usd": str(self.adjusted_collateral_usd),
            "debt_usd": str(self.debt_usd),
            "adjusted_debt_usd": str(self.adjusted_debt_usd),
            "ratio_bps": None if self.ratio_bps == model.NO_DEBT_RATIO else self.ratio_bps,
            "margin_call_at": self.margin_call_at,
            "deadline": self.deadline,
            "liquidatable": self.liquidatable,
        }


@dataclass(frozen=True)
class Mark:
    """One account marked to market: its health, tier and count of liquidations."""

    account: str
    health: Health
    tier: Tier
    liquidations: int

    @property
    def below_maintenance(self) -> bool:
        return self.health.debt_usd > 0 and self.health.ratio_bps < self.tier.maintenance_bps


def needs_margin_call(mark: Mark) -> bool:
    """Below maintenance with no call open: `marginCall` would succeed."""
    return mark.below_maintenance and mark.health.margin_call_at == 0


@dataclass(frozen=True)
class CyclePlan:
    """What a block's cycle sends: margin calls and liquidations (accounts), each list bounded and
    most under-collateralised first, and how many were left for later blocks."""

    margin_calls: list[str]
    liquidations: list[str]
    deferred_calls: int
    deferred_liquidations: int


def plan_cycle(
    marks: Iterable[Mark],
    busy: set[str] = frozenset(),
    max_liquidations: int = MAX_LIQUIDATIONS_PER_BLOCK,
    max_calls: int = MAX_MARGIN_CALLS_PER_BLOCK,
) -> CyclePlan:
    """The block's margin calls and liquidations; `busy` accounts (a liquidation of theirs in
    flight) are not liquidated again until it is settled."""
    if max_liquidations < 1 or max_calls < 1:
        raise ValueError(f"bounds must be at least 1: {max_liquidations}, {max_calls}")
    ordered = sorted(marks, key=lambda m: (m.health.ratio_bps, m.account.lower()))
    calls = [m.account for m in ordered if needs_margin_call(m)]
    due = [
        m.account
        for m in ordered
        if m.health.liquidatable and m.health.debt_usd > 0 and m.account.lower() not in busy
    ]
    return CyclePlan(
        calls[:max_calls],
        due[:max_liquidations],
        max(0, len(calls) - max_calls),
        max(0, len(due) - max_liquidations),
    )


@dataclass(frozen=True)
class Liquidation:
    """One liquidation's terms: `repay` is what `liquidate` is asked to repay; `repaid` and `seized`
    what the model expects it to do (the preview confirms them on chain)."""

    debt_asset: str
    collateral_asset: str
    repay: int
    repaid: int
    seized: int
    bonus_bps: int

    def as_record(self) -> dict:
        return {
            "debt_asset": self.debt_asset,
            "collateral_asset": self.collateral_asset,
            "repay": str(self.repay),
            "repaid": str(self.repaid),
            "seized": str(self.seized),
            "bonus_bps": self.bonus_bps,
        }


def largest_debt(holdings: Mapping[str, model.Holding]) -> str | None:
    owed = [
        (model.value_up(h.debt, h.price18, h.decimals), a) for a, h in holdings.items() if h.debt
    ]
    return max(owed)[1] if owed else None


def collateral_order(holdings: Mapping[str, model.Holding]) -> list[str]:
    """Held assets, the one to seize first first: largest oracle value, lower haircut on a tie."""
    held = [(a, h) for a, h in holdings.items() if h.balance]
    held.sort(
        key=lambda item: (
            -model.value_down(item[1].balance, item[1].price18, item[1].decimals),
            model.haircut_bps(item[1].risk_weight_bps),
            item[0].lower(),
        )
    )
    return [a for a, _ in held]


def choose_liquidation(
    holdings: Mapping[str, model.Holding],
    ratio_bps: int,
    tier: Tier,
    seizable: Iterable[str] | None = None,
    debt_asset: str | None = None,
) -> Liquidation | None:
    """The liquidation of the account whose assets are `holdings` (address -> Holding at oracle
    prices) at `ratio_bps`: its largest debt (or `debt_asset`'s) repaid up to the close factor
    against its first collateral in `collateral_order` (among `seizable`, when given). None:
    nothing to repay or nothing to seize."""
    debt_asset = debt_asset or largest_debt(holdings)
    allowed = None if seizable is None else {a.lower() for a in seizable}
    order = [a for a in collateral_order(holdings) if allowed is None or a.lower() in allowed]
    if debt_asset is None or not order:
        return None
    collateral_asset = order[0]
    debt = holdings[debt_asset]
    repay = model.max_repay(debt.debt, ratio_bps, tier.close_factor_bps)
    if repay == 0:
        return None
    quote = model.quote(repay, debt, holdings[collateral_asset], ratio_bps, tier.bonus_bps)
    if quote.repaid == 0 or quote.seized == 0:
        return None
    return Liquidation(
        debt_asset, collateral_asset, repay, quote.repaid, quote.seized, quote.bonus_bps
    )
