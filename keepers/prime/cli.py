"""`quantera margin ...`: an institution's prime-brokerage margin account — open it, deposit and
withdraw collateral, borrow and repay, read its positions and health, the top-up back to initial
margin, a liquidation preview — and the margin keeper's cycle once (`keep`).

The account is the identity (ONCHAINID) of the `--account` wallet; reads take `--identity` to read
another. Amounts are in whole token units (`1250.5`); assets by symbol or address. Every command
takes `--json`; bad input fails with one line and exit 1 before anything is sent, and a revert is
one line naming the broker's error and its arguments. Only click and rich load with the CLI: ape
loads when a command runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import click
from rich.table import Table

from keepers.core.cli_options import (
    AMOUNT_SETTINGS,
    account_option,
    address_value,
    amount_argument,
    json_option,
    network_option,
)
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json
from keepers.core.redact import redact_urls
from keepers.core.terminal import print_table

DEPOSIT, WITHDRAW, BORROW, REPAY = range(4)
ZERO = "0x" + "00" * 20
MAX_UINT = 2**256 - 1
USD_DECIMALS = 18

reader_option = click.option(
    "--account",
    "account_alias",
    default=None,
    help="Ape account alias (or TEST::<n>): its identity's account.",
)
identity_option = click.option(
    "--identity",
    default=None,
    callback=address_value,
    help="The margin account (an identity address) to read instead.",
)


def _emit(data: Any, as_json: bool, title: str) -> None:
    if as_json:
        echo_json(data)
        return

    table = Table(title=title)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        table.add_row(key, json.dumps(value) if isinstance(value, (list, dict)) else str(value))
    print_table(table)


def whole(units: int, decimals: int) -> str:
    return str(Decimal(units) / (Decimal(10) ** decimals))


def usd(value: int) -> str:
    return whole(value, USD_DECIMALS)


@dataclass
class Session:
    """A connected command: the broker's reads, the wallet (None for a read by --identity) and
    the margin account."""

    book: Any
    wallet: Any
    account: str
    record: Any


@contextmanager
def session(
    network_choice: str, account_alias: str | None, identity: str | None = None
) -> Iterator[Session]:
    from keepers.core.chain import connected, load_account
    from keepers.prime.book import PrimeBook

    if account_alias is None and identity is None:
        raise QuanteraError("give --account (a wallet of the identity) or --identity")
    with connected(network_choice) as record:
        book = PrimeBook.of_record(record)
        wallet = None if account_alias is None else load_account(account_alias)
        if identity is None:
            investor = book.registry.investorOf(wallet.address)
            identity = str(investor.identity)
            if identity == ZERO:
                raise QuanteraError(f"{wallet.address} is not a registered wallet of any identity")
        yield Session(book, wallet, identity, record)


@contextmanager
def reading_session(
    network_choice: str, account_alias: str | None, identity: str | None = None
) -> Iterator[Session]:
    """A read-only command's session: the node read directly when the network names its URL
    (keepers.core.chain.reading, no ape), `--account` taken for its address only."""
    from keepers.core.chain import account_address, reading
    from keepers.prime.book import PrimeBook

    if account_alias is None and identity is None:
        raise QuanteraError("give --account (a wallet of the identity) or --identity")
    with reading(network_choice) as (record, view):
        book = PrimeBook.of_record(record, view)
        if identity is None:
            wallet = account_address(account_alias)
            identity = str(book.registry.investorOf(wallet).identity)
            if identity == ZERO:
                raise QuanteraError(f"{wallet} is not a registered wallet of any identity")
        yield Session(book, None, identity, record)


def _require_open(s: Session) -> None:
    if not s.book.broker.isOpen(s.account):
        raise QuanteraError(f"identity {s.account} has no margin account (quantera margin open)")


def _borrowable(s: Session, asset: str):
    _require_open(s)
    listing = _listing(s, asset)
    if listing.pool is None:
        raise QuanteraError(f"{listing.symbol} is not borrowable (no lending pool)")
    return listing


def _listing(s: Session, asset: str):
    try:
        return s.book.listing(asset)
    except LookupError as err:
        raise QuanteraError(str(err)) from None


def _execute(s: Session, what: str, actions: list[tuple]) -> dict:
    from keepers.core.errors import send_or_explain

    receipt = send_or_explain(
        what, lambda: s.book.broker.execute(s.account, actions, sender=s.wallet)
    )
    block = receipt.block_number
    ratio = int(s.book.margin.health(s.account, block_id=block).ratioBps)
    return {
        "account": s.account,
        "tx": str(receipt.txn_hash),
        "block": block,
        "ratio_bps": _ratio(ratio),
    }


def _ratio(value: int | None) -> int | None:
    from keepers.prime.model import NO_DEBT_RATIO

    return None if value is None or value == NO_DEBT_RATIO else value


def _approve(s: Session, listing, units: int) -> None:
    from ape import project

    from keepers.core.errors import send_or_explain

    token = project.SecurityToken.at(listing.asset)  # any ERC-20's ABI
    if int(token.allowance(s.wallet.address, s.book.address)) < units:
        send_or_explain(
            f"approving {listing.symbol}",
            lambda: token.approve(s.book.address, units, sender=s.wallet),
        )


@click.group()
def margin() -> None:
    """Prime-brokerage margin accounts: open, collateral, borrowing, health, liquidation preview,
    and the margin keeper's cycle."""


