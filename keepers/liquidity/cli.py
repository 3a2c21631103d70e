"""`quantera route quote|execute`: the smart order router against a deployed aggregator."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

import click
from rich.table import Table

from keepers.core.cli_options import network_option
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json
from keepers.core.terminal import print_table
from keepers.liquidity.fills import decode_fills
from keepers.liquidity.router import Plan, Router, sources_from_record
from keepers.liquidity.submit import private_rpc, send

NATIVE_USD_DEFAULT = 3_000.0
ZERO_ADDRESS = "0x" + "00" * 20


def token_addresses(record, view=None) -> dict[str, str]:
    """Symbol -> address of every token the deploy script recorded (`view`: how the unnamed
    SecurityToken's symbol is read; default ape's provider)."""
    from keepers.core.views import view_or_ape

    tokens = {}
    for name, address in record.contracts.items():
        if name.startswith("LocalStablecoin."):
            tokens[name.split(".", 1)[1]] = address
        elif name.startswith("SecurityToken."):
            tokens[name.split(".", 1)[1]] = address
        elif name == "SecurityToken":
            view = view_or_ape(view)
            tokens[str(view.at("SecurityToken", address).symbol())] = address
    return tokens


def resolve_token(tokens: dict[str, str], value: str) -> str:
    if value.startswith("0x") and len(value) == 42:
        return value
    try:
        return tokens[value.upper()]
    except KeyError:
        raise QuanteraError(
            f"unknown token {value!r} (known: {', '.join(sorted(tokens))})"
        ) from None


def parse_amount(value: str, decimals: int) -> int:
    """`--amount` in whole units as base units: the shared parser (keepers.core.units), so NaN,
    infinity and an amount finer than the token's decimals (which rounded to 0 base units) are
    refused in one line like every other command's amounts."""
    from keepers.core.units import parse_units

    return parse_units(value, decimals, "--amount")


def _plan(
    record,
    token_in: str,
    token_out: str,
    amount: str,
    recipient: str | None,
    rfq_maker: str | None,
    native_usd: float,
    oracle_bps: int,
    slippage_bps: int,
    taker: str | None = None,
    view=None,
) -> tuple[Plan, object, object]:
    """`taker` sends the route (default: the recipient): RFQ quotes are asked for it and the
    aggregator is quoted as from it, since on chain the route's taker is its sender (SEC-149), not
    its recipient. `view` (keepers.core.views): how the chain is read (default ape's provider,
    whose contracts also send; an RFQ maker's quote needs it)."""
    from keepers.core.units import format_units
    from keepers.core.views import view_or_ape

    view = view_or_ape(view)
    taker = taker or recipient
    aggregator = view.at("LiquidityAggregator", record.address_of("LiquidityAggregator"))
    oracle = view.at("OracleRouter", record.address_of("OracleRouter"))
    tokens = token_addresses(record, view)
    address_in, address_out = resolve_token(tokens, token_in), resolve_token(tokens, token_out)
    contract_in, contract_out = view.erc20(address_in), view.erc20(address_out)
    decimals_in = int(contract_in.decimals())
    amount_in = parse_amount(amount, decimals_in)
    supply = int(contract_in.totalSupply())
    if amount_in > supply:
        # Nothing can sell more than exists (a quote of 1e40 ran the venues out of gas).
        raise QuanteraError(
            f"--amount {amount} is more than all of {token_in}: its supply is "
            f"{format_units(supply, decimals_in)}"
        )
    gas_price = view.gas_price()
    price_out = int(oracle.price(address_out))
    gas_cost_out = (
        gas_price / 1e18 * native_usd / (price_out / 1e18) * 10 ** int(contract_out.decimals())
        if price_out
        else 0.0
    )
    router = Router(
        aggregator, sources_from_record(record.contracts), gas_cost_out, reads=view.reads
    )
    pending_time = view.pending_timestamp()  # a route's deadline counts from the next block
    source_data, hints = {}, []
    if rfq_maker:
        from ape import chain

        from keepers.core.chain import load_account
        from keepers.liquidity.market_maker import MarketMaker

        maker_account = load_account(rfq_maker)
        maker = MarketMaker(
            maker_account.address,
            maker_account.private_key,
            record.address_of("RfqVenue"),
            chain.chain_id,
            oracle,
        )
        if not taker:
            raise QuanteraError("--rfq-maker quotes a named taker: give --taker")
        signed = maker.quote(
            contract_in, contract_out, amount_in, chain.pending_timestamp, taker=taker
        )
        source_data[record.address_of("RfqVenue").lower()] = signed.hop_data()
        hints.append(signed.quote.amount_in)
    nav = view.at("NavVenue", record.address_of("NavVenue"))
    fund_token = address_out if address_in.lower() == nav.cash().lower() else address_in
    subscribing = address_in.lower() == nav.cash().lower()
    capacity = int(nav.remainingCapacity(fund_token, subscribing))
    if capacity and subscribing:
        hints.append(capacity)
    deadline = pending_time + 600
    plan = router.plan(
        address_in,
        address_out,
        amount_in,
        recipient or ZERO_ADDRESS,
        deadline,
        oracle_bps,
        slippage_bps,
        source_data,
        hints,
        taker=taker,
    )
    symbols = {v.lower(): k for k, v in tokens.items()}
    path_tokens = list(tokens.values())
    probes = {address: 10 ** view.decimals(address) for address in path_tokens}
    path, arbitrage = router.best_path(path_tokens, address_in, address_out, probes)
    if path is not None and len(path.tokens) > 2:
        plan.path = [symbols[path_tokens[t].lower()] for t in path.tokens]
    plan.arbitrage = arbitrage
    plan.decimals_in, plan.decimals_out = decimals_in, int(contract_out.decimals())
    plan.symbol_in = symbols.get(address_in.lower(), token_in)
    plan.symbol_out = symbols.get(address_out.lower(), token_out)
    return plan, aggregator, contract_in


