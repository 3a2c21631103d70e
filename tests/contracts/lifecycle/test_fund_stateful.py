"""LCY-29 as a hypothesis state machine: random subscriptions, redemptions, cancellations, time
moves, strikes at random NAV moves with a random gate and random free cash, claims (deposit, mint,
redeem, withdraw; by the controller or its operator; to itself or another investor) and sanctions
freezes, by five investors. The oracle is an independent model of the fund in exact fractions
(`fund_model.ExactFund`: what each investor is owed at the struck NAVs, no rounding) plus the
machine's own ledgers of what was requested, cancelled and received; every outcome (success or the
error) is predicted before the call. After each step:
- no shares reach an investor the compliance engine would refuse (each claim's mint is predicted
  from `detectTransferRestriction` and must succeed exactly when it says 0), and no claim or
  cancellation is taken from or paid to a frozen wallet (SEC-123); a subscription meets the
  initial minimum until the controller's subscriptions reach it, then the subsequent one (in
  18-decimal dollars, SEC-126, SEC-132);
- the claimable assets never exceed the reserve, and the reserve plus pending deposits never exceed
  the vault's cash; the escrow holds exactly the queue;
- every unit requested is pending, claimable, claimed or cancelled, never two (deposits exactly;
  redemptions up to the documented dust that rounding leaves unowned in the queue);
- no sequence creates value by rounding: each investor's shares and assets received plus claimable
  are at most its exact entitlement, so the fund's loss to rounding is never negative."""

from fractions import Fraction

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from compliance_fixtures import US
from fast_reverts import revert_data
from fund_fixtures import SHARE_UNIT, USD_UNIT
from fund_model import ExactFund

ZERO = "0x" + "00" * 20
LABELS = ("alice", "bob", "carol", "dave", "erin")
CONTROLLERS = st.sampled_from(LABELS)
# initial, subsequent: in the instrument's currency, 18 decimals (SEC-126)
US_MINIMUMS = (1_000 * 10**18, 100 * 10**18)
VALUE18 = 10**18 // USD_UNIT  # a USDF base unit at par, in 18 decimals
US_INVESTORS = {"alice", "bob", "erin"}
FREEZABLE = st.sampled_from(("carol", "dave"))
GATES = st.sampled_from((100, 1_000, 3_000, 10_000))
# Round amounts (the minimums' edges among them) and arbitrary ones, in base units.
DEPOSITS = st.one_of(
    st.sampled_from((999, 1_000, 25_000, 50_000)).map(lambda usd: usd * USD_UNIT),
    st.integers(100 * USD_UNIT, 50_000 * USD_UNIT),
)
FRACTIONS = st.one_of(
    st.sampled_from((Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(1, 10))),
    st.fractions(0, 1),
)
# The NAV agent usually waits for the cut-off; sometimes it tries too early.
ON_TIME = st.sampled_from((True, True, False))
PARTS = st.sampled_from((Fraction(1), Fraction(1, 2), Fraction(1, 3)))
# One dealing period's requests, cancellations and claims, in order ("cutoff": time passes the
# cut-off, later requests join the next period).
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("deposit"), CONTROLLERS, DEPOSITS),
        st.tuples(st.just("redeem"), CONTROLLERS, FRACTIONS),
        st.tuples(st.just("claim_shares"), CONTROLLERS, PARTS),
        st.tuples(st.just("claim_assets"), CONTROLLERS, PARTS),
        st.tuples(st.just("cancel"), CONTROLLERS, st.booleans()),
        st.tuples(st.just("cutoff"), CONTROLLERS, st.none()),
    ),
    min_size=1,
    max_size=8,
)
# Dust a redemption may leave unowned per strike (the running product's relative error, 2^-63,
# times the largest request here, ~1e25 base units) and per settlement (one unit).
DUST_PER_STRIKE = 2 * 10**6


def selector(contract, name: str) -> bytes:
    from eth_utils import keccak

    abi = next(e for e in contract.contract_type.errors if e.name == name)
    return keccak(text=abi.selector)[:4]


