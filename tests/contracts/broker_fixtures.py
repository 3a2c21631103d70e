"""The prime brokerage as deployed by `keepers.prime` (the deploy script's own steps) on the
liquidity stack (its tokens USDC, QTB, QSPX, QCORP, its OracleRouter with reporter feeds and its
aggregator over real Uniswap pools): the broker and its margin module, a USDC pool and a QSPX pool
(for shorts) funded by a verified lender, four collateral listings, a liquidator, and one
institution with two wallets. Wallets are fresh test accounts no other stack uses."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_utils import to_checksum_address

from keepers.access import as_role, grant_calls, renounce_temporary_roles, send_to_manager
from keepers.core.artifacts import project_at
from keepers.core.deploying import Deployment
from keepers.liquidity.codec import encode_route
from keepers.prime import (
    CollateralTerms,
    configure_prime,
    deploy_lending_pool,
    deploy_prime_broker,
    model,
)
from keepers.risk import deploy_risk_engine

US, QUALIFIED, INSTITUTIONAL, NEVER = 840, 3, 4, 2**40 - 1
# IPrimeBroker's ActionKind.
DEPOSIT, WITHDRAW, BORROW, REPAY, SWAP = range(5)
ZERO = "0x" + "00" * 20
CLIENT_ID = to_checksum_address("0x" + "c1" * 20)
LENDER_ID = to_checksum_address("0x" + "1e" * 20)
LIQUIDATOR_ID = to_checksum_address("0x" + "11" * 20)
POOL_ID = to_checksum_address("0x" + "b1" * 20)
# Interest-free pools: a test reads a debt at one block and acts at the next, so it must not
# depend on the seconds between them (a busy machine). Interest has its own tests (PRM-1 to PRM-9);
# a broker test that needs it sets INTEREST for its own span (`PrimeStack.set_rates`).
ZERO_RATES = {
    "base_bps": 0,
    "slope1_bps": 0,
    "slope2_bps": 0,
    "kink_bps": 8_000,
    "reserve_factor_bps": 0,
}
INTEREST = {
    "base_bps": 100,
    "slope1_bps": 400,
    "slope2_bps": 6_000,
    "kink_bps": 8_000,
    "reserve_factor_bps": 1_000,
}
UNIT = {"USDC": 10**6, "QTB": 10**18, "QSPX": 10**18, "QCORP": 10**18}
# Risk weights (bps): cash 0%, T-bills 20%, equities and corporates 100%.
TERMS = {
    "USDC": CollateralTerms(0, 50_000_000 * UNIT["USDC"], 20_000_000 * UNIT["USDC"]),
    "QTB": CollateralTerms(2_000, 500_000 * UNIT["QTB"], 200_000 * UNIT["QTB"]),
    "QSPX": CollateralTerms(10_000, 500_000 * UNIT["QSPX"], 200_000 * UNIT["QSPX"]),
    "QCORP": CollateralTerms(10_000, 500_000 * UNIT["QCORP"], 200_000 * UNIT["QCORP"]),
}


@dataclass
class PrimeStack:
    deployment: Deployment
    broker: object
    margin: object  # the margin module's ABI at the broker's address (health, previewLiquidation)
    pools: dict
    tokens: dict
    feeds: dict
    aggregator: object
    registry: object
    client: object
    client2: object
    lender: object
    liquidator: object
    reporter: object
    agent: object
    operator: object
    guardian: object
    governor: object
    venues: dict
    risk_engine: object  # whose halts bind the book and its accounts

    def governed(self, *steps) -> None:
        """Runs (label, thunk) steps as GOVERNOR without its delay (the deployer holds it for the
        step, as the deploy script does): for test setup, not for what the tests check."""
        as_role(self.deployment, "GOVERNOR", list(steps))
        renounce_temporary_roles(self.deployment)

    def set_price(self, symbol: str, usd: float) -> None:
        self.feeds[symbol].report(int(round(usd * 10**8)), sender=self.reporter)

    def set_rates(self, symbol: str, model: dict) -> None:
        """The pool's rate model (accrued at the old one first), as GOVERNOR."""
        pool = self.pools[symbol]
        self.governed(
            (
                f"{symbol} pool rates",
                lambda: pool.setRateModel(tuple(model.values()), sender=self.deployment.sender),
            )
        )

    def refresh_prices(self) -> None:
        """Reports every feed's current answer again (after a jump in time, so none is stale)."""
        for feed in self.feeds.values():
            feed.report(feed.latestRoundData()[1], sender=self.reporter)

    def fund(self, wallet, symbol: str, amount: int) -> None:
        token = self.tokens[symbol]
        sender = self.operator if symbol == "USDC" else self.agent
        token.mint(wallet, amount, sender=sender)


def fresh(accounts, chain):
    account = accounts.generate_test_account()
    chain.provider.set_balance(account.address, 10**21)
    return account


