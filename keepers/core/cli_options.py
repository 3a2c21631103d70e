"""The click options every chain command of `quantera` shares, defined once."""

import click

network_option = click.option(
    "--network",
    "network_choice",
    required=True,
    help="Ape network choice, e.g. ethereum:local:http://127.0.0.1:8545.",
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
    required=True,
    help="The chain's EIP-155 id (a positive integer).",
)
