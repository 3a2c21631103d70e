"""LCY-43 and LCY-44: the coupon scheduler over a registered instrument's terms (QuantLib dates,
record dates, amounts and accrued interest as the chain rounds them) and the terms file checked
before anything is sent (keepers/lifecycle/{coupons,terms_file}.py)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.lifecycle import (
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    InstrumentTerms,
    accrued_interest_units,
    all_coupons,
    coming_coupons,
    coupon_amount,
    coupon_amount_units,
    day_count,
    due_coupons,
    floating_coupon,
    floating_coupon_per_unit,
    floating_rate,
    next_coupon,
    to_timestamp,
    with_fixings,
)
from keepers.lifecycle.coupons import accrued_per_unit
from keepers.lifecycle.terms_file import TermsError, load_terms

D = dt.date
WAD = 10**18
USDC = "0x" + "a0" * 20
SHARE = "0x" + "b1" * 20


def note(**overrides):
    """A two-year 4.25% semi-annual 30/360 note issued 2026-01-15, record date one day before."""
    values = dict(
        kind=InstrumentKind.FIXED_COUPON_NOTE,
        isin="US912810TM09",
        cusip="912810TM0",
        share_token=SHARE,
        settlement_assets=[USDC],
        face_value=100 * WAD,
        coupon=CouponTerms(
            fixed_rate_bps=425,
            frequency=2,
            day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
            roll=BusinessDayConvention.MODIFIED_FOLLOWING,
            record_date_offset_days=1,
        ),
        issue_date=to_timestamp(D(2026, 1, 15)),
        maturity_date=to_timestamp(D(2028, 1, 15)),
        call=CallTerms(),
    )
    values.update(overrides)
    return InstrumentTerms(**values)


def quantlib_dates(issue, maturity, months, convention):
    schedule = ql.Schedule(
        ql.Date(issue.day, issue.month, issue.year),
        ql.Date(maturity.day, maturity.month, maturity.year),
        ql.Period(months, ql.Months),
        ql.WeekendsOnly(),
        convention,
        convention,
        ql.DateGeneration.Backward,
        False,
    )
    return [D(d.year(), d.month(), d.dayOfMonth()) for d in schedule]


# ------------------------------------------------------------------ LCY-43: the coupon scheduler


def test_all_coupons__note__quantlib_dates_record_dates_and_chain_rounded_amounts():
    coupons = all_coupons(note())
    dates = quantlib_dates(D(2026, 1, 15), D(2028, 1, 15), 6, ql.ModifiedFollowing)
    assert [c.accrual_start for c in coupons] == dates[:-1]
    assert [c.payment_date for c in coupons] == dates[1:]
    assert [c.number for c in coupons] == [1, 2, 3, 4]
    # 2027-01-15 is a Friday, 2026-07-15 a Wednesday: 30/360 gives 180 days, 2.125 per 100.
    assert coupons[0].payment_date == D(2026, 7, 15)
    assert all(c.record_date == c.payment_date - dt.timedelta(days=1) for c in coupons)
    for c in coupons:
        assert c.amount_per_unit == coupon_amount_units(
            100 * WAD,
            425 * WAD // 10_000,
            DayCountConvention.THIRTY_360_BOND_BASIS,
            c.accrual_start,
            c.payment_date,
        )
    assert coupons[0].amount_per_unit == 2_125 * 10**15  # 100 x 4.25% / 2 exactly
    assert coupons[0].amount_per_unit <= coupons[0].amount * WAD


def test_all_coupons__weekend_payment__rolled_by_the_terms_convention():
    # 2026-08-15 is a Saturday: modified following pays Monday the 17th, preceding Friday the 14th.
    terms = note(
        issue_date=to_timestamp(D(2026, 2, 15)), maturity_date=to_timestamp(D(2027, 2, 15))
    )
    assert all_coupons(terms)[0].payment_date == D(2026, 8, 17)
    preceding = note(
        issue_date=terms.issue_date,
        maturity_date=terms.maturity_date,
        coupon=CouponTerms(
            425, 0, 0, 2, DayCountConvention.ACTUAL_360, BusinessDayConvention.PRECEDING, 3
        ),
    )
    first = all_coupons(preceding)[0]
    assert first.payment_date == D(2026, 8, 14) and first.record_date == D(2026, 8, 11)


def test_accrued_per_unit__zero_at_the_start_the_chains_rounding_inside_zero_after_maturity():
    terms = note()
    assert accrued_per_unit(terms, D(2026, 1, 15)) == 0
    inside = accrued_per_unit(terms, D(2026, 4, 15))
    assert inside == accrued_interest_units(
        100 * WAD,
        425 * WAD // 10_000,
        DayCountConvention.THIRTY_360_BOND_BASIS,
        D(2026, 1, 15),
        D(2026, 7, 15),
        D(2026, 4, 15),
    )
    assert inside == 2_125 * 10**15 // 2  # 90 of 180 days
    # Maturity, 2028-01-15, is a Saturday: the last coupon is paid (and accrues to) Monday the 17th.
    assert accrued_per_unit(terms, D(2028, 1, 15)) > accrued_per_unit(terms, D(2028, 1, 14))
    assert all_coupons(terms)[-1].payment_date == D(2028, 1, 17)
    assert accrued_per_unit(terms, D(2028, 1, 17)) == 0
    floating = note(
        kind=InstrumentKind.FLOATING_RATE_NOTE,
        coupon=CouponTerms(
            0, 1, 25, 4, DayCountConvention.ACTUAL_360, BusinessDayConvention.FOLLOWING, 0
        ),
    )
    assert accrued_per_unit(floating, D(2026, 4, 15)) is None
    assert all(c.amount_per_unit is None for c in all_coupons(floating))


def test_next_due_and_coming__by_record_date_and_payment_date():
    terms = note()
    assert next_coupon(terms, D(2026, 7, 14)).number == 1  # its record date: not fixed yet
    assert next_coupon(terms, D(2026, 7, 15)).number == 2
    assert [c.number for c in due_coupons(terms, D(2026, 7, 14))] == [1]
    assert due_coupons(terms, D(2026, 7, 13)) == []
    assert [c.number for c in coming_coupons(terms, D(2026, 7, 15), 2)] == [1, 2]
    assert next_coupon(terms, D(2028, 1, 16)).number == 4  # record date of the rolled last one
    assert next_coupon(terms, D(2028, 1, 17)) is None


def test_money_market_fund__no_coupons():
    fund = note(kind=InstrumentKind.MONEY_MARKET_FUND, coupon=CouponTerms(), maturity_date=0)
    assert all_coupons(fund) == [] and accrued_per_unit(fund, D(2026, 4, 1)) == 0
    assert next_coupon(fund, D(2026, 4, 1)) is None


# ------------------------------------------------------------------ LCY-44: the terms file

GOOD = {
    "kind": "fixed_coupon_note",
    "isin": "US912810TM09",
    "cusip": "912810TM0",
    "share_token": "SecurityToken.QTN28",
    "settlement_assets": ["LocalStablecoin.USDC"],
    "face_value": "100",
    "issue_date": "2026-01-15",
    "maturity_date": "2028-01-15",
    "coupon": {
        "fixed_rate_bps": 425,
        "frequency": 2,
        "day_count": "30/360",
        "roll": "modified_following",
        "record_date_offset_days": 1,
    },
}
NAMES = {"SecurityToken.QTN28": SHARE, "LocalStablecoin.USDC": USDC}


def write(tmp_path, data, name="terms.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_load_terms__json_and_yaml__the_terms_the_scheduler_uses(tmp_path):
    terms = load_terms(write(tmp_path, GOOD), NAMES.__getitem__)
    assert terms == note()
    yaml_text = "\n".join(
        [
            "kind: fixed_coupon_note",
            "isin: US912810TM09",
            "cusip: 912810TM0",
            "share_token: SecurityToken.QTN28",
            "settlement_assets: [LocalStablecoin.USDC]",
            'face_value: "100"',
            "issue_date: 2026-01-15",
            "maturity_date: 2028-01-15",
            "coupon: {fixed_rate_bps: 425, frequency: 2, day_count: 30/360,"
            " roll: modified_following, record_date_offset_days: 1}",
        ]
    )
    path = tmp_path / "terms.yaml"
    path.write_text(yaml_text)
    assert load_terms(path, NAMES.__getitem__) == note()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"isin": "US912810TM08"}, "isin: 'US912810TM08' is not a valid ISIN"),
        ({"cusip": "912810TM1"}, "cusip: '912810TM1' is not a valid CUSIP"),
        ({"kind": "equity"}, "kind: 'equity' is not one of"),
        ({"face_value": "1.0000000000000000001"}, "face_value: 1.0000000000000000001 has more"),
        ({"issue_date": "15/01/2026"}, "issue_date: '15/01/2026' is not a date"),
        ({"colour": "blue"}, "unknown field(s) colour"),
        ({"coupon": {**GOOD["coupon"], "frequency": 3}}, "coupon.frequency: 3 is not 0, 1, 2"),
        ({"coupon": {**GOOD["coupon"], "day_count": "ACT/ACT"}}, "'ACT/ACT' is not one of"),
    ],
)
def test_load_terms__bad_field__one_error_naming_the_file_and_field(tmp_path, change, message):
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(TermsError) as err:
        load_terms(path, NAMES.__getitem__)
    assert message in str(err.value) and str(err.value).count("\n") == 0
    assert str(path) in str(err.value) or "terms" in str(err.value)


def test_load_terms__missing_or_unparsable_file__one_error(tmp_path):
    with pytest.raises(TermsError, match="terms.json"):
        load_terms(tmp_path / "terms.json", NAMES.__getitem__)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(TermsError, match="not valid json"):
        load_terms(bad, NAMES.__getitem__)


# ------------------------------------------------- LCY-87, LCY-88: floating coupons at a fixing


def frn(convention):
    """A two-year quarterly floating-rate note on SOFR + 25 bps, record date one day before."""
    return note(
        kind=InstrumentKind.FLOATING_RATE_NOTE,
        coupon=CouponTerms(0, 1, 25, 4, convention, BusinessDayConvention.MODIFIED_FOLLOWING, 1),
    )


def test_floating_rate__index_floored_at_zero__then_the_rate():
    assert floating_rate(Decimal("0.0530"), 15) == Decimal("0.0545")
    assert floating_rate(Decimal("-0.004"), 15) == Decimal("0.0015")  # the index counts as 0
    assert floating_rate(Decimal("0.001"), -50) == 0  # a rate below 0 pays 0
    assert floating_rate(Decimal("-0.004"), -50) == 0
    with pytest.raises(TypeError):
        floating_rate(0.05, 15)
    with pytest.raises(ValueError, match="no floating coupon"):
        floating_coupon_per_unit(note(), 1, Decimal("0.05"))
    with pytest.raises(ValueError, match="coupon 9 is not one of 1..8"):
        floating_coupon_per_unit(frn(DayCountConvention.ACTUAL_360), 9, Decimal("0.05"))


@pytest.mark.parametrize("convention", list(DayCountConvention))
@pytest.mark.parametrize("index", ["0.0530", "0.00001234", "-0.004", "0.1234"])
def test_floating_coupon__quantlib_ibor_coupon__equals_chain_rounding(convention, index):
    """Every period of the note: QuantLib's IborCoupon fixed in arrears at the record date pays
    what the chain's rounding of the same rate pays, within a double's precision."""
    terms, fixing = frn(convention), Decimal(index)
    rate = floating_rate(fixing, terms.coupon.spread_bps)
    for coupon in all_coupons(terms):
        start, end = coupon.accrual_start, coupon.payment_date
        quantlib = floating_coupon(Decimal(100), fixing, 25, convention, start, end, 1)
        assert quantlib.fixing_date == coupon.record_date
        assert quantlib.accrual_days == day_count(convention, start, end)
        assert Decimal(repr(quantlib.rate)) == pytest.approx(rate, abs=Decimal("1e-15"))
        units = floating_coupon_per_unit(terms, coupon.number, fixing)
        assert units == int(coupon_amount(100 * WAD, rate, convention, start, end))
        assert abs(Decimal(units) / WAD - Decimal(quantlib.amount)) <= Decimal("1e-13")


def test_with_fixings__fixed_floating_coupons_get_rate_and_amount__others_unchanged():
    """`quantera instrument schedule`: the rate the chain fixed for past floating coupons,
    "floating" (None) for the coming ones; a fixed note's coupons keep their fixed rate."""
    terms = frn(DayCountConvention.ACTUAL_360)
    rate = 555 * 10**14  # SOFR 5.30% + 25 bps
    listed = with_fixings(terms, all_coupons(terms), {1: rate, 2: 0})
    assert [c.rate_wad for c in listed[:3]] == [rate, 0, None]
    assert listed[0].amount_per_unit == floating_coupon_per_unit(terms, 1, Decimal("0.0530"))
    assert listed[0].amount_per_unit == int(listed[0].amount)  # the exact amount rounded down
    assert listed[1].amount_per_unit == 0 and listed[2].amount_per_unit is None
    assert listed[0].as_json()["rate"] == "0.0555" and listed[2].as_json()["rate"] is None
    fixed = note()
    assert with_fixings(fixed, all_coupons(fixed), {1: rate}) == all_coupons(fixed)
    assert all_coupons(fixed)[0].rate_wad == 425 * 10**14


