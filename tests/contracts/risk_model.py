"""An independent Python model of the RiskEngine's pre-trade check and of what `sync` and
`publishModel` do to it (docs/specs.md RSK-1 to RSK-3), for the risk state machine to compare the
engine with. Built from the specification and the fixture's inputs only: it never asks the engine.

Units as the interface documents them: values in 18-decimal USD, prices in 1e-9 USD per whole
token, volatilities in ppm a day, correlations in 1e-4, shocks and limits in bps of NAV. Every risk
figure is rounded up (never understated) and the liquid share down (never overstated), exactly as
the spec says, so the model predicts the refusal's numbers to the unit, not approximately.
"""

from dataclasses import dataclass, field
from math import isqrt
from statistics import NormalDist

from keepers.core.solidity_enums import member
from keepers.risk import RISK_LIMIT_NAMES

BPS, PPM = 10_000, 1_000_000
Z95_PPM = round(NormalDist().inv_cdf(0.95) * PPM)  # 1_644_854
Z99_PPM = round(NormalDist().inv_cdf(0.99) * PPM)  # 2_326_348
(
    NONE,
    HALTED,
    STALE_MODEL,
    STALE_PRICES,
    UNPRICED,
    ASSET_CONC,
    CLASS_CONC,
    MIN_LIQ,
    VAR95,
    VAR99,
    ES,
    STRESS,
    DRAWDOWN,
    INVALID_MODEL,
) = range(14)
LIMIT_NAMES = RISK_LIMIT_NAMES
MAX_VOL_PPM = 1_000_000


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def trunc_div(a: int, b: int) -> int:
    """Division rounding towards zero (the EVM's sdiv)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@dataclass(frozen=True)
class Outcome:
    """What the engine's `check` returns: (ok, limit, subject, value, bound, riskReducing)."""

    ok: bool
    limit: int = NONE
    subject: int = 0
    value: int = 0
    bound: int = 0
    risk_reducing: bool = False

    def as_tuple(self):
        return (self.ok, self.limit, self.subject, self.value, self.bound, self.risk_reducing)

    def __str__(self):
        return (
            f"{LIMIT_NAMES[self.limit]}(subject={self.subject}, value={self.value}, "
            f"bound={self.bound}, riskReducing={self.risk_reducing}, ok={self.ok})"
        )


