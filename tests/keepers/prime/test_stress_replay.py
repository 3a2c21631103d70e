"""PRM-45..PRM-49: the 2008 stress replay's machinery (keepers/prime/stress.py, stress_replay.py,
scripts/prime_stress.py) on a short window: four accounts through 6-10 October 2008 on a private
anvil, in process. CPU-lean: one deployment, five days, a few dozen transactions."""

from __future__ import annotations

import pytest
from ape import networks

from keepers.prime import model
from keepers.prime.stress import (
    ASSETS,
    DECIMALS,
    MORPHO_LLTV,
    RISK_WEIGHT_BPS,
    Book,
    generate_books,
    morpho_baseline,
    price18,
    stress_prices,
)

OPEN, END = "2008-10-03", "2008-10-10"


def books_for_the_week(opening) -> list[Book]:
    """Four books: two equity funds at 150.5% (the week's 18% fall takes them below maintenance
    and, one of them, below 110% with the credit fund), a credit fund and a pension plan."""
    unit = {s: 10 ** DECIMALS[s] for s in ASSETS}

    def book(name, kind, whole, target, spread=0):
        posted = {s: int(v * unit[s]) for s, v in whole.items()}
        holdings = [
            model.Holding(posted.get(s, 0), 0, price18(opening[s]), DECIMALS[s], RISK_WEIGHT_BPS[s])
            for s in ASSETS
        ]
        adjusted = model.figures(holdings).adjusted_collateral_usd
        return Book(name, kind, posted, adjusted * 10_000 // target // 10**12, target, spread)

    return [
        book("equity 1", "equity fund", {"QSPX": 2_000}, 15_050, 100),
        book("equity 2", "equity fund", {"QSPX": 1_500, "QCORP": 1_000}, 15_100),
        book("credit", "credit fund", {"QCORP": 20_000, "USDC": 100_000}, 17_000, 50),
        book("pension", "pension or insurer", {"QTB": 10_000, "QSPX": 200}, 25_000),
    ]


@pytest.fixture(scope="module")
def week():
    prices = stress_prices(OPEN, END)
    return prices, books_for_the_week(prices.iloc[0].to_dict())


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, week):
    """The week replayed on chain (a module-scoped private anvil)."""
    from keepers.demo.processes import ProcessGroup, start_anvil
    from keepers.prime.stress_replay import (
        deploy_stress_stack,
        open_books,
        quantera_report,
        replay,
    )

    prices, books = week
    group = ProcessGroup(tmp_path_factory.mktemp("stress-anvil"))
    try:
        url = start_anvil(group, chain_id=1337)
        with networks.parse_network_choice(f"ethereum:local:{url}"):
            from ape import chain

            def rpc(method, params):
                return chain.provider.make_request(method, params)

            lender = int(sum(b.borrowed for b in books) * 1.25)
            stack = deploy_stress_stack(prices.iloc[0], rpc, lender)
            identities = open_books(stack, books, rpc)
            run = replay(stack, books, identities, prices, rpc)
            yield stack, run, quantera_report(run)
    finally:
        group.stop_all()


def test_prm_45__prices__2008_series_mapped_to_assets(week):
    """PRM-45: S&P 500 -> QSPX, Baa as a 6.5-year bond fund -> QCORP, RF accrued -> QTB, 1 -> USDC,
    on S&P 500 trading days."""
    prices, _ = week
    assert list(prices.columns) == list(ASSETS)
    assert [str(d.date()) for d in prices.index] == [
        "2008-10-03",
        "2008-10-06",
        "2008-10-07",
        "2008-10-08",
        "2008-10-09",
        "2008-10-10",
    ]
    assert (prices["USDC"] == 1.0).all()
    assert round(prices["QSPX"].iloc[-1], 2) == 899.22  # the S&P 500's close on 10 October
    assert prices["QTB"].is_monotonic_increasing  # accrues a positive rate
    # Baa rose 1.57 points from September to October: the credit fund falls through the week.
    assert prices["QCORP"].iloc[-1] < prices["QCORP"].iloc[0]
    with pytest.raises(ValueError, match="no history"):
        stress_prices("2030-01-01", "2030-02-01")


def test_prm_46__books__seeded_and_at_least_at_initial_margin():
    """PRM-46: the generator is reproducible by its seed, every book opens at or above 150% (its
    target ratio) by the model, and each is allowed on Morpho at the chosen LLTVs."""
    prices = stress_prices("2007-12-31", "2008-01-04")
    opening = prices.iloc[0].to_dict()
    books = generate_books(50, 7, opening)
    assert books == generate_books(50, 7, opening) != generate_books(50, 8, opening)
    for b in books:
        assert b.target_ratio_bps >= 15_050
        holdings = [
            model.Holding(
                b.posted.get(s, 0), 0, price18(opening[s]), DECIMALS[s], RISK_WEIGHT_BPS[s]
            )
            for s in ASSETS
        ] + [model.Holding(0, b.borrowed, 10**18, 6, 0)]
        assert model.figures(holdings).ratio_bps >= b.target_ratio_bps >= 15_050
    side = morpho_baseline(books, prices)  # raises if a book were not allowed
    assert side.borrowed_usd > 0 and side.lltv == MORPHO_LLTV


