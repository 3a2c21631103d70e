"""`make bench` / `ape run bench_lifecycle`: the lifecycle domain's gas from real receipts on a
fresh anvil — registering instruments, status moves, NAV strikes, listing a settlement asset — and
its views as `eth_estimateGas` of a call (full transaction gas, 21,000 base included: what a
contract calling them pays is less), merged into benchmarks/gas.json.

The stack is built by the deploy steps (keepers/<domain>/deploy.py), as the deploy script does.
"""

from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_registry, deploy_security
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    InstrumentTerms,
    SettlementAssetType,
    approve_issuers,
    deploy_lifecycle,
    list_settlement_assets,
    set_token_issuer,
    utc_midnight,
)
from keepers.risk import deploy_feeds, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

GAS_FILE = Path("benchmarks") / "gas.json"
DAY, YEAR = 86_400, 365 * 86_400
US = 840
# A year of daily strikes before the history lookups are measured.
STRIKES = 365


def measure_lifecycle() -> dict[str, int]:
    deployer, guardian, governor, operator, agent = (accounts.test_accounts[i] for i in range(5))
    reporter, issuer = accounts.test_accounts[11], accounts.test_accounts[14]
    d = Deployment.in_memory(deployer)
    deploy_access(d, {"GOVERNOR": governor, "GUARDIAN": guardian, "OPERATOR": operator})
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", reporter.address))
    deploy_registry(d)
    coins = {s: deploy_stablecoin(d, s, f"{s} (local)") for s in ("USDC", "WCBDC")}
    tdep = deploy_security(
        d, ".TDEP", "Deposit token", "TDEP", agent=agent.address, jurisdictions=[(US, _open())]
    )
    shares = {
        s: deploy_security(
            d, f".{s}", f"Bench {s}", s, agent=agent.address, jurisdictions=[(US, _open())]
        )
        for s in ("BNOTE", "BMMF")
    }
    tokens = {**coins, "TDEP": tdep, **shares}
    feeds = deploy_feeds(
        d, {s: (100 if s.startswith("B") else 1) * 10**FEED_DECIMALS for s in tokens}
    )
    registry = deploy_lifecycle(d)
    router, assets = d.at("OracleRouter"), d.at("SettlementAssets")
    set_feeds(d, router, {s: (t, feed_config(feeds[s].address)) for s, t in tokens.items()})
    gas: dict[str, int] = {}
    list_settlement_assets(
        d,
        assets,
        {
            "USDC": (coins["USDC"].address, (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100)),
            "WCBDC": (coins["WCBDC"].address, (SettlementAssetType.WHOLESALE_CBDC, 0, 1, 50)),
        },
    )
    approve_issuers(d, registry, {"the issuer": issuer.address})
    set_token_issuer(d, list(shares.values()), issuer.address)  # SEC-130
    renounce_temporary_roles(d)
    gas["lifecycle.list_settlement_asset"] = assets.listAsset(
        tdep, (SettlementAssetType.TOKENIZED_DEPOSIT, 2_000, 2, 50), sender=governor
    ).gas_used

    now = chain.pending_timestamp
    issue = utc_midnight(now) - 30 * DAY
    note = InstrumentTerms(
        kind=InstrumentKind.FIXED_COUPON_NOTE,
        isin="US912810TM09",
        cusip="912810TM0",
        share_token=shares["BNOTE"].address,
        settlement_assets=[coins["USDC"].address, tdep.address],
        face_value=100 * 10**18,
        coupon=CouponTerms(
            425,
            0,
            0,
            2,
            DayCountConvention.THIRTY_360_BOND_BASIS,
            BusinessDayConvention.FOLLOWING,
            1,
        ),
        issue_date=issue,
        maturity_date=issue + 2 * YEAR,
        call=CallTerms(True, issue + YEAR, 10_100),
    )
    fund = InstrumentTerms(
        kind=InstrumentKind.MONEY_MARKET_FUND,
        isin="US0378331005",
        share_token=shares["BMMF"].address,
        settlement_assets=[coins["WCBDC"].address, coins["USDC"].address],
        issue_date=issue,
    )
    gas["lifecycle.register_fixed_coupon_note_2_assets"] = registry.register(
        note.as_tuple(), sender=issuer
    ).gas_used
    gas["lifecycle.register_money_market_fund_2_assets"] = registry.register(
        fund.as_tuple(), sender=issuer
    ).gas_used
    gas["lifecycle.activate"] = registry.activate(1, sender=issuer).gas_used
    gas["lifecycle.guardian_suspend"] = registry.guardianSuspend(1, sender=guardian).gas_used
    gas["lifecycle.resume"] = registry.resume(1, sender=governor).gas_used
    gas["lifecycle.strike_nav_first"] = registry.strikeNav(1, sender=issuer).gas_used
    strikes = []
    for day in range(STRIKES):
        chain.pending_timestamp += DAY
        # A NAV walking within the move bound: +-0.5% around 100.
        feeds["BNOTE"].report(
            (100 * 10**FEED_DECIMALS) + (day % 5 - 2) * 25_000_000, sender=reporter
        )
        strikes.append(registry.strikeNav(1, sender=issuer))
    gas["lifecycle.strike_nav"] = strikes[-1].gas_used
    head = chain.blocks.head.number
    gas["lifecycle.nav_at_latest_view"] = registry.navAt.estimate_gas_cost(1, head)
    gas["lifecycle.nav_at_a_year_ago_view"] = registry.navAt.estimate_gas_cost(
        1, strikes[0].block_number
    )
    gas["lifecycle.latest_nav_view"] = registry.latestNav.estimate_gas_cost(1)
    for symbol in ("USDC", "WCBDC", "TDEP"):  # a year on: fresh answers for the peg views
        feeds[symbol].report(10**FEED_DECIMALS, sender=reporter)
    gas["lifecycle.is_depegged_view"] = assets.isDepegged.estimate_gas_cost(coins["USDC"])
    gas["lifecycle.convert_view"] = assets.convert.estimate_gas_cost(coins["USDC"], tdep, 10**12)
    accepted = [coins["USDC"], tdep, coins["WCBDC"]]
    gas["lifecycle.preferred_payout_3_assets_view"] = assets.preferredPayout.estimate_gas_cost(
        accepted, [10**12, 10**24, 10**12], 1_000 * 10**18
    )
    return gas


def _open():
    """A jurisdiction open to every class (the bench's tokens are never transferred)."""
    return (True, 1, 0, 0, 0)


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure the lifecycle domain's gas and merge it into benchmarks/gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    measured = measure_lifecycle()
    merge_json(GAS_FILE, measured)
    for name, gas in sorted(measured.items()):
        click.echo(f"{name:45} {gas:>10,}")
    click.echo(f"written to {GAS_FILE}")
