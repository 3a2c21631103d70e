"""Connecting off-chain tools to a network: the provider, an account, and the deployment record."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from keepers.core.deployments import DEPLOYMENTS_DIR_ENV, DeploymentRecord, load, record_path
from keepers.core.errors import QuanteraError
from keepers.core.running_demo import DEMO_CHAIN_ID, trusted_running_demo

if TYPE_CHECKING:
    from keepers.core.views import ChainView

NO_DEMO = (
    "no local demo deployment is running: start one with `make demo SERVE=1`, or pass --network"
)


#: The network choices resolved from the announced demo (not named by the user): `connected`
#: refuses one whose chain is not the demo's.
_FOLLOWED_DEMOS: set[str] = set()

#: Set by the `quantera` CLI (unless --debug): its stdout is the command's answer (strict JSON with
#: --json), so ape's connection notices and call traces must not land there.
QUIET = False
#: Set by `quantera --verbose`: ape's own notices (connecting, each transaction) shown too, on
#: stderr; errors stay one line (only --debug gives tracebacks).
VERBOSE = False


def quiet_ape() -> None:
    """ape writes every log line to stdout (its ClickHandler: "Connecting to a node", "Confirmed
    0x…") and prints a call trace for every reverted call there (ape_ethereum's provider,
    `trace.show()`), also for the reverts a read expects (a probe of a contract that may not
    answer). For a command whose stdout is its answer and whose refusal is one line: ape's logger
    at WARNING, its warnings on stderr, and no trace printed (the revert itself is still raised and
    reported in one line). NOT kept: ape's INFO lines of a sent transaction: the command names
    each transaction it sends itself, one `sent:` line on stderr each (`announce_sent`)."""
    from ape.logging import ClickHandler, LogLevel, logger
    from ape_ethereum.trace import Trace

    logger.set_level(LogLevel.INFO if VERBOSE else LogLevel.WARNING)
    for handler in logger._logger.handlers:
        if isinstance(handler, ClickHandler):
            handler.echo_kwargs = {level: {"err": True} for level in _APE_LEVELS}
    Trace.show = _no_trace  # type: ignore[method-assign]


def announce_sent(what: str, receipt) -> None:
    """Under the `quantera` CLI (QUIET), one line on stderr naming a transaction it sent: what it
    was, its hash, block and gas, so an operator holds the hash of everything sent, also when a
    later step of the command is refused (that refusal stays the last line, `error: ...`). The
    answer (a table, or strict JSON with --json) stays alone on stdout. Silent elsewhere (keepers,
    scripts and tests keep their own records); with --debug, ape's own lines say it."""
    if not QUIET or receipt is None or not hasattr(receipt, "txn_hash"):
        return
    import click

    gas = getattr(receipt, "gas_used", None)
    click.echo(
        f"sent: {what}: {receipt.txn_hash} (block {receipt.block_number}"
        + (f", gas {gas:,})" if gas is not None else ")"),
        err=True,
    )


#: ape's level names as its ClickHandler looks them up (`record.levelname.lower()`).
_APE_LEVELS = ("error", "warning", "success", "info", "debug")


def _no_trace(self, verbose: bool = False, file=None) -> None:
    return None


@contextmanager
def untraced() -> Iterator[None]:
    """No call trace printed inside (ape prints one to stdout for every reverted call, also for a
    revert the caller expects and reports itself: a probe, or a revert read again to decode it)."""
    from ape_ethereum.trace import Trace

    shown = Trace.show
    Trace.show = _no_trace  # type: ignore[method-assign]
    try:
        yield
    finally:
        Trace.show = shown  # type: ignore[method-assign]


def resolve_network(network_choice: str | None) -> str:
    """The network a command talks to: `network_choice` when given, else the local demo that
    `make demo SERVE=1` keeps up (announced in .quantera/demo.json, `keepers.core.running_demo`).
    By default the deployment records are read from the demo's folder and the keepers' store is
    the demo's (whatever QUANTERA_DEPLOYMENTS_DIR / QUANTERA_DB_URL say: records and a store kept
    for another chain would not describe this one); with `--network` naming the demo's RPC URL,
    those variables win when set. An announcement is followed only when it is trustworthy
    (`trusted_running_demo`: this user's file and process, a loopback chain; once connected, the
    demo's chain id): raises QuanteraError when nothing is named and no demo runs, or when the
    announced one must not be followed."""
    from keepers.core.store import DB_URL_ENV

    if network_choice is not None:
        try:
            demo = trusted_running_demo()
        except QuanteraError:  # an announcement not to follow: the named network is used as given
            demo = None
    else:
        demo = trusted_running_demo()
        if demo is None:
            raise QuanteraError(NO_DEMO)
        os.environ[DEPLOYMENTS_DIR_ENV] = demo.deployments_dir
        os.environ[DB_URL_ENV] = demo.db_url
        _FOLLOWED_DEMOS.add(demo.network_choice)
        return demo.network_choice
    if demo is not None and network_choice.rstrip("/") == demo.network_choice.rstrip("/"):
        os.environ.setdefault(DEPLOYMENTS_DIR_ENV, demo.deployments_dir)
        os.environ.setdefault(DB_URL_ENV, demo.db_url)
        _FOLLOWED_DEMOS.add(network_choice)
    return network_choice


