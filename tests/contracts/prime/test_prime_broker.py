"""PrimeBroker: institutional margin accounts, collateral, borrowing and positions with a deferred
margin check, margin calls with a grace period, liquidation (taken or sold through the aggregator),
bad debt and halts (PRM-10 to PRM-21). Prices: USDC 1, QTB 100, QSPX 50, QCORP 80 (the liquidity
stack's feeds and Uniswap pools); risk weights 0%, 20%, 100%, 100% (haircuts 0, 1.6%, 8%, 8%)."""

from __future__ import annotations

import ape
import pytest

from broker_fixtures import (
    BORROW,
    CLIENT_ID,
    DEPOSIT,
    INSTITUTIONAL,
    INTEREST,
    NEVER,
    QUALIFIED,
    REPAY,
    SWAP,
    UNIT,
    US,
    WITHDRAW,
    ZERO,
    ZERO_RATES,
    act,
    holdings,
    route,
)
from keepers.access import ROLE_IDS
from keepers.core.solidity_enums import member
from keepers.prime import model


def post(p, wallet, books: dict[str, int]):
    """Approves and deposits `books` (symbol -> whole tokens) in one batch."""
    actions = []
    for symbol, whole in books.items():
        amount = whole * UNIT[symbol]
        p.tokens[symbol].approve(p.broker, amount, sender=wallet)
        actions.append(act(DEPOSIT, p.tokens[symbol], amount))
    return p.broker.execute(CLIENT_ID, actions, sender=wallet)


def fund_liquidator(p, amount):
    p.fund(p.liquidator, "USDC", amount)
    p.tokens["USDC"].approve(p.broker, amount, sender=p.liquidator)


def borrowed_book(p, qspx=2_000, usdc_debt=60_000):
    """The client posts `qspx` QSPX and borrows `usdc_debt` USDC to its wallet."""
    post(p, p.client, {"QSPX": qspx})
    p.broker.execute(
        CLIENT_ID,
        [act(BORROW, p.tokens["USDC"], usdc_debt * UNIT["USDC"], p.client)],
        sender=p.client,
    )


# ---------------------------------------------------------------- accounts and credit


def test_prm_10__open_account__institutions_only__every_wallet_of_the_identity_operates(
    p, accounts, chain
):
    """PRM-10."""
    qualified = accounts.generate_test_account()
    chain.provider.set_balance(qualified.address, 10**21)
    p.registry.registerInvestor(
        qualified, "0x" + "ab" * 20, US, QUALIFIED, NEVER, sender=p.operator
    )
    with ape.reverts(p.broker.NotInstitutional, wallet=qualified.address, investorClass=QUALIFIED):
        p.broker.openAccount(sender=qualified)
    with ape.reverts(p.broker.AccountExists, account=CLIENT_ID):
        p.broker.openAccount(sender=p.client2)
    stranger = accounts.generate_test_account()
    chain.provider.set_balance(stranger.address, 10**21)
    with ape.reverts(p.broker.WalletNotVerified, wallet=stranger.address):
        p.broker.openAccount(sender=stranger)
    # The second wallet of the identity operates the same account; another identity's does not.
    p.fund(p.client2, "QTB", 10 * UNIT["QTB"])
    p.tokens["QTB"].approve(p.broker, 10 * UNIT["QTB"], sender=p.client2)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, p.tokens["QTB"], 10 * UNIT["QTB"])], sender=p.client2)
    assert p.broker.balanceOf(CLIENT_ID, p.tokens["QTB"]) == 10 * UNIT["QTB"]
    with ape.reverts(p.broker.NotAccountWallet, wallet=p.lender.address, account=CLIENT_ID):
        p.broker.execute(CLIENT_ID, [], sender=p.lender)
    with ape.reverts(p.broker.NoAccount, account=p.lender.address):
        p.broker.execute(p.lender.address, [], sender=p.lender)