@settings(max_examples=100, deadline=None)
@given(
    issue_day=st.integers(0, 3_000),
    years=st.integers(1, 3),
    frequency=st.sampled_from([1, 2, 4, 12]),
    convention=st.sampled_from(list(DayCountConvention)),
    roll=st.sampled_from(list(BusinessDayConvention)),
    offset=st.integers(0, 14),
    index_millionths=st.integers(-20_000, 200_000),
    spread_bps=st.integers(-500, 500),
)
def test_floating_coupon__any_schedule_and_fixing__quantlib_and_chain_rounding_agree(
    issue_day, years, frequency, convention, roll, offset, index_millionths, spread_bps
):
    """LCY-88 over random terms: QuantLib's in-arrears fixing date is the record date, its
    accrual days the chain's day count, its amount the chain's rounded coupon within 1e-13."""
    issue = D(2026, 1, 1) + dt.timedelta(days=issue_day)
    maturity = D(issue.year + years, issue.month, min(issue.day, 28))
    offset = min(offset, 27) if frequency == 12 else offset
    terms = note(
        kind=InstrumentKind.FLOATING_RATE_NOTE,
        coupon=CouponTerms(0, 1, spread_bps, frequency, convention, roll, offset),
        issue_date=to_timestamp(issue),
        maturity_date=to_timestamp(maturity),
    )
    index = Decimal(index_millionths) / 1_000_000
    for coupon in all_coupons(terms):
        start, end = coupon.accrual_start, coupon.payment_date
        quantlib = floating_coupon(Decimal(100), index, spread_bps, convention, start, end, offset)
        assert quantlib.fixing_date == coupon.record_date
        assert quantlib.accrual_days == day_count(convention, start, end)
        units = floating_coupon_per_unit(terms, coupon.number, index)
        assert abs(Decimal(units) / WAD - Decimal(quantlib.amount)) <= Decimal("1e-13")
