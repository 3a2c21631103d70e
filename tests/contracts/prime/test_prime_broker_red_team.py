"""The prime broker against an outside red team's second read (atk-prime, SEC-151 to SEC-158): a
halted account's swaps, the account as a compliance hop, an unpriced dust holding, a pool swapped
from under its debts, a liquidatable account rotating its collateral, and misleading views. Each
test performs the attack on the deployed stack (broker_fixtures: the deploy routine's broker, its
pools and listings on the liquidity stack's real venues) and checks that it now fails. Prices:
USDC 1, QTB 100, QSPX 50, QCORP 80; haircuts 0%, 1.6%, 8%, 8%; the tier 150/125/110."""

from __future__ import annotations

import ape
from eth_utils import to_checksum_address

from broker_fixtures import (
    BORROW,
    CLIENT_ID,
    DEPOSIT,
    INSTITUTIONAL,
    NEVER,
    SWAP,
    UNIT,
    US,
    act,
    another_pool,
    fresh,
    route,
)
from fast_reverts import attempt
from keepers.core.solidity_enums import member
from keepers.liquidity.codec import encode_route
from keepers.liquidity.rfq import RfqQuote, sign_quote

DE = 276  # verified and Institutional, but not a jurisdiction the test tokens allow (US only)
OUTSIDER_ID = to_checksum_address("0x" + "a7" * 20)
ACCOMPLICE_ID = to_checksum_address("0x" + "ac" * 20)


def post(p, wallet, account, books: dict[str, int]):
    actions = []
    for symbol, whole in books.items():
        amount = whole * UNIT[symbol]
        p.fund(wallet, symbol, amount)
        p.tokens[symbol].approve(p.broker, amount, sender=wallet)
        actions.append(act(DEPOSIT, p.tokens[symbol], amount))
    return p.broker.execute(account, actions, sender=wallet)


def wallet_of(p, accounts, chain, identity, country=US):
    wallet = fresh(accounts, chain)
    p.registry.registerInvestor(wallet, identity, country, INSTITUTIONAL, NEVER, sender=p.operator)
    return wallet


def open_account(p, wallet, identity):
    p.broker.openAccount(sender=wallet)
    p.governed(
        (
            "credit line",
            lambda: p.broker.setCreditLine(identity, (10**24, 0, 0), sender=p.deployment.sender),
        )
    )


def rfq_route(p, chain, maker, token_in, token_out, amount_in, amount_out, nonce=1):
    """A one-hop route through the RfqVenue on `maker`'s signed quote (taker: the broker)."""
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


def borrowed(p, qspx_whole=2_000, usdc_whole=60_000):
    """The client's account: `qspx_whole` QSPX posted, `usdc_whole` USDC borrowed to its wallet."""
    post(p, p.client, CLIENT_ID, {"QSPX": qspx_whole})
    p.broker.execute(
        CLIENT_ID,
        [act(BORROW, p.tokens["USDC"], usdc_whole * UNIT["USDC"], p.client)],
        sender=p.client,
    )


# ------------------------------------------------------------------ SEC-151: halted accounts


def test_sec_151__halted_account_without_debt__swap_to_an_accomplice_refused(p, accounts, chain):
    """ATK-PRM-1a: a halted account with no debt sold its 100,000 USDC for 1 wei of QTB on its
    accomplice's RFQ quote ('risk-reducing': no debt before or after). Now every swap fetches the
    oracle value less 3%, and a halted account swaps only when it owes and the swap strictly
    raises its ratio: not even a fair swap without debt."""
    usdc, qtb = p.tokens["USDC"], p.tokens["QTB"]
    post(p, p.client, CLIENT_ID, {"USDC": 100_000})
    p.risk_engine.halt(CLIENT_ID, sender=p.guardian)
    maker = wallet_of(p, accounts, chain, ACCOMPLICE_ID)
    p.fund(maker, "QTB", 1)
    qtb.approve(p.venues["RfqVenue"], 1, sender=maker)
    amount = 100_000 * UNIT["USDC"]
    drain = rfq_route(p, chain, maker, usdc, qtb, amount, 1)
    with ape.reverts(p.broker.SwapOutputBelowOracle, amountOut=1):
        p.broker.execute(CLIENT_ID, [act(SWAP, data=drain)], sender=p.client)
    assert usdc.balanceOf(maker) == 0
    assert p.broker.balanceOf(CLIENT_ID, usdc) == amount
    fair = route(p, chain, "USDC", "QTB", 1_000 * UNIT["USDC"])
    with ape.reverts(p.broker.Halted, account=CLIENT_ID):
        p.broker.execute(CLIENT_ID, [act(SWAP, data=fair)], sender=p.client)


