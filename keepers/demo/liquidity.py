"""The demo's liquidity section: a $5M institutional order routed across the real venues.

The router quotes every source in one call (the RFQ market maker's signed quote included), splits
where marginal prices meet, prices the split exactly, and the trader sends it by commit-reveal (it
is above the large-order threshold) with an oracle bound. Printed: each source's share, the output
against the best single source, the gas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import keccak, to_checksum_address

from keepers.core.artifacts import project_at
from keepers.demo.actions import ActionLog
from keepers.demo.stage import Act, Stage, actions, console, table

SECTION = "liquidity"
TRADER, OPERATOR, AGENT, MAKER = 21, 3, 5, 20
ORDER_USD = 5_000_000
USDC_UNIT = 10**6
INSTITUTIONAL, FAR_FUTURE = 4, 2**40 - 1


@dataclass
class LiquidityOutcome:
    legs: list[tuple[str, int, int]] = field(default_factory=list)
    predicted_out: int = 0
    received: int = 0
    best_single: tuple[str, int] = ("", 0)
    improvement_bps: float = 0.0
    gas_used: int = 0
    commit_reveal: bool = False
    aggregator_empty: bool = False
    allowance_left: int = -1
    token_decimals: int = 18


def exercise_liquidity(log: ActionLog, record) -> LiquidityOutcome:
    from ape import accounts, chain, project

    from keepers.liquidity import (
        MarketMaker,
        Router,
        execute_plan,
        sources_from_record,
        token_addresses,
    )

    acct = {i: accounts.test_accounts[i] for i in (TRADER, OPERATOR, AGENT, MAKER)}
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731
    tokens = token_addresses(record)
    usdc = project.LocalStablecoin.at(tokens["USDC"])
    qspx = project.SecurityToken.at(tokens["QSPX"])
    registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
    aggregator = project.LiquidityAggregator.at(record.address_of("LiquidityAggregator"))
    oracle = project_at("OracleRouter", record.address_of("OracleRouter"))
    outcome = LiquidityOutcome(token_decimals=int(qspx.decimals()))

    for symbol in ("QSPX", "QNDX", "QOIL", "QTF"):
        token = project.SecurityToken.at(tokens[symbol])
        if token.paused():
            act(
                "token agent",
                f"open {symbol} for trading (unpause)",
                lambda t=token: t.unpause(sender=acct[AGENT]),
            )
    identity = to_checksum_address(keccak(text="demo institutional trader")[-20:])
    act(
        "operator",
        "onboard an institutional trader (US)",
        lambda: registry.registerInvestor(
            acct[TRADER], identity, 840, INSTITUTIONAL, FAR_FUTURE, sender=acct[OPERATOR]
        ),
    )
    act(
        "operator",
        f"mint {ORDER_USD:,} USDC to the trader",
        lambda: usdc.mint(acct[TRADER], ORDER_USD * USDC_UNIT, sender=acct[OPERATOR]),
    )

    amount = ORDER_USD * USDC_UNIT
    maker = MarketMaker(
        acct[MAKER].address,
        acct[MAKER].private_key,
        record.address_of("RfqVenue"),
        chain.chain_id,
        oracle,
    )
    signed = maker.quote(usdc, qspx, amount, chain.pending_timestamp, taker=acct[TRADER].address)
    nav = project.NavVenue.at(record.address_of("NavVenue"))
    router = Router(aggregator, sources_from_record(record.contracts))
    plan = router.plan(
        usdc.address,
        qspx.address,
        amount,
        acct[TRADER].address,
        chain.pending_timestamp + 600,
        max_slippage_bps=100,
        slippage_tolerance_bps=0,
        source_data={record.address_of("RfqVenue").lower(): signed.hop_data()},
        depth_hints=[signed.quote.amount_in, int(nav.remainingCapacity(qspx, True))],
    )
    log.record(
        SECTION,
        "router",
        f"quote {ORDER_USD:,} USDC -> QSPX on {len(router.sources)} sources (one call)",
        f"{len(plan.legs)} legs; predicted "
        f"{plan.predicted_out / 10**outcome.token_decimals:,.4f} QSPX; "
        f"best single source {plan.best_single[0]}",
    )
    before = int(qspx.balanceOf(acct[TRADER]))
    result = execute_plan(plan, aggregator, usdc, acct[TRADER], None, None)
    log.record(
        SECTION,
        "trader",
        "approve exactly, commit, reveal the split (oracle bound 1%)",
        f"ok: received {int(result['amount_out']) / 10**outcome.token_decimals:,.4f} QSPX",
    )
    outcome.legs = plan.legs
    outcome.predicted_out = plan.predicted_out
    outcome.received = int(qspx.balanceOf(acct[TRADER])) - before
    outcome.best_single = plan.best_single
    outcome.improvement_bps = plan.improvement_bps
    outcome.gas_used = int(result["gas_used"])
    outcome.commit_reveal = bool(result["commit_reveal"])
    outcome.aggregator_empty = all(
        int(project.LocalStablecoin.at(t).balanceOf(aggregator)) == 0 for t in tokens.values()
    )
    outcome.allowance_left = int(usdc.allowance(acct[TRADER], aggregator))
    return outcome


def show_liquidity(stage: Stage, liquidity: LiquidityOutcome) -> None:
    unit = 10**liquidity.token_decimals
    console.print(
        actions(
            stage.log,
            SECTION,
            110,
            "Liquidity: a $5,000,000 order for QSPX routed across the real venues",
        )
    )
    console.print(
        table(
            "The split (router prediction = execution)",
            ("source", "USDC in", "QSPX out"),
            [
                (name, f"{amount / USDC_UNIT:,.2f}", f"{out / unit:,.4f}")
                for name, amount, out in liquidity.legs
            ]
            + [
                (
                    "total (split)",
                    f"{sum(a for _, a, _ in liquidity.legs) / USDC_UNIT:,.2f}",
                    f"{liquidity.received / unit:,.4f}",
                ),
                (
                    f"best single source: {liquidity.best_single[0]}",
                    "",
                    f"{liquidity.best_single[1] / unit:,.4f}",
                ),
                ("improvement", "", f"{liquidity.improvement_bps:,.1f} bps"),
                ("gas (approve excluded: commit + reveal)", "", f"{liquidity.gas_used:,}"),
            ],
        )
    )


def liquidity_checks(stage: Stage, liquidity: LiquidityOutcome) -> dict[str, bool]:
    return {
        "liquidity: the order split over 3+ sources, received exactly the router's prediction": (
            len(liquidity.legs) >= 3 and liquidity.received == liquidity.predicted_out > 0
        ),
        "liquidity: the split beat the best single source": liquidity.improvement_bps > 0,
        "liquidity: commit-reveal used; aggregator holds nothing, no allowance left": (
            liquidity.commit_reveal and liquidity.aggregator_empty and liquidity.allowance_left == 0
        ),
    }


ACT = Act(
    name="liquidity",
    step="liquidity (the $5M order routed by commit-reveal)",
    run=lambda stage: exercise_liquidity(stage.log, stage.record),
    show=show_liquidity,
    checks=liquidity_checks,
)
