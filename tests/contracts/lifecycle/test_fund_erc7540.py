"""LCY-20: the FundVault's ERC-7540 surface — requests (requestId 0, aggregated per controller),
pending and claimable views, claims through the ERC-4626 calls naming the controller, operators,
ERC-165 ids, previews that revert."""

import ape
import pytest

from fund_fixtures import SHARE_UNIT, USD_UNIT

ZERO = "0x" + "00" * 20


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


@pytest.fixture
def fund(fund_stack):
    return fund_stack


def test_request_deposit__before_cutoff__pending_until_strike_then_claimable(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    before = fund.usdc.balanceOf(alice)
    tx = vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    [log] = tx.decode_logs(vault.DepositRequest)
    assert (log.controller, log.owner, log.requestId, log.sender, log.assets) == (
        alice.address,
        alice.address,
        0,
        alice.address,
        usd(1_000),
    )
    assert tx.return_value == 0
    assert fund.usdc.balanceOf(alice) == before - usd(1_000)
    assert vault.pendingDepositRequest(0, alice) == usd(1_000)
    assert vault.claimableDepositRequest(0, alice) == 0
    assert vault.maxDeposit(alice) == vault.maxMint(alice) == 0

    fund.strike(chain, 1.25)
    assert vault.pendingDepositRequest(0, alice) == 0
    assert vault.claimableDepositRequest(0, alice) == vault.maxDeposit(alice) == usd(1_000)
    assert vault.maxMint(alice) == shares(800)  # $1,000 at $1.25


def test_deposit__full_claim__mints_the_struck_shares_and_emits_controller_then_receiver(
    chain, fund
):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1.25)
    tx = vault.deposit(usd(1_000), alice, sender=alice)
    assert tx.return_value == shares(800)
    [log] = tx.decode_logs(vault.Deposit)
    # ERC-7540: the Deposit event names the controller, then the receiver
    assert (log.sender, log.owner, log.assets, log.shares) == (
        alice.address,
        alice.address,
        usd(1_000),
        shares(800),
    )
    assert fund.share.balanceOf(alice) == shares(800)
    assert vault.maxDeposit(alice) == vault.maxMint(alice) == 0


def test_deposit_and_mint__partial_claims__shares_rounded_down_assets_rounded_up(chain, fund):
    vault, bob = fund.vault, fund.investors["bob"]
    vault.requestDeposit(usd(100), bob, bob, sender=bob)
    fund.strike(chain, 3)  # 100 / 3 shares: 33.333... with 18 decimals
    total = vault.maxMint(bob)
    assert total == usd(100) * SHARE_UNIT // (3 * USD_UNIT)
    part = vault.deposit(usd(10), bob, sender=bob).return_value
    assert part == total * usd(10) // usd(100)  # rounded down
    left_shares, left_assets = vault.maxMint(bob), vault.maxDeposit(bob)
    assert (left_shares, left_assets) == (total - part, usd(90))
    used = vault.mint(shares(1), bob, sender=bob).return_value
    assert used == -(-usd(90) * shares(1) // left_shares)  # rounded up
    rest = vault.maxMint(bob)
    vault.mint(rest, bob, sender=bob)
    assert vault.maxMint(bob) == vault.maxDeposit(bob) == 0
    # the claims add up to the struck total: nothing minted beyond it
    assert fund.share.balanceOf(bob) == total


def test_request_deposit__again_in_the_same_period__adds_to_the_one_request(chain, fund):
    vault, carol = fund.vault, fund.investors["carol"]
    vault.requestDeposit(usd(300), carol, carol, sender=carol)
    vault.requestDeposit(usd(200), carol, carol, sender=carol)
    assert vault.pendingDepositRequest(0, carol) == usd(500)
    assert vault.pendingDepositRequest(7, carol) == usd(500)  # every request is requestId 0


def test_request_redeem__escrows_shares_then_claimable_after_strike(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000), alice, sender=alice)
    tx = vault.requestRedeem(shares(400), alice, alice, sender=alice)
    [log] = tx.decode_logs(vault.RedeemRequest)
    assert (log.controller, log.owner, log.requestId, log.shares) == (
        alice.address,
        alice.address,
        0,
        shares(400),
    )
    assert fund.share.balanceOf(alice) == shares(600)
    assert fund.share.balanceOf(vault) == shares(400)  # escrowed through the engine
    assert vault.pendingRedeemRequest(0, alice) == shares(400)
    assert vault.claimableRedeemRequest(0, alice) == 0

    fund.strike(chain, 1.1)
    assert vault.pendingRedeemRequest(0, alice) == 0
    assert vault.claimableRedeemRequest(0, alice) == vault.maxRedeem(alice) == shares(400)
    assert vault.maxWithdraw(alice) == usd(440)
    assert fund.share.balanceOf(vault) == 0  # burned at the strike
    before = fund.usdc.balanceOf(alice)
    tx = vault.redeem(shares(400), alice, alice, sender=alice)
    assert tx.return_value == usd(440)
    [log] = tx.decode_logs(vault.Withdraw)
    assert (log.sender, log.receiver, log.owner, log.assets, log.shares) == (
        alice.address,
        alice.address,
        alice.address,
        usd(440),
        shares(400),
    )
    assert fund.usdc.balanceOf(alice) == before + usd(440)


