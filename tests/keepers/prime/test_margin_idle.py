"""The margin keeper against red team round 5 (atk-prime5), no chain: accounts it cannot act on
took every liquidation slot, every block (F3, SEC-197); assigned debt beside a balance of the
debt asset itself (a claim paying in it) was never recovered by the default keeper, and a take
approved the whole assigned debt rather than the repayment (F5, SEC-230)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from unittest import mock

import ape
from ape.exceptions import ContractLogicError

from keepers.prime import model
from keepers.prime.keeper import Head, MarginKeeper
from keepers.prime.margin import (
    IDLE_DEBT_DRIFT_BPS,
    IDLE_RETRY_BLOCKS,
    Health,
    Mark,
    Tier,
    choose_liquidation,
    idle_accounts,
    plan_cycle,
)

TIER = Tier(15_000, 12_500, 11_000, 5_000, 500, 86_400)
USD = 10**18
USDC, NOTE = ("0x" + c * 40 for c in "15")


def _keeper(holdings, take=False):
    keeper = MarginKeeper.__new__(MarginKeeper)
    keeper.take = take
    keeper._idle = {}
    keeper.book = SimpleNamespace(
        holdings=lambda account: holdings,
        # The broker's preview of a write-off of it: refused (its claim covers its carry).
        margin=SimpleNamespace(previewLiquidation=_refused),
    )
    return keeper


def _refused(*args):
    raise ContractLogicError("ZeroAmount()")


def _stuck(i):
    """Written off beside a defaulted note's claim (33,750 USD assigned, the claim's adjusted
    value ~20,110 USD, nothing seizable), read as liquidatable (a broker before SEC-197)."""
    debt, adjusted = 33_750 * USD, 20_110 * USD
    return Mark(
        f"0x5{i}",
        Health(23_940 * USD, adjusted, debt, debt, adjusted * 10_000 // debt, 0, 0, True),
        TIER,
        0,
    )


def test_sec_197__keeper__accounts_it_cannot_act_on__take_no_slot_until_their_health_moves():
    stuck_holdings = {
        USDC: model.Holding(0, 33_750 * 10**6, USD, 6, 0, 33_750 * 10**6),
        NOTE: model.Holding(0, 0, 40 * USD, 18, 2_000),
    }
    keeper = _keeper(stuck_holdings)
    stuck = [_stuck(i) for i in range(3)]
    real = Mark(
        "0xr", Health(105 * USD, 105 * USD, 100 * USD, 100 * USD, 10_500, 0, 0, True), TIER, 0
    )
    # The first block plans the stuck ones (the lowest ratios); the keeper finds nothing to send.
    first = plan_cycle(stuck + [real], idle_accounts(stuck + [real], keeper._idle, 1))
    assert "0xr" not in first.liquidations
    for mark in stuck:
        terms = keeper._terms(mark, Head(1, 1))
        assert isinstance(terms, str)
        keeper._remember(mark, {"action": "none", "reason": terms}, 1)
    # The blocks after: they take no slot, the real one is planned; IDLE_RETRY_BLOCKS after, they
    # are tried again whatever their health (helper-117 M1: a borrower who made the keeper find
    # nothing once, its sale venue's liquidity pulled for a block, is not left for good).
    for block in range(2, 1 + IDLE_RETRY_BLOCKS):
        plan = plan_cycle(stuck + [real], idle_accounts(stuck + [real], keeper._idle, block))
        assert plan.liquidations == ["0xr"]
    retry = idle_accounts(stuck + [real], keeper._idle, 1 + IDLE_RETRY_BLOCKS)
    assert retry == set() and plan_cycle(stuck + [real], retry).liquidations[0] == "0x50"

    # Its debt accrues (a pool's debt moves every block: helper-115 found an account with one
    # never idle again): still no slot, until the debt has grown past IDLE_DEBT_DRIFT_BPS.
    def accrued(mark: Mark, bps: int) -> Mark:
        h = mark.health
        debt = h.debt_usd + h.debt_usd * bps // 10_000
        ratio = h.adjusted_collateral_usd * 10_000 // debt
        grown = replace(h, debt_usd=debt, adjusted_debt_usd=debt, ratio_bps=ratio)
        return Mark(mark.account, grown, TIER, 0)

    seconds_later = [accrued(m, 1) for m in stuck]
    idle = idle_accounts(seconds_later + [real], keeper._idle, 2)
    assert plan_cycle(seconds_later + [real], idle).liquidations == ["0xr"]
    grown = [accrued(stuck[0], IDLE_DEBT_DRIFT_BPS + 1), *stuck[1:]]
    plan = plan_cycle(grown + [real], idle_accounts(grown + [real], keeper._idle, 2))
    assert plan.liquidations[0] == stuck[0].account
    # A ratio crossing 100% (the close factor's line) is a move, however little the debt grew.
    solvent = Mark("0x5s", replace(stuck[0].health, ratio_bps=10_001), TIER, 0)
    keeper._remember(solvent, {"action": "none", "reason": "no sale route"}, 1)
    crossed = Mark("0x5s", replace(solvent.health, ratio_bps=9_999), TIER, 0)
    assert idle_accounts([solvent], keeper._idle, 2) == {"0x5s"}
    assert idle_accounts([crossed], keeper._idle, 2) == set()
    # Its health moves (a price, a balance): planned again.
    h = stuck[0].health
    moved = Mark(
        stuck[0].account,
        replace(h, adjusted_collateral_usd=h.adjusted_collateral_usd // 2, ratio_bps=2_979),
        TIER,
        0,
    )
    plan = plan_cycle(
        [moved, *stuck[1:], real], idle_accounts([moved, *stuck[1:], real], keeper._idle, 2)
    )
    assert plan.liquidations[0] == moved.account
    # A liquidation sent forgets the account.
    keeper._remember(moved, {"action": "liquidated"}, 2)
    assert moved.account.lower() not in keeper._idle


def test_sec_230__claim_pays_in_the_debt_asset__default_keeper_takes_it__approves_the_repayment():
    assigned = 33_750 * 10**6
    holdings = {
        USDC: model.Holding(59_850 * 10**6, assigned, USD, 6, 0, assigned),
        NOTE: model.Holding(0, 0, 100 * USD, 18, 2_000),
    }
    choice = choose_liquidation(holdings, 17_733, TIER)
    assert (choice.debt_asset, choice.collateral_asset) == (USDC, USDC) and choice.repaid > 0
    health = Health(59_850 * USD, 59_850 * USD, 33_750 * USD, 33_750 * USD, 17_733, 0, 0, True)
    terms = _keeper(holdings)._terms(Mark("0xa", health, TIER, 0), Head(1, 1))
    assert not isinstance(terms, str), terms
    taken, method, route = terms
    assert (method, route) == ("take", b"")
    assert (taken.debt_asset, taken.collateral_asset, taken.repaid) == (USDC, USDC, assigned)
    # The take approves and checks what it repays, not the whole assigned debt.
    calls = []

    class Token:
        def balanceOf(self, who):
            return taken.repaid

        def allowance(self, who, spender):
            return 0

        def approve(self, spender, amount, **kw):
            calls.append(amount)

    keeper = _keeper(holdings)
    keeper.signer = SimpleNamespace(address="0x" + "9" * 40)
    keeper.broker = SimpleNamespace(address="0x" + "8" * 40)
    partial = taken.__class__(**{**taken.__dict__, "repaid": taken.repaid // 2})
    with (
        mock.patch("keepers.prime.keeper.next_nonce", lambda s: 0),
        mock.patch.object(
            type(ape.project), "SecurityToken", SimpleNamespace(at=lambda a: Token()), create=True
        ),
    ):
        assert keeper._take_ready(partial) is None
    assert calls == [partial.repaid]


def test_sec_234__two_pools_carry_on_one_claim__keeper_recovers_each_carry_before_any_loss():
    """Round 7 M3: an account owes pool X 50 and pool Y 70, both assigned beside one claim whose
    haircut value (92) the pools carry as 50 and 42. The keeper recovered the largest debt first,
    in full (Y's 70: 28 of it restoring Y's realised loss), leaving X 30 of its 50 carried; the
    claim done, X's 20 was dropped: recovered 100 > carried 92, yet 20 realised, moved from X's
    lenders to Y's. Now it recovers the largest carry first, each only up to its carry while
    another pool still carries; then the rest."""
    usdt = "0x" + "7" * 40
    lusdc = "0x" + "2" * 40
    holdings = {
        USDC: model.Holding(0, 50 * 10**6, USD, 6, 0, 50 * 10**6, 50 * 10**6),
        usdt: model.Holding(0, 70 * 10**6, USD, 6, 0, 70 * 10**6, 42 * 10**6),
        lusdc: model.Holding(100 * 10**6, 0, USD, 6, 0),
    }
    first = choose_liquidation(holdings, 8_000, TIER)
    assert (first.debt_asset, first.collateral_asset, first.repay) == (USDC, lusdc, 50 * 10**6)
    # X's carry recovered: Y's next; no other pool carries now, so all of it.
    after = dict(holdings, **{USDC: model.Holding(0, 0, USD, 6, 0)})
    after[lusdc] = model.Holding(47 * 10**6, 0, USD, 6, 0)
    second = choose_liquidation(after, 8_000, TIER)
    assert (second.debt_asset, second.repay) == (usdt, 70 * 10**6)
    # Both carrying, the smaller debt with the larger carry goes first, at its carry.
    both = dict(holdings, **{USDC: model.Holding(0, 60 * 10**6, USD, 6, 0, 60 * 10**6, 30 * 10**6)})
    third = choose_liquidation(both, 8_000, TIER)
    assert (third.debt_asset, third.repay) == (usdt, 42 * 10**6)
