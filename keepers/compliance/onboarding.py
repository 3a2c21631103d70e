"""KYC results -> identity-registry registrations (pure part: parsing, validation, planning).

Input: JSON lines, one investor wallet per line::

    {"wallet": "0x…", "country": 840, "investor_class": "accredited",
     "expiry": "2027-06-30", "provider_reference": "sumsub:applicant:123", "identity": "0x…"?}

`identity` (an ONCHAINID address) is optional: without it, the identity is derived from the
provider reference (`keccak("quantera:kyc:" + reference)`, last 20 bytes), so every wallet the
provider verified for one applicant lands on one identity and shares its limits.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from eth_utils import is_address, keccak, to_checksum_address

from keepers.compliance.jurisdictions import INVESTOR_CLASSES
from keepers.core.units import iso_utc

MAX_UINT40 = 2**40 - 1


@dataclass(frozen=True)
class KycRecord:
    line: int
    wallet: str
    identity: str
    country: int
    investor_class: int
    expiry: int
    provider_reference: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RowError:
    line: int
    error: str


def identity_for_reference(reference: str) -> str:
    return to_checksum_address(keccak(text=f"quantera:kyc:{reference}")[-20:])


def _parse_expiry(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, str):
        try:
            return int(
                datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC).timestamp()
            )
        except ValueError:
            pass
    raise ValueError(f"expiry must be a unix time or YYYY-MM-DD, got {value!r}")


REQUIRED_FIELDS = ("wallet", "country", "investor_class", "expiry", "provider_reference")
CSV_COLUMNS = (*REQUIRED_FIELDS, "identity")  # `identity` optional


def parse_row(line_number: int, text: str, now: int) -> KycRecord:
    """One JSON line (see the module notice)."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg})") from None
    if not isinstance(row, dict):
        raise ValueError("a line must be a JSON object")
    return parse_fields(line_number, row, now)


def parse_fields(line_number: int, row: dict, now: int) -> KycRecord:
    """One investor's fields (a JSON line's object or a CSV row), validated."""
    missing = [k for k in REQUIRED_FIELDS if k not in row]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    wallet = row["wallet"]
    if not isinstance(wallet, str) or not is_address(wallet) or int(wallet, 16) == 0:
        raise ValueError(f"wallet is not an address: {wallet!r}")
    try:
        country = int(row["country"])
    except (TypeError, ValueError):
        raise ValueError(
            f"country must be an ISO 3166-1 numeric code, got {row['country']!r}"
        ) from None
    if not 1 <= country <= 999:
        raise ValueError(f"country {country} is not an ISO 3166-1 numeric code (1-999)")
    investor_class = INVESTOR_CLASSES.get(str(row["investor_class"]).lower())
    if investor_class is None:
        raise ValueError(
            f"investor_class must be one of {', '.join(INVESTOR_CLASSES)}, "
            f"got {row['investor_class']!r}"
        )
    expiry = _parse_expiry(row["expiry"])
    if expiry <= now:
        raise ValueError(
            f"KYC already expired at {iso_utc(expiry)} (chain time {iso_utc(now)}; unix {expiry})"
        )
    expiry = min(expiry, MAX_UINT40)
    reference = str(row["provider_reference"]).strip()
    if not reference:
        raise ValueError("provider_reference is empty")
    identity = row.get("identity")
    if identity is not None and (not isinstance(identity, str) or not is_address(identity)):
        raise ValueError(f"identity is not an address: {identity!r}")
    return KycRecord(
        line=line_number,
        wallet=to_checksum_address(wallet),
        identity=to_checksum_address(identity) if identity else identity_for_reference(reference),
        country=country,
        investor_class=investor_class,
        expiry=expiry,
        provider_reference=reference,
    )


