"""`make audit`: Slither over the protocol's contracts, compiled as ape compiles them.

The contracts under contracts/ (test harnesses excepted) go to solc 0.8.28 through the project's
solc-js front, in one standard-JSON compilation with ape-config.yaml's settings (via-IR, optimizer,
Cancun, the OpenZeppelin and Chainlink remappings onto node_modules). Every finding of medium or
high impact must be reviewed in tools/audit/triage.json (why it is not a defect, per finding, or
per detector for detectors whose every hit is of one kind); anything new fails the run. A reviewed
entry that matches no finding is listed for cleaning up but does not fail the run: slither 0.10.4
reports some findings (PortfolioVault.totalAssets) in some runs only. Low and informational
findings are counted.

A run costs under 2 minutes of CPU (solc generates no code for it); the triage is checked in
milliseconds. So:
  --save FILE     also write slither's raw results (and the tree they cover) to FILE;
  --results FILE  check tools/audit/triage.json against results saved by --save (or slither's own
                  `--json` output) without running slither: no compiler, no slither import, any
                  Python 3.11 will do.
`make audit` saves to reports/audit/slither.json; `make audit-check` re-checks that file.

Not covered: slither 0.10.4 cannot lift OpenZeppelin's `ReentrancyGuardTransient` (TSTORE/TLOAD
through `TransientSlot`) to its IR, so those three guard functions of each contract that uses them
(AutoRebalancer, RfqVenue) are left out of the analysis; the run says how many were.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = Path(__file__).with_name("triage.json")
REVIEWED_IMPACTS = {"High", "Medium"}
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
REMAPPINGS = [
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@chainlink/contracts/=node_modules/@chainlink/contracts/",
]
SAVED_FORMAT = 1


def _skipped(parts: tuple[str, ...]) -> bool:
    return parts[0] == "test" or any(part.startswith(".") for part in parts)


def _input() -> dict:
    # Not the test harnesses, nor ape's dependency cache (contracts/.cache/ on a fresh machine).
    sources = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "contracts").rglob("*.sol")
        if not _skipped(p.relative_to(ROOT / "contracts").parts)
    )
    return {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sources},
        "settings": {
            "viaIR": True,
            "optimizer": {"enabled": True, "runs": 1_000_000},
            "evmVersion": "cancun",
            "remappings": REMAPPINGS,
            # Slither reads the ASTs (and the ABIs): no bytecode is asked for, so solc stops after
            # the analysis and generates no code (the via-IR code generation at 1,000,000 runs
            # was most of a run's CPU, and ape's compile already does it).
            "outputSelection": {"*": {"*": ["abi", "metadata", "devdoc", "userdoc"], "": ["ast"]}},
        },
    }


class _CountingHandler(logging.Handler):
    """Counts the functions slither could not lift to its IR instead of printing a traceback
    each."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count, self.names = 0, set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Impossible to generate IR for " in message:
            self.count += 1
            self.names.add(message.split("IR for ", 1)[1].split(" ", 1)[0].split(".")[-1])


def _tree() -> str:
    """The commit the analysed tree is at, `+dirty` when contracts/ differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--", "contracts") else "")


def _without_code(run):
    """solc's output with an empty code object and source map for each contract: crytic-compile
    reads them, and none is generated (`_input` asks for none). Slither's detectors read the ASTs;
    its one use of code, folding `type(C).creationCode` into a constant, reads an empty string
    (no contract here uses it)."""

    def compiled(*args, **kwargs) -> dict:
        out = run(*args, **kwargs)
        for contracts in out.get("contracts", {}).values():
            for info in contracts.values():
                info.setdefault(
                    "evm",
                    {
                        "bytecode": {"object": "", "sourceMap": ""},
                        "deployedBytecode": {"object": "", "sourceMap": ""},
                    },
                )
        return out

    return compiled


def _run_slither() -> dict:
    """Slither's results over contracts/, with what it could not analyse and the tree it read."""
    from crytic_compile import CryticCompile
    from crytic_compile.platform import solc_standard_json
    from crytic_compile.platform.solc_standard_json import SolcStandardJson
    from slither import Slither
    from slither.__main__ import get_detectors_and_printers

    os.chdir(ROOT)
    skipped = _CountingHandler()
    logging.getLogger("ContractSolcParsing").addHandler(skipped)
    logging.getLogger("ContractSolcParsing").propagate = False
    # crytic-compile runs the compiler named `solc` from PATH: the venv's bin holds a link to the
    # front.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    tree = _tree()
    solc_standard_json.run_solc_standard_json = _without_code(
        solc_standard_json.run_solc_standard_json
    )
    compilation = CryticCompile(SolcStandardJson(_input()), solc_working_dir=str(ROOT))
    slither = Slither(compilation, filter_paths=["node_modules"])
    detectors, _ = get_detectors_and_printers()
    for detector in detectors:
        slither.register_detector(detector)
    return {
        "format": SAVED_FORMAT,
        "tree": tree,
        "saved_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_analysed": {"count": skipped.count, "names": sorted(skipped.names)},
        "results": [r for batch in slither.run_detectors() for r in batch],
    }


