"""Morpho Blue's liquidation rules as modelled (keepers/prime/morpho_model.py), PRM-42 to PRM-44:
the incentive's values, the vectorised book liquidation's conservation, and the integer model
against the real-number one over seeded random books (the chain side is
tests/contracts/prime/test_morpho_baseline.py)."""

import numpy as np
import pytest

from keepers.prime.morpho_model import (
    ORACLE_PRICE_SCALE,
    WAD,
    MarketState,
    PositionState,
    is_healthy,
    is_healthy_exact,
    liquidate_all,
    liquidate_exact,
    liquidation_incentive_factor,
    liquidation_incentive_factor_wad,
    replay_morpho_path,
)

USD, ETH = 10**6, 10**18


def test_incentive__by_lltv__capped_at_1_15_and_falling_to_1():
    lltv = np.array([0.385, 0.5, 0.625, 0.77, 0.86, 0.915, 0.945, 0.965, 0.98])
    lif = liquidation_incentive_factor(lltv)
    assert lif[:2].tolist() == [1.15, 1.15]  # 1 / (1 - 0.3 x 0.5) = 1.176: capped
    assert lif[4] == pytest.approx(1 / 0.958)  # 86 %: 4.38 %
    assert np.all(np.diff(lif[1:]) < 0) and np.all(lif > 1)
    exact = [liquidation_incentive_factor_wad(int(v * 1000) * WAD // 1000) / WAD for v in lltv]
    assert np.allclose(exact, lif, rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match="LLTV"):
        liquidation_incentive_factor([0.5, 1.0])


def test_book__liquidating_every_unhealthy_account__debt_repaid_or_bad_and_healthy_untouched():
    rng = np.random.default_rng(19)
    collateral = rng.uniform(1, 100, 1_000)
    borrowed = collateral * 3_000 * rng.uniform(0.3, 0.86, 1_000)
    for price in (3_000.0, 2_500.0, 1_500.0, 500.0):
        book = liquidate_all(collateral, borrowed, price, 0.86)
        healthy = is_healthy(collateral, price, 0.86, borrowed)
        assert np.array_equal(book.liquidated, ~healthy)
        assert np.all(book.seized[healthy] == 0) and np.all(book.repaid[healthy] == 0)
        assert np.allclose(book.repaid + book.bad_debt + book.borrowed_after, borrowed)
        assert np.allclose(book.seized + book.collateral_after, collateral)
        assert np.all(book.seized <= collateral)
        # with the incentive, each seizure is worth LIF x what it repays
        lif = float(liquidation_incentive_factor(0.86))
        assert np.allclose(book.seized * price, book.repaid * lif)
        # bad debt only where the collateral ran out, and none left owed by a liquidated account
        assert np.all(book.collateral_after[book.bad_debt > 0] == 0)
        assert np.allclose(book.borrowed_after[book.liquidated], 0)
    assert liquidate_all(collateral, borrowed, 500.0, 0.86).total_bad_debt > 0
    assert liquidate_all(collateral, borrowed, 3_000.0, 0.86).total_bad_debt == 0


def test_exact__against_the_real_number_model__same_health_seizure_and_bad_debt():
    """A WETH/USDC market (18 and 6 decimals) of 200 seeded positions, each liquidated alone in
    full at a lower price: the integer model agrees with the vectorised one within rounding."""
    rng = np.random.default_rng(7)
    lltv_wad = 86 * WAD // 100
    collateral_eth = rng.uniform(1, 50, 200).round(6)
    debt_usd = (collateral_eth * 3_000 * rng.uniform(0.5, 0.86, 200)).round(6)
    total_borrow = int(round(debt_usd.sum() * USD))
    market = MarketState(10**7 * USD, 10**7 * USD * 10**6, total_borrow, total_borrow * 10**6)
    for price_usd in (2_600, 1_900):
        price = price_usd * 10**24  # 1e36 x 10**(6 - 18)
        book = liquidate_all(collateral_eth, debt_usd, price_usd, 0.86)
        for i in range(200):
            debt_shares = int(round(debt_usd[i] * USD)) * 10**6
            position = PositionState(debt_shares, int(collateral_eth[i] * ETH))
            healthy = is_healthy_exact(market, position, price, lltv_wad)
            assert healthy == (not book.liquidated[i])
            if healthy:
                with pytest.raises(ValueError, match="healthy"):
                    liquidate_exact(market, position, price, lltv_wad, seized_assets=1)
                continue
            # the whole collateral where it does not cover the debt, else the whole debt repaid
            whole = (
                {"seized_assets": position.collateral}
                if book.bad_debt[i] > 0
                else {"repaid_shares": debt_shares}
            )
            out = liquidate_exact(market, position, price, lltv_wad, **whole)
            assert out.seized_assets / ETH == pytest.approx(book.seized[i], abs=1e-9)
            assert out.repaid_assets / USD == pytest.approx(book.repaid[i], abs=1e-5)
            assert out.bad_debt_assets / USD == pytest.approx(book.bad_debt[i], abs=1e-5)
            supply_after = market.total_supply_assets - out.bad_debt_assets
            assert out.market.total_supply_assets == supply_after


def test_exact__inconsistent_input__refused_as_morpho_does():
    market = MarketState(10**12, 10**18, 10**9, 10**15)
    position = PositionState(10**15, ETH)
    price = 100 * 10**24  # far below the debt: unhealthy
    for seized, shares in ((0, 0), (1, 1)):
        with pytest.raises(ValueError, match="exactly one"):
            liquidate_exact(
                market, position, price, 86 * WAD // 100, seized_assets=seized, repaid_shares=shares
            )
    assert ORACLE_PRICE_SCALE == 10**36


def test_replay__a_falling_path__liquidates_once_each_and_conserves_the_book():
    """PRM-44 over a path: an account liquidated in full leaves the book (nothing left to
    liquidate twice); repaid + bad debt + what is still owed is what was owed."""
    collateral = np.array([10.0, 10.0, 10.0, 30.0])
    borrowed = np.array([25_000.0, 20_000.0, 15_000.0, 25_000.0])
    path = [3_000.0, 2_800.0, 2_300.0, 1_800.0, 1_200.0]
    replay = replay_morpho_path(collateral, borrowed, path, 0.86)
    # thresholds 25,000/8.6 = 2,907; 20,000/8.6 = 2,326; 15,000/8.6 = 1,744; 25,000/25.8 = 969
    assert replay.liquidations.tolist() == [0, 1, 1, 0, 1]
    assert replay.borrowed_after.tolist() == [0, 0, 0, 25_000]
    total = replay.repaid.sum() + replay.total_bad_debt + replay.borrowed_after.sum()
    assert total == pytest.approx(borrowed.sum())
    # the first two are liquidated before their collateral falls short; the third's threshold
    # (1,744) is gapped over (1,800 -> 1,200): 10 x 1,200 / LIF repays part, the rest is bad debt
    assert replay.bad_debt.tolist()[:4] == [0, 0, 0, 0]
    assert replay.total_bad_debt == pytest.approx(15_000 - 10 * 1_200 * 0.958, rel=1e-12)
    crash = replay_morpho_path(collateral, borrowed, [3_000.0, 1_200.0], 0.86)
    assert crash.liquidations.tolist() == [0, 3]
    # the three 10-WETH accounts each repay 10 x 1,200 / LIF; the rest of their 60,000 is bad debt
    assert crash.total_bad_debt == pytest.approx(60_000 - 3 * 10 * 1_200 * 0.958, rel=1e-12)
    # one price per account per step (several collateral assets, each its own market)
    two_steps = [[3_000.0] * 4, [2_800.0, 3_000.0, 3_000.0, 3_000.0]]
    per_account = replay_morpho_path(collateral, borrowed, two_steps, 0.86)
    assert per_account.liquidations.tolist() == [0, 1]
