"""The prime broker against an outside red team's third read (atk-prime2, SEC-160 to SEC-165): a
write-off that left the account its matured notes' redemption claim (SEC-160's test is now
test_prime_broker_red_team_4.py's SEC-190: the write-off assigns the debt to the claim), a
write-off beside a holding without a usable price, a write-off decided before the sale left part
of the seizure behind, a swap judged over a batch a deposit made risk-reducing, and a reentrancy
lock left set. Each test
performs the attack on the deployed stack (broker_fixtures: the deploy routine's broker, pools and
listings on the liquidity stack's venues; bond_fixtures: the lifecycle domain's note) and checks
that it now fails. Prices: USDC 1, QTB 100, QSPX 50, QCORP 80; haircuts 0%, 1.6%, 8%, 8%; the tier
150/125/110, close factor 50%, bonus 5%. The note is priced by the QTB feed."""

from __future__ import annotations

from bond_fixtures import SHARE_UNIT, USD_UNIT
from broker_fixtures import BORROW, CLIENT_ID, DEPOSIT, SWAP, UNIT, WITHDRAW, act, route
from fast_reverts import attempt
from keepers.access import renounce_temporary_roles
from keepers.liquidity.codec import encode_route
from keepers.liquidity.rfq import RfqQuote, sign_quote
from keepers.prime import CollateralTerms, configure_prime
from keepers.risk.deploy import feed_config

DAY = 86_400
COUPONS = 1  # IPrimeBroker's IncomeKind.Coupons
CAP = 10**30


def post(p, wallet, token, amount):
    token.approve(p.broker, amount, sender=wallet)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, token, amount)], sender=wallet)


def list_asset(p, token, feed_symbol, risk_weight_bps, income=None):
    router = p.deployment.at("OracleRouter")
    p.governed(
        (
            "feed",
            lambda: router.setFeed(
                token, feed_config(p.feeds[feed_symbol].address), sender=p.deployment.sender
            ),
        )
    )
    terms = CollateralTerms(risk_weight_bps, CAP, CAP, income)
    configure_prime(p.deployment, p.broker, {str(token.symbol()): (token, terms)}, {})
    renounce_temporary_roles(p.deployment)


def record(bond, number):
    _, end = bond.period(number)
    bond.at(end - bond.terms.coupon.recordDateOffsetDays * DAY)
    return bond.servicer.recordCoupon(number, sender=bond.issuer)


def bad_debt(receipt):
    return sum(int(e.amount) for e in receipt.events if e.event_name == "BadDebt")


def liquidate(p, chain, debt_asset, repay, collateral_asset, route_bytes=b""):
    """The liquidator's step: (error name, fields) when refused, None when it went through."""
    count = p.broker.liquidationCount(CLIENT_ID)
    args = (CLIENT_ID, debt_asset, repay, collateral_asset, route_bytes, count)
    return attempt(chain, p.broker.liquidate, *args, sender=p.liquidator)


def mature_notes(p, bond, agent):
    """The red team's A2 book: the note listed (its servicer bound) beside its payment asset
    (LUSDC, cash); the client posts 600 notes (60,000 USD) and borrows 39,000 USDC to its wallet
    (151%); four coupons recorded; at the maturity timestamp the client itself matures the note
    and starts its redemption before the issuer funds it (only the coupon reserve's ~400 left).
    (note, LUSDC, USDC, borrowed)."""
    note, lusdc, usdc = bond.token, bond.usdc, p.tokens["USDC"]
    list_asset(p, lusdc, "USDC", 0)
    list_asset(p, note, "QTB", 2_000, (COUPONS, bond.servicer.address))
    note.mint(p.client, 600 * SHARE_UNIT, sender=agent)
    post(p, p.client, note, 600 * SHARE_UNIT)
    borrowed = 39_000 * UNIT["USDC"]
    p.broker.execute(CLIENT_ID, [act(BORROW, usdc, borrowed, p.client)], sender=p.client)
    bond.servicer.fundCoupons(14_000 * USD_UNIT, sender=bond.issuer)
    for number in range(1, 5):
        record(bond, number)
    bond.at(bond.terms.maturityDate)
    bond.lifecycle.registry.mature(bond.instrument, sender=p.client)
    bond.servicer.startRedemption(0, sender=p.client)
    p.refresh_prices()
    # The margin keeper's first step: settle the income (the notes retire from the collateral).
    p.broker.claimIncome(CLIENT_ID, note, sender=p.liquidator)
    return note, lusdc, usdc, borrowed