def on_followed_demo() -> bool:
    """Whether the network `connected` is in is the announced local demo (by default or named by
    its URL, its chain id checked): a local test chain, where what the keepers' store names may be
    acted on (keepers.lifecycle's registries behind the store's funds). Elsewhere a store row is
    no reason to send anything anywhere."""
    return _CONNECTED[-1] in _FOLLOWED_DEMOS if _CONNECTED else False


def one_line(err: BaseException, shown: int = 8) -> str:
    """An error whose message lists its options one a line ("No ecosystem named 'foo'. Options:"
    then one name a line) as one line: the first `shown` options, and how many there are."""
    first, *rest = str(err).strip().splitlines() or [type(err).__name__]
    options = [line.strip() for line in rest if line.strip()]
    if not options:
        return first
    more = f", … ({len(options)} in all: `ape networks list`)" if len(options) > shown else ""
    return f"{first} {', '.join(options[:shown])}{more}"


#: The network choices `connected` is in, innermost last.
_CONNECTED: list[str] = []


@contextmanager
def connected(network_choice: str) -> Iterator[DeploymentRecord]:
    """Connects ape to `network_choice` (e.g. `ethereum:sepolia:node` or
    `ethereum:local:http://127.0.0.1:8545`) and yields that network's deployment record."""
    from ape import chain, networks
    from ape.exceptions import ApeException
    from ape.logging import LogLevel, logger

    from keepers.core.ape_config import cache_network_config

    cache_network_config()
    if QUIET:
        quiet_ape()
        # Connecting, ape warns once per retry of each public endpoint it tries (11 lines for
        # `ethereum:sepolia` without a node): the outcome is this command's one line.
        logger.set_level(LogLevel.INFO if VERBOSE else LogLevel.ERROR)
    try:
        context = networks.parse_network_choice(network_choice)
        context.__enter__()
    except (ApeException, ValueError) as err:
        why = one_line(err)
        if why.startswith("Missing URI"):  # every public endpoint ape knows failed to answer
            why = f"no node answered ({why}): name one, e.g. {network_choice}:https://<node URL>"
        raise QuanteraError(f"cannot connect to {network_choice}: {why}") from None
    except OSError:  # a transport's failure: ape-node's NodeSoftwareNotInstalledError (5 lines)
        raise QuanteraError(f"cannot connect to {network_choice}: no node answers there") from None
    finally:
        if QUIET:
            logger.set_level(LogLevel.INFO if VERBOSE else LogLevel.WARNING)
    try:
        if network_choice in _FOLLOWED_DEMOS:
            # The node's own answer: ape's `chain.chain_id` on a local URI is its configured id.
            answer = chain.provider.make_request("eth_chainId", [])
            node_chain = int(answer, 16) if isinstance(answer, str) else int(answer)
            if node_chain != DEMO_CHAIN_ID:
                raise QuanteraError(
                    f"the announced demo's chain is chain {node_chain}, not the demo's "
                    f"{DEMO_CHAIN_ID}: not followed (pass --network to name a chain)"
                )
        network = chain.provider.network
        record = load(record_path(f"{network.ecosystem.name}:{network.name}"))
        if record.chain_id != chain.chain_id:
            raise QuanteraError(
                f"deployment record is for chain {record.chain_id}, "
                f"{network_choice} is chain {chain.chain_id}"
            )
        _CONNECTED.append(network_choice)
        try:
            yield record
        finally:
            _CONNECTED.pop()
    finally:
        context.__exit__(None, None, None)


#: `<ecosystem>:<network>:<node URL>`: a network choice naming its node, read directly.
_NODE_URL = re.compile(r"([a-z0-9-]+):([a-z0-9-]+):(https?://\S+)", re.I)
#: How long a direct read waits for the node's answer (a local demo answers in milliseconds).
READ_TIMEOUT_S = 30


@contextmanager
def reading(network_choice: str) -> Iterator[tuple[DeploymentRecord, ChainView]]:
    """The deployment record of `network_choice` and a view to read it with (keepers.core.views):
    a node named by its URL (the served demo's, the default) is read directly with web3 and
    never imports ape; any other network through ape (`connected`). The same checks as
    `connected`: the announced demo's chain must be the demo's, the record's chain the node's."""
    match = _NODE_URL.fullmatch(network_choice)
    if match is None:
        from keepers.core.views import ApeView

        with connected(network_choice) as record:
            yield record, ApeView()
        return
    from requests.exceptions import RequestException
    from web3 import Web3

    from keepers.core.artifacts import project_abis
    from keepers.core.views import DirectView

    ecosystem, network, url = match.groups()
    # One attempt a call (web3 retries five times by default: minutes before a command answers
    # against a node that does not).
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": READ_TIMEOUT_S}, exception_retry_configuration=None
    )
    w3 = Web3(provider)
    try:
        node_chain = int(w3.eth.chain_id)
    except (OSError, RequestException, ValueError) as err:
        raise QuanteraError(
            f"cannot connect to {network_choice}: no node answers there ({type(err).__name__})"
        ) from None
    if network_choice in _FOLLOWED_DEMOS and node_chain != DEMO_CHAIN_ID:
        raise QuanteraError(
            f"the announced demo's chain is chain {node_chain}, not the demo's "
            f"{DEMO_CHAIN_ID}: not followed (pass --network to name a chain)"
        )
    record = load(record_path(f"{ecosystem.lower()}:{network.lower()}"))
    if record.chain_id != node_chain:
        raise QuanteraError(
            f"deployment record is for chain {record.chain_id}, {network_choice} is chain "
            f"{node_chain}"
        )
    _CONNECTED.append(network_choice)
    try:
        yield record, DirectView(w3, project_abis())
    finally:
        _CONNECTED.pop()