@dataclass
class RiskModel:
    decimals: list[int]
    max_weight_bps: list[int]
    asset_class: list[int]
    liquid: list[bool]
    limits: dict
    vols_ppm: list[int]
    correlations: list[int]  # pairs (i, j), i < j, in row order
    es_multiplier_ppm: int
    stress_bps: list[int]  # scenario-major
    update_id: int
    as_of: int
    published_at: int
    prices_nano: list[int] = field(default_factory=list)
    priced: list[bool] = field(default_factory=list)
    synced_at: int = 0
    halted: bool = False
    high_water_mark: int = 0
    last_nav_per_share: int = 0
    drawdown_bps: int = 0

    @property
    def n(self) -> int:
        return len(self.decimals)

    # ------------------------------------------------------------------ what the engine computes

    def values(self, held: list[int]) -> list[int]:
        return [h * p * 10**9 // 10**d for h, p, d in zip(held, self.prices_nano, self.decimals)]

    def sigma(self, values: list[int]) -> tuple[bool, int]:
        """Delta-normal portfolio standard deviation in value units; (False, 0) when the
        correlations make the variance negative."""
        s = [v * vol // PPM for v, vol in zip(values, self.vols_ppm)]
        diagonal = sum(x * x for x in s)
        pairs = [(i, j) for i in range(self.n) for j in range(i + 1, self.n)]
        off_diagonal = sum(s[i] * s[j] * rho for (i, j), rho in zip(pairs, self.correlations))
        variance = diagonal + trunc_div(2 * off_diagonal, BPS)
        return (False, 0) if variance < 0 else (True, isqrt(variance))

    def check(self, before: list[int], after: list[int], now: int) -> Outcome:
        failed = self._gates(after, now)
        values = self.values(after)
        nav = sum(values)
        if failed is None and nav != 0:
            failed = self._limits(values, nav)
        if failed is None:
            return Outcome(True)
        reducing = self._reduces_risk(before, after)
        return Outcome(reducing, *failed, risk_reducing=reducing)

    def _gates(self, held, now):
        limits = self.limits
        if self.halted:
            return (HALTED, 0, 0, 0)
        model_age = now - self.as_of
        if self.as_of == 0 or model_age > limits["maxModelAge"]:
            return (STALE_MODEL, 0, model_age, limits["maxModelAge"])
        price_age = now - self.synced_at
        if self.synced_at == 0 or price_age > limits["maxPriceAge"]:
            return (STALE_PRICES, 0, price_age, limits["maxPriceAge"])
        for i, amount in enumerate(held):
            if amount and not self.priced[i]:
                return (UNPRICED, i, 0, 0)
        return None

    def _limits(self, values, nav):
        limits = self.limits
        for i, v in enumerate(values):
            weight = ceil_div(v * BPS, nav)
            if weight > self.max_weight_bps[i]:
                return (ASSET_CONC, i, weight, self.max_weight_bps[i])
        for c, cap in enumerate(limits["maxClassWeightBps"]):
            weight = ceil_div(sum(v for v, k in zip(values, self.asset_class) if k == c) * BPS, nav)
            if cap and weight > cap:
                return (CLASS_CONC, c, weight, cap)
        liquid_bps = sum(v for v, liquid in zip(values, self.liquid) if liquid) * BPS // nav
        if liquid_bps < limits["minLiquidBps"]:
            return (MIN_LIQ, 0, liquid_bps, limits["minLiquidBps"])
        valid, sigma = self.sigma(values)
        if not valid:
            return (INVALID_MODEL, 0, 0, 0)
        for limit, multiplier, bound in (
            (VAR95, Z95_PPM, "maxVar95Bps"),
            (VAR99, Z99_PPM, "maxVar99Bps"),
            (ES, self.es_multiplier_ppm, "maxEsBps"),
        ):
            figure = ceil_div(sigma * multiplier * BPS, nav * PPM)
            if figure > limits[bound]:
                return (limit, 0, figure, limits[bound])
        scenarios = len(self.stress_bps) // self.n
        worst, worst_scenario = 0, 0
        for k in range(scenarios):
            loss = sum(
                v * shock
                for v, shock in zip(values, self.stress_bps[k * self.n : (k + 1) * self.n])
            )
            if loss > worst:
                worst, worst_scenario = loss, k
        loss_bps = ceil_div(worst, nav) if worst > 0 else 0
        if loss_bps > limits["maxStressLossBps"]:
            return (
                STRESS,
                worst_scenario if worst > 0 else 0,
                loss_bps,
                limits["maxStressLossBps"],
            )
        if self.drawdown_bps > limits["maxDrawdownBps"]:
            return (DRAWDOWN, 0, self.drawdown_bps, limits["maxDrawdownBps"])
        return None

    def _reduces_risk(self, before, after) -> bool:
        """No non-liquid position grows, and sigma / NAV (99% VaR as a share of NAV) does not
        grow."""
        if any(not self.liquid[i] and after[i] > before[i] for i in range(self.n)):
            return False
        post_values, pre_values = self.values(after), self.values(before)
        (post_valid, post_sigma), (pre_valid, pre_sigma) = (
            self.sigma(post_values),
            self.sigma(pre_values),
        )
        if not post_valid or not pre_valid:
            return True
        return post_sigma * sum(pre_values) <= pre_sigma * sum(post_values)

    # ------------------------------------------------------------------ what changes it

    def sync(
        self,
        held: list[int],
        answers: list[int],
        reported_at: list[int],
        heartbeat: int,
        feed_decimals: int,
        supply: int,
        share_decimals: int,
        now: int,
    ):
        """The engine's `sync` at `now`: a feed older than its heartbeat gives no price (its last
        good
        price is kept, unusable); NAV per share and the drawdown move only when every held asset is
        priced; the portfolio halts itself when nothing is priced or at the hard drawdown."""
        nav, complete = 0, True
        for i in range(self.n):
            fresh = now - reported_at[i] <= heartbeat and answers[i] > 0
            self.priced[i] = fresh
            if fresh:
                self.prices_nano[i] = answers[i] * 10 ** (18 - feed_decimals) // 10**9
                nav += held[i] * self.prices_nano[i] * 10**9 // 10 ** self.decimals[i]
            elif held[i]:
                complete = False
        if complete and supply:
            nav_per_share = nav * 10**share_decimals // supply
            self.last_nav_per_share = nav_per_share
            self.high_water_mark = max(self.high_water_mark, nav_per_share)
            self.drawdown_bps = (self.high_water_mark - nav_per_share) * BPS // self.high_water_mark
        self.synced_at = now
        if not self.halted:
            hard = self.limits["hardDrawdownBps"]
            if not any(self.priced) or (hard and self.drawdown_bps >= hard):
                self.halted = True

    def resume(self, reset_high_water_mark: bool):
        self.halted = False
        if reset_high_water_mark:
            self.high_water_mark = self.last_nav_per_share
            self.drawdown_bps = 0

    def change_refusal(
        self,
        index: int,
        old: int,
        new: int,
        relative: bool,
        limit: int,
        now: int,
        free_up: bool = True,
    ):
        """RSK-3 / RSK-17, stated from the spec: the change from `old` to `new` may use the share
        min(now - publishedAt, window) / window of its bound (relative: old x limit / 10,000;
        absolute: limit) when it decreases, or when it increases and is not free; without a window
        (`boundWindowHours` 0) every change its whole bound, up or down. As (name, fields), or
        None."""
        window = self.limits["boundWindowHours"] * 3_600
        if new > old and window and free_up:
            return None  # tightening under a window: only the absolute ranges
        num, den = (1, 1) if not window else (min(now - self.published_at, window), window)
        bound = old * limit if relative else limit
        if abs(new - old) * (BPS if relative else 1) * den > bound * num:
            offset = 0 if relative else 10_000
            return "ModelChangeTooLarge", {
                "index": index,
                "previous": old + offset,
                "next": new + offset,
            }
        return None

    def publish_refusal(
        self, update_id: int, as_of: int, vols: list[int], now: int, es: int | None = None
    ):
        """The error `publishModel` must raise at `now` for this update (same correlations and
        stress as held; `es` the ES multiplier, held when None), as (name, fields), or None when it
        is accepted. Checks in the engine's order: id, asOf, delay, each vol's range and change,
        (correlations and shocks unchanged), the ES multiplier's change (at index n)."""
        es = self.es_multiplier_ppm if es is None else es
        if update_id != self.update_id + 1:
            return "StaleUpdate", {"expectedId": self.update_id + 1, "updateId": update_id}
        if as_of <= self.as_of or as_of > now:
            return "InvalidModelUpdate", {"rule": member("ModelRule", "AsOf"), "index": as_of}
        if now < self.published_at + self.limits["minUpdateDelay"]:
            return "UpdateTooSoon", {"lastPublishedAt": self.published_at}
        if es < PPM or es > 10 * PPM:
            return "InvalidModelUpdate", {"rule": member("ModelRule", "EsMultiplier"), "index": es}
        pairs = [(i, j) for i in range(self.n) for j in range(i + 1, self.n)]
        hedges = {a for (i, j), rho in zip(pairs, self.correlations) if rho < 0 for a in (i, j)}
        for i, (old, new) in enumerate(zip(self.vols_ppm, vols)):
            if new == 0 or new > MAX_VOL_PPM:
                return "InvalidModelUpdate", {"rule": member("ModelRule", "Vol"), "index": i}
            # A hedge's (negatively correlated asset's) vol increase is bounded like a decrease.
            refused = self.change_refusal(
                i, old, new, True, self.limits["maxVolChangeBps"], now, i not in hedges
            )
            if refused:
                return refused
        return self.change_refusal(
            self.n, self.es_multiplier_ppm, es, True, self.limits["maxVolChangeBps"], now
        )

    def publish(self, update_id: int, as_of: int, vols: list[int], now: int, es: int | None = None):
        self.update_id, self.as_of, self.published_at, self.vols_ppm = (
            update_id,
            as_of,
            now,
            list(vols),
        )
        if es is not None:
            self.es_multiplier_ppm = es
