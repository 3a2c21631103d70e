"""The FundVault and the FundDesk against the fourth and fifth red-team reads of the fund
lifecycle (security findings SEC-186 to SEC-188). Each test performs the attack on the deployed
stack (fund_fixtures, desk_fixtures: the deploy routines' vaults and desk) and failed on main
before the fix:

- SEC-186: the unbound `strike()` ran as a DELEGATECALL of the vault to itself, so only the role
  of `strike(uint256)` was checked: an AccessManager `execute` of `strike()` always reverted, and
  the role GOVERNOR set on `strike()` was inert;
- SEC-187: instant dealing moved the supply without accruing the management fee first, so the
  next accrual charged the time before on the supply after (a subscriber paid for days it did not
  hold, a redeemer escaped days it did);
- SEC-188: SEC-185 moved the fee clock whenever the fee rounded to 0 with nothing minted, so
  anyone calling `accrueFees` every block kept the fee on unclaimed shares from accruing (and,
  in the outside read of the first fix, tiny instant deals did the same). Anyone's accrual keeps
  the clock on a fee rounded to 0; the vault's own base change carries the seconds not charged
  onto the new base.
- SEC-233: with SEC-232's 10-minute floor the desk's accrual before its strike minted nothing
  under 10 minutes and moved the clock to now: anyone accruing just before made every strike
  forfeit up to 10 minutes of fee. The desk's accrual moves the clock only when it is older.
- SEC-232: an accrual that minted fee shares moved the clock to now, forfeiting the fee's
  fraction of a unit: anyone accruing a low-decimal class each time its fee neared 2 units halved
  it. The clock moves by the seconds the shares pay for.
"""

from eth_utils import keccak

from fast_reverts import assert_reverts
from fund_fixtures import DAY, SHARE_UNIT, USD_UNIT, year_fee

HOURS_20 = 20 * 3600
MIN_BILLED = 600  # FeeMath.MIN_BILLED: no management fee is minted for less


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


# ---------------------------------------------------------------- SEC-186: strike()'s own role


def test_sec_186__nav_agent_executes_the_unbound_strike_through_the_manager__it_strikes(
    chain, fund_stack
):
    """The NAV agent runs `strike()` through `AccessManager.execute` (as a delayed role or a
    Safe's module must): main reverted it (the inner `strike(uint256)` checked the manager's own
    call against a selector it was not executing). Each form checks its own selector's role."""
    fund, vault = fund_stack, fund_stack.vault
    strike_unbound = keccak(text="strike()")[:4]
    strike_bound = keccak(text="strike(uint256)")[:4]
    role = fund.manager.getTargetFunctionRole(vault, strike_unbound)
    assert role == fund.manager.getTargetFunctionRole(vault, strike_bound) != 0
    fund.past_cutoff(chain)
    fund.report_nav(1)
    period = int(vault.dealing()[0])
    fund.manager.execute(vault, strike_unbound, sender=fund.nav_agent)
    assert int(vault.dealing()[0]) == period + 1
    assert vault.strikeOf(period)[0] == fund.nav18(1)


def test_sec_186__outsider_calls_the_unbound_strike__refused_on_its_own_selector(
    chain, fund_stack, outsider
):
    """An outsider's `strike()` is refused by the vault's own check (AccessManagedUnauthorized,
    the caller named), not by an inner call."""
    fund, vault = fund_stack, fund_stack.vault
    fund.past_cutoff(chain)
    fund.report_nav(1)
    assert_reverts(
        chain,
        vault.strike,
        sender=outsider,
        error=(vault, "AccessManagedUnauthorized"),
        caller=outsider.address,
    )


# ---------------------------------------------------------------- SEC-187: instant dealing accrues


def _single_vault_with_a_holder(chain, accounts, fund):
    """alice holds 1,000,000 shares of `fund`'s vault (struck at $1.00 and claimed), a 1%/yr
    management fee runs, and instant dealing is open to $10M. The clock and the fee shares owed
    after an accrual now."""
    vault, alice = fund.vault, fund.investors["alice"]
    fund.charge_management(chain, accounts, "f7")
    vault.requestDeposit(usd(1_000_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000_000), alice, sender=alice)
    vault.setInstantLimit(usd(10_000_000), sender=fund.governor)
    vault.accrueFees(sender=alice)
    owed, _, start = vault.heldFees()
    return start, owed


