"""The compliance stack as deployed: authority, registry, engine and token, wired by the same
role table the deploy script applies (keepers/access/protocol.py)."""

import pytest

from keepers.access.protocol import wiring
from keepers.access.roles import ROLE_IDS

US, DE, FR, GB, SG, CH, KP = 840, 276, 250, 826, 702, 756, 408
RETAIL, ACCREDITED, QUALIFIED, INSTITUTIONAL = 1, 2, 3, 4
FAR_FUTURE = 2**40 - 1
UNIT = 10**18
ALL_CAPS = 255
MINT, BURN, FREEZE, UNFREEZE, FORCE, RECOVERY, PAUSE, UNPAUSE = (1 << i for i in range(8))


def open_jurisdiction(min_class=RETAIL, holder_cap=0, non_accredited_cap=0, inbound_closed_until=0):
    return (True, min_class, holder_cap, non_accredited_cap, inbound_closed_until)


NO_LIMITS = (0, 0, 0, 0, 0, 0, 0, 0, 0)


def wire(manager, contract, name, admin):
    for role_id, sels in wiring(name, contract.contract_type):
        manager.setTargetFunctionRole(contract, sels, role_id, sender=admin)


@pytest.fixture(scope="session")
def operator(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def agent(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def freezer(accounts):
    """The sanctions keeper's agent: FREEZE only."""
    return accounts[5]


@pytest.fixture(scope="session")
def investors(accounts):
    return accounts[6], accounts[7], accounts[8]


@pytest.fixture(scope="session")
def stack(project, deployer, governor, operator, agent, freezer):
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    manager.grantRole(ROLE_IDS["GOVERNOR"], governor, 0, sender=deployer)
    manager.grantRole(ROLE_IDS["OPERATOR"], operator, 0, sender=deployer)
    zero = "0x0000000000000000000000000000000000000000"
    registry = deployer.deploy(project.IdentityRegistry, manager, 86400)
    # The engine serves one token, fixed at construction: token first, then engine, then bind.
    token = deployer.deploy(project.SecurityToken, manager, "Quantera T-Bill 2027", "QTB27", 18, registry, zero, zero)
    engine = deployer.deploy(project.ComplianceEngine, manager, registry, token)
    for contract, name in ((registry, "IdentityRegistry"), (engine, "ComplianceEngine"), (token, "SecurityToken")):
        wire(manager, contract, name, deployer)
    token.setCompliance(engine, sender=governor)
    registry.setSecurity(token, True, sender=governor)  # as the deploy script lists it (SEC-9)
    token.addAgent(agent, sender=governor)
    token.setAgentCapabilities(freezer, FREEZE, sender=governor)
    for country in (US, DE, FR, GB, SG, CH):
        engine.setJurisdiction(country, open_jurisdiction(), sender=governor)
    token.unpause(sender=agent)
    return manager, registry, engine, token


@pytest.fixture
def registry(stack):
    return stack[1]


@pytest.fixture
def engine(stack):
    return stack[2]


@pytest.fixture
def token(stack):
    return stack[3]


def identity_of(wallet) -> str:
    """A deterministic stand-in identity address per wallet (claims not required in these tests)."""
    return "0x" + ("1d" + wallet.address[4:].lower())


@pytest.fixture
def onboard(stack, operator):
    _, registry, _, _ = stack

    def onboard(wallet, country=US, investor_class=ACCREDITED, kyc_expiry=FAR_FUTURE, identity=None):
        identity = identity or identity_of(wallet)
        registry.registerInvestor(wallet, identity, country, investor_class, kyc_expiry, sender=operator)
        return identity

    return onboard
