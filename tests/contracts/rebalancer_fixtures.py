"""The AutoRebalancer on the liquidity stack: a four-asset vault (USDC, QTB, QCORP, QSPX) holding
only cash, its risk engine, the rebalancer wired as deployed (EXECUTOR on the vault, direct caller
of the aggregator) with a 2-of-3 signer strategy. Intents are signed with eth_account keys."""

from dataclasses import dataclass

import pytest
from eth_account import Account

from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.liquidity import encode_legs
from keepers.rebalancing import deploy_rebalancer, rebalance_vault
from keepers.rebalancing.intent import RebalanceIntent, sign_intent
from keepers.risk import deploy_risk_engine
from risk_fixtures import deploy_fund_vault, model_update

USDC_UNIT, UNIT = 10**6, 10**18
ORDER = ("USDC", "QTB", "QCORP", "QSPX")  # risk_fixtures' asset order: the limits are per index
DOMAIN = "Quantera AutoRebalancer"
DEPOSIT = 10_000 * USDC_UNIT
# Strategy: bounds per asset (bps), drift 2%, cooldown 1 h, trades <= 40% of NAV, slippage <= 2%,
# loss budget $2,000 refilled over a day, base fee <= 100 gwei, 2 of 3 signers.
MIN_BPS = [500, 1_000, 0, 0]
MAX_BPS = [10_000, 8_000, 4_000, 4_000]
STRATEGY = dict(
    driftThresholdBps=200,
    maxTradeBps=4_000,
    maxSlippageBps=200,
    signerThreshold=2,
    cooldown=3_600,
    lossRefillPeriod=86_400,
    maxBaseFee=100 * 10**9,
    lossBudget=2_000 * 10**18,
    maxSnapshotAge=300,
)
VENUES = {
    "QTB": "UniswapV2Pair.A.QTB-USDC",
    "QCORP": "UniswapV2Pair.A.QCORP-USDC",
    "QSPX": "UniswapV2Pair.A.QSPX-USDC",
}


def strategy_tuple(**overrides):
    values = {**STRATEGY, **overrides}
    return (
        overrides.get("minWeightBps", MIN_BPS),
        overrides.get("maxWeightBps", MAX_BPS),
        *(
            values[k]
            for k in (
                "driftThresholdBps",
                "maxTradeBps",
                "maxSlippageBps",
                "signerThreshold",
                "cooldown",
                "lossRefillPeriod",
                "maxBaseFee",
                "lossBudget",
                "maxSnapshotAge",
            )
        ),
    )


@dataclass
class RebalancerStack:
    liq: object
    engine: object
    vault: object
    rebalancer: object
    keys: list
    tokens: list
    lens: object

    def intent(self, chain, targets, nonce=None, slippage=100, deadline=None, strategy_id=None):
        nonce = self.lens.stateOf(self.rebalancer, self.vault)[0] if nonce is None else nonce
        strategy_id = (
            self.lens.strategyOf(self.rebalancer, self.vault)[1]
            if strategy_id is None
            else strategy_id
        )
        deadline = chain.pending_timestamp + 600 if deadline is None else deadline
        return RebalanceIntent(
            self.vault.address,
            strategy_id,
            tuple(targets),
            slippage,
            nonce,
            deadline,
            b"\x01" * 32,
            b"\x02" * 32,
        )

    def sign(self, chain, intent, chosen=(0, 1), chain_id=None, contract=None):
        keys = [self.keys[i] for i in chosen]
        signatures = [
            sign_intent(
                intent,
                k.key,
                DOMAIN,
                chain_id or chain.chain_id,
                contract or self.rebalancer.address,
            )[1]
            for k in keys
        ]
        return [k.address for k in keys], signatures

    def routes(self, intent):
        """One V2 leg per planned trade, through the pool of its non-cash asset."""
        trades = self.lens.previewRebalance(self.rebalancer, intent.as_tuple()).trades
        routes = []
        for trade in trades:
            sell, buy = int(trade.sellIndex), int(trade.buyIndex)
            risky = ORDER[buy] if sell == 0 else ORDER[sell]
            routes.append(
                encode_legs(
                    [(1, [(self.liq.venue(VENUES[risky]), self.tokens[buy].address, b"")])],
                    self.tokens[buy].address,
                )
            )
        return routes

    def values(self):
        """Oracle values of the holdings, 18-decimal USD."""
        holdings = self.vault.holdings()
        prices = [self.liq.router.price(t) for t in self.tokens]
        units = [USDC_UNIT, UNIT, UNIT, UNIT]
        return [h * p // u for h, p, u in zip(holdings, prices, units)]


@pytest.fixture(scope="session")
def rebalancing(liquidity, liquidity_deployment, chain, deployer, risk_keeper):
    liq, (d, _) = liquidity, liquidity_deployment
    tokens = [liq.tokens[s] for s in ORDER]
    send_to_manager(d, grant_calls(d, "RISK_KEEPER", risk_keeper.address))
    engine = deploy_risk_engine(d, liq.router)
    vault = deploy_fund_vault(
        d,
        tokens[0],
        "Quantera Rebalanced Fund",
        "QRF",
        engine,
        liq.router,
        tokens[1:],
        identity="0x" + "f8" * 20,
    )
    rebalancer = deploy_rebalancer(d)
    keys = sorted(
        (Account.create(f"rebalance signer {i}") for i in range(3)),
        key=lambda a: int(a.address, 16),
    )
    rebalance_vault(d, rebalancer, vault, strategy_tuple(), [key.address for key in keys])
    renounce_temporary_roles(d)
    engine.publishModel(vault, model_update(1, chain.pending_timestamp - 60), sender=risk_keeper)
    liq.tokens["USDC"].approve(vault, DEPOSIT, sender=liq.trader)
    vault.deposit(DEPOSIT, liq.trader, sender=liq.trader)
    engine.sync(vault, sender=deployer)
    return RebalancerStack(liq, engine, vault, rebalancer, keys, tokens, d.at("RebalancerLens"))
