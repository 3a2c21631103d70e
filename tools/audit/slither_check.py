"""`make audit`: Slither over the protocol's contracts, compiled as ape compiles them.

The contracts under contracts/ (test harnesses excepted) go to solc 0.8.28 through the project's
solc-js front, in one standard-JSON compilation with ape-config.yaml's settings (via-IR, optimizer,
Cancun, the OpenZeppelin and Chainlink remappings onto node_modules). Every finding of medium or
high impact must be reviewed in tools/audit/triage.json (why it is not a defect, per finding, or
per detector for detectors whose every hit is of one kind); anything new fails the run. A reviewed
entry that matches no finding is listed for cleaning up but does not fail the run: slither 0.10.4
reports some findings (PortfolioVault.totalAssets) in some runs only. Low and informational
findings are counted.

Not covered: slither 0.10.4 cannot lift OpenZeppelin's `ReentrancyGuardTransient` (TSTORE/TLOAD
through `TransientSlot`) to its IR, so those three guard functions of each contract that uses them
(AutoRebalancer, RfqVenue) are left out of the analysis; the run says how many were.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path

from crytic_compile import CryticCompile
from crytic_compile.platform.solc_standard_json import SolcStandardJson
from slither import Slither
from slither.__main__ import get_detectors_and_printers

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = Path(__file__).with_name("triage.json")
REVIEWED_IMPACTS = {"High", "Medium"}
REMAPPINGS = [
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@chainlink/contracts/=node_modules/@chainlink/contracts/",
]


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


def main() -> int:
    os.chdir(ROOT)
    skipped = _CountingHandler()
    logging.getLogger("ContractSolcParsing").addHandler(skipped)
    logging.getLogger("ContractSolcParsing").propagate = False
    # crytic-compile runs the compiler named `solc` from PATH: the venv's bin holds a link to the
    # front.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    compilation = CryticCompile(SolcStandardJson(_input()), solc_working_dir=str(ROOT))
    slither = Slither(compilation, filter_paths=["node_modules"])
    detectors, _ = get_detectors_and_printers()
    for detector in detectors:
        slither.register_detector(detector)
    results = [r for batch in slither.run_detectors() for r in batch]

    triage = json.loads(TRIAGE.read_text())
    whole_detectors = triage["detectors"]
    findings = {(entry["check"], entry["where"]): entry for entry in triage["findings"]}
    unreviewed, matched, counts = [], set(), Counter()
    for result in results:
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
    stale = sorted(set(findings) - matched)
    print(
        "slither 0.10.4 on contracts/: "
        + ", ".join(
            f"{counts[i]} {i.lower()}"
            for i in ("High", "Medium", "Low", "Informational", "Optimization")
        )
    )
    print(
        f"reviewed: {len(matched)} findings in tools/audit/triage.json, "
        f"{len(whole_detectors)} detectors reviewed whole ({', '.join(sorted(whole_detectors))})"
    )
    if skipped.count:
        print(
            f"not analysed: {skipped.count} functions slither could not lift to its IR "
            f"({', '.join(sorted(skipped.names))})"
        )
    for line in unreviewed:
        print(f"UNREVIEWED {line}")
    for check, where in stale:
        print(f"not found this run (remove the entry if it never comes back): {check} {where}")
    return 1 if unreviewed else 0


if __name__ == "__main__":
    sys.exit(main())
