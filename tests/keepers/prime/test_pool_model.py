"""keepers/prime/pool_model.py on its own (no chain): the rate model read from every form a caller
passes, its bounds, the exactly compounded index against e^(rt) (SEC-26) and its ceilings over
the accepted parameter space (SEC-25), and the replayed accounting's PRM-1 and PRM-5 on a small
history. The contract is held to the same functions in
tests/contracts/prime/."""

import math
from decimal import Decimal, getcontext

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from keepers.prime import PoolModel, RateModel
from keepers.prime.pool_model import (
    BPS,
    MAX_BORROW_RATE_BPS,
    MAX_INDEX_RAY,
    MAX_TOTAL_DEBT,
    RAY,
    RESTORATION_UNLOCK,
    YEAR,
    compound,
    index_ceiling,
    spread,
    to_debt,
    to_scaled,
)

MODEL = RateModel(
    base_bps=200, slope1_bps=800, slope2_bps=30_000, kink_bps=8_000, reserve_factor_bps=1_000
)


def test_rate_model__from_a_mapping_camel_case_or_a_tuple__the_same_model():
    snake = dict(MODEL.__dict__)
    camel = {"baseBps": 200, "slope1Bps": 800, "slope2Bps": 30_000, "kinkBps": 8_000}
    camel["reserveFactorBps"] = 1_000
    assert RateModel.of(snake) == RateModel.of(camel) == RateModel.of(MODEL.as_tuple()) == MODEL
    with pytest.raises(ValueError, match="lacks kink_bps, reserve_factor_bps"):
        RateModel.of({"base_bps": 1, "slope1_bps": 2, "slope2_bps": 3})


def test_prm_8__rate_model_bounds__named_as_the_contract_names_them():
    assert MODEL.invalidity() == ""
    assert RateModel(0, 0, 0, 10_000, 0).invalidity() == "kink not in (0, BPS)"
    assert RateModel(0, 0, 0, 5_000, 5_001).invalidity() == "reserve factor above max"
    assert RateModel(5_000, 5_001, 0, 5_000, 0).invalidity() == "base + slope1 above BPS"
    above = "rate at full utilisation above max"
    assert RateModel(0, BPS, 30_001, 5_000, 0).invalidity() == above
    assert RateModel(200, 800, 39_001, 5_000, 0).invalidity() == above
    assert RateModel(200, 800, 39_000, 5_000, 0).invalidity() == ""


