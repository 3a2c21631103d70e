"""LCY-50 to LCY-56: the FeeSchedule (bounded, timelocked, logged fee terms; tiers by identity;
previewFee) and the FundVault's fees and instant liquidity (docs/lifecycle.md, Fees)."""

from fractions import Fraction
from math import ceil

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US
from conftest import GOVERNOR, GOVERNOR_DELAY
from fund_fixtures import SHARE_UNIT, USD_UNIT, fresh_account, identity_for
from isolation import isolated
from keepers.access import ROLE_IDS
from keepers.access.protocol import FUNCTION_ROLES, selectors
from words import FEE_LEDGER, INSTANT

ZERO = "0x" + "00" * 20
SUBSCRIPTION, REDEMPTION, INSTANT_SUBSCRIPTION, INSTANT_REDEMPTION = range(4)
BPS = 10_000
YEAR = 365 * 86_400


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


def fee_of(amount, rate_bps_x_bps, discount_bps=0):
    """The documented formula: ceil(amount * rate * (BPS - discount) / BPS^3), rate in bps x BPS."""
    return ceil(Fraction(amount * rate_bps_x_bps * (BPS - discount_bps), BPS**3))


class Fees:
    def __init__(self, fund, schedule, recipient):
        self.fund, self.schedule, self.recipient = fund, schedule, recipient

    def terms(self, sub=0, red=0, inst=0, urg=0, mgmt=0, tiers=(), recipient=None):
        return (sub, red, inst, urg, mgmt, recipient or self.recipient.address, list(tiers))

    def set(self, **kwargs):
        return self.schedule.setFeeSchedule(
            self.fund.vault, self.terms(**kwargs), sender=self.fund.governor
        )

    def held(self):
        return self.fund.vault.heldFees()


@pytest.fixture
def fees(chain, accounts, fund_stack):
    """The fund stack's vault with its FeeSchedule and a registered fee recipient."""
    recipient = fresh_account(accounts, chain)
    fund_stack.registry.registerInvestor(
        recipient, "0x" + "fe" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund_stack.operator
    )
    schedule = fund_stack.deployment.at("FeeSchedule")
    assert fund_stack.vault.feeSchedule() == schedule.address
    return Fees(fund_stack, schedule, recipient)


def open_instant(chain, fund, limit_usd, price=1, cash_usd=0):
    """Strikes period 1 at `price`, sets the instant limit, brings `cash_usd` of free cash."""
    fund.strike(chain, price)
    fund.vault.setInstantLimit(usd(limit_usd), sender=fund.governor)
    if cash_usd:
        fund.vault.returnCash(usd(cash_usd), sender=fund.investors["erin"])


# ---------------------------------------------------------------- LCY-50: bounds, logged


def test_set_fee_schedule__above_maximum_or_step__reverts_with_field_and_numbers(fees):
    schedule, vault, gov = fees.schedule, fees.fund.vault, fees.fund.governor
    with ape.reverts(schedule.FeeAboveMaximum, field=0, bps=501, maxBps=500):
        schedule.setFeeSchedule(vault, fees.terms(sub=501), sender=gov)
    with ape.reverts(schedule.FeeAboveMaximum, field=4, bps=301, maxBps=300):
        schedule.setFeeSchedule(vault, fees.terms(mgmt=301), sender=gov)
    with ape.reverts(schedule.FeeIncreaseTooLarge, field=2, previousBps=0, bps=101):
        schedule.setFeeSchedule(vault, fees.terms(inst=101), sender=gov)
    fees.set(sub=100)
    with ape.reverts(schedule.FeeIncreaseTooLarge, field=0, previousBps=100, bps=201):
        schedule.setFeeSchedule(vault, fees.terms(sub=201), sender=gov)
    fees.set(sub=200)  # two steps of 100 reach it
    fees.set(sub=0)  # lowering is not bounded
    assert schedule.termsOf(vault).subscriptionBps == 0


