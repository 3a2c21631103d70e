"""`quantera instrument ...` and `quantera fund ...`: instruments in the registry (register from a
terms file, show, coupon schedule, activate, suspend) and a fund's dealing (ERC-7540 requests and
claims, the NAV agent's strike, an investor's position, the fund's period and queue) and fees
(what each fund owes its fee recipient, and the fee keeper's collection cycle).

Every command takes `--json`; bad input fails with one line and exit 1 before anything is sent
(identifiers are checked here first), and a revert is reported as one line naming the error and its
arguments. Only click and rich load with the CLI: ape, QuantLib and arch load when a command runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from keepers.core.artifacts import project_at
from keepers.core.cli_options import account_option, json_option, network_option
from keepers.core.errors import QuanteraError, send_or_explain
from keepers.core.jsonable import echo_json
from keepers.core.terminal import print_table
from keepers.core.units import parse_units

fund_option = click.option(
    "--fund",
    "fund_ref",
    default=None,
    help="Instrument id, ISIN or vault address (default: the deployment's only fund).",
)


def _emit(data: Any, as_json: bool, table: Table | None = None, lines: list[str] = ()) -> None:
    if as_json:
        echo_json(data)
        return
    if table is not None:
        print_table(table)
    for line in lines:
        click.echo(line)


def _shown(title: str, rows: dict[str, Any], kinds: dict[str, Any], record) -> Table:
    """`rows` in their units, addresses named from `record` (keepers.core.shown)."""
    from keepers.core.shown import record_names, shown_table

    return shown_table(title, rows, kinds, record_names(record))


def _label_of(fund) -> str:
    """A fund as a person names it: its share class's symbol and address."""
    return f"{fund.share.symbol()} ({fund.address})"


def _table(title: str, rows: dict[str, Any]) -> Table:
    from keepers.core.terminal import plain  # chain text shown literally, never as markup

    table = Table(title=plain(title))
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in rows.items():
        text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        table.add_row(plain(key), plain(text))
    return table


def _fund_kinds(fund, decimals_of) -> dict[str, Any]:
    """The kinds of a fund's figures (keepers.core.shown): its settlement asset's and its share's
    amounts in their units, NAVs per share, times, durations, basis points and addresses.
    `decimals_of(token)`: the view's decimals read."""
    from keepers.core.shown import ADDRESS, BPS_KIND, DURATION, TIME, Amount, Price

    share_symbol = str(fund.share.symbol())
    asset = Amount(decimals_of(fund.asset.address), str(fund.asset.symbol()))
    share = Amount(decimals_of(fund.share.address), share_symbol)
    kinds: dict[str, Any] = dict.fromkeys(("vault", "share", "asset", "custodian"), ADDRESS)
    kinds["account"] = ADDRESS
    kinds |= {k: TIME for k in ("cutoff", "nav_time")}
    kinds |= {"gate_bps": BPS_KIND, "dealing_interval": DURATION, "nav18": Price(share_symbol)}
    for key in ("pending_deposit_assets", "late_deposit_assets", "reserved_assets", "free_cash"):
        kinds[key] = asset
    kinds |= {"claimable_deposit_assets": asset, "claimable_redeem_assets": asset}
    for key in ("pending_redeem_shares", "late_redeem_shares", "share_supply", "shares"):
        kinds[key] = share
    kinds |= {"claimable_deposit_shares": share, "claimable_redeem_shares": share}
    return kinds


def _send(what: str, call, *args, account) -> Any:
    """Sends `call(*args)` from `account`; a revert becomes a one-line QuanteraError."""
    return send_or_explain(what, lambda: call(*args, sender=account))


def _date(timestamp: int) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat() if timestamp else None


def _amount(units: int, decimals: int) -> str:
    return str(Decimal(units) / (Decimal(10) ** decimals))


# ============================================================================ instrument


@click.group()
def instrument() -> None:
    """Instruments in the InstrumentRegistry: register, list, show, schedule, activate, suspend."""


def _resolver(record):
    """Record name or address -> address (a one-line error for an unknown name)."""

    def resolve(value: str) -> str:
        if value.startswith("0x") and len(value) == 42:
            return value
        if value in record.contracts:
            return record.contracts[value]
        raise QuanteraError(f"{value!r} is neither an address nor a contract of the record")

    return resolve


def terms_json(terms) -> dict:
    from keepers.lifecycle.instruments import FLOATING_INDEXES

    coupon, call = terms.coupon, terms.call
    index_names = {v: k for k, v in FLOATING_INDEXES.items()}
    return {
        "kind": terms.kind.name.lower(),
        "isin": terms.isin,
        "cusip": terms.cusip or None,
        "currency": terms.currency,
        "share_token": terms.share_token,
        "settlement_assets": list(terms.settlement_assets),
        "face_value": _amount(terms.face_value, 18),
        "issue_date": _date(terms.issue_date),
        "maturity_date": _date(terms.maturity_date),
        "coupon": {
            "fixed_rate_bps": coupon.fixed_rate_bps,
            "floating_index": index_names.get(coupon.floating_index, coupon.floating_index)
            if coupon.floating_index
            else None,
            "spread_bps": coupon.spread_bps,
            "frequency": coupon.frequency,
            "day_count": coupon.day_count.name.lower(),
            "roll": coupon.roll.name.lower(),
            "record_date_offset_days": coupon.record_date_offset_days,
        },
        "call": {
            "callable": call.callable,
            "first_call_date": _date(call.first_call_date),
            "call_price_bps": call.call_price_bps,
        },
    }


