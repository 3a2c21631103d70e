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
