"""The prime broker against an outside red team's ninth read (round 9) of assigned debt and its
carry (SEC-234..237): below a ratio of 100% the liquidation bonus is 0, so no sale of a seizure
covered its repayment (`InsufficientProceeds`), and the re-mark or drop ran only once less than
one unit of the debt asset was left, so a few units of cash (the claim's own, or one the debtor
deposits) held the carry at face for good while `health` read liquidatable (M1, SEC-238); a
repayment of one unit ahead of a recovery of all the assigned debt made it revert (L1, SEC-239);
the fix's outside read (round 10 F1): the venue of such a sale kept up to the oracle floor's 3%
(now at most 1% short of the repayment);
`setPool` took a pool of another asset (I2, SEC-240). On the deployed stack and the `matured` book
of test_prime_broker_red_team_3.py (600 notes, 39,000 USDC borrowed, the redemption started
before it was funded), its cash seized at a note price of 40: ~33,750 USDC assigned to the claim,
its haircut value carried."""

from __future__ import annotations

import ape

from bond_fixtures import USD_UNIT
from broker_fixtures import CLIENT_ID, DEPOSIT, REPAY, UNIT, act, another_pool
from keepers.core.solidity_enums import member
from test_prime_broker_red_team import ACCOMPLICE_ID, rfq_route, wallet_of
from test_prime_broker_red_team_3 import liquidate
from test_prime_broker_red_team_4 import seize_the_cash, take

# The RFQ maker pays this much less than the oracle value (a venue's fee and spread: inside the
# broker's 3% oracle floor, above a bonus of 0).
MAKER_DISCOUNT_BPS = 30


def _cash_beside_a_fallen_claim(p, bond, matured, chain, funded_usd):
    """The cash seized and the rest assigned to the claim; the issuer then funds `funded_usd` of
    the redemption (credited to the account as LUSDC cash) and the note falls to 10: the claim's
    haircut value no longer covers the carry, the ratio is below 100% (bonus 0). Returns (owed,
    carried, cash)."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    bond.servicer.fundRedemption(funded_usd * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    cash = p.broker.balanceOf(CLIENT_ID, lusdc)
    p.set_price("QTB", 10)
    return owed, carried, cash


def test_sec_238__assigned_debt_sold_at_a_bonus_of_0__recovers_the_proceeds__re_marks_at_once(
    p, bond, matured, chain, accounts
):
    """Round 9 M1, repro A: ~15,000 LUSDC of redemption cash beside ~33,750 USDC assigned, the
    claim fallen below the carry, ratio ~55%. A sale of the cash fetched less than the value
    seized (a maker's 0.3%), and at a bonus of 0 `_sellSeized` refused it (`InsufficientProceeds`):
    with the keeper's default (no take) the debt was never recovered nor the carry re-marked. Now
    the sale recovers what it fetched (within the oracle floor), and the same liquidation, leaving
    nothing seizable, re-marks the carry down to the claim's haircut value."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    owed, carried, cash = _cash_beside_a_fallen_claim(p, bond, matured, chain, 40_000)
    # The account's share of the funding (the note has other holders).
    assert 10_000 * UNIT["USDC"] < cash < 20_000 * UNIT["USDC"]
    h = p.margin.health(CLIENT_ID)
    assert h.liquidatable and h.ratioBps < 10_000, h
    preview = p.margin.previewLiquidation(CLIENT_ID, usdc, owed, lusdc)
    assert preview.bonusBps == 0 and preview.seized == cash and preview.repaid == cash, preview

    maker = wallet_of(p, accounts, chain, ACCOMPLICE_ID)
    paid = cash * (10_000 - MAKER_DISCOUNT_BPS) // 10_000
    p.fund(maker, "USDC", paid)
    usdc.approve(p.venues["RfqVenue"], paid, sender=maker)
    sale = rfq_route(p, chain, maker, lusdc, usdc, cash, paid)
    cash_before = pool.state().cash
    assert liquidate(p, chain, usdc, owed, lusdc, sale) is None

    # What the sale fetched is recovered, the carry first; the account bore the maker's discount.
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == 0 and lusdc.balanceOf(maker) == cash
    assert pool.state().cash == cash_before + paid
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == owed - paid
    # Nothing seizable left: the carry above the claim's haircut value is re-marked in the same
    # transaction (carried - paid was more than 5% and $1 above the claim's haircut value).
    remarked = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    h = p.margin.health(CLIENT_ID)
    left = (carried - paid) * 10**12  # the carry once the proceeds paid it first
    assert left * 10_000 > (h.adjustedCollateralUsd + 10**18) * 10_500 and remarked < carried - paid
    assert remarked * 10**12 <= h.adjustedCollateralUsd, (remarked, h)
    assert pool.state().assignedDebt == remarked
    assert not h.liquidatable, h


def test_sec_238__a_sale_below_the_oracle_floor__still_refused(p, bond, matured, chain, accounts):
    """The recovery at the proceeds is bounded by the broker's oracle floor: a maker paying 5%
    below the oracle value is refused (`SwapOutputBelowOracle`), nothing moves."""
    note, lusdc, usdc, borrowed = matured
    owed, carried, cash = _cash_beside_a_fallen_claim(p, bond, matured, chain, 40_000)
    maker = wallet_of(p, accounts, chain, ACCOMPLICE_ID)
    paid = cash * 9_500 // 10_000
    p.fund(maker, "USDC", paid)
    usdc.approve(p.venues["RfqVenue"], paid, sender=maker)
    refused = liquidate(
        p, chain, usdc, owed, lusdc, rfq_route(p, chain, maker, lusdc, usdc, cash, paid)
    )
    assert refused is not None and refused[0] == "SwapOutputBelowOracle", refused
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == cash
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == owed
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) == carried