@instrument.command("register")
@click.option(
    "--terms",
    "terms_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="YAML or JSON terms (see keepers/lifecycle/terms_file.py).",
)
@network_option
@account_option
@json_option
def instrument_register(
    terms_file: Path, network_choice: str, account_alias: str, as_json: bool
) -> None:
    """Register an instrument as its issuer (the account): terms checked here first."""
    from keepers.core.chain import connected, load_account, unlock_account
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.terms_file import load_terms

    if not terms_file.is_file():
        raise QuanteraError(f"{terms_file}: no such file")
    # The identifiers and the form of every term are checked before connecting.
    load_terms(terms_file, lambda value: "0x" + "00" * 20)
    with connected(network_choice) as record:
        terms = load_terms(terms_file, _resolver(record))
        account = load_account(account_alias)
        unlock_account(account)
        registry = registry_of(record)
        receipt = _send("register", registry.register, terms.as_tuple(), account=account)
        [event] = receipt.decode_logs(registry.InstrumentRegistered)
        data = {"id": int(event.id), "tx": str(receipt.txn_hash), **terms_json(terms)}
        _emit(data, as_json, lines=[f"registered instrument {data['id']} ({terms.isin})"])


def _status_name(status: int) -> str:
    """An InstrumentStatus by name; a value the enum does not know (a newer registry's) as
    `status N`, never a failed listing."""
    from keepers.lifecycle.instruments import InstrumentStatus

    try:
        return InstrumentStatus(status).name.lower()
    except ValueError:
        return f"status {status}"


@instrument.command("list")
@network_option
@json_option
def instrument_list(network_choice: str, as_json: bool) -> None:
    """Every instrument the console shows, with its fund: those of the record's registries and of
    the registries behind the funds its keepers handle (one discovery rule, keepers.lifecycle)."""
    from collections import Counter

    from keepers.core.chain import reading
    from keepers.lifecycle.discovery import (
        MAX_INSTRUMENTS,
        MAX_STORE_FUNDS,
        deployment_instruments,
        recorded_registries,
    )
    from keepers.lifecycle.store import kept_funds

    with reading(network_choice) as (record, view):
        recorded = recorded_registries(record.contracts)
        engine = _store()
        funds = [] if engine is None else kept_funds(engine, view.chain_id, MAX_STORE_FUNDS)
        parts = deployment_instruments(view.reads, view.at, recorded, funds)
    rows = [
        {
            "registry": p.registry,
            "id": p.id,
            "isin": p.terms.isin,
            "kind": p.terms.kind.name.lower(),
            "status": _status_name(int(p.state[1])),
            "share_token": p.terms.share_token,
            "fund": p.desk or p.fund,
            "fund_kind": "desk" if p.desk else ("vault" if p.fund else None),
            "vaults": list(p.vaults),
        }
        for p in parts
    ]
    per_registry = Counter(r["registry"] for r in rows)
    full = sorted(r for r, n in per_registry.items() if n >= MAX_INSTRUMENTS)
    if full:  # said on stderr: stdout stays the answer
        listed = ", ".join(full)
        click.echo(f"at most {MAX_INSTRUMENTS} instruments a registry listed: {listed}", err=True)
    if as_json:
        _emit({"instruments": rows}, True)
        return
    from keepers.core.shown import named, record_names
    from keepers.core.terminal import plain

    names = record_names(record)
    table = Table(title=f"{len(rows)} instruments")
    for column in ("isin", "id", "kind", "status", "fund", "registry"):
        table.add_column(column)
    for r in rows:
        fund = named(r["fund"], names) + f" ({r['fund_kind']})" if r["fund"] else "none"
        cells = (r["isin"], str(r["id"]), r["kind"], r["status"], fund, named(r["registry"], names))
        table.add_row(*map(plain, cells))
    _emit(None, False, table)


@instrument.command("show")
@click.argument("reference")
@network_option
@json_option
def instrument_show(reference: str, network_choice: str, as_json: bool) -> None:
    """Terms, status and latest NAV (with its block) of an instrument (id or ISIN)."""
    from keepers.core.chain import reading
    from keepers.lifecycle.funds import fund_of, locate_instrument, registries_of
    from keepers.lifecycle.instruments import InstrumentStatus, InstrumentTerms

    with reading(network_choice) as (record, view):
        registries = registries_of(record, _store(), view)
        registry, instrument_id = locate_instrument(registries, reference)
        terms = InstrumentTerms.from_chain(registry.termsOf(instrument_id))
        state = registry.stateOf(instrument_id)
        nav18, nav_block, nav_time = registry.latestNav(instrument_id)
        fund = fund_of(registry, instrument_id, view)
        data = {
            "id": instrument_id,
            **terms_json(terms),
            "status": InstrumentStatus(int(state[1])).name.lower(),
            "issuer": str(state[0]),
            "guardian_hold": bool(state[2]),
            "fund": str(state[3]),
            "fund_is_vault": fund is not None,
            "max_nav_move_bps": int(state[5]),
            "max_nav_age": int(state[6]),
            "nav18": str(int(nav18)),
            "nav": _amount(int(nav18), 18),
            "nav_block": int(nav_block),
            "nav_time": int(nav_time),
        }
        if not as_json:
            from keepers.core.shown import ADDRESS, BPS_KIND, DURATION, TIME, Price

            unit = str(view.at("SecurityToken", terms.share_token).symbol())
            kinds = {k: ADDRESS for k in ("issuer", "fund", "share_token")}
            kinds |= {"max_nav_move_bps": BPS_KIND, "max_nav_age": DURATION, "nav_time": TIME}
            kinds["nav18"] = Price(unit)
            shown = {k: v for k, v in data.items() if k != "nav"}
            _emit(data, False, _shown(f"instrument {instrument_id}", shown, kinds, record))
            return
        _emit(data, as_json)


