"""The prime broker against an outside red team's fifth read (atk-prime5) of assigned debt
(SEC-190..196): an account written off beside a claim stayed `liquidatable` while every
liquidation reverted (F3, SEC-197); a note feed out of its bounds valued a claim on an unfunded
redemption at full face (F2, SEC-198); one wei beside assigned debt with no claim left kept it
for good and froze `setPool` (F4, SEC-199). On the deployed stack and the `matured` book of
test_prime_broker_red_team_3.py (600 notes, 39,000 USDC borrowed, the redemption started before
it was funded); the same prices, haircuts and tier."""

from __future__ import annotations

from bond_fixtures import USD_UNIT
from broker_fixtures import BORROW, CLIENT_ID, REPAY, UNIT, WITHDRAW, ZERO, act, another_pool
from fast_reverts import attempt
from keepers.risk.deploy import FEED_HEARTBEAT, MAX_ANSWER
from test_prime_broker_red_team_3 import liquidate, post
from test_prime_broker_red_team_4 import seize_the_cash, take

OUT_OF_BOUNDS = 8  # IOracleRouter PriceStatus.OutOfBounds


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
    other = another_pool(p, usdc, "LendingPool.USDC5")
    p.governed(("swap", lambda: p.broker.setPool(usdc, other, sender=p.deployment.sender)))
    assert p.margin.poolOf(usdc) == other.address


def test_sec_231__borrower_deposits_then_repays_its_assigned_debt__captures_nothing(
    p, bond, matured, chain
):
    """F1: the debt written off beside a claim (33,750 USDC) was realised at once (totalAssets
    fell by it) and its recovery raised totalAssets at once, so whoever held pool shares when the
    recovery landed shared in it. The account's owner deposited 2,000,000 USDC, repaid its own
    assigned debt and redeemed: it got ~50% of its repayment back, at the lender's expense. The
    pool now carries the claim's haircut value at face (SEC-234, round 6 F1), without interest,
    and a recovery pays that first, one for one: no step at the write-off for it, none at its
    recovery. The part realised at the write-off (beyond the claim's haircut value) comes back
    locked, unlocking over seven days (round 8 #3): a depositor in and out shares only in the
    seconds it stayed."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    assert owed > 33_000 * UNIT["USDC"] and 20_000 * UNIT["USDC"] < carried < owed
    s = pool.state()
    assert s.assignedDebt == carried and s.badDebtRealised == owed - carried

    stake = 2_000_000 * UNIT["USDC"]
    p.fund(p.client, "USDC", stake + owed)
    start = usdc.balanceOf(p.client)
    lender_mid = pool.convertToAssets(pool.balanceOf(p.lender))
    usdc.approve(pool, stake, sender=p.client)
    pool.deposit(stake, p.client, sender=p.client)
    share = pool.balanceOf(p.client) / pool.totalSupply()
    usdc.approve(p.broker, owed, sender=p.client)
    repaid = p.broker.execute(CLIENT_ID, [act(REPAY, usdc, owed, p.client)], sender=p.client)
    assert pool.state().lockedRestoration > 0
    redeemed = pool.redeem(pool.balanceOf(p.client), p.client, p.client, sender=p.client)

    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0 and pool.state().assignedDebt == 0
    cost = start - usdc.balanceOf(p.client)
    # Of the carry it takes back nothing; of the realised part, restored, its pool share of what
    # unlocked in the seconds it stayed (round 8 #3: locked, unlocking over RESTORATION_UNLOCK).
    captured = owed - cost
    stayed = redeemed.timestamp - repaid.timestamp + 1
    bound = (owed - carried) * share * stayed / pool.RESTORATION_UNLOCK() + 2
    # (Below 0 by the rounding of its entry and exit, both in the pool's favour.)
    assert -2 <= captured <= bound, (captured, owed - carried, share, stayed)
    assert pool.convertToAssets(pool.balanceOf(p.lender)) >= lender_mid


def test_sec_234__carry_at_the_claims_haircut_value__re_marked_down__never_up(
    p, bond, matured, chain
):
    """Round 6 F1 (High): the whole debt was carried at face beside any claim, however little it
    was worth, and never marked down while the claim stayed incomplete: lenders who left first
    took the cash at the carried price, the last ones the whole loss. Now the write-off carries at
    most the claim's haircut value (what the margin check counts) and realises the rest at once;
    when the claim's value falls, the account is liquidatable and a liquidation re-marks the carry
    down to it (realised then); a rise never marks it up."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    h = p.margin.health(CLIENT_ID)
    # Only the claim is left: its haircut value is the adjusted collateral (USDC at $1, 6 dp).
    assert h.collateralUsd > 0 and h.adjustedCollateralUsd - 10**18 <= carried * 10**12
    assert carried * 10**12 <= h.adjustedCollateralUsd < owed * 10**12
    assert pool.state().badDebtRealised == owed - carried
    assert not h.liquidatable, h
    # The note falls to 10: the claim covers about a quarter of the carry.
    p.set_price("QTB", 10)
    h = p.margin.health(CLIENT_ID)
    assert h.liquidatable, h
    assert liquidate(p, chain, usdc, 0, note) is None
    remarked = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    h = p.margin.health(CLIENT_ID)
    assert remarked * 10**12 <= h.adjustedCollateralUsd and remarked < carried // 3
    assert pool.state().assignedDebt == remarked
    assert pool.state().badDebtRealised == owed - remarked
    # The claim is the account's still, and so is the debt.
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == owed
    assert not h.liquidatable, h
    refused = liquidate(p, chain, usdc, 0, note)
    assert refused is not None and refused[0] == "ZeroAmount"
    # Back at 40: no mark up (a depositor could time one).
    p.set_price("QTB", 40)
    assert not p.margin.health(CLIENT_ID).liquidatable
    assert liquidate(p, chain, usdc, 0, note) is not None
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) == remarked