def test_prm_2__kinked_rate__base_kink_and_full_utilisation():
    assert MODEL.borrow_rate_bps(0) == 200
    assert MODEL.borrow_rate_bps(4_000) == 600
    assert MODEL.borrow_rate_bps(8_000) == 1_000
    assert MODEL.borrow_rate_bps(9_000) == 1_000 + 15_000
    assert MODEL.borrow_rate_bps(10_000) == 31_000


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    rate_bps=st.integers(0, MAX_BORROW_RATE_BPS),
    elapsed=st.integers(0, 20 * YEAR),
    index=st.integers(RAY, 10**40),
)
def test_sec_26__compound__e_to_the_rt_for_any_gap_to_1e_minus_25(rate_bps, elapsed, index):
    """SEC-26: the index is index x e^(rt) for any gap (not a three-term Taylor sum, which lost 37%
    of a year's interest at 310%), rounded down, within 1e-25 of a 60-digit decimal exponential."""
    getcontext().prec = 60
    x = Decimal(rate_bps * elapsed * RAY // (BPS * YEAR)) / RAY
    exact = Decimal(index) * x.exp()
    got = compound(index, rate_bps, elapsed, 2**512)
    if exact >= MAX_INDEX_RAY:
        assert compound(index, rate_bps, elapsed) == MAX_INDEX_RAY
        return
    assert got <= exact
    assert exact - got <= exact * Decimal(10) ** -25 + 2**8


def test_sec_26__compound__a_year_at_310_percent_in_one_gap_or_twelve_agree():
    """The red team's figures: one year idle at 310% grows 1M to e^3.1 M (22.198M), as monthly
    accruals do (the three-term sum gave 13.87M)."""
    yearly = compound(RAY, 31_000, YEAR)
    monthly = RAY
    for _ in range(12):
        monthly = compound(monthly, 31_000, YEAR // 12)
    assert abs(yearly - monthly) * 10**20 < yearly
    assert round(yearly / RAY * 1_000_000) == round(math.exp(3.1) * 1_000_000) == 22_197_951


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    base=st.integers(0, BPS),
    top=st.integers(0, MAX_BORROW_RATE_BPS),
    kink=st.integers(1, BPS - 1),
    debt=st.integers(1, 2**100),
    gaps=st.lists(st.integers(1, 200 * YEAR), min_size=1, max_size=8),
    spread_bps=st.integers(0, 2**16 - 1),
)
# Found by a fresh-clone run (2026-11-27): at an index near its ceiling one scaled unit is worth
# about 2^108 units of debt, and the charge's scaled amount is rounded up by up to one unit.
@example(base=0, top=3806, kink=1, debt=112, gaps=[1, 6_251_173_125], spread_bps=65219)
def test_sec_25__any_accepted_model__the_accrual_stays_within_its_fields_forever(
    base, top, kink, debt, gaps, spread_bps
):
    """SEC-25 over the accepted parameter space: whatever the model (any rate up to the cap), the
    debt (up to 2^100 units), the spread (any uint16) and the gaps (up to 1,600 years at full
    utilisation), every field the pool stores stays within its width (index 216 bits, amounts
    128): no accrual can revert, so the pool never freezes; the index saturates at its ceiling. The
    total debt passes MAX_TOTAL_DEBT by at most the borrow and one scaled unit's worth at the index
    (a clipped spread charge's scaled amount is rounded up), far within 128 bits."""
    from keepers.prime.pool_model import PoolModel

    slope1 = min(top, BPS) - min(base, min(top, BPS))
    model = RateModel(min(base, min(top, BPS)), slope1, top - min(top, BPS), kink, 5_000)
    assert model.invalidity() == ""
    pool = PoolModel(model=model, last_accrual=0)
    pool.deposit(debt, 0)
    pool.borrow("a", debt, spread_bps, 0)
    now = 0
    for gap in gaps:
        now += gap
        pool.accrue(now)
        pool.charge("a", spread_bps, now)
        assert RAY <= pool.index_ray <= MAX_INDEX_RAY
        assert pool.total_debt <= MAX_TOTAL_DEBT + debt + pool.index_ray // RAY + 1
        assert pool.total_debt < 2**127
        assert max(pool.reserves, pool.cash, pool.total_scaled) < 2**128
        assert pool.accounts["a"].scaled < 2**128


@pytest.mark.parametrize(
    "rate_bps, debt, years",
    [
        (MAX_BORROW_RATE_BPS, 1, 21),  # the cap, one unit: the index's own ceiling
        (MAX_BORROW_RATE_BPS, 10**13, 14),  # the cap, ten million USDC: the debt's ceiling
        (31_000, 1, 28),  # the deployed model at full utilisation
        (31_000, 10**13, 18),
        (6_500, 1, 134),  # keepers/data/prime.yaml's USDC pool at full utilisation
        (6_500, 10**13, 88),
        (10_350, 10**13, 55),  # its QSPX pool
    ],
)
def test_sec_25__horizon__exact_for_years_of_full_utilisation_before_saturating(
    rate_bps, debt, years
):
    """The horizon the interface states: a pool borrowed in full at `rate_bps` compounds exactly
    (below its ceiling) for `years` years, then saturates a year later at the latest."""
    ceiling = index_ceiling(debt)
    assert compound(RAY, rate_bps, years * YEAR, ceiling) < ceiling
    assert compound(RAY, rate_bps, (years + 1) * YEAR, ceiling) == ceiling


def test_prm_1_prm_5__replayed_history__debts_sum_and_claims_within_cash_and_debt():
    pool = PoolModel(model=MODEL, last_accrual=0)
    pool.deposit(1_000_000 * 10**6, 0)
    spreads = {"a": 0, "b": 300}
    pool.borrow("a", 600_000 * 10**6, spreads["a"], 10)
    pool.borrow("b", 250_000 * 10**6, spreads["b"], 20)
    pool.repay("a", 100_000 * 10**6, spreads["a"], 30 * 86_400)
    pool.accrue(60 * 86_400)  # a touch of b: its spread charged
    assert pool.charge("b", spreads["b"], 60 * 86_400) > 0
    amount, from_reserves, from_lenders = pool.realise_bad_debt("b", spreads["b"], 90 * 86_400)
    assert from_reserves == pool.bad_debt_absorbed > 0 and from_lenders == pool.bad_debt_realised
    assert amount == from_reserves + from_lenders > 250_000 * 10**6
    pool.accrue(120 * 86_400)
    debts = sum(to_debt(a.scaled, pool.index_ray) for a in pool.accounts.values())
    assert debts - len(pool.accounts) < pool.total_debt <= debts
    assert pool.total_assets() == pool.cash + pool.total_debt - pool.reserves
    assert pool.total_assets() <= pool.cash + pool.total_debt


def test_prm_2__rounding__debt_up_scaled_for_repayment_down_spread_up():
    index = RAY + RAY // 3
    assert to_debt(1, index) == 2  # 1.33 rounds up
    assert to_scaled(1, index, up=True) == 1 and to_scaled(1, index, up=False) == 0
    assert to_scaled(to_debt(7, index), index, up=False) >= 7  # a whole repayment clears
    assert spread(1, 1, 1) == 1  # any positive spread costs at least a unit


@given(
    first=st.integers(1, 10**15),
    second=st.integers(1, 10**15),
    gap=st.integers(0, 2 * RESTORATION_UNLOCK),
)
@settings(max_examples=200, deadline=None)
def test_sec_241__restoration_lock__no_step__period_within_bounds__never_rising_between(
    first, second, gap
):
    """The lock of restored loss (round 8 #3), as LendingPool's `_lock`/`_lockedAt`: adding to
    it moves nothing at that second (what is locked after = what was locked + the addition); its
    period is within [1, RESTORATION_UNLOCK]; between additions it only falls, to 0 at its end."""
    pool = PoolModel(model=MODEL, last_accrual=0)
    pool._lock(first, 1_000)
    assert pool.locked_at(1_000) == first and pool.unlock_end == 1_000 + RESTORATION_UNLOCK
    now = 1_000 + gap
    still = pool.locked_at(now)
    assert still <= first
    pool._lock(second, now)
    assert pool.locked_at(now) == still + second
    assert 1 <= pool.unlock_end - now <= RESTORATION_UNLOCK
    readings = [pool.locked_at(now + step) for step in range(0, RESTORATION_UNLOCK + 2, 3_600)]
    assert readings == sorted(readings, reverse=True) and readings[-1] == 0
