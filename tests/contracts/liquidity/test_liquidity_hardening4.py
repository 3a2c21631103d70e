"""Liquidity hardening, fourth pass (docs/specs.md SEC-170 to SEC-173): an outside attacker's read
of the liquidity domain, round 3 (a donated wei of a vault asset blocking the vault's routes through
it, the NAV desk's stale legs across a run of reports, a vault's rebalance summed into one order
it cannot commit, desk quotes for notes whose balances are fixed). Each test runs the attack on
the deployment the deploy routines build (the `liquidity` and `rebalancing` fixtures) and fails,
naming what went through, where the attack succeeds; then checks the bound or the refusal.
"""

import ape
import pytest
from eth_utils import keccak

from compliance_fixtures import ACCREDITED, FAR_FUTURE, US
from fast_reverts import revert_data
from isolation import isolated
from keepers.liquidity.codec import encode_legs

USDC_UNIT, UNIT = 10**6, 10**18
BPS = 10_000
QSPX_USDC, QSPX_QCORP = "UniswapV2Pair.A.QSPX-USDC", "UniswapV2Pair.A.QSPX-QCORP"


def error_name(contracts, data: bytes) -> str:
    """The custom error `data` encodes, looked up in the ABIs of `contracts`."""
    for contract in contracts:
        for abi in contract.contract_type.errors:
            if keccak(text=abi.selector)[:4] == data[:4]:
                return abi.name
    return data[:4].hex()


def relay_outcome(r, chain, intent, routes, sender):
    """None when the rebalance executes (sent), else the name of the error it reverts with."""
    signers, signatures = r.sign(chain, intent)
    args = (intent.as_tuple(), signers, signatures, routes)
    try:
        data = revert_data(chain, r.rebalancer.rebalance, *args, sender=sender)
    except AssertionError:
        r.rebalancer.rebalance(*args, sender=sender)
        return None
    return error_name([r.vault, r.liq.aggregator, r.rebalancer], data)


def planned(r, intent) -> list[tuple[int, int, int]]:
    """(sellIndex, buyIndex, sellAmount) of each trade the rebalancer plans for `intent`."""
    trades = r.lens.previewRebalance(r.rebalancer, intent.as_tuple()).trades
    return [(int(t.sellIndex), int(t.buyIndex), int(t.sellAmount)) for t in trades]


# ------------------------------------------------------------------ SEC-170


def test_sec_170__wei_of_an_intermediate_vault_asset_donated__rebalance_through_it_executes(
    rebalancing, chain, outsider
):
    """SEC-170 (round 3, L3-2): after an intermediate hop the aggregator sent its whole balance of
    the intermediate back to the payer as dust, a donation included. For a PortfolioVault that
    token is a listed asset, so the vault's exact balance check (`_settle`) reverted
    `UnexpectedBalanceChange`: 1 wei of QSPX sent to the aggregator blocked every vault trade
    routed through QSPX, and the wei stayed (the revert undid its return). A leg now returns only
    what it left of its own intermediate; the donation stays where it was sent."""
    r = rebalancing
    liq = r.liq
    qspx, qcorp = liq.tokens["QSPX"], liq.tokens["QCORP"]
    with isolated(chain):
        # No QSPX bought in this rebalance: a buy of it after the QCORP trade would count the
        # returned wei as bought. Two pools' fees: the strategy's largest slippage (2%).
        intent = r.intent(chain, (5_000, 2_500, 2_500, 0), slippage=200)
        routes = r.routes(intent)
        buy_qcorp = next(k for k, (_, buy, _) in enumerate(planned(r, intent)) if buy == 2)
        # The QCORP buy through QSPX, a vault asset: USDC -> QSPX -> QCORP.
        routes[buy_qcorp] = encode_legs(
            [
                (
                    1,
                    [
                        (liq.venue(QSPX_USDC), qspx.address, b""),
                        (liq.venue(QSPX_QCORP), qcorp.address, b""),
                    ],
                )
            ]
        )
        qspx.transfer(liq.aggregator, 1, sender=liq.trader)  # the griefer's wei
        refused = relay_outcome(r, chain, intent, routes, outsider)
        if refused is not None:
            pytest.fail(
                f"1 wei of QSPX sent to the aggregator: the vault's rebalance through QSPX reverts "
                f"{refused}; the aggregator keeps the wei ({qspx.balanceOf(liq.aggregator)})"
            )
        assert r.vault.holdings()[2] > 0  # the QCORP bought through QSPX
        assert qspx.balanceOf(liq.aggregator) == 1  # the donation: nobody's route returns it


