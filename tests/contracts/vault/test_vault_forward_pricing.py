"""SEC-53 (red team M2): dealing at the next price. A deposit just before a price report of a held
asset, followed by a redemption right after it, took the report's move out of the other holders
(+8,487 USDC on 1,000,000 with the deployed 10 bp dealing fee). A deposit into a vault whose NAV
depends on oracle prices is now priced at the first price of every holding published after it
(forward pricing, as a fund's dealing at its next NAV strike): its shares are provisional and
locked until `settleDeal` trues them up at those prices."""

import ape
import pytest

from keepers.vault import settlement_rounds
from risk_fixtures import USDC_UNIT, cash_investor, swap_params

USDC, QTB, QCORP, QSPX = range(4)
DEPOSIT = 1_000_000 * USDC_UNIT
DEALING_FEE_BPS = 10  # keepers/data/portfolio.yaml's fund
FEED_UNIT = 10**8
NOT_FIRST_ROUND = 10  # PriceStatus


@pytest.fixture
def attacker(risk_stack, accounts, operator):
    """A verified investor with cash, as any client of the fund."""
    return cash_investor(risk_stack, accounts[15], "0x" + "e5" * 20, 2 * DEPOSIT, operator)


def report_all(stack, reporter, chain, moved=None):
    """The price keeper's round: every feed reports (its last answer, or `moved`'s)."""
    chain.pending_timestamp += 60
    for i, feed in enumerate(stack.feeds):
        answer = (moved or {}).get(i, int(feed.latestRoundData()[1]))
        feed.report(answer, sender=reporter)


def test_sec_53__deposit_just_before_a_report_redeemed_after__priced_at_the_report_no_gain(
    risk_stack, attacker, executor, governor, reporter, deployer, chain
):
    stack = risk_stack
    vault, engine, usdc = stack.vault, stack.engine, stack.tokens[USDC]
    vault.setDealingFee(DEALING_FEE_BPS, sender=governor)
    vault.trade(swap_params(stack, USDC, QSPX, 250_000 * USDC_UNIT), sender=executor)
    engine.sync(vault, sender=deployer)
    cash_before = usdc.balanceOf(attacker)
    vault.deposit(DEPOSIT, attacker, sender=attacker)
    shares = vault.balanceOf(attacker)
    chain.pending_timestamp += 60
    stack.feeds[QSPX].report(55 * FEED_UNIT, sender=reporter)  # QSPX +10%
    engine.sync(vault, sender=deployer)
    if vault.maxRedeem(attacker) < shares:
        # Forward priced: the deal waits for the next price of every holding, then settles at it.
        report_all(stack, reporter, chain)
        vault.settleDeal(attacker, settlement_rounds(vault, attacker), sender=deployer)
        shares = vault.balanceOf(attacker)
    vault.redeem(shares, attacker, attacker, sender=attacker)
    gain = usdc.balanceOf(attacker) - cash_before
    # The bound: the round trip returns the deposit less its two dealing fees, whatever the report.
    fees = 2 * DEPOSIT * DEALING_FEE_BPS // 10_000
    tolerance = 10 * USDC_UNIT
    assert -fees - tolerance <= gain <= -fees + tolerance, f"gain {gain / USDC_UNIT:+,.2f}"


def test_sec_53__provisional_shares__locked_until_settled_at_the_first_prices_after_the_deal(
    risk_stack, attacker, executor, governor, reporter, deployer, chain, fund_investor
):
    stack = risk_stack
    vault = stack.vault
    vault.trade(swap_params(stack, USDC, QSPX, 250_000 * USDC_UNIT), sender=executor)
    receipt = vault.deposit(DEPOSIT, attacker, sender=attacker)
    shares = vault.balanceOf(attacker)
    deal = vault.dealOf(attacker)
    assert (deal.shares, deal.dealtAt) == (shares, receipt.timestamp)
    assert vault.maxRedeem(attacker) == 0 and vault.maxWithdraw(attacker) == 0
    with ape.reverts(vault.DealUnsettled, holder=attacker.address, locked=shares):
        vault.redeem(shares // 100, attacker, attacker, sender=attacker)
    # The deal's cash is reserved: not in what may be traded (`positions`), nor paid out.
    cash = stack.tokens[USDC].balanceOf(vault)
    assert vault.positions()[1][USDC] == cash - deal.assets
    assert vault.maxWithdraw(fund_investor) <= cash - deal.assets
    with ape.reverts(vault.DealUnsettled, holder=attacker.address, locked=shares):
        vault.redeemInKind(1, attacker, attacker, sender=attacker)
    with ape.reverts(vault.DealUnsettled, holder=attacker.address, locked=shares):
        vault.transfer(fund_investor, 1, sender=attacker)
    chain.pending_timestamp += 60
    stack.feeds[QSPX].report(55 * FEED_UNIT, sender=reporter)
    # USDC's feed has not published since the deal: no price to settle at yet.
    with ape.reverts(stack.router.PriceUnavailable, asset=stack.tokens[USDC].address):
        vault.settleDeal(attacker, settlement_rounds(vault, attacker), sender=deployer)
    report_all(stack, reporter, chain)
    # A later round (QSPX 60): not the strike.
    report_all(stack, reporter, chain, moved={QSPX: 60 * FEED_UNIT})
    rounds = settlement_rounds(vault, attacker)
    late = list(rounds)
    late[QSPX] += 1
    with ape.reverts(
        stack.router.PriceUnavailable, asset=stack.tokens[QSPX].address, status=NOT_FIRST_ROUND
    ):
        vault.settleDeal(attacker, late, sender=deployer)
    receipt = vault.settleDeal(attacker, rounds, sender=deployer)
    event = receipt.decode_logs(vault.DealSettled)[0]
    assert event.provisionalShares == shares and event.shares == vault.balanceOf(attacker)
    # Priced at QSPX 55 (the first round after the deal), not 50 (before it) nor 60 (later).
    assert event.shares < shares
    assert vault.dealOf(attacker).shares == 0
    assert vault.maxRedeem(attacker) == vault.balanceOf(attacker)


def test_sec_53__all_cash_vault__deposit_exact_and_free_at_once(
    risk_stack, attacker, fund_investor
):
    """Nothing but the settlement asset held: the NAV needs no price, the deal is exact and the
    shares are free at once (the fund's first subscriptions)."""
    vault = risk_stack.vault
    assert all(h == 0 for h in list(vault.holdings())[1:])
    vault.deposit(DEPOSIT, attacker, sender=attacker)
    assert vault.dealOf(attacker).shares == 0
    assert vault.maxRedeem(attacker) == vault.balanceOf(attacker)
