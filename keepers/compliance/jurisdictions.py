"""Jurisdiction defaults (keepers/data/jurisdictions.yaml) -> ComplianceEngine.setJurisdictions
args."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from keepers.core.errors import QuanteraError

INVESTOR_CLASSES = {"retail": 1, "accredited": 2, "qualified": 3, "institutional": 4}
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class JurisdictionDefault:
    iso: int
    name: str
    allowed: bool
    min_class: int
    holder_cap: int
    non_accredited_cap: int
    flowback_days: int
    source: str

    def config(self, deployed_at: int) -> tuple:
        """The JurisdictionConfig tuple, with the flowback window counted from `deployed_at`."""
        inbound_closed_until = (
            deployed_at + self.flowback_days * SECONDS_PER_DAY if self.flowback_days else 0
        )
        return (
            self.allowed,
            self.min_class,
            self.holder_cap,
            self.non_accredited_cap,
            inbound_closed_until,
        )


def default_path() -> Path:
    return Path(str(resources.files("keepers") / "data" / "jurisdictions.yaml"))


def load_jurisdictions(path: Path | None = None) -> list[JurisdictionDefault]:
    path = path or default_path()
    try:
        entries = yaml.safe_load(path.read_text())["defaults"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise QuanteraError(f"cannot read jurisdiction defaults from {path}: {err}") from None
    result: list[JurisdictionDefault] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries, start=1):
        try:
            iso = int(entry["iso"])
            if not 1 <= iso <= 999 or iso in seen:
                raise ValueError(f"iso {iso} out of range or repeated")
            if not str(entry.get("source", "")).strip():
                raise ValueError("missing source")
            allowed = bool(entry["allowed"])
            min_class = INVESTOR_CLASSES[entry.get("min_class", "retail")] if allowed else 1
            result.append(
                JurisdictionDefault(
                    iso=iso,
                    name=str(entry["name"]),
                    allowed=allowed,
                    min_class=min_class,
                    holder_cap=int(entry.get("holder_cap", 0)),
                    non_accredited_cap=int(entry.get("non_accredited_cap", 0)),
                    flowback_days=int(entry.get("flowback_days", 0)),
                    source=str(entry["source"]),
                )
            )
            seen.add(iso)
        except (KeyError, ValueError, TypeError) as err:
            raise QuanteraError(
                f"{path}: entry {index} ({entry.get('name', '?')}): {err}"
            ) from None
    return result
