"""What every bot needs from its environment: the deployment record of the connected network."""

from __future__ import annotations

from ape import chain

from keepers.deployments import DeploymentRecord, load, record_path


def connected_record() -> DeploymentRecord:
    network = chain.provider.network
    record = load(record_path(f"{network.ecosystem.name}:{network.name}"))
    if record.chain_id != chain.chain_id:
        raise RuntimeError(
            f"deployment record is for chain {record.chain_id}, provider is on {chain.chain_id}"
        )
    return record
