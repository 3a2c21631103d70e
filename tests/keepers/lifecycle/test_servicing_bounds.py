"""SEC-31: a note's BondServicer indexes fit their fields over the whole life of every instrument
the registry accepts. The bounds are the registry's (face value, fixed rate, floating spread and
the servicer's cap on a floating rate, term, latest maturity, call price) and the settlement
assets' (18 decimals at most); `coupons.servicing_bounds` computes the servicer's coupon index
after every coupon and its redemption price per whole share as the chain rounds them, and the
servicer multiplies each by a balance below the share token's supply cap (2^96)."""

import datetime as dt

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from keepers.lifecycle import (
    COUPON_INDEX_BITS,
    LAST_MATURITY,
    MAX_ASSET_DECIMALS,
    MAX_CALL_PRICE_BPS,
    MAX_COUPON_BPS,
    MAX_FACE_VALUE,
    MAX_SPREAD_BPS,
    MAX_TERM_DAYS,
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    InstrumentTerms,
    servicing_bounds,
)
from keepers.lifecycle.schedule import coupon_schedule, from_timestamp

DAY = 86_400
MAX_SUPPLY = 2**96 - 1  # SecurityToken.MAX_SUPPLY: every balance is below it
ZERO = "0x" + "00" * 20


def note(kind, frequency, day_count, roll, issue, maturity, face, rate_bps, spread_bps, call_bps):
    callable_ = call_bps != 0 and maturity - issue > 2 * DAY
    return InstrumentTerms(
        kind=kind,
        isin="US0378331005",
        share_token=ZERO,
        settlement_assets=[ZERO],
        issue_date=issue,
        maturity_date=maturity,
        face_value=face,
        coupon=CouponTerms(
            fixed_rate_bps=rate_bps if kind is InstrumentKind.FIXED_COUPON_NOTE else 0,
            floating_index=1 if kind is InstrumentKind.FLOATING_RATE_NOTE else 0,
            spread_bps=spread_bps if kind is InstrumentKind.FLOATING_RATE_NOTE else 0,
            frequency=frequency,
            day_count=day_count,
            roll=roll,
        ),
        call=CallTerms(callable_, issue + DAY if callable_ else 0, call_bps if callable_ else 0),
    )


def has_a_period(issue, maturity, frequency, roll) -> bool:
    try:
        return (
            len(coupon_schedule(from_timestamp(issue), from_timestamp(maturity), frequency, roll))
            > 1
        )
    except ValueError:
        return False


def assert_fits(terms, decimals):
    bounds = servicing_bounds(terms, decimals)
    assert bounds.coupon_index < 2**COUPON_INDEX_BITS
    # the servicer's products: balance x (index difference), balance x redemption index
    assert MAX_SUPPLY * bounds.coupon_index < 2**256
    assert MAX_SUPPLY * bounds.redemption_price < 2**256
    return bounds


def test_sec_31__the_largest_accepted_note__fits_with_room():
    """The corner of the term space: face 1e9 a share, 100 years, ACT/360 (the largest year
    fraction), a floating note at the servicer's 150% cap, callable at twice par, paid in an
    18-decimal asset. The red team's ten-year 5% note of face 1,000 needs 129 bits (the old
    field's 128 overflowed at its 14th coupon); this corner needs 157 of the 192."""
    issue = LAST_MATURITY - MAX_TERM_DAYS * DAY
    for kind, frequency in (
        (InstrumentKind.FLOATING_RATE_NOTE, 1),
        (InstrumentKind.FLOATING_RATE_NOTE, 12),
        (InstrumentKind.FIXED_COUPON_NOTE, 12),
    ):
        terms = note(
            kind,
            frequency,
            DayCountConvention.ACTUAL_360,
            BusinessDayConvention.FOLLOWING,
            issue,
            LAST_MATURITY,
            MAX_FACE_VALUE,
            MAX_COUPON_BPS,
            MAX_SPREAD_BPS,
            MAX_CALL_PRICE_BPS,
        )
        bounds = assert_fits(terms, MAX_ASSET_DECIMALS)
        assert bounds.coupon_index.bit_length() <= 157
    today = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    red_team = note(
        InstrumentKind.FIXED_COUPON_NOTE,
        2,
        DayCountConvention.THIRTY_360_BOND_BASIS,
        BusinessDayConvention.UNADJUSTED,
        today,
        today + 3_652 * DAY,
        1_000 * 10**18,
        500,
        0,
        0,
    )
    assert servicing_bounds(red_team, 18).coupon_index.bit_length() == 129


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from((InstrumentKind.FIXED_COUPON_NOTE, InstrumentKind.FLOATING_RATE_NOTE)),
    frequency=st.sampled_from((1, 2, 4, 12)),
    day_count=st.sampled_from(list(DayCountConvention)),
    roll=st.sampled_from(list(BusinessDayConvention)),
    issue_day=st.integers(0, LAST_MATURITY // DAY - 1),
    term_days=st.one_of(st.just(MAX_TERM_DAYS), st.integers(1, MAX_TERM_DAYS)),
    face=st.one_of(st.just(MAX_FACE_VALUE), st.integers(1, MAX_FACE_VALUE)),
    rate_bps=st.one_of(st.just(MAX_COUPON_BPS), st.integers(1, MAX_COUPON_BPS)),
    spread_bps=st.integers(-MAX_SPREAD_BPS, MAX_SPREAD_BPS),
    call_bps=st.one_of(st.just(0), st.integers(10_000, MAX_CALL_PRICE_BPS)),
    decimals=st.one_of(st.just(MAX_ASSET_DECIMALS), st.integers(0, MAX_ASSET_DECIMALS)),
)
def test_sec_31__any_accepted_terms__indexes_fit_their_fields_for_the_whole_life(
    kind,
    frequency,
    day_count,
    roll,
    issue_day,
    term_days,
    face,
    rate_bps,
    spread_bps,
    call_bps,
    decimals,
):
    maturity = min(issue_day * DAY + term_days * DAY, LAST_MATURITY)
    issue = min(issue_day * DAY, maturity - DAY)
    terms = note(
        kind, frequency, day_count, roll, issue, maturity, face, rate_bps, spread_bps, call_bps
    )
    # Issue and maturity rolled to one day: no coupon period, refused at registration (SEC-39).
    assume(has_a_period(issue, maturity, frequency, roll))
    assert_fits(terms, decimals)
