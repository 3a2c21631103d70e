"""keepers/prime/pool_model.py on its own (no chain): the rate model read from every form a caller
passes, its bounds, the Taylor-compounded index against e^(rt), and the replayed accounting's
PRM-1 and PRM-5 on a small history. The contract is held to the same functions in
tests/contracts/prime/."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.prime import PoolModel, RateModel
from keepers.prime.pool_model import BPS, RAY, YEAR, compound, spread, to_debt, to_scaled

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
    assert RateModel(0, 0, 100_001, 5_000, 0).invalidity() == "slope2 above max"
    assert RateModel(5_000, 5_001, 0, 5_000, 0).invalidity() == "base + slope1 above BPS"


def test_prm_2__kinked_rate__base_kink_and_full_utilisation():
    assert MODEL.borrow_rate_bps(0) == 200
    assert MODEL.borrow_rate_bps(4_000) == 600
    assert MODEL.borrow_rate_bps(8_000) == 1_000
    assert MODEL.borrow_rate_bps(9_000) == 1_000 + 15_000
    assert MODEL.borrow_rate_bps(10_000) == 31_000


@settings(max_examples=50, deadline=None, derandomize=True)
@given(rate_bps=st.integers(0, 110_000), elapsed=st.integers(0, YEAR))
def test_prm_2__compound__e_to_the_rt_short_by_the_taylor_remainder_only(rate_bps, elapsed):
    x = rate_bps * RAY // (BPS * YEAR) * elapsed / RAY
    growth = compound(RAY, rate_bps, elapsed) / RAY
    # Three terms: below e^x by at most its fourth-order remainder (x^4/24 e^x) and the rounding.
    assert 1 + x <= growth + 1e-12
    assert math.exp(x) - growth <= x**4 / 24 * math.exp(x) + 1e-12


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