def test_fund_state_machine(chain, fund_stack, freezer):
    fund = fund_stack
    vault, share, usdc, engine = fund.vault, fund.share, fund.usdc, fund.engine
    wallets = {label: fund.investors[label] for label in LABELS}
    operator_of = {"alice": wallets["bob"]}  # bob is alice's ERC-7540 operator

    class FundMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.snapshot = chain.snapshot()
            engine.setInvestmentMinimums(US, US_MINIMUMS, sender=fund.governor)
            vault.setOperator(wallets["bob"], True, sender=wallets["alice"])
            self.exact = ExactFund(USD_UNIT, SHARE_UNIT)
            self.price = Fraction(1)
            self.strikes = 0
            self.frozen: set[str] = set()
            # what the machine saw happen, per controller
            self.deposited = dict.fromkeys(LABELS, 0)  # assets requested
            self.deposit_cancelled = dict.fromkeys(LABELS, 0)
            self.deposit_claimed = dict.fromkeys(LABELS, 0)  # assets consumed by claims
            self.minted = dict.fromkeys(LABELS, 0)  # shares received from claims
            self.redeemed = dict.fromkeys(LABELS, 0)  # shares requested
            self.redeem_cancelled = dict.fromkeys(LABELS, 0)
            self.redeem_claimed = dict.fromkeys(LABELS, 0)  # shares consumed by claims
            self.paid = dict.fromkeys(LABELS, 0)  # assets received from claims
            self.redeem_period = dict.fromkeys(LABELS, 0)  # period of the last redemption request
            # the queue as the contract keeps it: shares pending for the open period / the next
            self.queue, self.late_queue = 0, 0
            self.late_deposits = 0
            # every investor starts as a holder: a first dealing period, struck and claimed
            vault.setGate(3_000, sender=fund.governor)
            for label in LABELS:
                self.request_deposit(label, 20_000 * USD_UNIT, False)
            self.strike(0, True, None)
            for label in LABELS:
                self.claim_deposit(label, label, False, Fraction(1), False)

        def teardown(self):
            chain.restore(self.snapshot)

        # -------------------------------------------------------------- helpers
        def dealing(self):
            period, cutoff, *_ = vault.dealing()
            return period, cutoff, chain.pending_timestamp >= cutoff

        def expect_revert(self, method, *args, sender, error):
            data = revert_data(chain, method, *args, sender=sender)
            assert data[:4] == selector(*error), (error[1], data[:4].hex())
            return data

        def sender_for(self, label, by_operator):
            return operator_of[label] if by_operator and label in operator_of else wallets[label]

        # -------------------------------------------------------------- requests
        @rule(
            label=CONTROLLERS,
            assets=DEPOSITS,
            by_operator=st.booleans(),
        )
        def request_deposit(self, label, assets, by_operator):
            wallet, sender = wallets[label], self.sender_for(label, by_operator)
            period, _, late = self.dealing()
            target = period + late
            pending, pending_period = self.exact.pending_deposits.get(label, (0, target))
            # Initial until the controller's subscriptions here (requests less cancellations)
            # reach the initial minimum, whatever it holds (SEC-132); then the subsequent one.
            subscribed = (self.deposited[label] - self.deposit_cancelled[label]) * VALUE18
            initial = subscribed < US_MINIMUMS[0]
            value = assets * VALUE18
            below = label in US_INVESTORS and (
                subscribed + value < US_MINIMUMS[0] if initial else value < US_MINIMUMS[1]
            )
            args = (assets, wallet, wallet)
            if pending and pending_period != target:
                self.expect_revert(
                    vault.requestDeposit,
                    *args,
                    sender=sender,
                    error=(vault, "PendingInEarlierPeriod"),
                )
            elif label in self.frozen:
                self.expect_revert(
                    vault.requestDeposit,
                    *args,
                    sender=sender,
                    error=(vault, "ControllerNotVerified"),
                )
            elif below:
                self.expect_revert(
                    vault.requestDeposit,
                    *args,
                    sender=sender,
                    error=(vault, "BelowMinimumInvestment"),
                )
            else:
                vault.requestDeposit(*args, sender=sender)
                self.exact.request_deposit(label, assets, target)
                self.deposited[label] += assets
                if late:
                    self.late_deposits += assets

        @rule(label=CONTROLLERS, fraction=FRACTIONS, by_operator=st.booleans())
        def request_redeem(self, label, fraction, by_operator):
            wallet, sender = wallets[label], self.sender_for(label, by_operator)
            shares = int(share.balanceOf(wallet) * fraction)
            if shares == 0:
                return
            period, _, late = self.dealing()
            target = period + late
            pending = vault.pendingRedeemRequest(0, wallet)
            # a request struck at least once is pending in the open period (carried)
            pending_period = max(self.redeem_period[label], period)
            args = (shares, wallet, wallet)
            if pending and pending_period != target:
                self.expect_revert(
                    vault.requestRedeem,
                    *args,
                    sender=sender,
                    error=(vault, "PendingInEarlierPeriod"),
                )
            elif label in self.frozen:  # the escrow transfer: a frozen sender
                self.expect_revert(
                    vault.requestRedeem,
                    *args,
                    sender=sender,
                    error=(engine, "TransferNotCompliant"),
                )
            else:
                vault.requestRedeem(*args, sender=sender)
                self.exact.request_redeem(label, shares, target)
                self.redeemed[label] += shares
                self.redeem_period[label] = target
                if late:
                    self.late_queue += shares
                else:
                    self.queue += shares

        @rule(data=st.data(), redemption=st.booleans(), by_operator=st.booleans())
        def cancel(self, data, redemption, by_operator):
            """Cancels a pending request (drawn among the controllers that have one)."""
            if redemption:
                candidates = [c for c, r in self.exact.redemptions.items() if r.pending]
            else:
                candidates = sorted(self.exact.pending_deposits)
            if not candidates:
                return
            label = data.draw(st.sampled_from(candidates))
            if redemption:
                self.cancel_redeem(label, by_operator)
            else:
                self.cancel_deposit(label, by_operator)

        def cancel_deposit(self, label, by_operator):
            wallet, sender = wallets[label], self.sender_for(label, by_operator)
            period, _, late_now = self.dealing()
            pending, pending_period = self.exact.pending_deposits.get(label, (0, 0))
            if label in self.frozen:  # a frozen controller cancels nothing (SEC-123)
                self.expect_revert(
                    vault.cancelDepositRequest, wallet, wallet, sender=sender,
                    error=(vault, "WalletFrozen"),
                )  # fmt: skip
                return
            if not pending:
                self.expect_revert(
                    vault.cancelDepositRequest, wallet, wallet, sender=sender,
                    error=(vault, "NothingPending"),
                )  # fmt: skip
                return
            late_request = pending_period != period
            if late_now and not late_request:
                self.expect_revert(
                    vault.cancelDepositRequest, wallet, wallet, sender=sender,
                    error=(vault, "CutoffPassed"),
                )  # fmt: skip
                return
            returned = vault.cancelDepositRequest(wallet, wallet, sender=sender).return_value
            assert returned == pending == self.exact.cancel_deposit(label)
            self.deposit_cancelled[label] += returned
            if late_request:
                self.late_deposits -= returned

        def cancel_redeem(self, label, by_operator):
            wallet, sender = wallets[label], self.sender_for(label, by_operator)
            period, _, late_now = self.dealing()
            pending = vault.pendingRedeemRequest(0, wallet)
            late_request = self.redeem_period[label] > period
            if label in self.frozen:  # a frozen controller cancels nothing (SEC-123)
                self.expect_revert(
                    vault.cancelRedeemRequest, wallet, wallet, sender=sender,
                    error=(vault, "WalletFrozen"),
                )  # fmt: skip
                return
            if not pending:
                self.expect_revert(
                    vault.cancelRedeemRequest, wallet, wallet, sender=sender,
                    error=(vault, "NothingPending"),
                )  # fmt: skip
                return
            if late_now and not late_request:
                self.expect_revert(
                    vault.cancelRedeemRequest, wallet, wallet, sender=sender,
                    error=(vault, "CutoffPassed"),
                )  # fmt: skip
                return
            returned = vault.cancelRedeemRequest(wallet, wallet, sender=sender).return_value
            exact_pending = self.exact.cancel_redeem(label)
            assert returned == pending <= exact_pending
            assert exact_pending - returned <= 1 + DUST_PER_STRIKE * self.strikes
            self.redeem_cancelled[label] += returned
            if late_request:
                self.late_queue -= returned
            else:
                self.queue -= returned

        # -------------------------------------------------------------- time and strikes
        def move_to(self, timestamp):
            """The head moves to `timestamp` (a mined block: calls see it too). The machine keeps
            every time it chooses 30 minutes or more before a cut-off, or after it."""
            chain.pending_timestamp = timestamp
            chain.mine()

        @rule(after_cutoff=st.booleans(), hours=st.integers(1, 20))
        def move_time(self, after_cutoff, hours):
            _, cutoff, late = self.dealing()
            now = chain.pending_timestamp
            if after_cutoff:
                self.move_to(max(now, cutoff + 60))
            elif not late and now + hours * 3_600 < cutoff - 1_800:
                self.move_to(now + hours * 3_600)

        @rule(move_bps=st.integers(-500, 500), on_time=ON_TIME, gate=GATES)
        def strike(self, move_bps, on_time, gate=None):
            if gate is not None and gate != vault.gateBps():  # governance moved the gate
                vault.setGate(gate, sender=fund.governor)
            if on_time:  # the NAV agent waits for the cut-off; else it may try too early
                self.move_to(max(chain.pending_timestamp, self.dealing()[1] + 60))
            period, _, late = self.dealing()
            price = self.price * (10_000 + move_bps) / 10_000
            answer = round(price * 10**8)
            nav18 = answer * 10**10
            fund.feed.report(answer, sender=fund.reporter)
            if not late:
                self.expect_revert(
                    vault.strike, sender=fund.nav_agent, error=(vault, "StrikeBeforeCutoff")
                )
                return
            # the model's fulfilment: min(queue, gate, what the free cash buys)
            deposits = vault.dealing()[2]
            gate = share.totalSupply() * vault.gateBps() // 10_000
            free = max(0, usdc.balanceOf(vault) - self.late_deposits - vault.reservedAssets())
            buys = free * SHARE_UNIT * 10**18 // (nav18 * USD_UNIT)
            fulfilled = min(self.queue, gate, buys)
            tx = vault.strike(sender=fund.nav_agent)
            [log] = tx.decode_logs(vault.PeriodStruck)
            assert (log.period, log.nav18, log.depositAssets) == (period, nav18, deposits)
            assert (log.pendingShares, log.fulfilledShares) == (self.queue, fulfilled)
            self.exact.strike(period, nav18, self.queue, fulfilled)
            self.queue = self.queue - fulfilled + self.late_queue
            self.late_queue, self.late_deposits = 0, 0
            self.price, self.strikes = Fraction(answer, 10**8), self.strikes + 1

        @rule(
            actions=ACTIONS,
            move_bps=st.integers(-500, 500),
            gate=GATES,
            receiver=CONTROLLERS,
            flags=st.tuples(st.booleans(), st.booleans()),
        )
        def dealing_period(self, actions, move_bps, gate, receiver, flags):
            """A whole period: its actions, then the strike (a sequence deep enough to carry a
            gated queue over several periods within the example budget)."""
            by_operator, alternate = flags
            for kind, label, argument in actions:
                wallet = wallets[label]
                if kind == "deposit":
                    self.request_deposit(label, argument, by_operator)
                elif kind == "redeem":
                    self.request_redeem(label, argument, by_operator)
                elif kind == "claim_shares" and vault.maxMint(wallet):
                    self.claim_deposit(label, receiver, alternate, argument, by_operator)
                elif kind == "claim_assets" and vault.maxRedeem(wallet):
                    self.claim_redemption(label, receiver, alternate, argument, by_operator)
                elif kind == "cancel":
                    pending = (
                        self.exact.redemptions.get(label) is not None
                        and self.exact.redemptions[label].pending
                        if argument
                        else label in self.exact.pending_deposits
                    )
                    if pending:
                        (self.cancel_redeem if argument else self.cancel_deposit)(
                            label, by_operator
                        )
                elif kind == "cutoff":
                    self.move_time(True, 0)
            self.strike(move_bps, True, gate)

        @rule(fraction=st.fractions(0, 1), out=st.booleans())
        def move_cash(self, fraction, out):
            """The fund manager invests free cash, or the custodian brings some back."""
            if out:
                vault.investCash(int(vault.freeCash() * fraction), sender=fund.fund_manager)
                return
            amount = int(usdc.balanceOf(fund.custodian) * fraction)
            if amount:
                usdc.approve(vault, amount, sender=fund.custodian)
                vault.returnCash(amount, sender=fund.custodian)

        @rule(label=FREEZABLE, freeze=st.booleans())
        def sanctions(self, label, freeze):
            if freeze and label not in self.frozen:
                fund.registry.freeze(wallets[label], sender=freezer)
                self.frozen.add(label)
            elif not freeze and label in self.frozen:
                fund.registry.unfreeze(wallets[label], sender=fund.operator)
                self.frozen.discard(label)

        # -------------------------------------------------------------- claims
        def claimants(self, data, view):
            candidates = [label for label, w in wallets.items() if view(w)]
            return data.draw(st.sampled_from(candidates)) if candidates else None

        @rule(
            data=st.data(),
            receiver=CONTROLLERS,
            by_mint=st.booleans(),
            part=st.sampled_from((Fraction(1), Fraction(1, 2), Fraction(1, 3))),
            by_operator=st.booleans(),
        )
        def claim_shares(self, data, receiver, by_mint, part, by_operator):
            label = self.claimants(data, vault.maxMint)
            if label is not None:
                self.claim_deposit(label, receiver, by_mint, part, by_operator)

        def claim_refused_frozen(self, method, args, sender, label, receiver):
            """A claim of a frozen controller, or to a frozen receiver, is refused and waits,
            whole (SEC-123); True when it was."""
            frozen = label if label in self.frozen else receiver
            if frozen not in self.frozen:
                return False
            data = self.expect_revert(method, *args, sender=sender, error=(vault, "WalletFrozen"))
            assert data[-20:] == bytes.fromhex(wallets[frozen].address[2:])
            return True

        def claim_deposit(self, label, receiver, by_mint, part, by_operator):
            wallet, to = wallets[label], wallets[receiver]
            sender = self.sender_for(label, by_operator)
            claimable_assets, claimable_shares = vault.maxDeposit(wallet), vault.maxMint(wallet)
            if claimable_shares == 0:
                return
            if by_mint:
                shares = int(claimable_shares * part)
                assets = (
                    claimable_assets
                    if shares == claimable_shares
                    else -(-claimable_assets * shares // claimable_shares)
                )
                method, args = vault.mint, (shares, to, wallet)
            else:
                assets = int(claimable_assets * part)
                shares = (
                    claimable_shares
                    if assets == claimable_assets
                    else claimable_shares * assets // claimable_assets
                )
                method, args = vault.deposit, (assets, to, wallet)
            if self.claim_refused_frozen(method, args, sender, label, receiver):
                return
            code = engine.detectTransferRestriction(ZERO, to, shares) if shares else 0
            if code:
                # no shares reach an investor the engine refuses
                data = self.expect_revert(
                    method, *args, sender=sender, error=(engine, "TransferNotCompliant")
                )
                assert data[-1] == code
                return
            before = share.balanceOf(to)
            method(*args, sender=sender)
            assert share.balanceOf(to) == before + shares
            self.deposit_claimed[label] += assets
            self.minted[label] += shares

        @rule(
            data=st.data(),
            receiver=CONTROLLERS,
            by_withdraw=st.booleans(),
            part=st.sampled_from((Fraction(1), Fraction(1, 2), Fraction(2, 3))),
            by_operator=st.booleans(),
        )
        def claim_assets(self, data, receiver, by_withdraw, part, by_operator):
            label = self.claimants(data, vault.maxRedeem)
            if label is not None:
                self.claim_redemption(label, receiver, by_withdraw, part, by_operator)

        def claim_redemption(self, label, receiver, by_withdraw, part, by_operator):
            wallet, to = wallets[label], wallets[receiver]
            sender = self.sender_for(label, by_operator)
            claimable_shares, claimable_assets = vault.maxRedeem(wallet), vault.maxWithdraw(wallet)
            if claimable_shares == 0:
                return
            if by_withdraw:
                assets = int(claimable_assets * part)
                shares = (
                    claimable_shares
                    if assets == claimable_assets
                    else -(-claimable_shares * assets // claimable_assets)
                )
                method, args = vault.withdraw, (assets, to, wallet)
            else:
                shares = int(claimable_shares * part)
                assets = (
                    claimable_assets
                    if shares == claimable_shares
                    else claimable_assets * shares // claimable_shares
                )
                method, args = vault.redeem, (shares, to, wallet)
            if self.claim_refused_frozen(method, args, sender, label, receiver):
                return
            before = usdc.balanceOf(to)
            method(*args, sender=sender)
            assert usdc.balanceOf(to) == before + assets
            self.redeem_claimed[label] += shares
            self.paid[label] += assets

        # -------------------------------------------------------------- invariants
        @invariant()
        def the_fund_holds_what_it_owes_and_nothing_is_created(self):
            """One pass over the views (each read once), then every property of LCY-29."""
            if not hasattr(self, "exact"):
                return
            views = {
                label: (
                    vault.pendingDepositRequest(0, w),
                    vault.claimableDepositRequest(0, w),
                    vault.maxMint(w),
                    vault.pendingRedeemRequest(0, w),
                    vault.claimableRedeemRequest(0, w),
                    vault.maxWithdraw(w),
                )
                for label, w in wallets.items()
            }
            reserved = vault.reservedAssets()
            _, _, deposits, queue, late_deposits, late_queue = vault.dealing()
            # the reserve covers every claim, the cash the reserve and the pending deposits
            assert sum(v[5] for v in views.values()) <= reserved
            assert reserved + deposits + late_deposits <= usdc.balanceOf(vault)
            assert late_deposits == self.late_deposits
            # the escrow holds exactly the queue, and no one's pending part exceeds it
            assert share.balanceOf(vault) == queue + late_queue == self.queue + self.late_queue
            assert sum(v[3] for v in views.values()) <= queue + late_queue
            for label, (
                d_pending,
                d_claimable,
                d_shares,
                r_pending,
                r_claimable,
                r_assets,
            ) in views.items():
                # every unit is in exactly one state: deposits exactly, redemptions up to the dust
                # rounding leaves unowned in the queue
                assert d_pending == self.exact.pending_deposits.get(label, (0, 0))[0]
                assert (
                    d_pending
                    + d_claimable
                    + self.deposit_claimed[label]
                    + self.deposit_cancelled[label]
                    == self.deposited[label]
                )
                counted = (
                    r_pending
                    + r_claimable
                    + self.redeem_claimed[label]
                    + self.redeem_cancelled[label]
                )
                dust = 2 * (self.strikes + 1) * DUST_PER_STRIKE
                assert 0 <= self.redeemed[label] - counted <= dust
                # no value created by rounding, and close to the exact entitlement
                if label in self.frozen:
                    # A frozen controller's maximums are 0 (SEC-123): its claims wait, and the
                    # amounts are checked again once the freeze is lifted.
                    assert d_shares == r_assets == 0
                else:
                    owed_shares = self.exact.deposit_shares.get(label, Fraction(0))
                    got_shares = self.minted[label] + d_shares
                    assert got_shares <= owed_shares < got_shares + 2 + self.strikes
                    owed_assets = self.exact.earned_assets(label)
                    got_assets = self.paid[label] + r_assets
                    assert got_assets <= owed_assets < got_assets + 2 * (self.strikes + 1)
                request = self.exact.redemptions.get(label)
                if request is not None:
                    assert r_pending <= request.pending < r_pending + 1 + dust

    run_state_machine_as_test(
        FundMachine,
        settings=settings(
            # Derandomised for a reproducible CI; no shrinking: each step is a transaction.
            max_examples=10,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
