"""Prime brokerage: the margin accounts (each `AccountOpened` of the PrimeBroker) with their health
— the ratio of adjusted collateral to adjusted debt, coloured by their tier's ratios — credit use
(debt against the credit line's limit), tier and halted flag; the open margin calls with their
deadlines; the recent liquidations and bad debt (the event index); and each lending pool's
utilisation, borrow rate, cash, debt, reserves and realised bad debt.

Figures are the chain's: `health` is the margin module's view served at the broker's address
(IPrimeViews), read with the PrimeViews ABI there; the pools' `state()`; the top-up of a called
account its `topUp`. Bounded: the newest MAX_ACCOUNTS accounts opened (three views each, read in
one JSON-RPC batch with the tiers and the pools; the open calls' top-ups in a second), the newest
MAX_LIQUIDATIONS liquidations and MAX_BAD_DEBTS bad-debt records.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from eth_utils import to_checksum_address

from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.calls import ConsoleReads, batch_call
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.pages import Page
from keepers.console.pages.funds import iso_utc
from keepers.console.prices import token_meta
from keepers.console.source import ChainSource, ConsoleError
from keepers.core.deploying import is_implementation
from keepers.core.units import BPS, WAD, human_duration
from keepers.prime import NO_DEBT_RATIO, BookView, read_book, top_ups

BROKER = "PrimeBroker"
ENGINE = "RiskEngine"
MARGIN_ABI = "PrimeViews"  # the views module's views, served at the broker's address
POOL_PREFIX = "LendingPool."
MAX_ACCOUNTS = 100
MAX_LIQUIDATIONS = 20
MAX_BAD_DEBTS = 20
CREDIT_WARN_SHARE = 0.8  # credit use at or above this share of the limit: warn; above it: bad
_assets_lock = threading.Lock()
_assets: dict[tuple[int, str], str] = {}  # (chain id, pool) -> its asset
TIER_FIELDS = (
    "initial_bps",
    "maintenance_bps",
    "liquidation_bps",
    "close_factor_bps",
    "bonus_bps",
    "grace_period",
)


def ratio_level(ratio_bps: int, tier: dict[str, int], liquidatable: bool) -> str:
    """ok at or above maintenance; warn below it (a margin call may be issued); bad below the
    liquidation ratio or once the account may be liquidated."""
    if liquidatable or ratio_bps < tier["liquidation_bps"]:
        return "bad"
    return "warn" if ratio_bps < tier["maintenance_bps"] else "ok"


def credit_level(debt_usd18: int, limit_usd18: int) -> str:
    if debt_usd18 == 0:
        return "ok"
    if limit_usd18 == 0 or debt_usd18 > limit_usd18:
        return "bad"
    return "warn" if debt_usd18 >= CREDIT_WARN_SHARE * limit_usd18 else "ok"


def broker_events(index: EventIndex, name: str, block: int) -> list[ChainEvent]:
    """The broker's `name` events up to `block`: the index may have moved past the block the page
    reads the chain at while it reads (the live feed syncs it meanwhile)."""
    return index.events(contract=BROKER, names=[name], until_block=block)


def accounts_opened(index: EventIndex, block: int) -> list[str]:
    """Every account opened on the broker up to `block`, in opening order (an account opens
    once)."""
    seen: dict[str, None] = {}
    for e in broker_events(index, "AccountOpened", block):
        seen.setdefault(to_checksum_address(e.args["account"]), None)
    return list(seen)


def _usd(usd18: int) -> float:
    return usd18 / WAD


def account_rows(index: EventIndex, block: int, now: int, book: BookView) -> list[dict[str, Any]]:
    """The book's accounts as the page shows them, lowest ratio first."""
    called = {
        to_checksum_address(e.args["account"]): e
        for e in broker_events(index, "MarginCalled", block)
    }
    rows = []
    for view in book.accounts:
        h = view.health  # the call's last sighting (SEC-24) is not shown
        ratio, limit = h.ratio_bps, view.limit_usd
        tier = book.tiers.get(view.tier)
        terms = asdict(tier) if tier else dict.fromkeys(TIER_FIELDS, 0)
        no_debt = ratio == NO_DEBT_RATIO
        call = called.get(view.account) if h.margin_call_at else None
        rows.append(
            {
                "account": view.account,
                "collateral_usd18": h.collateral_usd,
                "adjusted_collateral_usd18": h.adjusted_collateral_usd,
                "debt_usd18": h.debt_usd,
                "adjusted_debt_usd18": h.adjusted_debt_usd,
                "collateral_usd": _usd(h.collateral_usd),
                "adjusted_collateral_usd": _usd(h.adjusted_collateral_usd),
                "debt_usd": _usd(h.debt_usd),
                "adjusted_debt_usd": _usd(h.adjusted_debt_usd),
                # A str: above 2**53 a JSON number loses digits (no debt: 2**256 - 1).
                "ratio_bps": str(ratio),
                "ratio_percent": None if no_debt else ratio / 100,
                "level": "ok" if no_debt else ratio_level(ratio, terms, h.liquidatable),
                "liquidatable": h.liquidatable,
                "limit_usd18": limit,
                "limit_usd": _usd(limit),
                "spread_bps": view.spread_bps,
                "credit_use_bps": h.debt_usd * BPS // limit if limit else None,
                "credit_level": credit_level(h.debt_usd, limit),
                "tier": view.tier,
                "tier_terms": terms,
                "halted": view.halted,
                "margin_call_at": h.margin_call_at,
                "deadline": h.deadline,
                "seconds_left": max(h.deadline - now, 0) if h.margin_call_at else None,
                "time_left": human_duration(h.deadline - now) if h.margin_call_at else None,
                "shortfall_usd18": int(call.args["shortfallUsd"]) if call else None,
            }
        )
    rows.sort(key=lambda r: (int(r["ratio_bps"]), r["account"]))
    return rows


