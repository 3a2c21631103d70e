"""The prime broker against an outside red team's fourth read (atk-prime3): SEC-164's per-swap
check passed a liquidatable account's rotation of its collateral when the account's own RFQ maker
delivered a little more than the oracle value (M2, SEC-167); a write-off on one low print of a
matured note's price forfeited its redemption claim, whose later payment then stayed with the
broker, owed to nobody (M1, SEC-190); and a claim worth more than dust, or one whose note had no
price, blocked every write-off while its debt compounded (M3, SEC-191, SEC-192). The attacks run
on the deployed stack (broker_fixtures, the fixtures of test_prime_broker_red_team_3.py, its
`matured` book: 600 notes posted, 39,000 USDC borrowed, the redemption started before it was
funded); the same prices, haircuts and tier."""

from __future__ import annotations

import ape

from bond_fixtures import SCALE, USD_UNIT
from broker_fixtures import (
    BORROW,
    CLIENT_ID,
    INTEREST,
    REPAY,
    SWAP,
    UNIT,
    WITHDRAW,
    act,
    another_pool,
)
from fast_reverts import attempt
from keepers.core.solidity_enums import member
from keepers.prime.book import PrimeBook
from keepers.prime.margin import choose_liquidation
from test_prime_broker_red_team_3 import liquidate, post, rfq_route

DAY = 86_400


def liquidatable_qspx_book(p, qspx_usd=34):
    """The red team's B1 book: 2,000 QSPX posted, 60,000 USDC borrowed, QSPX at 34 (104%)."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    p.fund(p.client, "QSPX", 2_000 * UNIT["QSPX"])
    post(p, p.client, qspx, 2_000 * UNIT["QSPX"])
    p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    p.set_price("QSPX", qspx_usd)
    assert p.margin.health(CLIENT_ID).liquidatable


def rotation(p, chain, token_out, amount_out):
    """The account's own second wallet quotes 2,000 QSPX for `amount_out` of `token_out`."""
    own, symbol = p.client2, str(token_out.symbol())
    p.fund(own, symbol, amount_out)
    token_out.approve(p.venues["RfqVenue"], amount_out, sender=own)
    return rfq_route(p, chain, own, p.tokens["QSPX"], token_out, 2_000 * UNIT["QSPX"], amount_out)


