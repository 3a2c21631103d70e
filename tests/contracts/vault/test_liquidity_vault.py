"""LIQ-16: the portfolio vault trades through the aggregator (what the rebalancer does): the vault
pays each hop when asked (`swapWithCallback`), receives the output itself, and the risk engine
checks the state after."""

import ape
from compliance_fixtures import wire
from isolation import isolated
from risk_fixtures import asset_risk, bind_share_compliance, limits_tuple, model_update

from keepers.access.roles import ROLE_IDS
from keepers.liquidity.codec import encode_route

USDC_UNIT, UNIT = 10**6, 10**18
ORDER = ("USDC", "QTB", "QCORP", "QSPX")  # risk_fixtures' asset order: the limits are per index
ASSET_CONCENTRATION = 5


def test_vault_trade__through_the_aggregator__risk_checked_nothing_left(liquidity, project, stack, chain, deployer,
                                                                       governor, operator, risk_keeper, executor):
    liq, manager, registry = liquidity, stack[0], stack[1]
    tokens = [liq.tokens[s] for s in ORDER]
    usdc, qspx = tokens[0], tokens[3]
    with isolated(chain):
        for role, account in (("RISK_KEEPER", risk_keeper), ("EXECUTOR", executor)):
            manager.grantRole(ROLE_IDS[role], account, 0, sender=deployer)
        engine = deployer.deploy(project.RiskEngine, manager, liq.router)
        wire(manager, engine, "RiskEngine", deployer)
        vault = deployer.deploy(project.PortfolioVault, manager, usdc, "Quantera Liquidity Fund", "QLF", engine,
                                liq.router, registry)
        wire(manager, vault, "PortfolioVault", deployer)
        bind_share_compliance(project, deployer, governor, manager, registry, vault)
        for token in tokens[1:]:
            vault.addAsset(token, sender=governor)
        vault.setVenue(liq.aggregator, True, sender=governor)
        registry.registerInvestor(vault, "0x" + "f9" * 20, 840, 4, 2**40 - 1, sender=operator)
        engine.configure(vault, asset_risk(QSPX=1_000), limits_tuple(), sender=governor)  # QSPX at most 10%
        engine.publishModel(vault, model_update(1, chain.pending_timestamp - 60), sender=risk_keeper)
        usdc.approve(vault, 1_000_000 * USDC_UNIT, sender=liq.trader)
        vault.deposit(1_000_000 * USDC_UNIT, liq.trader, sender=liq.trader)
        engine.sync(vault, sender=deployer)

        def trade(amount, oracle_bps):
            legs = [(amount // 2, [(liq.venue("UniswapV2Pair.A.QSPX-USDC"), qspx.address, b"")]),
                    (amount - amount // 2, [(liq.venue("UniswapV3Pool.QSPX-USDC.3000"), qspx.address, b"")])]
            route = encode_route(usdc, qspx, amount, 1, vault.address, chain.pending_timestamp + 600, oracle_bps, legs)
            predicted, _ = liq.aggregator.quoteRoute.call(route)
            data = liq.aggregator.swapWithCallback.encode_input(route)  # paid by the vault when asked
            return predicted, (usdc, amount, qspx, predicted, liq.aggregator, data)

        predicted, params = trade(50_000 * USDC_UNIT, 300)  # within 3% of the oracle value
        before = list(vault.holdings())
        receipt = vault.trade(params, sender=executor)
        after = list(vault.holdings())
        assert before[0] - after[0] == 50_000 * USDC_UNIT and after[3] - before[3] == predicted > 0
        assert usdc.allowance(vault, liq.aggregator) == 0
        assert all(int(t.balanceOf(liq.aggregator)) == 0 for t in tokens)
        assert [log.event_name for log in receipt.events if log.event_name in ("RouteExecuted", "Traded")] == [
            "RouteExecuted", "Traded"]
        # 100,000 more would take QSPX past its 10% cap: the engine refuses after the route ran, and
        # the whole trade is undone.
        _, params = trade(100_000 * USDC_UNIT, 300)
        with ape.reverts(engine.RiskLimitBreached):
            vault.trade(params, sender=executor)
        assert list(vault.holdings()) == after