def account_address(alias: str) -> str:
    """The address of an account a read names (`--account` of a read-only command): TEST::<n>
    derived from the test mnemonic of ape-config.yaml (ape's own derivation, without ape), any
    other alias through ape's accounts."""
    if alias.upper().startswith("TEST::"):
        return _test_address(alias)
    return str(load_account(alias).address)


#: ape's default `test.hd_path` (ape-config.yaml's, when it sets one, is used instead).
TEST_HD_PATH = "m/44'/60'/0'/0"


def _test_address(alias: str) -> str:
    from eth_account import Account

    number = alias.split("::", 1)[1]
    if not (number.isascii() and number.isdigit()):
        raise QuanteraError(f"{alias!r}: a test account is TEST::<n>, n a whole number from 0")
    mnemonic, hd_path = _test_keys()
    Account.enable_unaudited_hdwallet_features()
    key = Account.from_mnemonic(mnemonic, account_path=f"{hd_path}/{int(number)}")
    return key.address


def _test_keys() -> tuple[str, str]:
    """ape-config.yaml's `test.mnemonic` and `test.hd_path` (ape's default path when unset)."""
    import yaml

    path = Path("ape-config.yaml")
    config = yaml.safe_load(path.read_text()) if path.is_file() else {}
    test = (config or {}).get("test") or {}
    if not test.get("mnemonic"):
        raise QuanteraError("no test mnemonic: run quantera from the project folder")
    return str(test["mnemonic"]), str(test.get("hd_path") or TEST_HD_PATH)


def load_account(alias: str):
    """An Ape account alias, or TEST::<n> for a local test account: any n, the ones past ape's
    configured `number_of_accounts` derived from the same mnemonic (the demo's anvil funds more
    accounts than ape lists: its institutions are TEST::24 and up)."""
    from ape import accounts

    if alias.upper().startswith("TEST::"):
        return _test_account(alias)
    try:
        return accounts.load(alias)
    except Exception as err:  # ape raises several types for unknown aliases
        raise QuanteraError(f"no Ape account named {alias!r}: {err}") from None


def _test_account(alias: str):
    from ape import accounts

    number = alias.split("::", 1)[1]
    if not number.isdigit():
        raise QuanteraError(f"{alias!r}: a test account is TEST::<n>, n a whole number from 0")
    index, test = int(number), accounts.test_accounts
    if index < len(test):
        return test[index]
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    key = Account.from_mnemonic(test.mnemonic, account_path=f"{test.hd_path}/{index}")
    return test.init_test_account(index, key.address, key.key.hex())


def unlock_account(account) -> None:
    """Unlocks a keyfile account once and lets it sign without asking, for an unattended run: the
    passphrase comes from Ape's `APE_ACCOUNTS_<alias>_PASSPHRASE`, else from one prompt (never one
    per transaction, as ape's own signing asks). Test accounts need nothing; other account types
    (hardware wallets) keep signing by their own rules. Raises QuanteraError on a wrong or missing
    passphrase."""
    import click
    from ape.exceptions import AccountsError

    if not hasattr(account, "set_autosign"):
        return
    variable = f"APE_ACCOUNTS_{account.alias}_PASSPHRASE"
    passphrase, source = os.environ.get(variable), variable
    if passphrase is None:
        source = "the prompt"
        try:
            passphrase = click.prompt(
                f"Passphrase of '{account.alias}' (or set {variable})",
                hide_input=True,
                default="",
                show_default=False,
            )
        except click.Abort:  # no terminal to ask on
            raise QuanteraError(
                f"no passphrase for '{account.alias}': set {variable} to run unattended"
            ) from None
    if not passphrase:
        raise QuanteraError(f"empty passphrase for '{account.alias}' (from {source})")
    try:
        account.set_autosign(True, passphrase=passphrase)
    except AccountsError:
        raise QuanteraError(
            f"cannot unlock '{account.alias}': wrong passphrase (from {source})"
        ) from None
    # Unlocked once on purpose: ape would otherwise warn "Using cached key" before every
    # transaction.
    logging.getLogger("ape").addFilter(lambda log: not str(log.msg).startswith("Using cached key"))
