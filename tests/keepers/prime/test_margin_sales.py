"""The margin keeper's liquidation sales, sized to what one sale can do (keepers/prime/keeper.py's
`_terms` and `_sale`, keepers/prime/margin.py's `scaled_repay`): SEC-150 and SEC-154. The chain is
stubbed — the book's reads (the model's own quote for `previewLiquidation`), the router's plans
and the aggregator's large-order threshold — and the keeper's own code decides; the same on the
real stack is `tests/keepers/prime/test_margin_chain.py::test_sec_150__*`."""

from __future__ import annotations

from types import SimpleNamespace

from keepers.prime import model
from keepers.prime.keeper import Head, MarginKeeper
from keepers.prime.margin import Health, Mark, Tier, scaled_repay

USDC, QCORP, QTB = ("0x" + c * 40 for c in "123")
BROKER = "0x" + "bb" * 20
E6, E18 = 10**6, 10**18
TIER = Tier(15_000, 12_500, 11_000, 5_000, 500, 86_400)


def red_team_book():
    """The red team's account (ATK-PRM-K): 1,000,000 USDC owed against 600,000 USD of an
    illiquid credit fund (the largest holding: its venues absorb 100,000 USD) and 500,000 USD of
    T-bills (a deep market, 0.1% below oracle); 104.4%, liquidatable."""
    return {
        USDC: model.Holding(0, 1_000_000 * E6, E18, 6, 0),
        QCORP: model.Holding(7_500 * E18, 0, 80 * E18, 18, 10_000),
        QTB: model.Holding(5_000 * E18, 0, 100 * E18, 18, 2_000),
    }


def keeper_over(holdings, thresholds=None):
    """A MarginKeeper whose chain is stubbed: the book answers from `holdings`, the router sells
    QCORP for at most 100,000 USDC and anything else at 0.1% below oracle, the aggregator's
    large-order thresholds are `thresholds` (units; none by default). Returns (keeper, asked):
    `asked` lists the sales the keeper planned (asset, units)."""
    ratio = model.figures(holdings.values()).ratio_bps
    asked: list[tuple[str, int]] = []

    def preview(account, debt, repay, collateral):
        q = model.quote(repay, holdings[debt], holdings[collateral], ratio, TIER.bonus_bps)
        return (q.repaid, q.seized, q.bonus_bps, 0)

    def plan(token_in, token_out, amount, *args, **kwargs):
        asked.append((token_in, amount))
        h = holdings[token_in]
        value = model.value_down(amount, h.price18, h.decimals) // 10**12
        out = min(value, 100_000 * E6) if token_in == QCORP else value * 999 // 1000
        return SimpleNamespace(predicted_out=out, route=b"\x01")

    policies = thresholds or {}
    aggregator = SimpleNamespace(
        tokenPolicy=lambda asset: SimpleNamespace(commitThreshold=policies.get(asset, 0))
    )
    keeper = MarginKeeper.__new__(MarginKeeper)
    keeper.take = False
    keeper.book = SimpleNamespace(
        holdings=lambda account: holdings,
        margin=SimpleNamespace(previewLiquidation=preview),
    )
    keeper._router = SimpleNamespace(plan=plan, aggregator=aggregator)
    keeper.broker = SimpleNamespace(address=BROKER)
    mark = Mark("0x" + "c1" * 20, Health(0, 0, 0, 0, ratio, 0, 0, True), TIER, 0)
    return keeper, mark, asked


def test_sec_154__largest_collateral_cannot_cover__keeper_sizes_the_repayment_or_sells_another():
    """SEC-154: the red team's account (ATK-PRM-K). Before, the keeper planned one QCORP sale
    for the close factor's 500,000 USDC, found it fetched 99,500 and sent nothing (`a sale
    fetches 99500000000, less than the 500000000000 to repay`). Now it sizes the repayment to
    what the QCORP sale covers; and when QCORP cannot be sold at all it sells T-bills."""
    holdings = red_team_book()
    keeper, mark, asked = keeper_over(holdings)
    terms = keeper._terms(mark, Head(1, 1_700_000_000))
    assert not isinstance(terms, str), terms
    choice, method, route = terms
    assert (method, choice.collateral_asset, route) == ("sell", QCORP, b"\x01")
    # The repayment the 100,000 USDC a QCORP sale fetches covers (less the tolerance).
    assert 90_000 * E6 < choice.repaid <= 99_500 * E6
    assert choice.repaid == choice.repay and len(asked) == 2

    # No QCORP venue at all: the keeper goes on to the T-bills (the next collateral).
    keeper, mark, asked = keeper_over(holdings)
    plan = keeper._router.plan

    def no_qcorp(token_in, *args, **kwargs):
        if token_in == QCORP:
            from keepers.core.errors import QuanteraError

            raise QuanteraError("no venue quotes QCORP")
        return plan(token_in, *args, **kwargs)

    keeper._router.plan = no_qcorp
    choice, method, _ = keeper._terms(mark, Head(1, 1_700_000_000))
    assert (method, choice.collateral_asset) == ("sell", QTB)
    # The close factor's 500,000 USDC asks for more T-bills than the account holds: all of them
    # are seized for what they repay.
    assert choice.seized == holdings[QTB].balance and choice.repaid > 450_000 * E6