CALL_FIELDS = (
    "account",
    "account_name",
    "ratio_bps",
    "ratio_percent",
    "level",
    "margin_call_at",
    "deadline",
    "seconds_left",
    "time_left",
    "shortfall_usd18",
    "liquidatable",
)


def margin_call_rows(
    source: ChainSource,
    accounts: list[dict[str, Any]],
    pools: list[dict[str, Any]],
    block: int,
) -> list[dict[str, Any]]:
    """The accounts with an open call, soonest deadline first, each with the top-up that brings
    it back to initial margin (`topUp`, one more batch) in the pools' cash asset: the pool asset
    with the lowest haircut (a stablecoin's is 0)."""
    called = sorted((a for a in accounts if a["margin_call_at"]), key=lambda a: a["deadline"])
    rows = [
        {**{k: a[k] for k in CALL_FIELDS}, "top_up_symbol": None, "top_up_units": None}
        for a in called
    ]
    cash = min(pools, key=lambda p: p["haircut_bps"], default=None)
    if not rows or cash is None or cash["haircut_bps"] >= BPS:
        return rows
    margin = source.contract(MARGIN_ABI, source.address(BROKER), abi_of=MARGIN_ABI)
    accounts_called = [a["account"] for a in called]
    units_due = top_ups(ConsoleReads(source.w3), margin, accounts_called, cash["asset"], block)
    for row, units in zip(rows, units_due, strict=True):
        row.update(top_up_symbol=cash["symbol"], top_up_units=units)
        if units is not None:
            row["top_up_display"] = f"{units / 10 ** cash['decimals']:,.2f}"
    return rows


def pool_names(source: ChainSource) -> list[str]:
    """The record's lending pools (their proxies; a proxy's code is no pool of its own)."""
    return sorted(
        n for n in source.record.contracts if n.startswith(POOL_PREFIX) and not is_implementation(n)
    )


def pool_assets(source: ChainSource, names: list[str]) -> dict[str, str]:
    """Pool record name -> its asset (ERC-4626 `asset()`, immutable: read once per process)."""
    with _assets_lock:
        missing = [n for n in names if (source.chain_id, source.address(n)) not in _assets]
    if missing:
        assets = batch_call(source, [(source.contract(n), "asset", ()) for n in missing])
        with _assets_lock:
            for name, asset in zip(missing, assets, strict=True):
                _assets[(source.chain_id, source.address(name))] = to_checksum_address(asset)
    with _assets_lock:
        return {n: _assets[(source.chain_id, source.address(n))] for n in names}


