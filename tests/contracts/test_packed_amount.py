"""FND-11: PackedAmount never changes a limit and never understates a running total."""

import ape
from hypothesis import given, settings
from hypothesis import strategies as st

amounts = st.one_of(st.integers(min_value=0, max_value=2**96 - 1),
                    st.builds(lambda m, e: m * 10**e, st.integers(0, 2**32 - 1), st.integers(0, 40)))


@settings(max_examples=60, deadline=None)
@given(amount=amounts)
def test_encode_up__any_amount__decodes_to_at_least_it_and_within_one_part_in_4e8(harness, amount):
    decoded = harness.packedDecode(harness.packedEncodeUp(amount))
    assert amount <= decoded
    assert (decoded - amount) * 400_000_000 <= max(amount, 1)


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
