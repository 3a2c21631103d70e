"""The FundVault against the second red-team read of the lifecycle domain (security findings
SEC-121 to SEC-134, the vault's part; SEC-120, the peg, is test_desk_peg.py). Each test performs
the attack on the deployed stack (fund_fixtures: the deploy routine's vault) and failed on main
before the fix:

- SEC-121: a buyer just before `declareIncome` and a seller just after, at the last struck NAV,
  took a day's dividend from the holders (instant dealing did not price the income declared since
  the strike);
- SEC-122: one holder filled the escrow to the per-identity cap and blocked every redemption;
- SEC-123: a frozen controller claimed its redemption and its deposit refund to an accomplice;
- SEC-126: one minimum per country could not fit a 6- and an 18-decimal asset;
- SEC-127: ten instant redemptions paid 55% of the urgency premium one paid;
- SEC-132: 1 wei of shares made a first subscription "subsequent";
- SEC-133: `accrueFees` every block rounded a small fund's management fee to nothing;
- SEC-134: a suspension after the cut-off let a request be cancelled with the NAV known;
- SEC-135: an empty vault's fee clock stood still, so the first investor paid for the empty months;
- SEC-136: a cancellable request made an instant subscription "subsequent";
- SEC-137: the strike paired a NAV reported before a declaration with the index after it;
- SEC-138: every vault of a desk charged the management fee on the whole class supply.
"""

import pytest

from compliance_fixtures import DE, FAR_FUTURE, INSTITUTIONAL, US
from fast_reverts import assert_reverts, attempt, revert_data
from fund_fixtures import DAY, INSTRUMENT_ID, SHARE_UNIT, USD_UNIT, fresh_account, identity_for
from isolation import isolated
from keepers.access import renounce_temporary_roles
from keepers.lifecycle import deploy_fund_vault

BPS = 10_000
YEAR = 365 * DAY
UNIT18 = 10**18
MAX_SHARE_OF_SUPPLY_EXCEEDED = 15  # RestrictionCodes


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


