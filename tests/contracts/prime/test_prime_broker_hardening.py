"""The prime broker under the red team's attacks (docs/specs.md SEC-20..SEC-24, SEC-28), each
performed on the broker as the deploy routine deploys it (`prime_stack`), with the lifecycle
domain's own note (`bond`: a BondShareToken and its BondServicer, 4.25% semi-annual, face 100) and
income share class (`income_stack`: an IncomeShareToken paying its dividend in new shares):

- SEC-20: a note's coupons on posted notes reach each account, exactly its share, as cash
  collateral (the servicer paid the broker and the broker credited nobody);
- SEC-21: a note still posted at maturity is redeemed into cash collateral for its account (it
  could be neither withdrawn nor seized: `BalancesFixed`), and that cash is seizable;
- SEC-22: an income share class's dividend on posted shares reaches each account, as a holder of
  its own would have it;
- SEC-23: dust collateral beside the main one no longer keeps bad debt on the lenders' books;
- SEC-24: a margin call the account recovered from does not count toward a later breach's grace;
- SEC-28: an income-bearing asset is never lent by a pool (the pool would receive its income).

Prices: the liquidity stack's (USDC 1, QTB 100, QSPX 50); the note is priced by the QTB feed (100),
the lifecycle stack's USDC (the note's payment asset, here "LUSDC") and the income shares by the
USDC feed (1)."""

from __future__ import annotations

import ape
import pytest

from bond_fixtures import SCALE, SHARE_UNIT, USD_UNIT
from broker_fixtures import (
    BORROW,
    CLIENT_ID,
    DEPOSIT,
    INSTITUTIONAL,
    NEVER,
    UNIT,
    US,
    WITHDRAW,
    act,
)
from keepers.access import renounce_temporary_roles
from keepers.core.solidity_enums import member
from keepers.prime import CollateralTerms, configure_prime
from keepers.risk.deploy import feed_config

DAY = 86_400
# IPrimeBroker's IncomeKind.
NO_INCOME, COUPONS, SHARES = range(3)
OTHER_ID = "0x" + "c2" * 20
CAP = 10**30


def governed(p, label, thunk):
    p.governed((label, lambda: thunk(p.deployment.sender)))


def list_asset(p, token, feed_symbol: str, risk_weight_bps: int, income=None) -> None:
    """Prices `token` by the stack's `feed_symbol` feed and lists it as collateral by the deploy
    routine (`configure_prime`), its income — (IncomeKind, source) — bound to the accounts
    (`setIncome`; on the red team's build there was none: the income stayed with the broker)."""
    router = p.deployment.at("OracleRouter")
    governed(
        p,
        "feed",
        lambda s: router.setFeed(token, feed_config(p.feeds[feed_symbol].address), sender=s),
    )
    terms = CollateralTerms(risk_weight_bps, CAP, CAP, income)
    configure_prime(p.deployment, p.broker, {str(token.symbol()): (token, terms)}, {})
    renounce_temporary_roles(p.deployment)


def other_institution(p, accounts, chain):
    """A second institution (identity OTHER_ID) with one wallet, its account opened, a credit
    line."""
    wallet = accounts.generate_test_account()
    chain.provider.set_balance(wallet.address, 10**21)
    p.registry.registerInvestor(wallet, OTHER_ID, US, INSTITUTIONAL, NEVER, sender=p.operator)
    p.broker.openAccount(sender=wallet)
    governed(p, "credit line", lambda s: p.broker.setCreditLine(OTHER_ID, (10**24, 0, 0), sender=s))
    return wallet


def post(p, account, wallet, token, amount):
    token.approve(p.broker, amount, sender=wallet)
    return p.broker.execute(account, [act(DEPOSIT, token, amount)], sender=wallet)


def claim(p, account, token):
    """Anyone settles `account`'s income on `token` (the red team's build had no such entry)."""
    return p.broker.claimIncome(account, token, sender=p.liquidator)


def record(bond, number):
    _, end = bond.period(number)
    bond.at(end - bond.terms.coupon.recordDateOffsetDays * DAY)
    return bond.servicer.recordCoupon(number, sender=bond.issuer)