def test_prm_47__replay__counts_are_the_chains_events(replayed):
    """PRM-47: the report's calls and liquidations are the broker's MarginCalled and Liquidated
    events, its repayments the pool's Repaid events, its bad debt the pool's write-offs."""
    from ape import chain

    stack, run, report = replayed
    events = report["chain_events"]
    assert report["margin_calls"] == events["margin_calls"] == len(run.calls) > 0
    assert report["liquidations"] == events["liquidations"] == len(run.liquidations) > 0
    assert events["calls_cleared"] >= report["calls_cleared_by_the_keeper"] == len(run.cleared)
    start = stack.first_block
    liquidated = sorted(
        (str(e.account), int(e.repaid), int(e.seized))
        for e in stack.broker.Liquidated.range(start, chain.blocks.head.number + 1)
    )
    assert liquidated == sorted((x["account"], x["repaid"], x["seized"]) for x in run.liquidations)
    repaid = sum(x["repaid"] for x in run.liquidations)
    assert repaid == events["repaid"]
    assert round(repaid / 10**6, 2) == report["repaid_by_liquidations_usd"]
    bad = sum(x["bad_debt"] for x in run.liquidations)
    assert bad == events["bad_debt_written_off"]
    assert events["bad_debt_absorbed"] + events["bad_debt_realised"] == bad
    for identity in run.identities:
        count = sum(1 for x in run.liquidations if x["account"] == identity)
        assert int(stack.broker.liquidationCount(identity)) == count
    # Every day's utilisation is the pool's own figure, and the book the chain's.
    assert list(report["utilisation_bps_by_day"]) == [d.day for d in run.days]
    assert run.days[-1].utilisation_bps == int(stack.pool.state().utilisationBps)


def test_prm_48__replay__conservation_of_debt(replayed):
    """PRM-48: debt repaid + bad debt + debt remaining = borrowed + interest (the pool's accrued
    interest and the spreads charged), to a unit of rounding per operation."""
    _, run, report = replayed
    c = report["conservation"]
    operations = len(run.identities) * 2 + 2 * len(run.liquidations) + len(run.days)
    assert abs(c["difference_units"]) <= operations
    events = report["chain_events"]
    assert events["borrowed"] == sum(b.borrowed for b in run.books)
    assert events["interest"] > 0
    # What each account still owes, with its pending spread, covers the pool's figure.
    assert sum(run.end_debt.values()) >= events["total_debt"]


def test_prm_48__closing_figures_are_of_one_block__read_blocks_later_the_same(replayed):
    """PRM-48: the closing figures are read at the block that brought the pool's interest to the
    replay's end, not at `latest`: the chain mines a block a second and the pool's views accrue
    to the block's clock, so figures read a few blocks on carry those blocks' interest (CI's slow
    machine: the conservation check off by 4,689 units)."""
    from ape import chain

    from keepers.prime.stress_replay import chain_totals, closing_debts

    stack, run, _ = replayed
    assert run.closed > stack.first_block
    chain.provider.make_request("evm_increaseTime", [3_600])
    while int(chain.blocks.head.number) < run.closed + 3:
        chain.provider.make_request("evm_mine", [])
    assert chain_totals(stack, run.closed) == run.totals
    spreads = {i: b.spread_bps for i, b in zip(run.identities, run.books, strict=True)}
    assert closing_debts(stack, spreads, run.closed) == run.end_debt
    assert int(stack.pool.state().totalDebt) > run.totals["total_debt"]  # the latest has moved on


def test_prm_49__the_week__grace_then_liquidation__morpho_liquidates_nothing(replayed, week):
    """PRM-49: the levered equity fund is called (9 October) before it is liquidated (after its
    grace), never the pension plan; on the same closes Morpho's rules liquidate nothing: the S&P
    500's low of the week stays above the price at which that fund's position crosses its 77% LLTV
    (Morpho has no maintenance line, only the LLTV)."""
    _, run, report = replayed
    prices, books = week
    names = {i: b.name for i, b in zip(run.identities, books, strict=True)}
    called = {names[a]: d for d, a, _ in reversed(run.calls)}
    liquidated = {names[x["account"]]: x["day"] for x in reversed(run.liquidations)}
    assert called["equity 1"] == "2008-10-09" and liquidated["equity 1"] == "2008-10-10"
    assert "pension" not in called
    waits = report["days_from_call_to_liquidation"]["calendar"]
    assert waits and all(w >= 1 for w in waits)
    equity = books[0]
    crossing = equity.borrowed / 10**6 / (equity.posted["QSPX"] / 10**18 * MORPHO_LLTV["QSPX"])
    assert prices["QSPX"].min() > crossing
    morpho = morpho_baseline(books, prices)
    assert (morpho.liquidations, morpho.bad_debt_usd) == (0, 0.0)
    assert morpho.remaining_usd == pytest.approx(morpho.borrowed_usd)
