"""UPG-6's checks that need no chain: the build they compare is of the sources as they stand
(the hash `make build` stamps, computed here the Makefile's way), and `ape run upgrade` answers
any failure in one line (an attacker's read of 8b9768b: a missing `node`, a record for another
chain, a node's error came out as tracebacks)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import click
import pytest

from keepers.access import UpgradeRefused, check_build_current
from keepers.access.upgrade_plan import sources_hash

ROOT = Path(__file__).resolve().parents[3]


def _tree(root: Path) -> None:
    for path, text in {
        "ape-config.yaml": "name: x\n",
        "contracts/A.sol": "contract A {}\n",
        "contracts/lib/B.sol": "contract B {}\n",
        "contracts/.cache/dep/C.sol": "contract C {}\n",
        "interfaces/I.sol": "interface I {}\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def _makefile_hash(root: Path) -> str:
    """The Makefile's own pipeline (its `build` target), run in `root`."""
    command = (
        "find contracts interfaces -name '*.sol' -not -path 'contracts/.cache/*' | LC_ALL=C sort "
        "| xargs sha256sum ape-config.yaml | sha256sum | cut -c1-64"
    )
    return subprocess.run(
        ["bash", "-c", command], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_upg_6__build_stamp__the_makefiles_hash__a_source_edited_since_refused(tmp_path):
    _tree(tmp_path)
    assert sources_hash(tmp_path) == _makefile_hash(tmp_path)
    stamp = tmp_path / ".build" / ".sources.sha256"
    stamp.parent.mkdir()
    stamp.write_text(_makefile_hash(tmp_path) + "\n")
    check_build_current(stamp, tmp_path)
    (tmp_path / "contracts/lib/B.sol").write_text("contract B { uint x; }\n")
    with pytest.raises(UpgradeRefused, match="run `make build`"):
        check_build_current(stamp, tmp_path)
    # The dependency cache is not the project's: an edit there changes nothing.
    (tmp_path / "contracts/lib/B.sol").write_text("contract B {}\n")
    (tmp_path / "contracts/.cache/dep/C.sol").write_text("contract C { uint y; }\n")
    check_build_current(stamp, tmp_path)
    stamp.unlink()
    with pytest.raises(UpgradeRefused):
        check_build_current(stamp, tmp_path)


def test_upg_6__script__any_failure_one_line():
    spec = importlib.util.spec_from_file_location("upgrade_script", ROOT / "scripts/upgrade.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    def missing_node():
        raise FileNotFoundError("[Errno 2] No such file or directory: 'node'\nmore")

    with pytest.raises(click.ClickException) as raised:
        script.one_line(missing_node)
    assert raised.value.message == (
        "FileNotFoundError: [Errno 2] No such file or directory: 'node'"
    )
    with pytest.raises(click.ClickException) as raised:
        script.one_line(lambda: (_ for _ in ()).throw(UpgradeRefused("refused\nwhy")))
    assert raised.value.message == "refused"
