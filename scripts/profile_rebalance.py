"""`ape run profile_rebalance`: where a benchmark rebalance's gas goes (benchmarks/README.md).

Replays `bench_rebalance`'s steady-state rebalance and its floor (or, with `--scenario nav`,
`bench_nav_rebalance`'s NAV-desk rebalances and their floor) on a fresh anvil and prints, from
`debug_traceTransaction`: the call frames (call tracer, gas before refunds, each with its own part)
`--depth` levels deep, the storage / log opcodes of the top frame, calldata and intrinsic gas, and
the refund; with `--source CONTRACT`, a source-level profile of that contract's own execution
(tools/gas/source_profile.py; run `ape compile --force` first).
"""

from __future__ import annotations

import collections
import importlib.util
from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, network_option


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_rebalance = _load("bench_rebalance")
_tool = importlib.util.spec_from_file_location(
    "source_profile", Path(__file__).parents[1] / "tools" / "gas" / "source_profile.py"
)
source_profile = importlib.util.module_from_spec(_tool)
_tool.loader.exec_module(source_profile)

STORAGE_AND_LOGS = {"SLOAD", "SSTORE", "LOG1", "LOG2", "LOG3", "LOG4", "EXTCODESIZE"}


def _frames(
    frame: dict, names: dict[str, str], depth: int, max_depth: int, refund: int = 0
) -> None:
    """One line per call frame: gas used with its callees, and its own part (`own`: the frame's
    execution and the cost of its calls' cold accesses; for the transaction's frame, intrinsic gas
    and calldata included and the refund added back, so every line is before refunds)."""
    to = frame.get("to", "").lower()
    used = int(frame["gasUsed"], 16) + refund
    own = used - sum(int(child["gasUsed"], 16) for child in frame.get("calls", []))
    click.echo(
        f"{'  ' * depth}{frame['type']:12} {names.get(to, to):44} {frame.get('input', '')[:10]:10} "
        f"{used:>9,} (own {own:,})"
    )
    if depth < max_depth:
        for child in frame.get("calls", []):
            _frames(child, names, depth + 1, max_depth)


SOURCES = {
    "AutoRebalancer": "contracts/rebalancing/AutoRebalancer.sol",
    "PortfolioVault": "contracts/vault/PortfolioVault.sol",
    "LiquidityAggregator": "contracts/liquidity/LiquidityAggregator.sol",
    "NavVenue": "contracts/liquidity/venues/NavVenue.sol",
    "PortfolioBasket": "contracts/vault/PortfolioBasket.sol",
}