def test_set_fee_schedule__bad_tiers_or_no_recipient__reverts_with_context(fees):
    schedule, vault, gov = fees.schedule, fees.fund.vault, fees.fund.governor
    with ape.reverts(schedule.TooManyTiers, count=5, max=4):
        schedule.setFeeSchedule(
            vault, fees.terms(tiers=[(i + 1, 10 + i) for i in range(5)]), sender=gov
        )
    with ape.reverts(schedule.TiersNotIncreasing, index=1, minVolume=100, previousMinVolume=100):
        schedule.setFeeSchedule(vault, fees.terms(tiers=[(100, 10), (100, 20)]), sender=gov)
    with ape.reverts(schedule.TiersNotIncreasing, index=0, minVolume=0, previousMinVolume=0):
        schedule.setFeeSchedule(vault, fees.terms(tiers=[(0, 10)]), sender=gov)
    with ape.reverts(
        schedule.TierDiscountOutOfBounds, index=0, discountBps=7_501, minBps=1, maxBps=7_500
    ):
        schedule.setFeeSchedule(vault, fees.terms(tiers=[(100, 7_501)]), sender=gov)
    with ape.reverts(
        schedule.TierDiscountOutOfBounds, index=1, discountBps=10, minBps=20, maxBps=7_500
    ):
        schedule.setFeeSchedule(vault, fees.terms(tiers=[(100, 20), (200, 10)]), sender=gov)
    with ape.reverts(schedule.NoRecipient, vault=vault.address):
        schedule.setFeeSchedule(vault, fees.terms(sub=1, recipient=ZERO), sender=gov)


def test_set_fee_schedule__logs_previous_and_next_terms_and_reads_back(fees):
    schedule, vault = fees.schedule, fees.fund.vault
    first = fees.terms(sub=10, red=20, inst=30, urg=40, mgmt=50, tiers=[(usd(1_000), 100)])
    tx = schedule.setFeeSchedule(vault, first, sender=fees.fund.governor)
    [log] = tx.decode_logs(schedule.FeeScheduleSet)
    assert log.vault == vault.address
    assert list(log.previous)[:5] == [0] * 5 and log.previous[5] == ZERO
    assert list(log.next)[:5] == [10, 20, 30, 40, 50]
    second = fees.terms(sub=5, tiers=[(usd(1_000), 100), (usd(5_000), 200)])
    tx = schedule.setFeeSchedule(vault, second, sender=fees.fund.governor)
    [log] = tx.decode_logs(schedule.FeeScheduleSet)
    assert list(log.previous)[:5] == [10, 20, 30, 40, 50]
    assert [tuple(t) for t in log.previous[6]] == [(usd(1_000), 100)]
    assert [tuple(t) for t in log.next[6]] == [(usd(1_000), 100), (usd(5_000), 200)]
    terms = schedule.termsOf(vault)
    assert list(terms)[:5] == [5, 0, 0, 0, 0] and terms[5] == fees.recipient.address
    assert [tuple(t) for t in terms[6]] == [(usd(1_000), 100), (usd(5_000), 200)]


# ---------------------------------------------------------------- LCY-51: timelock


def test_set_fee_schedule__governor_with_delay__scheduled_then_executed_after_it(
    chain, accounts, deployer, fees
):
    schedule, vault, manager = fees.schedule, fees.fund.vault, fees.fund.manager
    slow = fresh_account(accounts, chain)
    manager.grantRole(GOVERNOR, slow, GOVERNOR_DELAY, sender=deployer)
    data = schedule.setFeeSchedule.encode_input(vault, fees.terms(sub=25))
    with ape.reverts(manager.AccessManagerNotScheduled):
        schedule.setFeeSchedule(vault, fees.terms(sub=25), sender=slow)
    tx = manager.schedule(schedule, data, 0, sender=slow)
    op = tx.decode_logs(manager.OperationScheduled)[0].operationId
    with ape.reverts(manager.AccessManagerNotReady, operationId=op):
        manager.execute(schedule, data, sender=slow)
    chain.pending_timestamp += GOVERNOR_DELAY
    tx = manager.execute(schedule, data, sender=slow)
    [log] = tx.decode_logs(schedule.FeeScheduleSet)
    assert log.previous[0] == 0 and log.next[0] == 25
    assert schedule.termsOf(vault).subscriptionBps == 25


def test_set_fee_schedule__not_governor__reverts_unauthorized(fees):
    with ape.reverts(fees.schedule.AccessManagedUnauthorized):
        fees.schedule.setFeeSchedule(
            fees.fund.vault, fees.terms(sub=1), sender=fees.fund.investors["alice"]
        )


# ---------------------------------------------------------------- LCY-52: tiers by identity


