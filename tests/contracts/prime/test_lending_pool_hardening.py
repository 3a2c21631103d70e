"""The lending pool under the red team's attacks (docs/specs.md SEC-25..SEC-27), each performed on
the pool as the deploy routine deploys it (`pool_stack`: a test account plays the broker):

- SEC-25: no accepted rate model freezes the pool: a full pool at the highest accepted rate for
  centuries (in one gap and in steps) still accrues, takes deposits and answers its views;
- SEC-26: the borrow index compounds exactly over any gap: a year idle at 310% grows a debt by
  e^3.1 (22.2x), as monthly accruals do, not by the three-term Taylor sum (13.9x);
- SEC-27: `maxRedeem` and `maxWithdraw` are what `redeem` and `withdraw` accept while cash is
  short of the lenders' claims, a frozen lender's included."""

from __future__ import annotations

from decimal import Decimal, getcontext

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isolation import isolated
from keepers.prime import RateModel
from keepers.prime.pool_model import BPS, RAY, YEAR
from prime_fixtures import USD, assert_state, model_of

DAY = 86_400
# The deployed model: 2% base, 10% at the 80% kink, 310% at full utilisation.
DEPLOYED = RateModel(200, 800, 30_000, 8_000, 1_000)
HYPOTHESIS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def stack(chain, pool_stack):
    with isolated(chain):
        yield pool_stack


def highest_accepted(pool) -> RateModel:
    """The steepest model the pool accepts: base + slope1 at 100% reached at the kink, the rest
    of the pool's cap above it (1,100% a year before the cap), the largest reserve factor."""
    top = pool.MAX_BORROW_RATE_BPS() if hasattr(pool, "MAX_BORROW_RATE_BPS") else 110_000
    return RateModel(0, BPS, top - BPS, 5_000, pool.MAX_RESERVE_FACTOR_BPS())


def full_pool(stack, model: RateModel, assets: int, account: str = "0x" + "5e" * 20) -> str:
    """`assets` deposited by alice and all of it lent to `account`: utilisation 100%, the model's
    top rate."""
    pool, broker = stack.pool, stack.broker
    pool.setRateModel(model.as_tuple(), sender=stack.governor)
    pool.deposit(assets, stack.lenders["alice"], sender=stack.lenders["alice"])
    pool.borrow(account, assets, 0, broker, sender=broker)
    return account


def still_working(stack, account) -> None:
    """Every entry point a frozen pool refused still answers: `touch`, `deposit`, `totalAssets`,
    `state`, `debtOf`."""
    pool, broker, bob = stack.pool, stack.broker, stack.lenders["bob"]
    pool.touch(account, 0, sender=broker)
    pool.deposit(1_000 * USD, bob, sender=bob)
    s = pool.state()
    assert pool.totalAssets() <= s.cash + s.totalDebt
    assert pool.debtOf(account, 0) >= s.totalDebt - 1


# ---------------------------------------------------------------- SEC-25: the index never freezes


def test_sec_25__a_full_pool_for_centuries__at_the_highest_accepted_rate__never_freezes(
    stack, chain
):
    """The red team's freeze: 1,100% a year was accepted and the 128-bit index overflowed after
    2.47 years of full use (touch, deposit, totalAssets and state reverted for good). Now the
    rate at full utilisation is capped and the index saturates at its ceiling instead of
    overflowing: at the highest accepted model, a century in one gap, then ten decades more."""
    account = full_pool(stack, highest_accepted(stack.pool), 1_000_000 * USD)
    chain.pending_timestamp += 100 * YEAR
    still_working(stack, account)
    for _ in range(10):
        chain.pending_timestamp += 10 * YEAR
        still_working(stack, account)


def test_sec_25__set_rate_model__above_the_cap__refused_with_the_bound(stack):
    pool = stack.pool
    assert pool.MAX_BORROW_RATE_BPS() == 40_000
    with ape.reverts(pool.InvalidRateModel, reason="rate at full utilisation above max"):
        pool.setRateModel(RateModel(0, BPS, 30_001, 5_000, 0).as_tuple(), sender=stack.governor)
    pool.setRateModel(RateModel(0, BPS, 30_000, 5_000, 0).as_tuple(), sender=stack.governor)


@HYPOTHESIS
@given(
    top_bps=st.integers(0, 40_000),
    kink=st.integers(1, 9_999),
    debt=st.sampled_from((1, 10**6, 10**13, 10**19, 10**22)),
    years=st.sampled_from((1, 14, 100, 1_000)),
    steps=st.sampled_from((1, 7)),
)
def test_sec_25__any_accepted_model_debt_and_horizon__as_the_model_and_never_reverts(
    chain, pool_stack, operator, top_bps, kink, debt, years, steps
):
    """Over the accepted parameter space (any rate at full utilisation up to the cap, any kink,
    debts from a unit to ten thousand whole 18-decimal tokens (the shares engine takes 96 bits),
    a year to a millennium at full utilisation, in one gap or several): the index is
    keepers/prime/pool_model.py's to the unit (saturating where it does) and every entry point
    still answers."""
    from keepers.prime.pool_model import PoolModel

    stack = pool_stack
    slope1 = min(top_bps, BPS)
    model = RateModel(0, slope1, top_bps - slope1, kink, 5_000)
    with isolated(chain):
        stack.usdc.mint(stack.lenders["alice"], debt, sender=operator)
        pool, broker = stack.pool, stack.broker
        pool.setRateModel(model.as_tuple(), sender=stack.governor)
        replay = PoolModel(model, pool.state().lastAccrual)
        tx = pool.deposit(debt, stack.lenders["alice"], sender=stack.lenders["alice"])
        replay.deposit(debt, tx.timestamp)
        account = "0x" + "5d" * 20
        tx = pool.borrow(account, debt, 0, broker, sender=broker)
        replay.borrow(account, debt, 0, tx.timestamp)
        for _ in range(steps):
            chain.pending_timestamp += years * YEAR // steps
            tx = pool.touch(account, 0, sender=broker)
            replay.accrue(tx.timestamp)
            replay.charge(account, 0, tx.timestamp)
            s = pool.state()
            assert (s.borrowIndexRay, s.totalDebt, s.reserves) == (
                replay.index_ray,
                replay.total_debt,
                replay.reserves,
            )
        still_working(stack, account)


