"""The prime broker against an outside red team's fifth read (atk-prime5) of assigned debt
(SEC-190..196): an account written off beside a claim stayed `liquidatable` while every
liquidation reverted (F3, SEC-197); a note feed out of its bounds valued a claim on an unfunded
redemption at full face (F2, SEC-198); one wei beside assigned debt with no claim left kept it
for good and froze `setPool` (F4, SEC-199). On the deployed stack and the `matured` book of
test_prime_broker_red_team_3.py (600 notes, 39,000 USDC borrowed, the redemption started before
it was funded); the same prices, haircuts and tier."""

from __future__ import annotations

import pytest

from bond_fixtures import USD_UNIT
from broker_fixtures import BORROW, CLIENT_ID, REPAY, UNIT, ZERO, ZERO_RATES, act
from keepers.prime import deploy_lending_pool
from keepers.risk.deploy import FEED_HEARTBEAT, MAX_ANSWER
from test_prime_broker_red_team_3 import liquidate, mature_notes, post
from test_prime_broker_red_team_4 import seize_the_cash, take

OUT_OF_BOUNDS = 8  # IOracleRouter PriceStatus.OutOfBounds


@pytest.fixture
def p(prime_stack):
    return prime_stack


@pytest.fixture
def matured(p, bond, agent):
    return mature_notes(p, bond, agent)


