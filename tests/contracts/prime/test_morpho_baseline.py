"""The Morpho Blue baseline (issue 19, PRM-40 to PRM-44): Morpho built from its npm package and
deployed by `keepers.prime.deploy_morpho_baseline`, its oracle adapter on the OracleRouter, and the
liquidation model of `keepers.prime.morpho_model` against the deployed contract — positions opened
at one price, made unhealthy by the feed, liquidated on chain; seized collateral, repaid debt and
bad debt equal the model's (to the unit in Morpho's integer maths, within rounding in the
vectorised real-number model).

One deployment for the module; the liquidations run on the interest-free market (zero IRM), so
the model needs no accrual."""

import json
from dataclasses import dataclass

import ape
import pytest

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS, WAD
from keepers.prime import MarketParams, MorphoBaseline, deploy_morpho_baseline
from keepers.prime import morpho_model as rules
from keepers.prime.morpho import IRM_MOCK, IRM_NONE, LLTV_86, deploy_oracle_adapter
from keepers.prime.morpho_artifacts import MORPHO_BUILD
from keepers.prime.morpho_model import MarketState, PositionState
from keepers.vault import deploy_stablecoin

USD = 10**6
ETH = 10**18
SUPPLY_USD = 1_000_000
COLLATERAL_ETH = 10
DEBT_USD = 25_000  # at $3,000 the limit is 10 x 3,000 x 86 % = $25,800


@dataclass
class Baseline:
    stack: MorphoBaseline
    market: MarketParams
    supplier: object
    liquidator: object
    reporter: object
    deployment: Deployment

    def set_weth_price(self, usd: int) -> None:
        self.stack.feeds["WETH"].report(usd * 10**FEED_DECIMALS, sender=self.reporter)

    def totals(self) -> MarketState:
        m = self.stack.morpho.market(self.market.id)
        return MarketState(
            m.totalSupplyAssets, m.totalSupplyShares, m.totalBorrowAssets, m.totalBorrowShares
        )

    def position(self, borrower) -> PositionState:
        p = self.stack.morpho.position(self.market.id, borrower)
        return PositionState(p.borrowShares, p.collateral)

    def open(self, chain, accounts, collateral_eth: int, debt_usd: int):
        """A fresh borrower with `collateral_eth` WETH supplied and `debt_usd` borrowed."""
        borrower = accounts.generate_test_account()
        chain.provider.set_balance(borrower.address, 100 * ETH)
        morpho, weth = self.stack.morpho, self.stack.collateral
        weth.deposit(value=collateral_eth * ETH, sender=borrower)
        weth.approve(morpho, collateral_eth * ETH, sender=borrower)
        params = self.market.as_tuple()
        morpho.supplyCollateral(params, collateral_eth * ETH, borrower, b"", sender=borrower)
        morpho.borrow(params, debt_usd * USD, 0, borrower, borrower, sender=borrower)
        return borrower


@pytest.fixture(scope="module")
def baseline(accounts, deployer, governor, operator, reporter) -> Baseline:
    d = Deployment.in_memory(deployer)
    deploy_access(d, {"GOVERNOR": governor, "OPERATOR": operator, "PRICE_REPORTER": reporter})
    stack = deploy_morpho_baseline(d)
    renounce_temporary_roles(d)
    supplier, liquidator = accounts[18], accounts[19]
    market = stack.markets[IRM_NONE]
    for wallet in (supplier, liquidator):
        stack.loan.mint(wallet, SUPPLY_USD * USD, sender=operator)
        stack.loan.approve(stack.morpho, 2**256 - 1, sender=wallet)
    stack.morpho.supply(market.as_tuple(), SUPPLY_USD * USD, 0, supplier, b"", sender=supplier)
    return Baseline(stack, market, supplier, liquidator, reporter, d)


def liquidation_event(morpho, receipt):
    (event,) = receipt.decode_logs(morpho.Liquidate)
    return event