def test_sec_167__own_maker_overpays__rotation_of_a_liquidatable_account_refused(p, chain):
    """B1: the account's own RFQ maker delivered 850.2 QCORP (68,016 USD) for its 2,000 QSPX
    (68,000 USD at oracle): the swap itself raised the ratio (10,426 to 10,429 bps), so the
    liquidatable account rotated all of its QSPX into QCORP and the keeper's liquidation naming
    QSPX reverted InsufficientBalance. Now the swap is judged with what it bought valued at no more
    than the oracle value of what it sold: the 16 USD over it raise nothing, and the rotation is
    refused."""
    qspx, qcorp = p.tokens["QSPX"], p.tokens["QCORP"]
    liquidatable_qspx_book(p)
    ratio = p.margin.health(CLIENT_ID).ratioBps
    over = rotation(p, chain, qcorp, 850 * UNIT["QCORP"] + UNIT["QCORP"] // 5)
    refused = attempt(chain, p.broker.execute, CLIENT_ID, [act(SWAP, data=over)], sender=p.client)
    assert refused is not None and refused[0] == "InitialMarginBreached", refused
    assert refused[1]["account"] == CLIENT_ID and refused[1]["ratioBps"] > ratio
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 2_000 * UNIT["QSPX"]
    assert p.broker.balanceOf(CLIENT_ID, qcorp) == 0


def test_sec_167__rotation_at_oracle_into_a_lower_haircut__passes__keeper_seizes_what_is_held(
    p, chain
):
    """What stays allowed: a rotation at the oracle price into an asset of a lower haircut (QSPX,
    8%, into T-bills, 1.6%) is de-risking, and raises the ratio without any overpayment. The
    margin keeper reads the holdings again before it liquidates: it names the T-bills, which the
    broker's preview seizes."""
    qspx, qtb, usdc = p.tokens["QSPX"], p.tokens["QTB"], p.tokens["USDC"]
    liquidatable_qspx_book(p, 33)  # 101%: still liquidatable in T-bills (108%)
    ratio = p.margin.health(CLIENT_ID).ratioBps
    at_oracle = rotation(p, chain, qtb, 660 * UNIT["QTB"])  # 66,000 USD
    refused = attempt(
        chain, p.broker.execute, CLIENT_ID, [act(SWAP, data=at_oracle)], sender=p.client
    )
    assert refused is None
    h = p.margin.health(CLIENT_ID)
    assert h.ratioBps > ratio and h.liquidatable
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 0
    book = PrimeBook(p.broker.address)
    choice = choose_liquidation(book.holdings(CLIENT_ID), h.ratioBps, book.mark(CLIENT_ID).tier)
    assert choice.collateral_asset == qtb.address and choice.debt_asset == usdc.address
    repaid, seized, _, _ = p.margin.previewLiquidation(CLIENT_ID, usdc, choice.repay, qtb)
    assert (repaid, seized) == (choice.repaid, choice.seized)


# ---------------------------------------------- SEC-190 to SEC-196: a claim assigned, not forfeited


def take(p, chain, debt_asset, repay, collateral_asset):
    """The liquidator pays `repay` of the debt itself and takes the collateral: None when it went
    through, (error name, fields) when refused."""
    p.fund(p.liquidator, "USDC", repay)
    debt_asset.approve(p.broker, repay, sender=p.liquidator)
    return liquidate(p, chain, debt_asset, repay, collateral_asset)


def seize_the_cash(p, chain, matured):
    """The note at 40 (the market doubts the redemption): the account is liquidatable and the
    liquidator takes its ~5,250 of cash for as much of the 39,000 USDC debt. Returns the receipt."""
    note, lusdc, usdc, borrowed = matured
    p.set_price("QTB", 40)
    assert p.margin.health(CLIENT_ID).liquidatable
    p.fund(p.liquidator, "USDC", borrowed)
    usdc.approve(p.broker, borrowed, sender=p.liquidator)
    receipt = p.broker.liquidate(CLIENT_ID, usdc, borrowed, lusdc, b"", 0, sender=p.liquidator)
    assert p.broker.balanceOf(CLIENT_ID, lusdc) == 0
    return receipt


def terms_usd(bond, units, paid_index, pay_price18=10**18):
    """A claim by the servicer's terms: units x (price per share - the index paid) / SCALE of the
    payment asset (6 decimals), at its price."""
    price = bond.servicer.redemptionPool().pricePerShare
    return units * (price - paid_index) // SCALE * pay_price18 // USD_UNIT


def test_sec_190__write_off_beside_a_notes_claim__assigned_to_the_pool__redemption_repays_it(
    p, bond, matured, chain
):
    """M1 (B2), and round 3's A2 behind it: the account started its notes' redemption before the
    issuer funded it; the liquidator took its cash; one print of 1e-8 on the note's feed made the
    claim 'dust', the 33,750 USDC left were written off against the lenders and the claim
    forfeited. The issuer then funded the redemption: 59,842.92 LUSDC owed for the forfeited
    notes sat at the servicer for the broker, owed to nobody, with no path to the lenders. Now a
    write-off assigns the debt to the claim (no interest, `assignedDebtOf`): the redemption is
    credited to the account, which cannot take it home while the assigned debt is unpaid, and a
    liquidation recovers the debt from it to the pool (`recoverBadDebt`). SEC-234: the pool
    carries at face only the claim's haircut value; the print re-marks that carry (realised), never
    the claim, and the recovery restores the lenders."""
    note, lusdc, usdc, borrowed = matured
    pool, servicer = p.pools["USDC"], bond.servicer
    first = seize_the_cash(p, chain, matured)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    p.set_price("QTB", 1e-8)  # one report
    owed = pool.debtOf(CLIENT_ID, 0)
    printed = liquidate(p, chain, usdc, max(owed, 1), note)  # the keeper's write-off step
    # (What a claim on 600 notes at 1e-8 still covers: a few units.)
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) == pool.state().assignedDebt < 100
    p.set_price("QTB", 100)  # the price comes back
    servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    # Nothing stranded at the servicer: the notes' redemption is the account's cash.
    assert servicer.redeemable(p.broker.address) == 0
    cash = p.broker.balanceOf(CLIENT_ID, lusdc)
    assert cash > 59_000 * USD_UNIT
    # The write-off came with the cash seizure (nothing seizable left), whatever the print: the
    # debt left the pool's interest-bearing book and was assigned to the claim, the pool carrying
    # the claim's haircut value of it (SEC-234: 600 notes at 40, ~23,554), the rest realised.
    lost = sum(int(e.amount) for e in first.events if e.event_name == "BadDebt")
    assert lost > 33_000 * UNIT["USDC"] and owed == 0
    (assigned,) = [e for e in first.events if e.event_name == "DebtAssigned"]
    assert (assigned.asset, assigned.previous, assigned.next) == (usdc.address, 0, lost)
    assert 20_000 * UNIT["USDC"] < carried < lost
    # The print re-marked the carry (realised, the lenders' price down then) and kept the claim.
    assert printed is None
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == lost
    # A2: the account cannot take the redemption home debt-free.
    refused = attempt(
        chain, p.broker.execute, CLIENT_ID, [act(WITHDRAW, lusdc, cash, p.client)], sender=p.client
    )
    assert refused is not None and refused[0] == "DebtAssignedOutstanding"  # SEC-234 (F5)
    # The keeper's recovery: the assigned debt in full (the account is healthy: 177%), against
    # the cash; the pool gets its loss back.
    assert p.margin.health(CLIENT_ID).liquidatable
    left = pool.state().assignedDebt
    assert pool.state().badDebtRealised == lost - left
    lenders = pool.totalAssets()
    assert take(p, chain, usdc, lost, lusdc) is None
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == 0
    # Recovered in full: the lenders' loss restored, locked at the recovery (no step, SEC-241)
    # and theirs once unlocked (their assets up by it, not more).
    s = pool.state()
    assert s.assignedDebt == 0 and s.lockedRestoration == lost - left
    assert abs(pool.totalAssets() - lenders) <= 1
    chain.pending_timestamp = s.restorationUnlocksAt
    chain.mine()
    assert lost - left <= pool.totalAssets() - lenders <= lost - left + 1
    # What is left is the account's, debt-free.
    left = p.broker.balanceOf(CLIENT_ID, lusdc)
    p.broker.execute(CLIENT_ID, [act(WITHDRAW, lusdc, left, p.client)], sender=p.client)
    assert left > cash - lost * 106 // 100


