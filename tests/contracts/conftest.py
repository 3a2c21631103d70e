import pytest
from ape_ethereum.trace import Trace
from ape_foundry.provider import FoundryProvider

from keepers.access import deploy_access
from keepers.core.deploying import Deployment

# ape-foundry prints the whole call tree of every reverted transaction (Trace.show), expected
# reverts included: minutes on a rebalance's trace. Failures still carry the decoded error.
Trace.show = lambda self, *args, **kwargs: None

# ape-foundry starts the test anvil with `--steps-tracing`: anvil then records every opcode step
# (stack included) of every transaction, for geth struct-log traces nothing here reads. Return
# values and revert data come from parity traces (`trace_transaction`, ape-foundry's approach) and
# from the calls themselves, which anvil serves without it.
_anvil_command = FoundryProvider.build_command
FoundryProvider.build_command = lambda self: [
    arg for arg in _anvil_command(self) if arg != "--steps-tracing"
]

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
def manager(deployer, guardian, governor):
    """An authority as the deploy script makes it: GUARDIAN at once, GOVERNOR with a delay."""
    return deploy_access(
        Deployment.in_memory(deployer), {"GUARDIAN": guardian, "GOVERNOR": governor}, GOVERNOR_DELAY
    )


from bond_fixtures import bond, floating_bond  # noqa: E402,F401
from broker_fixtures import prime_stack  # noqa: E402,F401
from compliance_fixtures import (  # noqa: E402,F401
    agent,
    engine,
    freezer,
    investors,
    onboard,
    operator,
    registry,
    stack,
    stack_deployment,
    token,
)
from desk_fixtures import desk_stack  # noqa: E402,F401
from fund_fixtures import fund_math, fund_stack, income_fund_stack  # noqa: E402,F401
from income_fixtures import income_stack  # noqa: E402,F401
from lifecycle_fixtures import (  # noqa: E402,F401
    fund_contract,
    issuer,
    issuer_operator,
    lifecycle,
    other_issuer,
)
from liquidity_fixtures import liquidity, liquidity_deployment, maker, trader  # noqa: E402,F401
from prime_fixtures import pool_stack  # noqa: E402,F401
from rebalancer_fixtures import rebalancing  # noqa: E402,F401
from risk_fixtures import executor, fund_investor, reporter, risk_keeper, risk_stack  # noqa: E402,F401
