"""Hypothesis properties of the aggregator on the real venues, and the router's exact prediction
(docs/specs.md LIQ-1, LIQ-2, LIQ-3, LIQ-5, LIQ-8). Each example runs in its own chain snapshot."""

import ape
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from isolation import isolated
from keepers.liquidity.codec import encode_route, with_min_out
from keepers.liquidity.graph import best_path
from keepers.liquidity.rfq import make_quote, sign_quote
from keepers.liquidity.router import Router, Source

USDC_UNIT, UNIT = 10**6, 10**18
SOURCES = [
    "UniswapV2Pair.A.QSPX-USDC",
    "UniswapV2Pair.B.QSPX-USDC",
    "UniswapV3Pool.QSPX-USDC.3000",
    "UniswapV3Pool.QSPX-USDC.500",
]
CHAIN_SETTINGS = dict(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def zero_balances(liq):
    return all(int(t.balanceOf(liq.aggregator)) == 0 for t in liq.tokens.values())


@settings(max_examples=6, **CHAIN_SETTINGS)
@given(
    shares=st.lists(st.integers(0, 40_000), min_size=len(SOURCES), max_size=len(SOURCES)),
    sell_qspx=st.booleans(),
    min_out_bps=st.integers(-50, 50),
)
def test_property__output_at_least_min_or_revert_and_nothing_left(
    liquidity, chain, shares, sell_qspx, min_out_bps
):
    """LIQ-1, LIQ-2, LIQ-3 over random splits, directions and minimums around the quote."""
    liq, trader = liquidity, liquidity.trader
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    token_in, token_out, unit = (qspx, usdc, UNIT // 50) if sell_qspx else (usdc, qspx, USDC_UNIT)
    legs = [
        (share * unit, [(liq.venue(name), token_out.address, b"")])
        for share, name in zip(shares, SOURCES)
        if share
    ]
    if not legs:
        return
    amount = sum(a for a, _ in legs)
    with isolated(chain):
        route = encode_route(
            token_in, token_out, amount, 1, trader.address, chain.pending_timestamp + 600, 0, legs
        )
        quoted, _ = liq.aggregator.quoteRoute.call(route)
        min_out = max(1, quoted * (10_000 + min_out_bps) // 10_000)
        route = with_min_out(route, min_out)
        token_in.approve(liq.aggregator, amount, sender=trader)
        before = token_out.balanceOf(trader)
        if min_out > quoted:
            with ape.reverts(
                liq.aggregator.InsufficientOutput, amountOut=quoted, minAmountOut=min_out
            ):
                liq.aggregator.swap(route, sender=trader)
            assert token_out.balanceOf(trader) == before
        else:
            liq.aggregator.swap(route, sender=trader)
            received = token_out.balanceOf(trader) - before
            assert received >= min_out and received == quoted
            assert token_in.allowance(trader, liq.aggregator) == 0
        assert zero_balances(liq)


@settings(max_examples=6, **CHAIN_SETTINGS)
@given(delay=st.integers(1, 8), by_other=st.booleans(), twice=st.booleans())
def test_property__commitment_revealed_only_by_sender_in_window_once(
    liquidity, chain, accounts, delay, by_other, twice
):
    """LIQ-5: outcome of a reveal `delay` blocks after the commit, by the committer or not, once or
    twice."""
    liq, trader, other = liquidity, liquidity.trader, accounts[19]
    agg, usdc, qspx = liq.aggregator, liq.tokens["USDC"], liq.tokens["QSPX"]
    amount, salt = 1_000 * USDC_UNIT, b"\x07" * 32
    window = agg.revealWindow()
    with isolated(chain):
        route = encode_route(
            usdc,
            qspx,
            amount,
            1,
            trader.address,
            chain.pending_timestamp + 3_600,
            0,
            [(amount, [(liq.venue(SOURCES[0]), qspx.address, b"")])],
        )
        usdc.approve(agg, amount, sender=trader)
        committed_at = agg.commit(agg.commitmentOf(trader, route, salt), sender=trader).block_number
        if delay > 1:
            chain.mine(delay - 1)
        revealer = other if by_other else trader
        if by_other:
            with ape.reverts(agg.CommitmentNotFound):
                agg.revealSwap(route, salt, sender=revealer)
        elif committed_at + delay > committed_at + window:
            with ape.reverts(agg.CommitmentExpired):
                agg.revealSwap(route, salt, sender=revealer)
        else:
            receipt = agg.revealSwap(route, salt, sender=revealer)
            assert receipt.block_number == committed_at + delay
            if twice:
                with ape.reverts(agg.CommitmentUsed):
                    agg.revealSwap(route, salt, sender=revealer)
        assert zero_balances(liq)


def _router(liq):
    names = {address.lower(): name for name, address in liq.deployment.venues.items()}
    kinds = {
        "UniswapV2Pair": "uniswap_v2",
        "UniswapV3Pool": "uniswap_v3",
        "RfqVenue": "rfq",
        "NavVenue": "nav",
    }
    sources = [Source(a, n, kinds[n.split(".")[0]]) for a, n in names.items()]
    return Router(liq.aggregator, sources)


def test_router__prediction_matches_execution_exactly(liquidity, chain):
    """LIQ-8: the router's split (with an RFQ quote in hand) executes to the unit it predicted, and
    beats the best single source for an order a tenth of the deepest pool's depth."""
    liq, trader = liquidity, liquidity.trader
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    amount = 200_000 * USDC_UNIT
    quote = make_quote(
        liq.maker.address,
        usdc.address,
        qspx.address,
        60_000 * USDC_UNIT,
        UNIT / USDC_UNIT / 50,
        8,
        5,
        chain.pending_timestamp + 600,
    )
    signed = sign_quote(quote, liq.maker.private_key, chain.chain_id, liq.deployment.rfq_venue)
    router = _router(liq)
    with isolated(chain):
        plan = router.plan(
            usdc.address,
            qspx.address,
            amount,
            trader.address,
            chain.pending_timestamp + 600,
            source_data={liq.deployment.rfq_venue.lower(): signed.hop_data()},
            depth_hints=[quote.amount_in, 300_000 * USDC_UNIT],
        )
        assert len(plan.legs) >= 3 and plan.predicted_out > plan.best_single[1]
        usdc.approve(liq.aggregator, amount, sender=trader)
        before = qspx.balanceOf(trader)
        liq.aggregator.swap(plan.route, sender=trader)
        assert qspx.balanceOf(trader) - before == plan.predicted_out
        assert zero_balances(liq)


def test_router__multi_hop_path_and_no_false_arbitrage(liquidity, chain):
    """Bellman-Ford over the live token graph finds USDC -> QCORP -> QSPX when it is the only way
    through QCORP, and reports no arbitrage on freshly seeded, consistent pools."""
    liq = liquidity
    tokens = [liq.tokens[s].address for s in ("USDC", "QTB", "QSPX", "QCORP")]
    probes = {tokens[0]: 100 * USDC_UNIT, tokens[1]: UNIT, tokens[2]: 2 * UNIT, tokens[3]: UNIT}
    router = _router(liq)
    edges = router.graph_edges(tokens, probes)
    path = best_path(
        len(tokens), [e for e in edges if not (e.source == 0 and e.target == 2)], 0, 2, 3
    )
    assert path is not None and path.tokens == [0, 3, 2]
    with isolated(chain):
        route, predicted = router.plan_path(
            path, tokens, 1_000 * USDC_UNIT, liq.trader.address, chain.pending_timestamp + 600
        )
        liq.tokens["USDC"].approve(liq.aggregator, 1_000 * USDC_UNIT, sender=liq.trader)
        before = liq.tokens["QSPX"].balanceOf(liq.trader)
        liq.aggregator.swap(route, sender=liq.trader)
        assert liq.tokens["QSPX"].balanceOf(liq.trader) - before == predicted > 0
    _, arbitrage = router.best_path(tokens, tokens[0], tokens[2], probes)
    assert arbitrage is None
    assert np.isfinite([e.rate for e in edges]).all()