@instrument.command("schedule")
@click.argument("reference")
@network_option
@click.option("--as-of", help="Date of the accrued interest (YYYY-MM-DD; default: the chain's).")
@json_option
def instrument_schedule(
    reference: str, network_choice: str, as_of: str | None, as_json: bool
) -> None:
    """Coupon dates, record dates and amounts per unit, and the interest accrued (QuantLib)."""
    from ape import chain

    from keepers.core.chain import connected
    from keepers.lifecycle.coupons import (
        accrued_per_unit,
        all_coupons,
        is_bond,
        next_coupon,
        with_fixings,
    )
    from keepers.lifecycle.funds import locate_instrument, registries_of
    from keepers.lifecycle.instruments import InstrumentKind, InstrumentTerms

    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise QuanteraError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    with connected(network_choice) as record:
        registry, instrument_id = locate_instrument(registries_of(record, _store()), reference)
        terms = InstrumentTerms.from_chain(registry.termsOf(instrument_id))
        day = day or dt.datetime.fromtimestamp(chain.blocks.head.timestamp, dt.UTC).date()
        fixings = (
            _fixings(terms, instrument_id, record.block or 0, chain.blocks.head.number)
            if terms.kind is InstrumentKind.FLOATING_RATE_NOTE
            else {}
        )
    if not is_bond(terms):
        raise QuanteraError(
            f"instrument {instrument_id} ({terms.kind.name.lower()}) pays no coupon"
        )
    listed = [c.as_json() for c in with_fixings(terms, all_coupons(terms), fixings)]
    accrued = accrued_per_unit(terms, day)
    coming = next_coupon(terms, day)
    data = {
        "next_record_date": None if coming is None else coming.record_date.isoformat(),
        "next_payment_date": None if coming is None else coming.payment_date.isoformat(),
        "id": instrument_id,
        "as_of": day.isoformat(),
        "coupons": listed,
        "accrued_per_unit": None if accrued is None else str(accrued),
        "accrued": None if accrued is None else _amount(accrued, 18),
        "units": f"{terms.currency} per whole share (18 decimals in *_per_unit)",
    }
    table = Table(title=f"instrument {instrument_id} coupons ({terms.currency} per share)")
    for column in ("n", "accrual start", "payment", "record", "rate", "amount"):
        table.add_column(column)
    for c in listed:
        amount = (
            "floating" if c["amount_per_unit"] is None else _amount(int(c["amount_per_unit"]), 18)
        )
        rate = "floating" if c["rate"] is None else f"{Decimal(c['rate']) * 100:.4f}%"
        table.add_row(
            str(c["number"]), c["accrual_start"], c["payment_date"], c["record_date"], rate, amount
        )
    _emit(data, as_json, table, [f"accrued on {day}: {data['accrued'] or 'floating'}"])


def _fixings(terms, instrument_id: int, start: int, stop: int) -> dict[int, int]:
    """A floating-rate note's fixings so far (`coupon_fixings`) from its share token's servicer;
    none when the share token is not a BondShareToken (nothing services its coupons)."""
    from ape import project
    from ape.exceptions import ApeException

    from keepers.lifecycle.funds import coupon_fixings

    try:
        servicer = project_at(
            "BondServicer", project.BondShareToken.at(terms.share_token).servicer()
        )
    except ApeException:
        return {}
    return coupon_fixings(servicer, instrument_id, start, stop)


def _status_move(verb: str, reference: str, network_choice: str, account_alias: str, as_json):
    from keepers.core.chain import connected, load_account, unlock_account
    from keepers.lifecycle.funds import locate_instrument, registries_of
    from keepers.lifecycle.instruments import InstrumentStatus

    with connected(network_choice) as record:
        registry, instrument_id = locate_instrument(registries_of(record, _store()), reference)
        account = load_account(account_alias)
        unlock_account(account)
        receipt = _send(verb, getattr(registry, verb), instrument_id, account=account)
        [event] = receipt.decode_logs(registry.StatusChanged)
        data = {
            "id": instrument_id,
            "previous": InstrumentStatus(int(event.previous)).name.lower(),
            "status": InstrumentStatus(int(event.next)).name.lower(),
            "tx": str(receipt.txn_hash),
        }
        _emit(
            data,
            as_json,
            lines=[f"instrument {instrument_id}: {data['previous']} -> {data['status']}"],
        )


