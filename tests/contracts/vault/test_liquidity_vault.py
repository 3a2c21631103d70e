"""LIQ-16: the portfolio vault trades through the aggregator (what the rebalancer does): the vault
pays each hop when asked (`swapWithCallback`), receives the output itself, and the risk engine
checks the state after."""

import ape

from isolation import isolated
from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.liquidity import encode_route
from keepers.risk import deploy_risk_engine
from risk_fixtures import asset_risk, deploy_fund_vault, model_update

USDC_UNIT, UNIT = 10**6, 10**18
ORDER = ("USDC", "QTB", "QCORP", "QSPX")  # risk_fixtures' asset order: the limits are per index
ASSET_CONCENTRATION = 5


def test_vault_trade__through_the_aggregator__risk_checked_nothing_left(
    liquidity, liquidity_deployment, chain, deployer, risk_keeper, executor
):
    liq = liquidity
    tokens = [liq.tokens[s] for s in ORDER]
    usdc, qspx = tokens[0], tokens[3]
    with isolated(chain):
        # Deployed inside the isolation: a deployment of its own, on the liquidity stack's.
        d = liquidity_deployment[0].scoped(
            "QuanteraAccessManager",
            "UpgradeAuthority",
            "IdentityRegistry",
            "OracleRouter",
            "LiquidityAggregator",
        )
        send_to_manager(
            d,
            [
                call
                for role, account in (("RISK_KEEPER", risk_keeper), ("EXECUTOR", executor))
                for call in grant_calls(d, role, account.address)
            ],
        )
        engine = deploy_risk_engine(d, liq.router)
        vault = deploy_fund_vault(
            d,
            usdc,
            "Quantera Liquidity Fund",
            "QLF",
            engine,
            liq.router,
            tokens[1:],
            venues=[liq.aggregator.address],
            identity="0x" + "f9" * 20,
            # QSPX at most 10%
            asset_risk_=asset_risk(QSPX=1_000),
        )
        renounce_temporary_roles(d)
        engine.publishModel(
            vault, model_update(1, chain.pending_timestamp - 60), sender=risk_keeper
        )
        usdc.approve(vault, 1_000_000 * USDC_UNIT, sender=liq.trader)
        vault.deposit(1_000_000 * USDC_UNIT, liq.trader, sender=liq.trader)
        engine.sync(vault, sender=deployer)

        def trade(amount, oracle_bps):
            legs = [
                (amount // 2, [(liq.venue("UniswapV2Pair.A.QSPX-USDC"), qspx.address, b"")]),
                (
                    amount - amount // 2,
                    [(liq.venue("UniswapV3Pool.QSPX-USDC.3000"), qspx.address, b"")],
                ),
            ]
            route = encode_route(
                usdc,
                qspx,
                amount,
                1,
                vault.address,
                chain.pending_timestamp + 600,
                oracle_bps,
                legs,
            )
            predicted, _ = liq.aggregator.quoteRoute.call(route)
            # paid by the vault when asked
            data = liq.aggregator.swapWithCallback.encode_input(route)
            return predicted, (usdc, amount, qspx, predicted, liq.aggregator, data)

        predicted, params = trade(50_000 * USDC_UNIT, 300)  # within 3% of the oracle value
        before = list(vault.holdings())
        receipt = vault.trade(params, sender=executor)
        after = list(vault.holdings())
        assert before[0] - after[0] == 50_000 * USDC_UNIT and after[3] - before[3] == predicted > 0
        assert usdc.allowance(vault, liq.aggregator) == 0
        assert all(int(t.balanceOf(liq.aggregator)) == 0 for t in tokens)
        assert [
            log.event_name
            for log in receipt.events
            if log.event_name in ("RouteExecuted", "Traded")
        ] == ["RouteExecuted", "Traded"]
        # 100,000 more would take QSPX past its 10% cap: the engine refuses after the route ran, and
        # the whole trade is undone.
        _, params = trade(100_000 * USDC_UNIT, 300)
        with ape.reverts(engine.RiskLimitBreached):
            vault.trade(params, sender=executor)
        assert list(vault.holdings()) == after
