"""The prime brokerage's lending pool (contracts/prime/LendingPool.sol) against its specification
(interfaces/ILendingPool.sol, PRM-1 to PRM-9) and against keepers/prime/pool_model.py, the same
maths in Python: every index, debt, interest and reserve figure is the model's to the unit.

A test account plays the broker (`pool_stack.broker`); each test runs on a snapshot of the stack."""

import ape
import pytest
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isolation import isolated
from keepers.access import ROLE_IDS, wiring
from keepers.prime import LENDING_POOL, PoolModel, RateModel, deploy_lending_pool
from keepers.prime.pool_model import BPS, RAY, YEAR, compound, spread, to_debt
from prime_fixtures import RATE_MODEL, SHARE_JURISDICTIONS, USD, assert_state, model_of

DAY = 86_400
RECIPIENT_JURISDICTION_BLOCKED = 8
RECIPIENT_NOT_VERIFIED = 2


@pytest.fixture
def stack(chain, pool_stack):
    with isolated(chain):
        yield pool_stack


def wait(chain, seconds: int) -> None:
    chain.pending_timestamp = chain.pending_timestamp + seconds


def mine_after(chain, seconds: int) -> int:
    """Mines a block `seconds` after the pending timestamp (views then read it); its timestamp."""
    wait(chain, seconds)
    chain.mine()
    return chain.blocks.head.timestamp


def deposit(stack, label: str, assets: int, model: PoolModel | None = None):
    tx = stack.pool.deposit(assets, stack.lenders[label], sender=stack.lenders[label])
    if model is not None:
        model.deposit(assets, tx.timestamp)
    return tx


def pool_args(stack) -> tuple:
    """A LendingPool's constructor arguments but its module: USDC lent to the stack's broker (the
    code; its proxy's constructor sets the authority and the rate model, `initialize`)."""
    d = stack.deployment
    return (stack.usdc, "x", "x", d.at("IdentityRegistry"), stack.broker)


# ---------------------------------------------------------------- lenders and their shares


