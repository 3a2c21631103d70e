"""Storage layouts of the project's contracts, from the compiler (solc-js behind tools/solc/, the
one `make install` puts in .venv/solcx): `storageLayout` only, so no code is generated and a call
takes seconds. Used by the module-pattern test: a module must see its dispatcher's storage slot by
slot (contracts/libraries/Dispatch.sol)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLC = ROOT / ".venv" / "solcx" / "solc-v0.8.28"
REMAPPINGS = (
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@chainlink/contracts/=node_modules/@chainlink/contracts/",
)


class LayoutError(RuntimeError):
    pass


def compiler_output(targets: dict[str, str], outputs: tuple[str, ...] = ("storageLayout",)) -> dict:
    """{contract name: {"storage": [(label, slot, offset, type label)] in slot order, "abi": [...]}}
    of each `name: source path` target."""
    sources = {path: {"content": (ROOT / path).read_text()} for path in set(targets.values())}
    selection = {path: {} for path in sources}
    for name, path in targets.items():
        selection[path][name] = list(outputs)
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": list(REMAPPINGS),
            "evmVersion": "cancun",
            "outputSelection": selection,
        },
    }
    done = subprocess.run(
        [str(SOLC), "--standard-json", "--base-path", str(ROOT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise LayoutError(f"solc exited {done.returncode}: {done.stderr.strip()[:500]}")
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise LayoutError("; ".join(e["formattedMessage"].splitlines()[0] for e in errors))
    found = {}
    for name, path in targets.items():
        contract = output["contracts"][path][name]
        found[name] = {"abi": contract.get("abi", [])}
        layout = contract.get("storageLayout")
        if layout is not None:
            types = layout["types"] or {}
            found[name]["storage"] = [
                (e["label"], int(e["slot"]), e["offset"], types[e["type"]]["label"])
                for e in layout["storage"]
            ]
    return found
