"""Deploy Quantera in dependency order: `ape run deploy all --network <ecosystem:network:provider>`.

The steps are each domain's own (`keepers/<domain>/deploy.py`, run in a `Deployment`,
keepers/core/deploying.py), the same the contract test fixtures, the benchmarks and the demo run:
access, compliance, the lifecycle (the oracle router, settlement assets, instrument registry; no
asset listed, no instrument registered), the fund (tokens, feeds, risk engine, vault), liquidity
venues and the rebalancer (`deploy_protocol`).

Re-runnable: whatever `deployments/<ecosystem>-<network>.json` records (and the chain still has code
for) is skipped unless `--fresh`. Every step reads the chain before it sends, and a deployment is
recorded as pending (with the nonce it is sent with) before its transaction, so a run killed at any
point completes on a rerun without deploying anything twice.

Before the first transaction every input is checked (keepers/core/preflight.py: address options, the
feeds file, tokens and feeds on chain, the deployer's balance) and a keyfile account is unlocked
once, with `APE_ACCOUNTS_<alias>_PASSPHRASE` or one prompt; a failure stops the script with one
line and nothing sent. On live networks every state-changing step asks for confirmation, unless
`--yes`: then the deployment runs unattended. `--account` must name an Ape account alias there.
"""

import json
from dataclasses import dataclass, field

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import (
    DEFAULT_UPGRADE_DELAY,
    MIN_UPGRADE_DELAY,
    deploy_access,
    hand_over_admin,
    is_admin,
    renounce_temporary_roles,
)
from keepers.compliance import deploy_compliance
from keepers.core.chain import load_account, unlock_account
from keepers.core.deploying import Deployment, build_name, require_short_string
from keepers.core.deployments import (
    DeploymentError,
    DeploymentRecord,
    deployments_dir,
    load,
    record_path,
)
from keepers.core.errors import QuanteraError
from keepers.core.preflight import (
    LiveAsset,
    check_balance,
    check_feeds_on_chain,
    check_options,
    feeds_path,
    load_feeds,
)
from keepers.core.waiting import WaitTimeout, wait_until

MARKET_MAKER_ACCOUNT = 20  # local networks: the RFQ market maker's test account
LIQUIDATOR_ACCOUNT = 4  # local networks: the margin keeper's key (LIQUIDATOR, a verified wallet)
SIGNAL_KEEPER_ACCOUNT = (
    22  # local networks: the signal keeper (signs rebalance intents, relays them)
)


@dataclass(frozen=True)
class ProtocolConfig:
    """Who holds what in a deployment, and what it deploys (the `deploy all` options)."""

    roles: dict[str, str | None]  # GUARDIAN, GOVERNOR, OPERATOR, UPGRADER
    keepers: dict[str, str | None]  # RISK_KEEPER, PRICE_REPORTER, EXECUTOR, LIQUIDATOR
    governor_delay: int = 3600
    upgrade_delay: int = DEFAULT_UPGRADE_DELAY
    token_name: str = "Quantera Treasury Fund"
    token_symbol: str = "QTF"
    token_agent: str | None = None
    compliance_keeper: str | None = None
    claim_cache_ttl: int = 86_400
    price_date: str | None = None
    with_liquidity: bool = True
    market_maker: str | None = None
    signal_signers: list[str] = field(default_factory=list)
    intent_relayer: str | None = None


def deploy_protocol(
    d: Deployment, config: ProtocolConfig, live: dict[str, LiveAsset] | None
) -> None:
    """Every domain's deploy steps in dependency order (a new domain adds one line here)."""
    from keepers.lifecycle import deploy_lifecycle
    from keepers.vault import deploy_fund, load_portfolio

    click.echo("Step 1: access")
    deploy_access(d, config.roles, config.governor_delay, config.upgrade_delay)
    click.echo("Step 2: compliance")
    deploy_compliance(
        d,
        config.token_name,
        config.token_symbol,
        agent=config.token_agent,
        compliance_keeper=config.compliance_keeper,
        claim_cache_ttl=config.claim_cache_ttl,
    )
    click.echo("Step 3: the lifecycle (oracle router, settlement assets, instrument registry)")
    deploy_lifecycle(d)
    click.echo("Step 4: the fund (tokens, feeds, risk engine, vault)")
    deploy_fund(
        d,
        load_portfolio(),
        live=live,
        agent=config.token_agent,
        keepers=config.keepers,
        price_date=config.price_date,
    )
    if config.with_liquidity:
        click.echo("Step 5: liquidity venues and the aggregator")
        deploy_venues(d, config.market_maker)
        click.echo("Step 6: the rebalancer")
        deploy_rebalancing(d, config.signal_signers, config.intent_relayer)
        click.echo("Step 7: prime brokerage (broker, lending pools, collateral listings)")
        deploy_prime_brokerage(d, config.keepers.get("LIQUIDATOR"))


