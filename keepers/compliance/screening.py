"""Sanctions screening (pure): parse the OFAC SDN list and match wallets against it.

OFAC publishes digital-currency addresses inside the `Remarks` column of SDN.CSV (12 columns, no
header, `-0-` for empty), as `Digital Currency Address - <CCY> <address>;`. EVM addresses (0x + 40
hex) of any currency tag are kept; other chains' addresses are ignored. The shipped sample
(keepers/data/sdn_sample.csv) has that shape with fictional entries; the real list is read from a
path or an https URL given in `QUANTERA_SANCTIONS_LIST`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from keepers.core.errors import QuanteraError

SDN_COLUMNS = 12
ADDRESS_PATTERN = re.compile(r"Digital Currency Address - ([A-Z0-9]+) (0x[0-9a-fA-F]{40})\b")
FETCH_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SanctionsEntry:
    ent_num: int
    name: str
    program: str
    currency: str
    address: str


@dataclass(frozen=True)
class SanctionsList:
    source: str
    version: str  # sha256 of the list's bytes: a decision records which list version matched
    by_address: dict[str, SanctionsEntry]

    def match(self, wallet: str) -> SanctionsEntry | None:
        return self.by_address.get(wallet.lower())


@dataclass(frozen=True)
class Match:
    wallet: str
    entry: SanctionsEntry


def sample_path() -> Path:
    return Path(str(resources.files("keepers") / "data" / "sdn_sample.csv"))


def parse_sdn_csv(text: str, source: str = "<text>") -> dict[str, SanctionsEntry]:
    entries: dict[str, SanctionsEntry] = {}
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < SDN_COLUMNS:
            raise QuanteraError(
                f"{source}: line {line_number} has {len(row)} columns, SDN.CSV has {SDN_COLUMNS}"
            )
        try:
            ent_num = int(row[0])
        except ValueError:
            raise QuanteraError(
                f"{source}: line {line_number}: ent_num {row[0]!r} is not a number"
            ) from None
        for currency, address in ADDRESS_PATTERN.findall(row[11]):
            entries.setdefault(
                address.lower(),
                SanctionsEntry(ent_num, row[1].strip(), row[3].strip(), currency, address),
            )
    return entries


def load_sanctions(source: str | None = None) -> SanctionsList:
    """Reads the list from a path or an http(s) URL (the shipped sample when `source` is None)."""
    source = source or str(sample_path())
    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_SECONDS) as response:
                raw = response.read()
        else:
            raw = Path(source).read_bytes()
    except OSError as err:
        raise QuanteraError(f"cannot read sanctions list {source}: {err}") from None
    text = raw.decode("utf-8", errors="replace")
    return SanctionsList(source, hashlib.sha256(raw).hexdigest(), parse_sdn_csv(text, source))


def screen(wallets: Iterable[str], sanctions: SanctionsList) -> list[Match]:
    """The wallets on the list, each once, in the order given."""
    seen: set[str] = set()
    matches: list[Match] = []
    for wallet in wallets:
        key = wallet.lower()
        if key in seen:
            continue
        seen.add(key)
        entry = sanctions.match(wallet)
        if entry is not None:
            matches.append(Match(wallet, entry))
    return matches
