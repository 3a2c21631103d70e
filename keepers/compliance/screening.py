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
import math
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from keepers.core.errors import QuanteraError

SDN_COLUMNS = 12
ADDRESS_PATTERN = re.compile(r"Digital Currency Address - ([A-Z0-9]+) (0x[0-9a-fA-F]{40})\b")
FETCH_TIMEOUT_SECONDS = 30  # the whole download, not each read
MAX_LIST_BYTES = 64 * 1024 * 1024  # OFAC's SDN.CSV is about 5 MB
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# A new version with fewer than this share of the entries in hand is refused (kept: the old list):
# a truncated or emptied download must not lift sanctions.
MIN_KEPT_SHARE = 0.5
MAX_REFRESH_SECONDS = 86_400


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
    """Reads the list from a path or an https URL (the shipped sample when `source` is None);
    plain http only from a loopback host. A download has FETCH_TIMEOUT_SECONDS in all and at most
    MAX_LIST_BYTES; whatever goes wrong (transport, server, CSV) is one QuanteraError."""
    source = source or str(sample_path())
    try:
        raw = _fetch(source) if "://" in source else Path(source).read_bytes()
        text = raw.decode("utf-8", errors="replace")
        return SanctionsList(source, hashlib.sha256(raw).hexdigest(), parse_sdn_csv(text, source))
    except QuanteraError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure of a read is the list not read
        raise QuanteraError(f"cannot read sanctions list {source}: {err}") from None


def _fetch(url: str) -> bytes:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise QuanteraError(f"sanctions list {url}: only https (or http from loopback) is read")
    deadline = time.monotonic() + FETCH_TIMEOUT_SECONDS
    chunks, size = [], 0
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
        while chunk := response.read1(64 * 1024):  # one receive at a time: the deadline holds
            size += len(chunk)
            if size > MAX_LIST_BYTES:
                raise QuanteraError(f"sanctions list {url}: over {MAX_LIST_BYTES} bytes")
            if time.monotonic() > deadline:
                raise QuanteraError(f"sanctions list {url}: not read in {FETCH_TIMEOUT_SECONDS} s")
            chunks.append(chunk)
    return b"".join(chunks)


class RefreshingList:
    """The sanctions list a long-running keeper screens with, read again from its source every
    `interval` seconds (a URL or a file the operator replaces). A failed read, an empty list or one
    that lost more than half its entries keeps the list in hand, is counted (`failures`), and is
    tried again only after another interval: a source that is down is not asked every block.
    `loaded_at` is the time of the last successful read, what the "sanctions list not refreshed"
    alert watches (against twice `interval`)."""

    def __init__(self, source: str | None, interval: float, now: float) -> None:
        if not (math.isfinite(interval) and 0 < interval <= MAX_REFRESH_SECONDS):
            raise QuanteraError(
                f"sanctions refresh interval must be in (0, {MAX_REFRESH_SECONDS}] s: {interval}"
            )
        self.source, self.interval = source, interval
        self.current = load_sanctions(source)
        if not self.current.by_address:
            raise QuanteraError(f"sanctions list {self.current.source} holds no address")
        self.loaded_at = self.tried_at = now
        self.failures = 0

    def refresh(self, now: float) -> bool:
        """Reads the list again if an interval has passed since the last try; returns whether its
        version (the sha256 of its bytes) changed. Raises QuanteraError (counted) when the read
        fails or the new list is refused."""
        if now - self.tried_at < self.interval:
            return False
        self.tried_at = now
        try:
            fresh = load_sanctions(self.source)
            kept = len(fresh.by_address) / len(self.current.by_address)
            if kept < MIN_KEPT_SHARE:
                raise QuanteraError(
                    f"sanctions list {fresh.source} refused: {len(fresh.by_address)} addresses "
                    f"where {len(self.current.by_address)} were listed (kept the list in hand)"
                )
        except QuanteraError:
            self.failures += 1
            raise
        self.loaded_at = now
        changed = fresh.version != self.current.version
        self.current = fresh
        return changed


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
