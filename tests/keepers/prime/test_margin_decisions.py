"""The margin keeper's decisions and the top-up amount, without a chain (keepers/prime/margin.py,
keepers/prime/model.py): PRM-30 to PRM-32."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.prime import model
from keepers.prime.margin import (
    MAX_LIQUIDATIONS_PER_BLOCK,
    Health,
    Mark,
    Tier,
    choose_liquidation,
    collateral_order,
    needs_margin_call,
    plan_cycle,
)

TIER = Tier(15_000, 12_500, 11_000, 5_000, 500, 86_400)
USD = 10**18
USDC, QSPX, QTB, QCORP = ("0x" + c * 40 for c in "1234")


def mark(account: str, ratio_bps: int, called_at: int = 0, liquidatable: bool = False) -> Mark:
    debt = 100_000 * USD
    adjusted = debt * ratio_bps // 10_000
    health = Health(0, adjusted, debt, debt, ratio_bps, called_at, 0, liquidatable)
    return Mark(account, health, TIER, 0)


def test_prm_30__plan__calls_below_maintenance__liquidates_lowest_ratio_first__bounded():
    """PRM-30."""
    marks = [
        mark("0xa", 13_000),  # healthy: above maintenance
        mark("0xb", 12_000),  # below maintenance: called
        mark("0xc", 12_100, called_at=1),  # called already
        *(mark(f"0xd{i}", 10_500 - i * 100, liquidatable=True) for i in range(5)),
    ]
    plan = plan_cycle(marks)
    # The five liquidatable ones and 0xb are below maintenance without a call, lowest first.
    assert plan.margin_calls == ["0xd4", "0xd3", "0xd2", "0xd1", "0xd0", "0xb"]
    assert plan.liquidations == ["0xd4", "0xd3", "0xd2"][:MAX_LIQUIDATIONS_PER_BLOCK]
    assert plan.deferred_liquidations == 5 - MAX_LIQUIDATIONS_PER_BLOCK
    # One in flight is left alone until it is settled; the next one moves up.
    busy = plan_cycle(marks, busy={"0xd4"})
    assert busy.liquidations[0] == "0xd3" and "0xd4" not in busy.liquidations
    # Bounds: calls too.
    small = plan_cycle(marks, max_liquidations=1, max_calls=2)
    assert (small.margin_calls, small.liquidations) == (["0xd4", "0xd3"], ["0xd4"])
    assert small.deferred_calls == 4
    with pytest.raises(ValueError):
        plan_cycle(marks, max_liquidations=0)
    # No debt: nothing to call or liquidate, whatever the flag says.
    free = Mark("0xe", Health(1, 1, 0, 0, model.NO_DEBT_RATIO, 0, 0, False), TIER, 0)
    assert not needs_margin_call(free) and plan_cycle([free]).margin_calls == []


def test_prm_31__liquidation__largest_debt__largest_collateral__close_factor_and_bonus():
    """PRM-31: the terms are the contract's quote (model.quote), the repayment the close factor's
    maximum of the largest debt; the collateral the largest holding, the lower haircut first on a
    tie."""
    holdings = {
        USDC: model.Holding(0, 60_000 * 10**6, USD, 6, 0),
        QSPX: model.Holding(2_000 * USD, 100 * USD, 34 * USD, 18, 10_000),  # 68,000; owes 3,400
        QTB: model.Holding(300 * USD, 0, 100 * USD, 18, 2_000),  # 30,000
        QCORP: model.Holding(375 * USD, 0, 80 * USD, 18, 10_000),  # 30,000, higher haircut
    }
    assert collateral_order(holdings) == [QSPX, QTB, QCORP]
    figures = model.figures(holdings.values())
    ratio = figures.ratio_bps
    chosen = choose_liquidation(holdings, ratio, TIER)
    assert (chosen.debt_asset, chosen.collateral_asset) == (USDC, QSPX)
    assert chosen.repay == 30_000 * 10**6  # 50% of 60,000
    expected = model.quote(chosen.repay, holdings[USDC], holdings[QSPX], ratio, TIER.bonus_bps)
    assert (chosen.repaid, chosen.seized, chosen.bonus_bps) == (
        expected.repaid,
        expected.seized,
        expected.bonus_bps,
    )
    # The seized value is the repayment plus the bonus at oracle prices (rounded down, to the wei).
    usd = 30_000 * USD * (10_000 + chosen.bonus_bps) // 10_000
    assert 0 <= usd - model.value_down(chosen.seized, 34 * USD, 18) <= 34
    # Only what the keeper may seize (e.g. hold, or sell) is chosen from.
    assert choose_liquidation(holdings, ratio, TIER, seizable=[QTB]).collateral_asset == QTB
    assert choose_liquidation(holdings, ratio, TIER, seizable=[]) is None
    # Below 100% the whole debt may be repaid; the collateral caps what is repaid.
    poor = {
        USDC: model.Holding(0, 60_000 * 10**6, USD, 6, 0),
        QSPX: model.Holding(1_000 * USD, 0, 20 * USD, 18, 10_000),
    }
    ratio = model.figures(poor.values()).ratio_bps
    assert ratio < 10_000
    chosen = choose_liquidation(poor, ratio, TIER)
    assert chosen.repay == 60_000 * 10**6
    assert chosen.seized == 1_000 * USD and chosen.repaid < chosen.repay


@settings(max_examples=60, deadline=None)
@given(
    debt_usd=st.integers(1_000, 10**9),
    ratio_pct=st.integers(50, 149),
    price_cents=st.integers(1, 10**7),
    decimals=st.sampled_from([6, 8, 18]),
    risk_weight=st.sampled_from([0, 2_000, 5_000, 10_000, 12_000]),
    held=st.integers(0, 10**6),
)
def test_prm_32__top_up__smallest_amount_that_reaches_initial_margin(
    debt_usd, ratio_pct, price_cents, decimals, risk_weight, held
):
    """PRM-32: the top-up of an asset is the smallest deposit (to the unit, with the contract's
    rounding) that brings the ratio to initial margin."""
    price18 = price_cents * 10**16
    debt = model.Holding(0, debt_usd * 10**6, USD, 6, 0)
    asset = model.Holding(held * 10**decimals // 100, 0, price18, decimals, risk_weight)
    others = model.Holding(1, 0, debt_usd * ratio_pct * USD // 100, 0, 0)  # the rest of the book
    before = model.figures([debt, asset, others])
    units = model.top_up_units(
        before.adjusted_collateral_usd, before.adjusted_debt_usd, 15_000, asset
    )
    if before.ratio_bps >= 15_000:
        assert units == 0
        return
    assert units is not None and units > 0

    def ratio_with(extra: int) -> int:
        topped = model.Holding(asset.balance + extra, 0, price18, decimals, risk_weight)
        return model.figures([debt, topped, others]).ratio_bps

    assert ratio_with(units) >= 15_000 > ratio_with(units - 1)


def test_prm_32__top_up__an_asset_with_a_full_haircut_cannot_top_up():
    """PRM-32."""
    asset = model.Holding(0, 0, USD, 18, 125_000)
    assert model.top_up_units(100 * USD, 100 * USD, 15_000, asset) is None
    assert model.top_up_units(200 * USD, 100 * USD, 15_000, asset) == 0


def test_sec_23__choose_liquidation__dust_or_no_collateral__a_write_off_that_repays_nothing():
    """SEC-23: collateral worth less than one unit of the debt (with the bonus) cannot be seized
    (its repayment rounds to 0): the keeper proposes the liquidation that writes the debt off
    (repaid and seized 0), as the broker accepts it; none at all, the same with the debt asset
    named; a liquidation leaving only dust behind is flagged a write-off too."""
    dust = {
        USDC: model.Holding(0, 600 * 10**6, USD, 6, 0),
        QSPX: model.Holding(20 * USD, 0, 10**10, 18, 10_000),  # 20 QSPX at 1e-8 USD: 2e-7 USD
    }
    ratio = model.figures(dust.values()).ratio_bps
    chosen = choose_liquidation(dust, ratio, TIER)
    assert (chosen.repaid, chosen.seized, chosen.write_off) == (0, 0, True)
    assert chosen.collateral_asset == QSPX and chosen.repay == 600 * 10**6
    bare = {USDC: model.Holding(0, 600 * 10**6, USD, 6, 0)}
    none = choose_liquidation(bare, 0, TIER)
    assert (none.collateral_asset, none.repaid, none.write_off) == (USDC, 0, True)
    # The red team's book: 2,000 QSPX at 19.5 and 1 unit of QTB against 60,000 USDC.
    book = {
        USDC: model.Holding(0, 60_000 * 10**6, USD, 6, 0),
        QSPX: model.Holding(2_000 * USD, 0, 195 * USD // 10, 18, 10_000),
        QTB: model.Holding(1, 0, 100 * USD, 18, 2_000),
    }
    chosen = choose_liquidation(book, model.figures(book.values()).ratio_bps, TIER)
    assert (chosen.collateral_asset, chosen.seized, chosen.repaid) == (
        QSPX,
        2_000 * USD,
        39_000 * 10**6,
    )
    assert chosen.write_off
    # A healthy remainder is not written off.
    book[QTB] = model.Holding(10 * USD, 0, 100 * USD, 18, 2_000)
    assert not choose_liquidation(book, model.figures(book.values()).ratio_bps, TIER).write_off


def test_sec_24__plan__confirms_open_calls_half_a_heartbeat_on__clears_recovered_ones():
    """SEC-24: the broker lets a call lapse unless it is seen below maintenance again within its
    heartbeat (min(grace, MARGIN_CALL_HEARTBEAT)); the keeper confirms each open call of an
    account still below maintenance from half a heartbeat after it was last seen, clears each
    open call of an account back at maintenance, and does not confirm one it liquidates."""
    from keepers.prime.margin import (
        MARGIN_CALL_HEARTBEAT,
        heartbeat,
        needs_clearing,
        needs_confirmation,
    )

    def called(account, ratio, seen, liquidatable=False, tier=TIER):
        debt = 100_000 * USD
        health = Health(0, debt * ratio // 10_000, debt, debt, ratio, 1, 2, liquidatable, seen)
        return Mark(account, health, tier, 0)

    assert heartbeat(TIER) == MARGIN_CALL_HEARTBEAT == 86_400
    short = Tier(15_000, 12_500, 11_000, 5_000, 500, 3_600)
    assert heartbeat(short) == 3_600
    now = 1_000_000
    marks = [
        called("0xa", 12_000, now - 43_200),  # half a day unseen: confirmed
        called("0xb", 12_000, now - 43_199),  # not yet
        called("0xc", 13_000, now - 10),  # back at maintenance: cleared
        called("0xd", 10_500, now - 50_000, liquidatable=True),  # liquidated, not confirmed
        called("0xe", 12_400, now - 1_800, tier=short),  # half an hour of a one-hour heartbeat
    ]
    plan = plan_cycle(marks, now=now)
    assert plan.confirmations == ["0xa", "0xe"]  # lowest ratio first
    assert plan.clears == ["0xc"] and plan.liquidations == ["0xd"]
    assert plan.margin_calls == []
    assert needs_confirmation(marks[0], now) and not needs_confirmation(marks[1], now)
    assert needs_clearing(marks[2]) and not needs_clearing(marks[0])
    # No call open (none, or one that lapsed: health shows 0): a new call, not a confirmation.
    fresh = mark("0xf", 12_000)
    assert needs_margin_call(fresh) and not needs_confirmation(fresh, now)


def test_sec_23__write_off__at_most_one_usd_whatever_the_debts_unit():
    """SEC-23's bound: what a liquidation leaves is dust only below one unit of the debt repaid and
    at most MAX_DUST_USD (one USD): a debt of a costly unit (0 decimals, a million USD a unit)
    writes nothing off beside 999 USD of collateral, and does beside 50 cents."""
    costly = model.Holding(0, 3, 10**6 * USD, 0, 0)
    for worth_usd_cents, written_off in ((99_900, False), (50, True)):
        collateral = model.Holding(worth_usd_cents * USD // 100, 0, USD, 18, 0)
        quote = model.quote(3, costly, collateral, 5_000, 500)
        assert (quote.repaid, quote.seized, quote.write_off) == (0, 0, written_off)
    assert model.MAX_DUST_USD == 10**18


def test_sec_166__write_off__not_proposed_beside_an_unpriced_holding__a_claim_stops_none():
    """SEC-166, the keeper's mirror of SEC-162: the red team's A1 book (1 wei of QSPX beside 1,000
    QCORP whose feed is stale, read at price 0) got the write-off the broker refuses; the keeper
    says why, in one line (`write_off_blocker`). An account whose only collateral is a matured
    note's claim (counted by the broker's health beyond the holdings) was not written off while the
    claim was worth more than dust (SEC-160); since SEC-191 the claim stops no write-off (the broker
    assigns the debt to it), and the keeper proposes it."""
    from keepers.prime.margin import write_off_blocker

    a1 = {
        USDC: model.Holding(0, 49_000 * 10**6, USD, 6, 0),
        QSPX: model.Holding(1, 0, 50 * USD, 18, 10_000),
        QCORP: model.Holding(1_000 * USD, 0, 0, 18, 10_000),  # no usable price: 0
    }
    ratio = model.figures(a1.values()).ratio_bps
    assert choose_liquidation(a1, ratio, TIER) is None
    reason = write_off_blocker(a1)
    assert reason == f"no write-off: {QCORP} is held without a usable price (SEC-162)"
    # The same book with the feed back: QCORP seized, nothing written off.
    priced = dict(a1, **{QCORP: model.Holding(1_000 * USD, 0, 50 * USD, 18, 10_000)})
    chosen = choose_liquidation(priced, model.figures(priced.values()).ratio_bps, TIER)
    assert chosen.collateral_asset == QCORP and not chosen.write_off
    # No balance left beside a claim of ~23,940 USD (69.8%): written off, whatever the claim.
    bare = {USDC: model.Holding(0, 33_750 * 10**6, USD, 6, 0)}
    written_off = choose_liquidation(bare, 6_980, TIER)
    assert (written_off.debt_asset, written_off.repaid, written_off.write_off) == (USDC, 0, True)
    assert write_off_blocker(bare) is None


def test_sec_196__assigned_debt__recovered_first_in_full_whatever_the_ratio__never_written_off():
    """The keeper's mirror of SEC-190: a debt the broker wrote off beside a matured note's claim
    and assigned to it (`Holding.assigned`, part of `debt`) is chosen before any other, repaid in
    full whatever the ratio (the account at 177%: the claim's redemption credited as cash), and
    never proposed as a write-off: with nothing to seize it waits for the claim (None), and a debt
    owed to a pool beside it is the one a write-off names."""
    assigned, lusdc = 33_750 * 10**6, "0x" + "5" * 40  # the note's payment asset
    book = {
        USDC: model.Holding(0, assigned, USD, 6, 0, assigned),
        lusdc: model.Holding(59_842 * 10**6, 0, USD, 6, 0),  # the redemption, credited
        QSPX: model.Holding(0, 100 * USD, 50 * USD, 18, 10_000),  # 5,000 USD owed to its pool
    }
    ratio = model.figures(book.values()).ratio_bps
    assert ratio > TIER.liquidation_bps
    choice = choose_liquidation(book, ratio, TIER)
    assert (choice.debt_asset, choice.collateral_asset) == (USDC, lusdc)
    assert (choice.repay, choice.repaid, choice.write_off) == (assigned, assigned, False)
    # A pool debt larger than the assigned one still waits for it.
    larger = dict(book, **{QSPX: model.Holding(0, 1_000 * USD, 50 * USD, 18, 10_000)})
    assert choose_liquidation(larger, ratio, TIER).debt_asset == USDC
    # One unit of cash beside it (no bonus at this ratio): that unit recovered, nothing written off.
    dusty = dict(book, **{lusdc: model.Holding(1, 0, USD, 6, 0)})
    one = choose_liquidation(dusty, 0, TIER)
    assert (one.repaid, one.seized, one.write_off) == (1, 1, False)
    # Nothing to seize: the assigned debt waits; the pool's QSPX debt beside it is written off.
    bare = dict(book, **{lusdc: model.Holding(0, 0, USD, 6, 0)})
    written_off = choose_liquidation(bare, 0, TIER)
    assert (written_off.debt_asset, written_off.repaid, written_off.write_off) == (QSPX, 0, True)
    assert choose_liquidation(bare, 0, TIER, debt_asset=USDC) is None
    only = {USDC: model.Holding(0, assigned, USD, 6, 0, assigned)}
    assert choose_liquidation(only, 0, TIER) is None
