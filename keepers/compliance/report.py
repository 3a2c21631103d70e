"""Regulatory report (pure): transactions, freezes and holders per jurisdiction, rebuilt from chain
events given as plain dicts (see report_chain.py for the fetching).

Event dicts carry `event`, `block`, `timestamp`, `tx`, `log_index` and the event's arguments.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

ZERO = "0x0000000000000000000000000000000000000000"


@dataclass
class Report:
    period_start: int
    period_end: int
    jurisdiction: int | None
    transactions: list[dict] = field(default_factory=list)
    freezes: list[dict] = field(default_factory=list)
    holders: list[dict] = field(default_factory=list)
    total_supply: int = 0
    # Read from the chain (None when built from given events): the token, and the last block read
    # (the last at or before the period's end) with its time.
    token: str | None = None
    block: int | None = None
    block_timestamp: int | None = None
    # The token's symbol and decimals (amounts stay in base units here and in the CSV files; the
    # PDF shows them in whole units), and the deployment record's name of each address the
    # report shows that the record names (a vault, a desk, the broker; a client its address book
    # names).
    token_symbol: str | None = None
    token_decimals: int | None = None
    names: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _ordered(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (e["block"], e["log_index"]))


def build_report(
    events: list[dict], period_start: int, period_end: int, jurisdiction: int | None = None
) -> Report:
    """`events`: every registry and token event from deployment up to the end of the period."""
    report = Report(period_start, period_end, jurisdiction)
    wallet_identity: dict[str, str] = {}
    identity_country: dict[str, int] = {}
    balances: dict[str, int] = defaultdict(int)
    special: dict[str, str] = {}  # tx hash -> forced / recovery
    events = [e for e in _ordered(events) if e["timestamp"] <= period_end]
    for e in events:
        if e["event"] == "ForcedTransfer":
            special[e["tx"]] = "forced-transfer"
        elif e["event"] == "RecoverySuccess":
            special[e["tx"]] = "recovery"

    def country_of(wallet: str) -> int | None:
        identity = wallet_identity.get(wallet.lower())
        return identity_country.get(identity) if identity else None

    def in_scope(*countries) -> bool:
        return jurisdiction is None or jurisdiction in countries

    for e in events:
        kind = e["event"]
        in_period = e["timestamp"] >= period_start
        if kind == "IdentityRegistered":
            wallet_identity[e["investorAddress"].lower()] = e["identity"].lower()
        elif kind == "IdentityRemoved":
            wallet_identity.pop(e["investorAddress"].lower(), None)
        elif kind == "InvestorProfileSet":
            identity_country[e["identity"].lower()] = int(e["next"]["country"])
        elif kind == "Transfer":
            sender, recipient, amount = e["from"], e["to"], int(e["value"])
            if sender != ZERO:
                balances[sender.lower()] -= amount
            if recipient != ZERO:
                balances[recipient.lower()] += amount
            if not in_period:
                continue
            from_country = country_of(sender) if sender != ZERO else None
            to_country = country_of(recipient) if recipient != ZERO else None
            if not in_scope(from_country, to_country):
                continue
            category = (
                "mint"
                if sender == ZERO
                else "burn"
                if recipient == ZERO
                else special.get(e["tx"], "transfer")
            )
            report.transactions.append(
                {
                    "block": e["block"],
                    "timestamp": e["timestamp"],
                    "tx": e["tx"],
                    "type": category,
                    "from": sender,
                    "to": recipient,
                    "amount": amount,
                    "from_country": from_country,
                    "to_country": to_country,
                }
            )
        # the registry's sanctions freeze (identity-wide)
        elif kind == "WalletFrozen" and in_period:
            wallet = e["wallet"]
            if not in_scope(country_of(wallet)):
                continue
            report.freezes.append(
                {
                    "block": e["block"],
                    "timestamp": e["timestamp"],
                    "tx": e["tx"],
                    "type": "SanctionsFreeze",
                    "wallet": wallet,
                    "frozen": e.get("frozen"),
                    "amount": None,
                    "by": e.get("by"),
                    "country": country_of(wallet),
                }
            )
        elif kind in ("AddressFrozen", "TokensFrozen", "TokensUnfrozen") and in_period:
            wallet = e["userAddress"]
            if not in_scope(country_of(wallet)):
                continue
            report.freezes.append(
                {
                    "block": e["block"],
                    "timestamp": e["timestamp"],
                    "tx": e["tx"],
                    "type": kind,
                    "wallet": wallet,
                    "frozen": e.get("isFrozen"),
                    "amount": e.get("amount"),
                    "by": e.get("owner"),
                    "country": country_of(wallet),
                }
            )
    identity_balance: dict[str, int] = defaultdict(int)
    unregistered = 0
    for wallet, balance in balances.items():
        identity = wallet_identity.get(wallet)
        if identity is None:
            unregistered += balance
        else:
            identity_balance[identity] += balance
    per_country: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for identity, balance in identity_balance.items():
        if balance > 0:
            country = identity_country.get(identity, 0)
            per_country[country][0] += 1
            per_country[country][1] += balance
    report.holders = [
        {"country": country, "holders": count, "balance": balance}
        for country, (count, balance) in sorted(per_country.items())
        if in_scope(country)
    ]
    if unregistered and jurisdiction is None:
        report.holders.append({"country": None, "holders": None, "balance": unregistered})
    report.total_supply = sum(b for b in balances.values() if b > 0)
    return report


def shown_addresses(report: Report) -> set[str]:
    """Every address the report's rows show (senders, recipients, frozen wallets, agents)."""
    found = {t[k] for t in report.transactions for k in ("from", "to")}
    found |= {f[k] for f in report.freezes for k in ("wallet", "by") if f.get(k)}
    return {a for a in found if isinstance(a, str)}


def write_report(report: Report, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (
        ("transactions", report.transactions),
        ("freezes", report.freezes),
        ("holders", report.holders),
    ):
        path = out_dir / f"{name}.csv"
        columns = list(rows[0]) if rows else []
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            if columns:
                writer.writeheader()
                writer.writerows(rows)
        written.append(path)
    path = out_dir / "report.json"
    path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    written.append(path)
    return written
