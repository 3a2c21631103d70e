"""Reader rows (the pages' JSON-able dicts) into GraphQL objects: a type's fields are named as
the reader's keys, so a row becomes an object by its field names; what differs is passed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


@strawberry.enum(description="A figure against its limit, as the page colours it.")
class Level(Enum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"


def from_row(cls: type[T], row: Mapping[str, Any], **given: Any) -> T:
    """`cls` with each field taken from `row[name]` (a field with a default may be missing),
    unless `given`; `level` and `*_level` fields become Level."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.name in given:
            continue
        optional = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        if f.name in row:
            values[f.name] = row[f.name]
        elif not optional:
            raise KeyError(f"{cls.__name__}: the reader's row has no {f.name!r}")
        if (f.name == "level" or f.name.endswith("_level")) and f.name in values:
            values[f.name] = Level(values[f.name])  # the readers' ok / warn / bad
    return cls(**values, **given)
