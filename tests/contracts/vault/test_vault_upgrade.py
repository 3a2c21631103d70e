"""UPG-9 (issue 34 §1): the PortfolioVault is fixed in place. The deploy routine puts it behind a
GovernedProxy administered by the deployment's UpgradeAuthority (`keepers.vault.deploy_vault`): its
implementation holds immutables only (what it is built on, its modules, the shares' name and
symbol), the proxy's storage is written once, by the proxy's own constructor (`initialize`: the
authority, the settlement asset listed as asset 0). Upgraded by the UPGRADER after the notice,
with holders and a deal still unsettled, every balance, deal, listing, limit and the NAV are what
they were, the deal settles exactly as it would have on the old code, and the vault trades and
pays out on the new code."""

from __future__ import annotations

import ape
import pytest

from isolation import isolated
from keepers.access import (
    UPGRADE_AUTHORITY,
    grant_calls,
    implementation_of,
    send_to_manager,
    upgrade_arguments,
)
from keepers.access.upgrade_plan import check_layout
from keepers.console.source import ChainSource, load_abis
from keepers.console.upgrades import built_on_changes
from keepers.core.artifacts import project_at
from keepers.core.deployments import DeploymentError, DeploymentRecord
from keepers.vault import deploy_vault, settlement_rounds
from risk_fixtures import USDC_UNIT, cash_investor, model_update, swap_params

USDC, QTB, QCORP, QSPX = range(4)
FEED_UNIT = 10**8
ZERO = "0x" + "00" * 20


def _state(stack, holders) -> dict:
    vault = stack.vault
    return {
        "supply": vault.totalSupply(),
        "total_assets": vault.totalAssets(),
        "balances": [vault.balanceOf(h) for h in holders],
        "deals": [tuple(vault.dealOf(h)) for h in holders],
        "assets": list(vault.assets()),
        "positions": [list(x) for x in vault.positions()],
        "limits": tuple(vault.tradeLimits()),
        "fee": vault.dealingFeeBps(),
        "venue": vault.isVenue(stack.venue),
        "compliance": vault.shareCompliance(),
        "metadata": (vault.name(), vault.symbol(), vault.decimals(), vault.asset()),
        "built_on": (vault.riskEngine(), vault.oracle(), vault.registry()),
        "authority": vault.authority(),
    }


def _report_all(stack, reporter, chain) -> None:
    chain.pending_timestamp += 60
    for feed in stack.feeds:
        feed.report(int(feed.latestRoundData()[1]), sender=reporter)


def _settle_and_redeem(stack, holder, keepers, chain) -> tuple:
    """The holder's deal settled at the first prices after it, then all its shares redeemed (the
    price keeper's round, the risk keeper's model and the engine's sync first, as the keepers
    run them: a week later, the model is stale)."""
    vault, usdc = stack.vault, stack.tokens[USDC]
    reporter, risk_keeper, deployer = keepers
    _report_all(stack, reporter, chain)
    stack.engine.publishModel(
        vault, model_update(2, chain.pending_timestamp - 60), sender=risk_keeper
    )
    stack.engine.sync(vault, sender=deployer)
    receipt = vault.settleDeal(holder, settlement_rounds(vault, holder), sender=deployer)
    settled = receipt.decode_logs(vault.DealSettled)[0]
    shares = vault.balanceOf(holder)
    cash = usdc.balanceOf(holder)
    vault.redeem(shares, holder, holder, sender=holder)
    return settled.shares, settled.nav, shares, usdc.balanceOf(holder) - cash


@pytest.fixture
def holder(risk_stack, accounts, operator):
    """A verified investor with cash (the fund investor already holds shares)."""
    return cash_investor(risk_stack, accounts[16], "0x" + "e6" * 20, 500_000 * USDC_UNIT, operator)


def test_upg_9__portfolio_vault__upgraded_with_a_deal_unsettled__nothing_moves_deal_settles_exact(
    chain,
    project,
    risk_stack,
    stack_deployment,
    holder,
    fund_investor,
    executor,
    reporter,
    risk_keeper,
    deployer,
    governor,
):
    stack, vault = risk_stack, risk_stack.vault
    keepers = (reporter, risk_keeper, deployer)
    d = stack_deployment
    authority = d.at(UPGRADE_AUTHORITY)
    old_code = implementation_of(vault)
    assert old_code not in (ZERO, vault.address) and chain.provider.get_code(old_code)
    send_to_manager(d, grant_calls(d, "UPGRADER", governor.address))
    # Holdings priced by the oracle, then a deposit whose deal waits for the next prices.
    vault.trade(swap_params(stack, USDC, QSPX, 250_000 * USDC_UNIT), sender=executor)
    stack.engine.sync(vault, sender=deployer)
    vault.deposit(300_000 * USDC_UNIT, holder, sender=holder)
    assert vault.dealOf(holder).shares > 0
    holders = [holder, fund_investor]
    before = _state(stack, holders)
    with isolated(chain):  # the reference: the deal settled and redeemed on the old code, as late
        chain.pending_timestamp += authority.NOTICE()
        expected = _settle_and_redeem(stack, holder, keepers, chain)

    # The fix: this build's vault on the same terms, shipping new modules (immutables of its code).
    check_layout("PortfolioVault", "PortfolioVault")
    modules = [deployer.deploy(project.PortfolioBasket), deployer.deploy(project.PortfolioAdmin)]
    terms = (vault.asset(), vault.name(), vault.symbol(), *before["built_on"])
    fixed = deployer.deploy(project.PortfolioVault, *terms, *modules)
    arguments = upgrade_arguments(vault, fixed)
    authority.propose(*arguments, sender=governor)
    with ape.reverts(authority.UpgradeNotReady):
        authority.upgrade(*arguments, sender=governor)
    chain.pending_timestamp += authority.NOTICE()
    authority.upgrade(*arguments, sender=governor)
    assert implementation_of(vault) == fixed.address != old_code
    assert (vault.basketModule(), vault.adminModule()) == tuple(m.address for m in modules)

    # Every balance, deal, listing, limit, the NAV and the authority: what they were (the prices
    # reported again, unchanged: a week later the last ones are stale).
    _report_all(stack, reporter, chain)
    assert _state(stack, holders) == before
    # The deal settles, and the holder is paid, exactly as on the old code.
    assert _settle_and_redeem(stack, holder, keepers, chain) == expected
    # The new code trades (its new basket and admin modules behind it) and pays the other holder.
    vault.trade(swap_params(stack, QSPX, USDC, 10 * 10**18), sender=executor)
    stack.engine.sync(vault, sender=deployer)
    shares = vault.balanceOf(fund_investor) // 10
    assert vault.redeem(shares, fund_investor, fund_investor, sender=fund_investor)


