"""The live deployment's gas pre-flight (scripts/deploy.py `estimated_gas`) counts every contract
the deployment still has to create, the per-build modules included (the token family's admin and
the vault's basket; review of the token split, M-1: the admin module was left out, so a deployer
funded to the estimate ran dry about 2.2M gas short).
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


def test_estimated_gas__each_module_counted_until_this_builds_is_recorded():
    script = _script()
    everything = {name: "0x" + "11" * 20 for name in script.LIVE_CONTRACTS}
    admin, basket = build_name("TokenAdmin"), build_name("PortfolioBasket")
    engines, vaults = build_name("ComplianceAdmin"), build_name("PortfolioAdmin")
    record = {
        **everything,
        admin: "0x" + "22" * 20,
        basket: "0x" + "33" * 20,
        engines: "0x" + "44" * 20,
        vaults: "0x" + "55" * 20,
    }

    def estimate(contracts: dict) -> int:
        record = DeploymentRecord("ethereum:sepolia", 11155111, 1, contracts)
        return script.estimated_gas(record) - script.CONFIGURATION_GAS

    assert estimate(record) == 0
    # TokenAdmin's creation: more than its 8 kB of runtime code at 200 gas a byte; the vault's
    # basket module's: more than its 4 kB.
    assert estimate({k: v for k, v in record.items() if k != admin}) > 1_600_000
    assert estimate({k: v for k, v in record.items() if k != basket}) > 800_000
    # The compliance engines' admin module (12 kB) and the vault's (3 kB).
    assert estimate({k: v for k, v in record.items() if k != engines}) > 2_400_000
    assert estimate({k: v for k, v in record.items() if k != vaults}) > 600_000