def test_withdraw__partial__uses_shares_rounded_up(chain, fund):
    vault, bob = fund.vault, fund.investors["bob"]
    vault.requestDeposit(usd(1_000), bob, bob, sender=bob)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000), bob, sender=bob)
    vault.requestRedeem(shares(300), bob, bob, sender=bob)
    fund.strike(chain, 3)  # $900 for 300 shares
    assert vault.maxWithdraw(bob) == usd(900)
    used = vault.withdraw(usd(100) + 1, bob, bob, sender=bob).return_value
    assert used == -(-shares(300) * (usd(100) + 1) // usd(900))
    assert vault.maxRedeem(bob) == shares(300) - used
    assert vault.maxWithdraw(bob) == usd(800) - 1


def test_operator__approved__requests_and_claims_for_the_controller(chain, fund):
    vault, alice, bob = fund.vault, fund.investors["alice"], fund.investors["bob"]
    tx = vault.setOperator(bob, True, sender=alice)
    [log] = tx.decode_logs(vault.OperatorSet)
    assert (log.controller, log.operator, log.approved) == (alice.address, bob.address, True)
    assert vault.isOperator(alice, bob)
    # bob spends alice's assets (she approved the vault) into a request she controls
    vault.requestDeposit(usd(500), alice, alice, sender=bob)
    fund.strike(chain, 1)
    # and claims her shares to her
    vault.deposit(usd(500), alice, alice, sender=bob)
    assert fund.share.balanceOf(alice) == shares(500)
    vault.requestRedeem(shares(200), alice, alice, sender=bob)
    fund.strike(chain, 1)
    vault.redeem(shares(200), alice, alice, sender=bob)
    assert vault.maxRedeem(alice) == 0

    vault.setOperator(bob, False, sender=alice)
    with ape.reverts(vault.NotOwnerOrOperator, sender=bob.address, owner=alice.address):
        vault.requestDeposit(usd(500), alice, alice, sender=bob)


def test_claims__by_neither_controller_nor_operator__revert(chain, fund):
    vault, alice, carol = fund.vault, fund.investors["alice"], fund.investors["carol"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    fund.strike(chain, 1)
    with ape.reverts(vault.NotControllerOrOperator, sender=carol.address, controller=alice.address):
        vault.deposit(usd(100), carol, alice, sender=carol)
    with ape.reverts(vault.NotControllerOrOperator, sender=carol.address, controller=alice.address):
        vault.mint(1, carol, alice, sender=carol)
    with ape.reverts(vault.NotControllerOrOperator, sender=carol.address, controller=alice.address):
        vault.redeem(0, carol, alice, sender=carol)
    with ape.reverts(vault.NotControllerOrOperator, sender=carol.address, controller=alice.address):
        vault.withdraw(0, carol, alice, sender=carol)
    with ape.reverts(vault.NotControllerOrOperator, sender=carol.address, controller=alice.address):
        vault.cancelDepositRequest(alice, carol, sender=carol)


def test_request_redeem__erc20_allowance_without_operator__reverts(chain, fund):
    vault, alice, carol = fund.vault, fund.investors["alice"], fund.investors["carol"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(100), alice, sender=alice)
    fund.share.approve(carol, shares(100), sender=alice)
    # An ERC-3643 token gives no way to spend carol's allowance through the vault: operator only.
    with ape.reverts(vault.NotOwnerOrOperator, sender=carol.address, owner=alice.address):
        vault.requestRedeem(shares(50), carol, alice, sender=carol)


def test_claim__more_than_claimable__reverts_with_both_amounts(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(100), alice, alice, sender=alice)
    fund.strike(chain, 1)
    with ape.reverts(
        vault.ExceedsClaimable, controller=alice.address, requested=usd(100) + 1, claimable=usd(100)
    ):
        vault.deposit(usd(100) + 1, alice, sender=alice)


def test_set_operator__self__reverts(fund):
    alice = fund.investors["alice"]
    with ape.reverts(fund.vault.SelfOperator, controller=alice.address):
        fund.vault.setOperator(alice, True, sender=alice)


def test_previews__asynchronous_flows__revert(fund):
    for preview in ("previewDeposit", "previewMint", "previewWithdraw", "previewRedeem"):
        with ape.reverts(fund.vault.AsyncFlow):
            getattr(fund.vault, preview)(1)


def test_supports_interface__erc7540_erc7575_erc165__true_others_false(fund):
    # operator, async deposit, async redemption, ERC-7575 vault, ERC-165 (ids of the EIPs)
    for interface_id in ("0xe3bc4e65", "0xce3bbe50", "0x620ee8e4", "0x2f0a18c5", "0x01ffc9a7"):
        assert fund.vault.supportsInterface(interface_id)
    assert not fund.vault.supportsInterface("0xffffffff")
    assert not fund.vault.supportsInterface("0x36372b07")  # ERC-20: the share is external


def test_erc7575__share_and_asset__are_the_security_token_and_the_stablecoin(chain, fund):
    vault = fund.vault
    assert vault.share() == fund.share.address
    assert vault.asset() == fund.usdc.address
    assert vault.convertToShares(usd(1)) == 0  # before any strike
    alice = fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 2)
    assert vault.convertToShares(usd(10)) == shares(5)
    assert vault.convertToAssets(shares(5)) == usd(10)
    vault.deposit(usd(1_000), alice, sender=alice)
    assert vault.totalAssets() == usd(1_000)