@margin.command("open")
@network_option
@account_option
@json_option
def margin_open(network_choice: str, account_alias: str, as_json: bool) -> None:
    """Open the margin account of the wallet's identity (Institutional class)."""
    from keepers.core.errors import send_or_explain

    with session(network_choice, account_alias) as s:
        receipt = send_or_explain(
            "opening the account", lambda: s.book.broker.openAccount(sender=s.wallet)
        )
        data = {"account": s.account, "wallet": s.wallet.address, "tx": str(receipt.txn_hash)}
    _emit(data, as_json, "Margin account opened")


def _amount_command(name: str, kind: int, help_text: str):
    """deposit / withdraw: ASSET AMOUNT, one action."""

    @margin.command(name, help=help_text, context_settings=AMOUNT_SETTINGS)
    @click.argument("asset")
    @amount_argument()
    @network_option
    @account_option
    @click.option(
        "--to",
        "to",
        default=None,
        callback=address_value,
        help="withdraw: a wallet of the identity.",
    )
    @json_option
    def command(
        asset: str,
        amount: str,
        network_choice: str,
        account_alias: str,
        to: str | None,
        as_json: bool,
    ) -> None:
        from keepers.core.units import parse_units

        with session(network_choice, account_alias) as s:
            _require_open(s)
            listing = _listing(s, asset)
            units = parse_units(amount, listing.decimals, "AMOUNT")
            if kind == DEPOSIT:
                _approve(s, listing, units)
                action = (DEPOSIT, listing.asset, units, ZERO, b"")
            else:
                action = (WITHDRAW, listing.asset, units, to or s.wallet.address, b"")
            data = _execute(s, f"{name} of {amount} {listing.symbol}", [action])
        _emit({**data, "asset": listing.symbol, "amount": amount}, as_json, f"{name.title()}")

    return command


_amount_command("deposit", DEPOSIT, "Deposit AMOUNT of ASSET from the wallet as collateral.")
_amount_command(
    "withdraw", WITHDRAW, "Withdraw AMOUNT of ASSET to the wallet (or --to another of it)."
)


@margin.command("borrow", context_settings=AMOUNT_SETTINGS)
@click.argument("asset")
@amount_argument()
@network_option
@account_option
@click.option("--keep", is_flag=True, help="Keep the loan in the account (to trade it).")
@json_option
def margin_borrow(
    asset: str, amount: str, network_choice: str, account_alias: str, keep: bool, as_json: bool
) -> None:
    """Borrow AMOUNT of ASSET from its pool, to the wallet (or kept in the account)."""
    from keepers.core.units import parse_units

    with session(network_choice, account_alias) as s:
        listing = _borrowable(s, asset)
        units = parse_units(amount, listing.decimals, "AMOUNT")
        to = ZERO if keep else s.wallet.address
        data = _execute(
            s, f"borrowing {amount} {listing.symbol}", [(BORROW, listing.asset, units, to, b"")]
        )
    _emit({**data, "asset": listing.symbol, "amount": amount, "kept": keep}, as_json, "Borrowed")