def test_prm_11__credit_line__increase_scheduled_by_governor__decrease_by_guardian_at_once(
    p, chain, accounts
):
    """PRM-11: GOVERNOR as deployed on a live network, with an execution delay (one hour)."""
    manager = p.deployment.at("QuanteraAccessManager")
    governor = accounts.generate_test_account()
    chain.provider.set_balance(governor.address, 10**21)
    manager.grantRole(ROLE_IDS["GOVERNOR"], governor, 3_600, sender=p.deployment.sender)
    line = (2 * 10**24, 150, 0)
    with ape.reverts(manager.AccessManagerNotScheduled):
        p.broker.setCreditLine(CLIENT_ID, line, sender=governor)
    data = p.broker.setCreditLine.as_transaction(CLIENT_ID, line, sender=governor).data
    manager.schedule(p.broker, data, 0, sender=governor)
    with ape.reverts(manager.AccessManagerNotReady):
        p.broker.setCreditLine(CLIENT_ID, line, sender=governor)
    chain.pending_timestamp += 3_601
    p.broker.setCreditLine(CLIENT_ID, line, sender=governor)
    assert tuple(p.margin.creditLineOf(CLIENT_ID)) == line
    # The guardian lowers it at once and can never raise it.
    receipt = p.broker.reduceCreditLimit(CLIENT_ID, 10**23, sender=p.guardian)
    assert tuple(p.margin.creditLineOf(CLIENT_ID)) == (10**23, 150, 0)
    assert receipt.events[0].event_name == "CreditLineSet"
    with ape.reverts(p.broker.CreditIncreaseNotAllowed, limitUsd=10**23, requestedUsd=10**24):
        p.broker.reduceCreditLimit(CLIENT_ID, 10**24, sender=p.guardian)
    with ape.reverts(p.broker.AccessManagedUnauthorized):
        p.broker.reduceCreditLimit(CLIENT_ID, 1, sender=p.client)


# ---------------------------------------------------------------- collateral


def test_prm_12__collateral__four_assets__caps__withdrawals_only_to_the_identitys_wallets(p):
    """PRM-12."""
    post(p, p.client, {"USDC": 100_000, "QTB": 1_000, "QSPX": 2_000, "QCORP": 1_250})
    for symbol, whole in (("USDC", 100_000), ("QTB", 1_000), ("QSPX", 2_000), ("QCORP", 1_250)):
        assert p.broker.balanceOf(CLIENT_ID, p.tokens[symbol]) == whole * UNIT[symbol]
        assert p.broker.totalCollateral(p.tokens[symbol]) == whole * UNIT[symbol]
    health = p.margin.health(CLIENT_ID)
    assert health.collateralUsd == 400_000 * 10**18
    # 100k + 98.4k (QTB, 1.6%) + 92k + 92k (8%).
    assert health.adjustedCollateralUsd == 382_400 * 10**18
    # Caps: per account.
    qcorp = p.tokens["QCORP"]
    p.governed(
        (
            "cap QCORP at 1,300 per account",
            lambda: p.broker.setCollateral(
                qcorp,
                (10_000, 500_000 * UNIT["QCORP"], 1_300 * UNIT["QCORP"]),
                sender=p.deployment.sender,
            ),
        )
    )
    qcorp.approve(p.broker, 100 * UNIT["QCORP"], sender=p.client)
    with ape.reverts(
        p.broker.CapExceeded,
        asset=qcorp.address,
        amount=1_350 * UNIT["QCORP"],
        cap=1_300 * UNIT["QCORP"],
    ):
        p.broker.execute(CLIENT_ID, [act(DEPOSIT, qcorp, 100 * UNIT["QCORP"])], sender=p.client)
    # Withdrawals go to a verified wallet of the same identity only.
    qtb = p.tokens["QTB"]
    before = qtb.balanceOf(p.client2)
    p.broker.execute(CLIENT_ID, [act(WITHDRAW, qtb, 5 * UNIT["QTB"], p.client2)], sender=p.client)
    assert qtb.balanceOf(p.client2) - before == 5 * UNIT["QTB"]
    with ape.reverts(p.broker.NotAccountWallet, wallet=p.lender.address, account=CLIENT_ID):
        p.broker.execute(CLIENT_ID, [act(WITHDRAW, qtb, 1, p.lender)], sender=p.client)
    with ape.reverts(p.broker.InsufficientBalance, account=CLIENT_ID, asset=qtb.address):
        p.broker.execute(CLIENT_ID, [act(WITHDRAW, qtb, 10**30, p.client)], sender=p.client)


# ---------------------------------------------------------------- borrowing and positions


def test_prm_13__borrow__within_initial_margin_and_the_credit_line(p):
    """PRM-13."""
    usdc = p.tokens["USDC"]
    post(p, p.client, {"USDC": 100_000, "QTB": 1_000, "QSPX": 2_000, "QCORP": 1_250})
    before = usdc.balanceOf(p.client)
    receipt = p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 250_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    assert usdc.balanceOf(p.client) - before == 250_000 * UNIT["USDC"]
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 250_000 * UNIT["USDC"]
    # 382,400 / 250,000 = 152.96%.
    assert receipt.return_value == 15_296
    with ape.reverts(p.broker.InitialMarginBreached, account=CLIENT_ID, initialBps=15_000):
        p.broker.execute(
            CLIENT_ID, [act(BORROW, usdc, 5_000 * UNIT["USDC"], p.client)], sender=p.client
        )
    # Withdrawing collateral is checked the same way.
    with ape.reverts(p.broker.InitialMarginBreached, account=CLIENT_ID, initialBps=15_000):
        p.broker.execute(
            CLIENT_ID, [act(WITHDRAW, usdc, 10_000 * UNIT["USDC"], p.client)], sender=p.client
        )
    # The credit line binds even with margin to spare.
    p.broker.reduceCreditLimit(CLIENT_ID, 250_000 * 10**18, sender=p.guardian)
    post(p, p.client, {"USDC": 100_000})
    with ape.reverts(p.broker.CreditLimitExceeded, account=CLIENT_ID, limitUsd=250_000 * 10**18):
        p.broker.execute(
            CLIENT_ID, [act(BORROW, usdc, 1 * UNIT["USDC"], p.client)], sender=p.client
        )