def test_sec_150__sale_above_the_commit_threshold__keeper_repays_what_one_sale_below_it_covers():
    """SEC-150: the aggregator refuses a route selling its large-order threshold or more without
    a commitment (`CommitmentRequired`), which the broker's liquidation sale never has. Before,
    the keeper asked to sell the close factor's whole seizure (5,250 T-bills against a threshold
    of 1,000: the liquidation reverted, and again every RETRY_AFTER_BLOCKS). Now it sizes the
    repayment so that its sale stays below the threshold (the rest a liquidation later)."""
    holdings = {  # 1,000,000 USDC owed against 1,100,000 USD of T-bills: 108.24%
        USDC: model.Holding(0, 1_000_000 * E6, E18, 6, 0),
        QTB: model.Holding(11_000 * E18, 0, 100 * E18, 18, 2_000),
    }
    threshold = 1_000 * E18  # 100,000 USD of T-bills
    keeper, mark, asked = keeper_over(holdings, {QTB: threshold})
    choice, method, _ = keeper._terms(mark, Head(1, 1_700_000_000))
    assert (method, choice.collateral_asset) == ("sell", QTB)
    assert asked and all(units < threshold for _, units in asked), asked
    assert choice.seized < threshold and choice.repaid > 90_000 * E6


def test_scaled_repay__the_seizure_scales_with_the_repayment():
    assert scaled_repay(500, 100, 200) == 500
    assert scaled_repay(500, 1_000, 199) == 99


def test_sec_238__assigned_debt_below_100pct__keeper_sells_the_whole_balance_for_what_it_fetches():
    """Round 9 M1 in the keeper: 33,750 USDC assigned beside 15,000 of a $1 cash asset (ratio
    44%: the bonus is 0, so what a sale fetches is below what it repays). The keeper shrank the
    repayment round after round (the seizure, capped at the balance, never moved) and, without
    `--take`, proposed a write-off the broker refuses (`ZeroAmount`: 15,000 is no dust). Now a
    sale recovering assigned debt needs only the broker's oracle floor, and a seizure of the
    whole balance is sold whole (no unit left behind to hold off the re-mark)."""
    cash = "0x" + "4" * 40
    holdings = {
        USDC: model.Holding(0, 33_750 * E6, E18, 6, 0, 33_750 * E6, 20_000 * E6),
        cash: model.Holding(15_000 * E6, 0, E18, 6, 0),
    }
    keeper, mark, asked = keeper_over(holdings)
    terms = keeper._terms(mark, Head(1, 1_700_000_000))
    assert not isinstance(terms, str), terms
    choice, method, route = terms
    assert (method, choice.collateral_asset, route) == ("sell", cash, b"\x01"), terms
    assert choice.seized == 15_000 * E6 and choice.repaid == 15_000 * E6
    assert asked == [(cash, 15_000 * E6)]
    # A route 2% short of the repayment is refused (the broker's MAX_RECOVERY_SHORTFALL_BPS: 1%,
    # round 10 F1); the keeper sends nothing for it.
    keeper, mark, asked = keeper_over(holdings)
    keeper._router.plan = lambda *args, **kwargs: SimpleNamespace(
        predicted_out=14_700 * E6, route=b"\x01"
    )
    terms = keeper._terms(mark, Head(1, 1_700_000_000))
    assert isinstance(terms, str) or terms[1] != "sell", terms
    # With `take` the keeper repays at par instead of selling below it (round 10 F2).
    keeper, mark, asked = keeper_over(holdings)
    keeper.take = True
    choice, method, route = keeper._terms(mark, Head(1, 1_700_000_000))
    assert (method, route, choice.repaid) == ("take", b"", 15_000 * E6)
    # Pool debt at the same ratio still needs proceeds that cover the repayment: no sale.
    pool_debt = dict(holdings, **{USDC: model.Holding(0, 33_750 * E6, E18, 6, 0)})
    keeper, mark, asked = keeper_over(pool_debt)
    terms = keeper._terms(mark, Head(1, 1_700_000_000))
    assert isinstance(terms, str) and "less than" in terms, terms