def _show(plan: Plan, as_json: bool, extra: dict | None = None) -> None:
    data = {**plan.as_dict(), **(extra or {})}
    if as_json:
        echo_json(data)
        return
    table = Table(title=f"{plan.shown_in(plan.amount_in)} -> {plan.symbol_out or plan.token_out}")
    table.add_column("source")
    table.add_column("amount in", justify="right")
    table.add_column("predicted out", justify="right")
    for name, amount_in, out in plan.legs:
        table.add_row(name, plan.shown_in(amount_in), plan.shown_out(out))
    print_table(table)
    click.echo(
        f"predicted output {plan.shown_out(plan.predicted_out)}; best single source "
        f"{plan.best_single[0]} {plan.shown_out(plan.best_single[1])}; improvement "
        f"{plan.improvement_bps:.1f} bps; gas estimate {plan.gas_estimate:,}"
    )
    for key, value in (extra or {}).items():
        click.echo(f"{key}: {value}")


common = [
    click.option(
        "--token-in", required=True, help="Symbol from the deployment record, or an address."
    ),
    click.option("--token-out", required=True),
    click.option(
        "--amount", required=True, help="Amount of token-in, in whole units (e.g. 250000.5)."
    ),
    click.option(
        "--rfq-maker", help="Ask this market maker account (alias or TEST::n) for a firm quote."
    ),
    click.option(
        "--native-usd",
        type=click.FloatRange(0, min_open=True),
        default=NATIVE_USD_DEFAULT,
        show_default=True,
        help="Price of the gas token, to weigh a split's gas against its gain.",
    ),
    click.option(
        "--oracle-bps",
        type=click.IntRange(0, 10_000),
        default=100,
        show_default=True,
        help="Oracle bound of the route (0: none; large orders need one).",
    ),
    click.option(
        "--slippage-bps",
        type=click.IntRange(0, 1_000),
        default=10,
        show_default=True,
        help="Minimum output = prediction less this.",
    ),
    click.option("--json", "as_json", is_flag=True),
]


def with_common(function):
    for option in reversed(common):
        function = option(function)
    return network_option(function)


@click.group()
def route() -> None:
    """Smart order routing through the LiquidityAggregator."""