def test_sec_187__instant_subscription_20_hours_after_the_last_accrual__pays_none_of_them(
    chain, accounts, fund_stack
):
    """bob subscribes $1M at once 20 hours after the last accrual, and the fee is accrued right
    after: main charged the 20 hours on 2,000,000 shares (bob paid for 20 hours he did not hold).
    The vault accrues before the instant mint: 20 hours on alice's 1,000,000, then 10 minutes
    (MIN_BILLED: nothing is minted for less) on both."""
    fund, vault = fund_stack, fund_stack.vault
    bob = fund.investors["bob"]
    start, owed = _single_vault_with_a_holder(chain, accounts, fund)
    chain.pending_timestamp = start + HOURS_20
    tx = vault.instantDeposit(usd(1_000_000), bob, sender=bob)
    dealt_at = chain.blocks[tx.block_number].timestamp
    before = year_fee(shares(1_000_000) + owed, dealt_at - start)
    assert vault.heldFees()[2] == dealt_at, "the clock stayed before the instant mint"
    assert vault.heldFees()[0] == owed + before
    chain.pending_timestamp = dealt_at + MIN_BILLED
    vault.accrueFees(sender=bob)
    after = year_fee(fund.share.totalSupply() + owed + before, MIN_BILLED)
    assert vault.heldFees()[0] == owed + before + after, (
        f"charged {vault.heldFees()[0] / SHARE_UNIT:,.6f} fee shares; 20 hours on alice's "
        f"1,000,000 and 10 minutes on both is {(owed + before + after) / SHARE_UNIT:,.6f}"
    )


def test_sec_187__instant_redemption_20_hours_after_the_last_accrual__pays_them(
    chain, accounts, fund_stack
):
    """alice redeems half at once 20 hours after the last accrual: main then charged the 20
    hours on the 500,000 left (she escaped the fee on the half she held). The vault accrues
    before the burn."""
    fund, vault = fund_stack, fund_stack.vault
    alice = fund.investors["alice"]
    start, owed = _single_vault_with_a_holder(chain, accounts, fund)
    chain.pending_timestamp = start + HOURS_20
    tx = vault.instantRedeem(shares(500_000), alice, alice, sender=alice)
    dealt_at = chain.blocks[tx.block_number].timestamp
    assert vault.heldFees()[2] == dealt_at, "the clock stayed before the instant burn"
    assert vault.heldFees()[0] == owed + year_fee(shares(1_000_000) + owed, dealt_at - start)


def test_sec_187__instant_deal_in_another_desk_vault__management_vault_accrues_first(
    chain, accounts, desk_stack
):
    """The desk's management fee is the DUSD vault's; carol subscribes at once in the DTOK vault
    20 hours after its last accrual: main left the fee vault's clock where it was, so its next
    accrual charged the 20 hours on carol's shares too. The DTOK vault has the fee vault accrue
    first."""
    desk = desk_stack
    carol = desk.investors["carol"]
    fee_vault, other = desk.vaults["DUSD"], desk.vaults["DTOK"]
    desk.charge_management(chain, accounts, "f8")
    desk.fund_books(chain, usd)
    other.setInstantLimit(usd(10_000_000), sender=desk.governor)
    fee_vault.accrueFees(sender=carol)
    owed, _, start = fee_vault.heldFees()
    chain.pending_timestamp = start + HOURS_20
    tx = other.instantDeposit(usd(1_000_000), carol, sender=carol)
    dealt_at = chain.blocks[tx.block_number].timestamp
    assert fee_vault.heldFees()[2] == dealt_at, "the fee vault's clock stayed before the mint"
    assert fee_vault.heldFees()[0] == owed + year_fee(shares(1_500_000) + owed, dealt_at - start)


# ---------------------------------------------------------------- SEC-188: anyone's accrual

NAV_TEN_BILLION = 10**10  # $ a share: $10 buys 1e9 share units, whose fee rounds to 0 a second


def _subscribe_at_ten_billion(chain, fund, investor, dollars=10):
    """`investor` subscribes `dollars` struck at NAV_TEN_BILLION (1e8 share units a dollar,
    unclaimed): the 18-decimal stand-in for a low-decimal class ($10: 1e9 units, whose fee rounds
    to 0 each second)."""
    fund.vault.requestDeposit(usd(dollars), investor, investor, sender=investor)
    fund.strike(chain, NAV_TEN_BILLION)


def _claimed_at_ten_billion(chain, accounts, fund, investor, tag):
    """A 1%/yr management fee (recipient `tag`), a $1,000 instant limit, and `investor`'s $10
    subscribed at NAV_TEN_BILLION and claimed one second after the strike (1e9 units held).
    Every block is pinned to the fee clock, not to the wall: under load a claim a few seconds
    late would put the fee on 1e9 units past one unit (CI failed that way). The clock at the
    strike."""
    fund.charge_management(chain, accounts, tag)
    fund.vault.setInstantLimit(usd(1_000), sender=fund.governor)
    _subscribe_at_ten_billion(chain, fund, investor)
    start = fund.vault.heldFees()[2]
    chain.pending_timestamp = start + 1
    fund.vault.deposit(usd(10), investor, sender=investor)
    return start