def test_prm_14__deferred_check__a_hedged_short_opens_in_one_batch(p, chain):
    """PRM-14: borrowing QSPX alone would leave the account far below initial margin; selling it
    and posting cash in the same batch is checked once, at the end."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    short = 1_000 * UNIT["QSPX"]
    p.tokens["USDC"].approve(p.broker, 100_000 * UNIT["USDC"], sender=p.client)
    batch = [
        act(BORROW, qspx, short),
        act(SWAP, data=route(p, chain, "QSPX", "USDC", short)),
        act(DEPOSIT, usdc, 100_000 * UNIT["USDC"]),
    ]
    receipt = p.broker.execute(CLIENT_ID, batch, sender=p.client)
    assert p.pools["QSPX"].debtOf(CLIENT_ID, 0) == short
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 0
    proceeds = p.broker.balanceOf(CLIENT_ID, usdc) - 100_000 * UNIT["USDC"]
    # The V2 pool's price is the oracle's: the sale fetched 50,000 less fees and impact.
    assert 48_000 * UNIT["USDC"] < proceeds < 50_000 * UNIT["USDC"]
    figures = model.figures(holdings(p))
    assert receipt.return_value == figures.ratio_bps >= 15_000
    # The first action alone is refused: the check is the batch's, not the action's.
    with ape.reverts(p.broker.InitialMarginBreached, account=CLIENT_ID):
        p.broker.execute(CLIENT_ID, [act(BORROW, qspx, 10 * short)], sender=p.client)


def test_prm_15__health__equals_the_python_model_across_prices(p, chain):
    """PRM-15 (differential)."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    post(p, p.client, {"USDC": 50_000, "QTB": 700, "QSPX": 1_500, "QCORP": 900})
    p.broker.execute(
        CLIENT_ID,
        [
            act(BORROW, usdc, 120_000 * UNIT["USDC"], p.client),
            act(BORROW, qspx, 300 * UNIT["QSPX"], p.client),
        ],
        sender=p.client,
    )
    for prices in ({"QSPX": 50.0}, {"QSPX": 43.21, "QTB": 99.87}, {"QCORP": 61.5, "QSPX": 57.3}):
        for symbol, usd in prices.items():
            p.set_price(symbol, usd)
        chain.mine()
        expected = model.figures(holdings(p))
        health = p.margin.health(CLIENT_ID)
        assert (
            health.collateralUsd,
            health.adjustedCollateralUsd,
            health.debtUsd,
            health.adjustedDebtUsd,
            health.ratioBps,
        ) == (
            expected.collateral_usd,
            expected.adjusted_collateral_usd,
            expected.debt_usd,
            expected.adjusted_debt_usd,
            expected.ratio_bps,
        )


# ---------------------------------------------------------------- margin calls and liquidation


