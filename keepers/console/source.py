"""The console's view of one deployment: a web3 connection, the deployment record, the ABIs of the
compiled contracts it names, and the keeper store when one is known.

Reads go straight through web3 (thread-safe, no per-call ape machinery): the console serves many
small reads per block. ABIs come from the compiled project (`.build/__local__.json`, written by
`ape compile`), and any ERC-20 is read with OpenZeppelin's IERC20Metadata ABI (the npm package's
artifact, loaded on first use: keepers/core/tokens.py); a contract whose name the project does not
know is simply not decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from keepers.core.artifacts import BUILD_MANIFEST, project_abis
from keepers.core.deployments import DeploymentRecord
from keepers.core.errors import QuanteraError
from keepers.core.redact import redact_urls as redact_urls  # the console's pages import it here
from keepers.core.tokens import ERC20, erc20_abi


class ConsoleError(QuanteraError):
    """The console cannot start or cannot serve a request (one line for the operator)."""


def load_abis(manifest: Path = BUILD_MANIFEST) -> dict[str, list[dict[str, Any]]]:
    """Contract name -> ABI of every compiled contract type (keepers.core.artifacts)."""
    try:
        return project_abis(manifest)
    except QuanteraError as err:
        raise ConsoleError(str(err)) from None


def abi_name(record_name: str) -> str:
    """The contract type of a record entry: records name instances `Type`, `Type.label` (what the
    deploy steps write: `ComplianceEngine.QNDX`, `UniswapV2Pair.A.QSPX-USDC`) or `Type:label`."""
    return record_name.split(":", 1)[0].split(".", 1)[0]


@dataclass
class ChainSource:
    """One deployment as the console reads it. `w3` is a connected web3.Web3."""

    w3: Any
    record: DeploymentRecord
    abis: Mapping[str, list[dict[str, Any]]]
    db_url: str | None = None
    network: str = "ethereum:local"
    _contracts: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _describer: Any = field(default=None, repr=False)  # keepers.console.describe.for_source

    @cached_property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def has(self, name: str) -> bool:
        return name in self.record.contracts and abi_name(name) in self.abis

    def address(self, name: str) -> str:
        try:
            return to_checksum_address(self.record.contracts[name])
        except KeyError:
            raise ConsoleError(f"the deployment has no {name}") from None

    def contract(self, name: str, address: str | None = None, abi_of: str | None = None):
        """A web3 contract for the record's `name` (or `address` with the ABI of `abi_of`)."""
        type_name = abi_of or abi_name(name)
        target = to_checksum_address(address) if address else self.address(name)
        key = (type_name, target)
        if key not in self._contracts:
            if type_name == ERC20:  # any ERC-20, whatever its contract (keepers/core/tokens.py)
                abi = erc20_abi()
            elif type_name in self.abis:
                abi = self.abis[type_name]
            else:
                raise ConsoleError(f"no compiled ABI for {type_name}")
            self._contracts[key] = self.w3.eth.contract(address=target, abi=abi)
        return self._contracts[key]

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_time(self, number: int | str = "latest") -> int:
        return int(self.w3.eth.get_block(number)["timestamp"])