def test_sec_188__accrual_every_second_on_unclaimed_shares__clock_stays_fee_charged_in_full(
    chain, accounts, fund_stack
):
    """alice's $10 subscription at a NAV of $10,000,000,000 is 1e9 share units, unclaimed, and
    nothing is minted: the fee on them rounds to 0 each second, so under SEC-185 anyone's
    `accrueFees` every second moved the clock and the fee was never charged (for a 0-decimal share
    the same holds for 262,800,000 whole shares at 12 s blocks). Anyone's accrual keeps the clock
    on a fee rounded to 0; 30 days later the fee is the 30 days'."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    fund.charge_management(chain, accounts, "f9")
    _subscribe_at_ten_billion(chain, fund, alice)
    unclaimed = vault.unclaimedShares()
    assert unclaimed == 10**9 and fund.share.totalSupply() == 0
    start = vault.heldFees()[2]
    for second in (1, 2, 3):  # 0.3, 0.6, 0.95 of a unit on 1e9 units: rounded to 0
        chain.pending_timestamp = start + second
        vault.accrueFees(sender=bob)
        assert vault.heldFees()[0] == 0
        assert vault.heldFees()[2] == start, "anyone's accrual moved the clock: the fee is lost"
    chain.pending_timestamp = start + 30 * DAY
    vault.accrueFees(sender=bob)
    assert vault.heldFees()[0] == year_fee(unclaimed, 30 * DAY) > 0


def test_sec_188__tiny_instant_redemptions_every_second__fee_carried_not_forfeited(
    chain, accounts, fund_stack
):
    """The outside read of the first SEC-188 (round 6, R6-1): with every instant deal a base
    change that moved the clock on a fee rounded to 0, a holder redeeming 100 share units (one
    USDC unit) each second kept the whole fee from accruing. The deal carries the seconds not
    charged onto the base after it: the clock barely moves, and 30 days later the fee is the 30
    days'."""
    fund, vault = fund_stack, fund_stack.vault
    alice = fund.investors["alice"]
    start = _claimed_at_ten_billion(chain, accounts, fund, alice, "fa")
    held = fund.share.balanceOf(alice)
    assert held == 10**9
    for second in (2, 3):  # 0.6 and 0.95 of a unit: rounded to 0
        chain.pending_timestamp = start + second
        vault.instantRedeem(100, alice, alice, sender=alice)
        assert vault.heldFees()[0] == 0
        assert vault.heldFees()[2] <= start, "a tiny deal moved the clock: the fee is forfeited"
    base = fund.share.totalSupply()
    accrued_at = vault.heldFees()[2]
    chain.pending_timestamp = start + 30 * DAY
    tx = vault.accrueFees(sender=alice)
    elapsed = chain.blocks[tx.block_number].timestamp - accrued_at
    assert elapsed >= 30 * DAY
    assert vault.heldFees()[0] == year_fee(base, elapsed) >= year_fee(held - 200, 30 * DAY)


