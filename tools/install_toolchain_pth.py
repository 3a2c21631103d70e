"""Make the project's toolchain visible to every process started from the virtualenv.

Writes a ``.pth`` file into the venv's site-packages. Python runs ``import`` lines of ``.pth`` files
at start-up, so ``.venv/bin/ape`` and ``.venv/bin/quantera`` find the solc-js front (through
``SOLCX_BINARY_PATH``, read by py-solc-x) and ``anvil`` (on ``PATH``, looked up by ape-foundry)
without the caller activating anything. Values already set in the environment win.

Usage: python tools/install_toolchain_pth.py <solcx-dir> <node-bin-dir>
"""

import sys
import sysconfig
from pathlib import Path


def main(solcx_dir: str, node_bin_dir: str) -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"])
    line = (
        "import os; "
        f"os.environ.setdefault('SOLCX_BINARY_PATH', {solcx_dir!r}); "
        f"os.environ['PATH'] = os.pathsep.join([{node_bin_dir!r}] + "
        f"[p for p in os.environ.get('PATH', '').split(os.pathsep) if p != {node_bin_dir!r}])\n"
    )
    (site_packages / "quantera_toolchain.pth").write_text(line)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: install_toolchain_pth.py <solcx-dir> <node-bin-dir>")
    main(sys.argv[1], sys.argv[2])