def deploy_venues(d: Deployment, market_maker: str | None) -> None:
    """Local networks: the real Uniswap V2 (twice) and V3 venues, the RFQ and NAV venues, seeded per
    keepers/data/liquidity.yaml, and the LiquidityAggregator over them. Live networks list their
    existing venues with the aggregator's `setVenue` (governance), not here."""
    from keepers.liquidity import deploy_liquidity

    if not d.is_local:
        click.echo(
            "  = live network: liquidity venues are listed by governance, not seeded by this script"
        )
        return
    if not is_admin(d, "liquidity layer"):
        return
    deploy_liquidity(d, fund_tokens(d), market_maker or _test_address(MARKET_MAKER_ACCOUNT))


def fund_tokens(d: Deployment) -> dict:
    """The fund's tokens by symbol, as the fund step recorded them (local networks)."""
    from keepers.vault import load_portfolio

    tokens = {}
    for asset in load_portfolio().assets:
        if asset.asset_class == "cash_stablecoin":
            tokens[asset.symbol] = d.at("LocalStablecoin", f"LocalStablecoin.{asset.symbol}")
        elif asset.token == "compliance":
            tokens[asset.symbol] = d.at("SecurityToken")
        else:
            tokens[asset.symbol] = d.at("SecurityToken", f"SecurityToken.{asset.symbol}")
    return tokens


def deploy_prime_brokerage(d: Deployment, liquidator: str | None) -> None:
    """The prime broker over the fund's tokens, the oracle router and the aggregator, with the
    collateral and pools of keepers/data/prime.yaml; `liquidator` holds LIQUIDATOR (the margin
    keeper's key)."""
    from keepers.prime import deploy_prime

    if not d.has("LiquidityAggregator"):
        click.echo("  = no LiquidityAggregator in the record: prime brokerage skipped")
        return
    deploy_prime(d, fund_tokens(d), liquidator=liquidator)


def deploy_rebalancing(d: Deployment, signal_signers: list[str], relayer: str | None) -> None:
    """The AutoRebalancer over the vault and the aggregator, its strategy from the `rebalancing`
    section of keepers/data/portfolio.yaml, the signal keeper's signing key(s) and the one relayer
    its intents execute from (none: anyone relays, and a copied intent can be relayed through a
    pool moved in the same block)."""
    from keepers.rebalancing import deploy_rebalancer, rebalance_vault
    from keepers.vault import load_portfolio

    if not d.has("LiquidityAggregator"):
        click.echo("  = no LiquidityAggregator in the record: rebalancer skipped")
        return
    if not is_admin(d, "rebalancer"):
        return
    rebalancer = deploy_rebalancer(d)
    rebalance_vault(
        d,
        rebalancer,
        d.at("PortfolioVault"),
        load_portfolio().strategy_tuple(),
        signal_signers,
        relayer,
    )


def _resolve_account(alias: str | None, is_local: bool):
    if alias is None:
        if is_local:
            return accounts.test_accounts[0]
        raise click.UsageError("--account is required on live networks (an Ape account alias)")
    try:
        return load_account(alias)
    except QuanteraError as err:
        raise click.BadParameter(str(err)) from None


IN_FLIGHT_TIMEOUT_SECONDS = (
    600.0  # a hang guard: a live network mines a priced transaction far sooner
)


