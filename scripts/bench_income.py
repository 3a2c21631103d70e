"""`ape run bench_income` (run by `make bench`): gas of the IncomeShareToken's daily dividend
(issue 17 item 5) from real receipts on a fresh anvil — full transaction gas, 21,000 base
included — merged into benchmarks/gas.json under `income.*`.

Everything is the deployed system, built by the deploy steps: the share class is an
IncomeShareToken (keepers/lifecycle/deploy.py) whose ComplianceEngine has jurisdiction rules with
holder caps (US: 20,000 holders) and a maximum balance. Scenarios:
- a declaration with 1 holder and with HOLDERS holders (registered 100 a transaction, minted 100
  a transaction): the declaration reads and writes no per-holder state, so the two are equal;
- a claim of accrued income (`settleIncome(holder, 0, max)`: the holder's balance and the
  engine's ledger grow through the engine's `created`);
- a compliant transfer between two existing holders without accrued income, the same transfer
  when both have income accrued (both settled: their pending income words written), and a
  transfer of a whole balance with income (the sender's income paid first, through the engine);
- the same transfer on a plain SecurityToken of the same stack (the base the hook must not tax).
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry, deploy_security
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.lifecycle import deploy_income_share_token

GAS_FILE = Path("benchmarks") / "gas.json"
UNIT = 10**18
US, ACCREDITED, FAR_FUTURE = 840, 2, 2**40 - 1
INTERVAL = 12 * 3_600  # IncomeShareToken.MIN_DECLARATION_INTERVAL
HOLDERS = 10_000
ZERO, ALL = "0x" + "00" * 20, 2**256 - 1
BATCH = 100  # IdentityRegistry.MAX_BATCH, SecurityToken.MAX_BATCH
JURISDICTION = (True, 1, 20_000, 0, 0)  # allowed, retail and up, 20,000 holders


class IncomeBench:
    def __init__(self):
        test = accounts.test_accounts
        self.deployer, governor, self.operator, self.agent = (test[i] for i in (0, 2, 3, 4))
        self.seed, self.alice, self.bob = (test[i] for i in (5, 6, 7))
        d = Deployment.in_memory(self.deployer)
        deploy_access(d, {"GOVERNOR": governor, "OPERATOR": self.operator})
        self.registry = deploy_registry(d)
        self.token = deploy_income_share_token(
            d,
            "Bench Money Market Fund (income)",
            "BMMFI",
            agent=self.agent.address,
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


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option("--holders", default=HOLDERS, show_default=True, help="holders for the 2nd figure")
def cli(ecosystem, network, provider, holders):
    """Measure the IncomeShareToken's declaration, claim and transfer gas into gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    gas = measure(IncomeBench(), holders)
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:50} {value:>10,}")
    one, many = gas["income.declare_1_holder"], gas[f"income.declare_{holders}_holders"]
    click.echo(f"declaration 1 vs {holders:,} holders: {abs(many - one) / one:.2%} apart")
    delta = gas["income.transfer_with_accrued_income"] - gas["income.transfer_without_accrued_income"]
    click.echo(f"transfer with accrued income: +{delta:,} gas")
    click.echo(f"written to {GAS_FILE}")