def test_prm_6__deposit_and_redeem__verified_lender__shares_at_the_pool_price(stack):
    pool, alice, bob = stack.pool, stack.lenders["alice"], stack.lenders["bob"]
    tx = deposit(stack, "alice", 1_000_000 * USD)
    # Six more decimals on the shares (virtual shares), priced 1:1 on an empty pool.
    assert pool.decimals() == 12
    assert pool.balanceOf(alice) == 1_000_000 * USD * 10**6
    [event] = tx.decode_logs(pool.Deposit)
    assert (event.assets, event.shares) == (1_000_000 * USD, 1_000_000 * USD * 10**6)
    assert pool.state().cash == 1_000_000 * USD
    # The share engine's ledger follows the shares (mint, transfer, burn).
    pool.transfer(bob, pool.balanceOf(alice) // 4, sender=alice)
    before = stack.usdc.balanceOf(alice)
    pool.redeem(pool.balanceOf(alice) // 3, alice, alice, sender=alice)
    assert stack.usdc.balanceOf(alice) - before == 250_000 * USD
    assert pool.state().cash == 750_000 * USD
    for wallet in (alice, bob):
        identity = stack.registry.identity(wallet)
        assert stack.engine.ledgerOf(identity).balance == pool.balanceOf(wallet)


def test_prm_6__deposit__unverified_receiver__refused(stack):
    pool, outsider, alice = stack.pool, stack.outsider, stack.lenders["alice"]
    assert pool.maxDeposit(outsider) == 0 and pool.maxMint(outsider) == 0
    with ape.reverts(pool.LenderNotVerified, lender=outsider.address):
        pool.deposit(1_000 * USD, outsider, sender=outsider)
    with ape.reverts(pool.LenderNotVerified, lender=outsider.address):
        pool.mint(10**12, outsider, sender=alice)
    # A verified lender outside the shares' jurisdictions gets no shares either: the engine refuses
    # it, so its deposit room is 0 (SEC-157; the engine's own code, RECIPIENT_JURISDICTION_BLOCKED,
    # refuses a share transfer to it below).
    greta = stack.lenders["greta"]
    with ape.reverts(pool.ERC4626ExceededMaxDeposit, receiver=greta.address, max=0):
        pool.deposit(1_000 * USD, greta, sender=greta)


def test_sec_157__max_deposit_and_max_mint__receiver_the_share_engine_refuses__zero(stack):
    """SEC-157 (the red team's finding 12): `maxDeposit`/`maxMint` offered greta (DE, verified but
    outside the shares' jurisdictions) an unlimited deposit that reverts `TransferNotCompliant`."""
    pool, greta, alice = stack.pool, stack.lenders["greta"], stack.lenders["alice"]
    assert pool.maxDeposit(greta) == 0 and pool.maxMint(greta) == 0
    assert pool.maxDeposit(alice) == pool.maxMint(alice) == 2**256 - 1


def test_prm_6__share_transfer__to_an_unverified_holder__not_compliant(stack):
    pool, alice = stack.pool, stack.lenders["alice"]
    deposit(stack, "alice", 1_000 * USD)
    with ape.reverts(pool.TransferNotCompliant, to=stack.outsider.address):
        pool.transfer(stack.outsider, 10**12, sender=alice)
    with ape.reverts(pool.TransferNotCompliant, reasonCode=RECIPIENT_JURISDICTION_BLOCKED):
        pool.transfer(stack.lenders["greta"], 10**12, sender=alice)


def test_prm_6__frozen_lender__can_neither_redeem_nor_move_shares(stack, freezer):
    pool, alice, bob = stack.pool, stack.lenders["alice"], stack.lenders["bob"]
    deposit(stack, "alice", 1_000 * USD)
    deposit(stack, "bob", 1_000 * USD)
    stack.registry.freeze(alice, sender=freezer)
    with ape.reverts(pool.LenderFrozen, account=alice.address):
        pool.redeem(10**12, alice, alice, sender=alice)
    with ape.reverts(pool.LenderFrozen, account=alice.address):
        pool.transfer(bob, 10**12, sender=alice)
    # Nor receive them: a frozen wallet is not verified.
    assert pool.maxDeposit(alice) == 0
    with ape.reverts(pool.TransferNotCompliant, to=alice.address):
        pool.transfer(alice, 10**12, sender=bob)


# ---------------------------------------------------------------- interest (differential)


def test_prm_2__borrow_repay_and_accrual__index_debt_and_reserves_as_the_model(stack, chain):
    pool, broker = stack.pool, stack.broker
    model = model_of(pool)
    deposit(stack, "alice", 1_000_000 * USD, model)
    account = "0x" + "a1" * 20
    wait(chain, DAY)
    tx = pool.borrow(account, 850_000 * USD, 0, broker, sender=broker)  # 85%: above the kink
    debt = model.borrow(account, 850_000 * USD, 0, tx.timestamp)
    [event] = tx.decode_logs(pool.Borrowed)
    assert (event.account.lower(), event.to, event.assets, event.debtAfter) == (
        account,
        broker.address,
        850_000 * USD,
        debt,
    )
    assert pool.state().utilisationBps == 8_500
    assert pool.state().borrowRateBps == RATE_MODEL.borrow_rate_bps(8_500) == 1_000 + 30_000 // 4
    # A month at 85%: the index compounds by e^(rt); the interest is the debt's growth.
    wait(chain, 30 * DAY)
    tx = pool.touch(account, 0, sender=broker)
    interest, to_reserves = model.accrue(tx.timestamp)
    model.charge(account, 0, tx.timestamp)
    [accrued] = tx.decode_logs(pool.Accrued)
    assert (accrued.borrowIndexRay, accrued.interest, accrued.toReserves) == (
        model.index_ray,
        interest,
        to_reserves,
    )
    assert interest > 850_000 * USD * 8_500 // BPS * 30 // 365 // 10  # 85% a year, roughly
    assert_state(pool, model)
    # A partial repayment, paid in first; then the rest with `type(uint256).max`.
    stack.usdc.transfer(pool, 400_000 * USD, sender=broker)
    wait(chain, 7 * DAY)
    tx = pool.repay(account, 400_000 * USD, 0, sender=broker)
    booked, debt_after = model.repay(account, 400_000 * USD, 0, tx.timestamp)
    [repaid] = tx.decode_logs(pool.Repaid)
    assert (repaid.assets, repaid.debtAfter) == (booked, debt_after)
    assert_state(pool, model)
    wait(chain, DAY)
    chain.mine()
    rest = pool.debtOf(account, 0)
    stack.usdc.transfer(pool, rest + 10 * USD, sender=broker)  # due a block later: a little more
    tx = pool.repay(account, 2**256 - 1, 0, sender=broker)
    booked, debt_after = model.repay(account, 2**256 - 1, 0, tx.timestamp)
    assert debt_after == 0 and pool.debtOf(account, 0) == 0 and booked > rest - 10 * USD
    assert_state(pool, model)
    # Repaid in full: the pool holds its lenders' deposit, their interest and the reserves in cash.
    assert pool.totalAssets() + pool.state().reserves == pool.state().cash
    assert pool.totalAssets() > 1_000_000 * USD and pool.state().reserves > 0


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    base=st.integers(0, 1_000),
    slope1=st.integers(0, 9_000),
    slope2=st.integers(0, 30_000),
    kink=st.integers(1, 9_999),
    reserve_factor=st.integers(0, 5_000),
    utilisation=st.integers(1, 10_000),
    elapsed=st.integers(1, 5 * 365 * DAY),
    probe=st.integers(0, 10_000),
)
def test_prm_2__random_rate_models__rate_and_accrued_debt_as_the_model(
    chain, pool_stack, base, slope1, slope2, kink, reserve_factor, utilisation, elapsed, probe
):
    stack = pool_stack
    pool, broker = stack.pool, stack.broker
    model = RateModel(base, slope1, slope2, kink, reserve_factor)
    with isolated(chain):
        pool.setRateModel(model.as_tuple(), sender=stack.governor)
        assert pool.borrowRateAt(probe) == model.borrow_rate_bps(probe)
        replay = model_of(pool)
        deposit(stack, "alice", 1_000_000 * USD, replay)
        account = "0x" + "b2" * 20
        amount = max(1_000_000 * USD * utilisation // BPS, 1)
        tx = pool.borrow(account, amount, 0, broker, sender=broker)
        replay.borrow(account, amount, 0, tx.timestamp)
        now = mine_after(chain, elapsed)
        view = replay.viewed_at(now)
        assert_state(pool, view)
        assert pool.debtOf(account, 0) == view.debt_of(account, 0, now)
        # One accrual from RAY at the borrow's utilisation: e^(rt), above its first-order term.
        rate = model.borrow_rate_bps(amount * BPS // (1_000_000 * USD))
        seconds = now - tx.timestamp
        first = rate * RAY // (BPS * YEAR) * seconds
        assert pool.state().borrowIndexRay == compound(RAY, rate, seconds) >= RAY + first


# ---------------------------------------------------------------- spread and reserves


def test_prm_3__spread__charged_to_the_account_and_the_reserves_not_the_lenders(stack, chain):
    pool, broker = stack.pool, stack.broker
    model = model_of(pool)
    deposit(stack, "alice", 1_000_000 * USD, model)
    plain, spread_account = "0x" + "c1" * 20, "0x" + "c2" * 20
    tx = pool.borrow(plain, 200_000 * USD, 0, broker, sender=broker)
    model.borrow(plain, 200_000 * USD, 0, tx.timestamp)
    tx = pool.borrow(spread_account, 200_000 * USD, 300, broker, sender=broker)
    model.borrow(spread_account, 200_000 * USD, 300, tx.timestamp)
    now = mine_after(chain, 90 * DAY)
    # Pending: the spread shows in debtOf (simple interest since the last touch), not in totalDebt.
    pending = pool.debtOf(spread_account, 300) - pool.debtOf(spread_account, 0)
    view = model.viewed_at(now)
    since = now - model.accounts[spread_account].last_touch  # 90 days and the blocks' seconds
    assert pending == spread(view.debt_of(spread_account, 0, now), 300, since)
    assert pool.state().totalDebt == view.total_debt
    assets_before = pool.totalAssets()
    tx = pool.touch(spread_account, 300, sender=broker)
    model.accrue(tx.timestamp)
    charged = model.charge(spread_account, 300, tx.timestamp)
    [event] = tx.decode_logs(pool.SpreadCharged)
    assert (event.spreadBps, event.amount) == (300, charged)
    assert charged >= 200_000 * USD * 300 * 90 // (BPS * 365)
    assert_state(pool, model)
    # The spread went to the reserves whole: the lenders' claim moved only by the pool's interest.
    assert pool.totalAssets() - assets_before < charged
    assert pool.debtOf(spread_account, 300) == to_debt(
        model.accounts[spread_account].scaled, model.index_ray
    )
    # Reserves are paid out of cash by governance only, up to what they hold.
    reserves = pool.state().reserves
    with ape.reverts(pool.AccessManagedUnauthorized):
        pool.withdrawReserves(1, stack.outsider, sender=stack.outsider)
    with ape.reverts(pool.ReservesExceeded, amount=reserves + 10**9):
        pool.withdrawReserves(reserves + 10**9, stack.governor, sender=stack.governor)


def test_prm_3__withdraw_reserves__paid_out_of_cash_to_governance(stack, chain):
    pool, broker = stack.pool, stack.broker
    model = model_of(pool)
    account = "0x" + "c3" * 20
    deposit(stack, "alice", 1_000_000 * USD, model)
    tx = pool.borrow(account, 500_000 * USD, 500, broker, sender=broker)
    model.borrow(account, 500_000 * USD, 500, tx.timestamp)
    wait(chain, 365 * DAY)
    tx = pool.touch(account, 500, sender=broker)
    model.accrue(tx.timestamp)
    model.charge(account, 500, tx.timestamp)
    # The reserves as of the touch; the withdrawal's own block may be seconds later (more accrued):
    # the model follows it there, so nothing below depends on the time between the two.
    amount = model.reserves
    assert amount > 0
    paid_before = stack.usdc.balanceOf(stack.governor)
    wait(chain, 60)  # a busy machine's seconds, made a minute: the figures must not depend on it
    tx = pool.withdrawReserves(amount, stack.governor, sender=stack.governor)
    model.accrue(tx.timestamp)  # the withdrawal accrues the index, not the account's spread
    assets = model.total_assets()
    model.reserves -= amount
    model.cash -= amount
    [event] = tx.decode_logs(pool.ReservesWithdrawn)
    assert (event.to, event.amount) == (stack.governor.address, amount)
    assert stack.usdc.balanceOf(stack.governor) == paid_before + amount
    assert_state(pool, model)
    assert pool.totalAssets() == assets  # the lenders' claim is untouched


# ---------------------------------------------------------------- bad debt


def test_prm_4__bad_debt__reserves_absorb_first_then_lenders_share_price_falls(stack, chain):
    pool, broker = stack.pool, stack.broker
    model = model_of(pool)
    deposit(stack, "alice", 1_000_000 * USD, model)
    small, large = "0x" + "d1" * 20, "0x" + "d2" * 20
    for account, amount in ((small, 1_000 * USD), (large, 600_000 * USD)):
        tx = pool.borrow(account, amount, 200, broker, sender=broker)
        model.borrow(account, amount, 200, tx.timestamp)
    wait(chain, 180 * DAY)
    tx = pool.touch(large, 200, sender=broker)
    model.accrue(tx.timestamp)
    model.charge(large, 200, tx.timestamp)
    unit = 10**12  # one share
    # A small write-off the reserves cover: the share price does not move.
    price = pool.convertToAssets(unit)
    tx = pool.realiseBadDebt(small, 200, sender=broker)
    amount, from_reserves, from_lenders = model.realise_bad_debt(small, 200, tx.timestamp)
    [event] = tx.decode_logs(pool.BadDebtRealised)
    assert (event.amount, event.fromReserves, event.fromLenders) == (amount, amount, 0)
    assert pool.convertToAssets(unit) >= price - 1  # no loss to lenders (a second's interest)
    assert_state(pool, model)
    # A large one: the reserves give all they hold, the lenders lose the rest pro rata, recorded.
    reserves = pool.state().reserves
    assets_before = pool.totalAssets()
    tx = pool.realiseBadDebt(large, 200, sender=broker)
    amount, from_reserves, from_lenders = model.realise_bad_debt(large, 200, tx.timestamp)
    [event] = tx.decode_logs(pool.BadDebtRealised)
    assert (event.amount, event.fromReserves, event.fromLenders) == (
        amount,
        from_reserves,
        from_lenders,
    )
    assert from_reserves >= reserves and from_lenders == amount - from_reserves > 500_000 * USD
    s = pool.state()
    assert (s.reserves, s.totalDebt) == (0, 0)
    assert s.badDebtRealised == from_lenders and s.badDebtAbsorbed == model.bad_debt_absorbed
    assert_state(pool, model)
    assert pool.totalAssets() == s.cash == model.cash
    assert assets_before - pool.totalAssets() <= from_lenders
    assert pool.convertToAssets(unit) < price * 5 // 10
    assert pool.debtOf(large, 200) == 0


# ---------------------------------------------------------------- cash, bounds, roles


def test_prm_7__withdraw_beyond_cash__insufficient_cash_and_max_views_limited(stack):
    pool, broker, alice = stack.pool, stack.broker, stack.lenders["alice"]
    deposit(stack, "alice", 1_000_000 * USD)
    pool.borrow("0x" + "e1" * 20, 900_000 * USD, 0, broker, sender=broker)
    cash = pool.state().cash
    assert cash == 100_000 * USD
    assert pool.maxWithdraw(alice) == cash
    assert pool.maxRedeem(alice) == pool.convertToShares(cash)
    with ape.reverts(pool.InsufficientCash, cash=cash, needed=cash + 1):
        pool.withdraw(cash + 1, alice, alice, sender=alice)
    with ape.reverts(pool.InsufficientCash, cash=cash):
        pool.redeem(pool.balanceOf(alice), alice, alice, sender=alice)
    with ape.reverts(pool.InsufficientCash, cash=cash, needed=cash + 1):
        pool.borrow("0x" + "e2" * 20, cash + 1, 0, broker, sender=broker)
    # Beyond the owner's claim, the ERC-4626 error (not the cash).
    with ape.reverts(pool.ERC4626ExceededMaxWithdraw):
        pool.withdraw(1, stack.lenders["bob"], stack.lenders["bob"], sender=stack.lenders["bob"])
    pool.withdraw(cash, alice, alice, sender=alice)
    assert pool.state().cash == 0 and pool.maxWithdraw(alice) == 0


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"kink_bps": 0}, "kink not in (0, BPS)"),
        ({"kink_bps": 10_000}, "kink not in (0, BPS)"),
        ({"reserve_factor_bps": 5_001}, "reserve factor above max"),
        (
            {"slope2_bps": 30_001, "base_bps": 2_000, "slope1_bps": 8_000},
            "rate at full utilisation above max",
        ),
        ({"base_bps": 2_000, "slope1_bps": 8_001}, "base + slope1 above BPS"),
    ],
)
def test_prm_8__set_rate_model__out_of_bounds__refused_with_the_bound(stack, changes, reason):
    pool = stack.pool
    wanted = RateModel(**{**RATE_MODEL.__dict__, **changes})
    assert wanted.invalidity() == reason
    with ape.reverts(pool.InvalidRateModel, reason=reason):
        pool.setRateModel(wanted.as_tuple(), sender=stack.governor)