@margin.command("repay", context_settings=AMOUNT_SETTINGS)
@click.argument("asset")
@amount_argument(allow_all=True)
@network_option
@account_option
@click.option(
    "--from-account", is_flag=True, help="Repay from the account's own balance, not the wallet."
)
@json_option
def margin_repay(
    asset: str,
    amount: str,
    network_choice: str,
    account_alias: str,
    from_account: bool,
    as_json: bool,
) -> None:
    """Repay AMOUNT (or `all`) of the account's ASSET debt, from the wallet by default. Its
    assigned debt (written off beside a matured note's claim) is repaid first: `all` repays that
    part alone, a second `all` the pool's."""
    from keepers.core.units import parse_units

    with session(network_choice, account_alias) as s:
        listing = _borrowable(s, asset)
        assigned = int(s.book.broker.assignedDebtOf(s.account, listing.asset))
        spread = int(s.book.margin.creditLineOf(s.account)[1])
        debt = assigned or int(listing.pool.debtOf(s.account, spread))
        if debt == 0:
            raise QuanteraError(f"the account owes no {listing.symbol}")
        units = MAX_UINT if amount == "all" else parse_units(amount, listing.decimals, "AMOUNT")
        if not from_account:
            # `all`: the debt a block from now is a little more than now's: approve a margin.
            _approve(s, listing, min(units, debt + debt // 1_000 + 1))
        to = ZERO if from_account else s.wallet.address
        data = _execute(
            s, f"repaying {amount} {listing.symbol}", [(REPAY, listing.asset, units, to, b"")]
        )
    _emit({**data, "asset": listing.symbol, "amount": amount}, as_json, "Repaid")


@margin.command("positions")
@network_option
@reader_option
@identity_option
@json_option
def margin_positions(
    network_choice: str, account_alias: str | None, identity: str | None, as_json: bool
) -> None:
    """Every listed asset the account holds or owes, at oracle prices."""
    from keepers.prime import model

    with reading_session(network_choice, account_alias, identity) as s:
        _require_open(s)
        holdings = _holdings(s)
        rows = []
        for listing in s.book.listings():
            h = holdings[listing.asset]
            if not (h.balance or h.debt):
                continue
            rows.append(
                {
                    "asset": listing.symbol,
                    "address": listing.asset,
                    "balance": whole(h.balance, h.decimals),
                    "debt": whole(h.debt, h.decimals),
                    "assigned": whole(h.assigned, h.decimals),
                    "price_usd": usd(h.price18),
                    "value_usd": usd(model.value_down(h.balance, h.price18, h.decimals)),
                    "debt_usd": usd(model.value_up(h.debt, h.price18, h.decimals)),
                    "haircut_bps": model.haircut_bps(h.risk_weight_bps),
                }
            )
    data = {"account": s.account, "positions": rows}
    if as_json:
        _emit(data, True, "")
        return

    columns = (
        "asset",
        "balance",
        "debt",
        "assigned",
        "price_usd",
        "value_usd",
        "debt_usd",
        "haircut_bps",
    )
    from keepers.core.shown import BPS_KIND, USD, grouped, shown
    from keepers.core.terminal import plain

    kinds: dict[str, Any] = {"price_usd": USD, "value_usd": USD, "debt_usd": USD}
    kinds["haircut_bps"] = BPS_KIND
    table = Table(title=f"Positions of {s.account}")
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        cells = [shown(row[c], kinds.get(c)) for c in columns]
        for k, c in enumerate(columns):
            if c in ("balance", "debt", "assigned"):
                cells[k] = f"{grouped(row[c])} {row['asset']}"
        table.add_row(*map(plain, cells))  # a symbol is the issuer's text: never markup
    print_table(table)


def _holdings(s: Session, block: int | str = "latest") -> dict:
    """The account's holdings at `block`; a price that cannot be read (a stale feed on an asset it
    owes) is one line naming the oracle's error, whichever way the session reads."""
    from keepers.core.views import ViewReverted

    try:
        return s.book.holdings(s.account, block)
    except ViewReverted as err:  # read directly: the reason is decoded already
        raise QuanteraError(f"cannot value the account: {err}") from None
    except Exception as err:
        reverted = getattr(sys.modules.get("ape.exceptions"), "ContractLogicError", ())
        if not isinstance(err, reverted):
            raise
        from keepers.core.errors import revert_line

        raise QuanteraError(f"cannot value the account: {revert_line(err)}") from None


def _health_record(s: Session, block: int) -> tuple[Any, dict]:
    """The account's health and what follows from it, every figure as of `block`."""
    from eth_utils import to_checksum_address

    from keepers.prime.model import Figures

    try:
        mark = s.book.mark(s.account, block)
    except LookupError as err:
        raise QuanteraError(str(err)) from None
    h, tier = mark.health, mark.tier
    figures = Figures(h.collateral_usd, h.adjusted_collateral_usd, h.debt_usd, h.adjusted_debt_usd)
    return mark, {
        "account": s.account,
        # The name the deployment's address book gives the account (CON-88), None when it has none.
        "account_name": s.record.accounts.get(to_checksum_address(s.account)),
        "block": block,
        **h.as_record(),
        "collateral_usd": usd(h.collateral_usd),
        "adjusted_collateral_usd": usd(h.adjusted_collateral_usd),
        "debt_usd": usd(h.debt_usd),
        "adjusted_debt_usd": usd(h.adjusted_debt_usd),
        "initial_bps": tier.initial_bps,
        "maintenance_bps": tier.maintenance_bps,
        "liquidation_bps": tier.liquidation_bps,
        "shortfall_to_initial_usd": usd(figures.shortfall(tier.initial_bps)),
        "shortfall_to_maintenance_usd": usd(figures.shortfall(tier.maintenance_bps)),
        "liquidations": mark.liquidations,
        "halted": bool(s.book.broker.isHalted(s.account, block_id=block)),
    }


@margin.command("health")
@network_option
@reader_option
@identity_option
@json_option
def margin_health(
    network_choice: str, account_alias: str | None, identity: str | None, as_json: bool
) -> None:
    """The account's collateral and debt at oracle prices, its ratio against its tier's, its open
    margin call and whether it may be liquidated now: every figure of the head block (`block`)."""
    with reading_session(network_choice, account_alias, identity) as s:
        _require_open(s)
        _, data = _health_record(s, s.book.view.head()[0])
    name = f" ({data['account_name']})" if data["account_name"] else ""
    if as_json:
        _emit(data, True, "")
        return
    from keepers.core.shown import ADDRESS, BPS_KIND, TIME, USD, record_names, shown_table

    kinds: dict[str, Any] = {"account": ADDRESS}
    kinds |= dict.fromkeys(("margin_call_at", "deadline", "margin_call_seen_at"), TIME)
    kinds |= dict.fromkeys(
        ("ratio_bps", "initial_bps", "maintenance_bps", "liquidation_bps"), BPS_KIND
    )
    kinds |= {k: USD for k in data if k.endswith("_usd")}
    shown = {k: v for k, v in data.items() if k != "account_name"}
    if shown["ratio_bps"] is None:
        shown["ratio_bps"] = "no debt"
        kinds.pop("ratio_bps")
    print_table(shown_table(f"Health of {s.account}{name}", shown, kinds, record_names(s.record)))


@margin.command("claim-income")
@click.argument("asset")
@network_option
@account_option
@json_option
def margin_claim_income(network_choice: str, account_alias: str, asset: str, as_json: bool) -> None:
    """Credit the account its income on ASSET (a note's coupons and, at maturity, its redemption;
    an income share class's dividend) since it last moved, as collateral (SEC-20..22)."""
    from keepers.core.errors import send_or_explain

    with session(network_choice, account_alias) as s:
        _require_open(s)
        listing = _listing(s, asset)
        if listing.income_kind == 0:
            raise QuanteraError(f"{listing.symbol} bears no income at the broker (setIncome)")
        receipt = send_or_explain(
            f"claiming the income on {listing.symbol}",
            lambda: s.book.broker.claimIncome(s.account, listing.asset, sender=s.wallet),
        )
        credited = [e for e in receipt.events if e.event_name == "IncomeCredited"]
        matured = [e for e in receipt.events if e.event_name == "CollateralMatured"]
        data = {
            "account": s.account,
            "asset": listing.asset,
            "credited": [
                {"pay_asset": str(e.payAsset), "amount": str(int(e.amount))} for e in credited
            ],
            "matured_units": str(sum(int(e.units) for e in matured)),
            "tx": str(receipt.txn_hash),
        }
    _emit(data, as_json, f"Income on {listing.symbol}")


@margin.command("top-up")
@click.argument("asset")
@network_option
@reader_option
@identity_option
@click.option(
    "--target",
    type=click.Choice(["initial", "maintenance"]),
    default="initial",
    show_default=True,
    help="The ratio to get back to.",
)
@json_option
def margin_top_up(
    asset: str,
    network_choice: str,
    account_alias: str | None,
    identity: str | None,
    target: str,
    as_json: bool,
) -> None:
    """The amount of ASSET to deposit for the account to get back to initial margin."""
    from keepers.prime import model

    with session(network_choice, account_alias, identity) as s:
        _require_open(s)
        listing = _listing(s, asset)
        # Every figure of the head: an amount to act on counts the newest prices (helper-117 M2).
        block = s.book.view.head()[0]
        mark, health = _health_record(s, block)
        holding = _holdings(s, block)[listing.asset]
        target_bps = mark.tier.initial_bps if target == "initial" else mark.tier.maintenance_bps
        units = model.top_up_units(
            mark.health.adjusted_collateral_usd,
            mark.health.adjusted_debt_usd,
            target_bps,
            holding,
        )
        if units is None:
            raise QuanteraError(f"{listing.symbol} has a 100% haircut: it cannot top up")
    data = {
        "account": s.account,
        "asset": listing.symbol,
        "target_bps": target_bps,
        "ratio_bps": health["ratio_bps"],
        "haircut_bps": model.haircut_bps(listing.risk_weight_bps),
        "amount": whole(units, listing.decimals),
        "units": str(units),
    }
    _emit(data, as_json, f"Top-up of {s.account}")


@margin.command("preview-liquidation")
@network_option
@reader_option
@identity_option
@click.option("--debt", "debt_ref", default=None, help="Debt asset (default: the largest).")
@click.option(
    "--collateral", "collateral_ref", default=None, help="Collateral (default: the largest)."
)
@click.option("--repay", "repay_amount", default=None, help="Debt to repay (default: the most).")
@json_option
def margin_preview_liquidation(
    network_choice: str,
    account_alias: str | None,
    identity: str | None,
    debt_ref: str | None,
    collateral_ref: str | None,
    repay_amount: str | None,
    as_json: bool,
) -> None:
    """What a liquidation of the account would repay and seize now, with the bonus (the margin
    keeper's choice unless told), or why it is not liquidatable."""
    from keepers.core.errors import call_or_explain
    from keepers.core.units import parse_units
    from keepers.prime.margin import choose_liquidation, largest_debt

    with session(network_choice, account_alias, identity) as s:
        _require_open(s)
        block = s.book.view.head()[0]  # every figure of one block, the newest
        mark, _ = _health_record(s, block)
        holdings = _holdings(s, block)
        debt = _listing(s, debt_ref).asset if debt_ref else largest_debt(holdings)
        if debt is None:
            raise QuanteraError(f"{s.account} owes nothing: nothing to liquidate")
        seizable = [_listing(s, collateral_ref).asset] if collateral_ref else None
        choice = choose_liquidation(
            holdings,
            mark.health.ratio_bps,
            mark.tier,
            seizable,
            debt_asset=debt,
        )
        if choice is None:
            raise QuanteraError(f"{s.account} holds no collateral to seize")
        debt_listing = _listing(s, choice.debt_asset)
        repay = (
            parse_units(repay_amount, debt_listing.decimals, "--repay")
            if repay_amount
            else choice.repay
        )
        repaid, seized, bonus, value = call_or_explain(
            "the preview",
            s.book.margin,
            "previewLiquidation",
            s.account,
            choice.debt_asset,
            repay,
            choice.collateral_asset,
        )
        collateral = _listing(s, choice.collateral_asset)
    data = {
        "account": s.account,
        "ratio_bps": _ratio(mark.health.ratio_bps),
        "liquidatable": mark.health.liquidatable,
        "debt_asset": debt_listing.symbol,
        "collateral_asset": collateral.symbol,
        "repay": whole(repay, debt_listing.decimals),
        "repaid": whole(int(repaid), debt_listing.decimals),
        "seized": whole(int(seized), collateral.decimals),
        "bonus_bps": int(bonus),
        "seized_value_usd": usd(int(value)),
    }
    _emit(data, as_json, f"Liquidation preview of {s.account}")


@margin.command("keep")
@network_option
@account_option
@click.option(
    "--db-url", default=None, help="Keeper store URL (default: $QUANTERA_DB_URL or SQLite)."
)
@click.option("--take", is_flag=True, help="Take collateral when no sale covers a repayment.")
@click.option("--max-liquidations", type=click.IntRange(1, 100), default=None)
@json_option
def margin_keep(
    network_choice: str,
    account_alias: str,
    db_url: str | None,
    take: bool,
    max_liquidations: int | None,
    as_json: bool,
) -> None:
    """One margin-keeper cycle at the head: mark every account, margin-call, liquidate."""
    from ape import chain

    from keepers.core import store
    from keepers.core.chain import connected, load_account
    from keepers.core.retries import TRANSPORT_ERRORS
    from keepers.prime.keeper import Head, MarginKeeper
    from keepers.prime.margin import MAX_LIQUIDATIONS_PER_BLOCK

    with connected(network_choice) as record:
        keeper = MarginKeeper(
            store.open_store(db_url),
            record,
            load_account(account_alias),
            max_liquidations or MAX_LIQUIDATIONS_PER_BLOCK,
            take,
        )
        try:
            block = chain.blocks.head
            result = keeper.cycle(Head(int(block.number), int(block.timestamp)))
        except TRANSPORT_ERRORS as err:  # after the keeper's retries
            raise QuanteraError(
                f"{redact_urls(network_choice)} stopped answering during the cycle "
                f"({type(err).__name__}); "
                "the keeper store holds what was signed: the next cycle follows it up"
            ) from err
    _emit(result, as_json, "Margin keeper cycle")