def subscribe(chain, fund, amounts):
    """Each investor of `amounts` (whole dollars) subscribes and claims at $1.00."""
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.requestDeposit(usd(amount), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.deposit(usd(amount), wallet, sender=wallet)


def set_initial_minimum(fund, dollars: int) -> None:
    """An initial minimum of `dollars` (no subsequent one) for the fund's US and DE investors."""
    for country in (US, DE):
        fund.engine.setInvestmentMinimums(country, (dollars * UNIT18, 0), sender=fund.governor)


def below_initial_minimum(controller, dollars: int, minimum: int) -> tuple:
    """The decoded `BelowMinimumInvestment` of a first subscription of `dollars` under `minimum`."""
    return (
        "BelowMinimumInvestment",
        {
            "controller": controller.address,
            "value18": dollars * UNIT18,
            "minimum18": minimum * UNIT18,
            "initial": True,
        },
    )


# ---------------------------------------------------------------- SEC-121: dividend capture


def test_sec_121__instant_in_before_declare_out_after__no_dividend_taken(chain, income_fund_stack):
    """The red team's round trip: $2M bought instantly just before the day's declaration (137 ppm
    of the supply, 5% a year) and sold instantly just after, in one period at the last struck
    NAV, paid +$224.18 out of the holders' dividend (main). Instant dealing now prices the last
    NAV for the income declared since its strike (nav x index at strike / index now): the round
    trip returns at most what it paid, and alice's holding is worth what it was."""
    fund = income_fund_stack
    subscribe(chain, fund, {"alice": 6_000_000, "bob": 3_000_000})
    fund.vault.setInstantLimit(usd(3_000_000), sender=fund.governor)
    alice, attacker = fund.investors["alice"], fund.investors["carol"]
    supply = fund.share.totalSupply()
    dividend = supply * 137 // 1_000_000

    def declare():
        _, number, _ = fund.share.incomeIndex()
        fund.share.declareIncome(number + 1, dividend, sender=fund.agent)

    cash_before = fund.usdc.balanceOf(attacker)
    fund.vault.instantDeposit(usd(2_000_000), attacker, sender=attacker)
    declare()
    held = fund.share.balanceOf(attacker)
    fund.vault.instantRedeem(held, attacker, attacker, sender=attacker)
    profit = fund.usdc.balanceOf(attacker) - cash_before
    assert profit <= 0, f"+{profit / USD_UNIT:,.2f} USDC for a one-block round trip"
    assert profit >= -2  # rounding only, against the dealer
    # An instant redemption after the declaration is priced for it: alice's shares (with their
    # dividend) are worth her $6M, not $6M plus the dividend at the old NAV (a sixth: $1M).
    with isolated(chain):
        before = fund.usdc.balanceOf(alice)
        fund.vault.instantRedeem(fund.share.balanceOf(alice) // 6, alice, alice, sender=alice)
        assert fund.usdc.balanceOf(alice) - before <= usd(1_000_000)


# ---------------------------------------------------------------- SEC-122: escrow under a cap


def test_sec_122__one_holder_fills_the_escrow_to_the_cap__others_still_redeem(chain, fund_stack):
    """A 25%-of-supply cap per identity (`maxBalanceBps`) capped the vault's escrow, one identity
    for every pending redemption: alice escrowed her 25% and nobody else could request or redeem
    instantly; she cancelled before the cut-off (main: nothing struck, every period). The vault's
    wallet is an escrow of the engine (`setEscrow`, set by the deploy routine): holding caps and
    time rules do not bind it."""
    fund, vault = fund_stack, fund_stack.vault
    labels = ("alice", "bob", "carol", "erin")
    subscribe(chain, fund, {label: 2_500_000 for label in labels})
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)
    fund.engine.setLimits((0, 0, 2_500, 0, 0, 0, 0, 0, 0), sender=fund.governor)
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    vault.requestRedeem(shares(2_500_000), alice, alice, sender=alice)
    refused = attempt(chain, vault.requestRedeem, shares(1_000), bob, bob, sender=bob)
    assert refused is None, f"bob's redemption refused: {refused}"
    with isolated(chain):  # (a burn: alice's 25% would pass the cap on her cancellation)
        refused = attempt(chain, vault.instantRedeem, shares(1_000), bob, bob, sender=bob)
        assert refused is None, f"bob's instant redemption refused: {refused}"
    chain.pending_timestamp = fund.cutoff() - 60
    vault.cancelRedeemRequest(alice, alice, sender=alice)
    struck = fund.strike(chain, 1).decode_logs(vault.PeriodStruck)[0]
    assert struck.pendingShares == shares(1_000)
    # The rule still binds every investor: bob may not hold more than 25% himself.
    assert fund.share.detectTransferRestriction(alice, bob, shares(2_000_000)) == (
        MAX_SHARE_OF_SUPPLY_EXCEEDED
    )


def test_sec_122__escrow_set_and_unset_while_holding__holder_counts_stay_exact(
    chain, accounts, fund_stack
):
    """The escrow bit is GOVERNOR's and keeps the engine's counts exact: an escrow holding shares
    is counted out when made one and back in (in its bucket) when it stops; a wallet the registry
    does not know cannot be made one."""
    fund, vault, engine = fund_stack, fund_stack.vault, fund_stack.engine
    identity = fund.registry.identity(vault)
    assert engine.ledgerOf(identity).escrow  # the deploy routine's step
    subscribe(chain, fund, {"alice": 1_000})
    vault.requestRedeem(
        shares(400),
        fund.investors["alice"],
        fund.investors["alice"],
        sender=fund.investors["alice"],
    )
    holders = engine.holderCounts()[0]  # alice counted, the vault's escrow not
    tx = engine.setEscrow(vault, False, sender=fund.governor)
    assert engine.holderCounts()[0] == holders + 1
    [event] = tx.decode_logs(engine.EscrowSet)
    assert (event.wallet, event.identity, event.previous, event.next) == (
        vault.address,
        identity,
        True,
        False,
    )
    engine.setEscrow(vault, True, sender=fund.governor)
    assert engine.holderCounts()[0] == holders
    stranger = fresh_account(accounts, chain)
    assert attempt(chain, engine.setEscrow, stranger, True, sender=fund.governor) == (
        "EscrowNotRegistered",
        {"wallet": stranger.address},
    )
    assert attempt(chain, engine.setEscrow, stranger, True, sender=stranger)[0] == (
        "AccessManagedUnauthorized"
    )


# ---------------------------------------------------------------- SEC-123: frozen controller


def test_sec_123__frozen_controller__claims_and_refunds_to_an_accomplice_refused(
    chain, fund_stack, freezer
):
    """A sanctions freeze of alice (identity-wide) did not reach her claims: her struck
    redemption's cash was paid to bob, and her pending deposit refunded to bob (main; her share
    claim to bob is refused since SEC-33). Every claim and cancellation needs its controller
    verified and unfrozen, and pays no frozen receiver; the claims wait, and are paid once the
    freeze is lifted."""
    fund, vault = fund_stack, fund_stack.vault
    alice, bob, erin = (fund.investors[label] for label in ("alice", "bob", "erin"))
    subscribe(chain, fund, {"alice": 1_000_000, "erin": 100_000})
    vault.requestRedeem(shares(400_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.requestDeposit(usd(250_000), alice, alice, sender=alice)
    fund.registry.freeze(alice, sender=freezer)
    bob_cash = fund.usdc.balanceOf(bob)
    redeemed = attempt(chain, vault.redeem, shares(400_000), bob, alice, sender=alice)
    refunded = attempt(chain, vault.cancelDepositRequest, alice, bob, sender=alice)
    got = fund.usdc.balanceOf(bob) - bob_cash
    assert got == 0, f"frozen alice paid {got / USD_UNIT:,.0f} USDC to bob"
    # Her ERC-7540 maximums say what her claims accept: nothing while frozen.
    assert (vault.maxRedeem(alice), vault.maxWithdraw(alice)) == (0, 0)
    assert redeemed == ("WalletFrozen", {"wallet": alice.address})
    assert refunded == ("WalletFrozen", {"wallet": alice.address})
    # To herself neither (a frozen wallet is paid nothing).
    assert attempt(chain, vault.redeem, shares(400_000), alice, alice, sender=alice) == (
        "WalletFrozen",
        {"wallet": alice.address},
    )
    # An unfrozen controller pays no wallet frozen on the share token either.
    fund.share.setAddressFrozen(bob, True, sender=fund.agent)
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)
    assert attempt(chain, vault.instantRedeem, shares(1_000), bob, erin, sender=erin) == (
        "WalletFrozen",
        {"wallet": bob.address},
    )
    fund.share.setAddressFrozen(bob, False, sender=fund.agent)
    # Lifted: the claims are whole.
    fund.registry.unfreeze(alice, sender=fund.operator)
    assert vault.maxRedeem(alice) == shares(400_000) and vault.maxWithdraw(alice) > 0
    before = fund.usdc.balanceOf(alice)
    vault.redeem(shares(400_000), alice, alice, sender=alice)
    vault.cancelDepositRequest(alice, alice, sender=alice)
    assert fund.usdc.balanceOf(alice) - before == usd(650_000)


# ---------------------------------------------------------------- SEC-126, SEC-132: minimums


@pytest.fixture
def two_vaults(chain, project, fund_stack):
    """The fund's 6-decimal USDF vault and a second vault of the same share in an 18-decimal
    asset (only requests: the NAV double strikes the first); alice and bob funded in both."""
    fund = fund_stack
    d = fund.deployment.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "FeeSchedule"
    )
    coin = d.sender.deploy(project.DecimalsToken, "Fund Dollar (18 decimals)", "USD18", 18)
    vault18 = deploy_fund_vault(
        d,
        fund.share,
        coin,
        fund.nav_source,
        17,
        identity=identity_for("vault.USD18"),
        name="FundVault.USD18",
        first_cutoff=fund.cutoff(),
        dealing_interval=DAY,
    )
    renounce_temporary_roles(d)
    for label in ("alice", "bob", "carol"):
        wallet = fund.investors[label]
        coin.mint(wallet, 10_000_000 * UNIT18, sender=wallet)
        coin.approve(vault18, 2**256 - 1, sender=wallet)
    return fund, vault18


def test_sec_126__minimum_in_the_instruments_currency__same_in_6_and_18_decimal_vaults(
    chain, two_vaults
):
    """The engine's minimum was in the asset's base units, one number per country for every vault
    of the share: $1,000 for a 6-decimal coin (1e9) was 1e-9 of an 18-decimal one, and $1,000 for
    the 18-decimal coin (1e21) refused any subscription in the 6-decimal vault (main). Minimums
    are in the instrument's currency with 18 decimals, each vault valuing its asset at par."""
    fund, vault18 = two_vaults
    fund.engine.setInvestmentMinimums(US, (1_000 * UNIT18, 100 * UNIT18), sender=fund.governor)
    alice, bob = fund.investors["alice"], fund.investors["bob"]
    for vault, unit, first, second in (
        (fund.vault, USD_UNIT, alice, bob),
        (vault18, UNIT18, bob, alice),
    ):
        accepted = attempt(chain, vault.requestDeposit, 1_000 * unit, first, first, sender=first)
        assert accepted is None, f"$1,000 in {vault.asset()} refused: {accepted}"
        refused = attempt(chain, vault.requestDeposit, 999 * unit, second, second, sender=second)
        assert refused == (
            "BelowMinimumInvestment",
            {
                "controller": second.address,
                "value18": 999 * UNIT18,
                "minimum18": 1_000 * UNIT18,
                "initial": True,
            },
        ), f"$999 in {vault.asset()}"


def test_sec_132__one_wei_of_shares__first_subscription_still_initial(chain, fund_stack):
    """Holding any share made a first subscription "subsequent" (main: carol, given 1 wei of
    shares by bob, subscribed $1,000 against a $1,000,000 initial minimum). A subscription is
    initial until the controller's subscriptions here reach the initial minimum, whatever it
    holds; a cancellation takes its part back. (No subsequent minimum here: main's units were the
    asset's, SEC-126.)"""
    fund, vault = fund_stack, fund_stack.vault
    bob, carol, erin = (fund.investors[label] for label in ("bob", "carol", "erin"))
    subscribe(chain, fund, {"bob": 2_000_000})
    set_initial_minimum(fund, 1_000_000)
    fund.share.transfer(carol, 1, sender=bob)
    refused = attempt(chain, vault.requestDeposit, usd(1_000), carol, carol, sender=carol)
    assert refused is not None, "a $1,000 first subscription passed a $1,000,000 initial minimum"
    assert refused == below_initial_minimum(carol, 1_000, 1_000_000)
    # bob subscribed $2M here: his $1,000 is subsequent; erin's first $1M then $1,000 too.
    vault.requestDeposit(usd(1_000), bob, bob, sender=bob)
    vault.requestDeposit(usd(1_000_000), erin, erin, sender=erin)
    vault.requestDeposit(usd(1_000), erin, erin, sender=erin)
    # Cancelled, erin's subscriptions are back to nothing: $1,000 is initial again.
    vault.cancelDepositRequest(erin, erin, sender=erin)
    assert attempt(chain, vault.requestDeposit, usd(1_000), erin, erin, sender=erin)[0] == (
        "BelowMinimumInvestment"
    )


# ---------------------------------------------------------------- SEC-127: urgency premium


def test_sec_127__urgency_premium__one_ten_or_a_hundred_pieces_pay_the_same(
    chain, accounts, fund_stack
):
    """The premium (`urgencyBps` x utilisation) was charged on the whole redemption at the
    utilisation after it: $1M redeemed whole paid $30,000, in ten pieces $16,500 (main). It is
    charged at the mean utilisation over the redemption (the integral of a linear premium): whole
    or split, $15,000, to within a unit of rounding per piece."""
    fund, vault = fund_stack, fund_stack.vault
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "fd" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    schedule = fund.deployment.at("FeeSchedule")
    for urgency in (100, 200, 300):  # the protocol maximum, in three steps of 100
        schedule.setFeeSchedule(
            vault, (0, 0, 0, urgency, 0, recipient.address, []), sender=fund.governor
        )
    alice = fund.investors["alice"]
    subscribe(chain, fund, {"alice": 2_000_000})
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)

    def fee_of(pieces):
        with isolated(chain):
            before = vault.heldFees()[1]
            for _ in range(pieces):
                vault.instantRedeem(shares(1_000_000 // pieces), alice, alice, sender=alice)
            return vault.heldFees()[1] - before

    one, ten, hundred = fee_of(1), fee_of(10), fee_of(100)
    assert ten >= one - 10 and hundred >= one - 100, (
        f"one {one / USD_UNIT:,.2f}, ten {ten / USD_UNIT:,.2f}, a hundred {hundred / USD_UNIT:,.2f}"
    )
    assert one == usd(15_000)
    assert abs(ten - one) <= 10 and abs(hundred - one) <= 100


# ---------------------------------------------------------------- SEC-133: management fee clock


def test_sec_133__accrue_fees_every_block__small_fund_still_pays_its_management_fee(
    chain, accounts, fund_stack
):
    """`accrueFees` is anyone's and rounds down: on a fund of 1e8 share units (a 0-2 decimal
    share class's scale) the fee of 12 seconds is 0.38 units, so accruing every block charged
    nothing and moved the clock (main: 0 after 30 accruals). A fee rounded to 0 (or one for
    less than 10 minutes, SEC-232) leaves the clock: the seconds are charged at the next accrual
    that yields a unit, and 100 accruals charge what one at the end would."""
    fund, vault = fund_stack, fund_stack.vault
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "fc" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    schedule = fund.deployment.at("FeeSchedule")
    alice = fund.investors["alice"]
    # One base unit of USDF at a NAV of $10,000: 1e8 share units.
    vault.requestDeposit(1, alice, alice, sender=alice)
    fund.strike(chain, 10_000)
    vault.deposit(1, alice, sender=alice)
    supply = fund.share.totalSupply()
    assert supply == 10**8
    tx = schedule.setFeeSchedule(vault, (0, 0, 0, 0, 100, recipient, []), sender=fund.governor)
    start = vault.heldFees()[2]
    assert start == chain.blocks[tx.block_number].timestamp
    at = start
    for _ in range(100):
        at += 12
        chain.pending_timestamp = at
        vault.accrueFees(sender=alice)
    owed, _, _ = vault.heldFees()
    elapsed = at - start
    exact = supply * 100 * elapsed // (BPS * YEAR - 100 * elapsed)  # one accrual at the end
    assert exact == 38
    assert owed >= exact - 1, f"{owed} fee units for {elapsed} s (one accrual: {exact})"


# ---------------------------------------------------------------- SEC-134: suspension cancellation


def test_sec_134__suspended_after_the_nav_is_known__request_not_cancellable_until_wound_up(
    chain, fund_stack
):
    """After the cut-off the period's NAV is reported before the strike; a suspension then (the
    GUARDIAN's, or the issuer's) let a pending request be cancelled with that NAV known (main: a
    subscription at a $0.95 NAV cancelled for its full $1M). A request of a cut-off period is
    cancellable only once the instrument is wound up (matured, closed): a suspension lifted
    strikes it."""
    fund, vault = fund_stack, fund_stack.vault
    alice = fund.investors["alice"]
    subscribe(chain, fund, {"bob": 1_000_000})
    vault.requestDeposit(usd(1_000_000), alice, alice, sender=alice)
    period, cutoff = vault.dealing()[:2]
    fund.past_cutoff(chain)
    fund.report_nav(0.95)  # the period's NAV, reported: everybody knows it
    fund.nav_source.setDealing(17, False, sender=fund.nav_agent)  # suspended
    before = fund.usdc.balanceOf(alice)
    refused = attempt(chain, vault.cancelDepositRequest, alice, alice, sender=alice)
    assert fund.usdc.balanceOf(alice) == before, "cancelled with the NAV known"
    assert refused == ("CutoffPassed", {"period": period, "cutoff": cutoff})
    # Resumed: the period is struck at its NAV.
    fund.nav_source.setDealing(17, True, sender=fund.nav_agent)
    fund.strike(chain, 0.95)
    assert vault.maxDeposit(alice) == usd(1_000_000)
    # A request of a cut-off period on a fund wound up (no strike can come) is refunded.
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    fund.nav_source.setWoundUp(17, True, sender=fund.nav_agent)
    vault.cancelDepositRequest(alice, alice, sender=alice)
    assert_reverts(
        chain,
        vault.cancelDepositRequest,
        alice,
        alice,
        sender=alice,
        error=(vault, "NothingPending"),
        controller=alice.address,
    )


# ---------------------------------------------------------------- SEC-135: fee clock at 0 supply


def test_sec_135__empty_vault_for_half_a_year__first_investor_pays_no_fee_for_it(
    chain, accounts, fund_stack
):
    """SEC-133 kept the clock while the fee was 0 shares, also when there was nothing to charge
    (main: alice, holding $1M for one block, was charged 5,011 fee shares for the vault's 182 empty
    days). With no shares and none owed the clock moves to now: the empty time is nobody's."""
    fund, vault = fund_stack, fund_stack.vault
    alice = fund.investors["alice"]
    recipient = fresh_account(accounts, chain)
    fund.registry.registerInvestor(
        recipient, "0x" + "fe" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=fund.operator
    )
    schedule = fund.deployment.at("FeeSchedule")
    assert fund.share.totalSupply() == 0
    tx = schedule.setFeeSchedule(vault, (0, 0, 0, 0, 100, recipient, []), sender=fund.governor)
    start = chain.blocks[tx.block_number].timestamp
    chain.pending_timestamp = start + 182 * DAY
    empty = vault.accrueFees(sender=alice)  # anyone's: with nothing to charge, the clock moves
    moved_to = vault.heldFees()[2]
    fund.strike(chain, 1)  # still empty: the strike moves it too
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)
    vault.instantDeposit(usd(1_000_000), alice, sender=alice)
    supply = fund.share.totalSupply()
    deposited_at = vault.heldFees()[2]
    tx = vault.accrueFees(sender=alice)
    held_for = chain.blocks[tx.block_number].timestamp - deposited_at
    charged = vault.heldFees()[0]
    assert charged <= supply * 100 * (held_for + 1) // (BPS * YEAR) + 1, (
        f"{charged / SHARE_UNIT:,.2f} fee shares after {held_for} s of a $1M holding"
    )
    assert moved_to == chain.blocks[empty.block_number].timestamp


