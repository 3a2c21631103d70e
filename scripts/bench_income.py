"""`ape run bench_income` (run by `make bench`): gas of the IncomeShareToken's daily dividend
(issue 17 item 5) from real receipts on a fresh anvil — full transaction gas, 21,000 base
included — merged into benchmarks/gas.json under `income.*`.

Everything is the deployed system, built by the deploy steps: the share class is an
IncomeShareToken (keepers/lifecycle/deploy.py) whose ComplianceEngine has jurisdiction rules with
holder caps (US: 20,000 holders) and a maximum balance. Scenarios:
- a declaration with 1 holder and with HOLDERS holders (2,000 by default; registered 100 a
  transaction, minted 100 a transaction): the declaration reads and writes no per-holder state,
  so the two are equal;
- a claim of accrued income (`settleIncome(holder, 0, max)`: the holder's balance and the
  engine's ledger grow through the engine's `created`);
- a compliant transfer between two existing holders without accrued income, the same transfer
  when both have income accrued (both settled: their pending income words written), and a
  transfer of a whole balance with income (the sender's income paid first, through the engine);
- the same transfer on a plain SecurityToken of the same stack (the base the hook must not tax);
- a note's share token (BondShareToken + BondServicer, a two-year 4.25% semi-annual note on the
  InstrumentRegistry, paying in a local stablecoin): recording a coupon (O(1): nothing per holder),
  claiming coupons, a transfer between two holders with unclaimed coupons (both settled) and one
  before any coupon, and a redemption at maturity (coupons and face value paid);
- a floating-rate note on the same servicer code (SOFR + 15 bps, its index feed wired into the
  OracleRouter by `wire_rate_index`): recording a coupon, its rate fixed at the index's round in
  force at the record date, named by the recorder and proven by the servicer (the latest round
  here: the costliest proof, three reads of the feed and `decimals`)
  (`bond.record_floating_coupon`, against `bond.record_coupon`).

`--bond-only` measures the bond figures alone (no holders to set up: seconds, not minutes).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry, deploy_security
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    BusinessDayConvention,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    InstrumentTerms,
    SettlementAssetType,
    approve_issuers,
    deploy_bond_share_token,
    deploy_income_share_token,
    deploy_lifecycle,
    list_settlement_assets,
    set_token_issuer,
    utc_midnight,
    wire_rate_index,
)
from keepers.risk import deploy_feeds, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

GAS_FILE = Path("benchmarks") / "gas.json"
UNIT = 10**18
US, ACCREDITED, FAR_FUTURE = 840, 2, 2**40 - 1
INTERVAL = 12 * 3_600  # IncomeShareToken.MIN_DECLARATION_INTERVAL
# The issue's figure: a declaration with 10,000 holders (the declaration reads and writes no
# per-holder state). Their set-up takes about a minute on a plain anvil — `make bench` runs this
# script through scripts/on_plain_anvil.py; under ape's own anvil (steps tracing) it stalled on a
# loaded 2-core machine (a batch not mined within ape's receipt wait): pass `--holders 2000` there.
HOLDERS = 10_000
USD, DAY = 10**6, 86_400
ZERO, ALL = "0x" + "00" * 20, 2**256 - 1
BATCH = 100  # IdentityRegistry.MAX_BATCH, SecurityToken.MAX_BATCH
JURISDICTION = (True, 1, 20_000, 0, 0)  # allowed, retail and up, 20,000 holders


class IncomeBench:
    def __init__(self):
        test = accounts.test_accounts
        self.deployer, governor, self.operator, self.agent = (test[i] for i in (0, 2, 3, 4))
        self.seed, self.alice, self.bob = (test[i] for i in (5, 6, 7))
        d = Deployment.in_memory(self.deployer)
        self.issuer = test[8]
        reporter = self.reporter = test[9]
        deploy_access(
            d, {"GOVERNOR": governor, "OPERATOR": self.operator, "PRICE_REPORTER": reporter}
        )
        self.registry = deploy_registry(d)
        self.token = deploy_income_share_token(
            d,
            "Bench Money Market Fund (income)",
            "BMMFI",
            agent=self.agent.address,
            declarer=self.agent.address,
            jurisdictions=[(US, JURISDICTION)],
        )
        self.plain = deploy_security(
            d,
            ".BPLAIN",
            "Bench plain share",
            "BPLAIN",
            agent=self.agent.address,
            jurisdictions=[(US, JURISDICTION)],
        )
        self.deploy_bond(d)
        renounce_temporary_roles(d)
        limits = (10**9 * UNIT, 0, 0, 0, 0, 0, 0, 0, 0)  # maxBalance 1e9 shares
        for symbol, token in (("BMMFI", self.token), ("BPLAIN", self.plain)):
            d.at("ComplianceEngine", f"ComplianceEngine.{symbol}").setLimits(
                limits, sender=governor
            )
            token.unpause(sender=self.agent)
        for i, wallet in enumerate((self.seed, self.alice, self.bob)):
            self.registry.registerInvestor(
                wallet, f"0x{0xA0 + i:040x}", US, ACCREDITED, FAR_FUTURE, sender=self.operator
            )

    def deploy_bond(self, d: Deployment) -> None:
        """The instrument registry, a listed stablecoin, an approved issuer and the note's share
        token with its servicer (registered and activated later, in `measure_bond`)."""
        self.usd = deploy_stablecoin(d, "USDB", "Bond Dollar (local)")
        feeds = deploy_feeds(d, {"USDB": 10**FEED_DECIMALS})
        self.instruments = deploy_lifecycle(d)
        set_feeds(
            d,
            d.at("OracleRouter"),
            {"USDB": (self.usd.address, feed_config(feeds["USDB"].address))},
        )
        list_settlement_assets(
            d,
            d.at("SettlementAssets"),
            {"USDB": (self.usd.address, (SettlementAssetType.RESERVE_BACKED, 10_000, 1, 100))},
        )
        approve_issuers(d, self.instruments, {"the issuer": self.issuer.address})
        self.rate_feed = wire_rate_index(d, "SOFR", first_rate_bps=530)
        (self.bond, self.servicer), (self.frn, self.frn_servicer) = (
            (
                deploy_bond_share_token(
                    d,
                    name,
                    symbol,
                    agent=self.agent.address,
                    instruments=self.instruments,
                    payment_asset=self.usd,
                    jurisdictions=[(US, JURISDICTION)],
                ),
                d.at("BondServicer", f"BondServicer.{symbol}"),
            )
            for name, symbol in (("Bench Note", "BNOTE"), ("Bench Floating-Rate Note", "BFRN"))
        )
        set_token_issuer(d, [self.bond, self.frn], self.issuer.address)  # SEC-130

    def declare(self, bps: int = 2):
        """The next declaration, `bps` of the supply, at the interval."""
        _, count, last = self.token.incomeIndex()
        if count:
            chain.pending_timestamp = max(chain.pending_timestamp, last + INTERVAL)
        shares = self.token.totalSupply() * bps // 10_000
        return self.token.declareIncome(count + 1, shares, sender=self.agent)

    def add_holders(self, count: int) -> None:
        """`count` more verified holders of 1 share each (new identities, batches of 100)."""
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            wallets = [f"0x{0xB0B00000 + start + i:040x}" for i in range(size)]
            self.registry.batchRegisterIdentity(
                wallets,
                [f"0x{0xD0D00000 + start + i:040x}" for i in range(size)],
                [US] * size,
                sender=self.operator,
            )
            self.token.batchMint(wallets, [UNIT] * size, sender=self.agent)


def measure(b: IncomeBench, holders: int) -> dict[str, int]:
    token, seed, alice, bob = b.token, b.seed, b.alice, b.bob
    gas: dict[str, int] = {}
    token.mint(seed, 10_000_000 * UNIT, sender=b.agent)
    gas["income.declare_1_holder"] = b.declare().gas_used
    # alice and bob become holders (seed's income settled on the way)
    for wallet in (alice, bob):
        token.transfer(wallet, 1_000_000 * UNIT, sender=seed)
    # without accrued income: both settled at the current index
    gas["income.transfer_without_accrued_income"] = token.transfer(
        bob, 10 * UNIT, sender=alice
    ).gas_used
    b.declare()
    gas["income.claim"] = token.settleIncome(seed, ZERO, ALL, sender=seed).gas_used
    gas["income.transfer_with_accrued_income"] = token.transfer(
        bob, 10 * UNIT, sender=alice
    ).gas_used
    # the sender spends past its paid balance: its income is paid first (through the engine)
    b.declare()
    gas["income.transfer_paying_accrued_income"] = token.transfer(
        bob, token.balanceOf(alice), sender=alice
    ).gas_used
    # the base token, same engine rules, same holders
    plain = b.plain
    plain.mint(alice, 1_000_000 * UNIT, sender=b.agent)
    plain.mint(bob, 1_000_000 * UNIT, sender=b.agent)
    gas["income.floor_plain_security_token_transfer"] = plain.transfer(
        bob, 10 * UNIT, sender=alice
    ).gas_used
    started = time.monotonic()
    b.add_holders(holders - 3)
    click.echo(f"{holders - 3:,} holders added in {time.monotonic() - started:.0f} s")
    gas[f"income.declare_{holders}_holders"] = b.declare().gas_used
    return gas


def measure_bond(b: IncomeBench) -> dict[str, int]:
    bond, servicer, usd, issuer = b.bond, b.servicer, b.usd, b.issuer
    gas: dict[str, int] = {}
    now = chain.pending_timestamp
    issue = utc_midnight(now) - 30 * DAY
    terms = InstrumentTerms(
        kind=InstrumentKind.FIXED_COUPON_NOTE,
        isin="US912810TM09",
        share_token=bond.address,
        settlement_assets=[usd.address],
        face_value=100 * UNIT,
        coupon=CouponTerms(
            fixed_rate_bps=425,
            frequency=2,
            day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
            roll=BusinessDayConvention.MODIFIED_FOLLOWING,
            record_date_offset_days=1,
        ),
        issue_date=issue,
        maturity_date=issue + 2 * 365 * DAY,
    )
    floating = replace(
        terms,
        kind=InstrumentKind.FLOATING_RATE_NOTE,
        isin="US0378331005",
        share_token=b.frn.address,
        coupon=replace(terms.coupon, fixed_rate_bps=0, floating_index=1, spread_bps=15),
    )
    usd.mint(issuer, 10**9 * USD, sender=b.operator)
    ids = []
    for token, servicer_, instrument_terms in (
        (bond, servicer, terms),
        (b.frn, b.frn_servicer, floating),
    ):
        ids.append(b.instruments.register(instrument_terms.as_tuple(), sender=issuer).return_value)
        b.instruments.activate(ids[-1], sender=issuer)
        token.unpause(sender=b.agent)
        for wallet in (b.seed, b.alice, b.bob):
            token.mint(wallet, 1_000 * UNIT, sender=b.agent)
        usd.approve(servicer_, 2**256 - 1, sender=issuer)
        servicer_.startServicing(sender=issuer)
        servicer_.fundCoupons(100_000 * USD, sender=issuer)
    gas["bond.transfer_before_any_coupon"] = bond.transfer(b.bob, UNIT, sender=b.alice).gas_used
    # The two notes share a schedule: at each record date the index is published (the round in
    # force at that date), then both coupons are recorded; the floating one names its round.
    for number, index_bps in ((1, 530), (2, 525)):
        chain.pending_timestamp = max(chain.pending_timestamp, servicer.servicing()[2])
        b.rate_feed.report(index_bps * 10 ** (FEED_DECIMALS - 4), sender=b.reporter)
        fixing = b.rate_feed.latestRound()
        tx = servicer.recordCoupon(number, sender=issuer)
        floating_tx = b.frn_servicer.recordFloatingCoupon(number, fixing, sender=issuer)
    gas["bond.record_coupon"] = tx.gas_used
    gas["bond.record_floating_coupon"] = floating_tx.gas_used
    gas["bond.transfer_with_unclaimed_coupons"] = bond.transfer(
        b.bob, UNIT, sender=b.alice
    ).gas_used
    gas["bond.transfer_coupons_settled"] = bond.transfer(b.bob, UNIT, sender=b.alice).gas_used
    gas["bond.claim_coupons"] = servicer.claimCoupons(b.seed, sender=b.seed).gas_used
    for number in (3, 4):
        chain.pending_timestamp = max(chain.pending_timestamp, servicer.servicing()[2])
        servicer.recordCoupon(number, sender=issuer)
    chain.pending_timestamp = max(chain.pending_timestamp, terms.maturity_date)
    b.instruments.mature(ids[0], sender=issuer)
    servicer.fundRedemption(300_000 * USD, sender=issuer)
    servicer.startRedemption(0, sender=issuer)
    gas["bond.redeem"] = servicer.redeem(b.alice, sender=b.alice).gas_used
    return gas


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option("--holders", default=HOLDERS, show_default=True, help="holders for the 2nd figure")
@click.option("--bond-only", is_flag=True, help="only the bond.* figures (no holders to set up)")
def cli(ecosystem, network, provider, holders, bond_only):
    """Measure the IncomeShareToken's declaration, claim and transfer gas into gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    bench = IncomeBench()
    gas = measure_bond(bench)
    if not bond_only:
        gas.update(measure(bench, holders))
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:50} {value:>10,}")
    if bond_only:
        return
    one, many = gas["income.declare_1_holder"], gas[f"income.declare_{holders}_holders"]
    click.echo(f"declaration 1 vs {holders:,} holders: {abs(many - one) / one:.2%} apart")
    delta = (
        gas["income.transfer_with_accrued_income"] - gas["income.transfer_without_accrued_income"]
    )
    click.echo(f"transfer with accrued income: +{delta:,} gas")
    click.echo(f"written to {GAS_FILE}")
