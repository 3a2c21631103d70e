"""Compiled contracts that ape does not build: an artifact JSON (an npm package's own, or one a
build step wrote) as an ethpm ContractType and an ape ContractContainer. Hardhat, Truffle and
solc standard-JSON layouts are read alike (`bytecode` as a hex string or `{object}`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keepers.core.errors import QuanteraError

#: The compiled project as `ape compile` writes it, read from the project folder (where `quantera`,
#: the keepers and the console run).
BUILD_MANIFEST = Path(".build") / "__local__.json"


def project_abis(manifest: Path = BUILD_MANIFEST) -> dict[str, list[dict[str, Any]]]:
    """Contract name -> ABI of every compiled contract type of the project (no ape: the JSON
    itself); a QuanteraError when the project is not built."""
    try:
        contract_types = json.loads(manifest.read_text())["contractTypes"]
    except (OSError, ValueError, KeyError):
        raise QuanteraError(
            f"no compiled contracts at {manifest}: run `make build` in the project folder"
        ) from None
    return {name: ct.get("abi", []) for name, ct in contract_types.items()}


def load_contract_type(name: str, path: Path, missing_hint: str = "run `make install`"):
    """The ContractType of the artifact at `path` (ABI, creation and runtime bytecode), named
    `name`; a QuanteraError saying `missing_hint` when the file is absent."""
    from ethpm_types import ContractType

    if not path.is_file():
        raise QuanteraError(f"{path} is missing: {missing_hint}")
    raw = json.loads(path.read_text())
    creation = raw.get("bytecode")
    runtime = raw.get("deployedBytecode") or raw.get("evm", {}).get("deployedBytecode", {}).get(
        "object"
    )
    if isinstance(creation, dict):
        creation = creation.get("object")
    return ContractType(
        contractName=name,
        abi=raw["abi"],
        deploymentBytecode={"bytecode": _hex(creation)},
        runtimeBytecode={"bytecode": _hex(runtime)} if runtime else {},
    )


def _hex(code: str | None) -> str | None:
    if code is None:
        return None
    return code if code.startswith("0x") else "0x" + code


def project_at(contract_type: str, address: str) -> Any:
    """The project contract `contract_type` at `address`, as exactly that type. ape's own
    `Container.at` prefers what its cache knows of the address, and behind a proxy the type of the
    implementation's address: in a process that saw another chain (a test run starts several
    anvils with one chain id), that can be any contract that once sat there. The proxy is not
    detected here: the caller names the interface it reads (a GovernedProxy runs that code).

    ape decodes a receipt's return value, events and custom errors by the one type its cache keeps
    per address, so that cache is left holding every type asked of the address on this chain
    (their union): a dispatcher read as its modules' views (the prime broker as PrimeViews), or an
    address probed as several types (registry discovery), still decodes as the contract it is —
    asking for one type never makes the others' calls undecodable (helper-105 L3)."""
    from ape import chain, project

    asked = getattr(project, contract_type).contract_type
    instance = _instance(address, asked)
    provider = chain.provider
    # The provider is held with its types: its id is never another provider's while it is here
    # (helper-106 L2: a later anvil's provider took a dropped one's id, and its stale types).
    held, types = _ASKED.get(id(provider), (None, {}))
    if held is not provider:
        types = {}
        _ASKED[id(provider)] = (provider, types)
    seen = types.setdefault(str(instance.address), {})
    seen[contract_type] = asked
    if len(seen) > 1:
        _instance(address, _union(seen))
    return instance


#: id(provider) -> (the provider, address -> the project types asked at the address on its chain).
_ASKED: dict[int, tuple[Any, dict[str, dict[str, Any]]]] = {}


def _instance(address: str, contract_type: Any) -> Any:
    """ape's instance of `contract_type` at `address`, its cache's type for the address replaced."""
    from ape import chain

    return chain.contracts.instance_at(
        address,
        contract_type=contract_type,
        fetch_from_explorer=False,
        detect_proxy=False,
        replace=True,
    )


def _union(types: dict[str, Any]) -> Any:
    """One ContractType with every ABI entry of `types` once (a constructor, fallback and receive
    only from the first type that has one)."""
    from ethpm_types import ContractType

    entries: list[Any] = []
    seen: set[str] = set()
    for contract_type in types.values():
        for entry in contract_type.abi:
            key = entry.type if entry.type in ("constructor", "fallback", "receive") else None
            key = key or entry.model_dump_json()
            if key not in seen:
                seen.add(key)
                entries.append(entry)
    return ContractType(contractName="|".join(types), abi=entries)