# ---------------------------------------------------------------- SEC-136: cancellable minimum


def test_sec_136__instant_subscription_on_a_cancellable_request__still_initial(chain, fund_stack):
    """A pending request counted toward the initial minimum though it can be cancelled (main: bob
    requested $1M with carol as the controller, carol's $1,000 instant subscription passed as
    subsequent, the request was cancelled back to bob; carol kept a $1,000 first holding under a
    $1,000,000 minimum). An instant subscription leans only on what can no longer be cancelled."""
    fund, vault = fund_stack, fund_stack.vault
    bob, carol = fund.investors["bob"], fund.investors["carol"]
    fund.strike(chain, 1)
    vault.setInstantLimit(usd(1_000_000), sender=fund.governor)
    set_initial_minimum(fund, 1_000_000)
    vault.requestDeposit(usd(1_000_000), carol, bob, sender=bob)  # pending, cancellable
    refused = attempt(chain, vault.instantDeposit, usd(1_000), carol, sender=carol)
    assert refused is not None, "a $1,000 first subscription leaned on a cancellable $1M request"
    assert refused == below_initial_minimum(carol, 1_000, 1_000_000)
    # Struck, the $1M is carol's subscription for good: her $1,000 is then subsequent.
    fund.strike(chain, 1)
    vault.instantDeposit(usd(1_000), carol, sender=carol)
    assert fund.share.balanceOf(carol) == shares(1_000)


