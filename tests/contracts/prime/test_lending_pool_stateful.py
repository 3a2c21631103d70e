"""PRM-1 and PRM-5 as a hypothesis state machine over the lending pool: deposits and redemptions
by two lenders, borrows, partial and whole repayments, touches and bad-debt write-offs of three
accounts at three spreads (0, 2.5% and 10% a year), realised or assigned to a claim (SEC-231),
carried in whole, in part or not at all (SEC-234), then recovered (against the carry, or beyond it)
or dropped, reserve payouts (never below the assigned debt, SEC-234) and time passing (a minute to
a quarter). The oracle is keepers/prime/pool_model.py's `PoolModel`, replayed at each call's block
timestamp. After each step:
- PRM-1: the pool's `totalDebt` is the sum of the accounts' debts without their pending spread
  (`debtOf(account, 0)`), short of it by less than one unit per account;
- PRM-5: the lenders' claim (`totalAssets`) never exceeds the pool's cash plus its debt plus its
  assigned debt, and is exactly `cash + totalDebt + assignedDebt - reserves - lockedRestoration`,
  bad debt recorded or not;
- the pool's cash, debt, reserves, index, bad-debt records, restoration lock and each account's
  loss record (`lossOf`, round 8 #3) are the model's to the unit."""

import ape
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from isolation import isolated
from prime_fixtures import USD, assert_state, model_of

SPREADS = {"0x" + "a7" * 20: 0, "0x" + "b7" * 20: 250, "0x" + "c7" * 20: 1_000}
ACCOUNT = st.sampled_from(tuple(SPREADS))
LENDER = st.sampled_from(("alice", "bob"))
PART = st.sampled_from((1, 2, 3, 10))  # a whole, a half, a third, a tenth


