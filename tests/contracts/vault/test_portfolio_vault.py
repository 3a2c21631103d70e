"""RSK-4, RSK-5: the portfolio vault's deposits, withdrawals, trades and in-kind redemptions."""

import ape

from direct_calls import every_direct_call_refused
from isolation import isolated
from risk_fixtures import UNIT, USDC_UNIT, asset_risk, limits_tuple, swap_params

USDC, QTB, QCORP, QSPX = range(4)
MIN_LIQ, HALTED = 7, 1
RECIPIENT_NOT_VERIFIED = 6


def test_total_assets__every_holding_at_its_oracle_price_in_settlement_units(risk_stack, executor):
    vault = risk_stack.vault
    vault.trade(swap_params(risk_stack, USDC, QSPX, 100_000 * USDC_UNIT), sender=executor)
    assert vault.holdings()[QSPX] == 2_000 * UNIT
    assert vault.totalAssets() == 1_000_000 * USDC_UNIT  # 900,000 cash + 2,000 x 50 USD


def test_deposit__unverified_receiver_or_caller__reverts(risk_stack, accounts, fund_investor):
    vault = risk_stack.vault
    stranger = accounts[14]
    with ape.reverts(vault.InvestorNotVerified, account=stranger):
        vault.deposit(USDC_UNIT, stranger, sender=fund_investor)
    assert vault.maxDeposit(stranger) == 0


def test_shares__transfer_to_unverified__reverts(risk_stack, accounts, fund_investor):
    # The shares' compliance engine refuses it, as a SecurityToken's would (SEC-2).
    vault = risk_stack.vault
    with ape.reverts(
        vault.TransferNotCompliant, to=accounts[14].address, reasonCode=RECIPIENT_NOT_VERIFIED
    ):
        vault.transfer(accounts[14], 1, sender=fund_investor)


def test_trade__outsider_unknown_venue_or_short_output__reverts(
    risk_stack, executor, outsider, deployer, project
):
    vault = risk_stack.vault
    params = swap_params(risk_stack, USDC, QCORP, 1_000 * USDC_UNIT)
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.trade(params, sender=outsider)
    rogue = deployer.deploy(project.FixedRateVenue)
    with ape.reverts(vault.VenueNotAllowed, venue=rogue):
        vault.trade(params[:4] + (rogue, params[5]), sender=executor)
    with ape.reverts(vault.InsufficientOutput, received=10 * UNIT, minBuyAmount=11 * UNIT):
        vault.trade(params[:3] + (11 * UNIT,) + params[4:], sender=executor)


def test_trade__success__event_and_no_standing_allowance(risk_stack, executor):
    vault, usdc = risk_stack.vault, risk_stack.tokens[USDC]
    receipt = vault.trade(
        swap_params(risk_stack, USDC, QCORP, 50_000 * USDC_UNIT, 500 * UNIT), sender=executor
    )
    event = receipt.decode_logs(vault.Traded)[0]
    assert (event.sold, event.bought) == (50_000 * USDC_UNIT, 500 * UNIT)
    assert usdc.allowance(vault, risk_stack.venue) == 0