# ---------------------------------------------------------------- SEC-26: exact compounding


def test_sec_26__a_year_idle_at_310_percent__the_debt_grows_by_e_to_the_3_1(stack, chain):
    """The red team's undercount: one year idle at 310% accrued 13.87M on 1M where monthly
    accruals give 22.16M (lenders lost 37%). The index now compounds by e^(rt) exactly: the year
    in one gap and the year in twelve monthly accruals agree to 1e-20, and both are e^3.1 to
    1e-20 (a 60-digit decimal exponential)."""
    pool, broker = stack.pool, stack.broker
    account = full_pool(stack, DEPLOYED, 1_000_000 * USD)
    start = pool.state().lastAccrual
    with isolated(chain):
        for month in range(1, 13):
            chain.pending_timestamp = start + month * YEAR // 12
            pool.touch(account, 0, sender=broker)
        monthly = pool.state().borrowIndexRay
    chain.pending_timestamp = start + YEAR
    pool.touch(account, 0, sender=broker)
    yearly = pool.state().borrowIndexRay
    getcontext().prec = 60
    exact = (Decimal(31) / 10).exp() * RAY
    assert abs(Decimal(yearly) - exact) / exact < Decimal(10) ** -20
    assert abs(yearly - monthly) * 10**20 < yearly
    assert (
        22_190_000 * USD < pool.debtOf(account, 0) < 22_200_000 * USD
    )  # e^3.1 = 22.198, not 13.87


# ---------------------------------------------------------------- SEC-27: max views honoured


