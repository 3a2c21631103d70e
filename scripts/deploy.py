"""Deploy Quantera in dependency order: `ape run deploy all --network <ecosystem:network:provider>`.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import ROLE_IDS, wiring
from keepers.compliance.jurisdictions import load_jurisdictions
from keepers.core.chain import load_account, unlock_account
from keepers.core.deployments import (
    DeploymentError,
    DeploymentRecord,
    PendingDeployment,
    deployments_dir,
    load,
    record_path,
    save,
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

ADMIN_ROLE = ROLE_IDS["ADMIN"]
ALL_CAPABILITIES, FREEZE_ONLY = 0xFF, 1 << 2
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
JURISDICTION_BATCH = 50


@dataclass
class DeployContext:
    record: DeploymentRecord
    path: Path
    sender: object
    is_local: bool
    assume_yes: bool
    # Roles the deployer is meant to keep (ADMIN, and any it is named for): any other it holds was
    # granted for the occasion and is renounced (`_as_role`, `renounce_temporary_roles`).
    standing_roles: frozenset[str] = frozenset({"ADMIN"})

    def confirm(self, action: str) -> None:
        if self.is_local or self.assume_yes:
            return
        click.confirm(f"{action} from {self.sender.address}?", abort=True)

    def deploy(self, name: str, factory: Callable[[], object]) -> str:
        """Deploys `name` unless the record has it (with code on chain). The record names it as
        pending, with the nonce its transaction will use, before sending, and as deployed right
        after; a rerun after an interruption in between adopts what that nonce created."""
        existing = self.record.contracts.get(name)
        if existing and chain.provider.get_code(existing):
            click.echo(f"  = {name} already at {existing}")
            return existing
        pending = self.record.pending.pop(name, None)
        # No transaction of the deployer is in flight (`await_in_flight`), so the nonce has been
        # used iff the chain's count is past it; code at the address it creates is then `name`.
        if pending and chain.provider.get_nonce(self.sender.address) > pending.nonce \
                and chain.provider.get_code(pending.address):
            self.record.contracts[name] = pending.address
            save(self.record, self.path)
            click.echo(f"  = {name} found at {pending.address} (deployed by an interrupted run)")
            return pending.address
        self.confirm(f"Deploy {name}")
        nonce = chain.provider.get_nonce(self.sender.address)
        if self.record.block is None:  # at or before the first deployment: keepers read logs from it
            self.record.block = chain.blocks.head.number
        self.record.pending[name] = PendingDeployment(nonce, self.sender.get_deployment_address(nonce))
        save(self.record, self.path)
        contract = factory()
        del self.record.pending[name]
        self.record.contracts[name] = contract.address
        save(self.record, self.path)
        click.echo(f"  + {name} deployed at {contract.address}")
        return contract.address


def _resolve_account(alias: str | None, is_local: bool):
    if alias is None:
        if is_local:
            return accounts.test_accounts[0]
        raise click.UsageError("--account is required on live networks (an Ape account alias)")
    try:
        return load_account(alias)
    except QuanteraError as err:
        raise click.BadParameter(str(err)) from None


IN_FLIGHT_TIMEOUT_SECONDS = 600.0  # a hang guard: a live network mines a priced transaction far sooner


def await_in_flight(sender, timeout_seconds: float = IN_FLIGHT_TIMEOUT_SECONDS) -> None:
    """Waits until no transaction of the deployer is pending (one an interrupted run sent), so that
    every step reads the state its own earlier transactions left, and the nonce it sends with is
    final."""
    address = sender.address

    def in_flight() -> int:
        return chain.provider.get_nonce(address, "pending") - chain.provider.get_nonce(address)

    if (count := in_flight()) <= 0:
        return
    click.echo(f"  ~ waiting for {count} transaction(s) sent by {address} in an earlier run to be mined")
    try:
        wait_until(lambda: in_flight() <= 0, f"the transactions {address} sent in an earlier run to be mined",
                   timeout_seconds, poll=1.0)
    except WaitTimeout as err:
        raise click.ClickException(f"{err}: wait for them, or replace them, then rerun; no transaction sent") from None


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
            click.echo(f"  ! {path} is for chain {record.chain_id}, this is {chain_id}: starting fresh")
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


# An AccessManager call: (what it does, method name, arguments).
ManagerCall = tuple[str, str, tuple]


def _send_to_manager(ctx: DeployContext, manager, calls: list[ManagerCall]) -> None:
    """Sends AccessManager calls as one transaction: the call itself when there is one, else
    through the `multicall` AccessManager inherits (atomic: all of them or none). Each call was
    chosen by reading the chain, so a rerun sends only what is still missing."""
    if not calls:
        return
    ctx.confirm("; ".join(description for description, _, _ in calls).capitalize())
    if len(calls) == 1:
        (_, method, args), = calls
        getattr(manager, method)(*args, sender=ctx.sender)
    else:
        manager.multicall([getattr(manager, method).encode_input(*args) for _, method, args in calls],
                          sender=ctx.sender)
    for description, _, _ in calls:
        click.echo(f"  + {description}")


def _grant_calls(manager, role_name: str, account: str, delay: int) -> list[ManagerCall]:
    if manager.hasRole(ROLE_IDS[role_name], account)[0]:
        click.echo(f"  = {role_name} already held by {account}")
        return []
    return [(f"grant {role_name} to {account} (execution delay {delay}s)", "grantRole",
             (ROLE_IDS[role_name], account, delay))]


def deploy_access(ctx: DeployContext, roles: dict[str, str | None], governor_delay: int) -> None:
    """Step 1: the authority every later contract is AccessManaged by, and its role holders."""
    address = ctx.deploy(
        "QuanteraAccessManager",
        lambda: ctx.sender.deploy(project.QuanteraAccessManager, ctx.sender.address),
    )
    manager = project.QuanteraAccessManager.at(address)
    is_admin, _ = manager.hasRole(ADMIN_ROLE, ctx.sender.address)
    if not is_admin:
        click.echo("  = deployer is no longer admin (handed over): role wiring left to governance")
        return
    _send_to_manager(ctx, manager, [
        call for role_name, account in roles.items() if account
        for call in _grant_calls(manager, role_name, account, governor_delay if role_name == "GOVERNOR" else 0)])


def _manager(ctx: DeployContext):
    return project.QuanteraAccessManager.at(ctx.record.address_of("QuanteraAccessManager"))


def _deployer_is_admin(ctx: DeployContext, manager, left_to_governance: str) -> bool:
    """Whether the deployer still holds ADMIN (wiring steps need it); if not, says what is left."""
    if manager.hasRole(ADMIN_ROLE, ctx.sender.address)[0]:
        return True
    click.echo(f"  = deployer is not admin: {left_to_governance} left to governance")
    return False


def _wiring_calls(manager, contracts: list[tuple[object, str]]) -> list[ManagerCall]:
    """Maps each (contract, name)'s restricted functions to roles (keepers/access/protocol.py), skipping
    what is set."""
    calls = []
    for contract, name in contracts:
        for role_id, sels in wiring(name, contract.contract_type):
            todo = [sel for sel in sels if manager.getTargetFunctionRole(contract, sel) != role_id]
            if todo:
                calls.append((f"{name}: {len(todo)} functions -> role {role_id}", "setTargetFunctionRole",
                              (contract.address, todo, role_id)))
    return calls


def _wire(ctx: DeployContext, manager, contract, name: str) -> None:
    _send_to_manager(ctx, manager, _wiring_calls(manager, [(contract, name)]))


def _hold(ctx: DeployContext, manager, role: str, needed: bool = True) -> list[ManagerCall]:
    """The grant that lets the deployer act as `role` without delay, if `needed` and not held yet:
    held until `renounce_temporary_roles` at the end of the run (an admin can grant itself any
    role anyway), so a deployment pays one grant and one renunciation per role."""
    if not needed or manager.hasRole(ROLE_IDS[role], ctx.sender.address)[0]:
        return []
    return [(f"deployer holds {role} for the deployment", "grantRole", (ROLE_IDS[role], ctx.sender.address, 0))]


def _jurisdiction_batches(engine) -> list[tuple[list[int], list[tuple]]]:
    """The defaults (keepers/data/jurisdictions.yaml) that differ on chain, in batches. A flowback
    window already running is kept (re-runs do not extend it)."""
    now = chain.blocks.head.timestamp
    countries, configs = [], []
    for default in load_jurisdictions():
        current = tuple(engine.jurisdiction(default.iso)[0])
        wanted = default.config(now)
        if current[4] != 0 and wanted[4] != 0:
            wanted = wanted[:4] + (current[4],)
        if current != wanted:
            countries.append(default.iso)
            configs.append(wanted)
    return [(countries[i:i + JURISDICTION_BATCH], configs[i:i + JURISDICTION_BATCH])
            for i in range(0, len(countries), JURISDICTION_BATCH)]


def _as_role(ctx: DeployContext, manager, role: str, steps: list[tuple[str, Callable[[], object]]]) -> None:
    """Runs `steps` holding `role` without delay (`_hold`)."""
    if not steps:
        return
    _send_to_manager(ctx, manager, _hold(ctx, manager, role))
    for description, send in steps:
        ctx.confirm(description.capitalize())
        send()
        click.echo(f"  + {description}")


def renounce_temporary_roles(ctx: DeployContext) -> None:
    """Renounces every role the deployer holds but is not meant to (`_as_role`'s, this run's or an
    interrupted one's). Run at the end, and on a failure (best effort)."""
    if "QuanteraAccessManager" not in ctx.record.contracts:
        return
    manager = _manager(ctx)
    _send_to_manager(ctx, manager, [
        (f"deployer renounces {role} (held for the deployment)", "renounceRole", (role_id, ctx.sender.address))
        for role, role_id in ROLE_IDS.items()
        if role not in ctx.standing_roles and manager.hasRole(role_id, ctx.sender.address)[0]])


def deploy_compliance(ctx: DeployContext, token_name: str, token_symbol: str, agent: str | None,
                      compliance_keeper: str | None, claim_cache_ttl: int) -> None:
    """Step 2: identity registry, compliance engine and security token, wired and configured."""
    manager = _manager(ctx)
    registry = project.IdentityRegistry.at(ctx.deploy(
        "IdentityRegistry",
        lambda: ctx.sender.deploy(project.IdentityRegistry, manager, claim_cache_ttl)))
    # The engine serves one token fixed at its construction: token first (no engine yet, paused),
    # then the engine, then `setCompliance` (below), which binds them.
    token = project.SecurityToken.at(ctx.deploy(
        "SecurityToken",
        lambda: ctx.sender.deploy(project.SecurityToken, manager, token_name, token_symbol, 18,
                                  registry, ZERO_ADDRESS, ZERO_ADDRESS)))
    engine = project.ComplianceEngine.at(ctx.deploy(
        "ComplianceEngine",
        lambda: ctx.sender.deploy(project.ComplianceEngine, manager, registry, token)))
    if not _deployer_is_admin(ctx, manager, "compliance wiring"):
        return
    # Configuration is GOVERNOR's: the deployer holds it without delay (`_hold`) if there is some.
    steps: list[tuple[str, Callable[[], object]]] = []
    if token.compliance() != engine.address:
        steps.append(("set the token's compliance engine (binds it)",
                      lambda: token.setCompliance(engine, sender=ctx.sender)))
    for account, caps, label in ((agent, ALL_CAPABILITIES, "token agent"),
                                 (compliance_keeper, FREEZE_ONLY, "compliance keeper (freeze only)")):
        if account and token.agentCapabilities(account) != caps:
            steps.append((f"make {account} {label}",
                          lambda a=account, c=caps: token.setAgentCapabilities(a, c, sender=ctx.sender)))
    if token.address.lower() not in {a.lower() for a in registry.securities()}:
        steps.append(("list the token with the identity registry (SEC-9)",
                      lambda: registry.setSecurity(token, True, sender=ctx.sender)))
    for countries, configs in _jurisdiction_batches(engine):
        steps.append((f"set {len(countries)} jurisdictions from the defaults",
                      lambda c=countries, k=configs: engine.setJurisdictions(c, k, sender=ctx.sender)))
    _send_to_manager(ctx, manager, _wiring_calls(manager, [
        (registry, "IdentityRegistry"), (engine, "ComplianceEngine"), (token, "SecurityToken")])
        # The sanctions freeze is the registry's (identity-wide, every token and the vault's shares).
        + (_grant_calls(manager, "COMPLIANCE_KEEPER", compliance_keeper, 0) if compliance_keeper else [])
        + _hold(ctx, manager, "GOVERNOR", bool(steps)))
    if not steps:
        click.echo("  = compliance configuration already applied")
        return
    _as_role(ctx, manager, "GOVERNOR", steps)


FEED_DECIMALS = 8
FEED_HEARTBEAT = 86_400
FUND_IDENTITY = "0x" + "f0" * 20
MARKET_MAKER_ACCOUNT = 20  # local networks: the RFQ market maker's test account
SIGNAL_KEEPER_ACCOUNT = 22  # local networks: the signal keeper (signs rebalance intents, relays them)


def deploy_risk(ctx: DeployContext, live: dict[str, LiveAsset] | None, agent: str | None,
                keepers_: dict[str, str | None], price_date: str | None = None) -> None:
    """Step 3: oracle router and feeds, the portfolio's security tokens, risk engine and vault.
    Live networks (`live`: the checked feeds file) deploy no token or feed: they use the file's.
    Everything is deployed first, then wired (with the keepers' grants) in one transaction, then
    configured: first prices (local feeds), feeds, listings and limits, the vault's identity."""
    from keepers.vault import history, load_portfolio

    portfolio = load_portfolio()
    manager = _manager(ctx)
    if not _deployer_is_admin(ctx, manager, "risk stack"):
        return
    registry = project.IdentityRegistry.at(ctx.record.address_of("IdentityRegistry"))
    wired: list[tuple[object, str]] = []  # deployed by this step, mapped to roles below
    security_tokens: list[tuple[str, str]] = []  # (symbol, address) of the securities deployed here
    tokens = {}
    governor_steps: list[tuple[str, Callable[[], object]]] = []
    for asset in portfolio.assets:
        if live is not None:
            tokens[asset.symbol] = live[asset.symbol].token or ctx.record.address_of("SecurityToken")
        elif asset.token == "compliance":
            tokens[asset.symbol] = ctx.record.address_of("SecurityToken")
        elif asset.asset_class == "cash_stablecoin":
            stable = ctx.deploy(f"LocalStablecoin.{asset.symbol}", lambda: ctx.sender.deploy(
                project.LocalStablecoin, manager, "USD Coin (local)", asset.symbol))
            wired.append((project.LocalStablecoin.at(stable), "LocalStablecoin"))
            tokens[asset.symbol] = stable
        else:
            token = project.SecurityToken.at(ctx.deploy(f"SecurityToken.{asset.symbol}", lambda a=asset: ctx.sender.deploy(
                project.SecurityToken, manager, a.name, a.symbol, 18, registry, ZERO_ADDRESS, ZERO_ADDRESS)))
            engine = project.ComplianceEngine.at(ctx.deploy(f"ComplianceEngine.{asset.symbol}", lambda t=token: ctx.sender.deploy(
                project.ComplianceEngine, manager, registry, t)))
            wired += [(token, "SecurityToken"), (engine, "ComplianceEngine")]
            security_tokens.append((asset.symbol, token.address))
            if token.compliance() != engine.address:
                governor_steps.append((f"bind {asset.symbol}'s compliance engine",
                                       lambda t=token, e=engine: t.setCompliance(e, sender=ctx.sender)))
            if agent and token.agentCapabilities(agent) != ALL_CAPABILITIES:
                governor_steps.append((f"make {agent} agent of {asset.symbol}",
                                       lambda t=token: t.setAgentCapabilities(agent, ALL_CAPABILITIES, sender=ctx.sender)))
            for countries, configs in _jurisdiction_batches(engine):
                governor_steps.append((f"set {len(countries)} {asset.symbol} jurisdictions",
                                       lambda e=engine, c=countries, k=configs: e.setJurisdictions(c, k, sender=ctx.sender)))
            tokens[asset.symbol] = token.address

    # Local feeds open at the portfolio history's close on `price_date` (default: its last day).
    first_prices = None
    if live is None:
        prices = history(portfolio)
        first_prices = prices.loc[:price_date].iloc[-1] if price_date else prices.iloc[-1]
    reporter_steps = []
    configs = {}
    for asset in portfolio.assets:
        if live is not None:
            configs[asset.symbol] = live[asset.symbol].feed
            continue
        address = ctx.deploy(f"PriceFeed.{asset.symbol}", lambda a=asset: ctx.sender.deploy(
            project.ReporterPriceFeed, manager, FEED_DECIMALS, f"{a.symbol} / USD"))
        feed_contract = project.ReporterPriceFeed.at(address)
        wired.append((feed_contract, "ReporterPriceFeed"))
        if feed_contract.latestRound() == 0:
            answer = int(round(float(first_prices[asset.symbol]) * 10**FEED_DECIMALS))
            reporter_steps.append((f"report the first {asset.symbol} price",
                                   lambda f=feed_contract, x=answer: f.report(x, sender=ctx.sender)))
        configs[asset.symbol] = (address, FEED_HEARTBEAT, ZERO_ADDRESS, 0, 0, 1, 10**30)

    router = project.OracleRouter.at(ctx.deploy("OracleRouter", lambda: ctx.sender.deploy(project.OracleRouter, manager)))
    risk = project.RiskEngine.at(ctx.deploy("RiskEngine", lambda: ctx.sender.deploy(project.RiskEngine, manager, router)))
    # The engine's read-only periphery (limits, model inputs, portfolio VaR/ES): stateless, nothing to wire.
    lens = project.RiskLens.at(ctx.deploy("RiskLens", lambda: ctx.sender.deploy(project.RiskLens)))
    vault = project.PortfolioVault.at(ctx.deploy("PortfolioVault", lambda: ctx.sender.deploy(
        project.PortfolioVault, manager, tokens[portfolio.assets[0].symbol], portfolio.name, portfolio.symbol, risk,
        router, registry)))
    # The fund's shares are securities: a compliance engine of their own, with the jurisdiction defaults.
    shares = project.ComplianceEngine.at(ctx.deploy("ComplianceEngine.shares", lambda: ctx.sender.deploy(
        project.ComplianceEngine, manager, registry, vault)))
    wired += [(router, "OracleRouter"), (risk, "RiskEngine"), (vault, "PortfolioVault"), (shares, "ComplianceEngine")]

    for asset in portfolio.assets:
        token, config = tokens[asset.symbol], configs[asset.symbol]
        if tuple(router.feedOf(token))[0].lower() != config[0].lower():
            governor_steps.append((f"set the {asset.symbol} price feed",
                                   lambda t=token, c=config: router.setFeed(t, c, sender=ctx.sender)))
    listed = [a.lower() for a in vault.assets()]
    governor_steps += [(f"list {a.symbol} in the vault", lambda t=tokens[a.symbol]: vault.addAsset(t, sender=ctx.sender))
                       for a in portfolio.assets[1:] if tokens[a.symbol].lower() not in listed]
    if vault.dealingFeeBps() != portfolio.dealing_fee_bps:
        governor_steps.append((f"set the vault's dealing fee to {portfolio.dealing_fee_bps} bps",
                               lambda: vault.setDealingFee(portfolio.dealing_fee_bps, sender=ctx.sender)))
    if vault.shareCompliance().lower() != shares.address.lower():
        governor_steps.append(("bind the shares' compliance engine",
                               lambda: vault.setShareCompliance(shares, sender=ctx.sender)))
    for countries, configs in _jurisdiction_batches(shares):
        governor_steps.append((f"set {len(countries)} share jurisdictions",
                               lambda c=countries, k=configs: shares.setJurisdictions(c, k, sender=ctx.sender)))
    # Read before the listings above are sent: a listing still to do means the limits were
    # configured (if ever) over fewer assets, so they are configured again after it.
    limits, assets = lens.limitsOf(risk, vault)
    if len(assets) != len(portfolio.assets) or tuple(limits) != portfolio.limits_tuple():
        governor_steps.append(("configure the vault's risk limits", lambda: risk.configure(
            vault, portfolio.asset_risk(), portfolio.limits_tuple(), sender=ctx.sender)))
    # The registry refuses to move a holding wallet between identities (its engines' ledgers are
    # per identity): it must know every security this registry's engines keep (SEC-9).
    securities = {a.lower() for a in registry.securities()}
    governor_steps += [(f"list {label} with the identity registry",
                        lambda a=address: registry.setSecurity(a, True, sender=ctx.sender))
                       for label, address in [*security_tokens, ("the vault's shares", vault.address)]
                       if address.lower() not in securities]
    operator_steps = [] if registry.contains(vault.address) else [
        ("register the vault as a verified institutional identity",
         lambda: registry.registerInvestor(vault, FUND_IDENTITY, 840, 4, 2**40 - 1, sender=ctx.sender))]

    _send_to_manager(ctx, manager, [
        *(call for role, account in keepers_.items() if account for call in _grant_calls(manager, role, account, 0)),
        *_wiring_calls(manager, wired),
        *_hold(ctx, manager, "PRICE_REPORTER", bool(reporter_steps)),
        *_hold(ctx, manager, "GOVERNOR", bool(governor_steps)),
        *_hold(ctx, manager, "OPERATOR", bool(operator_steps))])
    _as_role(ctx, manager, "PRICE_REPORTER", reporter_steps)  # feeds answer before the router takes them
    _as_role(ctx, manager, "GOVERNOR", governor_steps)
    _as_role(ctx, manager, "OPERATOR", operator_steps)


def deploy_liquidity_venues(ctx: DeployContext, market_maker: str | None) -> None:
    """Step 4 (local networks): the real Uniswap V2 (twice) and V3 venues, the RFQ and NAV venues,
    seeded per keepers/data/liquidity.yaml, and the LiquidityAggregator over them. Live networks
    list their existing venues with the aggregator's `setVenue` (governance), not here."""
    from keepers.liquidity.deploy import LiquidityDeployer, deploy_liquidity
    from keepers.vault import load_portfolio

    if not ctx.is_local:
        click.echo("  = live network: liquidity venues are listed by governance, not seeded by this script")
        return
    manager = _manager(ctx)
    if not _deployer_is_admin(ctx, manager, "liquidity layer"):
        return
    tokens = {}
    for asset in load_portfolio().assets:
        if asset.asset_class == "cash_stablecoin":
            tokens[asset.symbol] = project.LocalStablecoin.at(ctx.record.address_of(f"LocalStablecoin.{asset.symbol}"))
        elif asset.token == "compliance":
            tokens[asset.symbol] = project.SecurityToken.at(ctx.record.address_of("SecurityToken"))
        else:
            tokens[asset.symbol] = project.SecurityToken.at(ctx.record.address_of(f"SecurityToken.{asset.symbol}"))
    signers = {a.address.lower(): a for a in accounts.test_accounts}
    deployer = LiquidityDeployer(
        sender=ctx.sender, deploy=ctx.deploy,
        as_role=lambda role, steps: _as_role(ctx, manager, role, steps),
        wire=lambda contract, name: _wire(ctx, manager, contract, name),
        signer=lambda address: signers[address.lower()], echo=click.echo,
    )
    deploy_liquidity(deployer, project, manager, project.IdentityRegistry.at(ctx.record.address_of("IdentityRegistry")),
                     project.OracleRouter.at(ctx.record.address_of("OracleRouter")), tokens,
                     market_maker or _test_address(MARKET_MAKER_ACCOUNT))


def deploy_rebalancer(ctx: DeployContext, signal_signers: list[str], relayer: str | None) -> None:
    """Step 5: the AutoRebalancer over the vault and the aggregator, its strategy from the
    `rebalancing` section of keepers/data/portfolio.yaml, the signal keeper's signing key(s) and the
    one relayer its intents execute from (none: anyone relays, and a copied intent can be relayed
    through a pool moved in the same block). Holds EXECUTOR on the vault."""
    from keepers.vault import load_portfolio

    if "LiquidityAggregator" not in ctx.record.contracts:
        click.echo("  = no LiquidityAggregator in the record: rebalancer skipped")
        return
    manager = _manager(ctx)
    if not _deployer_is_admin(ctx, manager, "rebalancer"):
        return
    portfolio = load_portfolio()
    vault = project.PortfolioVault.at(ctx.record.address_of("PortfolioVault"))
    aggregator = ctx.record.address_of("LiquidityAggregator")
    rebalancer = project.AutoRebalancer.at(ctx.deploy("AutoRebalancer", lambda: ctx.sender.deploy(
        project.AutoRebalancer, manager, aggregator, ctx.record.address_of("OracleRouter"))))
    # The rebalancer's read-only periphery (the strategy in force): stateless, nothing to wire.
    lens = project.RebalancerLens.at(ctx.deploy("RebalancerLens", lambda: ctx.sender.deploy(project.RebalancerLens)))
    steps: list[tuple[str, Callable[[], object]]] = []
    if not vault.isVenue(aggregator):
        steps.append(("allow the aggregator as the vault's venue", lambda: vault.setVenue(aggregator, True, sender=ctx.sender)))
    config = portfolio.strategy_tuple()
    current, strategy_id, _ = lens.strategyOf(rebalancer, vault)
    on_chain = tuple(list(v) if isinstance(v, (list, tuple)) else int(v) for v in current)
    if strategy_id == 0 or on_chain != tuple(list(v) if isinstance(v, list) else v for v in config):
        steps.append(("set the vault's rebalancing strategy", lambda: rebalancer.setStrategy(vault, config, sender=ctx.sender)))
    for signer in signal_signers:
        if not rebalancer.isSigner(vault, signer):
            steps.append((f"authorise {signer} to sign rebalance intents",
                          lambda s=signer: rebalancer.setSigner(vault, s, True, sender=ctx.sender)))
    if relayer and rebalancer.relayerOf(vault).lower() != relayer.lower():
        steps.append((f"bind the vault's rebalance intents to relayer {relayer}",
                      lambda: rebalancer.setRelayer(vault, relayer, sender=ctx.sender)))
    _send_to_manager(ctx, manager, _wiring_calls(manager, [(rebalancer, "AutoRebalancer")])
                     + _grant_calls(manager, "EXECUTOR", rebalancer.address, 0)
                     + _hold(ctx, manager, "GOVERNOR", bool(steps)))
    _as_role(ctx, manager, "GOVERNOR", steps)


def hand_over_admin(ctx: DeployContext, admin: str | None, admin_delay: int) -> None:
    """Last step: give ADMIN to governance with an execution delay and renounce the deployer's."""
    if not admin or admin.lower() == ctx.sender.address.lower():
        return
    manager = _manager(ctx)
    is_admin, _ = manager.hasRole(ADMIN_ROLE, ctx.sender.address)
    if not is_admin:
        return
    # One transaction: the protocol is never left with two admins, or none.
    _send_to_manager(ctx, manager, _grant_calls(manager, "ADMIN", admin, admin_delay) + [
        (f"deployer renounces ADMIN; admin is {admin} (delay {admin_delay}s)", "renounceRole",
         (ADMIN_ROLE, ctx.sender.address))])


def _test_address(index: int) -> str:
    return accounts.test_accounts[index].address


@click.group()
def cli():
    """Deploy and inspect Quantera deployments."""


@cli.command(name="all", cls=ConnectedProviderCommand)
@network_option()
@click.option("--account", "account_alias", help="Ape account alias, or TEST::<n> (default on local networks: TEST::0).")
@click.option("--fresh", is_flag=True, help="Ignore the existing deployment record and deploy everything anew.")
@click.option("--yes", "assume_yes", is_flag=True,
              help="Do not ask for confirmation on live networks: deploy unattended (a keyfile account is unlocked "
              "once, from APE_ACCOUNTS_<alias>_PASSPHRASE or one prompt).")
@click.option("--guardian", help="Guardian address (local default: test account 1).")
@click.option("--governor", help="Governor address (local default: test account 2).")
@click.option("--operator", help="Operator address (local default: test account 3).")
@click.option("--governor-delay", type=click.IntRange(0, 30 * 86400), default=3600, show_default=True,
              help="Execution delay (s) of the governor role: every governor call is scheduled first.")
@click.option("--token-name", default="Quantera Treasury Fund", show_default=True)
@click.option("--token-symbol", default="QTF", show_default=True)
@click.option("--token-agent", help="Token agent with every capability (local default: test account 5).")
@click.option("--compliance-keeper", help="Sanctions keeper: COMPLIANCE_KEEPER (the registry's identity-wide freeze) "
              "and a freeze-only agent of the token (local default: test account 6).")
@click.option("--claim-cache-ttl", type=click.IntRange(0, 30 * 86400), default=86400, show_default=True,
              help="Seconds a verified ONCHAINID claim set stays cached.")
@click.option("--risk-keeper", help="Risk keeper (publishes models; local default: test account 7).")
@click.option("--price-reporter", help="Price keeper of local feeds (local default: test account 8).")
@click.option("--executor", help="Vault trade executor (local default: test account 9).")
@click.option("--price-date", help="Local networks: first answer of each price feed = the portfolio history's close "
              "on this date (YYYY-MM-DD; default: the last day of the history).")
@click.option("--market-maker", help="RFQ market maker (local default: test account 20).")
@click.option("--liquidity/--no-liquidity", "with_liquidity", default=True, show_default=True,
              help="Local networks: deploy and seed the venues and the liquidity aggregator.")
@click.option("--signal-signer", "signal_signers", multiple=True,
              help="Key allowed to sign rebalance intents (repeatable; local default: test account 22).")
@click.option("--intent-relayer", help="The only address that may relay rebalance intents (local default: the "
              "signal keeper, test account 22; none given on a live network: anyone may relay).")
@click.option("--admin", help="Hand ADMIN to this address at the end and renounce the deployer's.")
@click.option("--admin-delay", type=click.IntRange(0, 30 * 86400), default=86400, show_default=True,
              help="Execution delay (s) the handed-over admin holds its role with.")
def deploy_all(ecosystem, network, provider, account_alias, fresh, assume_yes, guardian, governor, operator,
               governor_delay, token_name, token_symbol, token_agent, compliance_keeper, claim_cache_ttl, risk_keeper,
               price_reporter, executor, price_date, market_maker, with_liquidity, signal_signers, intent_relayer, admin,
               admin_delay):
    """Deploy (or complete) the whole protocol in dependency order."""
    network_key = f"{ecosystem.name}:{network.name}"
    try:
        is_local = network.is_local
        sender = _resolve_account(account_alias, is_local)
        record, path = _open_record(network_key, fresh, is_local)

        def default(address: str | None, test_account: int) -> str | None:
            return address or (_test_address(test_account) if is_local else None)

        roles = {"GUARDIAN": default(guardian, 1), "GOVERNOR": default(governor, 2), "OPERATOR": default(operator, 3)}
        keepers_ = {"RISK_KEEPER": default(risk_keeper, 7), "PRICE_REPORTER": default(price_reporter, 8),
                    "EXECUTOR": default(executor, 9)}
        token_agent, compliance_keeper = default(token_agent, 5), default(compliance_keeper, 6)
        signal_signers = list(signal_signers) or ([_test_address(SIGNAL_KEEPER_ACCOUNT)] if is_local else [])
        intent_relayer = default(intent_relayer, SIGNAL_KEEPER_ACCOUNT)
        live = preflight(sender, record, network_key, is_local, [
            ("--guardian", roles["GUARDIAN"]), ("--governor", roles["GOVERNOR"]), ("--operator", roles["OPERATOR"]),
            ("--token-agent", token_agent), ("--compliance-keeper", compliance_keeper),
            ("--risk-keeper", keepers_["RISK_KEEPER"]), ("--price-reporter", keepers_["PRICE_REPORTER"]),
            ("--executor", keepers_["EXECUTOR"]), ("--market-maker", market_maker), ("--admin", admin),
            ("--intent-relayer", intent_relayer), *(("--signal-signer", s) for s in signal_signers)])
        try:
            unlock_account(sender)
        except QuanteraError as err:
            raise click.ClickException(f"{err}; no transaction sent") from None
        await_in_flight(sender)
        held = {role for role, holder in {**roles, **keepers_, "COMPLIANCE_KEEPER": compliance_keeper}.items()
                if holder and holder.lower() == sender.address.lower()}
        ctx = DeployContext(record=record, path=path, sender=sender, is_local=is_local, assume_yes=assume_yes,
                            standing_roles=frozenset({"ADMIN", *held}))
        click.echo(f"Deploying Quantera to {network_key} (chain {record.chain_id}) from {sender.address}")
        try:
            deploy_access(ctx, roles, governor_delay)
            deploy_compliance(ctx, token_name, token_symbol, token_agent, compliance_keeper, claim_cache_ttl)
            deploy_risk(ctx, live, token_agent, keepers_, price_date)
            if with_liquidity:
                deploy_liquidity_venues(ctx, market_maker)
                deploy_rebalancer(ctx, signal_signers, intent_relayer)
        except click.Abort:  # the operator said no: send nothing more
            raise
        except Exception:
            try:  # the step's error is the one to report; a rerun renounces them anyway
                renounce_temporary_roles(ctx)
            except Exception:
                pass
            raise
        renounce_temporary_roles(ctx)
        hand_over_admin(ctx, admin, admin_delay)
        save(record, path)
        click.echo(f"Deployment record: {path}")
    except (click.ClickException, click.Abort):
        raise
    except (QuanteraError, DeploymentError) as err:
        raise click.ClickException(str(err)) from None
    except Exception as err:  # one line, never a traceback: what failed, and that a rerun resumes
        lines = str(err).strip().splitlines() or [""]
        raise click.ClickException(
            f"deployment stopped: {type(err).__name__}: {lines[0]}; {record_path(network_key)} keeps what was "
            "done: rerun the same command to complete") from None


# Live networks: what the deployer pays for, to check its balance before the first transaction.
LIVE_CONTRACTS = {name: name for name in ("QuanteraAccessManager", "IdentityRegistry", "SecurityToken", "ComplianceEngine",
                                           "OracleRouter", "RiskEngine", "RiskLens", "PortfolioVault")}
LIVE_CONTRACTS["ComplianceEngine.shares"] = "ComplianceEngine"  # record name -> contract type
# Role wiring and configuration of a live deployment: 6.45M gas in 21 transactions measured on
# tests/keepers/deploy/test_deploy_live.py's (most of it the jurisdiction defaults, token's and shares'),
# rounded up.
CONFIGURATION_GAS = 8_000_000


def estimated_gas(record: DeploymentRecord) -> int:
    """A rough upper estimate of the gas a live deployment still needs: for each contract not yet
    recorded its creation (53,000 + 16 per init-code byte + 200 per runtime byte, and a quarter
    more for its constructor: 15-25% above the measured cost), plus CONFIGURATION_GAS."""
    gas = CONFIGURATION_GAS
    for name, type_name in LIVE_CONTRACTS.items():
        if name not in record.contracts:
            contract_type = project.get_contract(type_name).contract_type
            init = len(contract_type.deployment_bytecode.bytecode or "0x") // 2 - 1
            runtime = len(contract_type.runtime_bytecode.bytecode or "0x") // 2 - 1
            gas += (53_000 + 16 * init + 200 * runtime) * 5 // 4
    return gas


def preflight(sender, record: DeploymentRecord, network_key: str, is_local: bool,
              options: list[tuple[str, str | None]]) -> dict[str, LiveAsset] | None:
    """Checks every input before the first transaction (keepers/core/preflight.py) and stops with all
    problems on one line. Returns the live network's checked feeds file (None on local ones)."""
    from keepers.vault import load_portfolio

    problems = check_options(sender.address, options, () if is_local else ("--guardian", "--governor", "--operator"))
    live = None
    if not is_local:
        portfolio = load_portfolio()
        compliance = next((a.symbol for a in portfolio.assets if a.token == "compliance"), None)
        live, file_problems = load_feeds(feeds_path(deployments_dir(), network_key),
                                         [a.symbol for a in portfolio.assets], compliance)
        problems += file_problems + check_feeds_on_chain(live, chain.provider)
        # What ape offers per gas (maxFeePerGas), which the balance must cover for a transaction to be accepted.
        max_fee = int(chain.provider.base_fee * chain.provider.network.config.base_fee_multiplier) \
            + chain.provider.priority_fee
        gas, balance = estimated_gas(record), chain.provider.get_balance(sender.address)
        problems += check_balance(balance, gas, max_fee, sender.address)
    if problems:
        raise click.ClickException(f"pre-flight check failed, no transaction sent: {'; '.join(problems)}")
    if not is_local:
        click.echo(f"Pre-flight checks passed: feeds file, addresses, roles; the deployer's {balance / 1e18:.4f} ETH "
                   f"covers about {gas:,} gas at {max_fee / 1e9:.3f} gwei")
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
