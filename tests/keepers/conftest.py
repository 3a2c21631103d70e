import os
import subprocess
import sys
from pathlib import Path

import pytest

from keepers import store
from keepers.demo.processes import ProcessGroup, start_anvil

BIN = Path(sys.executable).parent


@pytest.fixture
def engine(tmp_path):
    return store.open_store(f"sqlite:///{tmp_path / 'keeper.sqlite'}")


@pytest.fixture
def anvil(tmp_path):
    """A private anvil (chain id 1337) on a free port, stopped after the test."""
    group = ProcessGroup(tmp_path)
    try:
        yield start_anvil(group, chain_id=1337)
    finally:
        group.stop_all()


def run_ape(args, deployments_dir):
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(deployments_dir))
    return subprocess.run([str(BIN / "ape"), "run", *args], env=env, capture_output=True, text=True, timeout=300)


def run_quantera(args, deployments_dir, db_url=None):
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(deployments_dir))
    if db_url:
        env["QUANTERA_DB_URL"] = db_url
    return subprocess.run([str(BIN / "quantera"), *args], env=env, capture_output=True, text=True, timeout=300)
