"""Fetching the report's events from the chain and mapping dates to blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from eth_utils import to_checksum_address

from keepers.compliance.report import Report, build_report, shown_addresses, write_report
from keepers.core.chain import connected
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import to_jsonable
from keepers.core.units import iso_utc

REGISTRY_EVENTS = ("IdentityRegistered", "IdentityRemoved", "InvestorProfileSet", "WalletFrozen")
TOKEN_EVENTS = (
    "Transfer",
    "ForcedTransfer",
    "RecoverySuccess",
    "AddressFrozen",
    "TokensFrozen",
    "TokensUnfrozen",
)


def parse_time(value: str, end_of_day: bool = False) -> int:
    """Unix seconds, or YYYY-MM-DD (UTC; the end of that day when `end_of_day`)."""
    if value.isdigit():
        return int(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise QuanteraError(f"not a date (YYYY-MM-DD) or unix time: {value!r}") from None
    start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp())
    return start + 86_399 if end_of_day else start


def _last_block_at_or_before(timestamp: int) -> int:
    """Binary search over block timestamps (bounded: log2(head) lookups)."""
    from ape import chain

    low, high = 0, chain.blocks.head.number
    if chain.blocks[0].timestamp > timestamp:
        return -1
    while low < high:
        mid = (low + high + 1) // 2
        if chain.blocks[mid].timestamp <= timestamp:
            low = mid
        else:
            high = mid - 1
    return low


def _events(contract, names: tuple[str, ...], start: int, stop: int) -> list[dict]:
    from ape import chain

    from keepers.core.logs import fetch_logs

    abis = [getattr(contract, name).abi for name in names]
    timestamps: dict[int, int] = {}
    rows = []
    for log in fetch_logs(contract.address, abis, start, stop):
        if log.block_number not in timestamps:
            timestamps[log.block_number] = chain.blocks[log.block_number].timestamp
        row = {str(k): to_jsonable(v) for k, v in log.event_arguments.items()}
        if log.event_name == "InvestorProfileSet":
            profile = log.event_arguments["next"]
            country = (
                profile["country"]
                if isinstance(profile, dict)
                else getattr(profile, "country", None)
            )
            row["next"] = {"country": int(country if country is not None else profile[0])}
        row.update(
            event=log.event_name,
            block=log.block_number,
            timestamp=timestamps[log.block_number],
            tx=to_jsonable(log.transaction_hash),
            log_index=log.log_index,
        )
        rows.append(row)
    return rows


def build_chain_report(
    network_choice: str,
    period_start: int,
    period_end: int,
    jurisdiction: int | None,
    out_dir: Path | None,
) -> tuple[Report, list[Path]]:
    if period_end < period_start:
        raise QuanteraError(
            f"--to ({iso_utc(period_end)}) is before --from ({iso_utc(period_start)})"
        )
    from ape import chain, project

    with connected(network_choice) as record:
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        token = project.SecurityToken.at(record.address_of("SecurityToken"))
        stop = _last_block_at_or_before(period_end)
        start = record.block or 0
        events = (
            []
            if stop < start
            else (
                _events(registry, REGISTRY_EVENTS, start, stop)
                + _events(token, TOKEN_EVENTS, start, stop)
            )
        )
        block = max(min(stop, chain.blocks.head.number), 0)
        block_timestamp = int(chain.blocks[block].timestamp)
        try:  # whole units in the PDF when the token says its unit; base units otherwise
            symbol, decimals = str(token.symbol()), int(token.decimals())
        except Exception:  # noqa: BLE001 - a token that cannot say is reported in base units
            symbol, decimals = None, None
    report = build_report(events, period_start, period_end, jurisdiction)
    report.token, report.block, report.block_timestamp = token.address, block, block_timestamp
    report.token_symbol, report.token_decimals = symbol, decimals
    # The record's contracts by name, and its address book's accounts (a contract keeps its name).
    named = dict(record.accounts) | {to_checksum_address(a): n for n, a in record.contracts.items()}
    report.names = {
        a: named[to_checksum_address(a)]
        for a in sorted(shown_addresses(report))
        if to_checksum_address(a) in named
    }
    return report, (write_report(report, out_dir) if out_dir else [])