def test_prm_8__set_rate_model__governor_only__logged_with_previous_and_next(stack):
    pool = stack.pool
    assert (pool.MAX_RESERVE_FACTOR_BPS(), pool.MAX_BORROW_RATE_BPS()) == (5_000, 40_000)
    edge = RateModel(base_bps=2_000, slope1_bps=8_000, slope2_bps=30_000, kink_bps=9_999,
                     reserve_factor_bps=5_000)  # fmt: skip
    with ape.reverts(pool.AccessManagedUnauthorized):
        pool.setRateModel(edge.as_tuple(), sender=stack.outsider)
    tx = pool.setRateModel(edge.as_tuple(), sender=stack.governor)
    [event] = tx.decode_logs(pool.RateModelSet)
    assert RateModel.of(event.previous) == RATE_MODEL and RateModel.of(event.next) == edge
    assert RateModel.of(pool.rateModel()) == edge
    assert pool.borrowRateAt(10_000) == 2_000 + 8_000 + 30_000 == pool.MAX_BORROW_RATE_BPS()


def test_prm_9__broker_only__and_repayment_must_be_paid_in(stack):
    pool, broker, outsider = stack.pool, stack.broker, stack.outsider
    deposit(stack, "alice", 1_000_000 * USD)
    account = "0x" + "f1" * 20
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.borrow(account, 1, 0, outsider, sender=outsider)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.repay(account, 1, 0, sender=outsider)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.touch(account, 0, sender=outsider)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.realiseBadDebt(account, 0, sender=outsider)
    with ape.reverts(pool.ZeroAmount):
        pool.borrow(account, 0, 0, broker, sender=broker)
    pool.borrow(account, 100_000 * USD, 0, broker, sender=broker)
    # Pay-then-call: nothing paid in, nothing booked; a part paid, only that part accepted.
    with ape.reverts(pool.RepaymentNotReceived, received=0, expected=50_000 * USD):
        pool.repay(account, 50_000 * USD, 0, sender=broker)
    stack.usdc.transfer(pool, 20_000 * USD, sender=broker)
    with ape.reverts(pool.RepaymentNotReceived, received=20_000 * USD, expected=50_000 * USD):
        pool.repay(account, 50_000 * USD, 0, sender=broker)
    pool.repay(account, 20_000 * USD, 0, sender=broker)
    assert pool.state().cash == 920_000 * USD


