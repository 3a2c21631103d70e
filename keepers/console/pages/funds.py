"""Funds: the instruments of the instrument registries, each fund's struck NAVs (a chart), its
subscription and redemption queue per period and its gate, income declared and claimed (an
IncomeShareToken share class), upcoming coupons and maturities (a note's schedule and its
BondServicer), fees accrued and collected; the action: strike a fund's period at a NAV.

Where the funds are (keepers.lifecycle's discovery, the read the keepers share): every
InstrumentRegistry of the record, and the registry behind each fund the keepers handle (the NAV
agent's strikes and the fee keeper's collections in the keeper store name the fund; its
`navSource()` names the registry); a fund is shown only where its own NAV source names the
instrument. A fund stack deployed beside the protocol (the
demo's lifecycle act has its own authority) is found that way. The events of what is found
(vaults, desk, share token, servicer, registry) are indexed by an EventIndex of their own.

Bounded: MAX_REGISTRIES registries and MAX_INSTRUMENTS instruments (keepers.lifecycle.discovery's)
each, MAX_HOLDERS holders read for income, NAV_POINTS struck NAVs and PERIOD_ROWS periods shown per
fund."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.calls import ConsoleReads, batch_call
from keepers.console.index import EventIndex
from keepers.console.keeper_store import kept, store_of
from keepers.console.pages import Page
from keepers.console.source import ChainSource
from keepers.core.deployments import DeploymentRecord
from keepers.core.tokens import ERC20
from keepers.core.units import BPS, WAD
from keepers.lifecycle import (
    DISCOVERY_BLOCKS,
    MAX_STORE_FUNDS,
    InstrumentKind,
    InstrumentStatus,
    InstrumentTerms,
    coming_coupons,
    deployment_instruments,
    feed_answer,
    kept_funds,
    move_bps,
    recorded_registries,
    within_move_bound,
)

REGISTRY = "InstrumentRegistry"
MAX_HOLDERS = 500
NAV_POINTS = 500
PERIOD_ROWS = 12
COUPONS_SHOWN = 4
MAX_WHO_FUNDS = 8  # funds whose NAV agents and reporters "who may act" names
ZERO = "0x0000000000000000000000000000000000000000"


def _call(fn: Any, default: Any = None) -> Any:
    """A view that may not exist on this contract (a probe): its value, or `default`."""
    try:
        return fn.call()
    except Exception:  # noqa: BLE001 - no such function, or no code: the probe says no
        return default


def _token(source: ChainSource, address: str) -> dict[str, Any]:
    """An ERC-20's symbol and decimals (read once: they do not change)."""
    known: dict[str, dict[str, Any]] = kept(source, "funds-tokens", dict)
    if address not in known:
        erc20 = source.contract("", address, abi_of=ERC20)
        known[address] = {
            "address": address,
            "symbol": _call(erc20.functions.symbol(), "?"),
            "decimals": int(_call(erc20.functions.decimals(), 18)),
        }
    return known[address]


def _contract_at(source: ChainSource):
    """The console's transport for the domains' readers: (ABI name, address) -> web3 contract."""
    return lambda abi, address: source.contract(abi, address)


def _instruments(source: ChainSource) -> list[dict[str, Any]]:
    """Every instrument the deployment's operators see, with its fund's contracts
    (keepers.lifecycle's `deployment_instruments`, which `quantera instrument|fund` read too:
    a fund is shown only where its NAV source names the instrument), as dicts."""
    recorded = recorded_registries(source.record.contracts)
    engine = store_of(source)
    funds = [] if engine is None else kept_funds(engine, source.chain_id, MAX_STORE_FUNDS)
    parts = deployment_instruments(ConsoleReads(source.w3), _contract_at(source), recorded, funds)
    return [{f.name: getattr(p, f.name) for f in fields(p)} for p in parts]


def discovered(source: ChainSource, head: int) -> list[dict[str, Any]]:
    """`_instruments`, read again every DISCOVERY_BLOCKS blocks (terms are fixed once an instrument
    is active; a new instrument or fund appears within that many blocks); each instrument's state
    is read fresh."""
    cache: dict[str, Any] = kept(source, "funds-discovery", dict)
    # Read again every DISCOVERY_BLOCKS, or on a chain whose head fell by as much (a new chain):
    # a page's index head a few blocks behind an action's latest block is no reason (helper-90 F8).
    stale = head - cache.get("head", 0) >= DISCOVERY_BLOCKS
    if not cache or stale or cache["head"] - head >= DISCOVERY_BLOCKS:
        cache.update(head=head, found=_instruments(source))
        return cache["found"]
    states = batch_call(
        source,
        [(source.contract(REGISTRY, i["registry"]), "stateOf", (i["id"],)) for i in cache["found"]],
        limit=None,
    )
    for item, state in zip(cache["found"], states, strict=True):
        item["state"] = state
    return cache["found"]


