"""LCY-16, LCY-13 (who may call what, as deployed): the lifecycle's deploy steps
(keepers/lifecycle/deploy.py) wire every restricted function of the settlement assets and the
instrument registry to the role keepers/access/protocol.py names — and nothing else: issuers'
and operators' functions are the registry's own checks — in one transaction per contract, and a
second run sends nothing."""

import ape
import pytest

from compliance_fixtures import extend
from keepers.access import ROLE_IDS
from keepers.access.protocol import FUNCTION_ROLES, selectors
from keepers.core.artifacts import project_at
from keepers.lifecycle import deploy_lifecycle
from keepers.risk import deploy_oracle

# The lifecycle's wiring as scripts/deploy.py's CONFIGURATION_GAS counts it (two transactions).
LIFECYCLE_WIRING_GAS_BOUND = 250_000


@pytest.fixture
def fresh(stack_deployment, deployer, chain):
    d = extend(stack_deployment)
    deploy_oracle(d)
    nonce = deployer.nonce
    registry = deploy_lifecycle(d)
    return d, registry, nonce


def test_deploy_lifecycle__restricted_functions_wired_to_their_roles(fresh, deployer, chain):
    d, registry, nonce = fresh
    manager = d.at("QuanteraAccessManager")
    for name in ("InstrumentRegistry", "SettlementAssets"):
        contract = d.at(name)
        for role, functions in FUNCTION_ROLES[name].items():
            for selector in selectors(contract.contract_type, functions):
                assert manager.getTargetFunctionRole(contract, selector) == ROLE_IDS[role]
    # The issuers' functions are not role-gated (ADMIN, the default, is never consulted: they are
    # not `restricted`); an unwired restricted function would be ADMIN's.
    open_functions = ("register", "activate", "suspend", "mature", "close", "strikeNav")
    for selector in selectors(registry.contract_type, open_functions):
        assert manager.getTargetFunctionRole(registry, selector) == ROLE_IDS["ADMIN"]
    assert d.at("TermsValidator").settlementAssets() == d.address("SettlementAssets")
    assert registry.settlementAssets() == d.address("SettlementAssets")
    assert registry.oracle() == d.address("OracleRouter")
    # Five deployments (SettlementAssets' code and its proxy, TermsValidator, the registry's code
    # and its proxy) and a wiring transaction per AccessManaged contract.
    sent = [r for r in deployer.history if r.nonce >= nonce]
    wiring = [r for r in sent if r.receiver == manager.address]
    assert len(sent) == 7 and len(wiring) == 2
    assert sum(r.gas_used for r in wiring) < LIFECYCLE_WIRING_GAS_BOUND, [
        r.gas_used for r in wiring
    ]
    # UPG-8: SettlementAssets behind a GovernedProxy, initialized by its constructor only.
    for address in (d.address("SettlementAssets"), d.address("SettlementAssets.implementation")):
        target = project_at("SettlementAssets", address)
        with ape.reverts(target.InitializeOutsideConstruction, account=address):
            target.initialize(deployer, sender=deployer)


def test_deploy_lifecycle__second_run__sends_nothing(fresh, deployer):
    d, registry, _ = fresh
    nonce = deployer.nonce
    assert deploy_lifecycle(d).address == registry.address
    assert deployer.nonce == nonce
