"""Issue 33 §1: the README's command table names only what the CLI has. Its `quantera` rows carry
placeholders (`--network …`, `ALIAS`), so they cannot run as written (the served-demo block can,
and does: tests/keepers/console/test_readme_cli.py); here each row's command path is resolved in
the CLI's own click tree (every alternative of `a|b`), and every option it names must be one of
that command's, or of a group above it. The `--help` row's list of groups and subcommands too."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from keepers.cli import cli as main

ROOT = Path(__file__).resolve().parents[3]
PREFIX = ".venv/bin/quantera"


def _table_rows() -> list[tuple[str, str]]:
    """The README table rows whose command starts with `quantera`: (first cell, second cell)."""
    rows = []
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith(f"| `{PREFIX}"):
            continue
        # A cell separator is a `|` not escaped as `\|`.
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0].replace("\\|", "|"), cells[1].replace("\\|", "|")))
    return rows


def _invocations(cell: str) -> list[str]:
    """The commands of a first cell: each code span, and each part of one split by ` / `, without
    the binary (a later span may leave it out: `signal predict …`)."""
    spans = re.findall(r"`([^`]*)`", cell)
    out = []
    for span in spans:
        for part in span.split(" / "):
            part = part.strip()
            out.append(part.removeprefix(PREFIX).strip())
    return out


def _resolve(words: list[str]) -> list[list[click.Command]]:
    """The command paths `words` name in the CLI: the groups walked, then the command; several
    paths for `a|b|c` (each alternative the first word of its `|` part). A word that is no
    subcommand ends the walk (an argument: `console sign BATCH.json`, `deployments name 0x…`;
    or the command itself takes options: `console [--port …]`)."""
    ctx = click.Context(main)
    path: list[click.Command] = [main]
    for k, word in enumerate(words):
        group = path[-1]
        if not isinstance(group, click.Group) or word.startswith(("-", "[", "(", "…")):
            break
        if "|" in word:
            # `(AMOUNT | all)` is a choice of values, `(--account … | --identity …)` of options.
            rest = re.sub(r"\([^)]*\)", "", " ".join(words[k:]))
            firsts = [part.split()[0] for part in rest.split("|") if part.split()]
            names = [n for n in firsts if not n.startswith(("-", "(", "["))]
            found = [group.get_command(ctx, name) for name in names]
            missing = [n for n, f in zip(names, found, strict=True) if f is None]
            assert not missing, f"{' '.join(words)}: no subcommand {missing} of {group.name}"
            return [[*path, f] for f in found]
        command = group.get_command(ctx, word)
        if command is None:
            # An argument of a group that runs on its own; a group that needs a subcommand was
            # given a word that is none (a misspelled subcommand).
            assert group.invoke_without_command, f"{' '.join(words)}: no subcommand {word!r}"
            break
        path.append(command)
    return [path]


def _options(text: str) -> list[str]:
    """Every `--option` named (`--commit/--no-commit` both; `--x=value` its name)."""
    names = []
    for found in re.findall(r"--[a-z][a-z0-9-]*(?:/--[a-z][a-z0-9-]*)?", text):
        names += found.split("/")
    return names


def _known_options(path: list[click.Command]) -> set[str]:
    known = {"--help"}
    for command in path:
        for param in command.params:
            known |= set(getattr(param, "opts", ())) | set(getattr(param, "secondary_opts", ()))
    return known


ROWS = _table_rows()


def test_readme_table__has_the_cli_rows():
    """The table is read (not silently empty): the groups the console's pages have are there."""
    commands = " ".join(c for cell, _ in ROWS for c in _invocations(cell))
    for group in ("console", "route", "margin", "report", "compliance", "risk", "signal"):
        assert re.search(rf"(^|\s){group}\s", commands), group
    assert len(ROWS) >= 15


@pytest.mark.parametrize("cell", [cell for cell, _ in ROWS], ids=lambda c: c[:60])
def test_readme_table__each_command_and_option_is_the_cli_s(cell):
    """Each row's command resolves in the CLI, and each option it names is that command's (or,
    for `a|b`, at least one alternative's: `--keep` is `borrow`'s) or a group's above it."""
    for invocation in _invocations(cell):
        words = invocation.split()
        paths = _resolve(words)
        options = _options(invocation)
        for option in options:
            assert any(option in _known_options(path) for path in paths), (
                f"`quantera {invocation}`: {option} is not an option of "
                + ", ".join(" ".join(c.name or "quantera" for c in p) for p in paths)
            )


def test_readme_table__the_help_row_s_groups_and_subcommands_exist():
    """The `--help` row lists every group of the CLI as `group sub|sub`, each subcommand one of
    the group's."""
    [(_, what)] = [(cell, what) for cell, what in ROWS if cell == f"`{PREFIX} --help`"]
    pairs = re.findall(r"`([a-z]+) ([a-z|-]+)`", what)
    ctx = click.Context(main)
    assert {group for group, _ in pairs} == set(main.list_commands(ctx))
    for group_name, subs in pairs:
        group = main.get_command(ctx, group_name)
        assert isinstance(group, click.Group), group_name
        for sub in subs.split("|"):
            assert group.get_command(ctx, sub) is not None, f"{group_name} {sub}"
