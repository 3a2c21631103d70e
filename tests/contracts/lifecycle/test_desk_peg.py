"""Every deposit path of a FundVault checks its asset's peg (security finding SEC-120). A FundDesk
refused deposits in a settlement asset off its peg, but the asset's own vault still took it at par:
instantly (`instantDeposit`) and by a request made on the vault itself (`requestDeposit`, the
desk bypassed) struck at par. The depegged coin came in at $1.00 and went out through the desk as a
sound one (main: $500,000 of DUSD at $0.80 bought $500,000 of DTOK instantly, +$100,000; $4M
requested on the vault, +$800,000). The vault now asks its NAV source (`assetAtPar`: the desk's
SettlementAssets) on every request and instant subscription, and its strike refuses the period's
deposits when the asset has left its peg since they were requested (`DepositsRefusedOffPeg`, the
requests refunded on cancellation). SEC-139: an unpriced asset at the strike (the router's 0) is
refused likewise, never struck at par."""

from desk_fixtures import TOK_BIT
from fast_reverts import attempt
from fund_fixtures import SHARE_UNIT, USD_UNIT


def usd(amount):
    return int(amount * USD_UNIT)


def strike_with(desk, chain, dusd_price):
    """The desk's strike at NAV $1.00 with DUSD reported at `dusd_price` (the others at $1.00)."""
    chain.pending_timestamp = max(chain.pending_timestamp, desk.cutoff())
    desk.report(desk.share_feed, 1.0)
    for label, feed in desk.coin_feeds.items():
        desk.report(feed, dusd_price if label == "DUSD" else 1.0)
    return desk.desk.strike(sender=desk.nav_agent)


def seed(chain, desk, dusd_usd, dtok_usd):
    """Alice holds $`dusd_usd` subscribed in DUSD, bob $`dtok_usd` in DTOK, struck at $1.00."""
    alice, bob = desk.investors["alice"], desk.investors["bob"]
    desk.desk.requestDeposit(desk.coins["DUSD"], usd(dusd_usd), alice, sender=alice)
    desk.desk.requestDeposit(desk.coins["DTOK"], usd(dtok_usd), bob, sender=bob)
    strike_with(desk, chain, 1.0)
    desk.vaults["DUSD"].deposit(usd(dusd_usd), alice, sender=alice)
    desk.vaults["DTOK"].deposit(usd(dtok_usd), bob, sender=bob)


def test_sec_120__depegged_coin_in_instantly_on_its_vault__refused(chain, desk_stack):
    """The red team's instant round trip: DUSD at $0.80 (threshold 1%), refused by the desk, was
    sold $500,000 of shares at par by its own vault and redeemed through the desk in DTOK."""
    desk = desk_stack
    attacker = desk.investors["carol"]
    seed(chain, desk, 1_000_000, 1_000_000)
    desk.report(desk.feeds["DUSD"], 0.80)
    assert desk.assets.isDepegged(desk.coins["DUSD"])
    dtok_before = desk.coins["DTOK"].balanceOf(attacker)
    vault = desk.vaults["DUSD"]
    refused = attempt(chain, vault.instantDeposit, usd(500_000), attacker, sender=attacker)
    if refused is None:
        minted = desk.share.balanceOf(attacker)
        desk.desk.instantRedeem(minted, attacker, TOK_BIT, sender=attacker)
    got = desk.coins["DTOK"].balanceOf(attacker) - dtok_before
    assert got == 0, f"500,000 DUSD worth $400,000 came out as {got / USD_UNIT:,.2f} DTOK"
    assert refused == (
        "AssetDepegged",
        {"asset": desk.coins["DUSD"].address, "price18": 8 * 10**17, "deviationBps": 2_000},
    )