def await_in_flight(sender, timeout_seconds: float = IN_FLIGHT_TIMEOUT_SECONDS) -> None:
    """Waits until no transaction of the deployer is pending (one an interrupted run sent), so that
    every step reads the state its own earlier transactions left, and the nonce it sends with is
    final."""
    address = sender.address

    def in_flight() -> int:
        return chain.provider.get_nonce(address, "pending") - chain.provider.get_nonce(address)

    if (count := in_flight()) <= 0:
        return
    click.echo(
        f"  ~ waiting for {count} transaction(s) sent by {address} in an earlier run to be mined"
    )
    try:
        wait_until(
            lambda: in_flight() <= 0,
            f"the transactions {address} sent in an earlier run to be mined",
            timeout_seconds,
            poll=1.0,
        )
    except WaitTimeout as err:
        raise click.ClickException(
            f"{err}: wait for them, or replace them, then rerun; no transaction sent"
        ) from None


def _open_record(network_key: str, fresh: bool, is_local: bool) -> tuple[DeploymentRecord, object]:
    path = record_path(network_key)
    chain_id = chain.provider.chain_id
    if fresh or not path.is_file():
        return DeploymentRecord(network=network_key, chain_id=chain_id), path
    try:
        record = load(path)
    except DeploymentError as err:
        raise click.ClickException(str(err)) from None
    if record.chain_id != chain_id:
        if is_local:
            click.echo(
                f"  ! {path} is for chain {record.chain_id}, this is {chain_id}: starting fresh"
            )
            return DeploymentRecord(network=network_key, chain_id=chain_id), path
        raise click.ClickException(
            f"{path} records chain {record.chain_id} but the provider is on chain {chain_id}"
        )
    stale = [name for name, addr in record.contracts.items() if not chain.provider.get_code(addr)]
    if stale and is_local:
        click.echo(f"  ! no code for {', '.join(stale)} on this local chain: starting fresh")
        return DeploymentRecord(network=network_key, chain_id=chain_id), path
    if stale:
        raise click.ClickException(f"recorded contracts have no code on chain: {', '.join(stale)}")
    return record, path


def _test_address(index: int) -> str:
    return accounts.test_accounts[index].address


def local_test_config(
    governor_delay: int = 0, upgrade_delay: int = DEFAULT_UPGRADE_DELAY
) -> ProtocolConfig:
    """What `deploy all` configures on a local network (its test accounts as role holders, the
    signal keeper's key signing and relaying intents), for the benchmarks that run
    `deploy_protocol` in-process; no governor delay by default (their governor steps are the
    deployer's, granted for the occasion)."""
    return ProtocolConfig(
        roles={
            "GUARDIAN": _test_address(1),
            "GOVERNOR": _test_address(2),
            "OPERATOR": _test_address(3),
            "UPGRADER": _test_address(2),
        },
        keepers={
            "RISK_KEEPER": _test_address(7),
            "PRICE_REPORTER": _test_address(8),
            "EXECUTOR": _test_address(9),
            "LIQUIDATOR": _test_address(LIQUIDATOR_ACCOUNT),
        },
        governor_delay=governor_delay,
        upgrade_delay=upgrade_delay,
        token_agent=_test_address(5),
        compliance_keeper=_test_address(6),
        signal_signers=[_test_address(SIGNAL_KEEPER_ACCOUNT)],
        intent_relayer=_test_address(SIGNAL_KEEPER_ACCOUNT),
    )


@click.group()
def cli():
    """Deploy and inspect Quantera deployments."""


