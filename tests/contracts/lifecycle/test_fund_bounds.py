"""The FundVault's bounds over a fund's life (security findings SEC-35 to SEC-37, SEC-40): nothing
struck that cannot be claimed (a period's deposits whose shares the token could not mint are
refused at the strike and refunded on request); the management fee's clock and the dealing
cut-offs past 2106 (32-bit clocks wrapped: a fee of five years charged on every accrual, and
strikes stopped with pending deposits frozen); the ERC-4626 `max*` views equal what the claims
accept."""

import ape
import pytest

from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US
from fast_reverts import attempt
from fund_fixtures import SHARE_UNIT, USD_UNIT, fresh_account

DAY = 86_400
YEAR = 365 * DAY
MAX_SUPPLY = 2**96 - 1
BPS = 10_000


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


@pytest.fixture
def fund(fund_stack):
    return fund_stack


# ---------------------------------------------------------------- SEC-35: nothing unmintable struck


def test_sec_35__deposit_struck_at_a_low_nav__refused_at_the_strike_and_refunded(chain, fund):
    """At a NAV of $0.0001 a $10M deposit is 1e11 shares, over the token's 2^96-unit supply cap
    (main: struck all the same; the claim's mint reverted `SupplyCapExceeded` and the
    cancellation `NothingPending`: the $10M could be neither claimed nor cancelled). The strike
    takes only what the token can mint: the period's deposits are refused (`DepositsRefused`),
    nothing is claimable, and the controller cancels for its assets; the period's redemptions
    are struck as usual."""
    vault, usdc, alice = fund.vault, fund.usdc, fund.investors["alice"]
    before = usdc.balanceOf(alice)
    vault.requestDeposit(usd(10_000_000), alice, alice, sender=alice)
    tx = fund.strike(chain, 0.0001)
    claimable = vault.maxMint(alice)
    claimed = None
    if claimable:
        claimed = attempt(chain, vault.deposit, vault.maxDeposit(alice), alice, alice, sender=alice)
    refunded = None
    if fund.share.balanceOf(alice) == 0:
        refunded = attempt(chain, vault.cancelDepositRequest, alice, alice, sender=alice)
    assert usdc.balanceOf(alice) == before or fund.share.balanceOf(alice) != 0, (
        f"$10M neither claimed ({claimed}) nor refunded ({refunded})"
    )
    assert claimable == 0 and refunded is None and usdc.balanceOf(alice) == before
    [refused] = tx.decode_logs(vault.DepositsRefused)
    wanted = usd(10_000_000) * SHARE_UNIT * 10**18 // (fund.nav18(0.0001) * USD_UNIT)
    assert (refused.period, refused.assets, refused.shares) == (1, usd(10_000_000), wanted)
    assert refused.room == MAX_SUPPLY - fund.share.totalSupply()
    [struck] = tx.decode_logs(vault.PeriodStruck)
    assert (struck.depositAssets, struck.depositShares) == (0, 0)
    assert vault.freeCash() == 0


def test_sec_35__refused_period__other_requests_and_later_periods_deal_normally(chain, fund):
    """A refused period leaves the vault dealing: a deposit the token can mint struck in the next
    period is claimable; a refused request blocks no new request of its controller once
    cancelled, and while not cancelled it is the pending one (`PendingInEarlierPeriod`)."""
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    vault.requestDeposit(usd(10_000_000), alice, alice, sender=alice)
    fund.strike(chain, 0.0001)
    assert vault.pendingDepositRequest(0, alice) == usd(10_000_000)
    vault.requestDeposit(usd(1_000), bob, bob, sender=bob)
    fund.strike(chain, 0.0001)
    assert vault.maxMint(bob) == shares(10_000_000)
    vault.deposit(usd(1_000), bob, sender=bob)
    vault.cancelDepositRequest(alice, alice, sender=alice)
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    assert vault.pendingDepositRequest(0, alice) == usd(1_000)


# ---------------------------------------------------------------- SEC-36, SEC-37: clocks past 2106


