import pytest
from ape_ethereum.trace import Trace

# ape-foundry prints the whole call tree of every reverted transaction (Trace.show), expected
# reverts included: minutes on a rebalance's trace. Failures still carry the decoded error.
Trace.show = lambda self, *args, **kwargs: None

ADMIN, GOVERNOR, GUARDIAN, OPERATOR = 0, 1, 2, 3
GOVERNOR_DELAY = 3600


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def governor(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def outsider(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def harness(project, deployer):
    return deployer.deploy(project.LibraryHarness)


@pytest.fixture(scope="session")
def manager(project, deployer, guardian, governor):
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    manager.grantRole(GUARDIAN, guardian, 0, sender=deployer)
    manager.grantRole(GOVERNOR, governor, GOVERNOR_DELAY, sender=deployer)
    return manager


from compliance_fixtures import agent, engine, freezer, investors, onboard, operator, registry, stack, token  # noqa: E402,F401
from risk_fixtures import executor, fund_investor, reporter, risk_keeper, risk_stack  # noqa: E402,F401
from liquidity_fixtures import liquidity, maker, trader  # noqa: E402,F401
from rebalancer_fixtures import rebalancing  # noqa: E402,F401