def test_withdraw__would_break_min_liquidity__reverts_but_in_kind_redemption_works(
    risk_stack, executor, fund_investor, governor
):
    vault, engine = risk_stack.vault, risk_stack.engine
    # Caps loose enough that the liquidity floor is the limit a cash withdrawal meets first.
    engine.configure(
        vault,
        asset_risk(QCORP=6_000, QSPX=6_000),
        limits_tuple(maxClassWeightBps=[0] * 8),
        sender=governor,
    )
    vault.trade(swap_params(risk_stack, USDC, QCORP, 380_000 * USDC_UNIT), sender=executor)
    vault.trade(swap_params(risk_stack, USDC, QSPX, 280_000 * USDC_UNIT), sender=executor)
    # Cash 340,000 of 1,000,000: withdrawing 200,000 leaves 140/800 = 17.5% liquid < 20%.
    with ape.reverts(
        engine.RiskLimitBreached, portfolio=vault, limit=MIN_LIQ, value=1_750, bound=2_000
    ):
        vault.withdraw(200_000 * USDC_UNIT, fund_investor, fund_investor, sender=fund_investor)
    shares = vault.balanceOf(fund_investor) // 5
    supply = vault.totalSupply()
    before = vault.holdings()
    receipt = vault.redeemInKind(shares, fund_investor, fund_investor, sender=fund_investor)
    amounts = receipt.decode_logs(vault.RedeemedInKind)[0].amounts
    assert list(amounts) == [h * shares // supply for h in before]
    assert risk_stack.tokens[QCORP].balanceOf(fund_investor) == amounts[QCORP]


def test_halted__no_deposits__withdrawals_and_in_kind_still_work(
    risk_stack, guardian, executor, fund_investor
):
    vault, engine = risk_stack.vault, risk_stack.engine
    vault.trade(swap_params(risk_stack, USDC, QCORP, 380_000 * USDC_UNIT), sender=executor)
    engine.halt(vault, sender=guardian)
    with ape.reverts(vault.PortfolioHalted):
        vault.deposit(USDC_UNIT, fund_investor, sender=fund_investor)
    assert vault.maxDeposit(fund_investor) == 0
    # Halted: a cash withdrawal that breaks the liquidity floor still goes through.
    vault.withdraw(500_000 * USDC_UNIT, fund_investor, fund_investor, sender=fund_investor)
    vault.redeemInKind(
        vault.balanceOf(fund_investor) // 2, fund_investor, fund_investor, sender=fund_investor
    )
    assert engine.isHalted(vault)


def test_sec_61__cash_short__max_redeem_and_max_withdraw_are_what_the_vault_pays(
    risk_stack, executor, fund_investor
):
    """SEC-61 (red team L8): ERC-4626's `maxRedeem` / `maxWithdraw` must not exceed what `redeem` /
    `withdraw` accept. They were the owner's shares (and their value), while a cash exit is paid
    from the vault's cash: with most of it invested, redeeming `maxRedeem` reverted (Panic 0x11).
    They are now bounded by the cash the vault can pay out, and both calls succeed at them."""
    vault, usdc = risk_stack.vault, risk_stack.tokens[USDC]
    vault.trade(swap_params(risk_stack, USDC, QTB, 900_000 * USDC_UNIT), sender=executor)
    cash = usdc.balanceOf(vault)
    assert cash == 100_000 * USDC_UNIT
    most = vault.maxRedeem(fund_investor)
    vault.redeem(most, fund_investor, fund_investor, sender=fund_investor)
    assert vault.maxRedeem(fund_investor) <= vault.balanceOf(fund_investor)
    # Cash left is what a withdrawal may take at most, fee included.
    assert vault.maxWithdraw(fund_investor) <= usdc.balanceOf(vault)
    vault.withdraw(
        vault.maxWithdraw(fund_investor), fund_investor, fund_investor, sender=fund_investor
    )
    assert usdc.balanceOf(vault) < 10 * USDC_UNIT
    assert vault.maxRedeem(fund_investor) == 0 or vault.previewRedeem(
        vault.maxRedeem(fund_investor)
    ) <= usdc.balanceOf(vault)


def test_sec_58__listing_what_answers_no_balance__refused_the_vault_never_locked(
    risk_stack, governor, fund_investor, outsider, project, deployer, chain
):
    """SEC-58 (hunt: an accepted parameter that locks a vault): an asset is never removed, and
    every exit reads every asset's balance (`holdings`). `addAsset` accepted any address: a listed
    account without code (a typo) or a contract that is no ERC-20 made every withdrawal and
    in-kind redemption revert `BalanceUnavailable` for good; one of more than 36 decimals broke
    the valuation. They are refused at listing (`BalanceUnavailable`, `AssetNotSupported`)."""
    vault = risk_stack.vault
    shares = vault.balanceOf(fund_investor) // 100
    precise = deployer.deploy(project.DecimalsToken, "Precise", "P37", 37)
    for listed in (outsider.address, risk_stack.router.address, precise.address):
        with isolated(chain):
            try:
                vault.addAsset(listed, sender=governor)
            except ape.exceptions.ContractLogicError:
                pass  # refused at listing
            # Whatever governance tried to list, investors still leave.
            vault.redeemInKind(shares, fund_investor, fund_investor, sender=fund_investor)
            assert vault.maxRedeem(fund_investor) > 0
    with ape.reverts(vault.BalanceUnavailable, token=outsider.address):
        vault.addAsset(outsider, sender=governor)  # no code: no balance returned
    with ape.reverts(vault.BalanceUnavailable, token=risk_stack.router.address):
        vault.addAsset(risk_stack.router, sender=governor)  # code, but no `balanceOf`
    with ape.reverts(vault.AssetNotSupported, asset=precise.address):
        vault.addAsset(precise, sender=governor)


def test_sec_59__asset_listed_before_the_engine_covers_it__cash_exits_still_work(
    risk_stack, governor, fund_investor, executor, project, deployer
):
    """SEC-59 (hunt: an accepted parameter that locks a vault): GOVERNOR's `addAsset` and the
    RiskEngine's `configure` for the longer list are two operations (each scheduled behind the
    timelock); between them every check reverted `HoldingsLengthMismatch`, cash withdrawals
    included. An exit the engine cannot check for want of a configuration now goes through, as
    when halted; trades still need the check (refused until `configure`)."""
    vault, usdc = risk_stack.vault, risk_stack.tokens[USDC]
    extra = deployer.deploy(project.DecimalsToken, "Extra", "XTR", 18)
    vault.addAsset(extra, sender=governor)
    before = usdc.balanceOf(fund_investor)
    vault.withdraw(1_000 * USDC_UNIT, fund_investor, fund_investor, sender=fund_investor)
    assert usdc.balanceOf(fund_investor) - before == 1_000 * USDC_UNIT
    assert vault.maxWithdraw(fund_investor) > 0
    with ape.reverts(risk_stack.engine.HoldingsLengthMismatch):
        vault.trade(swap_params(risk_stack, USDC, QCORP, 1_000 * USDC_UNIT), sender=executor)


def test_fnd_21__portfolio_admin__called_directly__refused_the_vault_untouched(
    risk_stack, project, accounts
):
    """FND-21: the vault's admin module (governance) refuses every call made to it directly
    (`DirectCall`); the vault's settings stay as they were."""
    vault = risk_stack.vault
    module = project.PortfolioAdmin.at(vault.adminModule())
    before = (vault.dealingFeeBps(), tuple(vault.tradeLimits()), tuple(vault.assets()))
    called = every_direct_call_refused(module, project.PortfolioAdmin.contract_type, accounts[0])
    assert {"addAsset", "setVenue", "setDealingFee", "setTradeLimits"} <= called
    assert (vault.dealingFeeBps(), tuple(vault.tradeLimits()), tuple(vault.assets())) == before


def test_fnd_21__a_vault_built_on_no_module_or_another_module__refused(
    risk_stack, accounts, project
):
    """The vault's constructor checks its basket module (`Dispatch._requireModule`): an address
    without code (a DELEGATECALL to it succeeds and does nothing: a basket trade would return a
    loss of 0 unchecked) or a module of another layout (the lending pool's) is refused."""
    s = risk_stack
    vault = s.vault
    module = project.PortfolioBasket.at(vault.basketModule())
    expected = module.moduleId()
    deployer = accounts[0]
    other = deployer.deploy(project.PoolLosses)
    admin = project.PortfolioAdmin.at(vault.adminModule()).moduleId()
    base = (s.tokens[USDC], "Q", "Q", s.engine, s.router, s.registry)
    # The basket module: no code, or another layout's module; then the admin module likewise:
    # no code, or the basket module (another role).
    for modules, wrong, wanted in (
        ((accounts[9].address, vault.adminModule()), accounts[9].address, expected),
        ((other.address, vault.adminModule()), other.address, expected),
        ((vault.basketModule(), accounts[9].address), accounts[9].address, admin),
        ((vault.basketModule(), vault.basketModule()), vault.basketModule(), admin),
    ):
        with ape.reverts(vault.ModuleMismatch, module=wrong, expected=wanted):
            deployer.deploy(project.PortfolioVault, *base, *modules)