def test_fnd_21__pool_losses_module__runs_only_on_a_pools_storage(stack, project):
    """FND-21: the bad-debt module refuses a direct call, whoever sends it (the broker included);
    through the pool each of its functions is the broker's alone."""
    pool, broker, outsider = stack.pool, stack.broker, stack.outsider
    module = project.PoolLosses.at(pool.lossesModule())
    assert module.address != pool.address
    account = "0x" + "f1" * 20
    for sender in (broker, outsider):
        with ape.reverts(module.DirectCall):
            module.realiseBadDebt(account, 0, sender=sender)
        with ape.reverts(module.DirectCall):
            module.assignBadDebt(account, 0, 1, sender=sender)
        with ape.reverts(module.DirectCall):
            module.dropAssignedDebt(account, 0, sender=sender)
        with ape.reverts(module.DirectCall):
            module.recoverBadDebt(account, 1, 0, sender=sender)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.assignBadDebt(account, 0, 1, sender=outsider)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.dropAssignedDebt(account, 0, sender=outsider)
    with ape.reverts(pool.OnlyBroker, caller=outsider.address):
        pool.recoverBadDebt(account, 1, 0, sender=outsider)
    # Through the pool, on the pool's storage: a write-off of no debt is 0.
    assert pool.realiseBadDebt.call(account, 0, sender=broker) == 0