def test_prm_1_prm_5__pool_state_machine(chain, pool_stack):
    stack = pool_stack
    pool, broker, usdc = stack.pool, stack.broker, stack.usdc

    class PoolMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.isolation = isolated(chain)
            self.isolation.__enter__()
            self.model = model_of(pool)
            tx = pool.deposit(500_000 * USD, stack.lenders["alice"], sender=stack.lenders["alice"])
            self.model.deposit(500_000 * USD, tx.timestamp)

        def teardown(self):
            self.isolation.__exit__(None, None, None)

        @rule(lender=LENDER, whole=st.integers(1, 400_000))
        def deposit(self, lender, whole):
            wallet = stack.lenders[lender]
            tx = pool.deposit(whole * USD, wallet, sender=wallet)
            self.model.deposit(whole * USD, tx.timestamp)

        @rule(lender=LENDER, part=PART)
        def redeem(self, lender, part):
            wallet = stack.lenders[lender]
            # Within 99% of the cash: the shares are worth a little more by the next block.
            shares = min(
                pool.balanceOf(wallet) // part, pool.convertToShares(pool.state().cash * 99 // 100)
            )
            if shares == 0:
                return
            supply = pool.totalSupply()
            tx = pool.redeem(shares, wallet, wallet, sender=wallet)
            [event] = tx.decode_logs(pool.Withdraw)
            forfeited = self.model.withdraw(event.assets, tx.timestamp, shares, supply)
            # The leaver's part of the lock still locked went to the reserves (prime13 M1).
            logged = [e.amount for e in tx.decode_logs(pool.RestorationForfeited)]
            assert logged == ([forfeited] if forfeited else [])

        @rule(account=ACCOUNT, part=st.sampled_from((2, 4, 20)))
        def borrow(self, account, part):
            assets = pool.state().cash // part
            if assets == 0:
                return
            tx = pool.borrow(account, assets, SPREADS[account], broker, sender=broker)
            debt = self.model.borrow(account, assets, SPREADS[account], tx.timestamp)
            [event] = tx.decode_logs(pool.Borrowed)
            assert event.debtAfter == debt

        @rule(account=ACCOUNT, part=PART)
        def repay(self, account, part):
            due = pool.debtOf(account, SPREADS[account])
            if due == 0:
                return
            # A whole repayment pays more than is due now (1% covers a day's interest at the top
            # rate: the block it lands in is seconds later); the rest stays uncounted.
            assets = due // part if part > 1 else 2**256 - 1
            usdc.transfer(pool, due // part if part > 1 else due + due // 100 + USD, sender=broker)
            tx = pool.repay(account, assets, SPREADS[account], sender=broker)
            booked, debt_after = self.model.repay(account, assets, SPREADS[account], tx.timestamp)
            [event] = tx.decode_logs(pool.Repaid)
            assert (event.assets, event.debtAfter) == (booked, debt_after)

        @rule(account=ACCOUNT)
        def touch(self, account):
            tx = pool.touch(account, SPREADS[account], sender=broker)
            self.model.accrue(tx.timestamp)
            self.model.charge(account, SPREADS[account], tx.timestamp)

        @rule(account=ACCOUNT)
        def realise_bad_debt(self, account):
            tx = pool.realiseBadDebt(account, SPREADS[account], sender=broker)
            amount, from_reserves, from_lenders = self.model.realise_bad_debt(
                account, SPREADS[account], tx.timestamp
            )
            [event] = tx.decode_logs(pool.BadDebtRealised)
            assert (event.amount, event.fromReserves, event.fromLenders) == (
                amount,
                from_reserves,
                from_lenders,
            )

        @rule(account=ACCOUNT, keep=st.sampled_from((0, 1_000 * USD, 2**128)))
        def assign_bad_debt(self, account, keep):
            """Carried: none of it, at most $1,000, all of it (SEC-234)."""
            tx = pool.assignBadDebt(account, SPREADS[account], keep, sender=broker)
            amount, kept, realised = self.model.assign_bad_debt(
                account, SPREADS[account], tx.timestamp, keep, supply=pool.totalSupply()
            )
            [event] = tx.decode_logs(pool.BadDebtAssigned)
            assert (event.amount, event.kept, event.assignedAfter) == (
                amount,
                kept,
                self.model.assigned_debt,
            )
            losses = tx.decode_logs(pool.BadDebtRealised)
            assert [(e.amount, e.fromReserves, e.fromLenders) for e in losses] == (
                [(amount - kept, *realised)] if amount != kept else []
            )

        @rule(account=ACCOUNT, part=PART)
        def recover_or_drop_assigned_debt(self, account, part):
            """A claim pays `1/part` of the pool's assigned debt (odd parts) or none of it will
            (even parts: dropped, realised)."""
            amount = pool.state().assignedDebt // part
            if amount == 0:
                return
            if part % 2:
                # A third of the recovery past the carry restores realised loss (SEC-234).
                paid = amount + amount // 2 * (part == 3)
                usdc.transfer(pool, paid, sender=broker)
                tx = pool.recoverBadDebt(account, paid, amount, sender=broker)
                before = self.model.losses.get(account)
                before = (before.lenders, before.reserves) if before else (0, 0)
                after = self.model.recover_bad_debt(
                    account, paid, tx.timestamp, amount, pool.totalSupply()
                )
                assert after == pool.state().assignedDebt
                [event] = tx.decode_logs(pool.BadDebtRecovered)
                loss = self.model.losses.get(account)
                restored = (before[0] - loss.lenders, before[1] - loss.reserves) if loss else (0, 0)
                assert (event.amount, event.carried, event.assignedAfter) == (paid, amount, after)
                assert (event.toLenders, event.toReserves) == restored
            else:
                tx = pool.dropAssignedDebt(account, amount, sender=broker)
                from_reserves, from_lenders = self.model.drop_assigned_debt(
                    account, amount, tx.timestamp, supply=pool.totalSupply()
                )
                [event] = tx.decode_logs(pool.BadDebtRealised)
                assert (event.fromReserves, event.fromLenders) == (from_reserves, from_lenders)

        @rule(part=PART)
        def withdraw_reserves(self, part):
            s = pool.state()
            free = max(s.reserves - s.assignedDebt, 0)
            amount = min(free, s.cash) // part
            if amount == 0:
                # The reserves stand behind the assigned debt: a sweep into it is refused.
                # (Well inside: the next block's interest adds to the reserves.)
                if s.assignedDebt > 2 * s.reserves > 0 and s.cash:
                    with ape.reverts(pool.ReservesExceeded):
                        pool.withdrawReserves(
                            min(s.reserves, s.cash), stack.governor, sender=stack.governor
                        )
                return
            tx = pool.withdrawReserves(amount, stack.governor, sender=stack.governor)
            self.model.withdraw_reserves(amount, tx.timestamp)

        @rule(seconds=st.sampled_from((60, 86_400, 30 * 86_400, 90 * 86_400)))
        def wait(self, seconds):
            chain.pending_timestamp = chain.pending_timestamp + seconds
            chain.mine()

        @invariant()
        def prm_1__total_debt_is_the_sum_of_the_accounts_debts(self):
            if not hasattr(self, "model"):
                return
            total = pool.state().totalDebt
            debts = sum(pool.debtOf(account, 0) for account in SPREADS)
            assert debts - len(SPREADS) < total <= debts

        @invariant()
        def prm_5__lenders_claims_within_cash_and_debt(self):
            if not hasattr(self, "model"):
                return
            s = pool.state()
            assets = s.cash + s.totalDebt + s.assignedDebt
            assert pool.totalAssets() <= assets
            assert pool.totalAssets() == assets - s.reserves - s.lockedRestoration

        @invariant()
        def pool_is_the_model(self):
            if not hasattr(self, "model"):
                return
            assert_state(pool, self.model.viewed_at(chain.blocks.head.timestamp))

    run_state_machine_as_test(
        PoolMachine,
        settings=settings(
            # Derandomised for a reproducible CI; no shrinking: each step is a transaction.
            max_examples=8,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