@cli.command(name="all", cls=ConnectedProviderCommand)
@network_option()
@click.option(
    "--account",
    "account_alias",
    help="Ape account alias, or TEST::<n> (default on local networks: TEST::0).",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Ignore the existing deployment record and deploy everything anew.",
)
@click.option(
    "--yes",
    "assume_yes",
    is_flag=True,
    help="Do not ask for confirmation on live networks: deploy unattended (a keyfile account is "
    "unlocked once, from APE_ACCOUNTS_<alias>_PASSPHRASE or one prompt).",
)
@click.option("--guardian", help="Guardian address (local default: test account 1).")
@click.option("--governor", help="Governor address (local default: test account 2).")
@click.option("--operator", help="Operator address (local default: test account 3).")
@click.option(
    "--governor-delay",
    type=click.IntRange(0, 30 * 86400),
    default=3600,
    show_default=True,
    help="Execution delay (s) of the governor role: every governor call is scheduled first.",
)
@click.option(
    "--upgrade-delay",
    type=click.IntRange(0, 60 * 86400),
    default=DEFAULT_UPGRADE_DELAY,
    show_default=True,
    help="Notice (s) of the UpgradeAuthority, fixed at its deployment (at least 2 days): an "
    "upgrade of a proxy runs that long after the UPGRADER (the governor) proposed it, unless the "
    "guardian vetoes it.",
)
@click.option("--token-name", default="Quantera Treasury Fund", show_default=True)
@click.option("--token-symbol", default="QTF", show_default=True)
@click.option(
    "--token-agent", help="Token agent with every capability (local default: test account 5)."
)
@click.option(
    "--compliance-keeper",
    help="Sanctions keeper: COMPLIANCE_KEEPER (the registry's identity-wide freeze) "
    "and a freeze-only agent of the token (local default: test account 6).",
)
@click.option(
    "--claim-cache-ttl",
    type=click.IntRange(0, 30 * 86400),
    default=86400,
    show_default=True,
    help="Seconds a verified ONCHAINID claim set stays cached.",
)
@click.option(
    "--risk-keeper", help="Risk keeper (publishes models; local default: test account 7)."
)
@click.option(
    "--price-reporter", help="Price keeper of local feeds (local default: test account 8)."
)
@click.option("--executor", help="Vault trade executor (local default: test account 9).")
@click.option(
    "--liquidator",
    help="The margin keeper's key: LIQUIDATOR of the prime broker (local default: test account 4).",
)
@click.option(
    "--price-date",
    help="Local networks: first answer of each price feed = the portfolio history's close "
    "on this date (YYYY-MM-DD; default: the last day of the history).",
)
@click.option("--market-maker", help="RFQ market maker (local default: test account 20).")
@click.option(
    "--liquidity/--no-liquidity",
    "with_liquidity",
    default=True,
    show_default=True,
    help="Local networks: deploy and seed the venues and the liquidity aggregator.",
)
@click.option(
    "--signal-signer",
    "signal_signers",
    multiple=True,
    help="Key allowed to sign rebalance intents (repeatable; local default: test account 22).",
)
@click.option(
    "--intent-relayer",
    help="The only address that may relay rebalance intents (local default: the "
    "signal keeper, test account 22; none given on a live network: anyone may relay).",
)
@click.option("--admin", help="Hand ADMIN to this address at the end and renounce the deployer's.")
@click.option(
    "--admin-delay",
    type=click.IntRange(0, 60 * 86400),
    default=None,
    help="Execution delay (s) the handed-over admin holds its role with (default: the upgrade "
    "delay on live networks, where it may not be less, as ADMIN can revoke the guardian who "
    "vetoes upgrades; a day on local ones).",
)
def deploy_all(
    ecosystem,
    network,
    provider,
    account_alias,
    fresh,
    assume_yes,
    guardian,
    governor,
    operator,
    governor_delay,
    upgrade_delay,
    token_name,
    token_symbol,
    token_agent,
    compliance_keeper,
    claim_cache_ttl,
    risk_keeper,
    price_reporter,
    executor,
    liquidator,
    price_date,
    market_maker,
    with_liquidity,
    signal_signers,
    intent_relayer,
    admin,
    admin_delay,
):
    """Deploy (or complete) the whole protocol in dependency order."""
    network_key = f"{ecosystem.name}:{network.name}"
    try:
        is_local = network.is_local
        if admin_delay is None:  # live: as long as an upgrade's notice; local: a day, as before
            admin_delay = 86_400 if is_local else upgrade_delay
        sender = _resolve_account(account_alias, is_local)
        record, path = _open_record(network_key, fresh, is_local)

        def default(address: str | None, test_account: int) -> str | None:
            return address or (_test_address(test_account) if is_local else None)

        roles = {
            "GUARDIAN": default(guardian, 1),
            "GOVERNOR": default(governor, 2),
            "OPERATOR": default(operator, 3),
        }
        # The governance account upgrades too: proposed, run after the UpgradeAuthority's notice.
        roles["UPGRADER"] = roles["GOVERNOR"]
        keepers_ = {
            "RISK_KEEPER": default(risk_keeper, 7),
            "PRICE_REPORTER": default(price_reporter, 8),
            "EXECUTOR": default(executor, 9),
            "LIQUIDATOR": default(liquidator, LIQUIDATOR_ACCOUNT),
        }
        token_agent, compliance_keeper = default(token_agent, 5), default(compliance_keeper, 6)
        signal_signers = list(signal_signers) or (
            [_test_address(SIGNAL_KEEPER_ACCOUNT)] if is_local else []
        )
        intent_relayer = default(intent_relayer, SIGNAL_KEEPER_ACCOUNT)
        live = preflight(
            sender,
            record,
            network_key,
            is_local,
            [
                ("--guardian", roles["GUARDIAN"]),
                ("--governor", roles["GOVERNOR"]),
                ("--operator", roles["OPERATOR"]),
                ("--token-agent", token_agent),
                ("--compliance-keeper", compliance_keeper),
                ("--risk-keeper", keepers_["RISK_KEEPER"]),
                ("--price-reporter", keepers_["PRICE_REPORTER"]),
                ("--executor", keepers_["EXECUTOR"]),
                ("--liquidator", keepers_["LIQUIDATOR"]),
                ("--market-maker", market_maker),
                ("--admin", admin),
                ("--intent-relayer", intent_relayer),
                *(("--signal-signer", s) for s in signal_signers),
            ],
            upgrade_delay,
            admin_delay,
        )
        try:
            unlock_account(sender)
        except QuanteraError as err:
            raise click.ClickException(f"{err}; no transaction sent") from None
        await_in_flight(sender)
        held = {
            role
            for role, holder in {
                **roles,
                **keepers_,
                "COMPLIANCE_KEEPER": compliance_keeper,
            }.items()
            if holder and holder.lower() == sender.address.lower()
        }
        d = Deployment(
            sender=sender,
            record=record,
            path=path,
            is_local=is_local,
            assume_yes=assume_yes,
            echo=click.echo,
            standing_roles=frozenset({"ADMIN", *held}),
        )
        config = ProtocolConfig(
            roles=roles,
            keepers=keepers_,
            governor_delay=governor_delay,
            upgrade_delay=upgrade_delay,
            token_name=token_name,
            token_symbol=token_symbol,
            token_agent=token_agent,
            compliance_keeper=compliance_keeper,
            claim_cache_ttl=claim_cache_ttl,
            price_date=price_date,
            with_liquidity=with_liquidity,
            market_maker=market_maker,
            signal_signers=signal_signers,
            intent_relayer=intent_relayer,
        )
        click.echo(
            f"Deploying Quantera to {network_key} (chain {record.chain_id}) from {sender.address}"
        )
        try:
            deploy_protocol(d, config, live)
        except click.Abort:  # the operator said no: send nothing more
            raise
        except Exception:
            try:  # the step's error is the one to report; a rerun renounces them anyway
                renounce_temporary_roles(d)
            except Exception:
                pass
            raise
        renounce_temporary_roles(d)
        hand_over_admin(d, admin, admin_delay)
        d.save()
        click.echo(f"Deployment record: {path}")
    except (click.ClickException, click.Abort):
        raise
    except (QuanteraError, DeploymentError) as err:
        raise click.ClickException(str(err)) from None
    except Exception as err:  # one line, never a traceback: what failed, and that a rerun resumes
        lines = str(err).strip().splitlines() or [""]
        raise click.ClickException(
            f"deployment stopped: {type(err).__name__}: {lines[0]}; "
            f"{record_path(network_key)} keeps what was done: rerun the same command to complete"
        ) from None