@route.command("quote")
@with_common
@click.option(
    "--taker",
    help="Address that will send the order (and receive it): RFQ quotes are for it alone.",
)
def route_quote(
    network_choice,
    token_in,
    token_out,
    amount,
    rfq_maker,
    native_usd,
    oracle_bps,
    slippage_bps,
    as_json,
    taker,
) -> None:
    """The best split (and multi-hop path) for an order, priced exactly on the current state."""
    from keepers.core.chain import connected, reading

    # An RFQ maker signs with an Ape account: through ape (`view` None); otherwise a node named by
    # its URL is read directly (CON-89).
    session = _with_no_view(connected(network_choice)) if rfq_maker else reading(network_choice)
    with session as (record, view):
        plan, _, _ = _plan(
            record,
            token_in,
            token_out,
            amount,
            taker,
            rfq_maker,
            native_usd,
            oracle_bps,
            slippage_bps,
            view=view,
        )
    _show(plan, as_json)


@contextmanager
def _with_no_view(records):
    """`connected`'s record with no view: the readers take ape's provider."""
    with records as record:
        yield record, None


@route.command("execute")
@with_common
@click.option(
    "--account", "account_alias", required=True, help="Ape account alias, or TEST::<n> locally."
)
@click.option("--recipient", help="Receiver of token-out (default: the account).")
@click.option(
    "--commit/--no-commit",
    "use_commit",
    default=None,
    help="Commit-reveal (default: when the order is at or above the token's large-order "
    "threshold).",
)
@click.option(
    "--private-rpc",
    "private_rpc_url",
    help="Private transaction endpoint (or QUANTERA_PRIVATE_RPC); off by default.",
)
def route_execute(
    network_choice,
    token_in,
    token_out,
    amount,
    rfq_maker,
    native_usd,
    oracle_bps,
    slippage_bps,
    as_json,
    account_alias,
    recipient,
    use_commit,
    private_rpc_url,
) -> None:
    """Plans, then executes the order: an exact approval the swap consumes, then swap or
    commit-reveal."""
    from keepers.core.chain import connected, load_account

    with connected(network_choice) as record:
        account = load_account(account_alias)
        plan, aggregator, token = _plan(
            record,
            token_in,
            token_out,
            amount,
            recipient or account.address,
            rfq_maker,
            native_usd,
            oracle_bps,
            slippage_bps,
            taker=account.address,  # the sender is the route's taker, whoever receives (SEC-149)
        )
        extra = execute_plan(
            plan, aggregator, token, account, use_commit, private_rpc(private_rpc_url)
        )
        _show(plan, as_json, extra)


def execute_plan(
    plan: Plan, aggregator, token, account, use_commit: bool | None, private_url: str | None
) -> dict:
    """Sends the plan; returns what the chain says happened (RouteExecuted, gas)."""
    threshold = int(aggregator.tokenPolicy(plan.token_in)[0])
    if use_commit is None:
        use_commit = threshold != 0 and plan.amount_in >= threshold
    send(account, token.approve, aggregator.address, plan.amount_in, private_url=private_url)
    gas = 0
    if use_commit:
        salt = os.urandom(32)
        commitment = aggregator.commitmentOf(account.address, plan.route, salt)
        gas += send(account, aggregator.commit, commitment, private_url=private_url).gas_used
        receipt = send(account, aggregator.revealSwap, plan.route, salt, private_url=private_url)
    else:
        receipt = send(account, aggregator.swap, plan.route, private_url=private_url)
    gas += receipt.gas_used
    done = [log for log in receipt.events if log.event_name == "RouteExecuted"]
    if not done:
        raise QuanteraError(f"transaction {receipt.txn_hash} executed no route")
    # What each source took and gave, as the chain recorded it (execution quality from the chain).
    fills = [
        {
            "venue": f.venue,
            "token_out": f.token_out,
            "amount_in": str(f.amount_in),
            "amount_out": str(f.amount_out),
        }
        for f in decode_fills(done[0].fills)
    ]
    return {
        "amount_out": str(done[0].amountOut),
        "gas_used": gas,
        "tx": str(receipt.txn_hash),
        "commit_reveal": bool(use_commit),
        "at": int(time.time()),
        "fills": fills,
    }