@HYPOTHESIS
@given(
    deposits=st.tuples(st.integers(1, 10**13), st.integers(1, 10**13)),
    borrowed_bps=st.integers(5_000, 10_000),
    days=st.integers(0, 400),
    reserves_out_bps=st.integers(0, 10_000),
    write_off=st.booleans(),
    frozen=st.sampled_from((None, "alice", "bob")),
)
def test_sec_27__cash_short__redeem_max_redeem_and_withdraw_max_withdraw_succeed(
    chain, pool_stack, freezer, deposits, borrowed_bps, days, reserves_out_bps, write_off, frozen
):
    """ERC-4626: `maxRedeem` / `maxWithdraw` never exceed what `redeem` / `withdraw` accept. With
    most (or all) of the cash lent, interest and spreads accrued, reserves partly paid out, bad
    debt written off or not, and a lender frozen or not: each lender's `redeem(maxRedeem)` and
    `withdraw(maxWithdraw)` go through (a frozen lender's maxima are 0: it can do neither)."""
    stack = pool_stack
    pool, broker = stack.pool, stack.broker
    lenders = [stack.lenders["alice"], stack.lenders["bob"]]
    with isolated(chain):
        pool.setRateModel(DEPLOYED.as_tuple(), sender=stack.governor)
        for wallet, amount in zip(lenders, deposits, strict=True):
            stack.usdc.approve(pool, 2**256 - 1, sender=wallet)
            if amount > stack.usdc.balanceOf(wallet):
                amount = stack.usdc.balanceOf(wallet)
            pool.deposit(amount, wallet, sender=wallet)
        cash = pool.state().cash
        lent, spared = "0x" + "5f" * 20, "0x" + "5c" * 20
        pool.borrow(lent, max(cash * borrowed_bps // BPS // 2, 1), 300, broker, sender=broker)
        pool.borrow(
            spared, max(pool.state().cash * borrowed_bps // BPS, 1), 0, broker, sender=broker
        )
        chain.pending_timestamp += days * DAY
        pool.touch(lent, 300, sender=broker)
        s = pool.state()
        out = min(s.reserves, s.cash) * reserves_out_bps // BPS
        if out:
            pool.withdrawReserves(out, stack.governor, sender=stack.governor)
        if write_off:
            pool.realiseBadDebt(lent, 300, sender=broker)
        if frozen:
            stack.registry.freeze(stack.lenders[frozen], sender=freezer)
        for wallet in lenders:
            # Each maximum is redeemed in a block of the same second as the one the view read: the
            # views answer for now, and a later second accrues interest (the share price rises,
            # and `redeem` of yesterday's maximum may ask more than the cash).
            with isolated(chain):
                shares = pool.maxRedeem(wallet)
                chain.pending_timestamp = chain.blocks.head.timestamp
                if shares:
                    pool.redeem(shares, wallet, wallet, sender=wallet)
            with isolated(chain):
                assets = pool.maxWithdraw(wallet)
                chain.pending_timestamp = chain.blocks.head.timestamp
                if assets:
                    pool.withdraw(assets, wallet, wallet, sender=wallet)
        if frozen:
            wallet = stack.lenders[frozen]
            assert pool.maxRedeem(wallet) == pool.maxWithdraw(wallet) == 0


def _borrowed_half_a_year(stack, chain, account):
    """The deployed rate model; alice lends 1,000,000 USDC and `account` borrows 600,000 of it,
    180 days ago. The model, replayed."""
    pool, broker = stack.pool, stack.broker
    pool.setRateModel(DEPLOYED.as_tuple(), sender=stack.governor)
    model = model_of(pool)
    tx = pool.deposit(1_000_000 * USD, stack.lenders["alice"], sender=stack.lenders["alice"])
    model.deposit(1_000_000 * USD, tx.timestamp)
    tx = pool.borrow(account, 600_000 * USD, 0, broker, sender=broker)
    model.borrow(account, 600_000 * USD, 0, tx.timestamp)
    chain.pending_timestamp += 180 * DAY
    return model


def test_sec_194_sec_231__assigned_debt__kept_at_face__recovered_as_cash__dropped_as_a_loss(
    stack, chain
):
    """The pool's side of SEC-190 and SEC-231: debt the broker writes off beside a matured
    note's claim is assigned (`assignBadDebt`): it leaves `totalDebt` (no interest from then) and
    `totalAssets` counts it at face, so the lenders' share price does not step down. What the
    claim pays comes back as cash one for one (`recoverBadDebt`: no step up, nothing for a
    depositor to time); what no claim pays is dropped (`dropAssignedDebt`), realised then,
    reserves first. Each as the model does."""
    pool, broker = stack.pool, stack.broker
    account = "0x" + "d3" * 20
    model = _borrowed_half_a_year(stack, chain, account)
    unit = 10**12  # one share
    with ape.reverts(pool.OnlyBroker, caller=stack.outsider.address):
        pool.assignBadDebt(account, 0, 2**128, sender=stack.outsider)
    tx = pool.assignBadDebt(account, 0, 2**128, sender=broker)
    amount, kept, _ = model.assign_bad_debt(account, 0, tx.timestamp)
    [event] = tx.decode_logs(pool.BadDebtAssigned)
    assert (event.account.lower(), event.amount, event.kept, event.assignedAfter) == (
        account,
        amount,
        amount,
        amount,
    )
    assert kept == amount and not tx.decode_logs(pool.BadDebtRealised)
    s = pool.state()
    assert s.assignedDebt == amount > 600_000 * USD and s.totalDebt == 0
    assert (s.badDebtRealised, s.badDebtAbsorbed) == (0, 0)
    price = pool.convertToAssets(unit)
    assert_state(pool, model)
    # No interest on it: a day later the share price is where it was.
    chain.pending_timestamp += DAY
    pool.touch(account, 0, sender=broker)
    assert pool.convertToAssets(unit) == price
    with ape.reverts(pool.OnlyBroker, caller=stack.outsider.address):
        pool.recoverBadDebt(account, 1, 1, sender=stack.outsider)
    with ape.reverts(pool.RepaymentNotReceived, received=0, expected=1):
        pool.recoverBadDebt(account, 1, 1, sender=broker)
    # Part of it: cash for assigned debt, the price unmoved.
    part = 100_000 * USD
    stack.usdc.transfer(pool, part, sender=broker)
    tx = pool.recoverBadDebt(account, part, part, sender=broker)
    after = model.recover_bad_debt(account, part, tx.timestamp)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert (event.account.lower(), event.amount, event.carried, event.assignedAfter) == (
        account,
        part,
        part,
        amount - part,
    )
    assert after == amount - part == pool.state().assignedDebt
    assert pool.convertToAssets(unit) == price
    assert_state(pool, model)
    # More than is assigned: refused, whoever paid it in.
    stack.usdc.transfer(pool, amount, sender=broker)
    with ape.reverts(pool.AssignedDebtExceeded, assigned=amount - part, amount=amount):
        pool.recoverBadDebt(account, amount, amount, sender=broker)
    # A carried part above what was paid: refused.
    with ape.reverts(pool.CarriedAboveRecovery, assets=1, carried=2):
        pool.recoverBadDebt(account, 1, 2, sender=broker)
    with ape.reverts(pool.AssignedDebtExceeded, assigned=amount - part, amount=amount):
        pool.dropAssignedDebt(account, amount, sender=broker)
    with ape.reverts(pool.OnlyBroker, caller=stack.outsider.address):
        pool.dropAssignedDebt(account, 1, sender=stack.outsider)
    # The rest dropped: realised now, the reserves first, then the lenders.
    reserves = pool.state().reserves
    rest = amount - part
    tx = pool.dropAssignedDebt(account, rest, sender=broker)
    from_reserves, from_lenders = model.drop_assigned_debt(account, rest, tx.timestamp)
    [event] = tx.decode_logs(pool.BadDebtRealised)
    assert (event.amount, event.fromReserves, event.fromLenders) == (
        rest,
        from_reserves,
        from_lenders,
    )
    assert from_reserves == min(rest, reserves) > 0 and from_lenders == rest - from_reserves > 0
    s = pool.state()
    assert (s.assignedDebt, s.badDebtRealised, s.badDebtAbsorbed) == (
        0,
        from_lenders,
        from_reserves,
    )
    assert pool.convertToAssets(unit) < price
    assert_state(pool, model)


def test_sec_234__carry_at_most_the_claims_value__the_rest_realised__reserves_stand_behind_it(
    stack, chain
):
    """Red team round 6 F1, F4. The pool carries at face only what the broker's haircut value of
    the claims covers (`keep`); the rest of the debt is realised at the write-off, reserves first
    (the lenders' price steps down by it then, not at a later drop that a lender could leave
    before). A recovery pays the carry first, one for one, and only past it restores realised
    loss (a step up of at most that). A reserve sweep never takes the reserves below the assigned
    debt: they stand first behind it (F4), and a drop then takes them first."""
    pool, broker = stack.pool, stack.broker
    account = "0x" + "d4" * 20
    model = _borrowed_half_a_year(stack, chain, account)
    unit = 10**12  # one share
    price = pool.convertToAssets(unit)
    keep = 200_000 * USD
    tx = pool.assignBadDebt(account, 0, keep, sender=broker)
    amount, kept, (from_reserves, from_lenders) = model.assign_bad_debt(
        account, 0, tx.timestamp, keep
    )
    assert kept == keep and amount > 600_000 * USD
    [assigned] = tx.decode_logs(pool.BadDebtAssigned)
    [realised] = tx.decode_logs(pool.BadDebtRealised)
    assert (assigned.amount, assigned.kept, assigned.assignedAfter) == (amount, keep, keep)
    assert (realised.amount, realised.fromReserves, realised.fromLenders) == (
        amount - keep,
        from_reserves,
        from_lenders,
    )
    assert from_reserves > 0 and from_lenders > 0
    s = pool.state()
    assert (s.assignedDebt, s.totalDebt, s.reserves) == (keep, 0, 0)
    # The lenders' price fell by what is not carried, at once.
    stepped = pool.convertToAssets(unit)
    assert stepped < price
    assert_state(pool, model)

    # F4: reserves built after the write-off stand behind the carried debt: no sweep below it.
    tx = pool.borrow("0x" + "d5" * 20, 300_000 * USD, 0, broker, sender=broker)
    model.borrow("0x" + "d5" * 20, 300_000 * USD, 0, tx.timestamp)
    chain.pending_timestamp += 365 * DAY
    tx = pool.touch("0x" + "d5" * 20, 0, sender=broker)
    model.accrue(tx.timestamp)
    s = pool.state()
    assert 0 < s.reserves < s.assignedDebt
    with ape.reverts(pool.ReservesExceeded):
        pool.withdrawReserves(1, stack.governor, sender=stack.governor)
    assert pool.state().reserves >= s.reserves

    # A recovery: the carry first, one for one (no step); past it, realised loss restored.
    price = pool.convertToAssets(unit)
    stack.usdc.transfer(pool, keep, sender=broker)
    tx = pool.recoverBadDebt(account, keep, keep, sender=broker)
    model.recover_bad_debt(account, keep, tx.timestamp, keep)
    assert pool.state().assignedDebt == 0
    assert abs(pool.convertToAssets(unit) - price) <= 1
    assert_state(pool, model)
    extra = 50_000 * USD
    before = pool.totalAssets()
    stack.usdc.transfer(pool, extra, sender=broker)
    tx = pool.recoverBadDebt(account, extra, 0, sender=broker)
    model.recover_bad_debt(account, extra, tx.timestamp, 0)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert (event.amount, event.carried, event.assignedAfter) == (extra, 0, 0)
    assert (event.toLenders, event.toReserves) == (extra, 0) and extra <= from_lenders
    # No step (round 8 #3): the restored loss is locked, and unlocks over RESTORATION_UNLOCK.
    assert before <= pool.totalAssets() < before + USD
    assert pool.state().lockedRestoration == extra
    assert_state(pool, model)
    chain.pending_timestamp += pool.RESTORATION_UNLOCK()
    chain.mine()
    assert pool.state().lockedRestoration == 0
    assert extra <= pool.totalAssets() - before
    assert_state(pool, model.viewed_at(chain.blocks.head.timestamp))
    # With nothing carried the reserves are free again.
    free = pool.state().reserves
    pool.withdrawReserves(free, stack.governor, sender=stack.governor)


def test_sec_234__recovery_beyond_the_carry__the_reserves_loss_restored_to_them__no_step(
    stack, chain
):
    """Round 7 M2: the part of a recovery beyond the carry restored the loss to the lenders even
    where the reserves had absorbed it all (the lenders lost nothing): their claim stepped up by
    it, and a depositor before the recovery (the debtor, in one transaction) took a share. Now a
    restoration pays the lenders' recorded loss first, then the reserves' (the records net of it):
    here all of it goes back to the reserves and the lenders' price does not move."""
    pool, broker = stack.pool, stack.broker
    account = "0x" + "d6" * 20
    model = _borrowed_half_a_year(stack, chain, account)
    unit = 10**12
    loss = 1_000 * USD
    tx = pool.touch(account, 0, sender=broker)  # the debt accrued to now (a second short after)
    model.accrue(tx.timestamp)
    keep = pool.debtOf(account, 0) - loss
    tx = pool.assignBadDebt(account, 0, keep, sender=broker)
    amount, kept, (from_reserves, from_lenders) = model.assign_bad_debt(
        account, 0, tx.timestamp, keep
    )
    assert kept == keep and from_lenders == 0 and from_reserves == amount - keep >= loss
    s = pool.state()
    assert (s.badDebtAbsorbed, s.badDebtRealised) == (from_reserves, 0)
    price, reserves = pool.convertToAssets(unit), s.reserves
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(account, amount, keep, sender=broker)
    model.recover_bad_debt(account, amount, tx.timestamp, keep)
    s = pool.state()
    assert (s.assignedDebt, s.badDebtAbsorbed, s.badDebtRealised) == (0, 0, 0)
    # The reserves have their loss back (and a block of interest); the lenders' price: as it was.
    assert reserves + from_reserves <= s.reserves <= reserves + from_reserves + USD
    assert abs(pool.convertToAssets(unit) - price) <= 1
    assert_state(pool, model)


def _lenders_lose(stack, chain, model, account, borrowed):
    """`account` borrows `borrowed`, a day passes, and all its debt is written off (keep 0):
    the reserves absorb what they hold, the lenders lose the rest. (amount, from reserves, from
    lenders)."""
    pool, broker = stack.pool, stack.broker
    tx = pool.borrow(account, borrowed, 0, broker, sender=broker)
    model.borrow(account, borrowed, 0, tx.timestamp)
    chain.pending_timestamp += DAY
    tx = pool.assignBadDebt(account, 0, 0, sender=broker)
    amount, _, (from_reserves, from_lenders) = model.assign_bad_debt(account, 0, tx.timestamp, 0)
    supply = pool.totalSupply() if from_lenders else 0
    assert tuple(pool.lossOf(account)) == (from_reserves, from_lenders, supply)
    return amount, from_reserves, from_lenders


def test_sec_241__restoration_follows_the_accounts_own_loss__reserves_absorbed_it__no_step(
    stack, chain, operator
):
    """Round 8 #3: a restoration followed the pool-wide records, the lenders' recorded loss
    first: with an older loss of the lenders still recorded (account Z), the recovery of account
    X, whose loss the reserves had absorbed in full, stepped the lenders' price up by it (a
    depositor, the debtor too, shared in it). Now each account's write-off keeps its own record
    (`lossOf`) and its recovery restores that: here all of it goes back to the reserves."""
    pool, broker = stack.pool, stack.broker
    z, x = "0x" + "e1" * 20, "0x" + "e2" * 20
    model = _borrowed_half_a_year(stack, chain, z)
    tx = pool.borrow(x, 300_000 * USD, 0, broker, sender=broker)
    model.borrow(x, 300_000 * USD, 0, tx.timestamp)
    # Z's whole debt written off: the lenders lose most of it (recorded pool-wide).
    tx = pool.assignBadDebt(z, 0, 0, sender=broker)
    _, _, (_, z_lenders) = model.assign_bad_debt(z, 0, tx.timestamp, 0)
    assert z_lenders > 500_000 * USD
    # A year of X's interest builds reserves; X's loss, below them, is absorbed in full.
    chain.pending_timestamp += 365 * DAY
    tx = pool.touch(x, 0, sender=broker)
    model.accrue(tx.timestamp)
    loss = pool.state().reserves // 2
    assert loss > 1_000 * USD
    keep = pool.debtOf(x, 0) - loss
    tx = pool.assignBadDebt(x, 0, keep, sender=broker)
    amount, _, (x_reserves, x_lenders) = model.assign_bad_debt(x, 0, tx.timestamp, keep)
    assert x_lenders == 0 and x_reserves == amount - keep >= loss
    assert tuple(pool.lossOf(x)) == (x_reserves, 0, 0)
    unit = 10**12
    price, reserves = pool.convertToAssets(unit), pool.state().reserves
    stack.usdc.mint(broker, amount, sender=operator)
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(x, amount, keep, sender=broker)
    model.recover_bad_debt(x, amount, tx.timestamp, keep)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert (event.toLenders, event.toReserves) == (0, x_reserves)
    s = pool.state()
    # The reserves have X's loss back; Z's loss stays the lenders' record; no step, no lock.
    assert reserves + x_reserves <= s.reserves <= reserves + x_reserves + USD
    assert s.badDebtRealised == z_lenders and s.lockedRestoration == 0
    assert tuple(pool.lossOf(x)) == (0, 0, 0)
    assert abs(pool.convertToAssets(unit) - price) <= 1
    assert_state(pool, model)


def test_sec_241__lenders_restoration_vests_over_seven_days__in_and_out_around_it_captures_nothing(
    stack, chain
):
    """Round 8 #3 (prime7 M2): the lenders' restored loss came back as a step up of
    `totalAssets` at the recovery, so whoever held shares then shared in it: a depositor of nine
    times the pool just before, redeeming just after, took ~90% of it. Now it is locked and
    unlocks linearly over RESTORATION_UNLOCK: no step at the call, half at half-time, all at the
    end, and the one in and out around it captures at most its share of a few seconds' unlock."""
    pool, broker = stack.pool, stack.broker
    a = "0x" + "e3" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    tx = pool.assignBadDebt(a, 0, 0, sender=broker)
    amount, _, (from_reserves, from_lenders) = model.assign_bad_debt(a, 0, tx.timestamp, 0)
    assert from_lenders > 500_000 * USD
    eve = stack.lenders["bob"]
    stake = 9 * pool.totalAssets()
    tx = pool.deposit(stake, eve, sender=eve)
    model.deposit(stake, tx.timestamp)
    before = pool.totalAssets()
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(a, amount, 0, sender=broker)
    recovered_at = tx.timestamp
    model.recover_bad_debt(a, amount, recovered_at, 0)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert (event.toLenders, event.toReserves) == (from_lenders, from_reserves)
    s = pool.state()
    assert s.lockedRestoration == from_lenders
    assert s.restorationUnlocksAt == recovered_at + pool.RESTORATION_UNLOCK()
    # No step at the call (no debt is left: no interest either).
    assert abs(pool.totalAssets() - before) <= 1
    assert_state(pool, model)
    shares, supply = pool.balanceOf(eve), pool.totalSupply()
    tx = pool.redeem(shares, eve, eve, sender=eve)
    [out] = tx.decode_logs(pool.Withdraw)
    forfeited = model.withdraw(out.assets, tx.timestamp, shares, supply)
    elapsed = tx.timestamp - recovered_at
    share = stake / before
    assert out.assets <= stake + from_lenders * share * (elapsed + 1) / (7 * DAY) + 2
    # Its part of the lock still locked went to the reserves (prime13 M1): alice's part stays.
    [event] = tx.decode_logs(pool.RestorationForfeited)
    assert event.owner == eve.address and event.amount == forfeited
    unlocked = from_lenders * share * (elapsed + 1) / (7 * DAY)
    assert abs(forfeited - from_lenders * share) <= unlocked + 2
    assert_state(pool, model)
    # Half-time: half of what stays unlocked (rounded up: never credited early); the end: all.
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK() // 2
    chain.mine()
    locked = pool.state().lockedRestoration
    assert abs(locked - (from_lenders - forfeited) // 2) <= (from_lenders - forfeited) // 1000 + 1
    assert_state(pool, model.viewed_at(chain.blocks.head.timestamp))
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK()
    chain.mine()
    s = pool.state()
    assert (s.lockedRestoration, s.restorationUnlocksAt) == (0, 0)
    assert_state(pool, model.viewed_at(chain.blocks.head.timestamp))


def test_sec_241__a_second_restoration_while_one_unlocks__no_step__the_locked_seconds_kept(
    stack, chain, operator
):
    """Two recoveries half a lock apart: the second re-stamps the lock with what is still locked
    plus its own, over the period that keeps both's locked seconds (Yearn v3's profit unlock):
    `totalAssets` is flat across it, and the end moves to
    `now + (left_locked x left + new x RESTORATION_UNLOCK) / total`."""
    pool, broker = stack.pool, stack.broker
    a, b = "0x" + "e4" * 20, "0x" + "e5" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    first, _, first_lenders = _lenders_lose(stack, chain, model, b, 100_000 * USD)
    tx = pool.assignBadDebt(a, 0, 0, sender=broker)
    second, _, _ = model.assign_bad_debt(a, 0, tx.timestamp, 0)
    stack.usdc.mint(broker, first + second, sender=operator)
    stack.usdc.transfer(pool, first, sender=broker)
    tx = pool.recoverBadDebt(b, first, 0, sender=broker)
    model.recover_bad_debt(b, first, tx.timestamp, 0)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert event.toLenders == first_lenders
    unlock = pool.RESTORATION_UNLOCK()
    t1 = tx.timestamp
    chain.pending_timestamp = t1 + unlock // 2
    chain.mine()
    before = pool.totalAssets()
    stack.usdc.transfer(pool, second, sender=broker)
    tx = pool.recoverBadDebt(a, second, 0, sender=broker)
    model.recover_bad_debt(a, second, tx.timestamp, 0)
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    t2, vested = tx.timestamp, event.toLenders
    # Flat across it (a few seconds of the first lock's unlock aside).
    assert (
        before
        <= pool.totalAssets()
        <= before + first_lenders * (t2 - t1 - unlock // 2 + 1) // unlock + 1
    )
    left = t1 + unlock - t2
    still = -(-first_lenders * left // unlock)  # rounded up, as the pool
    s = pool.state()
    assert s.lockedRestoration == still + vested
    assert s.restorationUnlocksAt == t2 + (still * left + vested * unlock) // (still + vested)
    assert_state(pool, model)


def _lost_and_recovered(stack, chain, account) -> tuple[int, int]:
    """`account` borrowed half a year ago (`_borrowed_half_a_year`), its whole debt is written off
    (keep 0: the lenders lose most of it) and recovered in full at once: the lenders' part locked.
    (the lenders' loss, the recovery's timestamp)."""
    pool, broker = stack.pool, stack.broker
    model = _borrowed_half_a_year(stack, chain, account)
    tx = pool.assignBadDebt(account, 0, 0, sender=broker)
    amount, _, (_, from_lenders) = model.assign_bad_debt(account, 0, tx.timestamp, 0)
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(account, amount, 0, sender=broker)
    return from_lenders, tx.timestamp


def test_sec_241__an_entrant_after_the_recovery__priced_into_the_lock__comes_out_whole(
    stack, chain
):
    """Round 11 #1: new shares were priced at `totalAssets`, which leaves the lock out, so a
    depositor entering right after a recovery (public by then) and holding to the lock's end took
    its pro-rata share of the restoration, riskless. Now an entry is priced at the lenders' assets
    plus the restoration still locked: the entrant comes out whole, and the lock is the earlier
    lenders'."""
    pool = stack.pool
    from_lenders, recovered_at = _lost_and_recovered(stack, chain, "0x" + "e6" * 20)
    alice, eve = stack.lenders["alice"], stack.lenders["bob"]
    alice_before = pool.convertToAssets(pool.balanceOf(alice))
    stake = 5 * pool.totalAssets()
    pool.deposit(stake, eve, sender=eve)
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK()
    chain.mine()
    assert pool.state().lockedRestoration == 0
    out = pool.convertToAssets(pool.balanceOf(eve))
    assert stake - 2 <= out <= stake + 2, (out, stake)
    gained = pool.convertToAssets(pool.balanceOf(alice)) - alice_before
    assert from_lenders - 10 <= gained <= from_lenders + 2, (gained, from_lenders)


def test_sec_241__a_loss_while_a_restoration_unlocks__taken_from_the_lock_first(
    stack, chain, operator
):
    """Round 11 #2: a later loss was never taken from the lock; past the lenders' unlocked claim
    it held `totalAssets` at 0 for days (no lender could leave, a unit deposit minted ~1e24
    shares). Now the lenders' part of a loss takes the restoration still locked first (Yearn v3's
    loss against locked profit): their claim does not move for that part, the lock shrinks."""
    pool, broker = stack.pool, stack.broker
    a, b = "0x" + "e7" * 20, "0x" + "e8" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    tx = pool.borrow(b, 100_000 * USD, 0, broker, sender=broker)
    model.borrow(b, 100_000 * USD, 0, tx.timestamp)
    tx = pool.assignBadDebt(a, 0, 0, sender=broker)
    amount, _, _ = model.assign_bad_debt(a, 0, tx.timestamp, 0)
    stack.usdc.mint(broker, amount, sender=operator)
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(a, amount, 0, sender=broker)
    model.recover_bad_debt(a, amount, tx.timestamp, 0)
    chain.pending_timestamp = tx.timestamp + DAY
    chain.mine()
    seen_at = chain.blocks.head.timestamp
    before, locked = pool.totalAssets(), pool.state().lockedRestoration
    tx = pool.assignBadDebt(b, 0, 0, sender=broker)
    loss, _, (_, from_lenders) = model.assign_bad_debt(b, 0, tx.timestamp, 0)
    assert 0 < from_lenders < locked
    # The lenders' claim is where it was (aside from the seconds between: the lock's unlock over
    # the six days left, and b's interest, at most the 400% cap on its 100,000); the lock paid
    # the loss. (assert_state below checks the figures to the unit against the model.)
    elapsed = tx.timestamp - seen_at
    unlocked = locked * elapsed // (6 * DAY)
    interest = 100_000 * USD * 4 * elapsed // YEAR + 1
    assert before <= pool.totalAssets() <= before + unlocked + interest + 2
    assert pool.state().lockedRestoration <= locked - from_lenders + 1
    assert_state(pool, model)


def test_sec_243__the_last_lender_leaves_during_a_lock__what_is_locked_goes_to_the_reserves(
    stack, chain
):
    """prime12 L1: a leaver forfeited its part still locked to those who stay; when no lender
    stayed, the whole lock was the virtual shares' for good (no holder, lender or governor could
    ever take it; 500,000 USDC in the red team's run). Now each leaver's part of what is still
    locked goes to the reserves: the last leaver's is all of it; `totalAssets` does not move,
    governance sees it, and a new lender is priced as in an empty pool."""
    pool = stack.pool
    from_lenders, recovered_at = _lost_and_recovered(stack, chain, "0x" + "e9" * 20)
    [last] = [w for w in stack.lenders.values() if pool.balanceOf(w) != 0]
    chain.pending_timestamp = recovered_at + DAY
    reserves = pool.state().reserves
    tx = pool.redeem(pool.balanceOf(last), last, last, sender=last)
    [event] = tx.decode_logs(pool.RestorationForfeited)
    after = pool.state()
    assert pool.totalSupply() == 0
    # What was still locked at the redemption (rounded up), one day into seven.
    span = pool.RESTORATION_UNLOCK()
    locked = -(-from_lenders * (recovered_at + span - tx.timestamp) // span)
    assert event.owner == last.address and event.amount == locked > from_lenders * 5 // 7
    assert after.lockedRestoration == 0
    assert after.reserves == reserves + event.amount
    assert pool.totalAssets() <= 1
    # A new lender is priced as in an empty pool: it comes out whole at the lock's old end, and
    # the lock stays the reserves' (governance may sweep it).
    newcomer = stack.lenders["alice"]
    tx = pool.deposit(1_000 * USD, newcomer, sender=newcomer)
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK() + 1
    chain.mine()
    assert 1_000 * USD - 2 <= pool.convertToAssets(pool.balanceOf(newcomer)) <= 1_000 * USD + 2
    assert pool.state().reserves >= after.reserves


def test_sec_243__a_standing_small_holder__takes_nothing_of_a_leavers_lock(stack, chain):
    """prime13 M1: the lock went to the reserves only when less than one base unit's worth of
    shares stayed, so anyone holding 1.50 USDC of shares kept the condition false and, once the
    loss-bearer left during the lock, took all of it (428,570.50 USDC in the red team's model).
    Now each leaver's part goes to the reserves: the small holder comes out with what it put in
    (and its own share of the lock, a few units), and a co-lender who stays keeps exactly its
    part."""
    pool, broker = stack.pool, stack.broker
    small = stack.lenders["bob"]
    model = _borrowed_half_a_year(stack, chain, "0x" + "ea" * 20)
    alice = stack.lenders["alice"]
    tx = pool.assignBadDebt("0x" + "ea" * 20, 0, 0, sender=broker)
    amount, _, (_, from_lenders) = model.assign_bad_debt("0x" + "ea" * 20, 0, tx.timestamp, 0)
    pool.deposit(1_500_000, small, sender=small)  # 1.50 USDC, before the recovery
    put_in = 1_500_000
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt("0x" + "ea" * 20, amount, 0, sender=broker)
    recovered_at = tx.timestamp
    chain.pending_timestamp = recovered_at + DAY
    reserves = pool.state().reserves
    tx = pool.redeem(pool.balanceOf(alice), alice, alice, sender=alice)
    [event] = tx.decode_logs(pool.RestorationForfeited)
    assert event.amount > from_lenders * 5 // 7
    assert pool.state().reserves == reserves + event.amount
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK() + 1
    chain.mine()
    worth = pool.convertToAssets(pool.balanceOf(small))
    # Its share of the lock: at most 1.5 / ~400,000 of 500,000 USDC (about 2 USDC).
    assert put_in - 2 <= worth <= put_in + 3 * USD, worth


def test_sec_246__a_lender_who_left_after_the_loss__its_part_of_the_restoration_to_the_reserves(
    stack, chain
):
    """round13 R1: a lender who leaves after a write-off and before its recovery is paid at the
    price after the loss, and its part of the later restoration went to those who stayed (in the
    red team's model, 5 of 10 leaving: the stayers ended with 749,999.99 where 500,000 was
    theirs). Now the account's loss record keeps the shares outstanding at the write-off, and a
    recovery locks only `restored x min(supply now, supply then) / supply then` for the holders:
    the leavers' part goes to the reserves (`RestorationForfeited` from no owner). Alice, who
    held about half the shares at the loss and stayed, gets her part back, not all of it."""
    pool, broker = stack.pool, stack.broker
    a = "0x" + "eb" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    bob = stack.lenders["bob"]
    tx = pool.deposit(1_000_000 * USD, bob, sender=bob)
    model.deposit(1_000_000 * USD, tx.timestamp)
    alice = stack.lenders["alice"]
    supply_then = pool.totalSupply()
    tx = pool.assignBadDebt(a, 0, 0, sender=broker)
    amount, _, (_, from_lenders) = model.assign_bad_debt(
        a, 0, tx.timestamp, 0, supply=pool.totalSupply()
    )
    assert from_lenders > 500_000 * USD
    assert tuple(pool.lossOf(a)) == (model.losses[a].reserves, from_lenders, supply_then)
    # Bob leaves at the price after the loss.
    shares = pool.balanceOf(bob)
    tx = pool.redeem(shares, bob, bob, sender=bob)
    [out] = tx.decode_logs(pool.Withdraw)
    model.withdraw(out.assets, tx.timestamp, shares, supply_then)
    alice_before = pool.convertToAssets(pool.balanceOf(alice))
    reserves = pool.state().reserves
    supply_now = pool.totalSupply()
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(a, amount, 0, sender=broker)
    model.recover_bad_debt(a, amount, tx.timestamp, 0, supply_now)
    recovered_at = tx.timestamp
    [event] = tx.decode_logs(pool.BadDebtRecovered)
    assert event.toLenders == from_lenders
    # Bob's part (his shares at the loss) went to the reserves at once; alice's is locked.
    leavers = from_lenders - from_lenders * supply_now // supply_then
    [forfeit] = tx.decode_logs(pool.RestorationForfeited)
    assert int(forfeit.owner, 16) == 0 and forfeit.amount == leavers
    # Bob held a little under half the shares (he entered after half a year's interest).
    assert abs(leavers - from_lenders * shares // supply_then) <= 1
    assert from_lenders * 2 // 5 < leavers < from_lenders // 2
    s = pool.state()
    assert s.lockedRestoration == from_lenders - leavers
    back = reserves + event.toReserves + leavers
    assert back <= s.reserves <= back + USD
    assert_state(pool, model)
    # At the lock's end alice has her half of the loss back, not bob's too.
    chain.pending_timestamp = recovered_at + pool.RESTORATION_UNLOCK()
    chain.mine()
    gained = pool.convertToAssets(pool.balanceOf(alice)) - alice_before
    assert from_lenders - leavers - 10 <= gained <= from_lenders - leavers + USD, (gained, leavers)
    assert_state(pool, model.viewed_at(chain.blocks.head.timestamp))


def test_sec_246__every_lender_left_but_dust__the_virtual_shares_keep_no_restoration(stack, chain):
    """round13 R1, its second half: when every lender leaves after the loss, `withdraw`'s
    rounding can leave dust shares worth 0, so a recovery found a supply above 0 and locked the
    whole restoration for holders that are mostly the pool's virtual shares (up to 250,000 of
    500,000 in the red team's model: nobody's, for good). Now the lock is the restoration times
    the dust's part of the supply at the loss: the rest goes to the reserves."""
    pool, broker = stack.pool, stack.broker
    a = "0x" + "ec" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    alice = stack.lenders["alice"]
    tx = pool.assignBadDebt(a, 0, 0, sender=broker)
    amount, _, (_, from_lenders) = model.assign_bad_debt(
        a, 0, tx.timestamp, 0, supply=pool.totalSupply()
    )
    pool.redeem(pool.balanceOf(alice) - 1, alice, alice, sender=alice)
    assert pool.totalSupply() == 1
    reserves = pool.state().reserves
    stack.usdc.transfer(pool, amount, sender=broker)
    tx = pool.recoverBadDebt(a, amount, 0, sender=broker)
    [forfeit] = tx.decode_logs(pool.RestorationForfeited)
    s = pool.state()
    assert s.lockedRestoration <= 1 and forfeit.amount >= from_lenders - 1
    assert s.reserves >= reserves + from_lenders - 1


def test_sec_246__a_small_loss_then_a_large_drop__the_drops_leavers_part_to_the_reserves(
    stack, chain, operator
):
    """F1 of the read of SEC-246's first form: a record kept the smallest supply of its losses,
    so a small early loss at a low supply decided the split of a much larger later one: alice
    alone loses 1,000 USDC at the write-off, bob enters with nine times her stake, the carry is
    dropped (a loss ten times as many shares bore), bob leaves, and the recovery gave alice all of
    it, bob's nine tenths of the drop included. Now the record keeps the loss-weighted harmonic
    supply (`lenders / supply` = the sum of each loss per share): alice is restored her 1,000 and
    her tenth of the drop, bob's part goes to the reserves."""
    pool, broker = stack.pool, stack.broker
    a = "0x" + "ed" * 20
    model = _borrowed_half_a_year(stack, chain, a)
    alice, bob = stack.lenders["alice"], stack.lenders["bob"]
    tx = pool.touch(a, 0, sender=broker)
    model.accrue(tx.timestamp)
    keep = pool.debtOf(a, 0) - pool.state().reserves - 1_000 * USD
    tx = pool.assignBadDebt(a, 0, keep, sender=broker)
    _, kept, (_, first) = model.assign_bad_debt(a, 0, tx.timestamp, keep, supply=pool.totalSupply())
    assert 999 * USD <= first <= 1_001 * USD
    alice_shares = pool.balanceOf(alice)
    stake = 9 * pool.totalAssets()
    tx = pool.deposit(stake, bob, sender=bob)
    model.deposit(stake, tx.timestamp)
    tx = pool.dropAssignedDebt(a, kept, sender=broker)
    _, second = model.drop_assigned_debt(a, kept, tx.timestamp, supply=pool.totalSupply())
    assert second > 400_000 * USD
    record = pool.lossOf(a)
    assert (record.lenders, record.supply) == (model.losses[a].lenders, model.losses[a].supply)
    shares, supply = pool.balanceOf(bob), pool.totalSupply()
    tx = pool.redeem(shares, bob, bob, sender=bob)
    [out] = tx.decode_logs(pool.Withdraw)
    model.withdraw(out.assets, tx.timestamp, shares, supply)
    lost = record.lenders
    stack.usdc.mint(broker, lost, sender=operator)
    stack.usdc.transfer(pool, lost, sender=broker)
    tx = pool.recoverBadDebt(a, lost, 0, sender=broker)
    model.recover_bad_debt(a, lost, tx.timestamp, 0, pool.totalSupply())
    [forfeit] = tx.decode_logs(pool.RestorationForfeited)
    held = pool.state().lockedRestoration
    # Alice's part: her 1,000 and her part of the drop (her shares of the supply at the drop).
    hers = first + second * alice_shares // supply
    assert abs(held - hers) <= hers // 100, (held, hers)
    assert forfeit.amount == lost - held
    assert_state(pool, model)