def pool_rows(source: ChainSource, book: BookView) -> list[dict[str, Any]]:
    meta = token_meta(source, [p.asset for p in book.pools])
    names = {source.address(n): n for n in pool_names(source)}
    rows = []
    for p in book.pools:
        # assigned_debt: the debt written off beside a claim and still carried at face (SEC-231,
        # SEC-234); locked_restoration: the lenders' restored loss still unlocking (SEC-241).
        symbol, decimals = meta[p.asset]
        unit = 10**decimals
        util, kink = p.utilisation_bps, p.kink_bps
        rows.append(
            {
                "pool": p.pool,
                "name": names[p.pool],
                "asset": p.asset,
                "symbol": symbol,
                "decimals": decimals,
                "haircut_bps": p.haircut_bps,
                "cash": p.cash,
                "total_debt": p.total_debt,
                "reserves": p.reserves,
                "bad_debt_realised": p.bad_debt_realised,
                "bad_debt_absorbed": p.bad_debt_absorbed,
                "assigned_debt": p.assigned_debt,
                "cash_display": f"{p.cash / unit:,.2f}",
                "total_debt_display": f"{p.total_debt / unit:,.2f}",
                "reserves_display": f"{p.reserves / unit:,.2f}",
                "bad_debt_realised_display": f"{p.bad_debt_realised / unit:,.2f}",
                "bad_debt_absorbed_display": f"{p.bad_debt_absorbed / unit:,.2f}",
                "assigned_debt_display": f"{p.assigned_debt / unit:,.2f}",
                "locked_restoration": p.locked_restoration,
                "locked_restoration_display": f"{p.locked_restoration / unit:,.2f}",
                "restoration_unlocks_at": p.restoration_unlocks_at,
                "restoration_unlocks_display": (
                    iso_utc(p.restoration_unlocks_at) if p.restoration_unlocks_at else ""
                ),
                "borrow_index_ray": str(p.borrow_index_ray),
                "utilisation_bps": util,
                "borrow_rate_bps": p.borrow_rate_bps,
                "kink_bps": kink,
                "level": "bad" if util >= BPS else ("warn" if util > kink else "ok"),
            }
        )
    return rows


def read_liquidations(source: ChainSource, index: EventIndex, block: int) -> list[dict[str, Any]]:
    events = broker_events(index, "Liquidated", block)[-MAX_LIQUIDATIONS:]
    meta = token_meta(
        source, sorted({e.args[k] for e in events for k in ("debtAsset", "collateralAsset")})
    )
    rows = []
    for e in reversed(events):
        a = e.args
        debt_sym, debt_dec = meta[a["debtAsset"]]
        coll_sym, coll_dec = meta[a["collateralAsset"]]
        rows.append(
            {
                "block": e.block_number,
                "time": e.block_time,
                "tx": e.tx_hash,
                "log_index": e.log_index,
                "account": a["account"],
                "liquidator": a["liquidator"],
                "debt_symbol": debt_sym,
                "collateral_symbol": coll_sym,
                "repaid": int(a["repaid"]),
                "seized": int(a["seized"]),
                "proceeds": int(a["proceeds"]),
                "repaid_display": f"{int(a['repaid']) / 10**debt_dec:,.2f}",
                "seized_display": f"{int(a['seized']) / 10**coll_dec:,.4f}",
                "ratio_before_bps": int(a["ratioBeforeBps"]),
                "ratio_after_bps": int(a["ratioAfterBps"]),
            }
        )
    return rows


def read_bad_debts(source: ChainSource, index: EventIndex, block: int) -> list[dict[str, Any]]:
    events = broker_events(index, "BadDebt", block)[-MAX_BAD_DEBTS:]
    meta = token_meta(source, sorted({e.args["asset"] for e in events}))
    return [
        {
            "block": e.block_number,
            "time": e.block_time,
            "tx": e.tx_hash,
            "account": e.args["account"],
            "symbol": meta[e.args["asset"]][0],
            "amount": int(e.args["amount"]),
            "amount_display": f"{int(e.args['amount']) / 10 ** meta[e.args['asset']][1]:,.2f}",
        }
        for e in reversed(events)
    ]