def test_fnd_21__a_pool_built_on_no_module_or_another_module__refused(stack, project):
    """prime12 L2: the pool stored its module unchecked; a DELEGATECALL to an address without
    code succeeds and does nothing, so write-offs became silent no-ops (the broker's books cleared,
    the pool's debt kept). The constructor now needs a module that names the pool's layout."""
    d, pool = stack.deployment, stack.pool
    args = pool_args(stack)
    expected = project.PoolLosses.at(pool.lossesModule()).moduleId()
    # No code (a DELEGATECALL to it would succeed), and code without the pool's module id.
    for wrong in (stack.outsider.address, stack.usdc.address):
        with ape.reverts(pool.ModuleMismatch, module=wrong, expected=expected):
            stack.deployment.sender.deploy(project.LendingPool, *args, wrong)
    # The module the routine records is its build's: named after its init code's hash.
    names = [name for name in d.record.contracts if name.startswith("PoolLosses.")]
    assert [d.address(name) for name in names] == [pool.lossesModule()]


def test_fnd_21__a_module_that_is_an_eip7702_delegated_account__refused(stack, project, chain):
    """A fourth attacker's read of the upgrade work: a dispatcher took for its module an EOA
    delegated by EIP-7702 to the real module (it answers `moduleId` as its target does); its key
    could then re-delegate it to any code, which the dispatcher would run on its storage by
    DELEGATECALL. Refused at construction (`Dispatch._requireModule`)."""
    module = stack.pool.lossesModule()
    delegated = "0x000000000000000000000000000000000000D702"
    chain.provider.set_code(delegated, bytes.fromhex("ef0100") + bytes.fromhex(module[2:]))
    with ape.reverts(stack.pool.DelegatedModuleAccount, module=delegated):
        stack.deployment.sender.deploy(project.LendingPool, *pool_args(stack), delegated)