def test_sec_188__instant_redemption_of_nearly_all__clock_never_pushed_back(
    chain, accounts, fund_stack
):
    """The outside read of the carry (round 7, R7-1): alice redeems all but one unit while the
    fee on her 1e9 units rounds to 0; the carry `elapsed x 1e9 / 1` pushed the clock five years
    back (MAX_ACCRUAL), and the next subscriber anywhere in the class paid five years' fee. The
    carry never sets the clock further back than it was."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    start = _claimed_at_ten_billion(chain, accounts, fund, alice, "fb")
    chain.pending_timestamp = start + 3
    vault.instantRedeem(10**9 - 1, alice, alice, sender=alice)
    assert fund.share.totalSupply() == 1 and vault.heldFees()[0] == 0
    assert vault.heldFees()[2] >= start, (
        f"the clock went {start - vault.heldFees()[2]:,} s back: the next subscriber pays them"
    )
    chain.pending_timestamp = start + 4
    vault.instantDeposit(usd(10), bob, sender=bob)
    chain.pending_timestamp = start + 5
    tx = vault.accrueFees(sender=bob)
    elapsed = chain.blocks[tx.block_number].timestamp - start
    assert vault.heldFees()[0] <= year_fee(fund.share.totalSupply(), elapsed)


def test_sec_232__anyone_accrues_each_time_the_fee_nears_two_units__charged_in_full(
    chain, accounts, fund_stack
):
    """The outside reads of the fee clock (round 7 R7-3, round 8 M-1): on alice's 1e7 unclaimed
    share units (the stand-in for a 0-decimal class of 10,000 shares accrued every week), bob
    accrues every 600 s, each time the fee is 1.9 units: each minted 1 and moved the clock to
    now, so 100 minutes charged 10 units where 19 were due. The clock now moves by the seconds
    the unit pays for (315 of the 600): the 100 minutes are charged in full."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    fund.charge_management(chain, accounts, "fc")
    _subscribe_at_ten_billion(chain, fund, alice, dollars=0.1)
    unclaimed = vault.unclaimedShares()
    assert unclaimed == 10**7 and fund.share.totalSupply() == 0
    start = vault.heldFees()[2]
    for k in range(1, 11):
        chain.pending_timestamp = start + 600 * k
        vault.accrueFees(sender=bob)
        assert start < vault.heldFees()[2] <= start + 600 * k
    held, _, clock = vault.heldFees()
    due = year_fee(unclaimed, 6_000)
    assert due == 19 and held >= due - 1, f"{held} of {due} units charged for 100 minutes"
    # Nothing charged twice: the fee and the seconds left make up the 100 minutes.
    assert held + year_fee(unclaimed + held, start + 6_000 - clock) <= due + 1


def test_sec_232__anyone_accrues_every_second__fee_neither_raised_nor_cut(
    chain, accounts, fund_stack
):
    """The outside read of the first SEC-232 (round 9, M-1): with the clock moved to the nearest
    second at every mint, an accrual every second on a class whose fee is 2/3 of a unit a second
    minted 1 unit for each (+50%: the fee recipient, or any keeper accruing each block, raised
    the fee by half). Nothing is minted for less than MIN_BILLED (10 minutes): accruals every
    second after the first mint charge nothing more until 10 minutes have passed, and what is
    charged is what is due to the unit."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    fund.charge_management(chain, accounts, "fd")
    _subscribe_at_ten_billion(chain, fund, alice, dollars=21.024)
    unclaimed = vault.unclaimedShares()
    assert unclaimed == 2_102_400_000  # 2/3 of a unit a second at 100 bps
    start = vault.heldFees()[2]
    chain.pending_timestamp = start + MIN_BILLED - 1
    vault.accrueFees(sender=bob)
    assert vault.heldFees()[0] == 0 and vault.heldFees()[2] == start  # under 10 minutes
    for second in range(MIN_BILLED, MIN_BILLED + 30):
        chain.pending_timestamp = start + second
        vault.accrueFees(sender=bob)
    held, _, clock = vault.heldFees()
    assert start + 599 <= clock <= start + 600
    due = year_fee(unclaimed, 629)
    assert year_fee(unclaimed, clock - start) - 1 <= held <= due + 1, (
        f"{held} units charged for {clock - start} s; {due} due for 629 s"
    )


def test_sec_233__anyone_accrues_599_s_before_the_desk_strike__no_second_forfeited(
    chain, accounts, desk_stack
):
    """The outside read of SEC-232's 10-minute floor (round 10, M-1): anyone accrued the desk's
    fee vault 599 s before the cut-off; at the strike the desk's accrual minted nothing (under 10
    minutes) and moved the clock to now, so the 599 s were never charged (16.65% of an hourly
    desk's fee). The desk's accrual moves the clock only when it is 10 minutes old or more: the
    seconds are charged at the next mint."""
    desk = desk_stack
    bob = desk.investors["bob"]
    fee_vault = desk.vaults["DUSD"]
    desk.charge_management(chain, accounts, "fe")
    desk.desk.requestDeposit(desk.coins["DUSD"], usd(1_000_000), bob, sender=bob)
    desk.strike(chain)
    base = fee_vault.unclaimedShares()
    assert base == shares(1_000_000) and desk.share.totalSupply() == 0
    start = fee_vault.heldFees()[2]
    cutoff = desk.cutoff()
    chain.pending_timestamp = cutoff - 599
    fee_vault.accrueFees(sender=bob)
    desk.strike(chain)
    chain.pending_timestamp = chain.blocks.head.timestamp + MIN_BILLED
    fee_vault.accrueFees(sender=bob)
    charged, _, clock = fee_vault.heldFees()
    due = year_fee(base, clock - start)
    assert abs(charged - due) <= year_fee(base, 2), (
        f"charged {charged / SHARE_UNIT:,.6f} fee shares for {clock - start:,} s; "
        f"{due / SHARE_UNIT:,.6f} due"
    )
