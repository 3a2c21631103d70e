"""The deployment record: `deployments/<network>.json`, written by `ape run deploy`, read by tools.

Shape::

    {"network": "ethereum:sepolia", "chain_id": 11155111, "block": 123,
     "contracts": {"QuanteraAccessManager": "0x..."},
     "accounts": {"0x...": "Harbor pension plan"},
     "pending": {"IdentityRegistry": {"nonce": 7, "address": "0x..."}}}

`block` is at or before the block of the first deployment recorded; `contracts` maps contract name
to address. `pending` (present only while non-empty) names a deployment whose transaction may have
been sent but whose outcome was not yet recorded: the deployer's nonce it was sent with and the
address that nonce creates, so a rerun after an interruption adopts the contract instead of
deploying it twice. `accounts` (present only while non-empty) is the deployment's address book:
the names of accounts that are not its contracts (clients, desks, keepers' wallets), given by
whoever onboarded them (`name_accounts`), so that every screen names them as it names contracts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_hex_address, to_checksum_address

DEPLOYMENTS_DIR_ENV = "QUANTERA_DEPLOYMENTS_DIR"
DEFAULT_DEPLOYMENTS_DIR = Path("deployments")


class DeploymentError(Exception):
    """A deployment record is missing, unreadable, or does not match the chain."""


MAX_ACCOUNT_NAME = 64
# A name a person reads beside an address: letters, digits, spaces and light punctuation, no
# markup or control characters (it is shown on pages, in PDFs and terminals).
ACCOUNT_NAME = re.compile(r"[\w][\w .,&'()/+-]*", re.UNICODE)


def account_name(name: str) -> str:
    """`name` stripped, or DeploymentError when it is no name a screen can show."""
    text = str(name).strip()
    if not text or len(text) > MAX_ACCOUNT_NAME or not ACCOUNT_NAME.fullmatch(text):
        raise DeploymentError(
            f"account name {name!r}: 1 to {MAX_ACCOUNT_NAME} letters, digits, spaces or .,&'()/+-"
        )
    return text


def account_address(address: str) -> str:
    if not is_hex_address(str(address)):
        raise DeploymentError(f"account {address!r} is not an address")
    return to_checksum_address(str(address))


def deployments_dir() -> Path:
    return Path(os.environ.get(DEPLOYMENTS_DIR_ENV, DEFAULT_DEPLOYMENTS_DIR))


def record_path(network_name: str, directory: Path | None = None) -> Path:
    """`ethereum:local` -> deployments/ethereum-local.json."""
    safe_name = network_name.replace(":", "-").replace("/", "-")
    return (directory or deployments_dir()) / f"{safe_name}.json"


@dataclass(frozen=True)
class PendingDeployment:
    """A deployment about to be sent with the deployer's `nonce`, which creates `address`."""

    nonce: int
    address: str


@dataclass
class DeploymentRecord:
    network: str
    chain_id: int
    block: int | None = None
    contracts: dict[str, str] = field(default_factory=dict)
    pending: dict[str, PendingDeployment] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # checksummed address -> name

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name]
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentError(
                f"{name} is not deployed on {self.network} (recorded: {known})"
            ) from None

    def to_json(self) -> dict:
        data = {
            "network": self.network,
            "chain_id": self.chain_id,
            "block": self.block,
            "contracts": dict(sorted(self.contracts.items())),
        }
        if self.accounts:
            data["accounts"] = dict(sorted(self.accounts.items()))
        if self.pending:
            data["pending"] = {
                name: {"nonce": p.nonce, "address": p.address}
                for name, p in sorted(self.pending.items())
            }
        return data

    @classmethod
    def from_json(cls, data: dict) -> DeploymentRecord:
        try:
            return cls(
                network=str(data["network"]),
                chain_id=int(data["chain_id"]),
                block=None if data.get("block") is None else int(data["block"]),
                contracts={str(k): str(v) for k, v in data.get("contracts", {}).items()},
                pending={
                    str(k): PendingDeployment(int(v["nonce"]), str(v["address"]))
                    for k, v in data.get("pending", {}).items()
                },
                accounts={
                    account_address(k): account_name(v)
                    for k, v in (data.get("accounts") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DeploymentError(f"malformed deployment record: {err}") from None


def load(path: Path) -> DeploymentRecord:
    if not path.is_file():
        raise DeploymentError(f"no deployment record at {path}: run `ape run deploy all` first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DeploymentError(f"{path} is not valid JSON: {err.msg} (line {err.lineno})") from None
    return DeploymentRecord.from_json(data)


def save(record: DeploymentRecord, path: Path) -> None:
    """Writes atomically, so a crash mid-deploy never leaves a half-written record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record.to_json(), indent=2) + "\n")
    tmp.replace(path)


def name_accounts(path: Path, names: Mapping[str, str]) -> DeploymentRecord:
    """Adds `names` (address -> name) to the record's address book at `path` and saves it; the
    record's contracts keep their own names (a contract's address is refused here). Every name is
    checked before anything is written."""
    record = load(path)
    contracts = {to_checksum_address(a) for a in record.contracts.values()}
    named = {account_address(a): account_name(n) for a, n in names.items()}
    clash = sorted(a for a in named if a in contracts)
    if clash:
        raise DeploymentError(f"{clash[0]} is a contract of the record: it has its name there")
    record.accounts.update(named)
    save(record, path)
    return record
