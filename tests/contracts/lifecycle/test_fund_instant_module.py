"""The FundVault's FundInstant module called directly, not through its vault (FundInstant's
`@dev Warning`). The vault `delegatecall`s it, so the module's code runs on the vault's storage; its
own storage is never written through the vault. Slither's uninitialized-state finding on the
FundState variables the module only reads (tools/audit/triage.json) rests on this: called
directly, the module sees no open period, no position, no claim, holds nothing and is no token's
agent, so every entry point reverts and the vault's books are untouched."""

import pytest
from ape.exceptions import VirtualMachineError
from eth_utils import keccak, to_checksum_address

from fund_fixtures import SHARE_UNIT, USD_UNIT


def argument(put, wallet):
    """A value the vault would accept for this input: the wallet, 1,000 shares or $1,000."""
    if put.type == "address":
        return wallet.address
    return 1_000 * (SHARE_UNIT if "share" in (put.name or "") else USD_UNIT)


def module_of(vault) -> str:
    """The module's address: the vault's first CREATE (a contract's nonce starts at 1, EIP-161)."""
    sender = bytes.fromhex(vault.address[2:])
    return to_checksum_address(keccak(bytes([0xD6, 0x94]) + sender + bytes([0x01]))[12:])


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
    module = project.FundInstant.at(module_of(vault))
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
        # A custom error, or a panic (cancelRedeemRequest's period 0 - 1): either way, reverted.
        with pytest.raises(VirtualMachineError):
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