# ---------------------------------------------------------------- SEC-20, SEC-21: posted notes


@pytest.fixture
def noted(p, bond, accounts, chain, agent):
    """The note and its payment asset listed (T-bill-like risk weight 20%; LUSDC cash), the note's
    servicer bound; the client posts 600 notes, another institution 400."""
    note, lusdc = bond.token, bond.usdc
    list_asset(p, lusdc, "USDC", 0)
    list_asset(p, note, "QTB", 2_000, (COUPONS, bond.servicer.address))
    other = other_institution(p, accounts, chain)
    for wallet, whole in ((p.client, 600), (other, 400)):
        note.mint(wallet, whole * SHARE_UNIT, sender=agent)
    post(p, CLIENT_ID, p.client, note, 600 * SHARE_UNIT)
    post(p, OTHER_ID, other, note, 400 * SHARE_UNIT)
    bond.servicer.fundCoupons(100_000 * USD_UNIT, sender=bond.issuer)
    return note, lusdc, other


def test_sec_20__coupon_on_posted_notes__credited_to_each_account_as_cash(p, bond, noted, chain):
    """The red team's loss: coupon 1 on 600 posted notes (1,275 USDC) stayed with the broker, which
    credited no account. Now each account is credited its notes' coupon, exactly what the servicer
    pays a holder of as many notes, in the note's payment asset as cash collateral — when its notes
    move (a withdrawal) or when anyone claims for it — whoever made the servicer pay the broker
    (here a third party, `claimCoupons(broker)`, first)."""
    note, lusdc, other = noted
    broker, servicer = p.broker, bond.servicer
    c1, c2 = bond.coupon_per_share(1), bond.coupon_per_share(2)
    record(bond, 1)
    # Nobody claims for the broker (a contract claims for itself, SEC-159): its own paths do.
    with ape.reverts(servicer.ClaimForAContract):
        servicer.claimCoupons(broker, sender=p.lender)
    p.refresh_prices()
    # The client takes 100 notes home: its coupon is credited first, at its 600 notes.
    broker.execute(CLIENT_ID, [act(WITHDRAW, note, 100 * SHARE_UNIT, p.client)], sender=p.client)
    assert broker.balanceOf(CLIENT_ID, lusdc) == 600 * SHARE_UNIT * c1 // SCALE
    record(bond, 2)
    p.refresh_prices()
    receipt = claim(p, OTHER_ID, note)
    credited = [e for e in receipt.events if e.event_name == "IncomeCredited"]
    assert [(e.account.lower(), e.asset, e.payAsset, e.amount) for e in credited] == [
        (
            OTHER_ID,
            note.address,
            lusdc.address,
            400 * SHARE_UNIT * c1 // SCALE + 400 * SHARE_UNIT * c2 // SCALE,
        )
    ]
    claim(p, CLIENT_ID, note)
    assert (
        broker.balanceOf(CLIENT_ID, lusdc)
        == 600 * SHARE_UNIT * c1 // SCALE + 500 * SHARE_UNIT * c2 // SCALE
    )
    # Nothing more on a second claim; the cash counts as collateral and goes home.
    assert [e for e in claim(p, CLIENT_ID, note).events if e.event_name == "IncomeCredited"] == []
    assert p.margin.health(CLIENT_ID).collateralUsd > 500 * 100 * 10**18
    cash = broker.balanceOf(CLIENT_ID, lusdc)
    broker.execute(CLIENT_ID, [act(WITHDRAW, lusdc, cash, p.client)], sender=p.client)
    # The broker paid out no more than the servicer paid it.
    assert lusdc.balanceOf(broker) >= broker.totalCollateral(lusdc)
    assert servicer.couponsOwed(broker) == 0