def _profile(
    receipt, names: dict[str, str], depth: int, title: str, sources: dict[str, str] | None = None
) -> None:
    click.echo(f"== {title}")
    trace = chain.provider.make_request(
        "debug_traceTransaction", [receipt.txn_hash, {"tracer": "callTracer"}]
    )
    logs = chain.provider.make_request(
        "debug_traceTransaction",
        [receipt.txn_hash, {"disableStorage": True, "disableMemory": True, "disableStack": True}],
    )["structLogs"]
    data = bytes(receipt.transaction.data)
    executed = (
        21_000
        + sum(16 if b else 4 for b in data)
        + logs[0]["gas"]
        - logs[-1]["gas"]
        + logs[-1]["gasCost"]
    )
    _frames(trace, names, 0, depth, executed - receipt.gas_used)
    own, own_gas = collections.Counter(), collections.Counter()
    for log in logs:
        if log["depth"] == 1 and log["op"] in STORAGE_AND_LOGS:
            own[log["op"]] += 1
            own_gas[log["op"]] += log["gasCost"]
    data = bytes(receipt.transaction.data)
    calldata = sum(16 if b else 4 for b in data)
    executed = 21_000 + calldata + logs[0]["gas"] - logs[-1]["gas"] + logs[-1]["gasCost"]
    click.echo(
        "top frame: " + ", ".join(f"{op} x{own[op]} = {own_gas[op]:,}" for op in sorted(own))
    )
    # Every frame's own opcodes by depth (a CALL's cost is the caller's, less what its callee used).
    by_depth: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for log in logs:
        if log["op"] not in ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE", "CREATE", "CREATE2"):
            by_depth[log["depth"]][log["op"]] += log["gasCost"]
    for level in sorted(by_depth)[:3]:
        top = by_depth[level].most_common(12)
        total = sum(by_depth[level].values())
        click.echo(
            f"depth {level} own opcodes ({total:,} without calls): "
            + ", ".join(f"{op} {g:,}" for op, g in top)
        )
    click.echo(
        f"intrinsic 21,000 + calldata {calldata:,} ({len(data):,} bytes); executed {executed:,}; "
        f"refunded {executed - receipt.gas_used:,}; receipt {receipt.gas_used:,}"
    )
    for contract, address in (sources or {}).items():
        source_profile.profile(chain, receipt.txn_hash, address, contract)


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option(
    "--depth", default=2, show_default=True, help="Call frames shown below the rebalance."
)
@click.option(
    "--scenario",
    type=click.Choice(["v2", "nav"]),
    default="v2",
    show_default=True,
    help="v2: bench_rebalance's steady state and its floor; nav: bench_nav_rebalance's two "
    "NAV-desk rebalances (the demo's path).",
)
@click.option(
    "--source",
    "source_of",
    multiple=True,
    type=click.Choice(sorted(SOURCES)),
    help="Also a source-level profile of this contract's own execution (repeatable; compiles its "
    "source map).",
)
def cli(ecosystem, network, provider, depth, scenario, source_of):
    """Profile the benchmark's steady-state rebalance and its floor (BareRebalance), or the NAV-desk
    ones."""
    if not network.is_local:
        raise click.UsageError("profiles run on a local network only")
    for contract in source_of:
        source_profile.compile_source_map(contract, SOURCES[contract])
    if scenario == "nav":
        import tempfile

        nav = _load("bench_nav_rebalance")
        with tempfile.TemporaryDirectory() as record_dir:
            bench = nav.NavDeskBench(Path(record_dir))
            names = dict(bench.names)
            names["0x0000000000000000000000000000000000000001"] = "ecrecover"
            addresses = {
                "AutoRebalancer": bench.rebalancer.address,
                "PortfolioVault": bench.vault.address,
                "LiquidityAggregator": bench.aggregator.address,
                "NavVenue": bench.nav.address,
                # The vault's basket module: its code runs in the vault's frame (DELEGATECALL).
                "PortfolioBasket": str(bench.vault.basketModule()),
            }
            sources = {c: addresses[c] for c in source_of}
            gas = nav.measure_gas(
                bench,
                keep_receipts=True,
                inspect_floor=lambda receipt: _profile(
                    receipt,
                    names,
                    depth,
                    "NAV desk floor (BareRebalance), the steady state's trades",
                ),
            )
            _profile(
                gas["first_receipt"],
                names,
                depth,
                "NAV desk: first allocation (four subscriptions)",
            )
            _profile(
                gas["steady_receipt"],
                names,
                depth,
                "NAV desk: steady state (two redemptions, two subscriptions)",
                sources,
            )
            _profile(gas["derisk_receipt"], names, depth, "NAV desk: de-risking (four redemptions)")
        return
    bench = bench_rebalance.RebalanceBench()
    names = {
        getattr(bench, a).address.lower(): a
        for a in ("rebalancer", "vault", "aggregator", "risk", "oracle", "manager", "floor")
    }
    names["0x0000000000000000000000000000000000000001"] = "ecrecover"
    names.update({str(f.address).lower(): f"feed {i}" for i, f in enumerate(bench.feeds)})
    names.update({t.address.lower(): f"token {i}" for i, t in enumerate(bench.tokens)})
    names.update({str(p).lower(): f"V2 pair {i + 1}" for i, p in enumerate(bench.pairs)})
    # The floor's receipt is traced inside its snapshot, before the benchmark restores it.
    gas = bench_rebalance.measure_gas(
        bench,
        keep_receipts=True,
        inspect_floor=lambda receipt: _profile(
            receipt, names, depth, "floor (BareRebalance), same trades"
        ),
    )
    addresses = {
        "AutoRebalancer": bench.rebalancer.address,
        "PortfolioVault": bench.vault.address,
        "LiquidityAggregator": bench.aggregator.address,
    }
    _profile(
        gas["steady_receipt"],
        names,
        depth,
        "AutoRebalancer, steady state",
        {c: addresses[c] for c in source_of if c in addresses},
    )