def fund_index(source: ChainSource, instruments: list[dict[str, Any]]) -> EventIndex:
    """An EventIndex over what was discovered, kept (and synced on) between reads."""
    contracts: dict[str, str] = {}
    for i in instruments:
        contracts[f"InstrumentRegistry.{i['registry']}"] = i["registry"]
        contracts[f"IncomeShareToken.{i['terms'].share_token}"] = i["terms"].share_token
        for vault in i["vaults"]:
            contracts[f"FundVault.{vault}"] = vault
        if i["desk"]:
            contracts[f"FundDesk.{i['desk']}"] = i["desk"]
        if i["servicer"]:
            contracts[f"BondServicer.{i['servicer']}"] = i["servicer"]
    key = "funds-index:" + ",".join(sorted(contracts))

    def make() -> EventIndex:
        record = DeploymentRecord(
            source.record.network, source.chain_id, source.record.block, dict(contracts)
        )
        return EventIndex(
            ChainSource(source.w3, record, source.abis, source.db_url), family="funds"
        )

    index = kept(source, key, make)
    index.sync()
    return index


def iso_utc(timestamp: int) -> str:
    """A unix time as `YYYY-MM-DD HH:MM:SS` in UTC."""
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _vault(source: ChainSource, events: EventIndex, address: str) -> dict[str, Any]:
    vault = source.contract("FundVault", address)
    asset, share, dealing, gate_bps, held, free_cash, reserved = batch_call(
        source,
        [
            (vault, name, ())
            for name in (
                "asset",
                "share",
                "dealing",
                "gateBps",
                "heldFees",
                "freeCash",
                "reservedAssets",
            )
        ],
    )
    asset = _token(source, asset)
    supply = int(source.contract("", share, abi_of=ERC20).functions.totalSupply().call())
    period, cutoff, deposits, redeems, late_deposits, late_redeems = dealing
    gate_bps = int(gate_bps)
    fee_shares, fee_assets, accrued_at = held
    name = f"FundVault.{address}"
    struck = [e.args for e in events.events(contract=name, names=("PeriodStruck",))]
    collected = [e.args for e in events.events(contract=name, names=("FeesCollected",))]
    periods = [
        {
            "period": int(s["period"]),
            "nav18": str(s["nav18"]),
            "deposit_assets": str(s["depositAssets"]),
            "deposit_shares": str(s["depositShares"]),
            "pending_shares": str(s["pendingShares"]),
            "fulfilled_shares": str(s["fulfilledShares"]),
            "carried_shares": str(int(s["pendingShares"]) - int(s["fulfilledShares"])),
            "gated": int(s["fulfilledShares"]) < int(s["pendingShares"]),
        }
        for s in struck
    ]
    return {
        "address": address,
        "asset": asset,
        "open_period": int(period),
        "cutoff": int(cutoff),
        "pending_deposit_assets": str(deposits),
        "pending_redeem_shares": str(redeems),
        "late_deposit_assets": str(late_deposits),
        "late_redeem_shares": str(late_redeems),
        "gate_bps": gate_bps,
        "gate_shares": str(supply * gate_bps // BPS),
        "free_cash": str(free_cash),
        "reserved_assets": str(reserved),
        "fees_owed_shares": str(fee_shares),
        "fees_held_assets": str(fee_assets),
        "fees_accrued_at": int(accrued_at),
        "fees_collected_shares": str(sum(int(c["shares"]) for c in collected)),
        "fees_collected_assets": str(sum(int(c["assets"]) for c in collected)),
        "fees_collections": len(collected),
        "periods": periods[-PERIOD_ROWS:][::-1],
        "periods_struck": len(periods),
    }


def _nav_history(events: EventIndex, clock: str) -> list[dict[str, Any]]:
    return [
        {"period": int(e.args["period"]), "time": e.block_time, "nav18": str(e.args["nav18"])}
        for e in events.events(contract=f"FundVault.{clock}", names=("PeriodStruck",))
    ][-NAV_POINTS:]


def _income(source: ChainSource, events: EventIndex, share: str) -> dict[str, Any] | None:
    token = source.contract("IncomeShareToken", share)
    index = _call(token.functions.incomeIndex())
    if index is None:
        return None
    name = f"IncomeShareToken.{share}"
    declared = [e.args for e in events.events(contract=name, names=("IncomeDeclared",))]
    holders = list(
        dict.fromkeys(e.args["to"] for e in events.events(contract=name, names=("Transfer",)))
    )
    holders = [h for h in holders if h != ZERO][-MAX_HOLDERS:]
    accounts = batch_call(source, [(token, "incomeAccountOf", (h,)) for h in holders], limit=None)
    balances = batch_call(source, [(token, "balanceOf", (h,)) for h in holders], limit=None)
    unclaimed = sum(int(b) - int(a[0]) for a, b in zip(accounts, balances, strict=True))
    total = sum(int(d["shares"]) for d in declared)
    return {
        "declarations": int(index[1]),
        "last_declared_at": int(index[2]),
        "index": str(index[0]),
        "declared_shares": str(total),
        "unclaimed_shares": str(unclaimed),
        "claimed_shares": str(total - unclaimed),
        "holders": len(holders),
    }


def _coupons(
    source: ChainSource, events: EventIndex, item: dict[str, Any], today: dt.date
) -> dict[str, Any]:
    terms: InstrumentTerms = item["terms"]
    coming = []
    try:
        coming = coming_coupons(terms, today, COUPONS_SHOWN)
    except Exception:  # noqa: BLE001 - terms without a schedule (a fund): no coupons
        coming = []
    recorded = []
    if item["servicer"]:
        recorded = [
            int(e.args["number"])
            for e in events.events(
                contract=f"BondServicer.{item['servicer']}", names=("CouponRecorded",)
            )
        ]
    return {
        "coming": [
            {
                "number": c.number,
                "record_date": c.record_date.isoformat(),
                "payment_date": c.payment_date.isoformat(),
                "per_unit": str(c.amount_per_unit) if c.amount_per_unit is not None else None,
            }
            for c in coming
        ],
        "recorded": recorded,
    }


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    now = source.block_time()
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    found = discovered(source, index.head)
    events = fund_index(source, found)
    instruments, funds, maturities = [], [], []
    for item in found:
        terms: InstrumentTerms = item["terms"]
        state = item["state"]
        registry = source.contract(REGISTRY, item["registry"])
        nav, _, nav_at = _call(registry.functions.latestNav(item["id"]), (0, 0, 0))
        status = InstrumentStatus(int(state[1])).name.lower().replace("_", " ")
        share = _token(source, terms.share_token)
        row = {
            "registry": item["registry"],
            "id": item["id"],
            "isin": terms.isin,
            "kind": InstrumentKind(terms.kind).name.lower().replace("_", " "),
            "status": status,
            "share": share,
            "fund": item["fund"],
            "desk": item["desk"],
            "servicer": item["servicer"],
            "nav18": str(nav),
            "nav": float(Decimal(int(nav)) / WAD),
            "nav_at": int(nav_at),
            "max_nav_move_bps": int(state[5]),
            "maturity_date": terms.maturity_date,
        }
        instruments.append(row)
        if terms.maturity_date:
            maturities.append(
                {
                    "isin": terms.isin,
                    "id": item["id"],
                    "maturity_date": terms.maturity_date,
                    "days_left": (terms.maturity_date - now) // 86_400,
                    "status": status,
                    **_coupons(source, events, item, today),
                }
            )
        if not item["vaults"]:
            continue
        clock = item["vaults"][0]
        history = _nav_history(events, clock)
        chart = {
            "data": [
                {
                    "x": [iso_utc(p["time"]) for p in history],
                    "y": [int(p["nav18"]) / WAD for p in history],
                    "text": [f"period {p['period']}" for p in history],
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": terms.isin,
                }
            ],
            "layout": {"title": {"text": f"{terms.isin}: struck NAV per share"}},
        }
        funds.append(
            {
                "isin": terms.isin,
                "id": item["id"],
                "address": item["desk"] or item["vaults"][0],
                "desk": item["desk"],
                "share": share,
                "nav_history": history,
                "chart": chart,
                "vaults": [_vault(source, events, v) for v in item["vaults"]],
                "income": _income(source, events, terms.share_token),
            }
        )
    return {
        "chain_time": now,
        "registries": sorted({i["registry"] for i in found}),
        "instruments": instruments,
        "funds": funds,
        "maturities": sorted(maturities, key=lambda m: m["maturity_date"]),
    }


# ------------------------------------------------------------------------------------- actions


def _nav18(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ActionInputError(f"NAV: {text!r} is not a number (e.g. 1.0002)") from None
    if not value.is_finite() or value <= 0:
        raise ActionInputError(f"NAV: {text} must be above zero")
    nav18 = value * WAD
    if nav18 != nav18.to_integral_value():
        raise ActionInputError(f"NAV: {text} has more than 18 decimals")
    return int(nav18)


def _strike(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """Reports the NAV on the share's price feed, then strikes the fund (the desk: every due vault
    at that NAV), checked as the chain will check it: the open period, its cut-off, the NAV's
    move bound."""
    fund = form["fund"]
    claims = [i for i in _instruments(source) if fund in (i["desk"], *i["vaults"]) and i["vaults"]]
    if not claims:
        raise ActionInputError(f"Fund: {fund} is no fund of the deployment's instruments")
    if len(claims) > 1:  # discovery keeps a fund under the one instrument it deals in: defence
        named = ", ".join(f"{i['terms'].isin or i['id']}" for i in claims)
        raise ActionInputError(f"Fund: {fund} is claimed by {len(claims)} instruments ({named})")
    (item,) = claims
    target = item["desk"] or fund
    clock = source.contract("FundVault", item["vaults"][0])
    period, cutoff, *_ = clock.functions.dealing().call()
    if form["period"] != int(period):
        raise ActionInputError(f"Period: {form['period']} is not the fund's open period ({period})")
    now = source.block_time()
    if now < int(cutoff):
        raise ActionInputError(
            f"Period: {period}'s cut-off {iso_utc(cutoff)} UTC has not passed (chain time "
            f"{iso_utc(now)} UTC)"
        )
    nav18 = _nav18(form["nav"])
    registry = source.contract(REGISTRY, item["registry"])
    previous, _, _ = _call(registry.functions.latestNav(item["id"]), (0, 0, 0))
    max_bps = int(item["state"][5])
    if not within_move_bound(int(previous), nav18, max_bps):
        moved = move_bps(int(previous), nav18)
        raise ActionInputError(
            f"NAV: {form['nav']} moves {moved:.2f} bps from the last NAV "
            f"{Decimal(int(previous)) / WAD}: above the registry's {max_bps} bps bound"
        )
    router = source.contract("OracleRouter", registry.functions.oracle().call())
    feed_address = router.functions.feedOf(item["terms"].share_token).call()[0]
    feed = source.contract("ReporterPriceFeed", feed_address)
    answer = feed_answer(nav18, int(feed.functions.decimals().call()))
    if answer == 0:
        raise ActionInputError(f"NAV: {form['nav']} is below the feed's smallest unit")
    return [
        Call("ReporterPriceFeed", "report", (answer,), address=feed_address),
        Call("FundDesk" if item["desk"] else "FundVault", "strike", (), address=target),
    ]


def _who_strikes(source: ChainSource) -> list[str]:
    """Who may report each fund's NAV and strike it (issue 33 §3): a fund's stack may answer to
    an AccessManager of its own, found from the fund itself (its `authority()`), with its role
    holders; at most MAX_WHO_FUNDS funds; a fund whose contracts do not answer says so in its own
    line, the others' lines stand."""
    lines = []
    cached = kept(source, "funds-discovery", dict).get("found")  # the page's own discovery
    found = cached if cached is not None else _instruments(source)
    for item in [i for i in found if i["vaults"]][:MAX_WHO_FUNDS]:
        # The fund's address beside its ISIN: an ISIN is the issuer's twelve bytes, not unique.
        isin = item["terms"].isin or f"instrument {item['id']}"
        label = f"{isin} ({item['desk'] or item['vaults'][0]})"
        try:
            lines += _who_strikes_fund(source, item, label)
        except Exception:  # noqa: BLE001 - one fund's failed read is that fund's line only
            lines.append(f"{label}: who may strike could not be read")
    return lines


def _who_strikes_fund(source: ChainSource, item: dict[str, Any], label: str) -> list[str]:
    from keepers.console.actions import MANAGER, manager_of, selector_of, who_may_call

    record_manager = source.contract(MANAGER) if source.has(MANAGER) else None
    target = item["desk"] or item["vaults"][0]
    fund = source.contract("FundDesk" if item["desk"] else "FundVault", target)
    manager = manager_of(source, fund, record_manager)
    if manager is None:
        return []
    registry = source.contract(REGISTRY, item["registry"])
    router = source.contract("OracleRouter", registry.functions.oracle().call())
    feed_address = router.functions.feedOf(item["terms"].share_token).call()[0]
    feed = source.contract("ReporterPriceFeed", feed_address)
    feed_manager = manager_of(source, feed, record_manager)
    lines = []
    if feed_manager is not None:
        report = selector_of(feed, "report")
        lines.append(
            who_may_call(source, feed_manager, feed_address, report, f"{label}'s NAV report")
        )
    strike = selector_of(fund, "strike")
    lines.append(who_may_call(source, manager, target, strike, f"{label}'s strike"))
    return lines


STRIKE = Action(
    name="funds-strike",
    title="Strike a fund period",
    fields=(
        Field(
            "fund",
            "Fund",
            "address",
            "the fund's desk (or its vault)",
            picks=("funds", "desk", "isin"),
        ),
        Field("period", "Period", "uint", "the open period, past its cut-off"),
        Field("nav", "NAV per share", "text", "e.g. 1.000125 (in the fund's currency)"),
    ),
    build=_strike,
    help="Two calls: the NAV reported on the share's price feed (PRICE_REPORTER), then the "
    "strike (NAV_AGENT), which prices the period's requests at it and applies the gate.",
    who=_who_strikes,
)

PAGE = Page("funds", "Funds", read, (STRIKE,), charts=True)
