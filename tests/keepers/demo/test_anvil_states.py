"""FND-20: anvil's persisted states stay in the run's folder and go with it. Anvil writes the
states it no longer keeps in memory to disk, by default under `~/.foundry/anvil/tmp`, and never
removes them (one `make test` left 11 GB there). `start_anvil` points them into the process
group's folder, and `ProcessGroup.stop_all` removes them."""

import os
from pathlib import Path

from keepers.demo.processes import ProcessGroup, rpc, start_anvil

BLOCKS = 3_000  # past anvil's in-memory history, so states reach the disk


def _files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder)) if folder.exists() else 0


def test_fnd_20__many_blocks__states_in_the_run_folder_removed_on_stop(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # anvil's default cache is under $HOME/.foundry
    logs = tmp_path / "logs"
    logs.mkdir()
    group = ProcessGroup(logs)
    try:
        url = start_anvil(group, chain_id=1337, block_time_seconds=0)
        rpc(url, "anvil_mine", [hex(BLOCKS)], timeout=300.0)
        # One more transaction-free block, read back: the node has mined them all.
        assert int(rpc(url, "eth_blockNumber"), 16) >= BLOCKS
        states = logs / "anvil-states"
        assert _files(states) > 0, "anvil persisted no state: raise BLOCKS past its memory limit"
    finally:
        group.stop_all()
    assert not states.exists()
    assert _files(home / ".foundry") == 0