def test_sec_120__depegged_coin_requested_on_the_vault__refused_and_never_struck_at_par(
    chain, desk_stack
):
    """The asynchronous path: $4M of DUSD at $0.80 requested on the DUSD vault itself (the desk
    bypassed) was struck at par and redeemed through the desk in DTOK (main: +$800,000). The
    request is refused; and a request made while DUSD was at par is not struck once it is off its
    peg at the strike: the period's deposits are refused, refunded on cancellation."""
    desk = desk_stack
    bob, attacker = desk.investors["bob"], desk.investors["carol"]
    seed(chain, desk, 1_000_000, 5_000_000)
    dusd_vault, dtok = desk.vaults["DUSD"], desk.coins["DTOK"]
    desk.report(desk.feeds["DUSD"], 0.80)
    refused = attempt(
        chain, dusd_vault.requestDeposit, usd(4_000_000), attacker, attacker, sender=attacker
    )
    if refused is None:
        strike_with(desk, chain, 0.80)
        dusd_vault.deposit(usd(4_000_000), attacker, sender=attacker)
        minted = desk.share.balanceOf(attacker)
        desk.desk.requestRedeem(minted, attacker, TOK_BIT, sender=attacker)
        strike_with(desk, chain, 0.80)
        before = dtok.balanceOf(attacker)
        desk.vaults["DTOK"].redeem(minted, attacker, attacker, sender=attacker)
        got = dtok.balanceOf(attacker) - before
        assert got == 0, f"4,000,000 DUSD worth $3.2M redeemed for {got / USD_UNIT:,.2f} DTOK"
    assert refused == (
        "AssetDepegged",
        {"asset": desk.coins["DUSD"].address, "price18": 8 * 10**17, "deviationBps": 2_000},
    )

    # Requested at par, off its peg at the strike: refused, refunded; bob's redemption unaffected.
    desk.report(desk.feeds["DUSD"], 1.0)
    dusd_vault.requestDeposit(usd(1_000_000), attacker, attacker, sender=attacker)
    tx = strike_with(desk, chain, 0.80)
    [off_peg] = tx.decode_logs(dusd_vault.DepositsRefusedOffPeg)
    assert (off_peg.asset, off_peg.price18) == (desk.coins["DUSD"].address, 8 * 10**17)
    assert dusd_vault.maxMint(attacker) == 0
    before = desk.coins["DUSD"].balanceOf(attacker)
    dusd_vault.cancelDepositRequest(attacker, attacker, sender=attacker)
    assert desk.coins["DUSD"].balanceOf(attacker) - before == usd(1_000_000)
    assert desk.share.balanceOf(attacker) == 0
    assert desk.share.balanceOf(bob) == 5_000_000 * SHARE_UNIT


def test_sec_139__asset_unpriced_at_the_strike__deposits_refused_not_struck_at_par(
    chain, desk_stack
):
    """The strike took an unpriced asset (the router's 0: Deviation, OutOfBounds in a fast depeg)
    as at par (main: $1M of DUSD requested at par, its feed answering out of the router's bounds
    at the strike, was struck at $1.00 for 1,000,000 shares). Only an asset the NAV source takes
    at par is struck; otherwise the period's deposits are refused, refunded on cancellation."""
    desk = desk_stack
    attacker = desk.investors["carol"]
    seed(chain, desk, 1_000_000, 5_000_000)
    dusd_vault = desk.vaults["DUSD"]
    dusd_vault.requestDeposit(usd(1_000_000), attacker, attacker, sender=attacker)
    chain.pending_timestamp = max(chain.pending_timestamp, desk.cutoff())
    desk.report(desk.share_feed, 1.0)
    for label, feed in desk.coin_feeds.items():
        if label == "DUSD":  # above the router's bounds (10^30): unpriced, `OutOfBounds`
            feed.report(10**31, sender=desk.reporter)
        else:
            desk.report(feed, 1.0)
    desk.desk.strike(sender=desk.nav_agent)
    minted = dusd_vault.maxMint(attacker)
    assert minted == 0, f"struck at par while unpriced: {minted / SHARE_UNIT:,.0f} shares claimable"
    before = desk.coins["DUSD"].balanceOf(attacker)
    dusd_vault.cancelDepositRequest(attacker, attacker, sender=attacker)
    assert desk.coins["DUSD"].balanceOf(attacker) - before == usd(1_000_000)