def test_sec_36__management_fee_accrued_across_2106__charges_the_seconds_not_five_years(
    chain, accounts, fund
):
    """The fee ledger's clock was 32 bits, written unmasked: past 2^32 (7 Feb 2106) it read back
    wrapped, and every later `accrueFees()` (anyone's, every block) charged the five-year cap
    (main). It is 40 bits: an accrual charges the seconds since the last one."""
    vault, schedule = fund.vault, fund.deployment.at("FeeSchedule")
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "fd" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    schedule.setFeeSchedule(vault, (0, 0, 0, 0, 100, recipient, []), sender=fund.governor)
    alice = fund.investors["alice"]
    vault.requestDeposit(usd(1_000_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000_000), alice, sender=alice)
    # 2^32 crossed between two accruals (at least MIN_BILLED apart: nothing is minted sooner).
    for moment in (2**32 - 700, 2**32 + 100):
        chain.pending_timestamp = moment
        vault.accrueFees(sender=alice)
    assert vault.heldFees()[2] == 2**32 + 100
    owed_before = vault.heldFees()[0]
    chain.pending_timestamp = 2**32 + 712
    vault.accrueFees(sender=alice)  # anyone's: 612 seconds of fee
    owed, _, accrued_at = vault.heldFees()
    base = fund.share.totalSupply() + owed_before
    accrued = 100 * 612
    assert owed - owed_before == base * accrued // (BPS * YEAR - accrued), (
        f"612 seconds charged {owed - owed_before} fee shares on {base}"
    )
    assert accrued_at == 2**32 + 712


def test_sec_37__cutoffs_past_2106__strikes_go_on_and_pending_deposits_are_claimable(chain, fund):
    """Cut-offs were 32 bits: the strike whose next cut-off fell after 2^32 reverted (main:
    `SafeCastOverflowedUintDowncast`), and the period's deposits, past their cut-off, could be
    neither struck nor cancelled. Cut-offs are 40 bits (until the year 36812)."""
    vault, alice = fund.vault, fund.investors["alice"]
    chain.pending_timestamp = 2**32 - DAY // 2
    fund.strike(chain, 1)
    cutoff = fund.cutoff()
    assert cutoff < 2**32 < cutoff + DAY
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    fund.report_nav(1)
    struck = attempt(chain, vault.strike, sender=fund.nav_agent)
    assert struck is None, f"the strike past 2106 reverted: {struck}"
    assert fund.cutoff() == cutoff + DAY
    vault.deposit(usd(1_000), alice, sender=alice)
    assert fund.share.balanceOf(alice) == shares(1_000)


# ---------------------------------------------------------------- SEC-40: max* = what claims accept


def test_sec_40__max_views__equal_what_each_claim_accepts_when_cash_is_short(chain, accounts, fund):
    """LendingPool's `maxWithdraw` overstated what it paid when its cash was short; the vault's
    claims are paid from cash reserved at the strike, so each `max*` is exactly what its call
    accepts, and one unit more is refused (`ExceedsClaimable`): with the strike short of free
    cash (a part carried), with a redemption fee, and at a NAV whose shares the token could not
    mint (main: `maxMint` named shares the claim could not mint)."""
    vault = fund.vault
    alice, bob, carol = fund.investors["alice"], fund.investors["bob"], fund.investors["carol"]
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "fc" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    schedule = fund.deployment.at("FeeSchedule")
    schedule.setFeeSchedule(vault, (0, 50, 0, 0, 0, recipient, []), sender=fund.governor)
    for wallet in (alice, bob):
        vault.requestDeposit(usd(100_000), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    for wallet in (alice, bob):
        vault.deposit(usd(100_000), wallet, sender=wallet)
    vault.investCash(usd(170_000), sender=fund.fund_manager)  # $30,000 of free cash stays
    vault.requestRedeem(shares(50_000), alice, alice, sender=alice)
    vault.requestRedeem(shares(50_000), bob, bob, sender=bob)
    fund.strike(chain, 1)  # cash short: 30,000 of 100,000 shares served, the rest carried
    assert abs(vault.maxRedeem(alice) - shares(15_000)) <= 1
    with ape.reverts(vault.ExceedsClaimable):
        vault.redeem(vault.maxRedeem(alice) + 1, alice, alice, sender=alice)
    vault.redeem(vault.maxRedeem(alice), alice, alice, sender=alice)
    with ape.reverts(vault.ExceedsClaimable):
        vault.withdraw(vault.maxWithdraw(bob) + 1, bob, bob, sender=bob)
    vault.withdraw(vault.maxWithdraw(bob), bob, bob, sender=bob)
    assert vault.maxRedeem(bob) == vault.maxWithdraw(bob) == 0

    vault.requestDeposit(usd(10_000_000), carol, carol, sender=carol)
    fund.strike(chain, 0.0001)
    # what the views name, the claims accept (main: 1e11 shares named, the mint reverted)
    for method, maximum in ((vault.deposit, vault.maxDeposit), (vault.mint, vault.maxMint)):
        amount = maximum(carol)
        if amount:
            assert attempt(chain, method, amount, carol, carol, sender=carol) is None
    assert vault.maxDeposit(carol) == vault.maxMint(carol) == 0