def test_fnd_21__a_module_created_in_the_dispatchers_transaction__refused(stack, project):
    """A fifth attacker's read: a module created in the dispatcher's own transaction can still
    destroy itself in it (EIP-6780) and be created again at that address, by CREATE2, with other
    code, which the dispatcher then runs on its storage. A module must predate the transaction."""
    sender = stack.deployment.sender
    factory = sender.deploy(project.SameTransactionDeployer)
    module = to_checksum_address(
        keccak(b"\xd6\x94" + bytes.fromhex(factory.address[2:]) + b"\x01")[12:]
    )
    module_init = project.PoolLosses.contract_type.deployment_bytecode.bytecode
    pool_init = bytes.fromhex(
        project.LendingPool.contract_type.deployment_bytecode.bytecode[2:]
    ) + bytes(project.LendingPool.constructor.encode_input(*pool_args(stack), module))
    with ape.reverts(factory.ModuleNotSettled, module=module):
        factory.deployTwo(module_init, pool_init, sender=sender)


def test_sec_245__deploy_refused_before_sending__no_pending_name_left_to_adopt(stack, chain):
    """Round 13 R3: the record names a deployment as pending (its nonce's address) before
    sending, and kept it when the deploy was refused before anything was sent (a live node's
    estimate of a reverting constructor): the next deploy took that nonce, and a rerun adopted
    that contract as the refused name (here a module recorded as a pool). Now a deploy refused
    with its nonce still unused drops its pending entry; one whose transaction went out keeps it
    (a rerun adopts only what that transaction created)."""
    d = stack.deployment

    def refused():
        raise RuntimeError("estimate: execution reverted: ModuleMismatch")

    with pytest.raises(RuntimeError, match="ModuleMismatch"):
        d.deploy("LendingPool.refused", refused)
    assert "LendingPool.refused" not in d.record.pending
    module = d.deploy_contract("PoolLosses.after-refusal", "PoolLosses")
    with pytest.raises(RuntimeError, match="ModuleMismatch"):
        d.deploy("LendingPool.refused", refused)
    assert "LendingPool.refused" not in d.record.contracts
    assert d.record.contracts["PoolLosses.after-refusal"] == module.address
    # A constructor the local node mines and reverts used its nonce: the entry stays, and names an
    # address without code, which no rerun adopts.
    args = (*pool_args(stack), stack.outsider.address)  # no module: ModuleMismatch
    with pytest.raises(Exception, match="ModuleMismatch|38f85ba0"):
        d.deploy_contract("LendingPool.reverted", "LendingPool", *args)
    pending = d.record.pending.get("LendingPool.reverted")
    if pending is not None:
        assert chain.provider.get_nonce(d.sender.address) > pending.nonce
        assert not chain.provider.get_code(pending.address)