def test_tiers__by_identity_volume_two_wallets_share_one_tier(chain, accounts, fees):
    fund, schedule, vault = fees.fund, fees.schedule, fees.fund.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    alice2 = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        alice2, identity_for("alice"), US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    fund.fund(alice2)
    fees.set(sub=10, inst=20, tiers=[(usd(10_000), 5_000)])
    open_instant(chain, fund, 1_000_000)
    first = vault.instantDeposit(usd(10_000), alice, sender=alice)
    second = vault.instantDeposit(usd(10_000), alice2, sender=alice2)
    other = vault.instantDeposit(usd(10_000), bob, sender=bob)
    fee = [tx.decode_logs(vault.InstantDeposit)[0].fee for tx in (first, second, other)]
    assert fee == [usd(30), usd(15), usd(30)]  # 30 bps; alice's identity reached the tier
    [log] = second.decode_logs(schedule.FeeCharged)
    assert (log.identity.lower(), log.investor, log.discountBps, log.volume) == (
        identity_for("alice"),
        alice2.address,
        5_000,
        usd(20_000),
    )
    assert schedule.volumeOf(vault, identity_for("alice")) == usd(20_000)
    assert schedule.discountOf(vault, alice) == schedule.discountOf(vault, alice2) == 5_000
    assert schedule.discountOf(vault, bob) == 5_000  # bob reached 10,000 with this deposit
    assert schedule.identityOf(fund.investors["carol"]).lower() == identity_for("carol")


# ---------------------------------------------------------------- LCY-53: preview == charged


def test_claims__subscription_and_redemption_fees__preview_equals_charged_and_held(chain, fees):
    fund, schedule, vault = fees.fund, fees.schedule, fees.fund.vault
    alice = fund.investors["alice"]
    fees.set(sub=50, red=40)
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1.25)
    preview = schedule.previewFee(vault, SUBSCRIPTION, alice, usd(1_000), 0)
    assert preview == fee_of(usd(1_000), 50 * BPS) == usd(5)
    tx = vault.deposit(usd(1_000), alice, sender=alice)
    [charged] = tx.decode_logs(schedule.FeeCharged)
    assert charged.fee == preview
    fee_shares = ceil(Fraction(shares(800) * preview, usd(1_000)))  # the fee's part, rounded up
    assert tx.return_value == shares(800) - fee_shares == fund.share.balanceOf(alice)
    assert fees.held()[:2] == (fee_shares, 0)
    [held] = tx.decode_logs(vault.SubscriptionFeeHeld)
    assert (held.controller, held.assets, held.shares) == (alice.address, preview, fee_shares)
    [deposit] = tx.decode_logs(vault.Deposit)  # the struck shares: the receiver's and the fee's
    assert deposit.shares + held.shares == shares(800)

    vault.requestRedeem(shares(400), alice, alice, sender=alice)
    fund.strike(chain, 1.25)
    preview = schedule.previewFee(vault, REDEMPTION, alice, usd(500), 0)
    assert preview == fee_of(usd(500), 40 * BPS) == usd(2)
    before = fund.usdc.balanceOf(alice)
    tx = vault.redeem(shares(400), alice, alice, sender=alice)
    assert tx.decode_logs(schedule.FeeCharged)[0].fee == preview
    assert tx.return_value == usd(500) - preview == fund.usdc.balanceOf(alice) - before
    assert fees.held()[:2] == (fee_shares, preview)
    assert vault.freeCash() == usd(1_000) - usd(500)  # the fee cash is not the fund's


def test_instant_deposit__at_last_nav_less_fee__preview_equals_charged(chain, fees):
    fund, schedule, vault = fees.fund, fees.schedule, fees.fund.vault
    alice = fund.investors["alice"]
    fees.set(sub=10, inst=20)
    open_instant(chain, fund, 1_000_000, price=1.25)
    preview = schedule.previewFee(vault, INSTANT_SUBSCRIPTION, alice, usd(10_000), 0)
    free = vault.freeCash()
    tx = vault.instantDeposit(usd(10_000), alice, sender=alice)
    [log] = tx.decode_logs(vault.InstantDeposit)
    assert log.fee == preview == usd(30)
    assert log.shares == tx.return_value == 7_976 * SHARE_UNIT  # $9,970 at $1.25
    assert fund.share.balanceOf(alice) == log.shares
    assert vault.freeCash() == free + usd(10_000) - usd(30)
    assert fees.held()[1] == usd(30)
    assert vault.instantLiquidity() == (usd(1_000_000), usd(10_000), 0)


# ---------------------------------------------------------------- LCY-54: instant liquidity