@pytest.fixture(scope="session")
def prime_stack(
    accounts,
    chain,
    project,
    liquidity,
    liquidity_deployment,
    agent,
    operator,
    guardian,
    governor,
    reporter,
) -> PrimeStack:
    d0, _ = liquidity_deployment
    d = d0.scoped(
        "QuanteraAccessManager",
        "UpgradeAuthority",
        "IdentityRegistry",
        "OracleRouter",
        "LiquidityAggregator",
    )
    tokens = liquidity.tokens
    engine = deploy_risk_engine(d, d.at("OracleRouter"))
    broker = deploy_prime_broker(d)
    pools = {
        # The QSPX pool holds a security: it is registered as a verified holder.
        symbol: deploy_lending_pool(
            d, tokens[symbol], broker, ZERO_RATES, identity=None if symbol == "USDC" else POOL_ID
        )
        for symbol in ("USDC", "QSPX")
    }
    configure_prime(
        d,
        broker,
        {symbol: (tokens[symbol], TERMS[symbol]) for symbol in TERMS},
        {symbol: (tokens[symbol], pools[symbol]) for symbol in pools},
    )
    registry = d.at("IdentityRegistry")
    client, client2, lender, liquidator = (fresh(accounts, chain) for _ in range(4))
    for wallet, identity in (
        (client, CLIENT_ID),
        (client2, CLIENT_ID),
        (lender, LENDER_ID),
        (liquidator, LIQUIDATOR_ID),
    ):
        registry.registerInvestor(wallet, identity, US, INSTITUTIONAL, NEVER, sender=operator)
    send_to_manager(d, grant_calls(d, "LIQUIDATOR", liquidator.address))
    renounce_temporary_roles(d)
    stack = PrimeStack(
        d,
        broker,
        project_at("PrimeViews", broker.address),
        pools,
        tokens,
        liquidity.feeds,
        liquidity.aggregator,
        registry,
        client,
        client2,
        lender,
        liquidator,
        reporter,
        agent,
        operator,
        guardian,
        governor,
        liquidity.deployment.venues,
        engine,
    )
    # Lenders: 2,000,000 USDC and 20,000 QSPX.
    for symbol, amount in (("USDC", 2_000_000 * UNIT["USDC"]), ("QSPX", 20_000 * UNIT["QSPX"])):
        stack.fund(lender, symbol, amount)
        tokens[symbol].approve(pools[symbol], amount, sender=lender)
        pools[symbol].deposit(amount, lender, sender=lender)
    # The client's wallet: a book of each collateral asset, and a USDC float for repayments.
    for symbol, amount in (("USDC", 400_000), ("QTB", 2_000), ("QSPX", 4_000), ("QCORP", 2_500)):
        stack.fund(client, symbol, amount * UNIT[symbol])
    broker.openAccount(sender=client)
    stack.governed(
        (
            "the client's credit line",
            lambda: broker.setCreditLine(CLIENT_ID, (10**24, 0, 0), sender=d.sender),
        )
    )
    return stack


def act(kind, asset=ZERO, amount=0, to=ZERO, data=b""):
    """One IPrimeBroker Action tuple (contracts and accounts may stand for their addresses)."""
    return (kind, getattr(asset, "address", asset), amount, getattr(to, "address", to), data)


def route(p: PrimeStack, chain, sell: str, buy: str, amount: int, recipient=None, slippage_bps=300):
    """One leg through the stack's Uniswap V2 pool A of the pair."""
    pair = f"{sell}-{buy}" if sell != "USDC" else f"{buy}-{sell}"
    venue = p.venues[f"UniswapV2Pair.A.{pair}"]
    return encode_route(
        p.tokens[sell],
        p.tokens[buy],
        amount,
        1,
        recipient or p.broker.address,
        chain.pending_timestamp + 600,
        slippage_bps,
        [(amount, [(venue, p.tokens[buy].address, b"")])],
    )


def holdings(p: PrimeStack, account=CLIENT_ID, spread_bps: int = 0) -> list:
    """An account's book as keepers/prime/model.py takes it (one Holding per listed token, in
    the stack's order), read from the chain; debts at the account's spread."""
    oracle = p.deployment.at("OracleRouter")
    return [
        model.Holding(
            p.broker.balanceOf(account, token),
            p.pools[symbol].debtOf(account, spread_bps) if symbol in p.pools else 0,
            oracle.price(token),
            token.decimals(),
            p.margin.collateralOf(token).riskWeightBps,
        )
        for symbol, token in p.tokens.items()
    ]


def another_pool(p: PrimeStack, asset, name: str):
    """A second lending pool of `asset` lent to the stack's broker (its deploy routine, zero
    rates), for `setPool` tests."""
    from keepers.prime import deploy_lending_pool

    d = p.deployment.scoped(
        "QuanteraAccessManager",
        "UpgradeAuthority",
        "IdentityRegistry",
        "OracleRouter",
        "LiquidityAggregator",
    )
    return deploy_lending_pool(d, asset, p.broker, ZERO_RATES, name=name)
