"""The checks an upgrade passes before anyone proposes it (issue 34 §3, §4): `ape run upgrade
propose` runs both, then prepares the proposal as a Safe batch (scripts/upgrade.py).

- `check_layout`: the new contract's storage layout, as the sources stand, can run on the storage
  the deployed version wrote (`deployments/storage-layouts.json`, OpenZeppelin upgrades-core's
  rules: keepers/core/storage_layouts.py). A contract with no recorded layout is not upgraded in
  place, and is refused.
- `check_build_code`: the code at the implementation's address is what this build deploys with
  those constructor arguments: the build's init code and the arguments are run as a creation by
  `eth_call` (nothing is sent), and the runtime it returns must equal the code on chain, byte for
  byte (immutables included). Code built from other sources, another compiler setting, or other
  arguments is refused, with both hashes.

- `address_arguments`: the addresses the new code is built with (immutables, modules), which the
  caller checks against the deployment record: this build's code with an attacker's module or
  registry passes the build-code check byte for byte.
- `check_build_current`: the build (`.build`, whose bytes are compared) is of the sources as they
  stand (whose layouts are compared): the hash `make build` stamps.

NOT checked here: what the new code does (read its diff), and what the calldata run after the
upgrade does (the announcement shows it decoded). The deployed layout is the record's one per
contract type (`make layouts` at a release): a proxy left on an older version, or a version
chain not recorded, is the operator's to know. A constructor that depends on the time (a first
cut-off in the future) is simulated now: an implementation built earlier may be refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from keepers.core.artifacts import BUILD_MANIFEST
from keepers.core.errors import QuanteraError
from keepers.core.storage_layouts import ROOT, collisions, extract, recorded

#: Written by `make build` after a full compile: the hash of the sources it compiled.
SOURCES_STAMP = ROOT / ".build" / ".sources.sha256"


class UpgradeRefused(QuanteraError):
    """The upgrade fails a check before it is proposed (one line: why)."""


def _contract_type(name: str, manifest: Path = BUILD_MANIFEST) -> dict[str, Any]:
    try:
        types = json.loads(manifest.read_text())["contractTypes"]
    except (OSError, ValueError, KeyError):
        raise QuanteraError(f"no compiled contracts at {manifest}: run `make build`") from None
    if name not in types:
        raise UpgradeRefused(f"{name} is not a contract of this build")
    return types[name]


def _constructor_inputs(contract_type: dict[str, Any]) -> list[dict[str, Any]]:
    return next(
        (e.get("inputs", []) for e in contract_type.get("abi", []) if e["type"] == "constructor"),
        [],
    )


def sources_hash(root: Path = ROOT) -> str:
    """The Makefile's hash of the sources: sha256 of `sha256sum ape-config.yaml <every .sol under
    contracts/ and interfaces/, the dependency cache excepted, in C order>`."""
    paths = sorted(
        str(p.relative_to(root))
        for folder in ("contracts", "interfaces")
        for p in (root / folder).rglob("*.sol")
        if not str(p.relative_to(root)).startswith("contracts/.cache/")
    )
    listing = "".join(
        f"{hashlib.sha256((root / path).read_bytes()).hexdigest()}  {path}\n"
        for path in ["ape-config.yaml", *paths]
    )
    return hashlib.sha256(listing.encode()).hexdigest()


def check_build_current(stamp: Path = SOURCES_STAMP, root: Path = ROOT) -> None:
    """UpgradeRefused unless the last `make build` compiled the sources as they stand."""
    built = stamp.read_text().strip() if stamp.is_file() else ""
    if built != sources_hash(root):
        raise UpgradeRefused(
            "the build is not of the sources as they stand (or was not made by `make build`): "
            "run `make build`"
        )


def address_arguments(new_type: str, args: Sequence[Any], manifest: Path = BUILD_MANIFEST):
    """(input name, checksummed address) of each address `new_type`'s constructor takes in `args`
    (addresses in arrays too)."""
    inputs = _constructor_inputs(_contract_type(new_type, manifest))
    found = []
    for spec, value in zip(inputs, args, strict=False):
        if spec["type"] == "address":
            found.append((spec["name"], to_checksum_address(value)))
        elif spec["type"] == "address[]":
            found += [(spec["name"], to_checksum_address(v)) for v in value]
    return found


def check_layout(deployed_type: str, new_type: str, manifest: Path = BUILD_MANIFEST) -> None:
    """UpgradeRefused unless `new_type`'s layout (the build's sources) can run on the storage
    `deployed_type`'s deployed version wrote (its recorded layout)."""
    old = recorded()
    if deployed_type not in old:
        raise UpgradeRefused(
            f"{deployed_type} has no recorded storage layout: it is not upgraded in place "
            "(docs/architecture.md, Upgrades)"
        )
    source = _contract_type(new_type, manifest).get("sourceId")
    if not source:
        raise UpgradeRefused(f"{new_type}: the build names no source for it")
    new = extract({new_type: source})[new_type]
    found = collisions({deployed_type: old[deployed_type]}, {deployed_type: new})
    if found:
        why = " ".join(found[deployed_type].split())
        raise UpgradeRefused(
            f"{new_type} cannot run on {deployed_type}'s deployed storage: {why[:400]}"
        )


def constructor_data(contract_type: dict[str, Any], args: Sequence[Any]) -> bytes:
    """The init code that deploys `contract_type` with `args`: its creation bytecode, then the
    arguments ABI-encoded by its constructor's inputs."""
    creation = (contract_type.get("deploymentBytecode") or {}).get("bytecode")
    if not creation:
        raise UpgradeRefused("the build has no creation code for it (an interface or abstract?)")
    inputs = _constructor_inputs(contract_type)
    if len(inputs) != len(args):
        raise UpgradeRefused(
            f"its constructor takes {len(inputs)} arguments "
            f"({', '.join(i['type'] for i in inputs)}), {len(args)} given"
        )
    try:
        encoded = encode([i["type"] for i in inputs], list(args))
    except Exception as err:  # noqa: BLE001 - eth_abi's errors are many; one line says which
        raise UpgradeRefused(f"constructor arguments do not fit: {err}") from None
    return bytes.fromhex(creation.removeprefix("0x")) + encoded


def check_build_code(
    w3: Any,
    implementation: str,
    new_type: str,
    args: Sequence[Any],
    block: int | str = "latest",
    manifest: Path = BUILD_MANIFEST,
) -> bytes:
    """UpgradeRefused unless the code at `implementation` is the runtime code this build's
    `new_type` deploys with `args` (its creation simulated by `eth_call` at `block`); returns the
    code's hash."""
    on_chain = bytes(w3.eth.get_code(implementation, block))
    if not on_chain:
        raise UpgradeRefused(f"{implementation} has no code")
    init = constructor_data(_contract_type(new_type, manifest), args)
    try:
        built = bytes(w3.eth.call({"data": "0x" + init.hex()}, block))
    except Exception as err:  # noqa: BLE001 - a reverting constructor: its reason, one line
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UpgradeRefused(
            f"{new_type}'s constructor reverts with those arguments: {first}"
        ) from None
    if built != on_chain:
        raise UpgradeRefused(
            f"the code at {implementation} (hash 0x{keccak(on_chain).hex()}) is not this build's "
            f"{new_type} with those arguments (hash 0x{keccak(built).hex()})"
        )
    return keccak(on_chain)
