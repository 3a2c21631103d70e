"""The compliance stack as deployed: authority, registry, engine and token, built by the deploy
script's own steps (keepers/access/deploy.py, keepers/compliance/deploy.py) in an in-memory
`Deployment` that the other stacks extend."""

import ape
import pytest

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.access.protocol import wiring
from keepers.compliance import deploy_compliance
from keepers.core.deploying import Deployment, build_name

US, DE, FR, GB, SG, CH, KP = 840, 276, 250, 826, 702, 756, 408
RETAIL, ACCREDITED, QUALIFIED, INSTITUTIONAL = 1, 2, 3, 4
FAR_FUTURE = 2**40 - 1
UNIT = 10**18
ALL_CAPS = 255
MINT, BURN, FREEZE, UNFREEZE, FORCE, RECOVERY, PAUSE, UNPAUSE = (1 << i for i in range(8))


def open_jurisdiction(min_class=RETAIL, holder_cap=0, non_accredited_cap=0, inbound_closed_until=0):
    return (True, min_class, holder_cap, non_accredited_cap, inbound_closed_until)


NO_LIMITS = (0, 0, 0, 0, 0, 0, 0, 0, 0)


def limits(**kw):
    """A `Limits` tuple: NO_LIMITS with the fields named in `kw`."""
    names = [
        "maxBalance",
        "minHolding",
        "maxBalanceBps",
        "lockupAfterAcquisition",
        "dailyLimit",
        "monthlyLimit",
        "transfersOpenAt",
        "totalHolderCap",
        "totalNonAccreditedCap",
    ]
    values = dict(zip(names, NO_LIMITS))
    values.update(kw)
    return tuple(values[n] for n in names)


def registry_identity(token, wallet):
    from ape import project

    return project.IdentityRegistry.at(token.identityRegistry()).identity(wallet)


def assert_refused(token, sender, to, amount, code):
    """The explain view and transfer agree: same code, and transfer reverts with it."""
    assert token.detectTransferRestriction(sender, to, amount) == code
    with ape.reverts(
        token.TransferNotCompliant,
        **{"from": sender, "to": to, "amount": amount, "reasonCode": code},
    ):
        token.transfer(to, amount, sender=sender)


def assert_allowed(token, sender, to, amount):
    assert token.detectTransferRestriction(sender, to, amount) == 0
    before = token.balanceOf(to)
    token.transfer(to, amount, sender=sender)
    assert token.balanceOf(to) == before + amount


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


OPEN_COUNTRIES = (US, DE, FR, GB, SG, CH)


@pytest.fixture(scope="session")
def stack_deployment(deployer, governor, operator, agent, freezer):
    """The authority (GOVERNOR and OPERATOR without delay), the registry and the token "QTB27"
    with its engine, open in OPEN_COUNTRIES, `agent` holding every capability and `freezer` the
    sanctions keeper (COMPLIANCE_KEEPER, FREEZE only on the token); the token unpaused. The other
    stacks extend it (`Deployment.scoped`)."""
    d = Deployment.in_memory(deployer)
    deploy_access(d, {"GOVERNOR": governor, "OPERATOR": operator})
    token = deploy_compliance(
        d,
        "Quantera T-Bill 2027",
        "QTB27",
        agent=agent.address,
        compliance_keeper=freezer.address,
        jurisdictions=[(country, open_jurisdiction()) for country in OPEN_COUNTRIES],
    )
    renounce_temporary_roles(d)
    token.unpause(sender=agent)
    return d


@pytest.fixture(scope="session")
def stack(stack_deployment):
    d = stack_deployment
    return (
        d.at("QuanteraAccessManager"),
        d.at("IdentityRegistry"),
        d.at("ComplianceEngine"),
        d.at("SecurityToken"),
    )


def extend(stack_deployment: Deployment) -> Deployment:
    """A new in-memory deployment on the compliance stack's authority and registry."""
    return stack_deployment.scoped("QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry")


def compliance_module(d: Deployment) -> str:
    """The compliance engines' admin module `d` deployed its engines on (`ComplianceAdmin` under
    this build's name, `build_name`)."""
    return d.address(build_name("ComplianceAdmin"))


def admin_module(d: Deployment) -> str:
    """The token family's admin module `d` deployed its tokens on (recorded under this build's
    name, `build_name`: the token keeps it in an immutable without a getter)."""
    return d.address(build_name("TokenAdmin"))


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

    def onboard(
        wallet, country=US, investor_class=ACCREDITED, kyc_expiry=FAR_FUTURE, identity=None
    ):
        identity = identity or identity_of(wallet)
        registry.registerInvestor(
            wallet, identity, country, investor_class, kyc_expiry, sender=operator
        )
        return identity

    return onboard