def test_prm_16__margin_call__grace_period__then_liquidation(p, chain, accounts):
    """PRM-16: below maintenance (125%) but above liquidation (110%), an account is called and
    has the grace period (1 day) before it may be liquidated, the call confirmed below maintenance
    within its heartbeat (SEC-24); a top-up clears the call."""
    borrowed_book(p)
    p.set_price("QSPX", 40)  # 2,000 x 40 x 92% / 60,000 = 122.66%
    with ape.reverts(p.broker.NotLiquidatable, account=CLIENT_ID, ratioBps=12_266, deadline=0):
        p.broker.liquidate(
            CLIENT_ID, p.tokens["USDC"], 1, p.tokens["QSPX"], b"", 0, sender=p.liquidator
        )
    receipt = p.broker.marginCall(CLIENT_ID, sender=accounts[9])
    (called,) = [e for e in receipt.events if e.event_name == "MarginCalled"]
    deadline = called.deadline
    assert deadline == chain.blocks.head.timestamp + 86_400
    assert called.ratioBps == 12_266
    # Shortfall to initial margin: 60,000 x 1.5 - 73,600.
    assert called.shortfallUsd == 16_400 * 10**18
    with ape.reverts(p.broker.NotLiquidatable, account=CLIENT_ID, deadline=deadline):
        p.broker.liquidate(
            CLIENT_ID, p.tokens["USDC"], 1, p.tokens["QSPX"], b"", 0, sender=p.liquidator
        )
    # A call on an open call confirms it (SEC-24: still below maintenance, it stays live for
    # another heartbeat; one the account recovered from would lapse unconfirmed).
    chain.pending_timestamp = deadline - 3_600
    p.refresh_prices()
    receipt = p.broker.marginCall(CLIENT_ID, sender=accounts[9])
    assert [e.event_name for e in receipt.events if e.event_name.startswith("MarginCall")] == [
        "MarginCallConfirmed"
    ]
    assert p.margin.health(CLIENT_ID).marginCallSeenAt == chain.blocks.head.timestamp
    chain.pending_timestamp = deadline + 1
    p.refresh_prices()
    repay = 10_000 * UNIT["USDC"]
    fund_liquidator(p, repay)
    qspx = p.tokens["QSPX"]
    before = qspx.balanceOf(p.liquidator)
    receipt = p.broker.liquidate(
        CLIENT_ID, p.tokens["USDC"], repay, qspx, b"", 0, sender=p.liquidator
    )
    # 10,000 x 1.05 / 40 = 262.5 QSPX (the tier's 5% bonus: the ratio allows it).
    assert qspx.balanceOf(p.liquidator) - before == 2625 * UNIT["QSPX"] // 10
    (booked,) = p.pools["USDC"].Repaid.from_receipt(receipt)
    assert (booked.assets, booked.debtAfter) == (repay, 50_000 * UNIT["USDC"])
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 50_000 * UNIT["USDC"]
    assert p.broker.liquidationCount(CLIENT_ID) == 1
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    assert done.ratioAfterBps > done.ratioBeforeBps == 12_266
    # A replayed liquidation (the keeper restarted) cannot liquidate twice.
    with ape.reverts(p.broker.StaleLiquidation, account=CLIENT_ID, expected=0, actual=1):
        p.broker.liquidate(CLIENT_ID, p.tokens["USDC"], repay, qspx, b"", 0, sender=p.liquidator)


def test_prm_16__margin_call__cleared_by_a_top_up(p, accounts):
    """PRM-16: a deposit bringing the ratio back to maintenance closes the call."""
    borrowed_book(p)
    p.set_price("QSPX", 40)
    with ape.reverts(p.broker.NoMarginCall, account=CLIENT_ID):
        p.broker.clearMarginCall(CLIENT_ID, sender=accounts[9])
    p.broker.marginCall(CLIENT_ID, sender=accounts[9])
    receipt = post(p, p.client, {"USDC": 20_000})
    assert [e.event_name for e in receipt.events if e.event_name.startswith("MarginCall")] == [
        "MarginCallCleared"
    ]
    assert p.margin.health(CLIENT_ID).marginCallAt == 0


def test_prm_17__liquidation_below_110__at_once__close_factor__bonus_keeps_the_ratio(p):
    """PRM-17: below the liquidation ratio no grace applies; at most the close factor (50%) of a
    debt per liquidation; the bonus never lowers the account's ratio; only verified LIQUIDATORs."""
    borrowed_book(p)
    p.set_price("QSPX", 34)  # 2,000 x 34 x 92% / 60,000 = 104.26%
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    fund_liquidator(p, 40_000 * UNIT["USDC"])
    # Half the debt.
    with ape.reverts(p.broker.RepayAboveCloseFactor, maxRepay=30_000 * UNIT["USDC"]):
        p.broker.liquidate(
            CLIENT_ID, usdc, 30_001 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator
        )
    with ape.reverts(p.broker.AccessManagedUnauthorized):
        p.broker.liquidate(CLIENT_ID, usdc, 1, qspx, b"", 0, sender=p.lender)
    preview = p.margin.previewLiquidation(CLIENT_ID, usdc, 30_000 * UNIT["USDC"], qspx)
    receipt = p.broker.liquidate(
        CLIENT_ID, usdc, 30_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator
    )
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    assert (done.repaid, done.seized) == (preview.repaid, preview.seized)
    h = holdings(p)
    expected = model.quote(
        30_000 * UNIT["USDC"],
        model.Holding(0, 60_000 * UNIT["USDC"], 10**18, 6, 0),
        model.Holding(2_000 * UNIT["QSPX"], 0, 34 * 10**18, 18, 10_000),
        10_426,
        500,
    )
    assert (preview.repaid, preview.seized, preview.bonusBps) == (
        expected.repaid,
        expected.seized,
        expected.bonus_bps,
    )
    assert done.ratioAfterBps >= done.ratioBeforeBps == 10_426
    assert model.figures(h).ratio_bps == done.ratioAfterBps