def test_prm_40__morpho_from_its_package__built_at_its_settings_and_configured(baseline, deployer):
    artifact = json.loads((MORPHO_BUILD / "Morpho.json").read_text())
    assert artifact["compiler"]["version"].startswith("0.8.19+")
    assert artifact["compiler"]["settings"]["viaIR"] is True
    assert artifact["compiler"]["settings"]["optimizer"]["runs"] == 999_999
    assert artifact["compiler"]["settings"]["evmVersion"] == "paris"
    stack = baseline.stack
    morpho = stack.morpho
    assert morpho.owner() == deployer.address
    assert morpho.isLltvEnabled(LLTV_86)
    for irm in (IRM_NONE, IRM_MOCK):
        params = stack.markets[irm]
        assert morpho.isIrmEnabled(params.irm)
        created = morpho.idToMarketParams(params.id)
        assert (created.loanToken, created.collateralToken, created.oracle) == (
            stack.loan.address,
            stack.collateral.address,
            stack.oracle.address,
        )
        assert (created.irm, created.lltv) == (params.irm, LLTV_86)
        assert morpho.market(params.id).lastUpdate > 0


def test_prm_41__oracle_adapter__router_prices_at_morpho_scale_by_decimals(baseline):
    stack = baseline.stack
    # WETH (18 decimals) in USDC (6): 3,000 USDC per WETH x 10**(36 + 6 - 18).
    assert stack.oracle.scale() == 10**24
    assert stack.oracle.price() == 3_000 * 10**24
    # Morpho's reading: one whole WETH quoted at price / 1e36 is 3,000 whole USDC.
    assert ETH * stack.oracle.price() // 10**36 == 3_000 * USD


def test_prm_41__oracle_adapter__an_unpriced_asset__reverts_with_the_routers_error(baseline):
    d, stack = baseline.deployment, baseline.stack
    unpriced = deploy_stablecoin(d, "EURQ", "Euro (local, no feed)")
    adapter = deploy_oracle_adapter(d, stack.router, stack.collateral, unpriced, "WETH-EURQ")
    assert adapter.scale() == 10**24
    with ape.reverts(stack.router.PriceUnavailable, asset=unpriced.address):
        adapter.price()