def test_sec_236__redemption_funded_not_settled__liquidatable__recovered(p, bond, matured, chain):
    """Round 6 F2: written off beside its claim, the account owed assigned debt; the issuer then
    funded the redemption. `health.liquidatable` stayed false (the top-up was owed to the claim,
    not yet settled into cash), yet a liquidation settles first and would recover from it: the
    keeper, which reads `liquidatable`, waited for the debtor. Now income owed and not settled
    counts as seizable beside assigned debt."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    assert not p.margin.health(CLIENT_ID).liquidatable
    bond.servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    assert p.margin.incomeOwed(CLIENT_ID, note) > owed
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == 0
    assert p.margin.health(CLIENT_ID).liquidatable
    # The liquidation settles it and recovers the whole assigned debt from the cash.
    assert take(p, chain, usdc, owed, lusdc) is None
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0
    assert p.pools["USDC"].state().assignedDebt == 0


def test_sec_237__assigned_debt_owed__no_withdrawal_no_borrow__repay_and_deposit_go_on(
    p, bond, matured, chain
):
    """Round 6 F5: with assigned debt owed, the account's redemption cash was credited and could
    be withdrawn (or borrowed against) while the initial margin held, before the keeper
    recovered it. Now nothing leaves the account while it owes assigned debt; deposits and
    repayments go on."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    bond.servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    cash = p.broker.balanceOf(CLIENT_ID, lusdc)
    assert cash > owed
    for action in (act(WITHDRAW, lusdc, 1, p.client), act(BORROW, usdc, 1, p.client)):
        refused = attempt(chain, p.broker.execute, CLIENT_ID, [action], sender=p.client)
        assert refused is not None and refused[0] == "DebtAssignedOutstanding", refused
    p.fund(p.client, "USDC", owed)
    usdc.approve(p.broker, owed, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(REPAY, usdc, owed, p.client)], sender=p.client)
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0
    # Paid: the cash is the account's to take home.
    p.broker.execute(CLIENT_ID, [act(WITHDRAW, lusdc, cash, p.client)], sender=p.client)
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == 0


def test_sec_234__re_mark_beside_a_balance_without_a_usable_price__not_liquidatable_until_priced(
    p, bond, matured, chain
):
    """Round 7 L1 (round 8 #6): the claims fell below the carry, so the account read liquidatable,
    yet beside one wei of a holding without a usable price every write-off reverts
    (`WriteOffUnpriced`, SEC-162: its value is not known to be dust) and the keeper idled on a
    health that lied. Now `liquidatable` reads the same rule; priced again, the re-mark goes on.
    (A claim's own part without a usable price counts 0, as in the margin: a defaulted note's
    feed goes stale or out of bounds, and keeping the carry for it kept it for good, round 8 #1.)"""
    note, lusdc, usdc, borrowed = matured
    qcorp = p.tokens["QCORP"]
    router = p.deployment.at("OracleRouter")
    seize_the_cash(p, chain, matured)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    post(p, p.client, qcorp, 1)
    feed = p.feeds["QCORP"].address
    bounded = (feed, FEED_HEARTBEAT, ZERO, 0, 0, 10**30, MAX_ANSWER)  # every answer below it
    p.governed(("QCORP bounds", lambda: router.setFeed(qcorp, bounded, sender=p.deployment.sender)))
    assert router.priceOf(qcorp)[0] == OUT_OF_BOUNDS
    p.set_price("QTB", 10)
    assert not p.margin.health(CLIENT_ID).liquidatable
    refused = liquidate(p, chain, usdc, 0, note)
    assert refused is not None and refused[0] == "WriteOffUnpriced"
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) == carried
    unbounded = (feed, FEED_HEARTBEAT, ZERO, 0, 0, 0, MAX_ANSWER)
    p.governed(("QCORP", lambda: router.setFeed(qcorp, unbounded, sender=p.deployment.sender)))
    p.set_price("QCORP", 30)
    assert p.margin.health(CLIENT_ID).liquidatable
    # Named against the wei it holds (as the keeper names it): nothing repaid, re-marked.
    assert liquidate(p, chain, usdc, 0, qcorp) is None
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) < carried // 3
