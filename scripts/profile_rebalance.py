"""`ape run profile_rebalance`: where the benchmark rebalance's gas goes (benchmarks/README.md).

Replays `bench_rebalance`'s steady-state rebalance on a fresh anvil and prints, from
`debug_traceTransaction`: the call frames (call tracer, gas before refunds) two levels deep, the
storage / log opcodes of the rebalancer's own frame, calldata and intrinsic gas, and the refund.
"""

from __future__ import annotations

import collections
import importlib.util
from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, network_option

_spec = importlib.util.spec_from_file_location("bench_rebalance", Path(__file__).with_name("bench_rebalance.py"))
bench_rebalance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_rebalance)

STORAGE_AND_LOGS = {"SLOAD", "SSTORE", "LOG1", "LOG2", "LOG3", "LOG4", "EXTCODESIZE"}


def _frames(frame: dict, names: dict[str, str], depth: int, max_depth: int) -> None:
    to = frame.get("to", "").lower()
    click.echo(f"{'  ' * depth}{frame['type']:12} {names.get(to, to):44} {frame.get('input', '')[:10]:10} "
               f"{int(frame['gasUsed'], 16):>9,}")
    if depth < max_depth:
        for child in frame.get("calls", []):
            _frames(child, names, depth + 1, max_depth)


def _profile(receipt, names: dict[str, str], depth: int, title: str) -> None:
    click.echo(f"== {title}")
    trace = chain.provider.make_request("debug_traceTransaction", [receipt.txn_hash, {"tracer": "callTracer"}])
    _frames(trace, names, 0, depth)
    logs = chain.provider.make_request("debug_traceTransaction", [receipt.txn_hash, {
        "disableStorage": True, "disableMemory": True, "disableStack": True}])["structLogs"]
    own, own_gas = collections.Counter(), collections.Counter()
    for log in logs:
        if log["depth"] == 1 and log["op"] in STORAGE_AND_LOGS:
            own[log["op"]] += 1
            own_gas[log["op"]] += log["gasCost"]
    data = bytes(receipt.transaction.data)
    calldata = sum(16 if b else 4 for b in data)
    executed = 21_000 + calldata + logs[0]["gas"] - logs[-1]["gas"] + logs[-1]["gasCost"]
    click.echo("top frame: " + ", ".join(f"{op} x{own[op]} = {own_gas[op]:,}" for op in sorted(own)))
    click.echo(f"intrinsic 21,000 + calldata {calldata:,} ({len(data):,} bytes); executed {executed:,}; "
               f"refunded {executed - receipt.gas_used:,}; receipt {receipt.gas_used:,}")


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option("--depth", default=2, show_default=True, help="Call frames shown below the rebalance.")
def cli(ecosystem, network, provider, depth):
    """Profile the benchmark's steady-state rebalance and its floor (BareRebalance)."""
    if not network.is_local:
        raise click.UsageError("profiles run on a local network only")
    bench = bench_rebalance.RebalanceBench()
    names = {getattr(bench, a).address.lower(): a
             for a in ("rebalancer", "vault", "aggregator", "risk", "oracle", "manager", "floor")}
    names["0x0000000000000000000000000000000000000001"] = "ecrecover"
    names.update({str(f.address).lower(): f"feed {i}" for i, f in enumerate(bench.feeds)})
    names.update({t.address.lower(): f"token {i}" for i, t in enumerate(bench.tokens)})
    names.update({str(p).lower(): f"V2 pair {i + 1}" for i, p in enumerate(bench.pairs)})
    # The floor's receipt is traced inside its snapshot, before the benchmark restores it.
    gas = bench_rebalance.measure_gas(bench, keep_receipts=True, inspect_floor=lambda receipt: _profile(
        receipt, names, depth, "floor (BareRebalance), same trades"))
    _profile(gas["steady_receipt"], names, depth, "AutoRebalancer, steady state")