# Live networks: what the deployer pays for, to check its balance before the first transaction.
LIVE_CONTRACTS = {
    name: name
    for name in (
        "QuanteraAccessManager",
        "UpgradeAuthority",
        "IdentityRegistry",
        "SecurityToken",
        "ComplianceEngine",
        "OracleRouter",
        "RiskEngine",
        "RiskLens",
        "PortfolioVault",
        "SettlementAssets",
        "TermsValidator",
        "InstrumentRegistry",
    )
}
LIVE_CONTRACTS["ComplianceEngine.shares"] = "ComplianceEngine"  # record name -> contract type
# Role wiring and configuration of a live deployment: 6.45M gas in 21 transactions measured on
# tests/keepers/deploy/test_deploy_live.py's (most of it the jurisdiction defaults, token's and
# shares'), plus the lifecycle's wiring (2 transactions, 6 selectors: under 250,000 gas, checked by
# tests/contracts/lifecycle/test_lifecycle_deploy.py), rounded up.
CONFIGURATION_GAS = 8_000_000


def estimated_gas(record: DeploymentRecord) -> int:
    """A rough upper estimate of the gas a live deployment still needs: for each contract not yet
    recorded its creation (53,000 + 16 per init-code byte + 200 per runtime byte, and a quarter
    more for its constructor: 15-25% above the measured cost), plus CONFIGURATION_GAS."""
    gas = CONFIGURATION_GAS
    # The token family's and the compliance engines' admin modules and the vault's basket and
    # admin modules, each recorded under its build's name (`build_name`).
    modules = {
        name: name
        for name in ("TokenAdmin", "ComplianceAdmin", "PortfolioBasket", "PortfolioAdmin")
    }
    modules = {build_name(type_name): type_name for type_name in modules}
    for name, type_name in {**LIVE_CONTRACTS, **modules}.items():
        if name not in record.contracts:
            contract_type = project.get_contract(type_name).contract_type
            init = len(contract_type.deployment_bytecode.bytecode or "0x") // 2 - 1
            runtime = len(contract_type.runtime_bytecode.bytecode or "0x") // 2 - 1
            gas += (53_000 + 16 * init + 200 * runtime) * 5 // 4
    return gas