# ---------------------------------------------------------------- SEC-137: NAV before a declaration


def test_sec_137__declaration_between_the_nav_report_and_the_strike__strike_refused(
    chain, income_fund_stack
):
    """The strike paired a NAV reported before a declaration with the index after it (main: alice
    redeemed her 1,004,000 shares, declared 0.4% included, at the pre-declaration $1.00 and was
    paid $1,004,000 for $1,000,000 of value; bob paid for it). The NAV source refuses a NAV older
    than the share's last declaration; reported again, the strike prices the declared shares."""
    fund, vault, share = income_fund_stack, income_fund_stack.vault, income_fund_stack.share
    alice = fund.investors["alice"]
    subscribe(chain, fund, {"alice": 1_000_000, "bob": 1_000_000})
    chain.pending_timestamp = max(chain.pending_timestamp, fund.cutoff() - 600)
    fund.report_nav(1)  # the NAV agent's report: $2M / 2M shares
    reported = chain.blocks.head.timestamp
    _, number, _ = share.incomeIndex()
    tx = share.declareIncome(number + 1, share.totalSupply() * 40 // 10_000, sender=fund.agent)
    declared_at = chain.blocks[tx.block_number].timestamp
    vault.requestRedeem(share.balanceOf(alice), alice, alice, sender=alice)
    fund.past_cutoff(chain)
    chain.mine()  # the strike's eth_call runs past the cut-off
    try:
        revert_data(chain, vault.strike, sender=fund.nav_agent)
    except AssertionError:  # the strike went through
        vault.strike(sender=fund.nav_agent)
        paid = vault.maxWithdraw(alice)
        raise AssertionError(
            f"struck: alice is paid {paid / USD_UNIT:,.2f} for $1,000,000 of shares"
        ) from None
    refused = assert_reverts(
        chain,
        vault.strike,
        sender=fund.nav_agent,
        error=(fund.nav_source, "NavPredatesDeclaration"),
        id=INSTRUMENT_ID,
        reportedAt=reported,
        declaredAt=declared_at,
    )
    assert refused["declaredAt"] >= refused["reportedAt"]  # the same second: order unknown
    chain.pending_timestamp = chain.blocks.head.timestamp + 12
    fund.report_nav(2_000_000 * SHARE_UNIT / share.totalSupply())  # after the declaration
    vault.strike(sender=fund.nav_agent)
    assert abs(vault.maxWithdraw(alice) - usd(1_000_000)) <= usd(1)


# ---------------------------------------------------------------- SEC-138: one management fee


def test_sec_138__management_fee_on_a_second_vault_of_the_class__refused(
    chain, accounts, desk_stack
):
    """Every vault of a desk accrues its management fee on the one class supply (main: the same
    1%/yr on the desk's three vaults charged 45,455 fee shares on 1,500,000 in a year, 3.03%).
    One vault per share class charges a management fee: the schedule refuses it on another."""
    desk = desk_stack
    desk.fund_books(chain, usd)
    alice = desk.investors["alice"]
    recipient = fresh_account(accounts, chain)
    desk.deployment.at("IdentityRegistry").registerInvestor(
        recipient, "0x" + "fe" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=desk.operator
    )
    schedule = desk.deployment.at("FeeSchedule")
    terms = (0, 0, 0, 0, 100, recipient.address, [])
    first, *others = desk.vaults.values()
    schedule.setFeeSchedule(first, terms, sender=desk.governor)
    refusals = [
        attempt(chain, schedule.setFeeSchedule, vault, terms, sender=desk.governor)
        for vault in others
    ]
    supply = desk.share.totalSupply()
    if None in refusals:
        chain.pending_timestamp += YEAR
        charged = 0
        for vault in desk.vaults.values():
            vault.accrueFees(sender=alice)
            charged += vault.heldFees()[0]
        raise AssertionError(
            f"one year at 1% per vault charged {charged / SHARE_UNIT:,.0f} fee shares on "
            f"{supply / SHARE_UNIT:,.0f} ({charged * 100 / supply:.2f}%)"
        )
    for vault, refused in zip(others, refusals):
        assert refused == (
            "ManagementFeeOnAnotherVault",
            {"share": desk.share.address, "vault": vault.address, "charging": first.address},
        )
    # Off on the first, the class's management fee may move to another vault.
    schedule.setFeeSchedule(first, (0, 0, 0, 0, 0, recipient.address, []), sender=desk.governor)
    schedule.setFeeSchedule(others[0], terms, sender=desk.governor)
    chain.pending_timestamp += YEAR
    charged = 0
    for vault in desk.vaults.values():
        vault.accrueFees(sender=alice)
        charged += vault.heldFees()[0]
    assert supply * 100 // BPS <= charged <= supply * 102 // BPS  # one 1%/yr fee, not three
