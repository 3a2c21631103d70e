"""`ape run bench_day_count` (run by `make bench`): gas of the lifecycle domain's `DayCount`
library — `yearFraction` and `accrued` under each day count convention, and `couponPeriod` (a
coupon's accrual dates from the schedule terms) — through the test harness `DayCountHarness`.

Two figures per scenario, written to benchmarks/gas.json: `..._in_call`, the gas the library code
uses inside a call (`gasleft()` before and after it in the harness: what a fund pays when it calls
the library inline; the largest over the sample periods), and `..._tx`, the whole transaction a
call to the harness view would be (`eth_estimateGas`: 21,000 base, calldata and dispatch included,
on the first period). The library has no loop: its gas moves by a few branches with the dates,
never with their distance (checked below: within MAX_SPREAD over periods decades apart).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.core.benchmarking import merge_json
from keepers.lifecycle import BusinessDayConvention, DayCountConvention, to_timestamp

GAS_FILE = Path("benchmarks") / "gas.json"
FACE_UNITS = 1_000_000 * 10**6  # one million of a 6-decimal settlement asset
RATE_WAD = 4_25 * 10**14  # 4.25 %
NAMES = {
    DayCountConvention.ACTUAL_360: "act360",
    DayCountConvention.ACTUAL_365_FIXED: "act365f",
    DayCountConvention.THIRTY_360_BOND_BASIS: "thirty360_bond_basis",
}
# A semi-annual period with a settlement inside it; month ends (30/360's day-31 rules); a period
# in 2149; one 120 years long.
PERIODS = [
    (dt.date(2025, 1, 15), dt.date(2025, 7, 15), dt.date(2025, 4, 1)),
    (dt.date(2025, 3, 31), dt.date(2025, 8, 31), dt.date(2025, 5, 31)),
    (dt.date(2149, 8, 31), dt.date(2150, 2, 28), dt.date(2149, 12, 31)),
    (dt.date(1980, 1, 1), dt.date(2100, 1, 1), dt.date(2040, 6, 30)),
]
MAX_SPREAD = 100  # gas between the cheapest and dearest period of one scenario
# A ten-year semi-annual note at month end, ModifiedFollowing with the end-of-month rule:
# coupon 7's accrual dates.
MODIFIED_FOLLOWING = BusinessDayConvention.MODIFIED_FOLLOWING
NOTE = (dt.date(2025, 2, 28), dt.date(2035, 2, 28), 2, True, MODIFIED_FOLLOWING)


def measure(harness, sender) -> dict[str, int]:
    gas: dict[str, int] = {}
    for convention, name in NAMES.items():
        in_call: dict[str, set[int]] = {"year_fraction": set(), "accrued": set()}
        for start, end, settlement in PERIODS:
            s, e, t = to_timestamp(start), to_timestamp(end), to_timestamp(settlement)
            in_call["year_fraction"].add(harness.gasOfYearFraction(convention, s, e).gasUsed)
            args = (FACE_UNITS, RATE_WAD, convention, s, e, t)
            in_call["accrued"].add(harness.gasOfAccrued(*args).gasUsed)
        for what, used in in_call.items():
            if max(used) - min(used) > MAX_SPREAD:
                raise click.ClickException(f"{what} {name}: gas moves with the dates: {used}")
            gas[f"lifecycle.{what}_{name}_in_call"] = max(used)
        start, end, settlement = (to_timestamp(d) for d in PERIODS[0])
        gas[f"lifecycle.year_fraction_{name}_tx"] = harness.yearFraction.estimate_gas_cost(
            convention, start, end, sender=sender
        )
        gas[f"lifecycle.accrued_{name}_tx"] = harness.accrued.estimate_gas_cost(
            FACE_UNITS, RATE_WAD, convention, start, end, settlement, sender=sender
        )
    issue, maturity, frequency, end_of_month, roll = NOTE
    note = (to_timestamp(issue), to_timestamp(maturity), frequency, end_of_month, roll)
    gas["lifecycle.coupon_period_in_call"] = harness.gasOfCouponPeriod(*note, 7).gasUsed
    gas["lifecycle.coupon_period_tx"] = harness.couponPeriod.estimate_gas_cost(
        *note, 7, sender=sender
    )
    return gas


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure DayCount's gas (year fractions, accrued interest, coupon periods) into gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    deployer = accounts.test_accounts[0]
    harness = deployer.deploy(project.DayCountHarness)
    gas = measure(harness, deployer)
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:50} {value:>10,}")
    click.echo(f"written to {GAS_FILE}")
