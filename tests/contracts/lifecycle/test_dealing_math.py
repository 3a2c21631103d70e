"""LCY-21 at the library level: the FundVault's packed words round-trip, and DealingMath
computes what its Python replica (tests/contracts/fund_model.py) computes, never more than the
exact pro-rata entitlement in fractions, across eras and rescales."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from fund_model import FLOOR, ONE, Queue, Replica, fulfil, progress
from words import ACCRUAL, DEALING, FUND_CLAIM, LATE, POSITION, STRIKE, WORD_MAX

U24, U31, U32, U40 = 2**24 - 1, 2**31 - 1, 2**32 - 1, 2**40 - 1
U96, U128, U224 = 2**96 - 1, 2**128 - 1, 2**224 - 1
NAV = 10**18


@settings(max_examples=40, deadline=None)
@given(st.integers(0, U96), st.integers(0, U32), st.integers(0, U96), st.integers(0, U32))
def test_position_word__any_fields__round_trip_in_their_bits(fund_math, da, dp, rs, rp):
    word, fields = fund_math.position(da, dp, rs, rp)
    assert list(fields) == [da, dp, rs, rp]
    assert word == POSITION.encode(
        {"depositAssets": da, "depositPeriod": dp, "redeemShares": rs, "redeemPeriod": rp}
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, U128), st.integers(0, U128))
def test_claim_word__any_amounts__round_trip(fund_math, assets, shares):
    word, fields = fund_math.claim(assets, shares)
    assert list(fields) == [assets, shares]
    assert word == FUND_CLAIM.encode({"assets": assets, "shares": shares})


@settings(max_examples=30, deadline=None)
@given(st.integers(0, U24), st.integers(0, U40), st.integers(0, U96), st.integers(0, U96))
def test_dealing_word__any_fields__round_trip(fund_math, period, cutoff, deposits, redemptions):
    """period 0..23 | cutoff 24..63: cut-offs past 2106 (SEC-37)."""
    word, fields = fund_math.dealing(period, cutoff, deposits, redemptions)
    assert list(fields) == [period, cutoff, deposits, redemptions]
    assert word == DEALING.encode(
        {"period": period, "cutoff": cutoff, "deposits": deposits, "redemptions": redemptions}
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, U96), st.integers(0, U96), st.integers(0, 2**16 - 1), st.integers(0, U32))
def test_late_word__any_fields__round_trip_and_setters_touch_only_their_field(
    fund_math, deposits, redemptions, gate, interval
):
    word, fields = fund_math.late(deposits, redemptions, gate, interval)
    assert list(fields) == [deposits, redemptions, gate, interval]
    # built from all ones: the spare high bits are left as they were
    assert word & ~LATE.used_mask == WORD_MAX & ~LATE.used_mask
    assert word == LATE.encode(
        {"deposits": deposits, "redemptions": redemptions, "gateBps": gate, "interval": interval},
        base=WORD_MAX,
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, U128),
    st.integers(0, U96),
    st.integers(0, U31),
    st.booleans(),
    st.integers(0, U224),
    st.integers(0, U32),
)
def test_strike_words__any_fields__round_trip(fund_math, c, nav, era, refused, a, scale):
    """c 0..127 | nav 128..223 | era 224..254 | depositsRefused 255 (SEC-35)."""
    strike_word, accrual_word, fields = fund_math.strikeWords(c, nav, era, refused, a, scale)
    assert list(fields) == [c, nav, era, int(refused), a, scale]
    assert strike_word == STRIKE.encode(
        {"c": c, "nav": nav, "era": era, "depositsRefused": int(refused)}
    )
    assert accrual_word == ACCRUAL.encode({"a": a, "scale": scale})


queues = st.builds(
    lambda c, a_frac, era, scale: (c, a_frac, era, scale),
    st.integers(FLOOR, ONE),
    st.integers(0, 2**60),
    st.integers(0, 5),
    st.integers(0, 5),
)


@settings(max_examples=80, deadline=None)
@given(
    queue=queues,
    pending=st.integers(1, U96),
    served_bps=st.integers(0, 10_000),
    nav=st.integers(1, 2**96 - 1),
    tiny_rest=st.booleans(),
)
def test_fulfil__any_strike__matches_the_replica_and_keeps_c_in_range(
    fund_math, queue, pending, served_bps, nav, tiny_rest
):
    c, a, era, scale = queue
    fulfilled = pending - 1 if tiny_rest else pending * served_bps // 10_000
    next_queue, closed, closed_a = fund_math.fulfil([c, a, era, scale], pending, fulfilled, nav)
    expected, expected_closed, expected_a = fulfil(Queue(c, a, era, scale), pending, fulfilled, nav)
    assert tuple(next_queue) == expected.as_tuple()
    assert (closed, closed_a) == (expected_closed, expected_a)
    assert FLOOR <= next_queue[0] <= ONE


def _strikes(draw_ratios):
    """A replica queue struck with (numerator, denominator) ratios at NAV 1."""
    replica, pending = Replica(), 10**24
    exact_fraction = Fraction(1)  # of a request entered before the first strike
    earned = Fraction(0)
    for served, rest_exp in draw_ratios:
        fulfilled = pending - max(1, pending // 10**rest_exp) if served else pending // 3
        replica.strike(pending, fulfilled, NAV)
        ratio = Fraction(fulfilled, pending)
        earned += exact_fraction * ratio * NAV
        exact_fraction *= 1 - ratio
        pending -= fulfilled
        if pending == 0:
            break
    return replica, exact_fraction, earned


@settings(max_examples=40, deadline=None)
@given(
    ratios=st.lists(st.tuples(st.booleans(), st.integers(1, 12)), min_size=1, max_size=12),
    shares=st.integers(1, 10**24),
)
def test_progress__across_scales__matches_replica_and_never_exceeds_the_exact_share(
    fund_math, ratios, shares
):
    replica, exact_fraction, earned = _strikes(ratios)
    entry, current = replica.queues[0], replica.queues[-1]
    closed_at = replica.closed.get((entry.era, entry.scale), 0)
    closed_after = replica.closed.get((entry.era, entry.scale + 1), 0)
    remaining, nav_shares = fund_math.progress(
        shares, entry.as_tuple(), current.as_tuple(), closed_at, closed_after
    )
    assert (remaining, nav_shares) == progress(shares, entry, current, closed_at, closed_after)
    # never more than the exact pro-rata result, and close to it
    assert remaining <= shares * exact_fraction
    assert nav_shares <= shares * earned
    assert shares * exact_fraction - remaining < 1 + shares * Fraction(len(ratios) + 1, 2**60)
    assert shares * earned - nav_shares <= (len(ratios) + 2) * (1 + shares * NAV // 2**62)