def test_prm_9__deploy_lending_pool__wired_bound_and_a_rerun_sends_nothing(stack, project):
    d, pool = stack.deployment, stack.pool
    manager = d.at("QuanteraAccessManager")
    [(role, selectors)] = wiring(LENDING_POOL, pool.contract_type)
    assert role == ROLE_IDS["GOVERNOR"] and len(selectors) == 3
    for selector in selectors:
        assert manager.getTargetFunctionRole(pool, selector) == role
    assert pool.shareCompliance() == stack.engine.address
    assert stack.engine.getTokenBound() == pool.address
    assert pool.broker() == stack.broker.address
    assert d.address(f"{LENDING_POOL}.USDC") == pool.address
    nonce = d.sender.nonce
    again = deploy_lending_pool(
        d, stack.usdc, stack.broker, RATE_MODEL.__dict__, share_jurisdictions=SHARE_JURISDICTIONS
    )
    assert again.address == pool.address and d.sender.nonce == nonce
    # A pool recorded for another broker: refused, nothing sent (its code answers its broker).
    with pytest.raises(Exception, match=r"answers broker\(\) .*, not " + stack.outsider.address):
        deploy_lending_pool(d, stack.usdc, stack.outsider, RATE_MODEL)
    assert d.sender.nonce == nonce