# ---------------------------------------------------- SEC-161: a matured note's claim


def test_sec_161__redemption_started_before_funding__posted_notes_still_count(
    p, bond, matured, chain
):
    """Side effect of A2: starting the redemption at the first second it is allowed valued every
    account's retired notes at 0 (the client's 60,000 USD of notes left only ~5,250 of cash), so
    the keeper liquidated note-backed accounts at the bonus. Now a retired note's unpaid claim
    counts at its oracle price times the part of the redemption price not yet paid to the account:
    the account is as healthy as before and nothing is liquidated."""
    note, lusdc, usdc, borrowed = matured
    h = p.margin.health(CLIENT_ID)
    assert p.broker.balanceOf(CLIENT_ID, note) == 0  # retired: no longer a balance to move
    assert h.collateralUsd > 60_000 * 10**18  # the cash credited and the claim on the rest
    assert not h.liquidatable
    refused = liquidate(p, chain, usdc, borrowed // 2, lusdc)
    assert refused is not None and refused[0] == "NotLiquidatable"


# ---------------------------------------------------- SEC-162: a holding without a usable price


def test_sec_162__stale_feed__no_write_off_beside_the_unpriced_collateral(p, chain):
    """A1: 1,000 QCORP (80,000 USD) and 1 wei of QSPX posted, 49,000 USDC borrowed; the QCORP feed
    went stale (valued 0, SEC-153), the 1 wei of QSPX was 'dust' and the keeper's liquidation
    wrote the 49,000 off with nothing repaid; the feed came back and the client withdrew its
    QCORP, debt-free. Now no write-off while any held asset has no usable price."""
    usdc, qspx, qcorp = p.tokens["USDC"], p.tokens["QSPX"], p.tokens["QCORP"]
    pool = p.pools["USDC"]
    p.fund(p.client, "QCORP", 1_000 * UNIT["QCORP"])
    qcorp.approve(p.broker, 1_000 * UNIT["QCORP"], sender=p.client)
    qspx.approve(p.broker, 1, sender=p.client)
    borrowed = 49_000 * UNIT["USDC"]
    p.broker.execute(
        CLIENT_ID,
        [
            act(DEPOSIT, qcorp, 1_000 * UNIT["QCORP"]),
            act(DEPOSIT, qspx, 1),
            act(BORROW, usdc, borrowed, p.client),
        ],
        sender=p.client,
    )
    chain.pending_timestamp += 2 * DAY
    for symbol in ("USDC", "QTB", "QSPX"):
        feed = p.feeds[symbol]
        feed.report(feed.latestRoundData()[1], sender=p.reporter)
    assert p.margin.health(CLIENT_ID).liquidatable
    refused = liquidate(p, chain, usdc, borrowed, qspx)
    assert refused == ("WriteOffUnpriced", {"account": CLIENT_ID, "asset": qcorp.address})
    assert pool.debtOf(CLIENT_ID, 0) == borrowed
    p.refresh_prices()
    refused = attempt(
        chain,
        p.broker.execute,
        CLIENT_ID,
        [act(WITHDRAW, qcorp, 1_000 * UNIT["QCORP"], p.client)],
        sender=p.client,
    )
    assert refused is not None and refused[0] == "InitialMarginBreached"


# ---------------------------------------------------- SEC-163: the write-off after the sale


def test_sec_163__sale_leaves_part_of_the_seizure__write_off_decided_on_what_is_left(p, chain):
    """A1's variant (by reading): the write-off was decided on the whole seizure before the route
    ran; the keeper's route sells 1 bp less (SALE_MARGIN_BPS), re-credited to the account, which
    kept it debt-free. Now the write-off is decided on what the account holds after the sale: the
    remainder (worth more than dust) stays collateral against the debt left."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    pool = p.pools["USDC"]
    p.fund(p.client, "QSPX", 2_000 * UNIT["QSPX"])
    post(p, p.client, qspx, 2_000 * UNIT["QSPX"])
    p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    p.set_price("QSPX", 25)  # 50,000 USD against 60,000: below 100%, everything seized
    owed = pool.debtOf(CLIENT_ID, 0)
    _, seized, _, _ = p.margin.previewLiquidation(CLIENT_ID, usdc, owed, qspx)
    assert seized == 2_000 * UNIT["QSPX"]
    sold = seized * 9_999 // 10_000  # the keeper's sale: 1 bp less than the preview
    receipt = p.broker.liquidate(
        CLIENT_ID, usdc, owed, qspx, route(p, chain, "QSPX", "USDC", sold), 0, sender=p.liquidator
    )
    left = p.broker.balanceOf(CLIENT_ID, qspx)
    assert left == seized - sold  # 0.2 QSPX, 5 USD: more than dust
    assert bad_debt(receipt) == 0
    owed = pool.debtOf(CLIENT_ID, 0)
    assert owed > 0
    # The next liquidation takes the remainder, and only then is the rest written off.
    p.fund(p.liquidator, "USDC", owed)
    usdc.approve(p.broker, owed, sender=p.liquidator)
    receipt = p.broker.liquidate(CLIENT_ID, usdc, owed, qspx, b"", 1, sender=p.liquidator)
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 0
    assert bad_debt(receipt) > 0 and pool.debtOf(CLIENT_ID, 0) == 0


# ---------------------------------------------------- SEC-164: each swap judged on its own


def rfq_route(p, chain, maker, token_in, token_out, amount_in, amount_out, nonce=1):
    venue = p.venues["RfqVenue"]
    deadline = chain.pending_timestamp + 3_600
    quote = RfqQuote(
        maker.address,
        p.broker.address,
        token_in.address,
        token_out.address,
        amount_in,
        amount_out,
        nonce,
        deadline,
    )
    signed = sign_quote(quote, maker.private_key, chain.chain_id, venue)
    return encode_route(
        token_in,
        token_out,
        amount_in,
        1,
        p.broker.address,
        deadline,
        0,
        [(amount_in, [(venue, token_out.address, signed.hop_data())])],
    )


def test_sec_164__deposit_in_the_batch__rotation_below_initial_margin_still_refused(p, chain):
    """A3: SEC-156 judged 'strictly raises the ratio' over the whole batch, so 10 USDC deposited
    before the swap made the same oracle-priced rotation of a liquidatable account's 2,000 QSPX
    into QCORP pass, and the keeper's liquidation naming QSPX reverted. Now each swap of an
    account below initial margin is judged on its own: the ratio just after it against just
    before it."""
    usdc, qspx, qcorp = p.tokens["USDC"], p.tokens["QSPX"], p.tokens["QCORP"]
    p.fund(p.client, "QSPX", 2_000 * UNIT["QSPX"])
    post(p, p.client, qspx, 2_000 * UNIT["QSPX"])
    p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    p.set_price("QSPX", 34)  # 104%: liquidatable
    own = p.client2
    p.fund(own, "QCORP", 850 * UNIT["QCORP"])
    qcorp.approve(p.venues["RfqVenue"], 850 * UNIT["QCORP"], sender=own)
    rotate = rfq_route(p, chain, own, qspx, qcorp, 2_000 * UNIT["QSPX"], 850 * UNIT["QCORP"])
    usdc.approve(p.broker, 10 * UNIT["USDC"], sender=p.client)
    refused = attempt(
        chain,
        p.broker.execute,
        CLIENT_ID,
        [act(DEPOSIT, usdc, 10 * UNIT["USDC"]), act(SWAP, data=rotate)],
        sender=p.client,
    )
    assert refused is not None and refused[0] == "InitialMarginBreached"
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 2_000 * UNIT["QSPX"]


# ---------------------------------------------------- SEC-165: the reentrancy lock


def test_sec_165__two_broker_calls_in_one_transaction__the_lock_is_released(p, chain, project):
    """A4: `claimIncome` and `liquidate` ended in `_delegate`'s assembly `return`, which skipped
    the `nonReentrant` modifier's release: a second call to the broker in the same transaction
    (a liquidator contract's second liquidation, a contract wallet's claim then execute) reverted
    ReentrancyGuardReentrantCall. Now both return from Solidity and release the lock."""
    usdc = p.tokens["USDC"]
    caller = project.TwoCalls.deploy(sender=p.client)
    claim = p.broker.claimIncome.encode_input(CLIENT_ID, usdc.address)
    refused = attempt(chain, caller.both, p.broker.address, claim, claim, sender=p.client)
    assert refused is None