def test_instant_redeem__urgency_premium_rises_with_utilisation_up_to_the_limit(chain, fees):
    fund, schedule, vault = fees.fund, fees.schedule, fees.fund.vault
    alice = fund.investors["alice"]
    fees.set(red=10, inst=20, urg=100)
    open_instant(chain, fund, 100_000, cash_usd=500_000)
    vault.instantDeposit(usd(100_000), alice, sender=alice)
    paid = []
    # Charged on the mean utilisation over each redemption (SEC-127): 0 -> 25% and 25% -> 50%.
    for utilisation_bps in (1_250, 3_750):
        rate = 30 * BPS + 100 * utilisation_bps
        preview = schedule.previewFee(
            vault, INSTANT_REDEMPTION, alice, usd(25_000), utilisation_bps
        )
        assert preview == fee_of(usd(25_000), rate)
        tx = vault.instantRedeem(shares(25_000), alice, alice, sender=alice)
        [log] = tx.decode_logs(vault.InstantRedeem)
        assert (log.assets, log.fee) == (usd(25_000), preview)
        assert tx.return_value == usd(25_000) - preview
        paid.append(preview)
    assert paid == [usd(106.25), usd(168.75)]  # 42.5 then 67.5 bps: the premium rises
    assert vault.instantLiquidity()[2] == usd(50_000)
    with ape.reverts(vault.InstantLimitExceeded, requested=usd(60_000), available=usd(50_000)):
        vault.instantRedeem(shares(60_000), alice, alice, sender=alice)
    # 99,800 bought ($100,000 less 20 bps), 50,000 burned through the token
    assert fund.share.balanceOf(alice) == shares(49_800)


def test_instant__before_first_strike_after_cutoff_or_beyond_free_cash__refused(chain, fees):
    fund, vault = fees.fund, fees.fund.vault
    alice = fund.investors["alice"]
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)
    with ape.reverts(vault.NoStruckNav):
        vault.instantDeposit(usd(1_000), alice, sender=alice)
    fund.strike(chain, 1)
    vault.instantDeposit(usd(1_000), alice, sender=alice)
    vault.investCash(1, sender=fund.fund_manager)
    with ape.reverts(vault.InsufficientFreeCash, requested=usd(1_000), free=usd(1_000) - 1):
        vault.instantRedeem(shares(1_000), alice, alice, sender=alice)
    period, cutoff = vault.dealing()[:2]
    fund.past_cutoff(chain)
    with ape.reverts(vault.CutoffPassed, period=period, cutoff=cutoff):
        vault.instantDeposit(usd(1_000), alice, sender=alice)
    vault.setInstantLimit(0, sender=fund.governor)
    fund.strike(chain, 1)
    with ape.reverts(vault.InstantLimitExceeded, requested=usd(1_000), available=0):
        vault.instantDeposit(usd(1_000), alice, sender=alice)


def test_instant_redeem__not_owner_or_operator__reverts(chain, fees):
    fund, vault = fees.fund, fees.fund.vault
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    open_instant(chain, fund, 1_000_000)
    vault.instantDeposit(usd(1_000), alice, sender=alice)
    with ape.reverts(vault.NotOwnerOrOperator, sender=bob.address, owner=alice.address):
        vault.instantRedeem(shares(1_000), bob, alice, sender=bob)


# ---------------------------------------------------------------- LCY-55: management fee


def test_management_fee__accrued_per_second_at_the_strike_and_collected(chain, fees):
    fund, vault = fees.fund, fees.fund.vault
    alice = fund.investors["alice"]
    open_instant(chain, fund, 1_000_000)
    vault.instantDeposit(usd(100_000), alice, sender=alice)
    tx = fees.set(mgmt=100)  # accrues at the old rate (0) up to now
    start = chain.blocks[tx.block_number].timestamp
    assert fees.held()[2] == start
    base = fund.share.totalSupply()
    tx = fund.strike(chain, 1)
    elapsed = chain.blocks[tx.block_number].timestamp - start
    [log] = tx.decode_logs(vault.ManagementFeeAccrued)
    expected = base * 100 * elapsed // (BPS * YEAR - 100 * elapsed)
    assert expected > 0 and log.shares == expected
    assert fees.held()[:3:2] == (expected, chain.blocks[tx.block_number].timestamp)
    tx = vault.collectFees(sender=fund.investors["bob"])  # anyone; only the recipient is paid
    [log] = tx.decode_logs(vault.FeesCollected)
    assert (log.recipient, log.shares, log.assets) == (fees.recipient.address, expected, 0)
    assert fund.share.balanceOf(fees.recipient) == expected
    assert fees.held()[:2] == (0, 0)


def test_collect_fees__no_recipient__reverts(fees):
    with ape.reverts(fees.fund.vault.NoFeeRecipient):
        fees.fund.vault.collectFees(sender=fees.fund.investors["bob"])


