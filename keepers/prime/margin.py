"""The margin keeper's decisions (keepers/prime/keeper.py fetches and sends; nothing here touches a
chain): which accounts get a margin call, whose open call is confirmed or cleared, which are
liquidated this block and in what order, and for each liquidation the debt to repay, the
collateral to seize and how much — the contract's own arithmetic (keepers/prime/model.py), so the
keeper proposes only what `liquidate` accepts.

Calls (SEC-24). The broker lets a call lapse unless it is seen below maintenance again within its
heartbeat (`min(grace period, MARGIN_CALL_HEARTBEAT)`): the keeper confirms each open call of an
account still below maintenance once half a heartbeat has passed since it was last seen (a live
call through its deadline, whatever the keeper's cadence within that half), and clears each open
call of an account back at maintenance (so a recovery is recorded on chain, not only left to lapse).

Choices. The largest debt (at oracle value) is repaid first: it moves the ratio most — an
assigned debt before any (IPrimeBroker "Assigned debt", SEC-190: written off beside a matured
note's claim, it is recovered in full whatever the ratio, and the broker recovers it first for its
asset). The collateral seized is the account's largest holding at oracle value, the lower haircut
breaking a tie (the most liquid): a sale of it moves its market least, and it is the likeliest to
cover the repayment with its bonus. The repayment is the close factor's maximum
(`model.max_repay`; all of an assigned debt); when the collateral runs out first the contract
repays less, and realises what is left as bad debt (assigned to the account's claims, if any).

Sales (SEC-150, SEC-154). A liquidation that sells what it seizes sells it through the
aggregator in one transaction, with no commitment: the keeper sizes the repayment so that the sale
stays below the aggregator's large-order (commit-reveal) threshold of the collateral
(`scaled_repay`; the rest is repaid by the next liquidation, a transaction later), and down again
to what the best route's output covers; when one collateral cannot be sold for enough, the next
in `collateral_order` is tried (at most MAX_SALE_CANDIDATES, each sized at most SALE_SIZING_ROUNDS
times).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from keepers.prime import model

# At most this many liquidations a block (the keeper's on-chain effect is bounded: the rest wait
# for the next block, most under-collateralised first).
MAX_LIQUIDATIONS_PER_BLOCK = 3
# At most this many margin calls a block (and as many confirmations, and as many clears).
MAX_MARGIN_CALLS_PER_BLOCK = 16
# IPrimeBroker's MARGIN_CALL_HEARTBEAT: a call lapses this long (at most: the grace period when
# shorter) after it was last seen below maintenance.
MARGIN_CALL_HEARTBEAT = 86_400
# A liquidation's sale: at most this many collateral assets tried, each sized at most this many
# times (each time one preview and one route plan: the keeper's reads per account are bounded).
MAX_SALE_CANDIDATES = 4
SALE_SIZING_ROUNDS = 4


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
    margin_call_seen_at: int = 0

    @classmethod
    def of(cls, h) -> Health:
        values = tuple(h)
        return cls(*(int(v) for v in values[:7]), bool(values[7]), int(values[8]))

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
            "margin_call_seen_at": self.margin_call_seen_at,
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
    """Below maintenance with no call open (none, or one that lapsed): `marginCall` opens one."""
    return mark.below_maintenance and mark.health.margin_call_at == 0


def heartbeat(tier: Tier) -> int:
    """How long a call of `tier` stays live unseen: min(grace period, MARGIN_CALL_HEARTBEAT)."""
    return min(tier.grace_period, MARGIN_CALL_HEARTBEAT)


def needs_confirmation(mark: Mark, now: int) -> bool:
    """An open call of an account still below maintenance, last seen half a heartbeat ago or
    more: `marginCall` confirms it (it would lapse a heartbeat after it was last seen)."""
    h = mark.health
    return (
        mark.below_maintenance
        and h.margin_call_at != 0
        and now >= h.margin_call_seen_at + heartbeat(mark.tier) // 2
    )


def needs_clearing(mark: Mark) -> bool:
    """An open call of an account back at maintenance (or without debt): `clearMarginCall`."""
    return mark.health.margin_call_at != 0 and not mark.below_maintenance


@dataclass(frozen=True)
class CyclePlan:
    """What a block's cycle sends: margin calls and liquidations (accounts), each list bounded and
    most under-collateralised first, and how many were left for later blocks."""

    margin_calls: list[str]
    liquidations: list[str]
    deferred_calls: int
    deferred_liquidations: int
    confirmations: list[str] = field(default_factory=list)
    clears: list[str] = field(default_factory=list)


#: How far an idle account's debt may grow (interest, spreads) before it is tried again: a pool's
#: debt accrues every block, so an account with one never had the same health twice, and the
#: accounts the keeper cannot act on took every slot again (helper-115 of SEC-197).
IDLE_DEBT_DRIFT_BPS = 100
#: Blocks an idle account goes untried at most, whatever its health: a borrower who made the
#: keeper find nothing to send once (its sale venue's liquidity pulled for a block) is tried again
#: within this many blocks, not once its debt drifted (helper-117 M1).
IDLE_RETRY_BLOCKS = 10


@dataclass(frozen=True)
class Idle:
    """An account the keeper last found nothing to send for: its health then, and the block."""

    health: Health
    block: int


def still_idle(now: Health, then: Health) -> bool:
    """Whether `now` is the health `then` was but for its debt's accrual: every figure the same
    (collateral, call, deadline, whether liquidatable, whether the ratio is under 100%: the
    close factor's line) except the debt, grown by at most IDLE_DEBT_DRIFT_BPS, and the ratio
    that follows from it."""

    def accrued(field_name: str) -> bool:
        before, after = getattr(then, field_name), getattr(now, field_name)
        return before <= after <= before + before * IDLE_DEBT_DRIFT_BPS // 10_000

    def insolvent(h: Health) -> bool:
        return h.ratio_bps < 10_000

    return (
        accrued("debt_usd")
        and accrued("adjusted_debt_usd")
        and insolvent(now) == insolvent(then)
        and replace(
            now, debt_usd=then.debt_usd, adjusted_debt_usd=then.adjusted_debt_usd, ratio_bps=0
        )
        == replace(then, ratio_bps=0)
    )


def idle_accounts(marks: Iterable[Mark], idle: Mapping[str, Idle], block: int) -> set[str]:
    """The accounts (lowercase) the keeper found nothing to send for (`idle`) fewer than
    IDLE_RETRY_BLOCKS blocks before `block`, whose health is what it was then but for the accrual
    of their debt (`still_idle`). They take no liquidation slot until it moves — a price, a
    balance, a debt repaid or grown past IDLE_DEBT_DRIFT_BPS — or the retry comes (SEC-197: a few
    accounts it cannot act on took every slot, every block; now one slot each every
    IDLE_RETRY_BLOCKS blocks at most)."""
    return {
        m.account.lower()
        for m in marks
        if (then := idle.get(m.account.lower())) is not None
        and block - then.block < IDLE_RETRY_BLOCKS
        and still_idle(m.health, then.health)
    }


def plan_cycle(
    marks: Iterable[Mark],
    busy: set[str] = frozenset(),
    max_liquidations: int = MAX_LIQUIDATIONS_PER_BLOCK,
    max_calls: int = MAX_MARGIN_CALLS_PER_BLOCK,
    now: int = 0,
) -> CyclePlan:
    """The block's margin calls, confirmations and clears (at block time `now`) and liquidations;
    `busy` accounts (a liquidation of theirs in flight) are not liquidated again until it is
    settled. An account liquidated this block is not confirmed (the liquidation sees it)."""
    if max_liquidations < 1 or max_calls < 1:
        raise ValueError(f"bounds must be at least 1: {max_liquidations}, {max_calls}")
    ordered = sorted(marks, key=lambda m: (m.health.ratio_bps, m.account.lower()))
    calls = [m.account for m in ordered if needs_margin_call(m)]
    due = [
        m.account
        for m in ordered
        if m.health.liquidatable and m.health.debt_usd > 0 and m.account.lower() not in busy
    ]
    liquidating = set(due[:max_liquidations])
    confirm = [
        m.account for m in ordered if needs_confirmation(m, now) and m.account not in liquidating
    ]
    clear = [m.account for m in ordered if needs_clearing(m)]
    return CyclePlan(
        calls[:max_calls],
        due[:max_liquidations],
        max(0, len(calls) - max_calls)
        + max(0, len(confirm) - max_calls)
        + max(0, len(clear) - max_calls),
        max(0, len(due) - max_liquidations),
        confirm[:max_calls],
        clear[:max_calls],
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
    # The account keeps only dust: its debts are written off (SEC-23; nothing repaid when the
    # collateral itself is dust).
    write_off: bool = False

    def as_record(self) -> dict:
        return {
            "debt_asset": self.debt_asset,
            "collateral_asset": self.collateral_asset,
            "repay": str(self.repay),
            "repaid": str(self.repaid),
            "seized": str(self.seized),
            "bonus_bps": self.bonus_bps,
            "write_off": self.write_off,
        }


def largest_debt(holdings: Mapping[str, model.Holding]) -> str | None:
    """The largest debt at oracle value, an assigned one first (SEC-190), the largest carry first
    among those (round 7 M3: the pools' carries are recovered before any realised loss)."""
    owed = [
        (
            h.assigned != 0,
            model.value_up(h.carried, h.price18, h.decimals),
            model.value_up(h.debt, h.price18, h.decimals),
            a,
        )
        for a, h in holdings.items()
        if h.debt
    ]
    return max(owed)[3] if owed else None


def collateral_order(holdings: Mapping[str, model.Holding]) -> list[str]:
    """Held assets, the one to seize first first: largest oracle value, lower haircut on a tie. A
    holding without a price (valued 0 by the broker, which refuses to seize it: SEC-153) is not
    one."""
    held = [(a, h) for a, h in holdings.items() if h.balance and h.price18]
    held.sort(
        key=lambda item: (
            -model.value_down(item[1].balance, item[1].price18, item[1].decimals),
            model.haircut_bps(item[1].risk_weight_bps),
            item[0].lower(),
        )
    )
    return [a for a, _ in held]


def unpriced_holding(holdings: Mapping[str, model.Holding]) -> str | None:
    """The first asset held without a usable price (valued 0 by the broker), if any."""
    return next((a for a, h in holdings.items() if h.balance and not h.price18), None)


def write_off_blocker(holdings: Mapping[str, model.Holding]) -> str | None:
    """Why the broker writes nothing off for this account, in one line (None: nothing stops it):
    a holding without a usable price (SEC-162). Matured notes' claims stop nothing: a write-off
    assigns the debts to them (SEC-191)."""
    asset = unpriced_holding(holdings)
    if asset is not None:
        return f"no write-off: {asset} is held without a usable price (SEC-162)"
    return None


def choose_liquidation(
    holdings: Mapping[str, model.Holding],
    ratio_bps: int,
    tier: Tier,
    seizable: Iterable[str] | None = None,
    debt_asset: str | None = None,
) -> Liquidation | None:
    """The liquidation of the account whose assets are `holdings` (address -> Holding at oracle
    prices) at `ratio_bps`: its largest debt (or `debt_asset`'s) repaid up to the close factor —
    all of an assigned debt, whatever the ratio (SEC-190) — against its first collateral in
    `collateral_order` (among `seizable`, when given). None: nothing to repay or nothing to seize
    — unless the collateral is dust or none at all (a write-off, SEC-23: repaid and seized 0; with
    no collateral a debt owed to a pool is named: an assigned one waits for its claim's
    redemption), and nothing stops the write-off (`write_off_blocker`: a holding without a usable
    price). Matured notes' claims are not holdings: they are never seized and stop no write-off
    (SEC-191)."""
    named = debt_asset is not None
    debt_asset = debt_asset or largest_debt(holdings)
    if debt_asset is None:
        return None
    if not any(h.balance for h in holdings.values()):
        if holdings[debt_asset].assigned:
            if named:
                return None
            debt_asset = largest_debt({a: h for a, h in holdings.items() if not h.assigned})
            if debt_asset is None:
                return None
        repay = model.max_repay(holdings[debt_asset].debt, ratio_bps, tier.close_factor_bps)
        return Liquidation(debt_asset, debt_asset, repay, 0, 0, 0, True) if repay else None
    debt = holdings[debt_asset]
    repay = debt.assigned or model.max_repay(debt.debt, ratio_bps, tier.close_factor_bps)
    if debt.carried and any(h.carried for a, h in holdings.items() if a != debt_asset):
        # Another pool still carries: this carry only, then the next (round 7 M3: no restoration
        # of one pool's realised loss while another's carry waits on the same claim).
        repay = debt.carried
    if repay == 0:
        return None
    allowed = None if seizable is None else {a.lower() for a in seizable}
    order = [a for a in collateral_order(holdings) if allowed is None or a.lower() in allowed]
    if not order:
        return None
    collateral_asset = order[0]
    quote = model.quote(
        repay,
        debt,
        holdings[collateral_asset],
        ratio_bps,
        tier.bonus_bps,
        model.figures(holdings.values()).collateral_usd,
        unpriced_holding(holdings) is not None,
    )
    if quote.repaid == 0 and not quote.write_off:
        return None
    return Liquidation(
        debt_asset,
        collateral_asset,
        repay,
        quote.repaid,
        quote.seized,
        quote.bonus_bps,
        quote.write_off,
    )


def scaled_repay(repay: int, seized: int, most_seized: int) -> int:
    """The repayment whose seizure is at most `most_seized` units, from a repayment `repay` that
    seizes `seized` (at one bonus the seizure is proportional to the repayment; rounded down)."""
    if seized <= most_seized:
        return repay
    return repay * most_seized // seized
