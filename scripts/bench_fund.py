"""`ape run bench_fund` (run by `make bench`): gas of the FundVault's dealing (issue 17 item 2)
from real receipts on a fresh anvil — full transaction gas, 21,000 base included — merged into
benchmarks/gas.json under `lifecycle.*`.

Everything is the deployed system, built by the deploy steps: the share class is a SecurityToken
whose ComplianceEngine has jurisdiction rules with holder caps (US and Germany: 2,000 holders,
500 non-accredited), a total holder cap and a maximum balance; the settlement asset is the local
stablecoin; the NAV source is `FundNavDouble` (the registry's stand-in: the OracleRouter's price of
a ReporterPriceFeed, a checkpoint written per strike). Scenarios:
- requests: a controller's first request (its position slot is new) and a later one;
- claims: a deposit claim minting to a new holder and to an existing one; a redemption claim;
- strikes: a gated period whose queue is one carried request, and the same with 999 more
  (500 subscriptions, 499 redemptions, each of its own controller): 1 or 1,000 pending requests;
- floors: the share transfer and the agent burn the vault's escrow and strike contain, as their
  own transactions, and the strike's NAV-source and access-check call frames (opcode trace);
- fees (on a snapshot, so the figures above are of a vault whose schedule is empty): with every
  fee set and a volume tier, a strike accruing the management fee, deposit and redemption claims
  paying their fees, instant subscription and redemption (urgency premium), the FeeSchedule's
  `charge` frame inside a claim, `previewFee` (eth_estimateGas of the view) and `collectFees`.
- the desk (on a snapshot; `--only desk` runs it alone): the share class in two settlement assets
  through a FundDesk (`deploy_fund_desk`, one FundVault per asset, listed on the SettlementAssets
  with their feeds): a deposit request routed to a pegged asset (a new controller), the desk's
  strike of both vaults at one NAV, a redemption request and an instant redemption each routed to
  the more preferred asset among the two the investor accepts (a new controller of that vault,
  whose escrow already holds shares, as `request_redeem_new_controller`).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry, deploy_security
from keepers.core.artifacts import project_at
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    SettlementAssetType,
    deploy_fund_desk,
    deploy_fund_vault,
    deploy_settlement_assets,
    list_settlement_assets,
    next_cutoff,
)
from keepers.risk import deploy_feeds, deploy_oracle, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

GAS_FILE = Path("benchmarks") / "gas.json"
USD, UNIT = 10**6, 10**18
US, DE, ACCREDITED, FAR_FUTURE = 840, 276, 2, 2**40 - 1
DAY = 86_400
INSTRUMENT_ID = 1
PENDING_REQUESTS = 1_000
BATCH = 100  # IdentityRegistry.MAX_BATCH


def frame_gas(txn_hash, callee: str) -> int:
    """Gas a transaction spent in its last call to `callee` (the CALL itself included)."""
    txn_hash = txn_hash if isinstance(txn_hash, str) else txn_hash.hex()
    trace = chain.provider.make_request(
        "debug_traceTransaction",
        [
            txn_hash if txn_hash.startswith("0x") else "0x" + txn_hash,
            {"disableStorage": True, "disableMemory": True, "enableReturnData": False},
        ],
    )
    logs, target = trace["structLogs"], int(callee, 16)
    calls = [
        i
        for i, step in enumerate(logs)
        if step["op"] in ("CALL", "STATICCALL") and int(step["stack"][-2], 16) == target
    ]
    if not calls:
        raise click.ClickException(f"no call to {callee} in {txn_hash}")
    start = calls[-1]
    end = next(j for j in range(start + 1, len(logs)) if logs[j]["depth"] == logs[start]["depth"])
    return logs[start]["gas"] - logs[end]["gas"]


class FundBench:
    """The dealing stack of one money-market fund share class, with four investors."""

    def __init__(self):
        test = accounts.test_accounts
        self.deployer, governor, operator, self.agent = (test[i] for i in (0, 2, 3, 4))
        self.nav_agent, manager, custodian, reporter = (test[i] for i in (10, 11, 12, 13))
        self.operator = operator
        self.seed, self.alice, self.bob, self.carol = (test[i] for i in (5, 6, 7, 8))
        self.d = d = Deployment.in_memory(self.deployer)
        deploy_access(d, {"GOVERNOR": governor, "OPERATOR": operator, "PRICE_REPORTER": reporter})
        self.registry = deploy_registry(d)
        self.usdc = deploy_stablecoin(d, "USDF", "Fund Dollar (local)")
        self.share = deploy_security(
            d,
            ".BMMF",
            "Bench Money Market Fund",
            "BMMF",
            agent=self.agent.address,
            jurisdictions=[(country, (True, 1, 2_000, 500, 0)) for country in (US, DE)],
        )
        self.engine = d.at("ComplianceEngine", "ComplianceEngine.BMMF")
        self.router = router = deploy_oracle(d)
        self.feed = deploy_feeds(d, {"BMMF": 10**FEED_DECIMALS})["BMMF"]
        set_feeds(d, router, {"BMMF": (self.share.address, feed_config(self.feed.address))})
        self.nav_source = d.sender.deploy(project.FundNavDouble, router)  # the registry's stand-in
        self.vault = deploy_fund_vault(
            d,
            self.share,
            self.usdc,
            self.nav_source,
            INSTRUMENT_ID,
            identity=f"0x{0xF7:040x}",
            first_cutoff=next_cutoff(chain.blocks.head.timestamp, DAY) + DAY,
            nav_agent=self.nav_agent.address,
            fund_manager=manager.address,
            custodian=custodian.address,
        )
        renounce_temporary_roles(d)
        self.nav_source.configure(INSTRUMENT_ID, self.share, self.vault, True, sender=self.deployer)
        self.share.unpause(sender=self.agent)
        # maxBalance, minHolding, maxBalanceBps, lockup, daily, monthly, transfersOpenAt,
        # totalHolderCap, totalNonAccreditedCap
        self.engine.setLimits((10**9 * UNIT, 0, 0, 0, 0, 0, 0, 10_000, 0), sender=governor)
        self.governor, self.reporter = governor, reporter
        self.fees = project_at("FeeSchedule", self.vault.feeSchedule())
        for i, wallet in enumerate((self.seed, self.alice, self.bob, self.carol)):
            self.registry.registerInvestor(
                wallet, f"0x{0xA0 + i:040x}", US, ACCREDITED, FAR_FUTURE, sender=operator
            )
            self.usdc.mint(wallet, 10**9 * USD, sender=operator)
            self.usdc.approve(self.vault, 2**256 - 1, sender=wallet)
            self.share.approve(self.vault, 2**256 - 1, sender=wallet)

    def strike(self, price: float = 1.0):
        chain.pending_timestamp = max(chain.pending_timestamp, self.vault.dealing()[1])
        self.feed.report(int(price * 10**FEED_DECIMALS), sender=self.reporter)
        return self.vault.strike(sender=self.nav_agent)

    def controllers(self, count: int, offset: int) -> list[str]:
        """`count` verified controllers (registered in batches by the operator)."""
        wallets = [f"0x{0xC0DE0000 + offset + i:040x}" for i in range(count)]
        for start in range(0, count, BATCH):
            batch = wallets[start : start + BATCH]
            self.registry.batchRegisterIdentity(
                batch,
                [f"0x{0xD0D00000 + offset + start + i:040x}" for i in range(len(batch))],
                [US] * len(batch),
                sender=self.operator,
            )
        return wallets


def measure(b: FundBench) -> dict[str, int]:
    vault, seed, alice, bob, carol = b.vault, b.seed, b.alice, b.bob, b.carol
    gas: dict[str, int] = {}
    # Period 1: the seed's subscription opens the vault's cash and the token's supply.
    vault.requestDeposit(1_000_000 * USD, seed, seed, sender=seed)
    gas["lifecycle.request_deposit_new_controller"] = vault.requestDeposit(
        100_000 * USD, alice, alice, sender=alice
    ).gas_used
    vault.requestDeposit(100_000 * USD, bob, bob, sender=bob)
    b.strike()
    vault.deposit(1_000_000 * USD, seed, sender=seed)
    gas["lifecycle.claim_deposit_new_holder"] = vault.deposit(
        100_000 * USD, alice, sender=alice
    ).gas_used
    vault.deposit(100_000 * USD, bob, sender=bob)
    # Period 2: redemptions into a queue the vault already escrows (an existing holder).
    vault.requestRedeem(10_000 * UNIT, seed, seed, sender=seed)
    gas["lifecycle.request_redeem_existing_controller"] = vault.requestRedeem(
        10_000 * UNIT, alice, alice, sender=alice
    ).gas_used
    b.share.transfer(carol, 50_000 * UNIT, sender=seed)  # carol holds shares, no request yet
    gas["lifecycle.request_redeem_new_controller"] = vault.requestRedeem(
        10_000 * UNIT, carol, carol, sender=carol
    ).gas_used
    gas["lifecycle.request_deposit_existing_controller"] = vault.requestDeposit(
        100_000 * USD, alice, alice, sender=alice
    ).gas_used
    b.strike()
    gas["lifecycle.claim_redeem"] = vault.redeem(
        vault.maxRedeem(alice), alice, alice, sender=alice
    ).gas_used
    gas["lifecycle.claim_deposit_existing_holder"] = vault.deposit(
        100_000 * USD, alice, sender=alice
    ).gas_used
    # Floors: what the escrow and the strike's burn cost on their own.
    gas["lifecycle.floor_share_transfer_existing_holders"] = b.share.transfer(
        alice, 1_000 * UNIT, sender=seed
    ).gas_used
    gas["lifecycle.floor_agent_burn"] = b.share.burn(seed, 1_000 * UNIT, sender=b.agent).gas_used
    before_fees = chain.snapshot()
    gas.update(measure_fees(b))
    chain.restore(before_fees)
    # Strikes of a gated period carrying a queue: bob's request alone, or with 999 new ones.
    vault.setGate(100, sender=b.governor)  # 1% of the supply per period
    vault.requestRedeem(50_000 * UNIT, bob, bob, sender=bob)
    b.strike()  # carries most of bob's request: every later strike writes the same slots
    baseline = chain.snapshot()
    one = b.strike(1.01)
    gas["lifecycle.strike_1_pending_request"] = one.gas_used
    gas["lifecycle.strike_nav_source_frame"] = frame_gas(one.txn_hash, b.nav_source.address)
    gas["lifecycle.strike_access_check_frame"] = frame_gas(one.txn_hash, vault.authority())
    gas["lifecycle.strike_burn_frame"] = frame_gas(one.txn_hash, b.share.address)
    chain.restore(baseline)
    deposits = PENDING_REQUESTS // 2  # 500 subscriptions, 499 redemptions, bob's carried one
    controllers = b.controllers(deposits, 0)
    for controller in controllers:
        vault.requestDeposit(100 * USD, controller, seed, sender=seed)
    # The same verified controllers: a request names one its owner may transfer to (SEC-33's
    # pair check); the strike reads totals, not requests, whoever holds them.
    for controller in controllers[: PENDING_REQUESTS - deposits - 1]:
        vault.requestRedeem(1 * UNIT, controller, seed, sender=seed)
    gas["lifecycle.strike_1000_pending_requests"] = b.strike(1.01).gas_used
    return gas


def measure_fees(b: FundBench) -> dict[str, int]:
    """The dealing paths with every fee set (see the module notice)."""
    vault, schedule, alice = b.vault, b.fees, b.alice
    recipient, dave = accounts.test_accounts[14], accounts.test_accounts[15]
    for i, wallet in enumerate((recipient, dave)):
        b.registry.registerInvestor(
            wallet, f"0x{0xB0 + i:040x}", US, ACCREDITED, FAR_FUTURE, sender=b.operator
        )
    b.usdc.mint(dave, 10**9 * USD, sender=b.operator)
    b.usdc.approve(vault, 2**256 - 1, sender=dave)
    # subscription, redemption, instant, urgency, management bps; recipient; one volume tier
    terms = (10, 10, 20, 100, 50, recipient.address, [(1_000_000 * USD, 2_500)])
    schedule.setFeeSchedule(vault, terms, sender=b.governor)
    vault.setInstantLimit(10_000_000 * USD, sender=b.governor)
    vault.requestDeposit(100_000 * USD, alice, alice, sender=alice)
    vault.requestDeposit(100_000 * USD, dave, dave, sender=dave)
    vault.requestRedeem(10_000 * UNIT, alice, alice, sender=alice)
    gas = {"lifecycle.strike_accruing_management_fee": b.strike().gas_used}
    gas["lifecycle.claim_deposit_new_holder_with_fee"] = vault.deposit(
        100_000 * USD, dave, sender=dave
    ).gas_used
    claim = vault.deposit(100_000 * USD, alice, sender=alice)
    gas["lifecycle.claim_deposit_existing_holder_with_fee"] = claim.gas_used
    gas["lifecycle.fee_charge_frame"] = frame_gas(claim.txn_hash, schedule.address)
    gas["lifecycle.claim_redeem_with_fee"] = vault.redeem(
        vault.maxRedeem(alice), alice, alice, sender=alice
    ).gas_used
    gas["lifecycle.instant_deposit_existing_holder"] = vault.instantDeposit(
        50_000 * USD, alice, sender=alice
    ).gas_used
    gas["lifecycle.instant_redeem"] = vault.instantRedeem(
        10_000 * UNIT, alice, alice, sender=alice
    ).gas_used
    gas["lifecycle.preview_fee_call"] = schedule.previewFee.estimate_gas_cost(
        vault, 3, alice, 10_000 * USD, 5_000
    )
    gas["lifecycle.collect_fees"] = vault.collectFees(sender=alice).gas_used
    return gas


DESK_INSTRUMENT_ID = 2
# The desk's assets in vault order: (SettlementAssetConfig: type, weight bps, rank, depeg bps).
DESK_ASSETS = {
    "DUSD": (SettlementAssetType.RESERVE_BACKED, 10_000, 2, 100),
    "DTOK": (SettlementAssetType.TOKENIZED_DEPOSIT, 2_000, 1, 50),
}
BOTH = 0b11


def measure_desk(b: FundBench) -> dict[str, int]:
    """The FundDesk's routed dealing (see the module notice) on the bench's share class."""
    d, share, seed, alice, bob = b.d, b.share, b.seed, b.alice, b.bob
    coins = {label: deploy_stablecoin(d, label, f"{label} (local)") for label in DESK_ASSETS}
    feeds = deploy_feeds(d, {label: 10**FEED_DECIMALS for label in DESK_ASSETS})
    set_feeds(
        d, b.router, {k: (coins[k].address, feed_config(feeds[k].address)) for k in DESK_ASSETS}
    )
    assets = deploy_settlement_assets(d, b.router)
    list_settlement_assets(
        d, assets, {label: (coins[label].address, c) for label, c in DESK_ASSETS.items()}
    )
    desk, vaults = deploy_fund_desk(
        d,
        share,
        assets,
        b.nav_source,
        DESK_INSTRUMENT_ID,
        coins,
        identities={label: f"0x{0xF800 + i:040x}" for i, label in enumerate(coins)},
        first_cutoff=next_cutoff(chain.blocks.head.timestamp, DAY) + DAY,
        nav_agent=b.nav_agent.address,
        instant_limit=10_000_000 * USD,
    )
    renounce_temporary_roles(d)
    b.nav_source.configure(DESK_INSTRUMENT_ID, share, desk, True, sender=b.deployer)
    for wallet in (seed, alice, bob):
        for coin, vault in zip(coins.values(), vaults.values(), strict=True):
            coin.mint(wallet, 10**9 * USD, sender=b.operator)
            coin.approve(vault, 2**256 - 1, sender=wallet)
            share.approve(vault, 2**256 - 1, sender=wallet)
            vault.setOperator(desk, True, sender=wallet)

    def strike():
        chain.pending_timestamp = max(chain.pending_timestamp, vaults["DUSD"].dealing()[1])
        for feed in (b.feed, *feeds.values()):
            feed.report(10**FEED_DECIMALS, sender=b.reporter)
        return desk.strike(sender=b.nav_agent)

    gas: dict[str, int] = {}
    for label, wallet in (("DUSD", seed), ("DTOK", bob)):
        desk.requestDeposit(coins[label], 1_000_000 * USD, wallet, sender=wallet)
    gas["lifecycle.desk_request_deposit_new_controller"] = desk.requestDeposit(
        coins["DTOK"], 100_000 * USD, alice, sender=alice
    ).gas_used
    gas["lifecycle.desk_strike_2_vaults"] = strike().gas_used
    for label, wallet in (("DUSD", seed), ("DTOK", bob), ("DTOK", alice)):
        vaults[label].deposit(vaults[label].maxDeposit(wallet), wallet, sender=wallet)
    desk.requestRedeem(10_000 * UNIT, bob, BOTH, sender=bob)  # the DTOK escrow holds shares
    gas["lifecycle.desk_request_redeem_routed_2_assets"] = desk.requestRedeem(
        10_000 * UNIT, seed, BOTH, sender=seed
    ).gas_used
    gas["lifecycle.desk_instant_redeem_routed_2_assets"] = desk.instantRedeem(
        10_000 * UNIT, alice, BOTH, sender=alice
    ).gas_used
    return gas


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option(
    "--only",
    type=click.Choice(["all", "desk"]),
    default="all",
    help="desk: the FundDesk's scenarios alone.",
)
def cli(ecosystem, network, provider, only):
    """Measure the FundVault's dealing gas into benchmarks/gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    bench = FundBench()
    if only == "desk":
        gas = measure_desk(bench)
        merge_json(GAS_FILE, gas)
        for name, value in sorted(gas.items()):
            click.echo(f"{name:50} {value:>10,}")
        return
    before_desk = chain.snapshot()
    gas = measure_desk(bench)
    chain.restore(before_desk)
    gas.update(measure(bench))
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:50} {value:>10,}")
    one, many = (
        gas["lifecycle.strike_1_pending_request"],
        gas["lifecycle.strike_1000_pending_requests"],
    )
    click.echo(f"strike 1 vs 1,000 pending requests: {abs(many - one) / one:.2%} apart")
    click.echo(f"written to {GAS_FILE}")