def test_sec_151__halted_indebted_account__sale_below_the_oracle_refused(p, accounts, chain):
    """ATK-PRM-1b: a halted account with debt sold its 2,000 QSPX (100,000 USD at the oracle)
    to its accomplice for 92,000 USDC, its ratio unchanged. Now every swap of an account fetches
    at least the oracle value of what it sells less MAX_LIQUIDATION_SLIPPAGE_BPS (3%)."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    borrowed(p, 2_000, 30_000)
    p.risk_engine.halt(CLIENT_ID, sender=p.guardian)
    maker = wallet_of(p, accounts, chain, ACCOMPLICE_ID)
    paid = 92_000 * UNIT["USDC"]
    p.fund(maker, "USDC", paid)
    usdc.approve(p.venues["RfqVenue"], paid, sender=maker)
    sold = 2_000 * UNIT["QSPX"]
    cheap = rfq_route(p, chain, maker, qspx, usdc, sold, paid)
    floor = 100_000 * UNIT["USDC"] * 9_700 // 10_000
    with ape.reverts(p.broker.SwapOutputBelowOracle, amountOut=paid, oracleMinimum=floor):
        p.broker.execute(CLIENT_ID, [act(SWAP, data=cheap)], sender=p.client)
    assert qspx.balanceOf(maker) == 0


# ------------------------------------------------------------------ SEC-152: compliance hop


def test_sec_152__identity_the_token_refuses__cannot_buy_it_into_its_account(p, accounts, chain):
    """ATK-PRM-6: an identity of a jurisdiction QSPX refuses (DE) bought ~400 QSPX into its prime
    account (the token only checked the venue -> broker leg). Now a security bought or borrowed
    into an account must be one the executing wallet could receive (`AssetNotEligible`, the
    token's reason code)."""
    qspx = p.tokens["QSPX"]
    outsider = wallet_of(p, accounts, chain, OUTSIDER_ID, country=DE)
    assert qspx.detectTransferRestriction(p.client, outsider, UNIT["QSPX"]) == 8
    open_account(p, outsider, OUTSIDER_ID)
    post(p, outsider, OUTSIDER_ID, {"USDC": 50_000})
    buy = 20_000 * UNIT["USDC"]
    buying = [act(SWAP, data=route(p, chain, "USDC", "QSPX", buy))]
    refused = attempt(chain, p.broker.execute, OUTSIDER_ID, buying, sender=outsider)
    assert refused is not None, "the outsider bought QSPX into its account"
    name, fields = refused
    assert name == "AssetNotEligible" and fields["reasonCode"] == 8
    assert (fields["account"], fields["asset"]) == (OUTSIDER_ID, qspx.address)
    borrowing = [act(BORROW, qspx, UNIT["QSPX"])]
    refused = attempt(chain, p.broker.execute, OUTSIDER_ID, borrowing, sender=outsider)
    assert refused is not None and refused[0] == "AssetNotEligible"
    assert p.broker.balanceOf(OUTSIDER_ID, qspx) == 0
    # An eligible account buys as before.
    post(p, p.client, CLIENT_ID, {"USDC": 50_000})
    p.broker.execute(
        CLIENT_ID, [act(SWAP, data=route(p, chain, "USDC", "QSPX", buy))], sender=p.client
    )
    assert p.broker.balanceOf(CLIENT_ID, qspx) > 390 * UNIT["QSPX"]


# ------------------------------------------------------------------ SEC-153: unpriced dust


def test_sec_153__one_unit_of_an_unpriced_asset__liquidation_and_margin_call_go_on(
    p, accounts, chain
):
    """ATK-PRM-8: one unit of QCORP posted beside 2,000 QSPX; QCORP's feed went stale and the
    account at 92% could be neither margin-called nor liquidated (`PriceUnavailable`). Now a held
    asset without a usable price counts 0 as collateral; naming it in a liquidation reverts."""
    usdc, qspx, qcorp = p.tokens["USDC"], p.tokens["QSPX"], p.tokens["QCORP"]
    borrowed(p)
    p.fund(p.client, "QCORP", 1)
    qcorp.approve(p.broker, 1, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, qcorp, 1)], sender=p.client)
    chain.pending_timestamp += 2 * 86_400
    for symbol in ("USDC", "QTB", "QSPX"):
        feed = p.feeds[symbol]
        feed.report(feed.latestRoundData()[1], sender=p.reporter)
    p.set_price("QSPX", 30)  # 92%
    h = p.margin.health(CLIENT_ID)
    assert h.liquidatable and h.collateralUsd == 60_000 * 10**18
    p.broker.marginCall(CLIENT_ID, sender=p.liquidator)
    p.fund(p.liquidator, "USDC", 30_000 * UNIT["USDC"])
    usdc.approve(p.broker, 30_000 * UNIT["USDC"], sender=p.liquidator)
    p.broker.liquidate(CLIENT_ID, usdc, 30_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator)
    assert p.broker.liquidationCount(CLIENT_ID) == 1
    refused = attempt(
        chain,
        p.broker.liquidate,
        CLIENT_ID,
        usdc,
        UNIT["USDC"],
        qcorp,
        b"",
        1,
        sender=p.liquidator,
    )
    assert refused == ("CollateralUnpriced", {"asset": qcorp.address})