def test_sec_238__a_sale_short_of_the_repayment_by_more_than_1pct__refused(
    p, bond, matured, chain, accounts
):
    """Round 10 F1: the recovery at the proceeds was bounded by the oracle floor alone, so the
    venue filling an assigned-debt sale (a liquidator's own RFQ maker) kept up to 3% of the value
    seized. Now the proceeds may fall short of the repayment by MAX_RECOVERY_SHORTFALL_BPS (1%) at
    most: a maker paying 2% below is refused (`InsufficientProceeds`), nothing moves."""
    note, lusdc, usdc, borrowed = matured
    owed, carried, cash = _cash_beside_a_fallen_claim(p, bond, matured, chain, 40_000)
    assert p.broker.MAX_RECOVERY_SHORTFALL_BPS() == 100
    maker = wallet_of(p, accounts, chain, ACCOMPLICE_ID)
    paid = cash * 9_800 // 10_000
    p.fund(maker, "USDC", paid)
    usdc.approve(p.venues["RfqVenue"], paid, sender=maker)
    sale = rfq_route(p, chain, maker, lusdc, usdc, cash, paid)
    refused = liquidate(p, chain, usdc, owed, lusdc, sale)
    assert refused == ("InsufficientProceeds", {"proceeds": paid, "repay": cash}), refused
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == cash
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == owed


def test_sec_238__debtor_deposits_one_unit_beside_a_due_re_mark__dust__re_marked(
    p, bond, matured, chain
):
    """Round 9 M1, repro B: the claim fell below the carry and the account holds nothing; the
    owner deposits one unit of LUSDC ($0.000001). `health` read liquidatable (at most one USD
    seizable), yet every write-off was refused (`ZeroAmount`: one unit of the USDC debt is
    repayable from it) and the carry stayed at face. Now dust beside assigned debt is
    MAX_DUST_USD, the rule `health` reads: named against that unit, the liquidation repays nothing
    and re-marks; the unit stays the account's."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    p.set_price("QTB", 10)
    lusdc.transfer(p.client, 1, sender=bond.issuer)
    lusdc.approve(p.broker, 1, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, lusdc, 1)], sender=p.client)
    assert p.margin.health(CLIENT_ID).liquidatable
    assert liquidate(p, chain, usdc, 0, lusdc) is None
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == 1
    h = p.margin.health(CLIENT_ID)
    remarked = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    assert remarked < carried // 3 and remarked * 10**12 <= h.adjustedCollateralUsd, (remarked, h)
    assert not h.liquidatable, h


def test_sec_239__one_unit_repaid_ahead_of_a_full_recovery__recovery_cut_to_what_is_owed(
    p, bond, matured, chain
):
    """Round 9 L1: the debtor repays one unit of its assigned debt ahead of a liquidation that
    recovers all of it; `repay` was then above the assigned debt and the recovery reverted
    (`RepayAboveCloseFactor`). Now a `repay` above the assigned debt is cut to it."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    owed = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    bond.servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    p.fund(p.client, "USDC", 1)
    usdc.approve(p.broker, 1, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(REPAY, usdc, 1, p.client)], sender=p.client)
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == owed - 1
    paid_before = usdc.balanceOf(p.liquidator)
    assert take(p, chain, usdc, owed, lusdc) is None
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0
    assert p.pools["USDC"].state().assignedDebt == 0
    # Funded with `owed` by `take`, it paid what was owed (one unit less), not what it offered.
    assert usdc.balanceOf(p.liquidator) == paid_before + 1


def test_sec_240__set_pool_of_another_asset__refused(p, bond):
    """Round 9 I2: `setPool` checked the pool's broker, not its asset: two listings on one pool
    (a governance slip) would have broken the pool's `assignedDebt == sum of carriedDebtOf`. Now a
    pool of another asset is refused."""
    usdc, lusdc = p.tokens["USDC"], bond.usdc
    other = another_pool(p, lusdc, "LendingPool.LUSDC9")
    with ape.reverts(
        p.broker.InvalidCollateral, asset=usdc, rule=member("CollateralRule", "PoolOfAnotherAsset")
    ):
        p.governed(
            ("pool of LUSDC", lambda: p.broker.setPool(usdc, other, sender=p.deployment.sender))
        )
    assert p.margin.poolOf(usdc) == p.pools["USDC"].address