def test_sec_21__notes_posted_at_maturity__redeemed_into_cash_collateral_and_seizable(
    p, bond, noted, chain
):
    """The red team's loss: a note still posted at maturity could be neither withdrawn nor seized
    (`BalancesFixed`), and the client recovered 0 of 60,000. Now the face value and the last
    coupons are paid to each account as cash collateral (anyone claims, or the account's next
    liquidation does it first), exactly what the servicer pays a holder of as many notes at the
    same moments (alice, 600 notes of her own); the notes leave the account's collateral (they stay
    on its books as its claim on a late top-up of an underfunded redemption, which follows them);
    the cash is withdrawn or seized as any cash. The redemption pool holds what the issuer funded
    for it and what the coupons left of their reserve (SEC-131)."""
    note, lusdc, other = noted
    broker, servicer, registry = p.broker, bond.servicer, bond.lifecycle.registry
    alice = bond.holders["alice"]
    units = 600 * SHARE_UNIT
    for number in range(1, 5):
        record(bond, number)
    coupons = sum(bond.coupon_per_share(n) for n in range(1, 5))
    # 2,000 notes outstanding (the fixture's holders hold 1,000 more). Each recording took
    # ceil(supply x coupon / SCALE) of the fixture's 100,000 coupon reserve (each coupon by the
    # note's day count over its period: the fixture's schedule starts from today's date, so no
    # figure here is fixed in advance).
    supply = note.totalSupply()
    assert supply == 2_000 * SHARE_UNIT
    taken = sum(-(-supply * bond.coupon_per_share(n) // SCALE) for n in range(1, 5))
    reserve_left = 100_000 * USD_UNIT - taken
    assert servicer.couponPool() == (reserve_left, 0)
    bond.at(bond.terms.maturityDate)
    registry.mature(bond.instrument, sender=p.lender)
    # The issuer funds half of the 200,000 due; the reserve left joins it (SEC-131): still short.
    servicer.fundRedemption(100_000 * USD_UNIT, sender=bond.issuer)
    started = servicer.startRedemption(0, sender=p.lender)
    [moved] = started.decode_logs(servicer.CouponPoolMoved)
    assert (moved.arrears, moved.reserve) == (0, reserve_left)
    price = 100 * USD_UNIT * SCALE // SHARE_UNIT  # face value per note, x SCALE / SHARE_UNIT
    index = (100_000 * USD_UNIT + reserve_left) * SCALE // supply  # pro rata: 91.51... a note
    assert index < price
    assert servicer.redemptionPool().index == index
    p.refresh_prices()
    # The notes cannot move (the red team's `BalancesFixed`): settled first, they are no longer
    # collateral to withdraw; their cash is.
    with ape.reverts(broker.InsufficientBalance, account=CLIENT_ID, asset=note.address, balance=0):
        broker.execute(CLIENT_ID, [act(WITHDRAW, note, SHARE_UNIT, p.client)], sender=p.client)
    receipt = claim(p, CLIENT_ID, note)
    (matured,) = [e for e in receipt.events if e.event_name == "CollateralMatured"]
    assert (matured.account.lower(), matured.units) == (CLIENT_ID.lower(), units)
    assert broker.balanceOf(CLIENT_ID, note) == 0
    # The last coupons and the pool's pro rata part, each rounded down as the servicer pays them.
    first = units * coupons // SCALE + units * index // SCALE
    assert broker.balanceOf(CLIENT_ID, lusdc) == first
    paid = servicer.redeem(alice, sender=alice).decode_logs(servicer.Paid)[0]
    assert paid.coupons + paid.redemption == first
    health = p.margin.health(CLIENT_ID)
    # The cash, and the claim on the rest (SEC-161): what is still to be paid of the price by the
    # servicer's terms (USDC at 1), at most as much of the notes' 60,000 USD (SEC-192).
    terms_usd = units * (price - index) // SCALE * 10**12
    claim_usd = min(terms_usd, 60_000 * 10**18 * (price - index) // price)
    assert health.collateralUsd == broker.balanceOf(CLIENT_ID, lusdc) * 10**12 + claim_usd
    # The issuer tops up: the rest follows the notes (its own rounding down: a holder settled
    # twice gets floor + floor, as alice does).
    servicer.fundRedemption(100_000 * USD_UNIT, sender=bond.issuer)
    assert servicer.redemptionPool().index == price
    claim(p, CLIENT_ID, note)
    recovered = broker.balanceOf(CLIENT_ID, lusdc)
    assert recovered == first + units * (price - index) // SCALE
    rest = servicer.redeem(alice, sender=alice).decode_logs(servicer.Paid)[0]
    assert (rest.coupons, rest.redemption) == (0, recovered - first)
    assert units * coupons // SCALE + 60_000 * USD_UNIT - recovered <= 1  # face value, to a unit
    broker.execute(CLIENT_ID, [act(WITHDRAW, lusdc, recovered, p.client)], sender=p.client)
    assert lusdc.balanceOf(p.client) == recovered
    # The other account borrowed against its notes; at maturity its liquidation (a stricter tier
    # makes it liquidatable) settles the notes first and seizes the cash.
    usdc = p.tokens["USDC"]
    broker.execute(OTHER_ID, [act(BORROW, usdc, 20_000 * UNIT["USDC"], other)], sender=other)
    governed(
        p,
        "a strict tier",
        lambda s: broker.setTier(1, (30_000, 25_000, 22_000, 10_000, 0, 3_600), sender=s),
    )
    governed(p, "other on it", lambda s: broker.setCreditLine(OTHER_ID, (10**24, 0, 1), sender=s))
    p.fund(p.liquidator, "USDC", 20_000 * UNIT["USDC"])
    usdc.approve(broker, 20_000 * UNIT["USDC"], sender=p.liquidator)
    receipt = broker.liquidate(
        OTHER_ID, usdc, 10_000 * UNIT["USDC"], lusdc, b"", 0, sender=p.liquidator
    )
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    assert done.seized == 10_000 * USD_UNIT and lusdc.balanceOf(p.liquidator) == done.seized
    # Its notes settled once, the pool full: the coupons and 40,000 of face value, less the seized.
    owed = 400 * SHARE_UNIT * coupons // SCALE + 400 * SHARE_UNIT * price // SCALE
    assert broker.balanceOf(OTHER_ID, lusdc) == owed - done.seized
    # Every note matured out of the accounts' collateral, still the broker's for them (their claim
    # on the servicer): the binding stays.
    assert broker.totalCollateral(note) == 1_000 * SHARE_UNIT
    with ape.reverts(
        broker.InvalidCollateral, asset=note.address, rule=member("CollateralRule", "Posted")
    ):
        governed(p, "unbind", lambda s: broker.setIncome(note, NO_INCOME, lusdc, sender=s))
    # The broker credited no more than the servicer paid it.
    assert lusdc.balanceOf(broker) >= broker.totalCollateral(lusdc)


# ---------------------------------------------------------------- SEC-22: posted income shares


def test_sec_22__income_shares_posted__each_account_earns_its_dividend(
    p, income_stack, accounts, chain, agent
):
    """Fund shares paying their dividend in new shares (IncomeShareToken) earn it on the broker's
    balance: posted, the dividend went to the broker and no account. Now each account's posted
    shares grow as a holder's own would (the token's index over the account's shares, rounded
    down), credited when they move or when anyone claims."""
    shares = income_stack.token
    broker = p.broker
    list_asset(p, shares, "USDC", 2_000, (SHARES, shares.address))
    other = other_institution(p, accounts, chain)
    for wallet, whole in ((p.client, 100_000), (other, 50_000)):
        shares.mint(wallet, whole * SHARE_UNIT, sender=agent)
        post(p, CLIENT_ID if wallet == p.client else OTHER_ID, wallet, shares, whole * SHARE_UNIT)
    start, _, _ = shares.incomeIndex()
    supply = shares.totalSupply()
    for _ in range(3):
        income_stack.declare_next(chain, supply * 40 // 10_000)  # 0.4% a declaration
        supply = shares.totalSupply()
    index, _, _ = shares.incomeIndex()
    p.refresh_prices()
    # The client takes all it has home; the other account claims.
    expected = 100_000 * SHARE_UNIT * index // start
    broker.execute(CLIENT_ID, [act(WITHDRAW, shares, expected, p.client)], sender=p.client)
    assert shares.balanceOf(p.client) == expected > 101_000 * SHARE_UNIT
    claim(p, OTHER_ID, shares)
    assert broker.balanceOf(OTHER_ID, shares) == 50_000 * SHARE_UNIT * index // start
    assert shares.balanceOf(broker) >= broker.totalCollateral(shares)


# ---------------------------------------------------------------- SEC-23: dust collateral


def test_sec_23__dust_beside_the_main_collateral__bad_debt_written_off_with_it(p):
    """The red team's stuck bad debt: 1 base unit of QTB beside 2,000 QSPX, then a 61% fall; the
    liquidator took the QSPX but seizing the dust reverted `ZeroAmount` (its repayment rounds to
    0), so ~21,000 USDC of unbacked debt stayed in the pool's `totalAssets`. Now a liquidation that
    leaves collateral worth less than one unit of the debt it repaid writes the rest off."""
    broker, usdc, qspx, qtb = p.broker, p.tokens["USDC"], p.tokens["QSPX"], p.tokens["QTB"]
    pool = p.pools["USDC"]
    post_books = [(qspx, 2_000 * UNIT["QSPX"]), (qtb, 1)]
    for token, amount in post_books:
        token.approve(broker, amount, sender=p.client)
    broker.execute(
        CLIENT_ID,
        [act(DEPOSIT, t, a) for t, a in post_books]
        + [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)],
        sender=p.client,
    )
    p.set_price("QSPX", 19.5)  # 61% down: 39,000 of collateral against 60,000
    p.fund(p.liquidator, "USDC", 60_000 * UNIT["USDC"])
    usdc.approve(broker, 60_000 * UNIT["USDC"], sender=p.liquidator)
    assets_before = pool.totalAssets()
    receipt = broker.liquidate(
        CLIENT_ID, usdc, 60_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator
    )
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    assert done.seized == 2_000 * UNIT["QSPX"] and done.repaid == 39_000 * UNIT["USDC"]
    (bad,) = [e for e in receipt.events if e.event_name == "BadDebt"]
    assert bad.amount == 21_000 * UNIT["USDC"]
    assert pool.debtOf(CLIENT_ID, 0) == 0 and pool.state().totalDebt == 0
    assert pool.totalAssets() == assets_before - 21_000 * UNIT["USDC"]
    # The dust stays the account's; it owes nothing.
    assert broker.balanceOf(CLIENT_ID, qtb) == 1
    health = p.margin.health(CLIENT_ID)
    assert health.debtUsd == 0 and not health.liquidatable


def test_sec_23__collateral_fallen_to_dust__liquidation_writes_the_debt_off(p):
    """Collateral that fell below one unit of the debt in value cannot be seized (its repayment
    rounds to 0): the liquidation writes the debt off instead of reverting `ZeroAmount`, and
    leaves the dust with the account."""
    broker, usdc, qspx = p.broker, p.tokens["USDC"], p.tokens["QSPX"]
    qspx.approve(broker, 20 * UNIT["QSPX"], sender=p.client)
    broker.execute(
        CLIENT_ID,
        [act(DEPOSIT, qspx, 20 * UNIT["QSPX"]), act(BORROW, usdc, 600 * UNIT["USDC"], p.client)],
        sender=p.client,
    )
    p.set_price("QSPX", 1e-8)  # the router's floor: 20 QSPX are worth 0.2 of a USDC unit
    receipt = broker.liquidate(
        CLIENT_ID, usdc, 600 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator
    )
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    assert (done.repaid, done.seized) == (0, 0)
    (bad,) = [e for e in receipt.events if e.event_name == "BadDebt"]
    assert bad.amount == 600 * UNIT["USDC"]
    assert broker.balanceOf(CLIENT_ID, qspx) == 20 * UNIT["QSPX"]
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 0


# ---------------------------------------------------------------- SEC-24: recovered margin calls


def borrowed_book(p):
    p.tokens["QSPX"].approve(p.broker, 2_000 * UNIT["QSPX"], sender=p.client)
    p.broker.execute(
        CLIENT_ID,
        [
            act(DEPOSIT, p.tokens["QSPX"], 2_000 * UNIT["QSPX"]),
            act(BORROW, p.tokens["USDC"], 60_000 * UNIT["USDC"], p.client),
        ],
        sender=p.client,
    )


def test_sec_24__a_call_the_account_recovered_from__does_not_shorten_a_later_breachs_grace(
    p, chain, accounts
):
    """The red team's early liquidation: called at 122.66%, back at 153.33%, a day later at
    124.96%: liquidated at once, a $1,500 bonus taken. A call now lapses unless it is seen below
    maintenance again within its heartbeat (the grace period, at most a day: `marginCall` on an
    open call confirms it): the recovered call lapsed, so the new breach is called afresh and has
    its own grace."""
    borrowed_book(p)
    broker, usdc, qspx = p.broker, p.tokens["USDC"], p.tokens["QSPX"]
    p.set_price("QSPX", 40)  # 122.66%
    broker.marginCall(CLIENT_ID, sender=accounts[9])
    chain.pending_timestamp += 60
    p.set_price("QSPX", 50)  # 153.33%: recovered; nobody clears the call
    chain.pending_timestamp += DAY + 60
    p.refresh_prices()
    p.set_price("QSPX", 40.75)  # 124.96%
    p.fund(p.liquidator, "USDC", 30_000 * UNIT["USDC"])
    usdc.approve(broker, 30_000 * UNIT["USDC"], sender=p.liquidator)
    with ape.reverts(broker.NotLiquidatable, account=CLIENT_ID, ratioBps=12_496):
        broker.liquidate(CLIENT_ID, usdc, 30_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator)
    assert p.margin.health(CLIENT_ID).marginCallAt == 0  # lapsed: none open
    # A new call, its own grace: confirmed within the heartbeat, liquidatable after the grace.
    receipt = broker.marginCall(CLIENT_ID, sender=accounts[9])
    (called,) = [e for e in receipt.events if e.event_name == "MarginCalled"]
    chain.pending_timestamp = called.deadline - 3_600
    p.refresh_prices()
    receipt = broker.marginCall(CLIENT_ID, sender=accounts[9])
    assert [e.event_name for e in receipt.events if e.event_name.startswith("MarginCall")] == [
        "MarginCallConfirmed"
    ]
    chain.pending_timestamp = called.deadline + 60
    p.refresh_prices()
    broker.liquidate(CLIENT_ID, usdc, 30_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator)


# ---------------------------------------------------------------- SEC-28: income is never lent


def test_sec_28__an_income_bearing_asset__never_borrowable(p, income_stack):
    """A pool lending an income share class would receive its dividend and count it for no lender
    (a pool counts as cash only what its calls bring in). The broker refuses to bind such a pool,
    and refuses to bind an income to an asset it lends or while any of it is posted."""
    shares, broker = income_stack.token, p.broker
    list_asset(p, shares, "USDC", 2_000, (SHARES, shares.address))
    assert tuple(p.margin.incomeOf(shares)) == (SHARES, shares.address, shares.address)
    pool = p.pools["QSPX"]  # any pool of this broker: the refusal is the asset's
    with ape.reverts(
        broker.InvalidCollateral,
        asset=shares.address,
        rule=member("CollateralRule", "IncomeBearing"),
    ):
        governed(p, "pool", lambda s: broker.setPool(shares, pool, sender=s))
    qspx = p.tokens["QSPX"]
    with ape.reverts(
        broker.InvalidCollateral, asset=qspx.address, rule=member("CollateralRule", "Borrowable")
    ):
        governed(p, "income", lambda s: broker.setIncome(qspx, SHARES, qspx, sender=s))
    qtb = p.tokens["QTB"]
    qtb.approve(broker, UNIT["QTB"], sender=p.client)
    broker.execute(CLIENT_ID, [act(DEPOSIT, qtb, UNIT["QTB"])], sender=p.client)
    with ape.reverts(
        broker.InvalidCollateral, asset=qtb.address, rule=member("CollateralRule", "Posted")
    ):
        governed(p, "income", lambda s: broker.setIncome(qtb, SHARES, qtb, sender=s))


# ---------------------------------------------------------------- SEC-29: defaulted notes


def test_sec_29__notes_defaulting_at_maturity__the_borrowers_debt_written_off_not_stuck(
    p, bond, accounts, chain, agent
):
    """Found hunting the same classes (dust that blocks a cleanup): an account borrowing against
    notes that default at maturity (no coupon, no redemption funded, the note priced near 0) held
    collateral no liquidation could take — the notes can no longer move (`BalancesFixed`) — so its
    debt stayed on the lenders' books for good. Now the matured notes leave its collateral, and
    the liquidation of an account left with none writes its debt off."""
    note, lusdc, usdc = bond.token, bond.usdc, p.tokens["USDC"]
    broker, servicer = p.broker, bond.servicer
    list_asset(p, lusdc, "USDC", 0)
    list_asset(p, note, "QTB", 2_000, (COUPONS, servicer.address))
    note.mint(p.client, 600 * SHARE_UNIT, sender=agent)
    post(p, CLIENT_ID, p.client, note, 600 * SHARE_UNIT)
    broker.execute(CLIENT_ID, [act(BORROW, usdc, 20_000 * UNIT["USDC"], p.client)], sender=p.client)
    for number in range(1, 5):  # nothing funded: every coupon defaults
        record(bond, number)
    bond.at(bond.terms.maturityDate)
    bond.lifecycle.registry.mature(bond.instrument, sender=p.lender)
    servicer.startRedemption(0, sender=p.lender)  # nothing funded either
    p.refresh_prices()
    p.set_price("QTB", 1e-8)  # the note's price: the default
    assert p.margin.health(CLIENT_ID).liquidatable
    pool = p.pools["USDC"]
    assets_before = pool.totalAssets()
    p.fund(p.liquidator, "USDC", UNIT["USDC"])  # the notes' worth at that price, and more
    usdc.approve(broker, UNIT["USDC"], sender=p.liquidator)
    receipt = broker.liquidate(
        CLIENT_ID, usdc, 20_000 * UNIT["USDC"], note, b"", 0, sender=p.liquidator
    )
    (bad,) = [e for e in receipt.events if e.event_name == "BadDebt"]
    assert bad.amount == 20_000 * UNIT["USDC"]
    assert pool.debtOf(CLIENT_ID, 0) == 0
    # Realised but for the claim's haircut value at that price, which the pool carries (SEC-234:
    # 600 notes at 1e-8, a few units).
    carried = broker.carriedDebtOf(CLIENT_ID, usdc)
    assert carried < 10
    assert pool.totalAssets() == assets_before - 20_000 * UNIT["USDC"] + carried
    assert broker.balanceOf(CLIENT_ID, note) == 0  # matured: out of the collateral


def test_sec_23__collateral_left_beside_the_bad_debt__nothing_written_off(p):
    """The write-off is for dust only: the red team's book with ten QTB (1,000 USD) beside the
    QSPX instead of one unit — after the same fall and liquidation the account keeps collateral a
    liquidation can take, so nothing is written off (the next liquidation takes it). The bound's
    other half, at most MAX_DUST_USD (one USD) whatever the debt's unit, is the broker's constant
    (the stack has no borrowable asset of a costly unit: keepers/prime/model.py's mirror is
    tested with one, tests/keepers/prime/test_margin_decisions.py)."""
    broker, usdc, qspx, qtb = p.broker, p.tokens["USDC"], p.tokens["QSPX"], p.tokens["QTB"]
    assert broker.MAX_DUST_USD() == 10**18
    books = [(qspx, 2_000 * UNIT["QSPX"]), (qtb, 10 * UNIT["QTB"])]
    for token, amount in books:
        token.approve(broker, amount, sender=p.client)
    broker.execute(
        CLIENT_ID,
        [act(DEPOSIT, t, a) for t, a in books]
        + [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)],
        sender=p.client,
    )
    p.set_price("QSPX", 19.5)
    p.fund(p.liquidator, "USDC", 60_000 * UNIT["USDC"])
    usdc.approve(broker, 60_000 * UNIT["USDC"], sender=p.liquidator)
    receipt = broker.liquidate(
        CLIENT_ID, usdc, 60_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator
    )
    assert [e for e in receipt.events if e.event_name == "BadDebt"] == []
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) > 0
    receipt = broker.liquidate(
        CLIENT_ID, usdc, p.pools["USDC"].debtOf(CLIENT_ID, 0), qtb, b"", 1, sender=p.liquidator
    )
    (bad,) = [e for e in receipt.events if e.event_name == "BadDebt"]
    assert broker.balanceOf(CLIENT_ID, qtb) == 0 and bad.amount > 0
