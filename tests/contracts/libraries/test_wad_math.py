"""FND-1, FND-2: WadMath against exact Python integer arithmetic."""

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

WAD = 10**18
UINT256_MAX = 2**256 - 1
amounts = st.integers(min_value=0, max_value=10**40)
positive = st.integers(min_value=1, max_value=10**40)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@settings(max_examples=40, deadline=None)
@given(x=amounts, y=amounts)
def test_mul_wad__any_inputs__down_and_up_bracket_the_exact_product(harness, x, y):
    down, up = harness.mulWadDown(x, y), harness.mulWadUp(x, y)
    assert down == x * y // WAD
    assert up == ceil_div(x * y, WAD)
    assert 0 <= up - down <= 1


@settings(max_examples=40, deadline=None)
@given(x=amounts, y=positive)
def test_div_wad__any_inputs__down_and_up_bracket_the_exact_quotient(harness, x, y):
    assert harness.divWadDown(x, y) == x * WAD // y
    assert harness.divWadUp(x, y) == ceil_div(x * WAD, y)


def test_div_wad__zero_divisor__reverts(harness):
    with ape.reverts():
        harness.divWadDown(1, 0)


def test_mul_wad__result_above_uint256__reverts(harness):
    with ape.reverts():
        harness.mulWadDown(UINT256_MAX, 2 * WAD)


@settings(max_examples=40, deadline=None)
@given(x=st.integers(min_value=0, max_value=UINT256_MAX // WAD))
def test_sqrt_wad__any_input__is_the_floor_square_root(harness, x):
    root = harness.sqrtWad(x)
    assert root * root <= x * WAD < (root + 1) ** 2


def test_sqrt_wad__input_too_large__reverts_with_bound(harness):
    bound = UINT256_MAX // WAD
    with ape.reverts(harness.SqrtInputTooLarge, x=bound + 1, maxInput=bound):
        harness.sqrtWad(bound + 1)


@settings(max_examples=40, deadline=None)
@given(amount=amounts, bps=st.integers(min_value=0, max_value=10_000))
def test_bps__any_inputs__rounds_in_the_named_direction(harness, amount, bps):
    assert harness.bpsDown(amount, bps) == amount * bps // 10_000
    assert harness.bpsUp(amount, bps) == ceil_div(amount * bps, 10_000)


@settings(max_examples=40, deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**30), decimals=st.integers(min_value=0, max_value=36))
def test_to_wad_then_from_wad__any_decimals__never_creates_value(harness, amount, decimals):
    wad = harness.toWad(amount, decimals)
    assert wad == (amount * 10 ** (18 - decimals) if decimals <= 18 else amount // 10 ** (decimals - 18))
    back_down = harness.fromWad(wad, decimals, False)
    assert back_down <= amount
    if decimals <= 18:
        assert back_down == amount


def test_to_wad__decimals_above_77__reverts_with_bound(harness):
    with ape.reverts(harness.DecimalsTooLarge, decimals=78, maxDecimals=77):
        harness.toWad(1, 78)


@pytest.mark.parametrize(
    "previous,nxt,expected",
    [(0, 0, 0), (0, 1, UINT256_MAX), (100, 110, WAD // 10), (100, 90, WAD // 10), (3, 4, ceil_div(WAD, 3))],
)
def test_relative_change__table__is_conservative(harness, previous, nxt, expected):
    assert harness.relativeChangeWadUp(previous, nxt) == expected