def _load(path: Path) -> dict:
    """Results saved by --save, or slither's own `--json` output."""
    saved = json.loads(path.read_text())
    if saved.get("format") == SAVED_FORMAT:
        return saved
    if isinstance(saved.get("results"), dict) and "detectors" in saved["results"]:
        return {
            "tree": "unknown (slither --json)",
            "saved_at": "unknown",
            "not_analysed": {"count": 0, "names": []},
            "results": saved["results"]["detectors"],
        }
    raise SystemExit(f"{path}: neither results saved by --save nor slither's --json output")


def _key(result: dict) -> tuple[str, str]:
    """(detector, 'Contract.function' or 'Contract.variable') of a finding's first element."""
    element = result["elements"][0]
    parent = element.get("type_specific_fields", {}).get("parent", {})
    if parent.get("type") == "function":  # a local variable or a node: name it by its function
        contract = parent.get("type_specific_fields", {}).get("parent", {}).get("name", "")
        name = f"{contract}.{parent['name']}"
    else:
        name = f"{parent.get('name', '')}.{element['name']}" if parent else element["name"]
    return result["check"], name


def check(run: dict, triage: dict) -> tuple[list[str], int]:
    """The report's lines and the exit status: 1 when a medium or high finding is unreviewed."""
    whole_detectors = triage["detectors"]
    findings = {(entry["check"], entry["where"]): entry for entry in triage["findings"]}
    unreviewed, matched, counts = [], set(), Counter()
    for result in run["results"]:
        counts[result["impact"]] += 1
        if result["impact"] not in REVIEWED_IMPACTS or result["check"] in whole_detectors:
            continue
        key = _key(result)
        if key in findings:
            matched.add(key)
        else:
            unreviewed.append(
                f"{result['impact']} {key[0]} {key[1]}: "
                f"{result['description'].strip().splitlines()[0]}"
            )
    lines = [
        f"slither 0.10.4 on contracts/ at {run['tree']}: "
        + ", ".join(f"{counts[i]} {i.lower()}" for i in IMPACTS),
        f"reviewed: {len(matched)} findings in tools/audit/triage.json, "
        f"{len(whole_detectors)} detectors reviewed whole ({', '.join(sorted(whole_detectors))})",
    ]
    skipped = run["not_analysed"]
    if skipped["count"]:
        lines.append(
            f"not analysed: {skipped['count']} functions slither could not lift to its IR "
            f"({', '.join(skipped['names'])})"
        )
    lines += [f"UNREVIEWED {line}" for line in unreviewed]
    lines += [
        f"not found this run (remove the entry if it never comes back): {c} {w}"
        for c, w in sorted(set(findings) - matched)
    ]
    if unreviewed:
        lines.append(f"FAILED: {len(unreviewed)} medium/high findings not reviewed")
    return lines, 1 if unreviewed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--save", type=Path, metavar="FILE", help="also save the raw results")
    source.add_argument(
        "--results", type=Path, metavar="FILE", help="check saved results; do not run slither"
    )
    parser.add_argument("--triage", type=Path, default=TRIAGE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Resolved here: the run changes into the repository's root.
    args.save, args.results = (p.resolve() if p else None for p in (args.save, args.results))

    if args.results:
        run = _load(args.results)
        print(f"results from {args.results} (saved {run['saved_at']}); slither not run")
    else:
        run = _run_slither()
        if args.save:
            args.save.parent.mkdir(parents=True, exist_ok=True)
            args.save.write_text(json.dumps(run))
            print(f"raw results saved to {args.save}")
    lines, status = check(run, json.loads(args.triage.read_text()))
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
