"""The lifecycle act of the demo: a T-bill money-market fund through the autumn of 2008 and a
two-year note (keepers.demo.lifecycle and keepers.demo.note run them), its tables, and its checks
against the chain, read right after the act (a later act must not change what they compare)."""

from __future__ import annotations

from dataclasses import dataclass

from keepers.core.artifacts import project_at
from keepers.demo.actions import ActionLog
from keepers.demo.lifecycle import PERIODS, LifecycleResult, exercise_lifecycle
from keepers.demo.stage import Act, Stage, actions, console, table


@dataclass
class LifecycleAct:
    result: LifecycleResult
    income_on_chain: bool
    desk_on_chain: bool
    note_on_chain: bool


def run_lifecycle(stage: Stage) -> LifecycleAct:
    from keepers.demo.processes import rpc

    lifecycle = exercise_lifecycle(stage.log, stage.url, rpc, stage.db_url)
    lifecycle.write_report(stage.workdir / "lifecycle-report.json")
    return LifecycleAct(
        lifecycle,
        _income_on_chain(lifecycle),
        _desk_on_chain(lifecycle),
        _note_on_chain(lifecycle.note),
    )


def show_lifecycle_tables(log: ActionLog, lifecycle) -> None:
    """The lifecycle act's tables: the fund's actions, its cut-offs, dividends and holders, the
    note's actions, coupons and redemption."""
    console.print(
        actions(
            log,
            "lifecycle",
            110,
            "Lifecycle: a T-bill money-market fund, autumn 2008 (weekly dealing, "
            "NAV from holdings at French's one-month T-bill rate)",
        )
    )
    console.print(
        table(
            "The fund at each cut-off: NAV, return (NAV x income index) and dividend yields "
            "(annualised) against the T-bill rate's, flows and queue (thousands)",
            ("cut-off", "NAV", "return", "div.", "T-bill", "in $k", "queue k", "out k", "cash $k"),
            [
                (
                    s.history_date,
                    f"{s.nav18 / 10**18:.6f}",
                    f"{s.yield_bps / 100:.2f}%",
                    f"{s.dividend_yield_bps / 100:.2f}%",
                    f"{s.rf_yield_bps / 100:.2f}%",
                    f"{s.subscribed_usdc / 10**9:,.0f}",
                    f"{s.redeem_pending_shares / 10**21:,.0f}",
                    f"{s.redeem_fulfilled_shares / 10**21:,.0f}",
                    f"{s.free_cash_usdc / 10**9:,.0f}",
                )
                for s in lifecycle.strikes
            ],
        )
    )
    console.print(
        table(
            "Flows per settlement asset, one vault each under the FundDesk (thousands; rank: "
            "preference for payouts, the lower the preferred)",
            (
                "asset",
                "type",
                "risk wt",
                "rank",
                "subscribed",
                "vault got",
                "T-bills",
                "recalled",
                "redeemed sh",
                "paid",
            ),
            [
                (
                    asset,
                    f.asset_type.lower().replace("_", " "),
                    f"{f.risk_weight_bps / 100:.0f}%",
                    f.rank,
                    f"{f.subscribed / 10**9:,.0f}",
                    f"{f.received / 10**9:,.0f}",
                    f"{f.invested / 10**9:,.0f}",
                    f"{f.returned / 10**9:,.0f}",
                    f"{f.redeemed_shares / 10**21:,.0f}",
                    f"{f.paid / 10**9:,.0f}",
                )
                for asset, f in lifecycle.flows.items()
            ],
        )
    )
    console.print(
        table(
            "The Lehman-week run through the desk: each request routed to the most preferred "
            "accepted asset whose vault holds the cash for it (free cash / needed, $k)",
            ("investor", "shares k", "accepts", "candidates", "routed", "paid $k"),
            [
                (
                    r.name,
                    f"{r.shares / 10**21:,.0f}",
                    " or ".join(r.accepted),
                    ", ".join(
                        f"{a} rank {c['rank']}: {int(c['free_cash']) / 10**9:,.0f}"
                        f" / {int(c['needed']) / 10**9:,.0f}"
                        for a, c in r.candidates.items()
                    ),
                    r.routed + (" (fallback)" if r.fallback else ""),
                    ", ".join(f"{p / 10**9:,.0f} {a}" for a, p in r.paid.items()),
                )
                for r in lifecycle.routings
            ],
        )
    )
    income = lifecycle.income
    console.print(
        table(
            f"Daily dividends in new shares: {len(lifecycle.declarations)} declarations by the "
            "NAV agent keeper (each week's, in the index at its cut-off)",
            ("week to", "declarations", "shares", "yield", "T-bill"),
            [
                (
                    s.history_date,
                    sum(1 for d in lifecycle.declarations if prev.at < d.at < s.at),
                    f"{s.dividend_shares / 10**18:,.2f}",
                    f"{s.dividend_yield_bps / 100:.2f}%",
                    f"{s.rf_yield_bps / 100:.2f}%",
                )
                for prev, s in zip(lifecycle.strikes, lifecycle.strikes[1:])
            ],
        )
    )
    console.print(
        table(
            "Dividends claimed by each holder (settleIncome) against those declared",
            ("holder", "shares paid"),
            [(name, f"{paid / 10**18:,.6f}") for name, paid in income.paid_shares.items()]
            + [
                ("total paid", f"{income.paid_total / 10**18:,.6f}"),
                ("declared", f"{income.declared_shares / 10**18:,.6f}"),
                (
                    "unpaid: dust",
                    f"{income.unpaid_shares} units (bound {income.dust_bound})",
                ),
            ],
        )
    )
    note = lifecycle.note
    console.print(actions(log, "note", 110, "Lifecycle: a two-year note, serviced on chain"))
    console.print(
        table(
            f"The note {note.isin}: {note.issue_date} to {note.maturity_date} (chain dates), "
            "coupons recorded by the keeper on their record dates, claimed by the holders of "
            "record (USDC)",
            (
                "coupon",
                "record date",
                "payment",
                "per note",
                *(n.split()[0] for n in note.redeemed),
            ),
            [
                (
                    c.number,
                    c.record_date,
                    c.payment_date,
                    f"{c.coupon_per_share / 10**24:.4f}",
                    *(f"{v / 10**6:,.2f}" for v in c.paid.values()),
                )
                for c in note.coupons
            ]
            + [
                (
                    "face",
                    "",
                    note.maturity_date,
                    f"{note.redemption_price / 10**24:.2f}",
                    *(f"{v / 10**6:,.2f}" for v in note.redeemed.values()),
                )
            ],
        )
    )


