"""The storage check of upgrades (issue 34 §3): every contract whose code can be replaced in place
keeps the storage its deployed version wrote. A new version may add variables after the old ones;
it may not insert, remove, rename, retype or widen one (OpenZeppelin upgrades-core's rules and
code, run by `tools/upgrades/storage-layouts.js`).

`UPGRADEABLE` is the set docs/architecture.md ("Upgrades") decides: the contracts upgraded in
place, behind a proxy or by replacing the modules their dispatcher runs. The others are replaced by
a new contract beside the old one, and their layout binds nothing. `RECORD` holds the layouts of
the deployed version (written by `make layouts`, on purpose, when a release is deployed);
`make test` fails when the build's layouts cannot run on it (tests/contracts/upgrades).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keepers.core.errors import QuanteraError

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "upgrades" / "storage-layouts.js"
RECORD = ROOT / "deployments" / "storage-layouts.json"

#: contract: (its source, how it is upgraded in place)
UPGRADEABLE: dict[str, tuple[str, str]] = {
    "SecurityToken": ("contracts/token/SecurityToken.sol", "modules"),
    "IncomeShareToken": ("contracts/lifecycle/IncomeShareToken.sol", "modules"),
    "BondShareToken": ("contracts/lifecycle/BondShareToken.sol", "modules"),
    "ComplianceEngine": ("contracts/compliance/ComplianceEngine.sol", "modules"),
    "InstrumentRegistry": ("contracts/lifecycle/InstrumentRegistry.sol", "proxy"),
    "FundVault": ("contracts/lifecycle/FundVault.sol", "proxy"),
    "FundDesk": ("contracts/lifecycle/FundDesk.sol", "proxy"),
    "FeeSchedule": ("contracts/lifecycle/FeeSchedule.sol", "proxy"),
    "SettlementAssets": ("contracts/lifecycle/SettlementAssets.sol", "proxy"),
    "BondServicer": ("contracts/lifecycle/BondServicer.sol", "proxy"),
    "OracleRouter": ("contracts/oracles/OracleRouter.sol", "proxy"),
    "RiskEngine": ("contracts/risk/RiskEngine.sol", "proxy"),
    "PortfolioVault": ("contracts/vault/PortfolioVault.sol", "proxy"),
    "PrimeBroker": ("contracts/prime/PrimeBroker.sol", "proxy"),
    "LendingPool": ("contracts/prime/LendingPool.sol", "proxy"),
}

Layouts = dict[str, Any]


def extract(
    targets: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> dict[str, Layouts]:
    """`{name: layout}` of each `name: source path` target (paths relative to the repository);
    `overrides` gives a source's text instead of the file's (an edited version, in tests)."""
    request = {"targets": dict(targets), "overrides": dict(overrides or {})}
    done = _node(["extract"], json.dumps(request))
    if done.returncode != 0:
        raise QuanteraError(f"storage layouts: {done.stderr.strip()[:500]}")
    return json.loads(done.stdout)


def build_layouts() -> dict[str, Layouts]:
    """The layouts of `UPGRADEABLE` as the sources stand."""
    return extract({name: source for name, (source, _) in UPGRADEABLE.items()})


def recorded() -> dict[str, Layouts]:
    """The deployed version's layouts (`RECORD`)."""
    if not RECORD.exists():
        raise QuanteraError(f"no storage layouts recorded ({RECORD}): run `make layouts`")
    return json.loads(RECORD.read_text())["contracts"]


def collisions(old: Mapping[str, Layouts], new: Mapping[str, Layouts]) -> dict[str, str]:
    """`{contract: why}` for each contract of `old` whose `new` layout cannot run on its storage
    (upgrades-core's report; a contract missing from `new` is one). Empty: every one can."""
    with tempfile.TemporaryDirectory(prefix="quantera-layouts-") as folder:
        old_file, new_file = Path(folder) / "old.json", Path(folder) / "new.json"
        old_file.write_text(json.dumps(old))
        new_file.write_text(json.dumps(new))
        done = _node(["compare", str(old_file), str(new_file)], "")
    if done.returncode not in (0, 1):
        raise QuanteraError(f"storage layouts: {done.stderr.strip()[:500]}")
    reports = json.loads(done.stdout)
    return {name: report["explain"] for name, report in reports.items() if not report["ok"]}


def record(layouts: Mapping[str, Layouts], commit: str) -> None:
    """Writes `layouts` as the deployed version's (`RECORD`), naming the commit they are of."""
    body = {
        "about": (
            "Storage layouts of the deployed version of every contract upgraded in place "
            "(keepers/core/storage_layouts.py UPGRADEABLE), in OpenZeppelin upgrades-core's "
            "format. Written by `make layouts` when a release is deployed; `make test` checks "
            "the build's layouts can run on these."
        ),
        "commit": commit,
        "contracts": dict(sorted(layouts.items())),
    }
    RECORD.write_text(json.dumps(body, indent=1) + "\n")


def _node(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(TOOL), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
