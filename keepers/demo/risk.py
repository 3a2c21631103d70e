"""Risk part of the demo: real 2008 history (arch.data) replayed onto the local price feeds by the
price keeper's key, the risk keeper (a separate silverback process) publishing its model within
the engine's bounds, a fund built by the executor, a risk-increasing trade refused with its
limit, then the Lehman crash driving the drawdown past the hard cap so the engine halts the
fund, after which new risk is refused and investors still get out."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import keccak, to_checksum_address

from keepers.core.artifacts import project_at
from keepers.core.units import FEED_DECIMALS
from keepers.core.waiting import blocks_after, wait_until
from keepers.demo.actions import ActionLog
from keepers.demo.stage import CHAIN_ID, Act, Stage, actions, console, table
from keepers.risk import RISK_LIMIT_NAMES
from keepers.vault import history, load_portfolio

SECTION = "risk"
USDC_UNIT = 10**6
UNIT = 10**18
FAR_FUTURE = 2**40 - 1
INSTITUTIONAL = 4
# The keeper's history ends where the replay starts.
HISTORY_END = "2008-06-30"
CALM_WINDOW = ("2008-07-01", "2008-08-29")
CRASH_WINDOW = ("2008-09-02", "2008-11-28")
FUND_INVESTOR, PRICE_REPORTER, EXECUTOR, GOVERNOR, OPERATOR, AGENT = 19, 8, 9, 2, 3, 5
DEPOSIT_USD = 1_000_000
# Target weights the executor builds (bps of NAV): T-bills, S&P 500, Nasdaq-100, WTI.
TARGETS = {"QTF": 1_500, "QSPX": 3_000, "QNDX": 2_000, "QOIL": 1_400}
# A guard against a keeper that hangs, not a guess at how long one takes: on a busy machine the
# keeper's model fit and transactions simply arrive later.
KEEPER_WAIT_SECONDS = 600.0
LIMIT_NAMES = RISK_LIMIT_NAMES


@dataclass
class RiskOutcome:
    halted_on: str | None = None
    refused_before_crash: str = ""
    refused_when_halted: str = ""
    withdrew_when_halted: bool = False
    redeemed_in_kind_when_halted: bool = False
    nav_path: list[tuple[str, float, int, bool]] = field(default_factory=list)


# Errors raised by a contract the vault called (the risk engine, a token's compliance) reach the
# caller as raw revert data: decoded here by their signatures.
NESTED_ERRORS = {
    "RiskLimitBreached": ("address", "uint8", "uint8", "uint256", "uint256"),
    "TransferNotCompliant": ("address", "address", "uint256", "uint8"),
}


def describe(err: Exception) -> str:
    from eth_abi import decode
    from eth_utils import keccak as _keccak

    inputs = getattr(err, "inputs", None) or {}
    if "limit" in inputs:
        return (
            f"RiskLimitBreached: {LIMIT_NAMES[int(inputs['limit'])]} "
            f"(subject {inputs['subject']}), "
            f"value {inputs['value']} vs bound {inputs['bound']}"
        )
    data = str(getattr(err, "revert_message", "") or err)
    for name, types in NESTED_ERRORS.items():
        selector = "0x" + _keccak(text=f"{name}({','.join(types)})")[:4].hex()
        if data.startswith(selector):
            args = decode(list(types), bytes.fromhex(data[10:]))
            if name == "RiskLimitBreached":
                return (
                    f"RiskLimitBreached: {LIMIT_NAMES[args[1]]} (subject {args[2]}), "
                    f"value {args[3]} vs bound {args[4]}"
                )
            return f"TransferNotCompliant: reason code {args[3]}"
    return f"{type(err).__name__}: {data}"[:160]


def exercise_risk(log: ActionLog, record, rpc_url: str, rpc) -> RiskOutcome:
    from ape import accounts, chain, project

    portfolio = load_portfolio()
    prices = history(portfolio)
    acct = {
        i: accounts.test_accounts[i]
        for i in (FUND_INVESTOR, PRICE_REPORTER, EXECUTOR, GOVERNOR, OPERATOR, AGENT)
    }
    registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
    manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
    risk = project_at("RiskEngine", record.address_of("RiskEngine"))
    vault = project_at("PortfolioVault", record.address_of("PortfolioVault"))
    router = project_at("OracleRouter", record.address_of("OracleRouter"))
    tokens = {a.symbol: t for a, t in zip(portfolio.assets, vault.assets())}
    feeds = {s: project.ReporterPriceFeed.at(router.feedOf(t).primary) for s, t in tokens.items()}
    usdc = project.LocalStablecoin.at(tokens["USDC"])
    securities = {s: project.SecurityToken.at(t) for s, t in tokens.items() if s != "USDC"}
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731
    outcome = RiskOutcome()

    def report_day(day) -> int:
        """Reports the day's close on every feed; returns the block of the last report."""
        return max(
            feed.report(
                int(round(float(prices.loc[day, symbol]) * 10**FEED_DECIMALS)),
                sender=acct[PRICE_REPORTER],
            ).block_number
            for symbol, feed in feeds.items()
        )

    def replay(window) -> list:
        return list(prices.loc[window[0] : window[1]].index)

    # --- the calm summer of 2008: the keeper learns the market
    days = replay(CALM_WINDOW)
    act(
        "price keeper",
        f"replay {len(days)} trading days {CALM_WINDOW[0]}..{CALM_WINDOW[1]} onto 5 feeds",
        lambda: [report_day(d) for d in days],
    )
    wait_until(
        lambda: risk.metricsOf(vault)[1] >= 1,
        "the risk keeper's first model update",
        KEEPER_WAIT_SECONDS,
    )

    # --- the fund: an investor, a stand-in venue (until the liquidity venues land), the executor
    venue = project.FixedRateVenue.deploy(sender=acct[GOVERNOR])
    identity = to_checksum_address(keccak(text="demo fund investor")[-20:])
    act(
        "operator",
        "onboard the fund investor (US, institutional)",
        lambda: registry.registerInvestor(
            acct[FUND_INVESTOR], identity, 840, INSTITUTIONAL, FAR_FUTURE, sender=acct[OPERATOR]
        ),
    )
    act(
        "operator",
        "register the demo venue as a verified identity",
        lambda: registry.registerInvestor(
            venue,
            to_checksum_address(keccak(text="demo venue")[-20:]),
            840,
            INSTITUTIONAL,
            FAR_FUTURE,
            sender=acct[OPERATOR],
        ),
    )
    data = vault.setVenue.encode_input(venue, True)
    act(
        "governor",
        "schedule setVenue (1 h timelock)",
        lambda: manager.schedule(vault, data, 0, sender=acct[GOVERNOR]),
    )
    rpc(rpc_url, "evm_increaseTime", [3_601])
    rpc(rpc_url, "evm_mine")
    act(
        "governor",
        "execute setVenue after the delay",
        lambda: manager.execute(vault, data, sender=acct[GOVERNOR]),
    )
    for symbol, token in securities.items():
        if token.paused():
            act("token agent", f"unpause {symbol}", lambda t=token: t.unpause(sender=acct[AGENT]))
        act(
            "token agent",
            f"mint venue inventory of {symbol}",
            lambda t=token: t.mint(venue, 10_000_000 * UNIT, sender=acct[AGENT]),
        )
    act(
        "operator",
        "mint USDC to the investor and the venue",
        lambda: (
            usdc.mint(acct[FUND_INVESTOR], 5_000_000 * USDC_UNIT, sender=acct[OPERATOR]),
            usdc.mint(venue, 50_000_000 * USDC_UNIT, sender=acct[OPERATOR]),
        ),
    )
    usdc.approve(vault, 2**256 - 1, sender=acct[FUND_INVESTOR])
    act(
        "fund investor",
        f"deposit {DEPOSIT_USD:,} USDC",
        lambda: vault.deposit(
            DEPOSIT_USD * USDC_UNIT, acct[FUND_INVESTOR], sender=acct[FUND_INVESTOR]
        ),
    )
    deposited_at = chain.blocks.head.number
    # fresh rounds: the keeper syncs, pricing the snapshot and the NAV per share now
    report_day(days[-1])
    wait_until(
        lambda: synced_since(risk, vault, deposited_at),
        "the risk keeper's sync after the deposit",
        KEEPER_WAIT_SECONDS,
    )

    def set_rates() -> None:
        for token in securities.values():
            p_token, p_usd = router.price(token), router.price(usdc)
            venue.setRate(
                usdc, token, p_usd * 10 ** (18 - 6 + 18) // p_token, sender=acct[GOVERNOR]
            )
            venue.setRate(
                token, usdc, p_token * 10 ** (6 - 18 + 18) // p_usd, sender=acct[GOVERNOR]
            )

    def buy(symbol: str, usd: int):
        call = venue.swap.encode_input(usdc, securities[symbol], usd * USDC_UNIT)
        return vault.trade(
            (usdc, usd * USDC_UNIT, securities[symbol], 0, venue, call), sender=acct[EXECUTOR]
        )

    set_rates()
    for symbol, bps in TARGETS.items():
        try:
            receipt = buy(symbol, DEPOSIT_USD * bps // 10_000)
            log.record(SECTION, "executor", f"buy {symbol} to {bps / 100:.0f}% of NAV", "ok")
            log.actions[-1].gas_used = receipt.gas_used
        except Exception as err:  # noqa: BLE001 - recorded with its decoded reason
            log.record(
                SECTION,
                "executor",
                f"buy {symbol} to {bps / 100:.0f}% of NAV",
                f"refused: {describe(err)}",
            )
    try:
        buy("QOIL", 100_000)
        outcome.refused_before_crash = "accepted (unexpected)"
    except Exception as err:  # noqa: BLE001 - the refusal is the demonstration
        outcome.refused_before_crash = describe(err)
    log.record(
        SECTION, "executor", "buy 10% more QOIL (risk-increasing)", outcome.refused_before_crash
    )

    # --- September-November 2008: the crash, day by day, until the engine halts the fund
    for day in replay(CRASH_WINDOW):
        # The reports' own block, not the head read after them: the keeper's sync may already be
        # mined by then, and a wait for a sync "after the head" would wait for one that never comes.
        last_report = report_day(day)
        label = str(day.date())
        # The engine halts on a sync: one mined after the day's last report has priced the whole
        # day.
        wait_until(
            lambda: synced_since(risk, vault, last_report),  # noqa: B023 - waited on right here
            f"the risk keeper's sync of {label}",
            KEEPER_WAIT_SECONDS,
        )
        halted = bool(risk.isHalted(vault))
        nav = vault.totalAssets() / USDC_UNIT
        outcome.nav_path.append((label, nav, int(risk.metricsOf(vault)[0][1]), halted))
        if halted:
            outcome.halted_on = label
            break
    log.record(
        SECTION,
        "risk keeper + engine",
        "sync after each replayed day",
        f"halted on {outcome.halted_on}" if outcome.halted_on else "never halted",
    )
    if outcome.halted_on:
        set_rates()
        try:
            buy("QSPX", 10_000)
            outcome.refused_when_halted = "accepted (unexpected)"
        except Exception as err:  # noqa: BLE001
            outcome.refused_when_halted = describe(err)
        log.record(SECTION, "executor", "buy QSPX while halted", outcome.refused_when_halted)
        shares = vault.balanceOf(acct[FUND_INVESTOR])
        outcome.withdrew_when_halted = (
            act(
                "fund investor",
                "withdraw 100,000 USDC while halted",
                lambda: vault.withdraw(
                    100_000 * USDC_UNIT,
                    acct[FUND_INVESTOR],
                    acct[FUND_INVESTOR],
                    sender=acct[FUND_INVESTOR],
                ),
            )
            is not None
        )
        outcome.redeemed_in_kind_when_halted = (
            act(
                "fund investor",
                "redeem 10% of shares in kind while halted",
                lambda: vault.redeemInKind(
                    shares // 10,
                    acct[FUND_INVESTOR],
                    acct[FUND_INVESTOR],
                    sender=acct[FUND_INVESTOR],
                ),
            )
            is not None
        )
    return outcome


def synced_since(risk, vault, block: int) -> bool:
    """Whether the engine logged a `Synced` of `vault` in a block after `block` (False while no
    block has been mined since: the log query never runs over an empty range)."""
    from ape import chain

    span = blocks_after(block, chain.blocks.head.number)
    return span is not None and any(
        log.portfolio == vault.address for log in risk.Synced.range(span[0], span[1] + 1)
    )


def _published(stage: Stage):
    from keepers.risk import publications

    return publications(stage.engine, CHAIN_ID, stage.record.address_of("PortfolioVault"))


def show_risk(stage: Stage, risk: RiskOutcome) -> None:
    console.print(
        actions(
            stage.log,
            SECTION,
            110,
            "Risk: 2008 replayed onto the feeds, a fund built, limits enforced",
        )
    )
    console.print(
        table(
            "Risk keeper publications (keeper store): metrics over time",
            (
                "update",
                "as of (block time)",
                "VaR95",
                "VaR99",
                "ES",
                "vol (ann.)",
                "grade",
                "held back",
                "status",
            ),
            [
                (
                    p.update_id,
                    p.as_of,
                    f"{p.metrics['var95_bps']} bp",
                    f"{p.metrics['var99_bps']} bp",
                    f"{p.metrics['es_bps']} bp",
                    f"{p.metrics['volatility_bps'] / 100:.1f}%",
                    "ABCDEF"[p.metrics["grade"]],
                    len(p.clamped),
                    p.status,
                )
                for p in _published(stage)
            ],
        )
    )
    console.print(
        table(
            "Fund NAV through the crash (USDC) and the engine's state",
            ("day", "NAV", "keeper VaR99 (bp)", "halted"),
            [(d, f"{nav:,.0f}", v, h) for d, nav, v, h in risk.nav_path],
        )
    )


def risk_checks(stage: Stage, risk: RiskOutcome) -> dict[str, bool]:
    published = _published(stage)
    return {
        "risk: the keeper published model updates the engine accepted": (
            bool(published) and all(p.status == "confirmed" for p in published)
        ),
        "risk: a risk-increasing trade was refused with its limit": (
            risk.refused_before_crash.startswith("RiskLimitBreached")
        ),
        "risk: the 2008 crash took drawdown past the hard cap and the engine halted the fund": (
            risk.halted_on is not None
        ),
        "risk: halted, new risk refused while withdrawal and in-kind redemption worked": (
            risk.refused_when_halted.startswith("RiskLimitBreached: Halted")
            and risk.withdrew_when_halted
            and risk.redeemed_in_kind_when_halted
        ),
    }


def _run(stage: Stage) -> RiskOutcome:
    from keepers.demo.processes import rpc

    return exercise_risk(stage.log, stage.record, stage.url, rpc)


ACT = Act(
    name="risk",
    step="risk (2008 replay, the risk keeper, the halt)",
    run=_run,
    show=show_risk,
    checks=risk_checks,
    keepers=("risk",),
)