def preflight(
    sender,
    record: DeploymentRecord,
    network_key: str,
    is_local: bool,
    options: list[tuple[str, str | None]],
    upgrade_delay: int = DEFAULT_UPGRADE_DELAY,
    admin_delay: int = DEFAULT_UPGRADE_DELAY,
) -> dict[str, LiveAsset] | None:
    """Checks every input before the first transaction (keepers/core/preflight.py) and stops with
    all problems on one line. Returns the live network's checked feeds file (None on local ones)."""
    from keepers.vault import load_portfolio

    problems = check_options(
        sender.address,
        options,
        () if is_local else ("--guardian", "--governor", "--operator", "--admin"),
    )
    if upgrade_delay < MIN_UPGRADE_DELAY:
        problems.append(
            f"--upgrade-delay {upgrade_delay} is below the UpgradeAuthority's floor "
            f"({MIN_UPGRADE_DELAY}s)"
        )
    if not is_local and admin_delay < upgrade_delay:
        problems.append(
            f"--admin-delay {admin_delay} is below --upgrade-delay {upgrade_delay} (ADMIN could "
            "revoke the guardian who vetoes an upgrade sooner than the upgrade's notice)"
        )
    portfolio = load_portfolio()
    for label, text in (("the portfolio's name", portfolio.name), ("its symbol", portfolio.symbol)):
        try:  # immutables of the vault's code: refused before the tokens and feeds, not after
            require_short_string(label, text, "vault")
        except ValueError as err:
            problems.append(str(err))
    live = None
    if not is_local:
        compliance = next((a.symbol for a in portfolio.assets if a.token == "compliance"), None)
        live, file_problems = load_feeds(
            feeds_path(deployments_dir(), network_key),
            [a.symbol for a in portfolio.assets],
            compliance,
        )
        problems += file_problems + check_feeds_on_chain(live, chain.provider)
        # What ape offers per gas (maxFeePerGas), which the balance must cover for a transaction to
        # be accepted.
        max_fee = (
            int(chain.provider.base_fee * chain.provider.network.config.base_fee_multiplier)
            + chain.provider.priority_fee
        )
        gas, balance = estimated_gas(record), chain.provider.get_balance(sender.address)
        problems += check_balance(balance, gas, max_fee, sender.address)
    if problems:
        raise click.ClickException(
            f"pre-flight check failed, no transaction sent: {'; '.join(problems)}"
        )
    if not is_local:
        click.echo(
            "Pre-flight checks passed: feeds file, addresses, roles; the deployer's "
            f"{balance / 1e18:.4f} ETH covers about {gas:,} gas at {max_fee / 1e9:.3f} gwei"
        )
    return live


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def show(ecosystem, network, provider, as_json):
    """Print the deployment record of the connected network."""
    try:
        record = load(record_path(f"{ecosystem.name}:{network.name}"))
    except DeploymentError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2))
        return
    click.echo(f"{record.network} (chain {record.chain_id}, from block {record.block})")
    for name, address in sorted(record.contracts.items()):
        click.echo(f"  {name:32} {address}")