def _income_on_chain(lifecycle) -> bool:
    """The act's income figures against the chain now: the share's supply, index and declaration
    count, and each holder's paid balance with nothing left pending."""
    from ape import project

    share = project.IncomeShareToken.at(lifecycle.share)
    income = lifecycle.income
    index, declarations, _ = (int(v) for v in share.incomeIndex())
    return (
        int(share.totalSupply()) == income.total_supply
        and (index, declarations) == (income.index, len(lifecycle.declarations))
        and all(int(share.incomeAccountOf(w)[1]) == 0 for w in lifecycle.holders.values())
        and sum(int(share.balanceOf(w)) for w in lifecycle.holders.values())
        == income.total_supply - income.unpaid_shares
    )


def _desk_on_chain(lifecycle) -> bool:
    """The act's desk figures against the chain now: the desk's vaults (in order) and their
    assets, each asset's listing (type, risk weight, rank), one `DeskStruck` per strike naming
    every vault, each vault's strikes at that NAV, and one `RedeemRouted` per run request to the
    vault the act recorded."""
    from ape import chain

    from keepers.lifecycle import SettlementAssetType

    desk = project_at("FundDesk", lifecycle.desk)
    listings = project_at("SettlementAssets", desk.settlementAssets())
    end = chain.blocks.head.number + 1
    vaults = {a: project_at("FundVault", v) for a, v in lifecycle.vaults.items()}
    struck = list(desk.DeskStruck.range(0, end))
    routed = [(str(e.controller), str(e.vault)) for e in desk.RedeemRouted.range(0, end)]
    holders = lifecycle.holders
    listed = all(
        str(vaults[a].asset()) == f.token
        and [int(v) for v in listings.configOf(f.token)[0]][:3]
        == [SettlementAssetType[f.asset_type], f.risk_weight_bps, f.rank]
        for a, f in lifecycle.flows.items()
    )
    return (
        [str(v) for v in desk.vaults()] == list(lifecycle.vaults.values())
        and listed
        and [int(e.nav18) for e in struck] == [s.nav18 for s in lifecycle.strikes]
        and all(int(e.struckMask) == int(desk.allVaultsMask()) for e in struck)
        and all(
            int(v.strikeOf(s.period)[0]) == s.nav18
            for v in vaults.values()
            for s in lifecycle.strikes
        )
        and routed == [(holders[r.name], r.vault) for r in lifecycle.routings]
    )


