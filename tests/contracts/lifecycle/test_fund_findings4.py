"""The FundVault and the FundDesk against the third red-team read of the fund lifecycle (security
findings SEC-180 to SEC-183). Each test performs the attack on the deployed stack (fund_fixtures,
desk_fixtures: the deploy routines' vaults and desk) and failed on main before the fix:

- SEC-180: struck but unclaimed subscription shares were outside the management fee's base, and
  with the share supply at 0 every strike moved the fee clock to now (SEC-135): a sole investor
  leaving its claim unclaimed for a year paid a day's fee;
- SEC-181: in a desk, the management fee vault did not count the unclaimed shares of the other
  vaults;
- SEC-182: the keepers' `fees_due` left the unclaimed shares out of the base;
- SEC-183: a NAV computed before a declaration and reported after it was struck (SEC-137 compares
  times only): the NAV agent's strike is bound to the declaration count it read.
"""

from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US
from desk_fixtures import DESK_INSTRUMENT_ID
from fast_reverts import assert_reverts
from fund_fixtures import (
    DAY,
    INSTRUMENT_ID,
    SHARE_UNIT,
    USD_UNIT,
    fresh_account,
    management_fee,
    year_fee,
)

BPS = 10_000
YEAR = 365 * DAY


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


# ---------------------------------------------------------------- SEC-180: unclaimed shares


