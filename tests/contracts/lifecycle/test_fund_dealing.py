"""The FundVault's dealing: periods and cut-offs (LCY-22), cancellation (LCY-23), the redemption
gate with pro-rata carry and the cash bound (LCY-24), the fund's cash (LCY-27) and O(1) strikes
and claims (LCY-28)."""

from fractions import Fraction
from math import floor

import ape
import pytest

from fund_fixtures import DAY, INSTRUMENT_ID, SHARE_UNIT, USD_UNIT
from fund_model import Replica, assets_for

ZERO = "0x" + "00" * 20


def usd(amount):
    return int(Fraction(amount) * USD_UNIT)


def shares(amount):
    return int(Fraction(amount) * SHARE_UNIT)


def nav18(price):
    return int(Fraction(price) * 10**18)


@pytest.fixture
def fund(fund_stack):
    return fund_stack


def subscribe(chain, fund, amounts: dict, price=1):
    """Each investor of `amounts` subscribes and claims its shares at `price`."""
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.requestDeposit(usd(amount), wallet, wallet, sender=wallet)
    fund.strike(chain, price)
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.deposit(usd(amount), wallet, sender=wallet)


# ==================================================================== LCY-22 periods and strikes


def test_strike__before_cutoff__reverts_with_period_cutoff_and_time(chain, fund):
    period, cutoff = fund.vault.dealing()[:2]
    chain.pending_timestamp = cutoff - 600  # well before: blocks follow the wall clock
    fund.report_nav(1)
    with ape.reverts(fund.vault.StrikeBeforeCutoff, period=period, cutoff=cutoff):
        fund.vault.strike(sender=fund.nav_agent)


def test_strike__anyone_but_the_nav_agent__reverts_unauthorized(chain, fund):
    fund.past_cutoff(chain)
    fund.report_nav(1)
    with ape.reverts(fund.vault.AccessManagedUnauthorized):
        fund.vault.strike(sender=fund.investors["alice"])
    with ape.reverts(fund.vault.AccessManagedUnauthorized):
        fund.vault.strike(sender=fund.governor)


def test_strike__after_cutoff__prices_the_period_records_the_checkpoint_and_opens_the_next(
    chain, fund
):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    period, cutoff = vault.dealing()[:2]
    tx = fund.strike(chain, 1.25)
    [log] = tx.decode_logs(vault.PeriodStruck)
    assert (log.period, log.nav18, log.depositAssets, log.depositShares) == (
        period,
        nav18(1.25),
        usd(1_000),
        shares(800),
    )
    assert log.nextCutoff == cutoff + DAY
    assert vault.dealing()[:3] == (period + 1, cutoff + DAY, 0)
    assert vault.strikeOf(period)[0] == nav18(1.25)
    # the NAV source kept the strike as a checkpoint
    assert fund.nav_source.checkpoints(INSTRUMENT_ID, 0).nav18 == nav18(1.25)


def test_strike__days_late__next_cutoff_is_the_first_grid_point_in_the_future(chain, fund):
    cutoff = fund.cutoff()
    chain.pending_timestamp = cutoff + 3 * DAY + 5
    fund.report_nav(1)
    tx = fund.vault.strike(sender=fund.nav_agent)
    assert tx.decode_logs(fund.vault.PeriodStruck)[0].nextCutoff == cutoff + 4 * DAY


def test_request__after_cutoff__joins_the_next_period(chain, fund):
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    vault.requestDeposit(usd(50), bob, bob, sender=bob)
    period = vault.dealing()[0]
    assert vault.dealing()[2] == usd(100) and vault.dealing()[4] == usd(50)
    fund.report_nav(1)
    vault.strike(sender=fund.nav_agent)
    assert vault.maxDeposit(alice) == usd(100)
    assert vault.pendingDepositRequest(0, bob) == usd(50)  # priced at the next strike
    assert vault.dealing()[0] == period + 1 and vault.dealing()[2] == usd(50)
    fund.strike(chain, 2)
    assert vault.maxMint(bob) == shares(25)