def test_prm_18__liquidation_sold_through_the_aggregator__oracle_bounded(p, chain):
    """PRM-18: the collateral is sold along the liquidator's route (recipient the broker): the
    pool gets the repayment, the liquidator the proceeds above it; the account is made
    liquidatable by a stricter tier (prices stay at the pools')."""
    borrowed_book(p, qspx=400, usdc_debt=12_000)
    broker, usdc, qspx = p.broker, p.tokens["USDC"], p.tokens["QSPX"]
    p.governed(
        (
            "a strict tier",
            lambda: broker.setTier(
                1, (30_000, 25_000, 22_000, 5_000, 500, 3_600), sender=p.deployment.sender
            ),
        ),
        (
            "the client on it",
            lambda: broker.setCreditLine(CLIENT_ID, (10**24, 0, 1), sender=p.deployment.sender),
        ),
    )
    repay = 6_000 * UNIT["USDC"]
    preview = p.margin.previewLiquidation(CLIENT_ID, usdc, repay, qspx)
    sale = route(p, chain, "QSPX", "USDC", preview.seized)
    with ape.reverts(
        broker.InvalidRoute,
        tokenIn=qspx.address,
        tokenOut=usdc.address,
        recipient=p.liquidator.address,
    ):
        broker.liquidate(
            CLIENT_ID,
            usdc,
            repay,
            qspx,
            route(p, chain, "QSPX", "USDC", preview.seized, p.liquidator.address),
            0,
            sender=p.liquidator,
        )
    cash_before = p.pools["USDC"].state().cash
    before = usdc.balanceOf(p.liquidator)
    receipt = broker.liquidate(CLIENT_ID, usdc, repay, qspx, sale, 0, sender=p.liquidator)
    (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
    (booked,) = p.pools["USDC"].Repaid.from_receipt(receipt)
    assert done.seized == preview.seized and done.repaid == repay
    assert done.proceeds > repay
    assert usdc.balanceOf(p.liquidator) - before == done.proceeds - repay
    assert p.pools["USDC"].state().cash - cash_before == repay
    assert (booked.assets, booked.debtAfter) == (repay, 6_000 * UNIT["USDC"])
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 6_000 * UNIT["USDC"]
    assert broker.balanceOf(CLIENT_ID, qspx) == 400 * UNIT["QSPX"] - preview.seized
    # The aggregator holds nothing; the broker holds exactly the accounts' balances.
    assert usdc.balanceOf(p.aggregator) == 0
    assert qspx.balanceOf(broker) == broker.totalCollateral(qspx)


def test_prm_19__bad_debt__reserves_first_then_lenders__recorded(p, chain):
    """PRM-19: the collateral no longer covers the debt; once the account has none left, its
    remaining debt is written off: the pool's reserves first, then its lenders (share price)."""
    p.set_rates("USDC", INTEREST)
    borrowed_book(p)
    pool, usdc, qspx = p.pools["USDC"], p.tokens["USDC"], p.tokens["QSPX"]
    chain.pending_timestamp += 30 * 86_400  # some interest, some reserves
    p.refresh_prices()
    # The month's interest accrued, then no more: the debt read below is the liquidation's.
    p.set_rates("USDC", ZERO_RATES)
    p.set_price("QSPX", 20)  # collateral 40,000 against 60,000 and interest
    fund_liquidator(p, 70_000 * UNIT["USDC"])
    debt = pool.debtOf(CLIENT_ID, 0)
    state = pool.state()
    reserves, assets_before = state.reserves, pool.totalAssets()
    assert reserves > 0
    # Ratio below 100%: the whole debt may be repaid; the bonus falls to zero (it would lower it).
    preview = p.margin.previewLiquidation(CLIENT_ID, usdc, debt, qspx)
    assert preview.bonusBps == 0 and preview.seized == 2_000 * UNIT["QSPX"]
    receipt = p.broker.liquidate(CLIENT_ID, usdc, debt, qspx, b"", 0, sender=p.liquidator)
    (bad,) = [e for e in receipt.events if e.event_name == "BadDebt"]
    # The repayment burns scaled debt rounded down (the pool's rounding, in lenders' favour): what
    # is left is the debt less the repayment, or one unit more.
    assert bad.amount - (debt - preview.repaid) in (0, 1)
    after = pool.state()
    assert after.badDebtAbsorbed == min(reserves, bad.amount)
    assert after.badDebtRealised == bad.amount - after.badDebtAbsorbed
    assert pool.debtOf(CLIENT_ID, 0) == 0
    # Lenders lose what the reserves could not absorb (and gain the repayment's interest).
    assert pool.totalAssets() < assets_before
    health = p.margin.health(CLIENT_ID)
    assert health.debtUsd == 0 and health.collateralUsd == 0


def test_prm_20__halts__no_new_risk__repayment_and_liquidation_go_on(p, accounts, chain):
    """PRM-20: the RiskEngine's halts bind the broker — `halt(account)` one account, `halt(broker)`
    the whole book; only GUARDIAN halts, only GOVERNOR resumes there; no identity may be the
    broker's own address."""
    borrowed_book(p)
    broker, usdc, qspx, engine = p.broker, p.tokens["USDC"], p.tokens["QSPX"], p.risk_engine
    assert broker.riskEngine() == engine.address
    # Another subject's halt binds nobody here.
    engine.halt(p.lender.address, sender=p.guardian)
    assert not broker.isHalted(CLIENT_ID) and not broker.bookHalted()
    engine.halt(CLIENT_ID, sender=p.guardian)
    assert broker.isHalted(CLIENT_ID) and not broker.bookHalted()
    with ape.reverts(broker.Halted, account=CLIENT_ID):
        broker.execute(CLIENT_ID, [act(BORROW, usdc, UNIT["USDC"], p.client)], sender=p.client)
    with ape.reverts(broker.Halted, account=CLIENT_ID):
        broker.execute(CLIENT_ID, [act(WITHDRAW, qspx, UNIT["QSPX"], p.client)], sender=p.client)
    # Deposits and repayments go on.
    usdc.approve(broker, 1_000 * UNIT["USDC"], sender=p.client)
    broker.execute(CLIENT_ID, [act(REPAY, usdc, 1_000 * UNIT["USDC"], p.client)], sender=p.client)
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == 59_000 * UNIT["USDC"]
    post(p, p.client, {"QSPX": 10})
    assert broker.balanceOf(CLIENT_ID, qspx) == 2_010 * UNIT["QSPX"]
    # A risk-reducing swap (collateral with an 8% haircut sold for cash) passes; its reverse not.
    sell = 10 * UNIT["QSPX"]
    broker.execute(
        CLIENT_ID, [act(SWAP, data=route(p, chain, "QSPX", "USDC", sell))], sender=p.client
    )
    cash = broker.balanceOf(CLIENT_ID, usdc)
    assert cash > 0 and broker.balanceOf(CLIENT_ID, qspx) == 2_000 * UNIT["QSPX"]
    with ape.reverts(broker.Halted, account=CLIENT_ID):
        broker.execute(
            CLIENT_ID, [act(SWAP, data=route(p, chain, "USDC", "QSPX", cash))], sender=p.client
        )
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.resume(CLIENT_ID, False, sender=p.guardian)
    p.governed(
        ("resume the account", lambda: engine.resume(CLIENT_ID, False, sender=p.deployment.sender))
    )
    assert not broker.isHalted(CLIENT_ID)
    broker.execute(CLIENT_ID, [act(BORROW, usdc, UNIT["USDC"], p.client)], sender=p.client)
    # The whole book: every account halted, liquidations go on.
    engine.halt(broker, sender=p.guardian)
    assert broker.bookHalted() and broker.isHalted(CLIENT_ID) and broker.isHalted(p.lender.address)
    with ape.reverts(broker.Halted, account=CLIENT_ID):
        broker.execute(CLIENT_ID, [act(BORROW, usdc, UNIT["USDC"], p.client)], sender=p.client)
    p.set_price("QSPX", 30)
    fund_liquidator(p, 10_000 * UNIT["USDC"])
    broker.liquidate(CLIENT_ID, usdc, 10_000 * UNIT["USDC"], qspx, b"", 0, sender=p.liquidator)
    assert broker.liquidationCount(CLIENT_ID) == 1
    # Only the GUARDIAN halts; `sync`, open to anyone, halts only a configured portfolio.
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.halt(CLIENT_ID, sender=p.client)
    with ape.reverts(engine.PortfolioNotConfigured, portfolio=broker.address):
        engine.sync(broker, sender=p.client)
    # The broker's own address is the book's subject: no account may be opened under it.
    wallet = accounts.generate_test_account()
    chain.provider.set_balance(wallet.address, 10**21)
    p.registry.registerInvestor(wallet, broker.address, US, INSTITUTIONAL, NEVER, sender=p.operator)
    with ape.reverts(broker.ReservedAccount, account=broker.address):
        broker.openAccount(sender=wallet)
    # The broker keeps no halt of its own.
    assert not hasattr(broker, "halt") and not hasattr(broker, "resume")
    with ape.reverts(engine.InvalidRiskConfig, rule=member("RiskConfigRule", "ZeroSubject")):
        engine.halt(ZERO, sender=p.guardian)


def test_prm_21__margin_module__runs_only_on_the_brokers_storage(p, project):
    """PRM-21: the modules refuse direct calls; the broker serves only its views and entries."""
    module = project.PrimeMargin.at(p.broker.marginModule())
    with ape.reverts(module.DirectCall):
        module.marginCall(CLIENT_ID, sender=p.client)
    views = project.PrimeViews.at(p.broker.viewsModule())
    with ape.reverts(views.DirectCall):
        views.health(CLIENT_ID)
    with ape.reverts(views.DirectCall):
        views.tierOf(0)
    liquidation = project.PrimeLiquidation.at(p.broker.liquidationModule())
    with ape.reverts(liquidation.DirectCall):
        liquidation.claimIncome(CLIENT_ID, p.tokens["QTB"], sender=p.client)
    with ape.reverts(p.broker.UnknownCall, selector=bytes.fromhex("12345678")):
        p.client.transfer(p.broker, 0, data="0x12345678")


def test_fnd_21__broker__refuses_the_wrong_module_or_no_module(p, project):
    """SEC-244: the broker's constructor compares each module's `moduleId` (its layout and role)
    with its own: the other module, or an address without code, is refused; and (helper-107 M-1)
    one of the right layout built on another registry, oracle or aggregator, which it reads on the
    broker's storage: its id binds them (an upgrade's new module built on the OracleRouter's code,
    whose storage is empty, would have stopped every liquidation)."""
    d, broker = p.deployment, p.broker
    registry, oracle, aggregator = broker.registry(), broker.oracle(), broker.aggregator()
    modules = {
        "margin": broker.marginModule(),
        "liquidation": broker.liquidationModule(),
        "views": broker.viewsModule(),
    }
    engine = broker.riskEngine()
    # The views module is checked the same way: the broker forwards it every unknown selector.
    # A broker is no views module, though its fallback would answer `moduleId` with its views
    # module's id (prime-views F1): the broker refuses to serve `moduleId`.
    for role, expected, wrongs in (
        ("margin", project.PrimeMargin.at(modules["margin"]).moduleId(), ("liquidation", "client")),
        (
            "views",
            project.PrimeViews.at(modules["views"]).moduleId(),
            ("margin", "client", "broker"),
        ),
    ):
        for wrong in wrongs:
            address = {**modules, "client": p.client.address, "broker": broker.address}[wrong]
            chosen = {**modules, role: address}
            with ape.reverts(broker.ModuleMismatch, module=address, expected=expected):
                d.sender.deploy(
                    project.PrimeBroker,
                    registry,
                    oracle,
                    aggregator,
                    chosen["margin"],
                    chosen["liquidation"],
                    chosen["views"],
                    engine,
                )


def test_fnd_21__broker__refuses_a_module_built_on_another_oracle(p, project):
    """helper-107 M-1 (see test_fnd_21__broker__refuses_the_wrong_module_or_no_module)."""
    d, broker = p.deployment, p.broker
    registry, oracle, aggregator = broker.registry(), broker.oracle(), broker.aggregator()
    expected = project.PrimeLiquidation.at(broker.liquidationModule()).moduleId()
    elsewhere = p.tokens["USDC"].address  # any other address as the module's oracle
    stray = d.sender.deploy(project.PrimeLiquidation, registry, elsewhere, aggregator)
    assert stray.moduleId() != expected
    with ape.reverts(broker.ModuleMismatch, module=stray.address, expected=expected):
        d.sender.deploy(
            project.PrimeBroker,
            registry,
            oracle,
            aggregator,
            broker.marginModule(),
            stray.address,
            broker.viewsModule(),
            broker.riskEngine(),
        )


def test_prm_50__a_leveraged_long_opens_in_one_batch(p, chain):
    """PRM-50: borrow cash into the account and buy QSPX with it through the aggregator, checked
    once at the end; the bought QSPX is collateral, the cash a debt."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    post(p, p.client, {"QTB": 1_000})
    cash = 40_000 * UNIT["USDC"]
    receipt = p.broker.execute(
        CLIENT_ID,
        [act(BORROW, usdc, cash), act(SWAP, data=route(p, chain, "USDC", "QSPX", cash))],
        sender=p.client,
    )
    bought = p.broker.balanceOf(CLIENT_ID, qspx)
    # About 800 QSPX at $50 less fees and impact.
    assert 780 * UNIT["QSPX"] < bought < 800 * UNIT["QSPX"]
    assert p.broker.balanceOf(CLIENT_ID, usdc) == 0
    assert p.pools["USDC"].debtOf(CLIENT_ID, 0) == cash
    (swapped,) = [e for e in receipt.events if e.event_name == "Swapped"]
    assert (swapped.amountIn, swapped.amountOut) == (cash, bought)
    assert receipt.return_value == model.figures(holdings(p)).ratio_bps >= 15_000


def test_prm_51__views__top_up_and_max_borrow_equal_the_model(p):
    """PRM-51: `topUp` is what brings the account back to initial margin, `maxBorrow` the most it
    can borrow (margin, credit line and pool cash): both equal the Python model, and borrowing
    `maxBorrow` passes while one unit more does not."""
    usdc, qtb = p.tokens["USDC"], p.tokens["QTB"]
    post(p, p.client, {"QTB": 1_000, "QSPX": 1_000})
    most = p.margin.maxBorrow(CLIENT_ID, usdc)
    figures = model.figures(holdings(p))
    # No debt yet: (98,400 + 46,000) / 1.5 = 96,266.66 USDC (debt haircut 0).
    assert most == figures.adjusted_collateral_usd * 10_000 // 15_000 // 10**12
    with pytest.raises(ape.exceptions.ContractLogicError):
        p.broker.execute(CLIENT_ID, [act(BORROW, usdc, most + 1, p.client)], sender=p.client)
    p.broker.execute(CLIENT_ID, [act(BORROW, usdc, most, p.client)], sender=p.client)
    assert p.margin.maxBorrow(CLIENT_ID, usdc) == 0
    assert tuple(p.margin.topUp(CLIENT_ID, qtb)) == (0, 0)
    p.set_price("QSPX", 40)
    units, adjusted = p.margin.topUp(CLIENT_ID, qtb)
    after = model.figures(holdings(p))
    assert adjusted == after.shortfall(15_000) > 0
    per_token = 100 * 10**18 * (10_000 - model.haircut_bps(2_000)) // 10_000
    assert units == model.ceil_div(adjusted * UNIT["QTB"], per_token)
    # Posting exactly that brings the account back to initial margin.
    qtb_units = units
    p.fund(p.client, "QTB", qtb_units)
    qtb.approve(p.broker, qtb_units, sender=p.client)
    p.broker.execute(CLIENT_ID, [act(DEPOSIT, qtb, qtb_units)], sender=p.client)
    assert p.margin.health(CLIENT_ID).ratioBps >= 15_000


def test_upg_8__broker_and_pools__initialize_runs_only_in_the_proxys_constructor(
    p, project, deployer
):
    """UPG-8: the broker and its pools run behind GovernedProxies (issue 34); their storage is
    written once, by the proxy's constructor. Neither a deployed proxy nor its code can be
    initialized (again), the code keeps no authority, and a proxy's constructor checks what it
    initializes as the constructors did."""
    from keepers.access import UPGRADE_AUTHORITY, implementation_of
    from keepers.core.artifacts import project_at

    d = p.deployment
    manager = d.at("QuanteraAccessManager")
    model = (0, 0, 0, 8_000, 0)
    targets = [("PrimeBroker", "PrimeBroker", (manager,))] + [
        (f"LendingPool.{symbol}", "LendingPool", (manager, model)) for symbol in p.pools
    ]
    for name, contract_type, args in targets:
        proxy = d.address(name)
        code = d.address(f"{name}.implementation")
        assert implementation_of(proxy) == code != proxy
        for address in (proxy, code):
            target = project_at(contract_type, address)
            with ape.reverts(target.InitializeOutsideConstruction, account=address):
                target.initialize(*args, sender=deployer)
        assert project_at(contract_type, code).authority() == ZERO
        assert project_at(contract_type, proxy).authority() == manager.address
    # The code answers no restricted call; the proxy's storage holds the standard tier.
    code = project.PrimeBroker.at(d.address("PrimeBroker.implementation"))
    with ape.reverts(code.AccessManagedUnauthorized):
        code.setCreditLine(CLIENT_ID, (1, 0, 0), sender=p.governor)
    assert tuple(p.margin.tierOf(0)) == (15_000, 12_500, 11_000, 5_000, 500, 86_400)
    # The pool's shares keep the deploy routine's name and symbol (immutables of its code).
    pool = p.pools["USDC"]
    assert (pool.name(), pool.symbol()) == ("Quantera USDC lending pool", "qpUSDC")
    pool_code = project_at("LendingPool", d.address("LendingPool.USDC.implementation"))
    # A pool proxy's constructor checks the rate model and the authority.
    for bad, error in (
        ((manager, (0, 0, 0, 0, 0)), pool_code.InvalidRateModel),
        ((deployer, model), pool_code.AccessManagedInvalidAuthority),
    ):
        with ape.reverts(error):
            deployer.deploy(
                project.GovernedProxy,
                pool_code,
                d.address(UPGRADE_AUTHORITY),
                pool_code.initialize.encode_input(*bad),
            )
