"""The main job: `ape run demo --blocks N` (what `make demo` runs). See keepers/demo/run.py."""

import sys
from pathlib import Path

import click

from keepers.core.errors import QuanteraError
from keepers.demo.acts import BY_NAME
from keepers.demo.run import run_demo


@click.command()
@click.option(
    "--blocks",
    type=click.IntRange(1, 10_000),
    default=40,
    show_default=True,
    help="How many blocks the keepers run for before the demo stops them.",
)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where logs, the deployment record and the keeper store go (default: a new temp folder).",
)
@click.option(
    "--serve",
    is_flag=True,
    help="After the summary, keep the chain and its keepers up for `quantera console` until "
    "Ctrl-C.",
)
@click.option(
    "--serve-keepers/--serve-without-keepers",
    default=True,
    show_default=True,
    help="With --serve: restart the keepers for the served chain (a test session that only reads "
    "the chain leaves them off: they would poll every block for nothing).",
)
@click.option(
    "--act",
    "acts",
    multiple=True,
    type=click.Choice(list(BY_NAME)),
    help="Run only this act (repeatable), with the acts it builds on (default: every act).",
)
def cli(blocks: int, workdir: Path | None, serve: bool, serve_keepers: bool, acts: tuple[str, ...]):
    """Start a private anvil, deploy Quantera, run the keepers, run the acts (each domain's part
    of the demo), print what happened, stop everything (with --serve: once interrupted)."""
    try:
        code = run_demo(blocks, workdir, serve, serve_keepers=serve_keepers, act_names=acts)
    except QuanteraError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    sys.exit(code)
