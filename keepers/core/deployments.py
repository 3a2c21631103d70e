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

import fcntl
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DEPLOYMENTS_DIR_ENV = "QUANTERA_DEPLOYMENTS_DIR"
DEFAULT_DEPLOYMENTS_DIR = Path("deployments")


class DeploymentError(Exception):
    """A deployment record is missing, unreadable, or does not match the chain."""


MAX_ACCOUNT_NAME = 64
# A name a person reads beside an address, in the Latin script the standard PDF fonts print:
# ASCII letters and digits, the Latin-1 letters (accents: "Société Générale"), spaces and
# .,&'/+- inside. No parentheses or semicolons (the form `0xAbC… (Name; ROLE)` is the screens'),
# no markup, control, invisible or look-alike characters of other scripts, and nothing that reads
# as an address.
_LETTER = "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
ACCOUNT_NAME = re.compile(f"[{_LETTER}][{_LETTER} .,&'/+-]*")
# An address or a hex run long enough to pass for part of one (`0X…`, a bare 40-hex string, `O`
# for `0`): refused.
_ADDRESS_LIKE = re.compile(r"0[xX][0-9a-fA-F]{4,}|[0-9a-fA-F]{8,}|\b[oO][xX][0-9a-fA-F]{4,}")
_WORDS = re.compile(r"[^ .,&'/+-]+")


def account_name(name: object) -> str:
    """`name` stripped, or DeploymentError when it is no name a screen can show (the names of
    contracts and roles are refused by `name_accounts`, which knows the record's)."""
    text = name.strip() if isinstance(name, str) else ""
    if (
        not text
        or len(text) > MAX_ACCOUNT_NAME
        or not ACCOUNT_NAME.fullmatch(text)
        or "  " in text
        or _ADDRESS_LIKE.search(text)
    ):
        shown = repr(name)[: MAX_ACCOUNT_NAME + 8]
        raise DeploymentError(
            f"account name {shown}: 1 to {MAX_ACCOUNT_NAME} Latin letters, digits, single spaces "
            "or .,&'/+- (no address)"
        )
    return text