def _note_on_chain(note) -> bool:
    """The note's figures against the chain now: every coupon recorded, none short, the
    redemption started at face with nothing short, the registry's status Matured, every holder
    paid all it was owed, and the servicer's events the report's."""
    from ape import chain, project

    from keepers.lifecycle import InstrumentStatus, is_valid_isin

    if note is None:
        return False
    servicer = project_at("BondServicer", note.servicer)
    registry = project_at("InstrumentRegistry", servicer.instrumentRegistry())
    token = project.BondShareToken.at(note.token)
    _, last, _, redeeming = servicer.servicing()
    head = chain.blocks.head.number + 1
    recorded = list(servicer.CouponRecorded.range(0, head))
    payments = list(servicer.Paid.range(0, head))
    wallets = {str(e.holder) for e in payments}
    return (
        is_valid_isin(note.isin)
        and int(registry.idOfIsin(note.isin.encode())) == note.instrument_id
        and InstrumentStatus(int(registry.statusOf(note.instrument_id))) is InstrumentStatus.MATURED
        and (int(last), bool(redeeming)) == (len(note.coupons), True)
        and int(servicer.couponPool()[1]) == 0
        and tuple(int(v) for v in servicer.redemptionPool())[0::4]
        == (note.redemption_price, note.redemption_shortfall)
        and [(int(e.number), int(e.couponPerShare), str(e.by)) for e in recorded]
        == [(c.number, c.coupon_per_share, c.recorded_by) for c in note.coupons]
        and int(token.totalSupply()) == sum(note.redeemed_notes.values())
        and sum(int(e.coupons) for e in payments) == sum(sum(c.paid.values()) for c in note.coupons)
        and sum(int(e.redemption) for e in payments) == sum(note.redeemed.values())
        and all(int(servicer.couponsOwed(w)) == int(servicer.redeemable(w)) == 0 for w in wallets)
    )


def show_lifecycle(stage: Stage, outcome: LifecycleAct) -> None:
    show_lifecycle_tables(stage.log, outcome.result)


def lifecycle_checks(stage: Stage, outcome: LifecycleAct) -> dict[str, bool]:
    lifecycle, note = outcome.result, outcome.result.note
    return {
        f"lifecycle: the NAV agent keeper struck {PERIODS} weekly periods, each once": (
            len(lifecycle.strikes) == PERIODS
            and lifecycle.keeper_statuses == ["confirmed"] * PERIODS
        ),
        "lifecycle: the fund returned the 2008 T-bill rate, its yield fell with it (Sep > Oct), "
        "its NAV held at $1.00": lifecycle.nav_follows_rate,
        "lifecycle: the Lehman-week run was gated (10% a period), served pro rata at the NAV": (
            len(lifecycle.gated_periods) >= 2
            and lifecycle.within_gate
            and lifecycle.pro_rata
            and lifecycle.paid_at_nav
            and set(lifecycle.run_paid_usdc) == set(lifecycle.run_requested)
        ),
        "lifecycle: dealt in two settlement assets through the FundDesk: each vault received its "
        "asset's subscriptions, all struck at one NAV, each redemption paid in the asset the "
        "routing rule names": (
            lifecycle.flows_match and lifecycle.routed_by_rule and outcome.desk_on_chain
        ),
        "lifecycle: a dividend declared every business day by the keeper, each once": (
            lifecycle.declared_daily
        ),
        "lifecycle: dividends paid = declared less the token's dust, at French's RF": (
            lifecycle.income_exact and outcome.income_on_chain
        ),
        "lifecycle: the note's 4 coupons recorded by the keeper on their record dates (QuantLib's "
        "amounts), paid to the holders of record": (
            note is not None
            and note.coupons_on_schedule
            and note.holders_changed
            and outcome.note_on_chain
        ),
        "lifecycle: the note matured and was redeemed at face from the issuer's pool": (
            note is not None and note.redeemed_at_face and outcome.note_on_chain
        ),
    }


ACT = Act(
    name="lifecycle",
    step="lifecycle (a money-market fund through 2008, the Lehman-week run)",
    run=run_lifecycle,
    show=show_lifecycle,
    checks=lifecycle_checks,
)