def test_upg_9__portfolio_vault__initialize_runs_only_in_its_proxys_constructor(
    project, risk_stack, deployer, governor
):
    vault = risk_stack.vault
    code = project_at("PortfolioVault", implementation_of(vault))
    manager = risk_stack.manager
    for target in (vault, code):
        with ape.reverts(target.InitializeOutsideConstruction, account=target.address):
            target.initialize(manager, sender=deployer)
    # The proxy's storage was written by its constructor; the implementation's never was.
    assert vault.assets()[0] == vault.asset() and vault.authority() == manager.address
    assert list(code.assets()) == [] and code.authority() == ZERO
    with ape.reverts(code.AccessManagedUnauthorized):
        code.setDealingFee(5, sender=governor)
    # The shares' name and symbol are the code's (the same for the proxy and its implementation).
    assert (
        (vault.name(), vault.symbol())
        == (code.name(), code.symbol())
        == (
            "Quantera Income Fund",
            "QIF",
        )
    )
    # A proxy's constructor checks what it initializes, as the constructor did.
    authority = risk_stack.manager.address  # any address: the proxy's admin owner
    with ape.reverts(code.AccessManagedInvalidAuthority):
        deployer.deploy(
            project.GovernedProxy, code, authority, code.initialize.encode_input(deployer)
        )


def test_upg_9__share_name_past_31_bytes__refused_before_anything_is_sent(
    stack_deployment, risk_stack
):
    d = stack_deployment
    nonce = d.sender.nonce
    with pytest.raises(ValueError, match=r"fund_name '.*' is 32 bytes: at most 31"):
        deploy_vault(
            d,
            risk_stack.tokens[USDC],
            "Q" * 32,
            "QLONG",
            risk_stack.engine,
            risk_stack.router,
            name="PortfolioVault.long",
        )
    assert d.sender.nonce == nonce


def test_upg_9__fix_renaming_the_shares__said_as_what_the_code_is_built_on(
    chain, project, risk_stack, deployer
):
    """An attacker's read (helper-109 L1): the shares' name and symbol are immutables of the code,
    and an upgrade to this build's vault built with another name passed every check unsaid. The
    operators' path and the governance page compare them as what the code is built on."""
    vault = risk_stack.vault
    running = implementation_of(vault)
    record = DeploymentRecord(
        "ethereum:local",
        chain.chain_id,
        0,
        {"PortfolioVault": vault.address, "PortfolioVault.implementation": running},
    )
    source = ChainSource(chain.provider.web3, record, load_abis())
    built_on = (vault.riskEngine(), vault.oracle(), vault.registry())
    modules = (vault.basketModule(), vault.adminModule())
    same = deployer.deploy(
        project.PortfolioVault, vault.asset(), "Quantera Income Fund", "QIF", *built_on, *modules
    )
    renamed = deployer.deploy(
        project.PortfolioVault, vault.asset(), "USD Coin", "USDC", *built_on, *modules
    )
    assert built_on_changes(source, "PortfolioVault", same.address, running, "latest") == []
    assert built_on_changes(source, "PortfolioVault", renamed.address, running, "latest") == [
        "name() USD Coin, where the code it runs has Quantera Income Fund",
        "symbol() USDC, where the code it runs has QIF",
    ]


def test_upg_9__rerun_on_recorded_code_of_other_terms__refused_before_the_proxy(
    stack_deployment, risk_stack
):
    """An attacker's read (helper-109 L3): a run killed after the vault's code was recorded, rerun
    with another share name (the portfolio file corrected), put the old code behind the proxy,
    unsaid. The recorded code must answer the name and symbol asked for."""
    d, s = stack_deployment, risk_stack
    vault = s.vault
    d.deploy_contract(
        "PortfolioVault.rerun.implementation",
        "PortfolioVault",
        s.tokens[USDC],
        "Old Name",
        "OLD",
        s.engine,
        s.router,
        s.registry,
        vault.basketModule(),
        vault.adminModule(),
    )
    nonce = d.sender.nonce
    with pytest.raises(DeploymentError, match=r"answers name\(\) Old Name, not New Name"):
        deploy_vault(
            d, s.tokens[USDC], "New Name", "NEW", s.engine, s.router, name="PortfolioVault.rerun"
        )
    assert d.sender.nonce == nonce