def test_prm_42__health__model_and_chain_agree__borrowing_past_the_lltv_reverts(
    baseline, chain, accounts
):
    morpho, params = baseline.stack.morpho, baseline.market.as_tuple()
    borrower = baseline.open(chain, accounts, COLLATERAL_ETH, DEBT_USD)
    # the limit at $3,000 is $25,800: $801 more is past it
    with ape.reverts("insufficient collateral"):
        morpho.borrow(params, 801 * USD, 0, borrower, borrower, sender=borrower)
    prices_usd = [3_000, 2_907, 2_906]  # the threshold: 25,000 / (10 x 0.86) = 2,906.98
    exact = []
    for usd in prices_usd:
        baseline.set_weth_price(usd)
        price = baseline.stack.oracle.price()
        position = baseline.position(borrower)
        healthy = rules.is_healthy_exact(baseline.totals(), position, price, LLTV_86)
        exact.append(healthy)
        if healthy:
            with ape.reverts("position is healthy"):
                morpho.liquidate(params, borrower, ETH // 100, 0, b"", sender=baseline.liquidator)
        else:
            morpho.liquidate(params, borrower, ETH // 100, 0, b"", sender=baseline.liquidator)
    baseline.set_weth_price(3_000)
    assert exact == [True, True, False]
    real = rules.is_healthy([COLLATERAL_ETH] * 3, prices_usd, LLTV_86 / WAD, [DEBT_USD] * 3)
    assert real.tolist() == exact


def test_prm_43__partial_liquidation__seized_and_repaid_as_the_model(baseline, chain, accounts):
    morpho, params = baseline.stack.morpho, baseline.market.as_tuple()
    by_seized = baseline.open(chain, accounts, COLLATERAL_ETH, DEBT_USD)
    by_shares = baseline.open(chain, accounts, COLLATERAL_ETH, DEBT_USD)
    baseline.set_weth_price(2_800)  # limit 24,080 < 25,000
    price = baseline.stack.oracle.price()
    weth, usdc, liquidator = baseline.stack.collateral, baseline.stack.loan, baseline.liquidator
    lif = rules.liquidation_incentive_factor_wad(LLTV_86)
    assert lif == WAD * WAD // (WAD - 3 * (WAD - LLTV_86) // 10)  # 1 / (1 - 0.3 x 0.14)
    assert abs(lif / WAD - float(rules.liquidation_incentive_factor(LLTV_86 / WAD))) < 1e-15
    for borrower, seized, shares in (
        (by_seized, ETH, 0),
        (by_shares, 0, baseline.position(by_seized).borrow_shares // 2),
    ):
        before, position = baseline.totals(), baseline.position(borrower)
        model = rules.liquidate_exact(
            before, position, price, LLTV_86, seized_assets=seized, repaid_shares=shares
        )
        weth_before, usdc_before = weth.balanceOf(liquidator), usdc.balanceOf(liquidator)
        receipt = morpho.liquidate(params, borrower, seized, shares, b"", sender=liquidator)
        event = liquidation_event(morpho, receipt)
        assert (event.seizedAssets, event.repaidAssets, event.repaidShares) == (
            model.seized_assets,
            model.repaid_assets,
            model.repaid_shares,
        )
        assert (event.badDebtAssets, event.badDebtShares) == (0, 0)
        assert baseline.totals() == model.market
        assert baseline.position(borrower) == model.position
        assert weth.balanceOf(liquidator) - weth_before == model.seized_assets
        assert usdc_before - usdc.balanceOf(liquidator) == model.repaid_assets
        # the real-number rule: seized = repaid x LIF / price, within a unit of rounding
        expected_seized_eth = (model.repaid_assets / USD) * (lif / WAD) / 2_800
        assert abs(model.seized_assets / ETH - expected_seized_eth) < 1e-6 / 2_800 * 2
    baseline.set_weth_price(3_000)


def test_prm_44__collateral_exhausted__bad_debt_realised_and_socialised_as_the_model(
    baseline, chain, accounts
):
    morpho, params = baseline.stack.morpho, baseline.market.as_tuple()
    underwater = baseline.open(chain, accounts, COLLATERAL_ETH, DEBT_USD)
    baseline.set_weth_price(2_000)  # 10 WETH = $20,000 < $25,000 of debt
    price = baseline.stack.oracle.price()
    book = rules.liquidate_all(
        [COLLATERAL_ETH, 2 * COLLATERAL_ETH], [DEBT_USD, DEBT_USD], 2_000, LLTV_86 / WAD
    )
    assert book.liquidated.tolist() == [True, False]  # 20 WETH x 2,000 x 0.86 = 34,400 >= 25,000
    before, position = baseline.totals(), baseline.position(underwater)
    everything = position.collateral
    model = rules.liquidate_exact(before, position, price, LLTV_86, seized_assets=everything)
    receipt = morpho.liquidate(
        params, underwater, position.collateral, 0, b"", sender=baseline.liquidator
    )
    event = liquidation_event(morpho, receipt)
    assert (event.seizedAssets, event.repaidAssets, event.badDebtAssets, event.badDebtShares) == (
        model.seized_assets,
        model.repaid_assets,
        model.bad_debt_assets,
        model.bad_debt_shares,
    )
    assert model.bad_debt_assets > 0
    after = baseline.totals()
    assert after == model.market
    assert baseline.position(underwater) == PositionState(0, 0)
    # socialised: the suppliers' assets fall by the bad debt, their shares stay
    assert after.total_supply_assets == before.total_supply_assets - event.badDebtAssets
    assert after.total_supply_shares == before.total_supply_shares
    # the vectorised model: the same seizure, repayment and bad debt within rounding
    assert book.seized[0] == COLLATERAL_ETH and book.collateral_after[0] == 0
    assert abs(book.repaid[0] - event.repaidAssets / USD) < 2e-6
    assert abs(book.bad_debt[0] - event.badDebtAssets / USD) < 2e-6
    assert abs(book.total_bad_debt - event.badDebtAssets / USD) < 2e-6
    baseline.set_weth_price(3_000)
