"""LCY-40 to LCY-42: the fund's short rate (French's RF as shipped by arch), its NAV from holdings
and prices, and the daily dividend in new shares (keepers/lifecycle/{rates,nav,dividends}.py)."""

import calendar
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.core.units import WAD
from keepers.lifecycle.dividends import compute_dividend, is_due, window_start
from keepers.lifecycle.nav import (
    CLAIMED,
    INVESTED,
    RETURNED,
    STRUCK,
    Flow,
    Holdings,
    VaultHoldings,
    compute_class_nav,
    compute_nav,
    custodian_value,
    feed_answer,
    within_move_bound,
)
from keepers.lifecycle.rates import DAY_SECONDS, MonthlyRates, french_rf

DAY = DAY_SECONDS


def ts(year, month, day, hour=0):
    return calendar.timegm((year, month, day, hour, 0, 0))


@pytest.fixture(scope="module")
def rf():
    return french_rf(shift_days=0)


# ------------------------------------------------------------------ LCY-40: the short rate


def test_french_rf__monthly_one_month_tbill_1926_07_to_2018_11__read_exactly(rf):
    assert rf.first == (1926, 7) and rf.last == (2018, 11)
    assert len(rf.monthly) == 1_109  # consecutive months, no gap (from_months checks)
    # Percent per month in the file, fractions here, read from the decimal text (no float noise).
    assert rf.quote((2007, 1)).monthly == Decimal("0.0044")
    assert rf.quote((2008, 9)).monthly == Decimal("0.0015")
    assert rf.quote((2008, 10)).monthly == Decimal("0.0008")  # the Lehman month
    assert rf.quote((2008, 12)).monthly == Decimal("0")  # bills at zero after the crisis


def test_daily_rate__days_of_a_month__compound_to_the_months_rf_exactly(rf):
    for year, month in ((2008, 10), (2007, 2), (2008, 2), (1980, 3)):
        days = calendar.monthrange(year, month)[1]
        monthly = rf.quote((year, month)).monthly
        daily = rf.daily_rate(ts(year, month, 1))
        with localcontext() as context:
            context.prec = 50  # the module's precision
            assert abs((1 + daily) ** days - (1 + monthly)) < Decimal("1e-45")
        # A whole month's growth is its RF.
        start = ts(year, month, 1)
        assert abs(rf.growth(start, start + days * DAY) - (1 + monthly)) < Decimal("1e-45")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(ts(1990, 1, 1), ts(2018, 6, 1)),
    st.integers(0, 200 * DAY),
    st.integers(0, 200 * DAY),
)
def test_growth__split_anywhere__the_parts_multiply_to_the_whole(start, first, second):
    rf = _RF
    whole = rf.growth(start, start + first + second)
    with localcontext() as context:
        context.prec = 50
        parts = rf.growth(start, start + first) * rf.growth(start + first, start + first + second)
    assert abs(whole - parts) < Decimal("1e-40")
    assert whole >= 1  # RF is never negative in the series


_RF = french_rf(shift_days=0)


def test_quote__past_the_series__last_month_held__before_it__error(rf):
    held = rf.quote((2026, 11))
    assert held.held and held.source_month == (2018, 11) and held.monthly == Decimal("0.0018")
    with pytest.raises(ValueError, match="no rate before 1926-07"):
        rf.quote((1926, 6))


def test_shift__chain_time_read_that_many_days_earlier():
    shifted = french_rf(shift_days=6_300)
    now = ts(2026, 1, 15)
    assert shifted.daily_rate(now) == _RF.daily_rate(now - 6_300 * DAY)
    with pytest.raises(ValueError, match="negative"):
        MonthlyRates((2000, 1), (Decimal("0.01"),), -1)


def test_from_months__gap__refused():
    with pytest.raises(ValueError, match="gap"):
        MonthlyRates.from_months({(2000, 1): Decimal("0.01"), (2000, 3): Decimal("0.01")})


# ------------------------------------------------------------------ LCY-41: the NAV

USDC = 10**6


def holdings(**overrides):
    values = dict(
        valued_at=ts(2008, 10, 31),
        free_cash=1_000_000 * USDC,
        asset_price18=WAD,
        asset_decimals=6,
        share_supply=2_000_000 * WAD,
        share_decimals=18,
    )
    values.update(overrides)
    return Holdings(**values)


