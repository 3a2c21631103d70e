"""The prime brokerage's lending pool as deployed by `keepers.prime.deploy_lending_pool` (the deploy
routine's own steps) on the compliance stack's authority and registry, lending the liquidity stack's
USDC. A fresh test account plays the broker (an immutable constructor argument), so the pool's
tests drive borrow and repay directly; the PrimeBroker's own fixtures pass the broker contract.

Wallets are fresh test accounts (`fresh_account`): the shared registry never sees other stacks'
wallets registered by this one. The shares are open to US identities only."""

from dataclasses import dataclass, field

import pytest

from compliance_fixtures import DE, FAR_FUTURE, INSTITUTIONAL, US, extend, open_jurisdiction
from fund_fixtures import fresh_account
from keepers.access import renounce_temporary_roles
from keepers.prime import PoolModel, RateModel, deploy_lending_pool

USD = 10**6
# 2% base, 10% at the 80% kink, 310% at full utilisation; 10% of interest to reserves.
RATE_MODEL = RateModel(
    base_bps=200, slope1_bps=800, slope2_bps=30_000, kink_bps=8_000, reserve_factor_bps=1_000
)
LENDER_FUNDING = 10_000_000 * USD
BROKER_FUNDING = 1_000_000 * USD
# label -> country; every lender wallet has its own identity.
LENDERS = {"alice": US, "bob": US, "greta": DE}
SHARE_JURISDICTIONS = [(US, open_jurisdiction())]


def lender_identity(label: str) -> str:
    return "0x" + ("1e" + label.encode().hex()).ljust(40, "0")


@dataclass
class PoolStack:
    deployment: object
    pool: object
    usdc: object
    engine: object
    registry: object
    broker: object
    governor: object
    outsider: object
    lenders: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def pool_stack(stack_deployment, liquidity, accounts, chain, governor, operator) -> PoolStack:
    """The pool of USDC lent to a test account (`broker`), its shares' engine open in the US;
    lenders alice and bob (US) and greta (DE, verified but outside the shares' jurisdictions)
    registered, funded and approving the pool; the broker funded (interest it repays); an
    unregistered `outsider`."""
    d = extend(stack_deployment)
    usdc = liquidity.tokens["USDC"]
    broker = fresh_account(accounts, chain)
    pool = deploy_lending_pool(d, usdc, broker, RATE_MODEL, share_jurisdictions=SHARE_JURISDICTIONS)
    renounce_temporary_roles(d)
    registry = d.at("IdentityRegistry")
    stack = PoolStack(
        deployment=d,
        pool=pool,
        usdc=usdc,
        engine=d.at("ComplianceEngine", "ComplianceEngine.LendingPool.USDC"),
        registry=registry,
        broker=broker,
        governor=governor,
        outsider=fresh_account(accounts, chain),
    )
    for label, country in LENDERS.items():
        wallet = fresh_account(accounts, chain)
        registry.registerInvestor(
            wallet, lender_identity(label), country, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
        usdc.mint(wallet, LENDER_FUNDING, sender=operator)
        usdc.approve(pool, 2**256 - 1, sender=wallet)
        stack.lenders[label] = wallet
    usdc.mint(broker, BROKER_FUNDING, sender=operator)
    usdc.mint(stack.outsider, LENDER_FUNDING, sender=operator)
    usdc.approve(pool, 2**256 - 1, sender=stack.outsider)
    return stack


def model_of(pool) -> PoolModel:
    """The model of a pool from its state now (its accounts empty: a fresh pool)."""
    s = pool.state()
    return PoolModel(
        model=RateModel.of(pool.rateModel()),
        last_accrual=s.lastAccrual,
        cash=s.cash,
        reserves=s.reserves,
        index_ray=s.borrowIndexRay,
    )


def assert_state(pool, model: PoolModel) -> None:
    """The pool's accounting, accrued to the head, is `model`'s (accrued to the same time)."""
    s = pool.state()
    assert (s.cash, s.totalDebt, s.reserves, s.borrowIndexRay) == (
        model.cash,
        model.total_debt,
        model.reserves,
        model.index_ray,
    )
    assert (s.badDebtRealised, s.badDebtAbsorbed, s.assignedDebt) == (
        model.bad_debt_realised,
        model.bad_debt_absorbed,
        model.assigned_debt,
    )
    assert s.lockedRestoration == model.locked_at(model.last_accrual)
    for account, loss in model.losses.items():
        assert tuple(pool.lossOf(account))[:2] == (loss.reserves, loss.lenders), account
        if loss.supply is not None:
            assert pool.lossOf(account).supply == loss.supply, account
    assert pool.totalAssets() == model.total_assets()
