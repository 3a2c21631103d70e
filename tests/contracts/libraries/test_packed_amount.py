"""FND-11: PackedAmount never changes a limit; PackedTotal never understates a running total."""

import ape
from hypothesis import given, settings
from hypothesis import strategies as st

amounts = st.one_of(
    st.integers(min_value=0, max_value=2**96 - 1),
    st.builds(lambda m, e: m * 10**e, st.integers(0, 2**32 - 1), st.integers(0, 40)),
)
totals = st.one_of(
    st.integers(min_value=0, max_value=2**100),
    st.builds(lambda m, e: m * 10**e, st.integers(0, 10**6), st.integers(0, 30)),
)


@settings(max_examples=60, deadline=None)
@given(amount=totals)
def test_total_encode_up__any_total__decodes_to_at_least_it_exactly_when_five_digits(
    harness, amount
):
    packed = harness.totalEncodeUp(amount)
    assert packed < 2**23
    decoded = harness.totalDecode(packed)
    assert amount <= decoded
    assert (decoded - amount) * 26_000 <= amount
    if len(str(amount).rstrip("0")) <= 5:
        assert decoded == amount  # round amounts are kept exactly


def test_total_encode_up__beyond_the_format__saturates_above_every_limit(harness):
    huge = 10**37
    packed = harness.totalEncodeUp(huge)
    assert packed == 2**23 - 1
    assert harness.totalDecode(packed) > 2**88  # above any limit setLimits accepts (uint88)


@settings(max_examples=60, deadline=None)
@given(amount=amounts)
def test_encode_exact__any_amount__round_trips_or_reverts_with_the_amount(harness, amount):
    digits = str(amount).rstrip("0") or "0"
    representable = int(digits) < 2**32
    if representable:
        assert harness.packedDecode(harness.packedEncodeExact(amount)) == amount
    else:
        with ape.reverts(harness.AmountNotRepresentable, amount=amount):
            harness.packedEncodeExact(amount)