def test_prm_9__deploy_lending_pool__a_pool_of_a_security__registered_as_its_holder(
    stack, liquidity
):
    d, qspx = stack.deployment, liquidity.tokens["QSPX"]
    with pytest.raises(ValueError, match="QSPX is a security: .*pass identity="):
        deploy_lending_pool(d, qspx, stack.broker, RATE_MODEL)
    identity = "0x" + "b0" * 20
    pool = deploy_lending_pool(
        d,
        qspx,
        stack.broker,
        RATE_MODEL,
        identity=identity,
        share_jurisdictions=SHARE_JURISDICTIONS,
    )
    assert stack.registry.identity(pool).lower() == identity and stack.registry.isVerified(pool)
    alice = stack.lenders["alice"]
    qspx.transfer(alice, 10**18, sender=liquidity.trader)
    qspx.approve(pool, 10**18, sender=alice)
    pool.deposit(10**18, alice, sender=alice)
    assert pool.balanceOf(alice) == 10**24 and pool.state().cash == 10**18


def test_upg_8__deploy_lending_pool__refused_before_sending__long_name__code_of_another_broker(
    stack, project
):
    """An attacker's read of the pools behind proxies (helper-106): L5, a share name or symbol past
    31 bytes (immutables of the code, ShortStrings) reverted on chain, after the pool's module had
    been sent; L3, a rerun after an interrupted run built the proxy on recorded code made for
    another broker, then raised. Both are refused before anything is sent."""
    from keepers.core.deployments import DeploymentError

    d = stack.deployment
    nonce = d.sender.nonce
    with pytest.raises(ValueError, match="pool_name .* 32 bytes: at most 31"):
        deploy_lending_pool(
            d, stack.usdc, stack.broker, RATE_MODEL, name="LendingPool.L", pool_name="x" * 32
        )
    with pytest.raises(ValueError, match="pool_symbol .* 40 bytes: at most 31"):
        deploy_lending_pool(
            d, stack.usdc, stack.broker, RATE_MODEL, name="LendingPool.L", pool_symbol="y" * 40
        )
    assert d.sender.nonce == nonce
    # Code recorded for another broker (an interrupted run's), its proxy not deployed yet.
    losses = stack.pool.lossesModule()
    args = (stack.usdc, "x", "x", d.at("IdentityRegistry"), stack.outsider)
    stray = d.sender.deploy(project.LendingPool, *args, losses)
    d.record.contracts["LendingPool.L.implementation"] = stray.address
    nonce = d.sender.nonce
    with pytest.raises(DeploymentError, match=r"LendingPool.L.implementation .* broker\(\) 0x"):
        deploy_lending_pool(d, stack.usdc, stack.broker, RATE_MODEL, name="LendingPool.L")
    assert d.sender.nonce == nonce and not d.has("LendingPool.L")