# ------------------------------------------------------------------ SEC-155: setPool


def test_sec_155__set_pool_while_the_old_pool_is_owed__refused(p, project):
    """By reading (finding 11): `setPool` over a pool with outstanding debt erased the accounts'
    debts from their margin (they could withdraw everything) and stranded the old pool's lenders.
    Now it refuses while the listed pool is owed anything."""
    usdc = p.tokens["USDC"]
    borrowed(p)
    other = another_pool(p, usdc, "LendingPool.USDC2")
    old = p.pools["USDC"]
    with ape.reverts(
        p.broker.InvalidCollateral, asset=usdc, rule=member("CollateralRule", "PoolOwed")
    ):
        p.governed(
            ("swap the pool", lambda: p.broker.setPool(usdc, other, sender=p.deployment.sender))
        )
    assert p.margin.poolOf(usdc) == old.address


# ------------------------------------------------------------------ SEC-156: rotation


def test_sec_156__liquidatable_account_rotates_its_collateral__refused(p, accounts, chain):
    """ATK-PRM-7: a liquidatable account swapped its 2,000 QSPX for QCORP of the same haircut at
    the oracle price (its ratio unchanged: 'risk-reducing') and the keeper's liquidation naming
    QSPX reverted `InsufficientBalance`, again and again. Now a swap of an account below initial
    margin must strictly raise its ratio."""
    qspx, qcorp = p.tokens["QSPX"], p.tokens["QCORP"]
    borrowed(p)
    p.set_price("QSPX", 34)  # 104%
    ratio = p.margin.health(CLIENT_ID).ratioBps
    own = p.client2
    p.fund(own, "QCORP", 850 * UNIT["QCORP"])  # 850 x 80 = 68,000 = 2,000 x 34
    qcorp.approve(p.venues["RfqVenue"], 850 * UNIT["QCORP"], sender=own)
    sold = 2_000 * UNIT["QSPX"]
    rotate = rfq_route(p, chain, own, qspx, qcorp, sold, 850 * UNIT["QCORP"])
    with ape.reverts(p.broker.InitialMarginBreached, account=CLIENT_ID, ratioBps=ratio):
        p.broker.execute(CLIENT_ID, [act(SWAP, data=rotate)], sender=p.client)
    assert p.broker.balanceOf(CLIENT_ID, qspx) == sold


# ------------------------------------------------------------------ SEC-157: views


def test_sec_157__max_borrow_of_a_halted_account__zero(p):
    """Finding 12: `maxBorrow` offered a halted account (or book) a borrow that reverts
    `Halted`."""
    usdc = p.tokens["USDC"]
    post(p, p.client, CLIENT_ID, {"QTB": 1_000})
    assert p.margin.maxBorrow(CLIENT_ID, usdc) > 0
    p.risk_engine.halt(CLIENT_ID, sender=p.guardian)
    assert p.margin.maxBorrow(CLIENT_ID, usdc) == 0
    with ape.reverts(p.broker.Halted, account=CLIENT_ID):
        p.broker.execute(CLIENT_ID, [act(BORROW, usdc, UNIT["USDC"], p.client)], sender=p.client)


# ------------------------------------------------------------------ SEC-158: caps


def test_sec_158__borrowed_leg_fills_the_total_cap__refused_top_ups_go_on(p, accounts, chain):
    """ATK-PRM-4: USDC capped at 500,000 in all; the victim posted 400,000; the attacker borrowed
    100,001 USDC into its account (uncapped, yet counted in the total) and every account's USDC
    top-up and swap into USDC reverted `CapExceeded`. Now a borrowed leg kept in the account is
    within the caps like any credit."""
    usdc = p.tokens["USDC"]
    cap = 500_000 * UNIT["USDC"]
    p.governed(
        (
            "a USDC cap of 500,000",
            lambda: p.broker.setCollateral(usdc, (0, cap, cap), sender=p.deployment.sender),
        )
    )
    post(p, p.client, CLIENT_ID, {"USDC": 400_000})
    attacker = wallet_of(p, accounts, chain, OUTSIDER_ID)
    open_account(p, attacker, OUTSIDER_ID)
    post(p, attacker, OUTSIDER_ID, {"QTB": 2_000})
    total = 500_001 * UNIT["USDC"]
    with ape.reverts(p.broker.CapExceeded, asset=usdc, amount=total, cap=cap, perAccount=False):
        p.broker.execute(OUTSIDER_ID, [act(BORROW, usdc, 100_001 * UNIT["USDC"])], sender=attacker)
    assert p.broker.totalCollateral(usdc) == 400_000 * UNIT["USDC"]
    p.fund(p.client, "USDC", UNIT["USDC"])
    usdc.approve(p.broker, UNIT["USDC"], sender=p.client)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, usdc, UNIT["USDC"])], sender=p.client)