def _ratio_chart(accounts: list[dict[str, Any]]) -> dict[str, Any]:
    """Each indebted account's ratio against its tier's maintenance and liquidation ratios."""
    indebted = [a for a in accounts if a["ratio_percent"] is not None]
    labels = [a["account"][:10] + "…" for a in indebted]
    colours = {"ok": "#1a7f37", "warn": "#b58100", "bad": "#c62828"}  # console.css
    return {
        "data": [
            {
                "type": "bar",
                "name": "ratio",
                "x": labels,
                "y": [a["ratio_percent"] for a in indebted],
                "marker": {"color": [colours[a["level"]] for a in indebted]},
            },
            *(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": labels,
                    "y": [a["tier_terms"][key] / 100 for a in indebted],
                    "marker": {
                        "symbol": "line-ew-open",
                        "size": 24,
                        "color": colour,
                        "line": {"width": 3, "color": colour},
                    },
                }
                for name, key, colour in (
                    ("maintenance", "maintenance_bps", "#1f5fbf"),
                    ("liquidation", "liquidation_bps", "#111111"),
                )
            ),
        ],
        "layout": {
            "title": {"text": "Account ratios (%) and their tier's thresholds"},
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 60},
            "yaxis": {"title": {"text": "%"}},
            "showlegend": True,
        },
    }


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    """Read at the index's head in one JSON-RPC batch (a second one for the top-ups when a margin
    call is open)."""
    if not source.has(BROKER):
        raise ConsoleError("the deployment has no PrimeBroker (the deploy script's step 7)")
    block = index.head
    now = source.block_time(block)
    broker = source.contract(BROKER)
    opened = accounts_opened(index, block)
    shown = opened[-MAX_ACCOUNTS:]
    names = pool_names(source)
    assets = pool_assets(source, names)
    margin = source.contract(MARGIN_ABI, broker.address, abi_of=MARGIN_ABI)
    pools = [(source.contract(n), assets[n]) for n in names]
    book = read_book(ConsoleReads(source.w3), broker, margin, pools, shown, block)
    accounts = account_rows(index, block, now, book)
    # Each account's name in the deployment's address book, next to its raw address (None: none).
    book_names = source.record.accounts
    for row in accounts:
        row["account_name"] = book_names.get(row["account"])
    pools_shown = pool_rows(source, book)
    return {
        "block": block,
        "chain_time": now,
        "broker": broker.address,
        "book_halted": book.halted,
        "tiers": [{"tier": k, **asdict(t)} for k, t in sorted(book.tiers.items())],
        "accounts": accounts,
        "accounts_opened": len(opened),
        "max_accounts": MAX_ACCOUNTS,
        "margin_calls": margin_call_rows(source, accounts, pools_shown, block),
        "liquidations": read_liquidations(source, index, block),
        "max_liquidations": MAX_LIQUIDATIONS,
        "bad_debts": read_bad_debts(source, index, block),
        "max_bad_debts": MAX_BAD_DEBTS,
        "pools": pools_shown,
        "ratio_chart": _ratio_chart(accounts),
        "credit_warn_share": CREDIT_WARN_SHARE,
    }


# ---------------------------------------------------------------- actions


def _halt(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """halt (GUARDIAN, at once) or resume (GOVERNOR, behind its delay) of an open account, or of
    the whole book (the zero address), whose state it changes."""
    account, operation = form["account"], form["operation"]
    broker = source.contract(BROKER)
    is_open, halted, book_halted = batch_call(
        source,
        [
            (broker, "isOpen", (account,)),
            (broker, "isHalted", (account,)),
            (broker, "bookHalted", ()),
        ],
    )
    book = int(account, 16) == 0
    if book:
        halted = book_halted
    elif not is_open:
        raise ActionInputError(f"Account: {account} has no margin account on the PrimeBroker")
    what = "the whole book" if book else account
    # Halts are the RiskEngine's: the broker itself for the whole book, the identity for one.
    subject = source.address(BROKER) if book else account
    if operation == "halt":
        if halted:
            why = " (the whole book is)" if book_halted and not book else ""
            raise ActionInputError(f"Account: {what} is already halted{why}")
        return [Call(ENGINE, "halt", (subject,))]
    if not halted:
        raise ActionInputError(f"Account: {what} is not halted")
    if book_halted and not book:
        raise ActionInputError("Account: the whole book is halted; resume the book first")
    return [Call(ENGINE, "resume", (subject, False))]


HALT = Action(
    name="prime-account-halt",
    title="Halt or resume a margin account",
    fields=(
        Field(
            "account",
            "Account",
            "address",
            "the account's identity (an AccountOpened); 0x0000…0000: the whole book",
            picks=("accounts", "account", "account"),
        ),
        Field("operation", "Operation", "choice", choices=("halt", "resume"), default="halt"),
    ),
    build=_halt,
    help="At the RiskEngine, whose halts bind the broker. Halt: the GUARDIAN, at once (no borrow, "
    "withdrawal or risk-increasing swap; deposits, repayments and liquidations go on). Resume: "
    "the GOVERNOR, behind its delay. The zero address: the whole book (the engine's halt of the "
    "broker).",
    calls=((ENGINE, "halt"), (ENGINE, "resume")),
)

PAGE = Page("prime", "Prime brokerage", read, (HALT,), charts=True)
