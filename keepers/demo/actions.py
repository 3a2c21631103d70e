"""What the demo did, step by step: who, what, outcome (with the revert reason), gas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Action:
    section: str
    who: str
    what: str
    outcome: str
    gas_used: int | None


@dataclass
class ActionLog:
    actions: list[Action] = field(default_factory=list)

    def act(
        self,
        section: str,
        who: str,
        what: str,
        send: Callable[[], object],
        explain: Callable[[int], str] | None = None,
    ):
        """Sends one transaction; a revert is recorded with its custom error (and, for
        `TransferNotCompliant`, the reason code and its message) instead of stopping the demo."""
        from ape.exceptions import ContractLogicError

        try:
            receipt = send()
        except ContractLogicError as err:
            name = type(err).__name__
            code = getattr(err, "inputs", {}).get("reasonCode") if hasattr(err, "inputs") else None
            outcome = f"refused: {name}"
            if code is not None:
                outcome += f" (code {code}: {explain(code) if explain else ''})"
            self.actions.append(Action(section, who, what, outcome, None))
            return None
        # Several transactions in one step (a replay) carry no single gas figure.
        self.actions.append(Action(section, who, what, "ok", getattr(receipt, "gas_used", None)))
        return receipt if receipt is not None else True

    def record(self, section: str, who: str, what: str, outcome: str) -> None:
        """Records a step whose outcome the caller worked out (e.g. a refusal with its limit)."""
        self.actions.append(Action(section, who, what, outcome, None))

    def section(self, name: str) -> list[Action]:
        return [a for a in self.actions if a.section == name]
