"""SEC-52 (red team H3): the RiskEngine bounds a position by its value, not by its units. It used
to refuse any holding of 2**100 base units (`RiskMath.MAX_VALUE`) before anything else — in every
check and in `sync` — whatever the asset's decimals and price: 1.27 million tokens of a 24-decimal
asset. A $1,268 donation of such a token locked the vault's `sync` and its investors' cash
withdrawals (`PositionTooLarge`). An outsider's donation must never lock a vault."""

import ape
import pytest

from isolation import isolated
from keepers.risk import feed_config
from risk_fixtures import (
    ASSETS,
    CORRELATIONS,
    ES_MULTIPLIER_PPM,
    USDC_UNIT,
    VOLS_PPM,
    asset_risk,
    limits_tuple,
)

TINY_DECIMALS = 24
TINY_PRICE = 100_000  # $0.001 at the feeds' 8 decimals
INVALID_MODEL = 13


@pytest.fixture
def tiny_vault(risk_stack, project, deployer, governor, risk_keeper, chain):
    """The risk stack's vault with a fifth asset: a 24-decimal token at $0.001, listed, priced,
    configured and modelled by the same governance and keeper steps as the others."""
    stack = risk_stack
    vault, engine, router = stack.vault, stack.engine, stack.router
    with isolated(chain):
        tiny = deployer.deploy(project.DecimalsToken, "Tiny", "TINY", TINY_DECIMALS)
        feed = deployer.deploy(project.SettableFeed, 8, TINY_PRICE)
        router.setFeed(tiny, feed_config(feed.address), sender=governor)
        vault.addAsset(tiny, sender=governor)
        engine.configure(
            vault, asset_risk() + [(10_000, 6, False)], limits_tuple(), sender=governor
        )
        update_id = int(engine.metricsOf(vault)[1]) + 1
        correlations = CORRELATIONS[:3] + [0] + CORRELATIONS[3:5] + [0] + CORRELATIONS[5:] + [0, 0]
        engine.publishModel(
            vault,
            (
                update_id,
                chain.pending_timestamp - 60,
                VOLS_PPM + [20_000],
                correlations,
                ES_MULTIPLIER_PPM,
                [],
                (0,) * 11,
            ),
            sender=risk_keeper,
        )
        engine.sync(vault, sender=deployer)
        yield stack, tiny


def test_sec_52__donation_of_2_100_units_of_a_24_decimal_token__sync_and_withdrawal_work(
    tiny_vault, outsider, fund_investor, deployer
):
    stack, tiny = tiny_vault
    vault, engine, usdc = stack.vault, stack.engine, stack.tokens[0]
    tiny.mint(vault, 2**100, sender=outsider)  # 1.27 million TINY: $1,268 at $0.001
    engine.sync(vault, sender=deployer)
    assert not engine.isHalted(vault)
    cash_before = usdc.balanceOf(fund_investor)
    vault.withdraw(1_000 * USDC_UNIT, fund_investor, fund_investor, sender=fund_investor)
    assert usdc.balanceOf(fund_investor) - cash_before == 1_000 * USDC_UNIT
    # The position is valued: $1,268 of a fund of about $1,000,000.
    prices = engine.priceSnapshot(vault)[2]
    assert prices[4] == TINY_PRICE * 10**10
    assert ASSETS[0][0] == "USDC"


def test_sec_52__position_worth_more_than_the_engine_measures__sync_halts_investors_leave(
    tiny_vault, outsider, fund_investor, deployer
):
    """A holding worth 2**100 / 1e18 USD (1.27 trillion) or more at its oracle price cannot be
    measured (`RiskMath.MAX_VALUE`): `sync` halts the portfolio (InvalidModel) instead of
    reverting, so cash withdrawals skip the risk check and in-kind redemptions work; checks keep
    refusing trades (`PositionTooLarge`)."""
    stack, tiny = tiny_vault
    vault, engine = stack.vault, stack.engine
    tiny.mint(vault, 2**100 * 10**15 * 10**6, sender=outsider)  # $1.27e18 at $0.001
    receipt = engine.sync(vault, sender=deployer)
    assert engine.isHalted(vault)
    assert [e.reason for e in receipt.decode_logs(engine.Halted)] == [INVALID_MODEL]
    shares = vault.balanceOf(fund_investor)
    vault.redeemInKind(shares // 10, fund_investor, fund_investor, sender=fund_investor)
    held = list(vault.holdings())
    with ape.reverts(engine.PositionTooLarge):
        engine.check(vault, held, held)