def test_request__after_cutoff_while_pending_in_the_open_period__reverts(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    period = vault.dealing()[0]
    fund.past_cutoff(chain)
    with ape.reverts(
        vault.PendingInEarlierPeriod,
        controller=alice.address,
        pendingPeriod=period,
        requestPeriod=period + 1,
    ):
        vault.requestDeposit(usd(100), alice, alice, sender=alice)


def test_request_deposit__after_an_unclaimed_strike__settles_it_and_opens_a_new_request(
    chain, fund
):
    vault, carol = fund.vault, fund.investors["carol"]
    vault.requestDeposit(usd(100), carol, carol, sender=carol)
    fund.strike(chain, 2)
    vault.requestDeposit(usd(300), carol, carol, sender=carol)
    assert vault.maxMint(carol) == shares(50) and vault.maxDeposit(carol) == usd(100)
    assert vault.pendingDepositRequest(0, carol) == usd(300)
    fund.strike(chain, 3)
    assert vault.maxMint(carol) == shares(150) and vault.maxDeposit(carol) == usd(400)


def test_strike__nav_above_the_vault_bound__reverts_nav_out_of_range(chain, fund):
    fund.past_cutoff(chain)
    fund.report_nav(80_000_000_000)  # $8e10 per share: nav18 8e28 > 2^96 - 1
    with ape.reverts(fund.vault.NavOutOfRange, nav18=nav18(80_000_000_000), max=2**96 - 1):
        fund.vault.strike(sender=fund.nav_agent)


def test_requests__instrument_not_dealing__revert_and_strike_is_refused_by_the_source(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    fund.nav_source.setDealing(INSTRUMENT_ID, False, sender=fund.nav_agent)
    with ape.reverts(vault.NotDealing, instrumentId=INSTRUMENT_ID):
        vault.requestDeposit(usd(100), alice, alice, sender=alice)
    with ape.reverts(vault.NotDealing, instrumentId=INSTRUMENT_ID):
        vault.requestRedeem(shares(1), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    fund.report_nav(1)
    with ape.reverts(fund.nav_source.InstrumentNotDealing, instrumentId=INSTRUMENT_ID):
        vault.strike(sender=fund.nav_agent)


def test_governance__gate_and_interval__bounded_and_logged_with_previous_values(fund):
    vault, governor = fund.vault, fund.governor
    tx = vault.setGate(2_500, sender=governor)
    assert tx.decode_logs(vault.GateSet)[0].previousBps == 10_000
    assert vault.gateBps() == 2_500
    with ape.reverts(vault.GateOutOfRange, gateBps=0, max=10_000):
        vault.setGate(0, sender=governor)
    with ape.reverts(vault.GateOutOfRange, gateBps=10_001, max=10_000):
        vault.setGate(10_001, sender=governor)
    tx = vault.setDealingInterval(7 * DAY, sender=governor)
    [log] = tx.decode_logs(vault.DealingIntervalSet)
    assert (log.previous, log.next) == (DAY, 7 * DAY)
    with ape.reverts(vault.IntervalOutOfRange, interval=60, min=3_600, max=366 * DAY):
        vault.setDealingInterval(60, sender=governor)
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.setGate(5_000, sender=fund.nav_agent)


# ==================================================================== LCY-23 cancellation


def test_cancel_deposit__before_cutoff__returns_the_assets_to_the_receiver(chain, fund):
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    vault.requestDeposit(usd(700), alice, alice, sender=alice)
    before = fund.usdc.balanceOf(bob)
    tx = vault.cancelDepositRequest(alice, bob, sender=alice)
    assert tx.return_value == usd(700)
    [log] = tx.decode_logs(vault.DepositRequestCancelled)
    assert (log.controller, log.receiver, log.assets) == (alice.address, bob.address, usd(700))
    assert fund.usdc.balanceOf(bob) == before + usd(700)
    assert vault.pendingDepositRequest(0, alice) == 0 and vault.dealing()[2] == 0
    with ape.reverts(vault.NothingPending, controller=alice.address):
        vault.cancelDepositRequest(alice, alice, sender=alice)


def test_cancel__after_cutoff__reverts_cutoff_passed_and_the_request_is_struck(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    subscribe(chain, fund, {"alice": 1_000})
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    vault.requestRedeem(shares(100), alice, alice, sender=alice)
    period, cutoff = vault.dealing()[:2]
    chain.pending_timestamp = cutoff
    chain.mine()
    with ape.reverts(vault.CutoffPassed, period=period, cutoff=cutoff):
        vault.cancelDepositRequest(alice, alice, sender=alice)
    with ape.reverts(vault.CutoffPassed, period=period, cutoff=cutoff):
        vault.cancelRedeemRequest(alice, alice, sender=alice)


def test_cancel__late_request__allowed_after_the_open_periods_cutoff(chain, fund):
    vault, bob = fund.vault, fund.investors["bob"]
    fund.past_cutoff(chain)
    vault.requestDeposit(usd(100), bob, bob, sender=bob)
    assert vault.dealing()[4] == usd(100)
    vault.cancelDepositRequest(bob, bob, sender=bob)
    assert vault.dealing()[4] == 0


def test_cancel__instrument_wound_up__allowed_after_the_cutoff(chain, fund):
    """Matured or closed (no strike can come): a request of a cut-off period is refunded; merely
    suspended it is not (SEC-134, test_fund_findings.py)."""
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    fund.nav_source.setWoundUp(INSTRUMENT_ID, True, sender=alice)
    assert vault.cancelDepositRequest(alice, alice, sender=alice).return_value == usd(100)


def test_cancel_redeem__carried_request__returns_the_pending_part_served_part_stays_claimable(
    chain, fund
):
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    subscribe(chain, fund, {"alice": 1_000, "bob": 9_000})
    vault.setGate(1_000, sender=fund.governor)  # 1,000 of 10,000 shares per period
    vault.requestRedeem(shares(1_000), alice, alice, sender=alice)
    vault.requestRedeem(shares(1_000), bob, bob, sender=bob)
    fund.strike(chain, 1)  # r = 1/2
    pending = vault.pendingRedeemRequest(0, alice)
    assert pending == shares(500)
    held = fund.share.balanceOf(alice)
    tx = vault.cancelRedeemRequest(alice, alice, sender=alice)
    assert tx.return_value == pending
    assert fund.share.balanceOf(alice) == held + pending  # a rule-checked transfer back
    assert vault.maxRedeem(alice) == shares(500) and vault.maxWithdraw(alice) == usd(500)
    assert vault.pendingRedeemRequest(0, alice) == 0
    assert vault.dealing()[3] == shares(500)  # bob's carried half only
    assert fund.share.balanceOf(vault) == vault.dealing()[3]  # escrow == the queue


# ==================================================================== LCY-24 gate and carry


def test_gate__three_periods__carried_pro_rata_to_exact_amounts_and_nobody_starves(chain, fund):
    vault, governor = fund.vault, fund.governor
    alice, bob, carol = (fund.investors[x] for x in ("alice", "bob", "carol"))
    subscribe(chain, fund, {"alice": 1_000, "bob": 3_000, "carol": 6_000})
    vault.setGate(1_000, sender=governor)  # 10% of the share supply per period
    replica = Replica()
    replica.strike(0, 0, nav18(1))  # period 1: subscriptions only
    first = vault.dealing()[0]

    vault.requestRedeem(shares(600), alice, alice, sender=alice)
    vault.requestRedeem(shares(1_200), bob, bob, sender=bob)
    fund.strike(chain, Fraction(11, 10))  # P 1,800, gate 1,000: r = 5/9
    replica.strike(shares(1_800), shares(1_000), nav18(1.1))
    assert vault.pendingRedeemRequest(0, alice) == replica.request(shares(600), first)[0]
    assert vault.pendingRedeemRequest(0, alice) == floor(shares(600) * Fraction(4, 9))
    assert fund.share.totalSupply() == shares(9_000)

    vault.requestRedeem(shares(900), carol, carol, sender=carol)
    pending = shares(1_800) - shares(1_000) + shares(900)
    assert vault.dealing()[3] == pending  # 800 carried + 900 new
    fund.strike(chain, Fraction(12, 10))  # gate 900 of 9,000: r = 9/17
    replica.strike(pending, shares(900), nav18(1.2))

    fund.strike(chain, Fraction(9, 10))  # P 800, gate 810: cleared, a new era
    replica.strike(pending - shares(900), pending - shares(900), nav18(0.9))
    assert vault.strikeOf(first + 2)[3] == 1  # era

    r1, r2 = Fraction(5, 9), Fraction(9, 17)
    exact = {
        "alice": 600
        * (r1 * Fraction(11, 10) + (1 - r1) * (r2 * Fraction(12, 10) + (1 - r2) * Fraction(9, 10))),
        "bob": 1_200
        * (r1 * Fraction(11, 10) + (1 - r1) * (r2 * Fraction(12, 10) + (1 - r2) * Fraction(9, 10))),
        "carol": 900 * (r2 * Fraction(12, 10) + (1 - r2) * Fraction(9, 10)),
    }
    entries = {"alice": (600, first), "bob": (1_200, first), "carol": (900, first + 1)}
    for label, wallet in (("alice", alice), ("bob", bob), ("carol", carol)):
        size, entry = entries[label]
        assert vault.pendingRedeemRequest(0, wallet) == 0  # nobody starves
        assert vault.maxRedeem(wallet) == shares(size)
        remaining, nav_shares = replica.request(shares(size), entry)
        expected = assets_for(nav_shares, USD_UNIT, SHARE_UNIT)
        assert vault.maxWithdraw(wallet) == expected  # the contract, to the unit
        # never above the exact amount, and within two base units of it
        assert expected <= exact[label] * USD_UNIT < expected + 2
    # the reserve covers every claim
    total = sum(vault.maxWithdraw(w) for w in (alice, bob, carol))
    assert total <= vault.reservedAssets() <= total + 8
    for wallet in (alice, bob, carol):
        vault.redeem(vault.maxRedeem(wallet), wallet, wallet, sender=wallet)
    assert vault.reservedAssets() <= 8 and fund.share.balanceOf(vault) == 0


def test_gate__adding_to_a_carried_request__settles_it_then_re_enters_what_remains(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    subscribe(chain, fund, {"alice": 2_000, "bob": 8_000})
    vault.setGate(500, sender=fund.governor)  # 500 of 10,000
    vault.requestRedeem(shares(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1)  # r = 1/2
    vault.requestRedeem(shares(500), alice, alice, sender=alice)
    assert vault.maxRedeem(alice) == shares(500)  # the served half moved to the claim
    assert vault.pendingRedeemRequest(0, alice) == shares(1_000)  # 500 carried + 500 new
    fund.strike(chain, 1)  # gate 475 of 9,500: r = 475/1000
    expected = floor(shares(1_000) * Fraction(525, 1_000))
    assert expected - 1 <= vault.pendingRedeemRequest(0, alice) <= expected


def test_strike__little_free_cash__fulfils_what_the_cash_buys_and_reserves_it(chain, fund):
    vault = fund.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    subscribe(chain, fund, {"alice": 5_000, "bob": 5_000})
    vault.investCash(usd(9_700), sender=fund.fund_manager)  # $300 left free
    assert vault.freeCash() == usd(300)
    vault.requestRedeem(shares(1_000), alice, alice, sender=alice)
    vault.requestRedeem(shares(1_000), bob, bob, sender=bob)
    tx = fund.strike(chain, 1.5)  # $300 buys 200 shares at $1.50
    [log] = tx.decode_logs(vault.PeriodStruck)
    assert (log.pendingShares, log.fulfilledShares, log.reservedAssets) == (
        shares(2_000),
        shares(200),
        usd(300),
    )
    assert vault.reservedAssets() == usd(300) and vault.freeCash() == 0
    assert vault.maxWithdraw(alice) == usd(150)
    # 9/10 has no exact binary fixed point: the carried part is rounded down, by one unit here
    assert vault.pendingRedeemRequest(0, alice) == shares(900) - 1
    # cash back: the next strike serves more
    fund.usdc.approve(vault, usd(3_000), sender=fund.custodian)
    vault.returnCash(usd(3_000), sender=fund.custodian)
    fund.strike(chain, 1.5)
    assert vault.pendingRedeemRequest(0, alice) == 0
    assert usd(1_500) - 1 <= vault.maxWithdraw(alice) <= usd(1_500)


# ==================================================================== LCY-27 cash


def test_invest_cash__only_free_cash__to_the_custodian_reserved_and_pending_never_leave(
    chain, fund
):
    vault, manager = fund.vault, fund.fund_manager
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    subscribe(chain, fund, {"alice": 1_000})
    vault.requestRedeem(shares(400), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.requestDeposit(usd(250), bob, bob, sender=bob)  # pending: bob's money
    # balance 1,250 = 250 pending + 400 reserved + 600 free
    assert vault.freeCash() == usd(600) and vault.reservedAssets() == usd(400)
    with ape.reverts(vault.InsufficientFreeCash, requested=usd(600) + 1, free=usd(600)):
        vault.investCash(usd(600) + 1, sender=manager)
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.investCash(usd(1), sender=fund.nav_agent)
    tx = vault.investCash(usd(600), sender=manager)
    [log] = tx.decode_logs(vault.CashInvested)
    assert (log.custodian, log.assets, log.freeCashAfter) == (fund.custodian.address, usd(600), 0)
    assert fund.usdc.balanceOf(vault) == usd(650)
    vault.redeem(shares(400), alice, alice, sender=alice)  # the reserve still pays
    assert vault.cancelDepositRequest(bob, bob, sender=bob).return_value == usd(250)
    assert fund.usdc.balanceOf(vault) == 0


def test_invest_cash__no_custodian__reverts(chain, fund):
    fund.vault.setCustodian(ZERO, sender=fund.governor)
    with ape.reverts(fund.vault.NoCustodian):
        fund.vault.investCash(0, sender=fund.fund_manager)


# ==================================================================== LCY-28 O(1)


def _controllers(fund, count, chain):
    """`count` verified controllers (registered in batches) for requests made by one owner."""
    wallets = [f"0x{0xC0DE0000 + i:040x}" for i in range(count)]
    for start in range(0, count, 100):
        batch = wallets[start : start + 100]
        fund.registry.batchRegisterIdentity(
            batch,
            [f"0x{0xD0D00000 + start + i:040x}" for i in range(len(batch))],
            [840] * len(batch),
            sender=fund.operator,
        )
    return wallets


def _strike_gas(chain, fund, requests: int) -> int:
    """A gated strike with `requests` deposit and `requests` redemption requests pending, each of
    its own controller, all made by one owner (after a first strike that left a carried queue)."""
    vault, owner = fund.vault, fund.investors["bob"]
    subscribe(chain, fund, {"bob": 100_000})
    vault.setGate(100, sender=fund.governor)  # 1% of the supply
    vault.requestRedeem(shares(5_000), owner, owner, sender=owner)
    fund.strike(chain, 1)  # a carried queue: every later strike writes the same slots
    controllers = _controllers(fund, requests, chain)
    for controller in controllers:
        vault.requestDeposit(usd(10), controller, owner, sender=owner)
        vault.requestRedeem(shares(1), controller, owner, sender=owner)
    return fund.strike(chain, 1.01).gas_used


def test_strike__1_or_60_pending_requests__costs_the_same_gas(chain, fund):
    from isolation import isolated

    with isolated(chain):
        one = _strike_gas(chain, fund, 1)
    with isolated(chain):
        many = _strike_gas(chain, fund, 60)
    assert abs(one - many) <= one // 100, (one, many)


def _claim_gas(chain, fund, periods: int) -> int:
    """Alice's redemption claim after `periods` strikes of a queue carried at 0.1% per period
    (bob's request in the queue keeps the reserve from being emptied: no refund in either)."""
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    subscribe(chain, fund, {"alice": 10_000, "bob": 90_000})
    vault.setGate(10, sender=fund.governor)
    vault.requestRedeem(shares(10_000), alice, alice, sender=alice)
    vault.requestRedeem(shares(10_000), bob, bob, sender=bob)
    for _ in range(periods):
        fund.strike(chain, 1)
    return vault.redeem(vault.maxRedeem(alice), alice, alice, sender=alice).gas_used


def test_redeem_claim__after_1_or_12_carried_periods__costs_the_same_gas(chain, fund):
    from isolation import isolated

    with isolated(chain):
        one = _claim_gas(chain, fund, 1)
    with isolated(chain):
        twelve = _claim_gas(chain, fund, 12)
    assert abs(one - twelve) <= one // 50, (one, twelve)


def test_gate__queue_carried_through_two_rescales__claims_match_the_replica_and_the_exact_share(
    chain, fund
):
    """Strikes that each leave a millionth of a share of a million-share queue (1 - r = 1e-12):
    the running product falls below 2^63 twice (two rescales); requests entered before, between
    and after them are paid what the integer replica computes, never above their exact share."""
    vault, custodian = fund.vault, fund.custodian
    labels = ("alice", "bob", "carol", "dave", "erin")
    subscribe(chain, fund, dict.fromkeys(labels, 1_000_000))  # 5M shares at $1
    replica = Replica()
    replica.strike(0, 0, nav18(1))
    vault.investCash(vault.freeCash(), sender=fund.fund_manager)  # all cash out
    fund.usdc.approve(vault, 2**256 - 1, sender=custodian)
    entries, exact, pending = {}, {}, 0
    rest = shares(Fraction(1, 10**6))  # one millionth of a share: 10^12 units, $0.000001

    def request(label):
        nonlocal pending
        wallet = fund.investors[label]
        vault.requestRedeem(shares(1_000_000), wallet, wallet, sender=wallet)
        entries[label] = vault.dealing()[0]
        exact[label] = {"pending": Fraction(shares(1_000_000)), "earned": Fraction(0)}
        pending += shares(1_000_000)

    def strike_leaving(rest_units):
        nonlocal pending
        fulfilled = pending - rest_units
        vault.returnCash(fulfilled // 10**12, sender=custodian)  # $1 buys 10^18 units
        log = fund.strike(chain, 1).decode_logs(vault.PeriodStruck)[0]
        assert (log.pendingShares, log.fulfilledShares) == (pending, fulfilled)
        replica.strike(pending, fulfilled, nav18(1))
        for state in exact.values():
            served = state["pending"] * Fraction(fulfilled, pending)
            state["earned"] += served * 10**18
            state["pending"] -= served
        pending -= fulfilled

    request("alice")
    strike_leaving(rest)  # C ~ 2^127 * 1e-12 ~ 2^87
    request("bob")
    strike_leaving(rest)  # C ~ 2^47: rescaled (scale 1)
    assert vault.strikeOf(entries["bob"])[4] == 1
    request("carol")
    strike_leaving(rest)  # ~ 2^71
    request("dave")
    strike_leaving(rest)  # ~ 2^31: rescaled (scale 2)
    assert vault.strikeOf(entries["dave"])[4] == 2
    for label, entry in entries.items():
        wallet = fund.investors[label]
        remaining, nav_shares = replica.request(shares(1_000_000), entry)
        assert vault.pendingRedeemRequest(0, wallet) == remaining <= exact[label]["pending"]
        assets = assets_for(nav_shares, USD_UNIT, SHARE_UNIT)
        assert vault.maxWithdraw(wallet) == assets
        owed = exact[label]["earned"] * USD_UNIT / (SHARE_UNIT * 10**18)
        assert assets <= owed < assets + 2
    # alice entered two rescales ago: what is left of her (below 2^-64 of it) counts as served
    assert vault.pendingRedeemRequest(0, fund.investors["alice"]) == 0
    assert exact["alice"]["pending"] < shares(1_000_000) / 2**64
    total = sum(vault.maxWithdraw(fund.investors[x]) for x in entries)
    assert total <= vault.reservedAssets()