# ------------------------------------------------------------------ SEC-171


def _desk(liquidity):
    return ape.project.NavVenue.at(liquidity.deployment.nav_venue)


def _fair_cash(tokens: int, nav8: int) -> int:
    """USDC (6 decimals) worth `tokens` (18 decimals) at a feed answer of 8 decimals."""
    return tokens * nav8 // 10**8 // 10**12


def test_sec_171__stale_desk_legs_across_reports_within_the_bound__no_profit(
    liquidity, chain, reporter, operator
):
    """SEC-171 (round 3, L3-1): SEC-145's floor, (1 - s)(1 - r) <= 1 - m, covered one round trip
    across one report. A trader who knows each report before it lands deals both legs at a stale
    NAV: buying before a +m report, holding through a second +m, redeeming before a -m report took
    1,136 USDC on 300,000 from the desk (QSPX 20/20 bps, m = 39); one stale leg, unwound at the new
    NAV elsewhere, took the move less one fee. Each fee now covers the move on its own (s >= m,
    r >= m), so no stale leg gains at the next NAV, and no run of them."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    desk = _desk(liq)
    market = desk.marketOf(qspx)
    m = market.maxNavMoveBps
    feed = liq.feeds["QSPX"]
    p0 = feed.latestRoundData()[1]
    with isolated(chain):  # the run: both legs stale
        cash_in = int(desk.remainingCapacity(qspx, True))
        usdc.approve(desk, cash_in, sender=trader)
        q0, u0 = qspx.balanceOf(trader), usdc.balanceOf(trader)
        desk.swap(usdc, qspx, cash_in, 0, trader, sender=trader)  # before the known rise
        bought = qspx.balanceOf(trader) - q0
        p1 = p0 * (BPS + m) // BPS
        feed.report(p1, sender=reporter)
        p2 = p1 * (BPS + m) // BPS
        feed.report(p2, sender=reporter)  # held through it: the trader knew it
        qspx.approve(desk, bought, sender=trader)
        desk.swap(qspx, usdc, bought, 0, trader, sender=trader)  # before the known fall
        feed.report(p2 * (BPS - m) // BPS, sender=reporter)
        profit = usdc.balanceOf(trader) - u0
        if profit > 0:
            pytest.fail(
                f"fees {market.subscribeFeeBps}/{market.redeemFeeBps} bps, bound {m} bps: "
                f"{cash_in / USDC_UNIT:,.0f} USDC in, profit {profit / USDC_UNIT:,.2f} USDC from "
                f"the desk across reports +{m}, +{m}, -{m} bps"
            )
    with isolated(chain):  # one stale subscription, valued at the new NAV (exit elsewhere)
        cash_in = 150_000 * USDC_UNIT
        usdc.approve(desk, cash_in, sender=trader)
        q0 = qspx.balanceOf(trader)
        desk.swap(usdc, qspx, cash_in, 0, trader, sender=trader)
        p1 = p0 * (BPS + m) // BPS
        feed.report(p1, sender=reporter)
        gain = _fair_cash(qspx.balanceOf(trader) - q0, p1) - cash_in
        assert gain <= 0, (
            f"one stale subscription gains {gain / USDC_UNIT:,.2f} USDC at the new NAV"
        )
    with isolated(chain):  # one stale redemption, valued at the new NAV (buy back elsewhere)
        tokens_in = 2_000 * UNIT
        qspx.approve(desk, tokens_in, sender=trader)
        u0 = usdc.balanceOf(trader)
        desk.swap(qspx, usdc, tokens_in, 0, trader, sender=trader)
        p1 = p0 * (BPS - m) // BPS
        feed.report(p1, sender=reporter)
        gain = usdc.balanceOf(trader) - u0 - _fair_cash(tokens_in, p1)
        assert gain <= 0, f"one stale redemption gains {gain / USDC_UNIT:,.2f} USDC at the new NAV"
    # A fee below the bound, either one, is refused at listing (the deployed terms before the fix).
    for terms in ((20, 20, 300_000 * USDC_UNIT, True, 39), (39, 20, 300_000 * USDC_UNIT, True, 39)):
        with ape.reverts(
            desk.FeeBelowNavMove,
            token=qspx.address,
            subscribeFeeBps=terms[0],
            redeemFeeBps=terms[1],
            maxNavMoveBps=39,
        ):
            desk.setMarket(qspx, terms, sender=operator)


# ------------------------------------------------------------------ SEC-172


def test_sec_172__rebalance_buys_each_below_the_threshold__one_batch_executes_a_pair_still_sums(
    rebalancing, chain, outsider, governor
):
    """SEC-172 (round 3, L3-3): SEC-144 keyed the order by caller and token sold, so a vault's
    `tradeBatch` of buys paid in USDC (the rebalancer's trades, each `swapWithCallback`) was one
    order: three buys each below the USDC threshold reverted `CommitmentRequired` together, and a
    vault cannot commit. An order is now what a caller sells of a token for one other token (the
    pair a hop trades): buys of different assets are different orders; what one pair takes in the
    transaction, at any hop, still adds up."""
    r = rebalancing
    liq = r.liq
    usdc, qspx, qcorp = liq.tokens["USDC"], liq.tokens["QSPX"], liq.tokens["QCORP"]
    targets = (4_000, 2_000, 2_000, 2_000)
    with isolated(chain):
        intent = r.intent(chain, targets, slippage=200)  # room for the two pools' fees below
        trades = planned(r, intent)
        assert len(trades) == 3 and all(sell == 0 for sell, _, _ in trades)
        largest = max(amount for _, _, amount in trades)
        threshold = largest + largest // 4  # each trade below it, any two above it
        assert sum(sorted(amount for _, _, amount in trades)[:2]) >= threshold
        liq.aggregator.setTokenPolicy(usdc, (threshold,), sender=governor)
        with isolated(chain):
            # The QCORP buy through QSPX: its first hop sells USDC for QSPX, as the QSPX buy does.
            routes = r.routes(intent)
            buy_qcorp = next(k for k, (_, buy, _) in enumerate(trades) if buy == 2)
            routes[buy_qcorp] = encode_legs(
                [
                    (
                        1,
                        [
                            (liq.venue(QSPX_USDC), qspx.address, b""),
                            (liq.venue(QSPX_QCORP), qcorp.address, b""),
                        ],
                    )
                ]
            )
            assert relay_outcome(r, chain, intent, routes, outsider) == "CommitmentRequired"
        refused = relay_outcome(r, chain, intent, r.routes(intent), outsider)
        if refused is not None:
            pytest.fail(
                f"USDC threshold {threshold / USDC_UNIT:,.0f}: three buys of "
                f"{', '.join(f'{a / USDC_UNIT:,.0f}' for _, _, a in trades)} USDC, each below it, "
                f"revert {refused} in one rebalance"
            )
        assert all(h > 0 for h in r.vault.holdings())


# ------------------------------------------------------------------ SEC-173


def _note_desk(project, bond, lifecycle, operator):
    """A NAV desk in the note's payment asset (NavVenue; an open authority and a fixed NAV of
    $100 stand in for the deployment's), holding 500 of the note's 1,000 shares and 100,000 USDC,
    the note listed at 10/10 bps."""
    issuer = bond.issuer
    authority = project.OpenAuthority.deploy(sender=issuer)
    oracle = project.FixedNavOracle.deploy(100 * 10**18, sender=issuer)
    desk = project.NavVenue.deploy(authority, bond.usdc, oracle, sender=issuer)
    lifecycle.d.at("IdentityRegistry").registerInvestor(
        desk, "0x" + "d7" * 20, US, ACCREDITED, FAR_FUTURE, sender=operator
    )
    bond.token.transfer(desk, 500 * UNIT, sender=bond.holders["alice"])
    bond.usdc.mint(desk, 100_000 * USDC_UNIT, sender=operator)
    desk.setMarket(bond.token, (10, 10, 10**28, True, 10), sender=issuer)
    return desk


def test_sec_173__desk_quote_for_a_note_whose_balances_are_fixed__zero_as_every_fill_reverts(
    project, bond, lifecycle, operator
):
    """SEC-173 (round 3, L3-6): `NavVenue.quote` checked the listing, pause, price, capacity and
    inventory, not whether the note can move: from a record date until the coupon is recorded, and
    for good once redemption starts, it quoted a fill that reverts `BalancesFixed`, and the router
    and the rebalancing keeper planned through it. It now quotes 0 there, as a venue that cannot
    fill."""
    desk = _note_desk(project, bond, lifecycle, operator)
    usdc, note, carol = bond.usdc, bond.token, bond.carol
    cash_in, shares_in = 1_000 * USDC_UNIT, 5 * UNIT
    usdc.mint(carol, 10 * cash_in, sender=operator)
    usdc.approve(desk, 10 * cash_in, sender=carol)
    assert desk.quote(usdc, note, cash_in) > 0
    desk.swap(usdc, note, cash_in, 0, carol, sender=carol)  # balances open: it fills
    bond.servicer.fundCoupons(100_000 * USDC_UNIT, sender=bond.issuer)
    _, end = bond.period(1)
    bond.at(end - bond.terms.coupon.recordDateOffsetDays * 86_400)  # coupon 1's record date
    bond.chain.mine()  # the quotes below are views: they read the mined block's time
    refusal = revert_data(bond.chain, desk.swap, usdc, note, cash_in, 0, carol, sender=carol)
    assert refusal[:4] == keccak(text="BalancesFixed(uint256,uint256)")[:4]
    quoted = (desk.quote(usdc, note, cash_in), desk.quote(note, usdc, shares_in))
    if any(quoted):
        pytest.fail(
            f"record window: the desk quotes {quoted[0] / UNIT:,.4f} shares for "
            f"{cash_in / USDC_UNIT:,.0f} USDC and {quoted[1] / USDC_UNIT:,.2f} USDC for "
            f"{shares_in / UNIT:,.0f} shares; every fill reverts BalancesFixed"
        )
    bond.servicer.recordCoupon(1, sender=bond.issuer)  # balances reopen
    assert desk.quote(usdc, note, cash_in) > 0
    for number in range(2, 5):
        _, end = bond.period(number)
        bond.at(end - bond.terms.coupon.recordDateOffsetDays * 86_400)
        bond.servicer.recordCoupon(number, sender=bond.issuer)
    bond.servicer.fundRedemption(100_000 * USDC_UNIT, sender=bond.issuer)
    bond.at(bond.terms.maturityDate)
    bond.lifecycle.registry.mature(bond.instrument, sender=bond.carol)
    bond.servicer.startRedemption(0, sender=bond.carol)
    assert note.balanceOf(desk) > 0  # the desk holds notes it can no longer sell
    assert desk.quote(usdc, note, cash_in) == desk.quote(note, usdc, shares_in) == 0