@instrument.command("activate")
@click.argument("reference")
@network_option
@account_option
@json_option
def instrument_activate(reference, network_choice, account_alias, as_json) -> None:
    """Registered or suspended -> active (the issuer, or an operator with ACTIVATE)."""
    _status_move("activate", reference, network_choice, account_alias, as_json)


@instrument.command("suspend")
@click.argument("reference")
@network_option
@account_option
@json_option
def instrument_suspend(reference, network_choice, account_alias, as_json) -> None:
    """Active -> suspended (the issuer, or an operator with SUSPEND)."""
    _status_move("suspend", reference, network_choice, account_alias, as_json)


# ============================================================================ fund


@click.group()
def fund() -> None:
    """A fund's dealing: requests, claims, the NAV strike, positions, status, fees."""


class _Session:
    """A connected command's fund and, for state-changing ones, its account."""

    def __init__(
        self,
        record,
        fund_ref: str | None,
        account_alias: str | None = None,
        db_url: str | None = None,
        db=None,
        view=None,
    ):
        from keepers.core.chain import load_account, unlock_account
        from keepers.lifecycle.funds import registries_of, resolve_fund

        self.record = record
        registries = registries_of(record, _store(db_url, db), view)
        self.fund = resolve_fund(registries, fund_ref, view)
        self.registry = self.fund.registry
        self.vault = self.fund.vault
        self.account = None
        if account_alias is not None:
            self.account = load_account(account_alias)
            unlock_account(self.account)

    @property
    def asset_decimals(self) -> int:
        return int(self.fund.asset.decimals())

    def desk_member(self, reference: str | None) -> tuple[Any, Any]:
        """The (vault, asset) of a desk fund whose asset is `reference` (a symbol or an address;
        default: the first)."""
        members = self.fund.parts()
        if reference is None:
            return members[0]
        for vault, asset in members:
            if reference.lower() in (asset.address.lower(), str(asset.symbol()).lower()):
                return vault, asset
        names = ", ".join(str(asset.symbol()) for _, asset in members)
        raise QuanteraError(f"the fund deals in no asset {reference} (its assets: {names})")

    def accepted_mask(self, references: str | None) -> int:
        """The desk's mask of the comma-separated assets (default: every one)."""
        members = self.fund.parts()
        if not references:
            return (1 << len(members)) - 1
        mask = 0
        for reference in references.split(","):
            vault, _ = self.desk_member(reference.strip())
            mask |= 1 << [v.address for v, _ in members].index(vault.address)
        return mask

    def desk_operator(self, vault) -> None:
        """Makes the fund's desk the account's ERC-7540 operator on `vault`, unless it is."""
        desk = self.fund.desk
        if not vault.isOperator(self.account, desk):
            _send("setOperator", vault.setOperator, desk.address, True, account=self.account)

    @property
    def share_decimals(self) -> int:
        return int(self.fund.share.decimals())


def _request_result(session: _Session, what: str, receipt, amount: int, decimals: int) -> dict:
    from keepers.lifecycle.funds import booked_period

    return {
        "request": what,
        "vault": session.vault.address,
        "controller": session.account.address,
        "amount": str(amount),
        "amount_units": _amount(amount, decimals),
        # The period the vault booked it for: the next one after the cut-off (issue 32 §5).
        "period": booked_period(session.vault, receipt.block_number, receipt.timestamp),
        "tx": str(receipt.txn_hash),
    }


@fund.command("subscribe")
@click.option("--amount", required=True, help="Settlement asset, in whole units (e.g. 250000.5).")
@click.option(
    "--asset",
    "asset_ref",
    default=None,
    help="A fund in several assets: the one to pay in (symbol or address; default: the first).",
)
@fund_option
@network_option
@account_option
@json_option
def fund_subscribe(amount, asset_ref, fund_ref, network_choice, account_alias, as_json) -> None:
    """Request a subscription (ERC-7540 requestDeposit; the account is owner and controller).
    A fund in several settlement assets takes it through its desk (refused in a depegged asset)."""
    from keepers.core.chain import connected

    with connected(network_choice) as record:
        s = _Session(record, fund_ref, account_alias)
        if s.fund.desk is None and asset_ref is not None:
            raise QuanteraError("--asset: this fund deals in one settlement asset")
        s.vault, asset = s.desk_member(asset_ref)
        decimals = int(asset.decimals())
        assets = parse_units(amount, decimals, "--amount")
        _send("approve", asset.approve, s.vault.address, assets, account=s.account)
        if s.fund.desk is None:
            call = (s.vault.requestDeposit, assets, s.account, s.account)
        else:
            s.desk_operator(s.vault)
            call = (s.fund.desk.requestDeposit, asset.address, assets, s.account)
        receipt = _send("requestDeposit", *call, account=s.account)
        data = {**_request_result(s, "deposit", receipt, assets, decimals), "asset": asset.address}
        _emit(
            data, as_json, lines=[f"subscription of {amount} requested for period {data['period']}"]
        )