def parse_kyc_file(path: Path, now: int) -> tuple[list[KycRecord], list[RowError]]:
    """Every valid row of a JSON-lines file, and one error per bad row (with its line number);
    blank lines are skipped. See `parse_rows` for the rules across rows."""
    lines = [
        (n, lambda n=n, t=text: parse_row(n, t, now))
        for n, text in enumerate(path.read_text().splitlines(), start=1)
        if text.strip()
    ]
    return parse_rows(lines)


def parse_kyc_csv(text: str, now: int) -> tuple[list[KycRecord], list[RowError]]:
    """The same rows as CSV with a header line naming the columns (`CSV_COLUMNS`; `identity` may
    be left out or empty), e.g. ``wallet,country,investor_class,expiry,provider_reference``.
    Line numbers are the text's (the header is line 1); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text.strip("\n")))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_FIELDS if c not in header]
    if missing:
        return [], [RowError(1, f"the header line lacks column(s) {', '.join(missing)}")]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        return [], [RowError(1, f"unknown column(s) {', '.join(unknown)}")]
    lines = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            lines.append((line, _fails(f"{len(cells)} cells, the header has {len(header)}")))
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=True) if c.strip()}
        lines.append((line, lambda n=line, r=row: parse_fields(n, r, now)))
    return parse_rows(lines)


def _fails(message: str) -> Callable[[], KycRecord]:
    def parse() -> KycRecord:
        raise ValueError(message)

    return parse


def parse_rows(
    lines: Iterable[tuple[int, Callable[[], KycRecord]]],
) -> tuple[list[KycRecord], list[RowError]]:
    """Every valid row, and one error per bad row (with its line number).

    Rows of one identity share its profile: the last row of that identity gives the class and the
    expiry for all of them (so a re-run finds nothing to change), and a row whose country differs
    from the identity's earlier rows is rejected."""
    records: list[KycRecord] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line_number, parse in lines:
        try:
            record = parse()
        except ValueError as err:
            errors.append(RowError(line_number, str(err)))
            continue
        if record.wallet in seen:
            errors.append(
                RowError(
                    line_number,
                    f"wallet {record.wallet} already given on line {seen[record.wallet]}",
                )
            )
            continue
        seen[record.wallet] = line_number
        records.append(record)
    latest: dict[str, KycRecord] = {}
    country_of: dict[str, tuple[int, int]] = {}
    kept: list[KycRecord] = []
    for record in records:
        first = country_of.setdefault(record.identity, (record.country, record.line))
        if first[0] != record.country:
            errors.append(
                RowError(
                    record.line,
                    f"country {record.country} differs from {first[0]} given for the "
                    f"same identity on line {first[1]}",
                )
            )
            continue
        latest[record.identity] = record
        kept.append(record)
    profile = {identity: (r.investor_class, r.expiry) for identity, r in latest.items()}
    records = [
        replace(r, investor_class=profile[r.identity][0], expiry=profile[r.identity][1])
        for r in kept
    ]
    errors.sort(key=lambda e: e.line)
    return records, errors


@dataclass(frozen=True)
class OnChainInvestor:
    """What the registry says about a wallet, and about the record's identity."""

    wallet_identity: str | None
    identity_wallet_count: int
    identity_country: int
    identity_class: int
    identity_expiry: int


def plan(record: KycRecord, state: OnChainInvestor) -> str:
    """`register`, `update-profile`, `unchanged`, or an error message (wallet held by another
    identity, country differing from the identity's)."""
    if state.wallet_identity and state.wallet_identity.lower() != record.identity.lower():
        return (
            f"error: wallet is registered to identity {state.wallet_identity}, "
            f"not {record.identity}"
        )
    if state.identity_wallet_count and state.identity_country != record.country:
        return (
            f"error: identity's country is {state.identity_country}, the KYC says {record.country}"
        )
    if not state.wallet_identity:
        return "register"
    same = (state.identity_class, state.identity_expiry) == (record.investor_class, record.expiry)
    return "unchanged" if same else "update-profile"
