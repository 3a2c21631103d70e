"""DEMO-5: the demo is a list of per-domain acts, each in its domain's module, chosen by name with
the acts it builds on, each given only the stage (no act reaches into another's outcome)."""

import ast
from pathlib import Path

import pytest

from keepers.core.errors import QuanteraError
from keepers.demo.acts import ACTS, BY_NAME, choose
from keepers.demo.run import KEEPERS, _keepers_of

DEMO = Path(__file__).resolve().parents[3] / "keepers" / "demo"


def test_choose__none__every_act_in_run_order():
    assert [a.name for a in choose()] == [
        "governance",
        "compliance",
        "liquidity",
        "risk",
        "rebalancing",
        "lifecycle",
        "prime",
    ]
    assert choose() == ACTS


def test_choose__one_act__it_and_the_acts_it_builds_on_in_run_order():
    assert [a.name for a in choose(["rebalancing"])] == ["risk", "rebalancing"]
    assert [a.name for a in choose(["prime", "compliance"])] == ["compliance", "prime"]
    assert [a.name for a in choose(["prime"])] == ["prime"]
    assert [a.name for a in choose(["risk", "rebalancing", "risk"])] == ["risk", "rebalancing"]


def test_choose__unknown_name__one_line_error_naming_the_known_acts():
    with pytest.raises(QuanteraError) as err:
        choose(["prime", "orderbook"])
    message = str(err.value)
    assert "\n" not in message and "orderbook" in message
    assert all(name in message for name in BY_NAME)


def test_acts__keepers_known__after_earlier__only_the_needed_keepers_start():
    names = [a.name for a in ACTS]
    for act in ACTS:
        assert set(act.keepers) <= set(KEEPERS), act.name
        assert all(names.index(before) < names.index(act.name) for before in act.after)
    # An act without keepers starts none; the whole demo starts the three.
    assert _keepers_of(choose(["prime"])) == ()
    assert _keepers_of(choose(["lifecycle"])) == ()
    assert _keepers_of(choose(["rebalancing"])) == ("risk",)
    assert _keepers_of(ACTS) == ("governance", "screening", "risk")


def test_acts__each_in_its_domains_module__run_orchestrates_none_of_their_work():
    """run.py names no domain's exercise: it starts the chain, deploys, runs the chosen acts and
    prints their tables and checks; each act's module holds its act (ACT)."""
    for act in ACTS:
        module = act.run.__module__
        assert module.startswith("keepers.demo.") and module != "keepers.demo.run", act.name
    tree = ast.parse((DEMO / "run.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not {n for n in imported if n.startswith("exercise_")}, imported
    assert len((DEMO / "run.py").read_text().splitlines()) < 320