@fund.command("redeem")
@click.option("--shares", required=True, help="Shares to redeem, in whole shares.")
@click.option(
    "--accept",
    default=None,
    help="A fund in several assets: the assets you accept, comma-separated (default: all); "
    "paid in the most preferred the fund holds enough of.",
)
@fund_option
@network_option
@account_option
@json_option
def fund_redeem(shares, accept, fund_ref, network_choice, account_alias, as_json) -> None:
    """Request a redemption (ERC-7540 requestRedeem; the shares go to the vault's escrow). A fund
    in several settlement assets routes it through its desk to the preferred accepted asset."""
    from keepers.core.chain import connected

    with connected(network_choice) as record:
        s = _Session(record, fund_ref, account_alias)
        units = parse_units(shares, s.share_decimals, "--shares")
        held = int(s.fund.share.balanceOf(s.account))
        if units > held:
            raise QuanteraError(
                f"--shares {shares} is more than the {_amount(held, s.share_decimals)} held"
            )
        if s.fund.desk is None:
            if accept is not None:
                raise QuanteraError("--accept: this fund deals in one settlement asset")
            call = (s.vault.requestRedeem, units, s.account, s.account)
        else:
            mask = s.accepted_mask(accept)
            vault, _ = s.fund.desk.payoutVault(units, mask)
            if int(vault, 16) == 0:
                raise QuanteraError(
                    f"no accepted asset ({accept or 'all'}) holds enough for {shares} shares"
                )
            s.vault = next(v for v, _ in s.fund.parts() if v.address.lower() == vault.lower())
            s.desk_operator(s.vault)
            call = (s.fund.desk.requestRedeem, units, s.account, mask)
        _send("approve", s.fund.share.approve, s.vault.address, units, account=s.account)
        receipt = _send("requestRedeem", *call, account=s.account)
        data = _request_result(s, "redeem", receipt, units, s.share_decimals)
        _emit(
            data,
            as_json,
            lines=[f"redemption of {shares} shares requested for period {data['period']}"],
        )


@fund.command("cancel")
@click.option(
    "--request",
    "which",
    type=click.Choice(["deposit", "redeem", "both"]),
    default="both",
    show_default=True,
    help="Which pending request to cancel (both: whichever is pending).",
)
@fund_option
@network_option
@account_option
@json_option
def fund_cancel(which, fund_ref, network_choice, account_alias, as_json) -> None:
    """Cancel pending requests before their cut-off; assets and shares return to the account."""
    from keepers.core.chain import connected

    with connected(network_choice) as record:
        s = _Session(record, fund_ref, account_alias)
        chosen = [k for k in ("deposit", "redeem") if which in (k, "both")]
        # Every vault of a fund in several settlement assets (its desk's), else its one vault.
        plans = [(vault, _pending(vault, s.account, chosen)) for vault, _ in s.fund.parts()]
        if not any(pending for _, pending in plans):
            raise QuanteraError(f"nothing pending to cancel ({', '.join(chosen)})")
        results = [_cancel(vault, s.account, pending) for vault, pending in plans if pending]
        data = {**results[0], "controller": s.account.address}
        if s.fund.desk is not None:
            data = {"controller": s.account.address, "vaults": results}
        done = sorted({kind for r in results for kind in r["cancelled"]})
        _emit(data, as_json, lines=[f"cancelled: {', '.join(done)}"])


def _pending(vault, account, kinds: list[str]) -> dict[str, int]:
    """The account's pending requests of `kinds` at `vault` (kind -> amount, nonzero only)."""
    amounts = {
        "deposit": lambda: int(vault.pendingDepositRequest(0, account)),
        "redeem": lambda: int(vault.pendingRedeemRequest(0, account)),
    }
    return {kind: amount for kind in kinds if (amount := amounts[kind]())}


def _cancel(vault, account, pending: dict[str, int]) -> dict:
    data = {"vault": vault.address, "cancelled": {}}
    for kind, amount in pending.items():
        call = vault.cancelDepositRequest if kind == "deposit" else vault.cancelRedeemRequest
        receipt = _send(f"cancel {kind}", call, account, account, account=account)
        data["cancelled"][kind] = {"amount": str(amount), "tx": str(receipt.txn_hash)}
    return data


@fund.command("claim")
@fund_option
@network_option
@account_option
@json_option
def fund_claim(fund_ref, network_choice, account_alias, as_json) -> None:
    """Claim everything claimable: struck subscriptions as shares, redemptions as assets."""
    from keepers.core.chain import connected

    with connected(network_choice) as record:
        s = _Session(record, fund_ref, account_alias)
        # Every vault of a fund in several settlement assets (its desk's), else its one vault.
        claims = [(vault, *_claimable(vault, s.account)) for vault, _ in s.fund.parts()]
        if not any(deposit or redeem for _, deposit, redeem in claims):
            raise QuanteraError(f"nothing claimable for {s.account.address}")
        results = [
            _claim(vault, s.account, deposit, redeem)
            for vault, deposit, redeem in claims
            if deposit or redeem
        ]
        data = {**results[0], "controller": s.account.address}
        if s.fund.desk is not None:
            data = {"controller": s.account.address, "vaults": results}
        where = (lambda r: f" from {r['vault']}") if s.fund.desk is not None else (lambda r: "")
        lines = [
            f"claimed {k}{where(r)}: {v['amount']}"
            for r in results
            for k, v in r["claimed"].items()
        ]
        _emit(data, as_json, lines=lines)


