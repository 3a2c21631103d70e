import shutil
import tempfile

import pytest
from ape.managers.chain import ChainManager
from ape_ethereum.trace import Trace
from ape_foundry.provider import FoundryProvider

from keepers.access import deploy_access
from keepers.core.ape_config import cache_network_config
from keepers.core.deploying import Deployment

# ape-foundry prints the whole call tree of every reverted transaction (Trace.show), expected
# reverts included: minutes on a rebalance's trace. Failures still carry the decoded error.
Trace.show = lambda self, *args, **kwargs: None

# ape-foundry starts the test anvil with `--steps-tracing`: anvil then records every opcode step
# (stack included) of every transaction, for geth struct-log traces nothing here reads. Return
# values and revert data come from parity traces (`trace_transaction`, ape-foundry's approach) and
# from the calls themselves, which anvil serves without it.
#
# Anvil writes the states it no longer keeps in memory (megabytes a block here) under
# `~/.foundry/anvil/tmp`, and never removes them: a contract-suite process left gigabytes there.
# Here they go to a folder of this process, removed when it exits (keepers.demo.processes does the
# same for the anvils the keeper tests start).
_anvil_command = FoundryProvider.build_command
_ANVIL_STATES = tempfile.mkdtemp(prefix="anvil-states-")
FoundryProvider.build_command = lambda self: [
    *(arg for arg in _anvil_command(self) if arg != "--steps-tracing"),
    "--cache-path",
    _ANVIL_STATES,
]

# ape-foundry gives the anvil it starts 20 s to answer (ProviderAPI.start's default). In the
# fresh-machine check of 1956383 with the other core busy (nine test jobs starting at once),
# test-contracts-core's anvil did not answer within them and the job ended before any test ran
# (RPCTimeoutError). 120 s is a guard against a hung start, not a bet on speed.
ANVIL_START_TIMEOUT_S = 120
_anvil_start = FoundryProvider.start
FoundryProvider.start = lambda self, timeout=ANVIL_START_TIMEOUT_S: _anvil_start(
    self, timeout=max(timeout, ANVIL_START_TIMEOUT_S)
)

# ape checks that a contract is there before every call and transaction (`_validate_is_contract`:
# eth_getCode of the whole bytecode) and caches nothing on a local network, where a snapshot
# restore can remove a contract: a quarter of a contract-test process's CPU (py-spy,
# benchmarks/test_cpu.md). Here non-empty code is cached until the next restore (the only way code
# leaves a chain in these tests: nothing sets code, no contract self-destructs), exactly the
# answers the node would give.
_get_code, _restore = ChainManager.get_code, ChainManager.restore
_code: dict[tuple[int, str], object] = {}


def _cached_code(self, address, block_id=None):
    if block_id is not None:
        return _get_code(self, address, block_id=block_id)
    key = (id(self.provider), address)
    code = _code.get(key)
    if code is None:
        code = _get_code(self, address)
        if len(code):
            _code[key] = code
    return code


def _restore_and_forget_code(self, snapshot_id=None):
    _code.clear()
    return _restore(self, snapshot_id)


ChainManager.get_code = _cached_code
ChainManager.restore = _restore_and_forget_code
# ape's network settings validated once per content, not per call (keepers/core/ape_config.py)
cache_network_config()

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
from liquidity_fixtures import (  # noqa: E402,F401
    liquidity,
    liquidity_deployment,
    maker,
    nav_venue,
    rfq_venue,
    trader,
)
from prime_fixtures import pool_stack  # noqa: E402,F401
from rebalancer_fixtures import rebalancing  # noqa: E402,F401
from risk_fixtures import executor, fund_investor, reporter, risk_keeper, risk_stack  # noqa: E402,F401


def pytest_unconfigure(config):
    # Whether ape stopped the anvil yet or not: an open file's space is freed when anvil exits.
    shutil.rmtree(_ANVIL_STATES, ignore_errors=True)
