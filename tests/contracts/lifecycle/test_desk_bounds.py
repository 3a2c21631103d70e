"""A FundDesk deals only in pegged settlement assets (security finding SEC-34): each vault converts
the NAV into its asset one for one, and the desk's peg guard never fires for an asset without a
peg (`Crypto`), so a crypto vault dealt at par (main: 100 DETH, $300,000, bought 100 one-dollar
shares, and 100 shares, $100, redeemed for 100 DETH). `addVault` refuses an unpegged asset, and an
asset re-listed without a peg after its vault was added takes no deposit and no routed
redemption."""

import pytest

from desk_fixtures import ALL, DESK_INSTRUMENT_ID
from fast_reverts import attempt
from fund_fixtures import DAY, SHARE_UNIT, USD_UNIT, identity_for
from keepers.access import renounce_temporary_roles
from keepers.core.deployments import DeploymentError
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    SettlementAssetType,
    deploy_fund_vault,
    desk_vault_name,
    list_settlement_assets,
)
from keepers.risk import deploy_feeds, feed_config, set_feeds

CRYPTO = int(SettlementAssetType.CRYPTO)
UNIT18 = 10**18
ETH_USD = 3_000


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


@pytest.fixture
def funded(chain, desk_stack):
    """Alice subscribed $1,000,000 in DUSD through the desk, struck at $1.00 and claimed."""
    desk, alice = desk_stack, desk_stack.investors["alice"]
    desk.desk.requestDeposit(desk.coins["DUSD"], usd(1_000_000), alice, sender=alice)
    desk.strike(chain)
    desk.vaults["DUSD"].deposit(usd(1_000_000), alice, sender=alice)
    return desk


def test_sec_34__crypto_vault__refused_so_shares_never_redeem_for_it_at_par(chain, project, funded):
    desk = funded
    alice, bob = desk.investors["alice"], desk.investors["bob"]
    d = desk.deployment.scoped(
        "QuanteraAccessManager",
        "UpgradeAuthority",
        "IdentityRegistry",
        "OracleRouter",
        "FeeSchedule",
    )
    deth = d.sender.deploy(project.DecimalsToken, "Desk Ether (18 decimals)", "DETH", 18)
    feeds = deploy_feeds(d, {"DETH": ETH_USD * 10**FEED_DECIMALS})
    set_feeds(
        d,
        d.at("OracleRouter"),
        {"DETH": (deth.address, feed_config(feeds["DETH"].address))},
    )
    config = (SettlementAssetType.CRYPTO, 125_000, 0, 0)  # the most preferred rank
    list_settlement_assets(d, desk.assets, {"DETH": (deth.address, config)})
    vault = deploy_fund_vault(
        d,
        desk.share,
        deth,
        desk.desk,
        DESK_INSTRUMENT_ID,
        identity=identity_for("vault.DETH"),
        name=desk_vault_name("FundDesk", "DETH"),
        first_cutoff=desk.cutoff(),
        dealing_interval=DAY,
    )
    renounce_temporary_roles(d)
    refused = attempt(chain, desk.desk.addVault, vault, sender=desk.governor)
    if refused is None:
        # main: the vault is added; bob seeds it with 100 DETH, alice redeems 100 shares into it
        deth_bit = 1 << 3
        deth.mint(bob, 100 * UNIT18, sender=bob)
        deth.approve(vault, 2**256 - 1, sender=bob)
        vault.setOperator(desk.desk, True, sender=bob)
        desk.desk.requestDeposit(deth, 100 * UNIT18, bob, sender=bob)
        desk.report(feeds["DETH"], ETH_USD)
        desk.strike(chain)
        vault.deposit(100 * UNIT18, bob, sender=bob)
        desk.share.approve(vault, 2**256 - 1, sender=alice)
        vault.setOperator(desk.desk, True, sender=alice)
        desk.desk.requestRedeem(shares(100), alice, deth_bit | ALL, sender=alice)
        desk.report(feeds["DETH"], ETH_USD)
        desk.strike(chain)
        vault.redeem(vault.maxRedeem(alice), alice, alice, sender=alice)
        paid_usd = deth.balanceOf(alice) * ETH_USD // UNIT18
        assert paid_usd <= 100, f"100 shares ($100) redeemed for ${paid_usd:,} of DETH at par"
    assert refused == (
        "UnpeggedAsset",
        {"asset": deth.address, "assetType": CRYPTO},
    )


def test_sec_34__asset_relisted_without_a_peg__no_deposit_and_no_routed_redemption(chain, funded):
    """GOVERNOR re-lists the DUSD vault's asset as `Crypto` after the vault was added: the desk
    refuses deposits in it and routes no redemption to it (no other vault has the cash: none)."""
    desk = funded
    alice, bob = desk.investors["alice"], desk.investors["bob"]
    coin = desk.coins["DUSD"]
    desk.assets.listAsset(coin, (SettlementAssetType.CRYPTO, 125_000, 3, 0), sender=desk.governor)
    refused = attempt(chain, desk.desk.requestDeposit, coin, usd(1_000), bob, sender=bob)
    assert refused == ("UnpeggedAsset", {"asset": coin.address, "assetType": CRYPTO})
    assert desk.desk.payoutVault(shares(1_000), ALL) == ("0x" + "00" * 20,) * 2
    refused = attempt(chain, desk.desk.requestRedeem, shares(1_000), alice, ALL, sender=alice)
    assert refused == ("NoPayoutAsset", {"acceptedMask": ALL, "shares": shares(1_000)})


def test_sec_34__standalone_vault_in_a_crypto_asset__refused_by_the_deploy_routine(lifecycle):
    """A vault whose NAV source is the registry has no desk to refuse its asset on chain: the deploy
    routine (`deploy_fund_vault`) refuses an asset SettlementAssets lists as `Crypto`."""
    d = lifecycle.d.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "InstrumentRegistry"
    )
    with pytest.raises(DeploymentError, match="without a peg"):
        deploy_fund_vault(
            d,
            lifecycle.shares["QMMF"],
            lifecycle.tokens["QETH"],
            lifecycle.registry,
            1,
            identity=identity_for("vault.QETH"),
            name="FundVault.QETH",
        )
    assert not d.has("FundVault.QETH")
