"""The FundVault's FundInstant module called directly, not through its vault (FND-21: every
module inherits DelegatedModule). The vault `delegatecall`s it (Dispatch), so the module's code runs
on the vault's storage; its own storage is never written. Slither's uninitialized-state finding on
the FundState variables the module only reads (tools/audit/triage.json) rests on this: called
directly, every entry point reverts `DirectCall` and the vault's books are untouched. The vault's
constructor refuses a module of another fund (its `moduleId` names the share, asset, NAV source,
instrument and fee schedule)."""

import ape

from direct_calls import every_direct_call_refused
from fund_fixtures import SHARE_UNIT, USD_UNIT, admin_of, instant_of


def argument(put, wallet):
    """A value the vault would accept for this input: the wallet, 1,000 shares or $1,000."""
    if put.type == "address":
        return wallet.address
    return 1_000 * (SHARE_UNIT if "share" in (put.name or "") else USD_UNIT)


def test_fund_instant__called_directly__every_entry_reverts_the_vaults_books_untouched(
    chain, project, fund_stack
):
    fund, vault, share = fund_stack, fund_stack.vault, fund_stack.share
    alice = fund.investors["alice"]
    fund.strike(chain, 1)
    vault.setInstantLimit(1_000_000 * USD_UNIT, sender=fund.governor)
    vault.instantDeposit(10_000 * USD_UNIT, alice, sender=alice)
    vault.requestDeposit(5_000 * USD_UNIT, alice, alice, sender=alice)
    vault.requestRedeem(1_000 * SHARE_UNIT, alice, alice, sender=alice)
    module = project.FundInstant.at(instant_of(fund.deployment))
    assert chain.provider.get_code(module.address)  # the module's code is there
    # Even with alice's approvals to the module, nothing of hers is reachable through it.
    share.approve(module, 2**256 - 1, sender=alice)
    fund.usdc.approve(module, 2**256 - 1, sender=alice)
    books = (
        vault.dealing(),
        vault.pendingDepositRequest(0, alice),
        vault.pendingRedeemRequest(0, alice),
        vault.instantLiquidity(),
        share.balanceOf(alice),
        fund.usdc.balanceOf(alice),
        share.totalSupply(),
    )

    called = []
    for method in project.FundInstant.contract_type.mutable_methods:
        args = [argument(put, alice) for put in method.inputs]
        with ape.reverts(module.DirectCall):
            getattr(module, method.name)(*args, sender=alice)
        called.append(method.name)

    assert {"instantDeposit", "instantRedeem", "cancelRedeemRequest"} <= set(called)
    assert (
        vault.dealing(),
        vault.pendingDepositRequest(0, alice),
        vault.pendingRedeemRequest(0, alice),
        vault.instantLiquidity(),
        share.balanceOf(alice),
        fund.usdc.balanceOf(alice),
        share.totalSupply(),
    ) == books
    # Through the vault, the same code on the vault's storage: alice's request is there.
    tx = vault.cancelRedeemRequest(alice, alice, sender=alice)
    assert tx.return_value == 1_000 * SHARE_UNIT


def test_fund_admin__called_directly__every_entry_reverts_the_vaults_settings_untouched(
    project, fund_stack
):
    """FND-21: the FundAdmin module (governance, the cash movements, fee collection) refuses every
    call made to it directly (`DirectCall`), whoever makes it, with whatever arguments; the
    vault's settings stay as they were."""
    fund, vault = fund_stack, fund_stack.vault
    module = project.FundAdmin.at(admin_of(fund.deployment))

    def settings():
        return (
            vault.gateBps(),
            vault.custodian(),
            vault.instantLiquidity(),
            vault.dealingInterval(),
        )

    before = settings()
    called = every_direct_call_refused(module, project.FundAdmin.contract_type, fund.governor)
    assert {"setGate", "setCustodian", "investCash", "returnCash", "collectFees"} <= called
    assert settings() == before


def test_fnd_21__fund_vault__refuses_a_module_of_another_fund(project, fund_stack):
    """The module is passed in (FundVault's init code no longer carries it): a module bound to
    another instrument, or an address that is no module, is refused at construction."""
    fund, vault = fund_stack, fund_stack.vault
    d = fund.deployment
    fees = vault.feeSchedule()
    other = d.sender.deploy(project.FundInstant, fund.share, fund.usdc, fund.nav_source, 18, fees)
    args = (fund.share, fund.usdc, fund.nav_source, 17, fees)
    ours = project.FundInstant.at(instant_of(d)).moduleId()
    assert other.moduleId() != ours
    for wrong in (other.address, fees):  # another fund's module; code without a module id
        with ape.reverts(vault.ModuleMismatch, module=wrong, expected=ours):
            d.sender.deploy(project.FundVault, *args, wrong, admin_of(d))
    # The admin module likewise: the fund's instant module (another layout role) or another
    # fund's admin module is refused.
    admin = project.FundAdmin.at(admin_of(d)).moduleId()
    foreign = d.sender.deploy(project.FundAdmin, fund.share, fund.usdc, fund.nav_source, 18, fees)
    for wrong in (instant_of(d), foreign.address):
        with ape.reverts(vault.ModuleMismatch, module=wrong, expected=admin):
            d.sender.deploy(project.FundVault, *args, instant_of(d), wrong)
