"""The live deployment's gas pre-flight (scripts/deploy.py `estimated_gas`) counts every contract
the deployment still has to create, the token family's admin module included (review of the token
split, M-1: it was left out, so a deployer funded to the estimate ran dry about 2.2M gas short).
Compiled artifacts only: no chain."""

import importlib.util
from pathlib import Path

from keepers.core.deploying import build_name
from keepers.core.deployments import DeploymentRecord

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "deploy.py"


def _script():
    spec = importlib.util.spec_from_file_location("quantera_deploy_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_estimated_gas__admin_module_counted_until_this_builds_is_recorded():
    script = _script()
    everything = {name: "0x" + "11" * 20 for name in script.LIVE_CONTRACTS}
    missing_module = DeploymentRecord("ethereum:sepolia", 11155111, 1, dict(everything))
    with_module = DeploymentRecord(
        "ethereum:sepolia", 11155111, 1, {**everything, build_name("TokenAdmin"): "0x" + "22" * 20}
    )
    assert script.estimated_gas(with_module) == script.CONFIGURATION_GAS
    # TokenAdmin's creation: more than its 8 kB of runtime code at 200 gas a byte.
    assert script.estimated_gas(missing_module) - script.CONFIGURATION_GAS > 1_600_000