def _claimable(vault, account) -> tuple[int, int]:
    """(claimable deposit assets, claimable redemption shares) of `account` at `vault`."""
    return int(vault.maxDeposit(account)), int(vault.maxRedeem(account))


def _claim(vault, account, deposit_assets: int, redeem_shares: int) -> dict:
    """Claims `deposit_assets` (as shares) and `redeem_shares` (as assets) at `vault`."""
    data = {"vault": vault.address, "claimed": {}}
    if deposit_assets:
        receipt = _send("deposit", vault.deposit, deposit_assets, account, account, account=account)
        [event] = receipt.decode_logs(vault.Deposit)
        data["claimed"]["shares"] = {"amount": str(int(event.shares)), "tx": str(receipt.txn_hash)}
    if redeem_shares:
        receipt = _send("redeem", vault.redeem, redeem_shares, account, account, account=account)
        [event] = receipt.decode_logs(vault.Withdraw)
        data["claimed"]["assets"] = {"amount": str(int(event.assets)), "tx": str(receipt.txn_hash)}
    return data


@fund.command("strike")
@fund_option
@network_option
@click.option("--account", "account_alias", help="The NAV agent (NAV_AGENT and PRICE_REPORTER).")
@click.option("--dry-run", is_flag=True, help="Compute the NAV and show it; send nothing.")
@click.option(
    "--db-url", default=None, help="Keeper store URL (default: $QUANTERA_DB_URL or SQLite)."
)
@json_option
def fund_strike(fund_ref, network_choice, account_alias, dry_run, db_url, as_json) -> None:
    """Strike the open period as the NAV agent keeper does: compute the NAV, report it, strike —
    recorded in the keeper store under the keeper's lock, so it never strikes a period twice."""
    from ape import chain

    from keepers.core import store
    from keepers.core.chain import connected
    from keepers.lifecycle import store as lifecycle_store
    from keepers.lifecycle.keeper import KEEPER_NAME, LifecycleKeeper
    from keepers.lifecycle.rates import french_rf
    from keepers.lifecycle.striking import Head

    if not dry_run and account_alias is None:
        raise QuanteraError("--account is required to strike (or give --dry-run)")
    with connected(network_choice) as record:
        db = store.open_store(db_url)
        s = _Session(record, fund_ref, None if dry_run else account_alias, db_url, db)
        keeper = LifecycleKeeper(db, record, s.registry, french_rf(), s.account)
        block = chain.blocks.head
        head = Head(int(block.number), int(block.timestamp))
        period, cutoff = keeper.striker(s.fund).open_period()
        if dry_run:
            keeper.scan_flows(s.fund, head.number)
            nav18, answer, inputs, reason = keeper.striker(s.fund).compute(head)
            data = {
                "period": period,
                "cutoff": cutoff,
                "nav18": str(nav18),
                "nav": _amount(nav18, 18),
                "answer": str(answer),
                "hold": reason,
                "inputs": inputs,
                "sent": False,
            }
            _emit(data, as_json, _table(f"NAV of {s.fund.address} (dry run)", data))
            return
        result = keeper.cycle(head, only=s.fund.address)
        if result.get("skipped"):
            raise QuanteraError("the lifecycle keeper is running a cycle: try again")
        outcome = result["outcomes"][s.fund.address]
        if outcome["action"] != "struck":
            raise QuanteraError(
                f"period {outcome.get('period', period)} not struck: {outcome['reason']}"
            )
        row = lifecycle_store.nav_strike(db, chain.chain_id, s.fund.address, outcome["period"])
        if row.status == "sent" and row.tx_hash:
            # One command, one answer: its transaction's receipt first (a loaded node answers the
            # broadcast before it mines), then the row reconciled under the keeper's lock.
            chain.provider.web3.eth.wait_for_transaction_receipt(row.tx_hash, timeout=120)
            with store.keeper_lock(db, KEEPER_NAME) as mine:
                if mine:
                    keeper.striker(s.fund).reconcile()
            row = lifecycle_store.nav_strike(db, chain.chain_id, s.fund.address, row.period)
        data = {
            "period": row.period,
            "status": row.status,
            "nav18": row.nav18,
            "nav": _amount(int(row.nav18), 18),
            "tx": row.tx_hash,
            "block": row.strike_block,
            "inputs": row.inputs,
        }
        _emit(data, as_json, _table(f"strike of period {row.period}", data))


def _investor(reference: str, resolve: bool = True) -> str:
    """An investor's address: an address as given, or a local account's (an Ape alias or
    TEST::<n>, not unlocked: only its address is read; `resolve` False: returned as given)."""
    text = reference.strip()
    if text.startswith("0x"):
        if len(text) != 42:
            raise QuanteraError(f"{reference!r} is not an address")
        try:
            int(text[2:], 16)
        except ValueError:
            raise QuanteraError(f"{reference!r} is not an address") from None
        return text
    if not resolve:
        return text
    from keepers.core.chain import account_address

    return account_address(text)


