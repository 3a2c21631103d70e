"""The click options every chain command of `quantera` shares, defined once."""

import click


def _network(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    from keepers.core.chain import resolve_network

    return resolve_network(value)


#: Every chain command's network: by default the local demo `make demo SERVE=1` keeps up (its
#: deployment records and keeper store come with it); `--network` picks another deployment.
network_option = click.option(
    "--network",
    "network_choice",
    default=None,
    callback=_network,
    help="Ape network choice, e.g. ethereum:sepolia:node (default: the demo left up by "
    "`make demo SERVE=1`).",
)
account_option = click.option(
    "--account", "account_alias", required=True, help="Ape account alias, or TEST::<n> locally."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")

# EIP-155 chain ids are positive; wallets and nodes hold them in 64 bits (EIP-2294).
MAX_CHAIN_ID = 2**64 - 1
chain_id_option = click.option(
    "--chain-id",
    type=click.IntRange(1, MAX_CHAIN_ID),
    default=None,
    help="The chain's EIP-155 id (a positive integer; default: the demo left up by "
    "`make demo SERVE=1`, read from its keeper store).",
)

#: The context of a command taking an AMOUNT argument: a negative number ("-5") reaches the
#: argument's check (click would read it as an unknown option: "No such option: -5").
AMOUNT_SETTINGS = {"ignore_unknown_options": True}


def amount_argument(name: str = "amount", allow_all: bool = False):
    """A positive decimal AMOUNT in whole units (`all` too when `allow_all`), checked before any
    connection: a negative, zero or non-numeric one is a one-line usage error."""
    from decimal import Decimal, InvalidOperation

    def check(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        if allow_all and value == "all":
            return value
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise click.BadParameter(f"{value!r} is not a number") from None
        if not amount.is_finite() or amount <= 0:
            raise click.BadParameter(f"must be a positive amount, not {value}")
        return value

    return click.argument(name, callback=check)


def address_value(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: an EVM address (0x and 40 hex digits; any case) in its checksummed form,
    or None when not given; anything else is a one-line usage error before any connection."""
    if value is None:
        return None
    from eth_utils import is_hex_address, to_checksum_address

    if not is_hex_address(value):
        raise click.BadParameter(f"{value!r} is not an address (0x and 40 hex digits)")
    return to_checksum_address(value)
