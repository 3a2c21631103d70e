"""What a fund vault owes its fee recipient, and which collections the fee keeper makes. Pure: no
chain access (keepers/lifecycle/collecting.py reads the inputs and sends the collections).

What is owed (docs/lifecycle.md, "Fees and instant liquidity"): the vault holds for the fee
schedule's recipient the fee shares owed (`heldFees().shares`: subscription fees' part of the
claimed shares and the management fee accrued up to the vault's management clock) and the fee
assets held (`heldFees().assets`: redemption and instant fees). Between two accruals the
management fee keeps accruing per second, `managementFeeShares(vault, supply + owed, elapsed)`
new shares (`IFeeSchedule`); `accrueFees` crystallises it into the shares owed and `collectFees`
pays shares and assets to the recipient.

When the keeper collects: something is due (shares owed, assets held or management fee accruing)
and the vault's last confirmed collection is at least `min_interval_seconds` old (the management
fee accrues every second: without an interval a keeper would collect dust every block). At most
`MAX_COLLECTIONS_PER_CYCLE` collections a cycle, the funds least recently collected first (never
collected: first of all), so no fund waits behind the others for more than a few cycles.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from keepers.core.errors import QuanteraError

# Collections sent in one cycle at most (each is one or two transactions); the rest wait.
MAX_COLLECTIONS_PER_CYCLE = 8
# A vault is collected at most once per this many seconds (by default a day).
COLLECT_INTERVAL_ENV = "QUANTERA_FEE_COLLECT_INTERVAL"
DEFAULT_COLLECT_INTERVAL_SECONDS = 86_400
ZERO_ADDRESS = "0x" + "00" * 20


def collect_interval_seconds(value: str | None = None) -> int:
    """The interval between two collections of a vault: `value`, else
    $QUANTERA_FEE_COLLECT_INTERVAL, else a day. A whole number of seconds, not negative."""
    text = value if value is not None else os.environ.get(COLLECT_INTERVAL_ENV)
    if text is None or text == "":
        return DEFAULT_COLLECT_INTERVAL_SECONDS
    try:
        seconds = int(text)
    except ValueError:
        raise QuanteraError(f"collect interval {text!r} is not a whole number of seconds") from None
    if seconds < 0:
        raise QuanteraError(f"collect interval {seconds} is negative")
    return seconds


@dataclass(frozen=True)
class FeesDue:
    """A vault's fees as read at `at`: shares owed and assets held (`heldFees`), the management
    fee accrued since the vault's clock `accrued_at` and not crystallised yet, the recipient."""

    at: int
    owed_shares: int
    held_assets: int
    accruing_shares: int
    accrued_at: int
    recipient: str

    def __post_init__(self):
        for name in ("owed_shares", "held_assets", "accruing_shares"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} {getattr(self, name)} is negative")

    @property
    def shares(self) -> int:
        """Shares the recipient gets if the management fee is crystallised first."""
        return self.owed_shares + self.accruing_shares

    @property
    def nothing_due(self) -> bool:
        return self.shares == 0 and self.held_assets == 0

    def as_record(self) -> dict:
        """JSON-safe (amounts as strings: they exceed 64 bits)."""
        return {
            "at": self.at,
            "owed_shares": str(self.owed_shares),
            "held_assets": str(self.held_assets),
            "accruing_shares": str(self.accruing_shares),
            "accrued_at": self.accrued_at,
            "recipient": self.recipient,
        }


def hold_reason(
    due: FeesDue, last_collected_at: int | None, min_interval_seconds: int
) -> str | None:
    """Why no collection is made now (None: collect): nothing due, no recipient to pay, or the
    vault's last collection too recent."""
    if due.nothing_due:
        return "nothing due"
    if due.recipient.lower() == ZERO_ADDRESS:
        return "the fee schedule names no recipient"
    if last_collected_at is not None and due.at < last_collected_at + min_interval_seconds:
        return (
            f"collected at {last_collected_at}, less than {min_interval_seconds} s before {due.at}"
        )
    return None


def collection_order(last_collected: Iterable[tuple[str, int | None]]) -> list[str]:
    """Vaults (`(vault, last collection time or None)`) in the order the keeper tries them: never
    collected first, then the least recently collected; ties in the order given."""
    listed = list(last_collected)
    return [
        vault
        for _, _, vault in sorted(
            (-1 if at is None else at, i, vault) for i, (vault, at) in enumerate(listed)
        )
    ]