@fund.command("position")
@click.argument("address", metavar="INVESTOR")
@fund_option
@network_option
@json_option
def fund_position(address, fund_ref, network_choice, as_json) -> None:
    """An investor's pending and claimable requests and its shares (INVESTOR: an address, an Ape
    alias or TEST::<n>)."""
    from keepers.core.chain import reading
    from keepers.lifecycle.funds import holding

    _investor(address, resolve=False)  # a malformed address is refused before connecting
    with reading(network_choice) as (record, view):
        address = _investor(address)
        s = _Session(record, fund_ref, view=view)
        data = holding(s.fund, address)
        if as_json:
            _emit(data, True)
            return
        kinds = _fund_kinds(s.fund, view.decimals)
        title = f"position of {address} in {_label_of(s.fund)}"
        _emit(data, False, _shown(title, data, kinds, record))


@fund.command("history")
@click.argument("address", metavar="INVESTOR")
@fund_option
@network_option
@json_option
def fund_history(address, fund_ref, network_choice, as_json) -> None:
    """An investor's requests, cancellations and claims, from the vault's events (INVESTOR: an
    address, an Ape alias or TEST::<n>)."""
    from ape import chain

    from keepers.core.chain import connected
    from keepers.lifecycle.funds import position

    _investor(address, resolve=False)  # a malformed address is refused before connecting
    with connected(network_choice) as record:
        address = _investor(address)
        s = _Session(record, fund_ref)
        history = position(s.fund, address, record.block or 0, chain.blocks.head.number)["history"]
        data = {"account": address, "vault": s.vault.address, "history": history}
        lines = [f"{h['block']} {h['event']} {h['tx']}" for h in history] or ["no events"]
        _emit(data, as_json, lines=lines)


@fund.command("declare")
@fund_option
@network_option
@click.option("--account", "account_alias", help="A MINT agent of the share token (the NAV agent).")
@click.option("--dry-run", is_flag=True, help="Compute the dividend and show it; send nothing.")
@click.option(
    "--db-url", default=None, help="Keeper store URL (default: $QUANTERA_DB_URL or SQLite)."
)
@json_option
def fund_declare(fund_ref, network_choice, account_alias, dry_run, db_url, as_json) -> None:
    """Declare the daily dividend as the NAV agent keeper does (new shares at the short rate,
    numbered declarations recorded in the keeper store: never applied twice)."""
    from ape import chain

    from keepers.core import store
    from keepers.core.chain import connected
    from keepers.lifecycle import store as lifecycle_store
    from keepers.lifecycle.keeper import KEEPER_NAME, LifecycleKeeper
    from keepers.lifecycle.rates import french_rf
    from keepers.lifecycle.striking import Head

    if not dry_run and account_alias is None:
        raise QuanteraError("--account is required to declare (or give --dry-run)")
    with connected(network_choice) as record:
        db = store.open_store(db_url)
        s = _Session(record, fund_ref, None if dry_run else account_alias, db_url, db)
        keeper = LifecycleKeeper(db, record, s.registry, french_rf(), s.account)
        declarer = keeper.declarer(s.fund)
        if declarer is None:
            raise QuanteraError(f"the share token {s.fund.share.address} pays no income")
        block = chain.blocks.head
        head = Head(int(block.number), int(block.timestamp))
        if dry_run:
            dividend = declarer.compute(head)
            if dividend is None:
                raise QuanteraError("no declaration is due (one a UTC day, none before a share)")
            data = {**dividend.as_record(), "sent": False}
            _emit(data, as_json, _table("dividend (dry run)", data))
            return
        with store.keeper_lock(db, KEEPER_NAME) as mine:
            if not mine:
                raise QuanteraError("the lifecycle keeper is running a cycle: try again")
            outcome = declarer.step(head)
        if outcome["action"] != "declared":
            raise QuanteraError(f"nothing declared: {outcome['reason']}")
        row = lifecycle_store.income_declaration(
            db, chain.chain_id, declarer.token.address, outcome["number"]
        )
        data = {
            "number": row.number,
            "shares": row.shares,
            "supply": row.supply,
            "start": row.start,
            "end": row.end,
            "status": row.status,
            "tx": row.tx_hash,
        }
        _emit(data, as_json, _table(f"declaration {row.number}", data))


every_fund_option = click.option(
    "--fund",
    "fund_ref",
    default=None,
    help="Instrument id, ISIN or vault address (default: every fund of the deployment).",
)
db_url_option = click.option(
    "--db-url", default=None, help="Keeper store URL (default: $QUANTERA_DB_URL or SQLite)."
)


def _funds(registries: list, fund_ref: str | None) -> list:
    """The fund `fund_ref` names, or every fund of every known registry."""
    from keepers.lifecycle.funds import discover_funds, resolve_fund

    if fund_ref is not None:
        return [resolve_fund(registries, fund_ref)]
    funds = [f for registry in registries for f in discover_funds(registry)]
    if not funds:
        raise QuanteraError("no registry lists a fund")
    return funds


def _store(db_url: str | None = None, opened=None):
    """The keeper store whose funds' registries are looked in besides the record's: only on the
    announced local demo (`keepers.core.chain.on_followed_demo`: its fund stack is built beside the
    record), named by `--db-url` or $QUANTERA_DB_URL (the demo's by default). Elsewhere None: a row
    in a shared store is no reason to act on, or show, a contract the deployment record does not
    name. `opened`: the command's engine on that same store (`store.open_store(db_url)`), used
    instead of opening it a second time."""
    from keepers.core import store
    from keepers.core.chain import on_followed_demo

    url = db_url or os.environ.get(store.DB_URL_ENV)
    if not (url and on_followed_demo()):
        return None
    return opened if opened is not None else store.open_store(url)