def test_sec_197__written_off_beside_a_claim__nothing_seizable__not_liquidatable(
    p, bond, matured, chain
):
    """F3: the cash seized, the rest of the debt written off and assigned to the claim (ratio
    ~60%): nothing a liquidation could act on is left, so the account is not liquidatable (it took
    a keeper slot every block while every liquidation reverted)."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    assert owed > 33_000 * UNIT["USDC"]
    h = p.margin.health(CLIENT_ID)
    assert h.ratioBps < 7_000, h
    assert not h.liquidatable, h
    for asset in (lusdc, note, usdc):
        refused = liquidate(p, chain, usdc, owed, asset)
        assert refused is not None and refused[0] in ("ZeroAmount", "InsufficientBalance")


def test_sec_198__note_feed_out_of_bounds__unfunded_part_valued_0__liquidatable(
    p, bond, matured, chain
):
    """F2: the redemption is unfunded (shortfall ~59,600). A note price below the feed's bounds
    (the market's doubt) used to read as silence and value the claim at full face (142%, not
    liquidatable). Now the unfunded part counts only at a usable note price, else 0: the account
    is liquidatable and the liquidator takes its cash."""
    note, lusdc, usdc, borrowed = matured
    router = p.deployment.at("OracleRouter")
    qtb_feed = p.feeds["QTB"].address
    assert bond.servicer.redemptionPool().shortfall > 50_000 * USD_UNIT
    bounded = (qtb_feed, FEED_HEARTBEAT, ZERO, 0, 0, 50 * 10**18, MAX_ANSWER)
    p.governed(
        ("note feed bounds", lambda: router.setFeed(note, bounded, sender=p.deployment.sender))
    )
    p.set_price("QTB", 40)
    assert router.priceOf(note)[0] == OUT_OF_BOUNDS
    cash = p.broker.balanceOf(CLIENT_ID, lusdc)
    h = p.margin.health(CLIENT_ID)
    # The account's own marks are at the redemption index: nothing funded is owed to it.
    assert h.collateralUsd == cash * 10**12, h
    assert h.liquidatable and h.ratioBps < 2_000, h
    assert take(p, chain, usdc, borrowed // 2, lusdc) is None


def _assigned_above_the_claim(p, chain, matured):
    """The client posts 4,000 QSPX beside its matured notes and borrows 80,000 USDC more; QSPX
    falls to 1, the note to 40; the liquidator takes the QSPX, then the cash: ~109,750 USDC
    written off and assigned to the claim (which pays ~59,850 at most)."""
    note, lusdc, usdc, borrowed = matured
    qspx = p.tokens["QSPX"]
    post(p, p.client, qspx, 4_000 * UNIT["QSPX"])
    p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 80_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    p.set_price("QSPX", 1)
    p.set_price("QTB", 40)
    pool = p.pools["USDC"]
    assert take(p, chain, usdc, pool.debtOf(CLIENT_ID, 0), qspx) is None
    assert take(p, chain, usdc, pool.debtOf(CLIENT_ID, 0), lusdc) is None
    assert pool.debtOf(CLIENT_ID, 0) == 0
    return p.broker.assignedDebtOf(CLIENT_ID, usdc)


def test_sec_199__one_wei_beside_assigned_debt_without_a_claim__dropped__set_pool_allowed(
    p, bond, matured, chain
):
    """F4: the claim paid in full and its cash recovered, ~49,900 stayed assigned beside one wei of
    QCORP, for good (every liquidation reverted ZeroAmount, setPool refused forever). Now a
    liquidation that leaves dust and no claim drops what is left, and the pool can be changed."""
    note, lusdc, usdc, borrowed = matured
    qcorp = p.tokens["QCORP"]
    assigned = _assigned_above_the_claim(p, chain, matured)
    assert assigned > 100_000 * UNIT["USDC"]
    post(p, p.client, qcorp, 1)
    bond.servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    # The recovery takes all the cash (~59,850); ~49,900 would stay assigned beside the wei, for
    # good. Now what is left is dust and no claim is left: the same liquidation drops the rest.
    assert take(p, chain, usdc, assigned, lusdc) is None
    assert p.broker.balanceOf(CLIENT_ID, qcorp) == 1
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0
    assert not p.margin.health(CLIENT_ID).liquidatable
    d = p.deployment.scoped(
        "QuanteraAccessManager", "IdentityRegistry", "OracleRouter", "LiquidityAggregator"
    )
    other = deploy_lending_pool(d, usdc, p.broker, ZERO_RATES, name="LendingPool.USDC5")
    p.governed(("swap", lambda: p.broker.setPool(usdc, other, sender=p.deployment.sender)))
    assert p.broker.poolOf(usdc) == other.address


def test_sec_231__borrower_deposits_then_repays_its_assigned_debt__captures_nothing(
    p, bond, matured, chain
):
    """F1: the debt written off beside a claim (33,750 USDC) was realised at once (totalAssets
    fell by it) and its recovery raised totalAssets at once, so whoever held pool shares when the
    recovery landed shared in it. The account's owner deposited 2,000,000 USDC, repaid its own
    assigned debt and redeemed: it got ~50% of its repayment back, at the lender's expense. The
    pool now keeps assigned debt in totalAssets, without interest, until it is recovered or
    dropped: no step at the write-off, none at the recovery, nothing to time."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    lender_before = pool.convertToAssets(pool.balanceOf(p.lender))
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    assert owed > 33_000 * UNIT["USDC"]
    s = pool.state()
    assert s.assignedDebt == owed and s.badDebtRealised == 0
    # No step down at the write-off: the lender's claim is what it was (interest aside, the
    # seize took the cash and the rest is assigned at face).
    assert pool.convertToAssets(pool.balanceOf(p.lender)) >= lender_before

    stake = 2_000_000 * UNIT["USDC"]
    p.fund(p.client, "USDC", stake + owed)
    start = usdc.balanceOf(p.client)
    lender_mid = pool.convertToAssets(pool.balanceOf(p.lender))
    usdc.approve(pool, stake, sender=p.client)
    pool.deposit(stake, p.client, sender=p.client)
    usdc.approve(p.broker, owed, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(REPAY, usdc, owed, p.client)], sender=p.client)
    pool.redeem(pool.balanceOf(p.client), p.client, p.client, sender=p.client)

    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0 and pool.state().assignedDebt == 0
    cost = start - usdc.balanceOf(p.client)
    assert cost >= owed, (cost, owed)  # the whole debt, to the unit (rounding is the pool's)
    assert pool.convertToAssets(pool.balanceOf(p.lender)) >= lender_mid