def test_custodian_value__invested_grows_at_the_short_rate_returns_taken_out(rf):
    invested = Flow(INVESTED, ts(2008, 10, 1), assets=1_000_000 * USDC)
    # The whole of October: the month's RF (0.08%).
    assert custodian_value([invested], ts(2008, 11, 1), rf) == Decimal(1_000_800 * USDC)
    back = Flow(RETURNED, ts(2008, 10, 1), assets=400_000 * USDC)
    assert custodian_value([invested, back], ts(2008, 11, 1), rf) == Decimal(600_480 * USDC)
    # More returned than held: empty, never negative; flows after the valuation are not counted.
    over = Flow(RETURNED, ts(2008, 10, 2), assets=2_000_000 * USDC)
    assert custodian_value([invested, over], ts(2008, 11, 1), rf) == 0
    late = Flow(INVESTED, ts(2008, 12, 1), assets=5 * USDC)
    assert custodian_value([late], ts(2008, 11, 1), rf) == 0


def test_compute_nav__cash_custodian_and_unclaimed_deposit_shares__rounded_down(rf):
    flows = [
        Flow(INVESTED, ts(2008, 10, 1), assets=1_000_000 * USDC),
        Flow(STRUCK, ts(2008, 10, 1), shares=600 * WAD),
        Flow(CLAIMED, ts(2008, 10, 2), shares=200 * WAD),
    ]
    nav = compute_nav(holdings(valued_at=ts(2008, 11, 1)), flows, rf)
    assert nav.basis == "holdings"
    assert nav.shares_outstanding == 2_000_000 * WAD + 400 * WAD
    # (1,000,000 + 1,000,800) USD over 2,000,400 shares.
    exact = Decimal(2_000_800) * WAD / Decimal(2_000_400)
    assert nav.nav18 == int(exact) and nav.nav18 <= exact < nav.nav18 + 1
    # A depegged settlement asset shows in the NAV.
    depegged = compute_nav(holdings(valued_at=ts(2008, 11, 1), asset_price18=WAD // 2), flows, rf)
    assert depegged.nav18 == nav.nav18 // 2 or abs(depegged.nav18 - nav.nav18 // 2) <= 1


def test_compute_nav__no_share_outstanding__previous_nav_then_initial(rf):
    empty = holdings(share_supply=0)
    assert compute_nav(empty, [], rf).basis == "initial"
    assert compute_nav(empty, [], rf).nav18 == WAD
    held = compute_nav(holdings(share_supply=0, previous_nav18=WAD + 5), [], rf)
    assert (held.nav18, held.basis) == (WAD + 5, "previous")


def test_compute_class_nav__vaults_in_two_assets__each_at_its_price_over_one_supply(rf):
    flows = (
        Flow(INVESTED, ts(2008, 10, 1), assets=1_000_000 * USDC),
        Flow(STRUCK, ts(2008, 10, 1), shares=600 * WAD),
        Flow(CLAIMED, ts(2008, 10, 2), shares=200 * WAD),
    )
    base = holdings(valued_at=ts(2008, 11, 1))
    # One vault: the single-asset NAV exactly.
    single = compute_class_nav(base, [VaultHoldings(1_000_000 * USDC, WAD, 6, flows)], rf)
    assert single.nav.nav18 == compute_nav(base, list(flows), rf).nav18
    # A second vault, 18 decimals, its asset 1% under par, with 100 shares struck unclaimed.
    other = VaultHoldings(500_000 * WAD, 99 * WAD // 100, 18, (Flow(STRUCK, 0, shares=100 * WAD),))
    both = compute_class_nav(base, [VaultHoldings(1_000_000 * USDC, WAD, 6, flows), other], rf)
    assert both.nav.shares_outstanding == 2_000_000 * WAD + 400 * WAD + 100 * WAD
    # (1,000,000 + 1,000,800 + 495,000) USD over 2,000,500 shares, rounded down.
    exact = Decimal(2_495_800) * WAD / Decimal(2_000_500)
    assert both.nav.nav18 == int(exact)
    assert [v for _, _, v in both.vault_values] == [2_000_800 * WAD, 495_000 * WAD]
    assert both.nav.value_usd18 == 2_495_800 * WAD
    # Each vault's fee shares owed count once (the share side's own `fee_shares` is not read).
    owing = VaultHoldings(1_000_000 * USDC, WAD, 6, flows, fee_shares=50 * WAD)
    with_fees = compute_class_nav(
        holdings(valued_at=ts(2008, 11, 1), fee_shares=7), [owing, other], rf
    )
    assert with_fees.nav.shares_outstanding == both.nav.shares_outstanding + 50 * WAD
    with pytest.raises(ValueError, match="at least one vault"):
        compute_class_nav(base, [], rf)


def test_move_bound_and_feed_answer__the_registrys_inclusive_rule_and_rounding_down():
    assert within_move_bound(0, 5 * WAD, 50)  # no previous NAV
    assert within_move_bound(WAD, WAD + WAD // 200, 50)  # exactly 50 bps: allowed
    assert not within_move_bound(WAD, WAD + WAD // 200 + 1, 50)
    assert not within_move_bound(WAD, WAD - WAD // 200 - 1, 50)
    assert feed_answer(1_000_123_456_789_000_000, 8) == 100_012_345


def test_holdings__bad_input__refused():
    with pytest.raises(ValueError, match="free_cash"):
        holdings(free_cash=-1)
    with pytest.raises(ValueError, match="unknown flow kind"):
        Flow("minted", 0)


# ------------------------------------------------------------------ LCY-42: the dividend


def test_compute_dividend__supply_times_growth_less_one_net_of_fee_rounded_down(rf):
    start = ts(2008, 10, 15)
    supply = 2_000_000 * WAD
    dividend = compute_dividend(1, supply, start, start + DAY, rf, max_declaration_bps=50)
    daily = rf.daily_rate(start)
    assert dividend.shares == int(supply * daily)  # one October day at 0.08% a month
    assert dividend.hold is None and dividend.max_shares == supply * 50 // 10_000
    with_fee = compute_dividend(
        1, supply, start, start + DAY, rf, fee_bps=1_500, max_declaration_bps=50
    )
    assert with_fee.shares == int(supply * daily * Decimal("0.85"))
    # The annualised net yield is about 12 x 0.08%.
    assert Decimal("0.0090") < dividend.annualised_yield < Decimal("0.0100")


def test_compute_dividend__above_the_tokens_bound_held_not_cut__nothing_earned_held(rf):
    start = ts(2007, 1, 1)
    weeks = compute_dividend(3, 10**24, start, start + 60 * DAY, rf, max_declaration_bps=50)
    assert weeks.shares > weeks.max_shares and "above the token's bound" in weeks.hold
    zero_rate = compute_dividend(
        1, 10**24, ts(2008, 12, 2), ts(2008, 12, 3), rf, max_declaration_bps=50
    )
    assert zero_rate.shares == 0 and zero_rate.hold.startswith("nothing to declare")
    with pytest.raises(ValueError, match="numbered from 1"):
        compute_dividend(0, 1, 0, 1, rf, max_declaration_bps=50)
    with pytest.raises(ValueError, match="before it starts"):
        compute_dividend(1, 1, ts(2008, 1, 2), ts(2008, 1, 1), rf, max_declaration_bps=50)


def test_daily_declarations__windows_end_to_end__compound_to_the_series_growth(rf):
    """Ninety daily declarations, each on the supply the previous ones grew: the supply follows the
    rate series' growth over the whole span, short of it by rounding only (< 1 unit a day)."""
    supply0 = supply = 1_000_000 * WAD
    declarations, last_at, last_end = 0, 0, None
    now = ts(2008, 9, 1, hour=1)
    first_start = None
    for _ in range(90):
        start = window_start(declarations, last_at, last_end, now)
        first_start = first_start or start
        assert is_due(start, last_at, 12 * 3_600, now)
        dividend = compute_dividend(
            declarations + 1, supply, start, now, rf, max_declaration_bps=50
        )
        assert dividend.hold is None and dividend.start == (last_end or now - DAY)
        supply += dividend.shares
        declarations, last_at, last_end = declarations + 1, now + 12, now
        # The same day is not due again; the next one is.
        assert not is_due(last_end, last_at, 12 * 3_600, now + 3_600)
        now += DAY
    exact = supply0 * rf.growth(first_start, last_end)
    assert exact - 90 <= supply <= exact


def test_is_due__min_interval_and_first_window():
    noon = ts(2008, 10, 15, hour=12)
    assert window_start(0, 0, None, noon) == noon - DAY
    assert window_start(4, noon - 5, None, noon) == noon - 5  # no row: the token's time
    assert is_due(noon - DAY, 0, 12 * 3_600, noon)
    assert not is_due(noon - 3_600, 0, 0, noon)  # same UTC day
    assert not is_due(ts(2008, 10, 14, 23), ts(2008, 10, 14, 23), 12 * 3_600, ts(2008, 10, 15, 1))