def test_sec_180__sole_investor_leaves_its_claim_unclaimed_a_year__pays_the_years_fee(
    chain, accounts, fund_stack
):
    """alice's $1M subscription is struck (1M shares, hers, with the NAV's performance) and left
    as a claim: the supply stays 0, so the strike a year later moved the fee clock to now and the
    year's fee was lost (main: 27 fee shares for a year at 1%, instead of ~10,100). The base is the
    shares outstanding, the unclaimed ones included, and so is SEC-135's emptiness test."""
    fund, vault = fund_stack, fund_stack.vault
    alice = fund.investors["alice"]
    management_fee(
        chain,
        accounts,
        fund.registry,
        fund.deployment.at("FeeSchedule"),
        vault,
        fund.governor,
        fund.operator,
        "f1",
    )
    vault.requestDeposit(usd(1_000_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    assert vault.maxMint(alice) == shares(1_000_000) and fund.share.totalSupply() == 0
    assert vault.unclaimedShares() == shares(1_000_000)
    start = vault.heldFees()[2]
    chain.pending_timestamp = start + YEAR
    fund.strike(chain, 1.05)  # the fund earned 5% for its only investor
    vault.deposit(usd(1_000_000), alice, sender=alice)  # claimed right after the strike
    chain.pending_timestamp = chain.blocks.head.timestamp + DAY
    tx = vault.accrueFees(sender=alice)
    charged = vault.heldFees()[0]
    elapsed = chain.blocks[tx.block_number].timestamp - start
    due = year_fee(shares(1_000_000), elapsed)
    assert charged >= due - shares(20), (
        f"charged {charged / SHARE_UNIT:,.2f} fee shares; {elapsed / DAY:.0f} days at 1% on "
        f"1,000,000 shares is {due / SHARE_UNIT:,.2f}"
    )
    assert charged <= due + shares(20)


def test_sec_180__one_claim_left_unclaimed__fee_charged_on_both_holdings(
    chain, accounts, fund_stack
):
    """bob claims $1M, alice leaves $1M as a claim for a year: the fee was charged on bob's shares
    only (main: 10,101 fee shares, where 1% of the 2,000,000 outstanding is 20,202), and alice's
    claim bore half the dilution of a fee it did not add to."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    management_fee(
        chain,
        accounts,
        fund.registry,
        fund.deployment.at("FeeSchedule"),
        vault,
        fund.governor,
        fund.operator,
        "f2",
    )
    for wallet in (alice, bob):
        vault.requestDeposit(usd(1_000_000), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000_000), bob, sender=bob)
    start = vault.heldFees()[2]
    chain.pending_timestamp = start + YEAR
    vault.accrueFees(sender=alice)
    charged = vault.heldFees()[0]
    due = year_fee(shares(2_000_000), YEAR)
    assert charged == due, (
        f"charged {charged / SHARE_UNIT:,.0f} fee shares on 2,000,000 outstanding "
        f"(due {due / SHARE_UNIT:,.0f})"
    )


# ---------------------------------------------------------------- SEC-181: a desk's other vaults


def test_sec_181__desk_investor_leaves_its_claim_unclaimed_in_another_vault__fee_counts_it(
    chain, accounts, desk_stack
):
    """The desk's management fee is one vault's (SEC-138, here the DUSD vault) on the class: bob
    subscribed $1M in DTOK (another vault) and left it unclaimed for a year; with the supply 0 the
    fee vault charged nothing (main: 0 fee shares for a year at 1% on 1,000,000). The fee vault
    counts every vault's unclaimed (and owed) shares through the desk."""
    desk = desk_stack
    bob = desk.investors["bob"]
    fee_vault, other = desk.vaults["DUSD"], desk.vaults["DTOK"]
    desk.charge_management(chain, accounts, "f3")
    desk.desk.requestDeposit(desk.coins["DTOK"], usd(1_000_000), bob, sender=bob)
    desk.strike(chain)
    assert desk.share.totalSupply() == 0 and other.unclaimedShares() == shares(1_000_000)
    assert desk.desk.unmintedSharesBesides(DESK_INSTRUMENT_ID, fee_vault) == shares(1_000_000)
    start = fee_vault.heldFees()[2]
    chain.pending_timestamp = start + YEAR
    desk.strike(chain, 1.05)
    other.deposit(usd(1_000_000), bob, sender=bob)
    charged = fee_vault.heldFees()[0]
    due = year_fee(shares(1_000_000), fee_vault.heldFees()[2] - start)
    assert abs(charged - due) <= shares(1), (
        f"charged {charged / SHARE_UNIT:,.2f} fee shares; a year at 1% on the 1,000,000 "
        f"unclaimed in the DTOK vault is {due / SHARE_UNIT:,.2f}"
    )


# ---------------------------------------------------------------- SEC-182: the keeper's mirror


def test_sec_182__keeper_fees_due_with_unclaimed_shares__equals_what_the_vaults_accrue(
    chain, accounts, fund_stack, desk_stack
):
    """The keepers' `fees_due` (the fee keeper's, and the NAV's fee shares) charged on the supply
    and the owed shares only (main: 0 accruing for a year on a vault whose 1,000,000 shares were
    all unclaimed, the vault's own accrual 10,101). It mirrors the vault's base: unclaimed shares,
    and in a desk the other vaults' owed and unclaimed shares."""
    from keepers.lifecycle.funds import Fund, fees_due

    desk = desk_stack
    bob = desk.investors["bob"]
    fee_vault = desk.vaults["DUSD"]
    desk_schedule = desk.deployment.at("FeeSchedule")
    management_fee(
        chain,
        accounts,
        desk.deployment.at("IdentityRegistry"),
        desk_schedule,
        fee_vault,
        desk.governor,
        desk.operator,
        "f5",
    )
    desk.desk.requestDeposit(desk.coins["DTOK"], usd(1_000_000), bob, sender=bob)
    desk.strike(chain)
    members = tuple((v, desk.coins[label]) for label, v in desk.vaults.items())
    class_fund = Fund(
        DESK_INSTRUMENT_ID,
        None,
        fee_vault,
        desk.share,
        desk.coins["DUSD"],
        None,
        desk=desk.desk,
        members=members,
    )
    at = chain.blocks.head.timestamp + YEAR
    predicted = fees_due(class_fund, desk_schedule, at, fee_vault).accruing_shares
    chain.pending_timestamp = at
    fee_vault.accrueFees(sender=bob)
    assert predicted == fee_vault.heldFees()[0] > shares(10_000), (
        f"keeper {predicted / SHARE_UNIT:,.2f}, vault {fee_vault.heldFees()[0] / SHARE_UNIT:,.2f}"
    )

    fund, vault = fund_stack, fund_stack.vault
    schedule = fund.deployment.at("FeeSchedule")
    alice = fund.investors["alice"]
    management_fee(
        chain, accounts, fund.registry, schedule, vault, fund.governor, fund.operator, "f4"
    )
    fund.strike(chain, 1)  # the period open a year on (the desk's) is struck: a new one opens
    vault.requestDeposit(usd(1_000_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    lone = Fund(INSTRUMENT_ID, fund.registry, vault, fund.share, fund.usdc, fund.router)
    at = chain.blocks.head.timestamp + YEAR
    predicted = fees_due(lone, schedule, at).accruing_shares
    chain.pending_timestamp = at
    vault.accrueFees(sender=alice)
    assert predicted == vault.heldFees()[0] > shares(10_000), (
        f"keeper {predicted / SHARE_UNIT:,.2f}, vault {vault.heldFees()[0] / SHARE_UNIT:,.2f}"
    )


# ---------------------------------------------------------------- SEC-183: a NAV's declarations


def test_sec_183__nav_read_before_a_declaration_reported_after_it__bound_strike_refused(
    chain, income_fund_stack
):
    """The NAV agent read $1.00 on 2M shares, a declaration (0.4%) landed, then its report: the
    time test (SEC-137) passes a report mined after the declaration (main: alice's 1,004,000
    shares paid $1,004,000.00 for $1,000,000 of value). The strike is bound to the declaration
    count the NAV was read with: refused with both counts, then read again and struck right."""
    fund, vault, share = income_fund_stack, income_fund_stack.vault, income_fund_stack.share
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    for wallet in (alice, bob):
        vault.requestDeposit(usd(1_000_000), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    for wallet in (alice, bob):
        vault.deposit(usd(1_000_000), wallet, sender=wallet)
    _, counted, _ = share.incomeIndex()  # the NAV agent's read: the count with the supply
    computed = 2_000_000 * SHARE_UNIT / share.totalSupply()  # $1.00
    chain.pending_timestamp = max(chain.pending_timestamp, fund.cutoff() - 600)
    share.declareIncome(counted + 1, share.totalSupply() * 40 // 10_000, sender=fund.agent)
    vault.requestRedeem(share.balanceOf(alice), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    fund.report_nav(computed)  # mined after the declaration, a later second
    if len(vault.strike.abis) == 1:  # no strike bound to a count: the NAV agent's only strike
        vault.strike(sender=fund.nav_agent)
        paid = vault.maxWithdraw(alice)
        raise AssertionError(f"struck: alice is paid {paid / USD_UNIT:,.2f} for $1,000,000")
    assert_reverts(
        chain,
        vault.strike,
        counted,
        sender=fund.nav_agent,
        error=(vault, "DeclarationsChanged"),
        expected=counted,
        declarations=counted + 1,
    )
    _, counted, _ = share.incomeIndex()
    chain.pending_timestamp = chain.blocks.head.timestamp + 12
    fund.report_nav(2_000_000 * SHARE_UNIT / share.totalSupply())  # read again
    vault.strike(counted, sender=fund.nav_agent)
    assert abs(vault.maxWithdraw(alice) - usd(1_000_000)) <= usd(1)


def test_sec_183__desk_strike_bound_to_a_count__each_vault_checks_it(chain, desk_stack):
    """The desk forwards the count to every vault it strikes: a share without income has 0
    declarations, so a strike bound to 1 is refused by the first vault, one bound to 0 goes."""
    desk = desk_stack
    chain.pending_timestamp = max(chain.pending_timestamp, desk.cutoff())
    desk.report(desk.share_feed, 1.0)
    for feed in desk.coin_feeds.values():
        desk.report(feed, 1.0)
    assert_reverts(
        chain,
        desk.desk.strike,
        1,
        sender=desk.nav_agent,
        error=(desk.vaults["DUSD"], "DeclarationsChanged"),
        expected=1,
        declarations=0,
    )
    desk.desk.strike(0, sender=desk.nav_agent)
    assert all(int(v.dealing()[0]) == 2 for v in desk.vaults.values())


# ------------------------------------------------------------ SEC-185: rounding dust, empty fund


def test_sec_185__fund_empty_but_for_rounding_dust__fee_clock_moves_next_investor_pays_its_days(
    chain, accounts, fund_stack
):
    """The outside read of SEC-180 (round 4, R4-1): a strike adds the shares of its deposits'
    sum to the unclaimed count and each claim takes its own share, floored, so a strike of n
    deposits can leave up to n-1 units no claim removes. With that dust in the fee base, an
    emptied fund's base was never 0: the fee on a few units rounds to 0, the clock stayed (SEC-133)
    and the next investor paid for the year the fund was empty (main: 9,861 fee shares, 101.6 bps,
    for one day's holding). carol's strike, which changes the base from the dust to her shares,
    carries the seconds not charged onto the new base: `elapsed x 1 / new base`, 0."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob, carol = (fund.investors[k] for k in ("alice", "bob", "carol"))
    deposit = 1_000_000_000_001  # $1,000,000.000001: at NAV 1.03, two leave one unit of dust
    for wallet in (alice, bob):
        vault.requestDeposit(deposit, wallet, wallet, sender=wallet)
    fund.strike(chain, 1.03)
    for wallet in (alice, bob):
        vault.deposit(deposit, wallet, sender=wallet)
    assert vault.unclaimedShares() == 1 and vault.maxMint(alice) == vault.maxMint(bob) == 0
    for wallet in (alice, bob):
        vault.requestRedeem(fund.share.balanceOf(wallet), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    assert fund.share.totalSupply() == 0 and vault.heldFees()[0] == 0
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "d4" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    fund.deployment.at("FeeSchedule").setFeeSchedule(
        vault, (0, 0, 0, 0, 100, recipient, []), sender=fund.governor
    )
    chain.pending_timestamp = vault.heldFees()[2] + YEAR
    fund.strike(chain, 1.03)  # the empty year's strike
    vault.requestDeposit(1_000_000 * USD_UNIT, carol, carol, sender=carol)
    fund.strike(chain, 1.03)
    vault.deposit(1_000_000 * USD_UNIT, carol, sender=carol)
    held = fund.share.balanceOf(carol)
    joined = chain.blocks.head.timestamp
    chain.pending_timestamp = joined + DAY
    vault.accrueFees(sender=carol)
    charged = vault.heldFees()[0]
    # carol's days in the fund since her strike (a day and the blocks of her claim), at 1%/yr.
    due = held * 100 * (2 * DAY) // (BPS * YEAR)
    assert charged <= due, (
        f"charged {charged / SHARE_UNIT:,.2f} fee shares ({charged * BPS / held:.1f} bps) on "
        f"{held / SHARE_UNIT:,.2f} held a day: the empty year charged to the next investor"
    )