def account_address(address: object) -> str:
    """`address` checksummed, or DeploymentError: not an address, a mixed-case address whose
    checksum is wrong (EIP-55: a typo), or the zero address."""
    from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

    text = str(address)
    if not is_hex_address(text):
        raise DeploymentError(f"account {text[:50]!r} is not an address")
    if (
        text[2:] != text[2:].lower()
        and text[2:] != text[2:].upper()
        and not is_checksum_address(text)
    ):
        raise DeploymentError(f"account {text}: wrong EIP-55 checksum (a typo?)")
    if int(text, 16) == 0:
        raise DeploymentError("account 0x0000…0000: the zero address names no account")
    return to_checksum_address(text)


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
                accounts=_address_book(data.get("accounts") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DeploymentError(f"malformed deployment record: {err}") from None


def _address_book(entries: Mapping) -> dict[str, str]:
    """The record's address book as read: an entry that is no address and name a screen can show
    (written by hand, or by an older rule) is left out with a warning, never the whole record
    refused: names are what people read, the contracts are what every tool needs."""
    book = {}
    for address, name in entries.items():
        try:
            book[account_address(address)] = account_name(name)
        except DeploymentError as err:
            logging.getLogger("quantera").warning("address book entry left out: %s", err)
    return book


#: A record nests three levels deep (record, contracts, an entry); JSON nested deeper than this is
#: refused before it is parsed: the C parser recurses per level, and a file of 100,000 `[` crashed
#: the interpreter (a segmentation fault, not an exception) when read from deep in a call stack.
MAX_RECORD_DEPTH = 16


def load(path: Path) -> DeploymentRecord:
    if not path.is_file():
        raise DeploymentError(f"no deployment record at {path}: run `ape run deploy all` first")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise DeploymentError(f"{path} cannot be read: {type(err).__name__}") from None
    if _depth(text) > MAX_RECORD_DEPTH:
        raise DeploymentError(f"{path} nests deeper than {MAX_RECORD_DEPTH}: no deployment record")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DeploymentError(f"{path} is not valid JSON: {err.msg} (line {err.lineno})") from None
    return DeploymentRecord.from_json(data)


def _depth(text: str) -> int:
    """The deepest nesting of `[` and `{` in JSON `text`, strings skipped (escapes read)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@contextmanager
def _records_locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on the records' folder (flock of the directory itself: no lock file
    beside the committed records) while one writer reads and writes a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _write(record: DeploymentRecord, path: Path) -> None:
    """Atomically: a temporary file of this writer's own in the same folder, then renamed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # The record's mode as before (mkstemp makes 0600: keepers or a console running as
        # another user read the records): the existing file's, else 0666 less the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, path.stat().st_mode & 0o777 if path.is_file() else 0o666 & ~umask)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(record.to_json(), indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(record: DeploymentRecord, path: Path) -> None:
    """Writes atomically, so a crash mid-deploy never leaves a half-written record. The address
    book on disk is the truth for the names of the same deployment (network, chain and first
    block; `name_accounts` and `forget_accounts` write them, under the same lock): a writer that
    loaded the record earlier (the deploy script holds it for its whole run) keeps every name
    written or removed meanwhile. A new deployment at the path (`--fresh`, another chain) starts
    with the names its writer holds, none of the old one's."""
    with _records_locked(path):
        if path.is_file():
            try:
                on_disk = DeploymentRecord.from_json(json.loads(path.read_text()))
            except (DeploymentError, json.JSONDecodeError):
                on_disk = None  # an unreadable record is replaced, as before the address book
            same = on_disk is not None and (on_disk.network, on_disk.chain_id, on_disk.block) == (
                record.network,
                record.chain_id,
                record.block,
            )
            if same:
                record.accounts = dict(on_disk.accounts)
        _write(record, path)


def name_accounts(path: Path, names: Mapping[str, str]) -> DeploymentRecord:
    """Adds `names` (address -> name) to the record's address book at `path` and saves it; the
    record's contracts keep their own names (a contract's address is refused here). Every name is
    checked before anything is written."""
    from eth_utils import to_checksum_address

    with _records_locked(path):
        record = load(path)
        contracts = {to_checksum_address(a): n for n, a in record.contracts.items()}
        named = {account_address(a): account_name(n) for a, n in names.items()}
        for address in named:
            if address in contracts:
                raise DeploymentError(f"{address} is a contract of the record: named there")
        # A name reads as one account: not a contract's or a role's (nor a list of roles, as the
        # screens write an account's roles), not another account's.
        roles = {r.casefold() for r in _role_names()}
        reserved = {n.casefold() for n in contracts.values()} | roles
        others = {n.casefold() for a, n in record.accounts.items() if a not in named}
        seen: set[str] = set()
        for name in named.values():
            key = name.casefold()
            words = [w.casefold() for w in _WORDS.findall(name)]
            if name.strip(" .,&'/+-").casefold() in reserved or all(w in roles for w in words):
                raise DeploymentError(f"account name {name!r} is a contract's or a role's name")
            if key in others or key in seen:
                raise DeploymentError(f"account name {name!r} already names another account")
            seen.add(key)
        record.accounts.update(named)
        _write(record, path)
    return record


def forget_accounts(path: Path, addresses: list[str]) -> DeploymentRecord:
    """Removes the addresses' names from the record's address book at `path` (an address it does
    not name is refused, nothing written)."""
    with _records_locked(path):
        record = load(path)
        gone = [account_address(a) for a in addresses]
        unknown = [a for a in gone if a not in record.accounts]
        if unknown:
            raise DeploymentError(f"{unknown[0]} has no name in the record's address book")
        for address in gone:
            del record.accounts[address]
        _write(record, path)
    return record


def _role_names() -> list[str]:
    from keepers.access import ROLE_NAMES

    return list(ROLE_NAMES.values())
