"""The demo's acts, in the order `make demo` runs them, and the choice of a few
(`ape run demo --act NAME`, `make demo ACTS="NAME ..."`): a chosen act brings the acts it builds
on (`Act.after`), and the chosen acts run in this order."""

from __future__ import annotations

from keepers.core.errors import QuanteraError
from keepers.demo import compliance, governance, lifecycle_act, liquidity, prime, rebalancing, risk
from keepers.demo.stage import Act

ACTS: tuple[Act, ...] = (
    governance.ACT,
    compliance.ACT,
    liquidity.ACT,
    risk.ACT,
    rebalancing.ACT,
    lifecycle_act.ACT,
    prime.ACT,
)
BY_NAME = {act.name: act for act in ACTS}


def choose(names: tuple[str, ...] | list[str] = ()) -> tuple[Act, ...]:
    """The acts named (all of them when none is), with every act they build on, in run order.
    An unknown name is a one-line error listing the known ones."""
    if not names:
        return ACTS
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise QuanteraError(f"no demo act named {', '.join(unknown)} (acts: {', '.join(BY_NAME)})")
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(BY_NAME[name].after)
    return tuple(act for act in ACTS if act.name in wanted)