# ---------------------------------------------------------------- LCY-56: conservation


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    price_cents=st.integers(50, 400),
    rates=st.tuples(*(st.integers(0, 100) for _ in range(4))),
    amount=st.integers(usd(1), usd(50_000)),
    redeem_fraction=st.fractions(0, 1),
)
def test_instant_round_trip__no_value_created_by_rounding(
    chain, fees, price_cents, rates, amount, redeem_fraction
):
    fund, vault = fees.fund, fees.fund.vault
    alice = fund.investors["alice"]
    sub, red, inst, urg = rates
    with isolated(chain):
        fees.set(sub=sub, red=red, inst=inst, urg=urg)
        open_instant(chain, fund, 100_000, price=price_cents / 100, cash_usd=100_000)
        nav = Fraction(price_cents, 100)
        balance, held = fund.usdc.balanceOf(vault), fees.held()[1]
        tx = vault.instantDeposit(amount, alice, sender=alice)
        [log] = tx.decode_logs(vault.InstantDeposit)
        exact_fee_in = Fraction(amount * (sub + inst), BPS)
        assert exact_fee_in <= log.fee < exact_fee_in + 1  # rounded up, by less than a unit
        exact_shares = (amount - exact_fee_in) / nav * Fraction(SHARE_UNIT, USD_UNIT)
        assert log.shares <= exact_shares  # never more than the net buys
        redeemed = int(log.shares * redeem_fraction)
        gross = int(redeemed * nav * USD_UNIT / SHARE_UNIT)
        paid = fee_out = 0
        if gross:
            tx = vault.instantRedeem(redeemed, alice, alice, sender=alice)
            [out] = tx.decode_logs(vault.InstantRedeem)
            assert out.assets == gross  # floor of the shares' value at the NAV
            # The mean utilisation over the redemption, from none (SEC-127), rounded up.
            utilisation = ceil(Fraction(gross * BPS, 2 * usd(100_000)))
            exact_fee_out = Fraction(gross * ((red + inst) * BPS + urg * utilisation), BPS**2)
            assert exact_fee_out <= out.fee < exact_fee_out + 1
            paid, fee_out = tx.return_value, out.fee
        # The investor gets back at most what it paid less the exact fees; the vault's cash moved
        # by exactly what came in less what went out, the fees all held for the recipient.
        value_left = fund.share.balanceOf(alice) * nav * USD_UNIT / SHARE_UNIT
        assert paid + value_left <= amount - exact_fee_in
        assert fund.usdc.balanceOf(vault) - balance == amount - paid
        assert fees.held()[1] - held == log.fee + fee_out


def test_deploy_step__fee_schedule_and_instant_limit_wired_to_governor(fees):
    fund, schedule, manager = fees.fund, fees.schedule, fees.fund.manager
    for contract, name in ((schedule, "FeeSchedule"), (fund.vault, "FundVault")):
        for role, functions in FUNCTION_ROLES[name].items():
            for selector in selectors(contract.contract_type, functions):
                assert manager.getTargetFunctionRole(contract, selector) == ROLE_IDS[role]
    # `charge` (each vault's own ledger), `accrueFees` and `collectFees` are anyone's.
    open_functions = ("charge",)
    for selector in selectors(schedule.contract_type, open_functions):
        assert manager.getTargetFunctionRole(schedule, selector) == ROLE_IDS["ADMIN"]
    assert schedule.identities() == fund.registry.address


# ---------------------------------------------------------------- LCY-57: the fee words

U16, U32, U40, U96 = 2**16 - 1, 2**32 - 1, 2**40 - 1, 2**96 - 1


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from([0, 2**256 - 1]),
    st.integers(0, U96),
    st.integers(0, U96),
    st.one_of(st.just(U40), st.integers(0, U40)),
    st.integers(0, U16),
    st.booleans(),
)
def test_fee_ledger__any_fields__round_trip_setters_touch_only_their_bits(
    fund_math, start, owed, held, accrued_at, management_bps, charges
):
    word, fields = fund_math.feeLedger(start, owed, held, accrued_at, management_bps, charges)
    assert list(fields) == [owed, held, accrued_at, management_bps, int(charges)]
    # the documented layout (accruedAt in 40 bits: past 2106, SEC-36); the spare high bits keep
    # what they were
    assert word == FEE_LEDGER.encode(
        {
            "shares": owed,
            "assets": held,
            "accruedAt": accrued_at,
            "managementBps": management_bps,
            "charges": int(charges),
        },
        base=start,
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, U32), st.integers(0, U96), st.integers(0, U96))
def test_instant_word__any_fields__round_trip(fund_math, period, subscribed, redeemed):
    word, fields = fund_math.instantWord(period, subscribed, redeemed)
    assert list(fields) == [period, subscribed, redeemed]
    assert word == INSTANT.encode(
        {"period": period, "subscribed": subscribed, "redeemed": redeemed}
    )