def test_sec_191__issuer_never_completes_the_redemption__debt_assigned__no_interest_on_it(
    p, bond, matured, chain
):
    """M3 (B3): the issuer defaults, the note trades at 40. After the cash was seized nothing
    could be seized and nothing written off (the claim was worth more than dust): a year later the
    33,750 USDC had compounded to 34,116.48 and the reserves had booked 36.65 of interest that
    will never be paid. Now the write-off comes with the last seizure and the debt is assigned to
    the claim, without interest: it stays 33,750 however long the claim waits."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    seize_the_cash(p, chain, matured)
    p.set_rates("USDC", INTEREST)
    reserves = pool.state().reserves
    chain.pending_timestamp += 365 * DAY
    chain.mine()
    p.refresh_prices()
    assert (pool.debtOf(CLIENT_ID, 0), pool.state().reserves) == (0, reserves)
    assigned = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    assert borrowed - 5_300 * UNIT["USDC"] < assigned < borrowed - 5_200 * UNIT["USDC"]
    # Nothing to recover it from yet: every liquidation is refused, none writes anything again.
    for asset in (lusdc, note, usdc):
        refused = liquidate(p, chain, usdc, assigned, asset)
        assert refused is not None and refused[0] in ("ZeroAmount", "InsufficientBalance"), refused


def test_sec_192__note_feed_stale_after_maturity__claim_valued_by_its_terms__write_off_goes_on(
    p, bond, matured, chain
):
    """M3 (B4): after maturity the note's reporter stops (nothing trades). The claim's note read
    as a held asset without a price: the claim counted 0 (the account, at 151% before, was
    liquidatable at 13%: round 2's H1 again) and no write-off was possible (`WriteOffUnpriced`)
    until the feed came back. Now a claim is valued by the servicer's terms at its payment asset's
    price (at most the note's market value while the note has one): no holding without a price,
    and a write-off beside the claim goes through. Since SEC-198 the unfunded part of the claim
    counts only at a usable note price, so the stale feed values this unfunded claim at 0."""
    note, lusdc, usdc, borrowed = matured
    chain.pending_timestamp += 2 * DAY
    chain.mine()
    for symbol in ("USDC", "QSPX", "QCORP"):  # all but the note's
        feed = p.feeds[symbol]
        feed.report(feed.latestRoundData()[1], sender=p.reporter)
    cash = p.broker.balanceOf(CLIENT_ID, lusdc)
    h = p.margin.health(CLIENT_ID)
    # SEC-198: the unfunded part counts only at a usable note price (silence is no promise of the
    # issuer's); the funded part is cash the account was already credited (its mark is at the
    # index), so the claim counts 0 and the account is liquidatable.
    assert bond.servicer.redemptionPool().shortfall > 50_000 * USD_UNIT
    assert h.collateralUsd == cash * 10**12
    assert h.liquidatable
    # A stricter tier (220% liquidation, the whole debt at once, no bonus): the cash is seized and,
    # nothing seizable left, the rest is written off and assigned to the claim.
    strict, sender = (30_000, 25_000, 22_000, 10_000, 0, 3_600), p.deployment.sender
    p.governed(
        ("a strict tier", lambda: p.broker.setTier(1, strict, sender=sender)),
        (
            "the client on it",
            lambda: p.broker.setCreditLine(CLIENT_ID, (10**24, 0, 1), sender=sender),
        ),
    )
    assert take(p, chain, usdc, borrowed, lusdc) is None
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 0
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == borrowed - cash


def test_sec_193__assigned_debt__repaid_by_the_account__recovered_to_the_pool(
    p, bond, matured, chain
):
    """The account may pay its assigned debt itself (a Repay action, from its wallet or its
    balance), before any other debt of that asset: the pool recovers it as it would from a
    liquidation (`BadDebtRecovered`): assigned debt becomes cash, one for one."""
    note, lusdc, usdc, borrowed = matured
    pool = p.pools["USDC"]
    seize_the_cash(p, chain, matured)
    assigned = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    carried = p.broker.carriedDebtOf(CLIENT_ID, usdc)
    assert pool.state().assignedDebt == carried < assigned
    assert pool.state().badDebtRealised == assigned - carried
    part = 10_000 * UNIT["USDC"]
    usdc.approve(p.broker, part, sender=p.client)
    receipt = p.broker.execute(CLIENT_ID, [act(REPAY, usdc, part, p.client)], sender=p.client)
    [recovered] = receipt.decode_logs(pool.BadDebtRecovered)
    # The carried part first (SEC-234).
    assert (recovered.account, recovered.amount, recovered.carried, recovered.assignedAfter) == (
        CLIENT_ID,
        part,
        part,
        carried - part,
    )
    assert p.broker.assignedDebtOf(CLIENT_ID, usdc) == assigned - part
    assert p.broker.carriedDebtOf(CLIENT_ID, usdc) == carried - part
    assert pool.state().assignedDebt == carried - part
    assert pool.debtOf(CLIENT_ID, 0) == 0


def test_sec_195__set_pool_while_debt_of_it_is_assigned__refused(p, bond, matured, chain):
    """The written-off debt assigned to a claim is the pool's to recover: `setPool` refused only
    while the pool's `totalDebt` was not 0, and after the write-off it is; a new pool would then
    have booked the old pool's recovery. Now it refuses while any debt of the asset is assigned."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    old = p.pools["USDC"]
    assert old.state().totalDebt == 0 and p.broker.assignedDebtOf(CLIENT_ID, usdc) > 0
    other = another_pool(p, usdc, "LendingPool.USDC3")
    with ape.reverts(
        p.broker.InvalidCollateral, asset=usdc, rule=member("CollateralRule", "PoolOwed")
    ):
        p.governed(
            ("swap the pool", lambda: p.broker.setPool(usdc, other, sender=p.deployment.sender))
        )
    assert p.margin.poolOf(usdc) == old.address


def test_sec_196__keeper_reads_the_assigned_debt__recovers_it_from_the_redemption(
    p, bond, matured, chain
):
    """The keeper's side of SEC-190 on the deployed stack: after the write-off the account owes
    the pool nothing (`debtOf` 0) and its health counts the assigned debt; once the redemption is
    credited it reads liquidatable (177%: assigned debt beside something to seize), the book reads
    the assigned debt (`PrimeBook.holdings`), and the keeper's choice is what the broker's preview
    does: all of it, against the cash."""
    note, lusdc, usdc, borrowed = matured
    seize_the_cash(p, chain, matured)
    book = PrimeBook(p.broker.address)
    assigned = p.broker.assignedDebtOf(CLIENT_ID, usdc)
    held = book.holdings(CLIENT_ID)
    assert (held[usdc.address].debt, held[usdc.address].assigned) == (assigned, assigned)
    mark = book.mark(CLIENT_ID)
    assert mark.health.debt_usd == assigned * 10**12
    # Nothing to seize yet: no liquidation chosen.
    assert choose_liquidation(held, mark.health.ratio_bps, mark.tier) is None
    bond.servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    mark = book.mark(CLIENT_ID)
    assert mark.health.liquidatable and mark.health.ratio_bps > 17_000
    held = book.holdings(CLIENT_ID)
    choice = choose_liquidation(held, mark.health.ratio_bps, mark.tier)
    assert (choice.debt_asset, choice.collateral_asset) == (usdc.address, lusdc.address)
    assert choice.repay == assigned and not choice.write_off
    repaid, seized, _, _ = p.margin.previewLiquidation(CLIENT_ID, usdc, choice.repay, lusdc)
    assert (repaid, seized) == (choice.repaid, choice.seized)
