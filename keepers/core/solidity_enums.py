"""The project's Solidity enums, read from the sources (`contracts/` and `interfaces/`): the member
a revert's or an event's `uint8` stands for, so that a person reads `rule=Vol`, not `rule=7`, and a
test names the member instead of keeping a copy of its number. The sources are the one record;
nothing here is kept by hand (tests/keepers/core/test_solidity_enums.py checks every enum parses
and that no two enums of one name disagree). The keepers run from the repository, as ape's project
does (its ABIs are the repository's build): the sources are beside them."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("contracts", "interfaces")
# A scope's opening (`contract C ... {`), an enum (whole), or any other brace.
_TOKEN = re.compile(
    r"\b(?:abstract\s+)?(?:contract|interface|library)\s+(\w+)[^{;]*\{"
    r"|\benum\s+(\w+)\s*\{([^}]*)\}"
    r"|[{}]"
)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_MEMBER = re.compile(r"^[A-Za-z_]\w*$")


class EnumConflict(ValueError):
    """Two Solidity enums of one name with different members."""


def parse_enums(text: str) -> dict[str, tuple[str, ...]]:
    """Every `enum Name { A, B, ... }` of one source text, comments removed, in declaration order:
    a file-level enum by its name, one declared in a contract as `Contract.Name` (as the ABI's
    `internalType` names it)."""
    found: dict[str, tuple[str, ...]] = {}
    scopes: list[str | None] = []  # the open braces: a contract's name, or None
    for m in _TOKEN.finditer(_COMMENT.sub("", text)):
        scope_name, enum, body = m.group(1), m.group(2), m.group(3)
        if scope_name is not None:
            scopes.append(scope_name)
        elif enum is not None:
            members = tuple(x.strip() for x in body.split(",") if x.strip())
            bad = [x for x in members if not _MEMBER.match(x)]
            if bad or not members:
                raise ValueError(f"enum {enum}: cannot read members {bad or body!r}")
            owner = next((s for s in reversed(scopes) if s is not None), None)
            found[f"{owner}.{enum}" if owner else enum] = members
        elif m.group(0) == "{":
            scopes.append(None)
        elif scopes:
            scopes.pop()
    return found


@cache
def solidity_enums(root: Path = ROOT) -> dict[str, tuple[str, ...]]:
    """Every enum of the project's sources by name (the dependency cache is not read)."""
    enums: dict[str, tuple[str, ...]] = {}
    where: dict[str, Path] = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / folder).rglob("*.sol")):
            # The dependency cache under contracts/, not a `.cache` above the checkout.
            if ".cache" in path.relative_to(root).parts:
                continue
            for name, members in parse_enums(path.read_text()).items():
                if name in enums and enums[name] != members:
                    raise EnumConflict(f"enum {name} differs in {where[name]} and {path}")
                enums[name] = members
                where[name] = path
    return enums


def member(enum: str, name: str) -> int:
    """The value of `enum.name` (KeyError/ValueError naming what is missing)."""
    members = solidity_enums().get(enum)
    if members is None:
        raise KeyError(f"no Solidity enum {enum}")
    try:
        return members.index(name)
    except ValueError:
        raise ValueError(
            f"enum {enum} has no member {name} (it has {', '.join(members)})"
        ) from None


def member_name(internal_type: str | None, value: object) -> str | None:
    """The member's name for an ABI input of `internal_type` "enum X" (or "enum C.X") holding
    `value`; None for any other type, an unknown enum, or a value past its last member."""
    if not internal_type or not internal_type.startswith("enum "):
        return None
    try:
        members = solidity_enums().get(internal_type[5:])
    except (OSError, ValueError):  # unreadable sources, EnumConflict: show the number, not this
        return None
    if members is None or not isinstance(value, int) or not 0 <= value < len(members):
        return None
    return members[value]