def _fee_table(report: dict, share_decimals: int, asset_decimals: int) -> Table:
    terms = report["terms"]
    rows = {
        **{k: v for k, v in terms.items() if k != "tiers"},
        "tiers": terms["tiers"],
        "owed shares": _amount(int(report["owed_shares"]), share_decimals),
        "management fee accruing (shares)": _amount(int(report["accruing_shares"]), share_decimals),
        "accrued up to": report["accrued_at"],
        "held assets": _amount(int(report["held_assets"]), asset_decimals),
        "collections on chain": report["collections_total"],
        "last collections": report["collections"],
        "keeper's last collections": report["keeper_collections"],
    }
    return _table(f"fees of fund {report['instrument_id']} ({report['vault']})", rows)


@fund.command("fees")
@every_fund_option
@network_option
@db_url_option
@json_option
def fund_fees(fund_ref, network_choice, db_url, as_json) -> None:
    """Per fund: its fee schedule's terms, the fee shares owed and the management fee accruing
    since the vault's last accrual, the fee assets held, and its last collections."""
    from ape import chain

    from keepers.core import store
    from keepers.core.chain import connected
    from keepers.lifecycle.collecting import fee_report
    from keepers.lifecycle.funds import registries_of

    with connected(network_choice) as record:
        db = store.open_store(db_url)
        head = chain.blocks.head
        reports, tables = [], []
        for f in _funds(registries_of(record, _store(db_url, db)), fund_ref):
            report = fee_report(f, int(head.timestamp), record.block or 0, int(head.number), db)
            reports.append(report)
            tables.append(_fee_table(report, int(f.share.decimals()), int(f.asset.decimals())))
        if as_json:
            _emit({"block": int(head.number), "funds": reports}, True)
            return
        for table in tables:
            _emit(None, False, table)


@fund.command("fees-collect")
@every_fund_option
@network_option
@click.option("--account", "account_alias", required=True, help="Any funded key (no role needed).")
@click.option(
    "--min-interval",
    default=None,
    help="Seconds since a vault's last collection before the next "
    "(default: $QUANTERA_FEE_COLLECT_INTERVAL or a day).",
)
@db_url_option
@json_option
def fund_fees_collect(fund_ref, network_choice, account_alias, min_interval, db_url, as_json):
    """One cycle of the fee keeper: crystallise the management fee and collect each due fund's
    fees to its recipient — recorded in the keeper store under the fee keeper's lock, so a
    collection is never applied twice."""
    from ape import chain

    from keepers.core import store
    from keepers.core.chain import connected, load_account, unlock_account
    from keepers.lifecycle.collecting import FeeKeeper
    from keepers.lifecycle.fees import collect_interval_seconds
    from keepers.lifecycle.funds import registries_of
    from keepers.lifecycle.striking import Head

    interval = collect_interval_seconds(min_interval)  # checked before connecting
    with connected(network_choice) as record:
        db = store.open_store(db_url)
        registries = registries_of(record, _store(db_url, db))
        if fund_ref is None:
            targets = [(registry, None) for registry in registries]
        else:
            named = _funds(registries, fund_ref)[0]
            targets = [(named.registry, named.address)]
        account = load_account(account_alias)
        unlock_account(account)
        block = chain.blocks.head
        head = Head(int(block.number), int(block.timestamp))
        # One cycle per registry (a keeper's funds are one registry's), summed.
        result: dict = {"funds": 0, "collected": 0, "waiting": 0, "deferred": 0, "outcomes": {}}
        for registry, only in targets:
            keeper = FeeKeeper(db, registry, account, min_interval_seconds=interval)
            cycle = keeper.cycle(head, only=only)
            if cycle.get("skipped"):
                raise QuanteraError("the fee keeper is running a cycle: try again")
            keeper.settle(cycle, head)
            if only is not None and cycle["outcomes"][only]["action"] != "collected":
                raise QuanteraError(f"nothing collected: {cycle['outcomes'][only]['reason']}")
            for key in ("funds", "collected", "waiting", "deferred"):
                result[key] += cycle[key]
            result["outcomes"].update(cycle["outcomes"])
        lines = [
            f"{vault}: {o['action']}"
            + (
                f" {o['shares']} shares, {o['assets']} assets ({o['status']})"
                if o["action"] == "collected"
                else f" ({o['reason']})"
            )
            for vault, o in result["outcomes"].items()
        ]
        _emit(result, as_json, lines=lines)


@fund.command("status")
@fund_option
@network_option
@json_option
def fund_status_command(fund_ref, network_choice, as_json) -> None:
    """The open period, its cut-off, the queue, the gate, the reserve and the free cash."""
    from keepers.core.chain import reading
    from keepers.lifecycle.funds import fund_status

    with reading(network_choice) as (record, view):
        s = _Session(record, fund_ref, view=view)
        data = fund_status(s.fund)
        if as_json:
            _emit(data, True)
            return
        kinds = _fund_kinds(s.fund, view.decimals)
        _emit(data, False, _shown(f"fund {_label_of(s.fund)}", data, kinds, record))
