"""PRM-22 to PRM-29: the prime broker with its two lending pools as a hypothesis state machine, and
its liquidation maths differentially against keepers/prime/model.py.

The machine runs three institutional accounts (the fixture's client, whose two wallets operate it,
and two more identities at spreads of 2.5% and 10% a year, one with a tight credit line) beside
two adversaries: a verified wallet of a non-institutional identity and an unverified wallet.
Rules: deposits, withdrawals, borrows (sent to a wallet or kept in the account), repayments (from
the account or the wallet), swaps and leveraged longs and shorts through the aggregator (Uniswap
V2 pool A), bounded price moves, time (then fresh reports), margin calls, liquidations (taken, the
liquidator funded), and attempts to move collateral to the adversaries. Every action is tried by
`eth_call` first (prime_attempts): a refusal must be one the rules allow, and says why.

Prices start at USDC 1, QTB 100, QSPX 50, QCORP 80; risk weights 0%, 20%, 100%, 100% (haircuts 0,
1.6%, 8%, 8%); the default tier: initial 150%, maintenance 125%, liquidation 110%, close factor
50%, bonus 5%, grace one day."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from broker_fixtures import (
    BORROW,
    CLIENT_ID,
    DEPOSIT,
    INSTITUTIONAL,
    NEVER,
    QUALIFIED,
    REPAY,
    SWAP,
    TERMS,
    UNIT,
    US,
    WITHDRAW,
    ZERO,
    act,
    fresh,
    holdings,
    route,
)
from isolation import isolated
from keepers.access import ROLE_IDS
from keepers.prime import model
from prime_attempts import Attempts

BPS = model.BPS
MAX = 2**256 - 1
SYMBOLS = ("USDC", "QTB", "QSPX", "QCORP")
BORROWABLE = ("USDC", "QSPX")
SECURITIES = ("QTB", "QSPX", "QCORP")
INSTITUTION_B = "0x" + "b2" * 20
INSTITUTION_C = "0x" + "c3" * 20
OUTSIDER_ID = "0x" + "0d" * 20
# Credit lines (limit USD 18 decimals, spread bps, tier): C's limit binds before its margin does.
LINES = {INSTITUTION_B: (10**24, 250, 0), INSTITUTION_C: (150_000 * 10**18, 1_000, 0)}
ACCOUNT = st.sampled_from((CLIENT_ID, INSTITUTION_B, INSTITUTION_C))
PART = st.sampled_from((1, 2, 4, 10))  # a whole, a half, a quarter, a tenth
SHARE = st.sampled_from((10, 50, 100))  # of what a liquidation may repay, %
# Bounded market moves: every security's price at a factor (bps) of the pools' prices, each
# factor with its own small jitter (a drop of 50% at most: books under water, bad debt; a rise
# of 30%).
BASE_USD = {"QTB": 100, "QSPX": 50, "QCORP": 80}
MARKET = st.sampled_from((9_000, 7_000, 10_000, 11_500, 6_000, 5_000, 8_000, 13_000))
JITTER = st.sampled_from((-300, 0, 200))
# Every refusal a rule may meet, by action: anything else is a finding.
MAY_REFUSE = {
    "deposit": {"CapExceeded"},
    "increase": {
        "InitialMarginBreached",
        "CreditLimitExceeded",
        "InsufficientCash",
        "InsufficientBalance",
        "CapExceeded",
        "SwapOutputBelowOracle",
        # The aggregator's bound: the pools still trade at the old price after a move.
        "OracleBoundBreached",
    },
    "repay": {"InsufficientBalance", "NoDebt"},
}
# A fixed seed (not derandomize, which keeps drawing the simplest choices: the first account,
# the first rule) and no example database: the same examples on every run.
# The accounts' actions and their arguments.
ACCOUNT_ACTIONS = {
    "deposit": st.fixed_dictionaries(
        {"account": ACCOUNT, "symbol": st.sampled_from(SYMBOLS), "part": PART}
    ),
    "withdraw": st.fixed_dictionaries(
        {
            "account": ACCOUNT,
            "symbol": st.sampled_from(SYMBOLS),
            "part": PART,
            "second": st.booleans(),
        }
    ),
    "borrow": st.fixed_dictionaries(
        {
            "account": ACCOUNT,
            "symbol": st.sampled_from(BORROWABLE),
            "share": st.sampled_from((20, 60, 95, 120)),
            "keep": st.booleans(),
        }
    ),
    "repay": st.fixed_dictionaries(
        {
            "account": ACCOUNT,
            "symbol": st.sampled_from(BORROWABLE),
            "part": PART,
            "own": st.booleans(),
        }
    ),
    "swap": st.fixed_dictionaries(
        {"account": ACCOUNT, "buy": st.booleans(), "size": st.sampled_from((2, 10, 40))}
    ),
    "open_position": st.fixed_dictionaries(
        {"account": ACCOUNT, "long": st.booleans(), "size": st.sampled_from((5, 20, 80))}
    ),
}
REACTION = st.sampled_from(tuple(ACCOUNT_ACTIONS))
SETTINGS = dict(
    deadline=None,
    database=None,
    # No shrinking: each step is a transaction; a failure prints its steps.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Book:
    """The stack with three accounts and two adversaries, set up once per test (ape isolates it)."""

    def __init__(self, p, accounts, chain, project):
        self.p, self.chain = p, chain
        self.attempts = Attempts(chain, project)
        self.oracle = p.deployment.at("OracleRouter")
        b, c, self.outsider, self.unverified = (fresh(accounts, chain) for _ in range(4))
        for wallet, identity, kind in (
            (b, INSTITUTION_B, INSTITUTIONAL),
            (c, INSTITUTION_C, INSTITUTIONAL),
            (self.outsider, OUTSIDER_ID, QUALIFIED),
        ):
            p.registry.registerInvestor(wallet, identity, US, kind, NEVER, sender=p.operator)
        self.wallets = {CLIENT_ID: (p.client, p.client2), INSTITUTION_B: (b,), INSTITUTION_C: (c,)}
        for wallet in (b, c):
            p.broker.openAccount(sender=wallet)
            for symbol, whole in (("USDC", 400_000), ("QTB", 2_000), ("QSPX", 4_000)):
                p.fund(wallet, symbol, whole * UNIT[symbol])
        p.fund(c, "QCORP", 2_500 * UNIT["QCORP"])
        p.governed(
            *(
                (
                    "a credit line",
                    lambda a=a, line=line: p.broker.setCreditLine(
                        a, line, sender=p.deployment.sender
                    ),
                )
                for a, line in LINES.items()
            )
        )
        for wallets in self.wallets.values():
            for symbol in SYMBOLS:
                p.tokens[symbol].approve(p.broker, MAX, sender=wallets[0])
        for symbol in BORROWABLE:
            p.tokens[symbol].approve(p.broker, MAX, sender=p.liquidator)
        self.spread = {a: p.margin.creditLineOf(a).spreadBps for a in self.wallets}
        self.tier = p.margin.tierOf(0)
        self.haircut = {s: p.margin.haircutBps(p.tokens[s]) for s in SYMBOLS}

    # ------------------------------------------------------------ reads

    def health(self, account):
        return self.p.margin.health(account)

    def figures(self, account) -> model.Figures:
        return model.figures(holdings(self.p, account, self.spread[account]))

    def debt(self, account, symbol) -> int:
        return self.p.pools[symbol].debtOf(account, self.spread[account])

    def price(self, symbol) -> int:
        return self.oracle.price(self.p.tokens[symbol])

    # ------------------------------------------------------------ actions

    def execute(self, account, actions, sender=None):
        sender = sender or self.wallets[account][0]
        return self.attempts.send(self.p.broker.execute, account, actions, sender=sender)

    def liquidate(self, account, debt_symbol, repay, collateral_symbol, block="pending"):
        """`liquidate` taken by the stack's liquidator; tried on `block` only unless it passes."""
        p = self.p
        args = (
            account,
            p.tokens[debt_symbol],
            repay,
            p.tokens[collateral_symbol],
            b"",
            p.broker.liquidationCount(account),
        )
        refused = self.attempts.refusal(p.broker.liquidate, *args, sender=p.liquidator, block=block)
        if refused is not None or block != "pending":
            return refused
        return p.broker.liquidate(*args, sender=p.liquidator)


def checked(book, receipt):
    [logged] = receipt.decode_logs(book.p.broker.Checked)
    return logged


def test_prm_22_to_prm_28__broker_state_machine(prime_stack, accounts, chain, project):
    """PRM-22 to PRM-28."""
    book = Book(prime_stack, accounts, chain, project)
    p, broker, pools, tokens = book.p, book.p.broker, book.p.pools, book.p.tokens
    seen = Counter()  # what the examples reached, asserted at the end

    def event(label):
        seen[label] += 1

    initial, maintenance, liquidation = (
        book.tier.initialBps,
        book.tier.maintenanceBps,
        book.tier.liquidationBps,
    )

    @seed(19)
    class BrokerMachine(RuleBasedStateMachine):
        @initialize(factor_bps=st.sampled_from((10_000, 7_000, 8_000)))
        def setup(self, factor_bps):
            self.isolation = isolated(chain)
            self.isolation.__enter__()
            self.bad_debt = {s: 0 for s in BORROWABLE}  # BadDebt events, per pool
            # Each account posts a book and borrows USDC to about 155% (initial margin: 150%).
            for account, books in (
                (CLIENT_ID, {"USDC": 50_000, "QTB": 500, "QSPX": 1_500, "QCORP": 800}),
                (INSTITUTION_B, {"QSPX": 2_000, "QTB": 300}),
                (INSTITUTION_C, {"QSPX": 1_200, "QCORP": 1_000, "USDC": 20_000}),
            ):
                deposits = [act(DEPOSIT, tokens[s], w * UNIT[s]) for s, w in books.items()]
                assert book.execute(account, deposits).ok
                borrow = book.figures(account).adjusted_collateral_usd * 100 // 155 // 10**12
                wallet = book.wallets[account][0]
                outcome = book.execute(account, [act(BORROW, tokens["USDC"], borrow, wallet)])
                assert outcome.ok, outcome
            # Then the market: at 70% one book is liquidatable and two are below maintenance.
            self.market_move(factor_bps, (0, 0, 0), 50)

        def teardown(self):
            self.isolation.__exit__(None, None, None)

        # -------------------------------------------------------- account actions

        def expect(self, outcome, kind, account):
            """PRM-23: a refused batch names an allowed reason; a successful one that borrows,
            withdraws or opens a position ends at initial margin."""
            event(f"{kind}: {outcome.error or 'done'}")
            if not outcome.ok:
                assert outcome.error in MAY_REFUSE[kind], (kind, outcome)
                if outcome.error == "InitialMarginBreached":
                    assert outcome.fields["ratioBps"] < outcome.fields["initialBps"] == initial
                return
            if kind == "increase":
                check = checked(book, outcome.receipt)
                assert check.ratioAfterBps >= initial, check
                assert book.health(account).ratioBps == check.ratioAfterBps

        @rule(kinds=st.lists(REACTION, min_size=1, max_size=3), data=st.data())
        def account_actions(self, kinds, data):
            """One to three of the accounts' actions, one transaction each."""
            for kind in kinds:
                getattr(self, kind)(**data.draw(ACCOUNT_ACTIONS[kind]))

        def deposit(self, account, symbol, part):
            amount = tokens[symbol].balanceOf(book.wallets[account][0]) // part
            if amount:
                outcome = book.execute(account, [act(DEPOSIT, tokens[symbol], amount)])
                self.expect(outcome, "deposit", account)

        def withdraw(self, account, symbol, part, second):
            amount = broker.balanceOf(account, tokens[symbol]) // part
            wallets = book.wallets[account]
            to = wallets[-1] if second else wallets[0]
            if amount:
                outcome = book.execute(account, [act(WITHDRAW, tokens[symbol], amount, to)])
                self.expect(outcome, "increase", account)

        def borrow(self, account, symbol, share, keep):
            """Borrows `share`% of the headroom to initial margin, to a wallet or kept."""
            f = book.figures(account)
            headroom_usd = max(0, f.adjusted_collateral_usd * BPS // initial - f.adjusted_debt_usd)
            # Without headroom, 1% of the collateral: the refusal is checked too.
            headroom_usd = max(headroom_usd, f.adjusted_collateral_usd // 100)
            amount = (
                headroom_usd * share // 100 * 10 ** tokens[symbol].decimals() // book.price(symbol)
            )
            if amount:
                to = ZERO if keep else book.wallets[account][-1]
                outcome = book.execute(account, [act(BORROW, tokens[symbol], amount, to)])
                self.expect(outcome, "increase", account)

        def repay(self, account, symbol, part, own):
            """Repays part of a debt (1: all of it) from the account's balance or the wallet."""
            debt = book.debt(account, symbol)
            if debt == 0:
                return
            wallet = book.wallets[account][0]
            source = ZERO if own else wallet
            if not own:
                p.fund(wallet, symbol, debt // part + UNIT[symbol])
            amount = MAX if part == 1 else debt // part
            outcome = book.execute(account, [act(REPAY, tokens[symbol], amount, source)])
            self.expect(outcome, "repay", account)

        def swap(self, account, buy, size):
            """Sells `size` QSPX for USDC, or buys with `size` x 50 USDC: ends at initial margin
            or reduces risk (IPrimeBroker "Health")."""
            sell, into = ("USDC", "QSPX") if buy else ("QSPX", "USDC")
            amount = size * (50 if buy else 1) * UNIT[sell]
            if broker.balanceOf(account, tokens[sell]) < amount:
                return
            before = book.health(account)
            outcome = book.execute(account, [act(SWAP, data=route(p, chain, sell, into, amount))])
            if not outcome.ok:
                event(f"swap: {outcome.error}")
                assert outcome.error in MAY_REFUSE["increase"], outcome
                return
            check = checked(book, outcome.receipt)
            event(f"swap: {'at initial' if check.ratioAfterBps >= initial else 'reducing'}")
            reducing = check.ratioAfterBps >= check.ratioBeforeBps
            assert check.ratioAfterBps >= initial or reducing, (check, before)

        def open_position(self, account, long, size):
            """A leveraged long (borrow USDC, buy QSPX) or a short (borrow QSPX, sell it): one
            batch, checked once."""
            qspx = size * UNIT["QSPX"]
            if long:
                usdc = size * 50 * UNIT["USDC"]
                batch = [
                    act(BORROW, tokens["USDC"], usdc),
                    act(SWAP, data=route(p, chain, "USDC", "QSPX", usdc)),
                ]
            else:
                batch = [
                    act(BORROW, tokens["QSPX"], qspx),
                    act(SWAP, data=route(p, chain, "QSPX", "USDC", qspx)),
                ]
            self.expect(book.execute(account, batch), "increase", account)

        # -------------------------------------------------------- markets and time

        @rule(
            factor_bps=MARKET,
            jitter=st.tuples(JITTER, JITTER, JITTER),
            share=SHARE,
            reaction=REACTION,
            data=st.data(),
        )
        def market_move(self, factor_bps, jitter, share, reaction=None, data=None):
            """Moves the market, then a margin keeper's pass (as each block) and an account's
            reaction (the accounts' own rule alone is drawn too rarely to check PRM-23)."""
            event("market")
            for symbol, extra_bps in zip(SECURITIES, jitter):
                p.set_price(symbol, BASE_USD[symbol] * (factor_bps + extra_bps) / BPS)
            self.keeper(share)
            if reaction:
                self.account_actions([reaction], data)

        @rule(
            seconds=st.sampled_from((3_600, 86_401, 30 * 86_400)),
            share=SHARE,
            reaction=REACTION,
            data=st.data(),
        )
        def wait(self, seconds, share, reaction, data):
            """Time passes (interest; grace periods run out), then fresh reports, a keeper's
            pass and an account's reaction."""
            event("wait")
            chain.pending_timestamp = chain.pending_timestamp + seconds
            p.refresh_prices()
            self.keeper(share)
            self.account_actions([reaction], data)

        def keeper(self, share):
            """Calls every account below maintenance; tries to liquidate every account."""
            for account in book.wallets:
                if book.health(account).ratioBps < maintenance:
                    self.margin_call(account)
                self.liquidate(account, None, None, share)

        # -------------------------------------------------------- margin

        @rule(account=ACCOUNT)
        def margin_call(self, account):
            ratio = book.health(account).ratioBps
            outcome = book.attempts.send(broker.marginCall, account, sender=book.unverified)
            event(f"margin call: {outcome.error or 'done'}")
            # Opens a call, or confirms a live one (SEC-24); refused above maintenance only.
            if outcome.ok:
                assert ratio < maintenance
            else:
                assert outcome.error == "NotBelowMaintenance", outcome
                assert outcome.fields["ratioBps"] >= maintenance

        @rule(
            account=ACCOUNT,
            debt_symbol=st.sampled_from(BORROWABLE),
            collateral_symbol=st.sampled_from(SYMBOLS),
            share=SHARE,
        )
        def liquidate(self, account, debt_symbol, collateral_symbol, share):
            """PRM-24: a healthy account is never liquidatable; PRM-25: a liquidation does not
            lower the ratio unless it realises bad debt or the ratio was already below
            (1 - hc) / (1 + hd) of the pair (the bonus is then zero and even a sale at par lowers
            it). Without a drawn debt or collateral (or an empty one): the largest."""
            h = book.health(account)
            now = chain.blocks.head.timestamp
            overdue = h.deadline != 0 and now >= h.deadline and h.ratioBps < maintenance
            if debt_symbol is None or book.debt(account, debt_symbol) == 0:
                debt_symbol = max(BORROWABLE, key=lambda s: book.debt(account, s) * book.price(s))
            debt = book.debt(account, debt_symbol)
            if h.ratioBps >= liquidation and not overdue:
                # Tried on the head block, where the health was read.
                refused = book.liquidate(
                    account, debt_symbol, max(1, debt), collateral_symbol or "USDC", "latest"
                )
                assert refused is not None and refused[0] == "NotLiquidatable", (h, refused)
                event("liquidate: healthy, refused")
                return
            if (
                collateral_symbol is None
                or broker.balanceOf(account, tokens[collateral_symbol]) == 0
            ):
                collateral_symbol = max(
                    SYMBOLS, key=lambda s: broker.balanceOf(account, tokens[s]) * book.price(s)
                )
            if debt == 0 or broker.balanceOf(account, tokens[collateral_symbol]) == 0:
                return
            most = model.max_repay(debt, h.ratioBps, book.tier.closeFactorBps)
            repay = max(1, most * share // 100)
            p.fund(p.liquidator, debt_symbol, repay)
            preview = p.margin.previewLiquidation(
                account, tokens[debt_symbol], repay, tokens[collateral_symbol]
            )
            receipt = book.liquidate(account, debt_symbol, repay, collateral_symbol)
            if isinstance(receipt, tuple):
                # Interest of the next second can lift the close factor's bound or the ratio.
                assert receipt[0] in {"RepayAboveCloseFactor", "NotLiquidatable"}, receipt
                event(f"liquidate: {receipt[0]}")
                return
            [done] = receipt.decode_logs(broker.Liquidated)
            bad = receipt.decode_logs(broker.BadDebt)
            event(f"liquidate: done{', bad debt' if bad else ''}")
            for record in bad:
                symbol = next(s for s in BORROWABLE if tokens[s].address == record.asset)
                self.bad_debt[symbol] += record.amount
            assert done.seized <= preview.seized + 1 and done.repaid <= repay
            neutral_bps = model.ceil_div(
                BPS * (BPS - book.haircut[collateral_symbol]), BPS + book.haircut[debt_symbol]
            )
            if not bad and done.ratioBeforeBps >= neutral_bps:
                assert done.ratioAfterBps >= done.ratioBeforeBps, done
            elif not bad:
                event("liquidate: below (1 - hc) / (1 + hd)")

        # -------------------------------------------------------- adversaries

        @rule(account=ACCOUNT, symbol=st.sampled_from(SYMBOLS), how=st.sampled_from(range(5)))
        def adversaries(self, account, symbol, how):
            """PRM-27: collateral never reaches an unverified holder nor another identity."""
            token, wallet = tokens[symbol], book.wallets[account][0]
            other = book.wallets[INSTITUTION_B if account != INSTITUTION_B else CLIENT_ID][0]
            if how == 0:
                outcome = book.execute(account, [act(WITHDRAW, token, 1, book.unverified)])
                assert outcome.error == "WalletNotVerified", outcome
            elif how == 1:
                to = book.outsider if symbol in ("USDC", "QTB") else other
                outcome = book.execute(account, [act(WITHDRAW, token, 1, to)])
                assert outcome.error == "NotAccountWallet", outcome
            elif how == 2:
                asset = tokens["USDC" if symbol in ("USDC", "QTB") else "QSPX"]
                outcome = book.execute(account, [act(BORROW, asset, 1, book.unverified)])
                assert outcome.error == "WalletNotVerified", outcome
            elif how == 3:
                assert book.execute(account, [], book.unverified).error == "WalletNotVerified"
                assert book.execute(account, [], book.outsider).error == "NotAccountWallet"
                opened = book.attempts.send(broker.openAccount, sender=book.outsider)
                assert opened.error == "NotInstitutional", opened
            elif symbol in SECURITIES and token.balanceOf(wallet):
                # A security's own compliance refuses the unverified receiver.
                refused = book.attempts.refusal(token.transfer, book.unverified, 1, sender=wallet)
                assert refused is not None, symbol

        # -------------------------------------------------------- invariants

        @invariant()
        def prm_22__pool_debt_is_the_sum_of_the_accounts_debts(self):
            if not hasattr(self, "bad_debt"):
                return
            for symbol, pool in pools.items():
                total = pool.state().totalDebt
                # Without pending spread (the pool's NatSpec): at most one unit short per account.
                debts = [pool.debtOf(a, 0) for a in book.wallets]
                assert sum(debts) - len(debts) < total <= sum(debts), symbol
                for account, debt in zip(book.wallets, debts):
                    # With the spread pending since the last touch, never less.
                    assert book.debt(account, symbol) >= debt

        @invariant()
        def prm_26__lenders_claims_within_assets_and_recorded_bad_debt(self):
            if not hasattr(self, "bad_debt"):
                return
            for symbol, pool in pools.items():
                s = pool.state()
                assets = s.cash + s.totalDebt + s.assignedDebt
                assert pool.totalAssets() <= assets
                assert pool.totalAssets() == assets - s.reserves - s.lockedRestoration
                # Written off: lost (reserves, lenders) or assigned to a claim (none recovered
                # here: the machine's accounts hold no matured note).
                assert (
                    s.badDebtAbsorbed + s.badDebtRealised + s.assignedDebt == self.bad_debt[symbol]
                )

        @invariant()
        def prm_27__no_collateral_with_an_unverified_holder(self):
            for token in (*tokens.values(), *pools.values()):
                assert token.balanceOf(book.unverified) == 0

        @invariant()
        def prm_28__broker_holds_exactly_its_accounts_balances(self):
            for symbol, token in tokens.items():
                held = sum(broker.balanceOf(a, token) for a in book.wallets)
                assert token.balanceOf(broker) == broker.totalCollateral(token) == held, symbol

    run_state_machine_as_test(
        BrokerMachine,
        settings=settings(max_examples=10, stateful_step_count=12, **SETTINGS),
    )
    # The examples reached what the invariants are about.
    reached = (
        "liquidate: done",
        "liquidate: healthy, refused",
        "increase: done",
        "margin call: done",
    )
    assert all(seen[label] for label in reached), seen


# ---------------------------------------------------------------- PRM-29: differential


def test_prm_29__health_and_liquidation_preview__equal_the_python_model(
    prime_stack, accounts, chain, project
):
    """PRM-29: at any prices and haircuts, `health` of three books (cross-margined, long and
    short) equals model.figures, and `previewLiquidation` equals model.quote for every debt and
    collateral pair of a liquidatable account (NotLiquidatable otherwise), to the wei."""
    book = Book(prime_stack, accounts, chain, project)
    p, broker, views, tokens = book.p, book.p.broker, book.p.margin, book.p.tokens
    usdc, qspx = tokens["USDC"], tokens["QSPX"]
    for account, books, borrows in (
        (
            CLIENT_ID,
            {"USDC": 50_000, "QTB": 700, "QSPX": 1_500, "QCORP": 900},
            ((usdc, 150_000), (qspx, 300)),
        ),
        (INSTITUTION_B, {"QSPX": 2_000}, ((usdc, 60_000),)),
        (INSTITUTION_C, {"QCORP": 600}, ((qspx, 1_000),)),
    ):
        batch = [act(DEPOSIT, tokens[s], w * UNIT[s]) for s, w in books.items()]
        batch += [act(BORROW, t, whole * 10 ** t.decimals(), ZERO) for t, whole in borrows]
        if account == INSTITUTION_C:
            # A short: the borrowed QSPX sold for USDC (liquidatable above about 78 USD).
            batch.append(act(SWAP, data=route(p, chain, "QSPX", "USDC", 1_000 * UNIT["QSPX"])))
        outcome = book.execute(account, batch)
        assert outcome.ok, outcome
    tier = book.tier
    # GOVERNOR without delay for a fresh account (rolled back with the test): one transaction per
    # risk weight instead of a role held and renounced.
    governor = fresh(accounts, chain)
    p.deployment.at("QuanteraAccessManager").grantRole(
        ROLE_IDS["GOVERNOR"], governor, 0, sender=p.deployment.sender
    )
    decimals = {s: t.decimals() for s, t in tokens.items()}
    compared = {"health": 0, "preview": 0, "refused": 0}

    def read_book(account, prices, risk_weights):
        """The account's holdings for the model (balances and debts read; the rest known)."""
        return {
            s: model.Holding(
                broker.balanceOf(account, t),
                book.debt(account, s) if s in BORROWABLE else 0,
                prices[s],
                decimals[s],
                risk_weights[s],
            )
            for s, t in tokens.items()
        }

    @seed(29)
    @settings(max_examples=20, **SETTINGS)
    @given(
        qtb=st.integers(5_500, 11_500),
        # Low enough to liquidate the long (B, below 35.87), or high enough for the short (C,
        # above about 78); the cross-margined book falls with all three.
        qspx_usd=st.one_of(st.integers(1_500, 3_500), st.integers(7_900, 9_500)),
        qcorp=st.integers(2_500, 10_000),
        cents_fraction=st.integers(0, 10**6 - 1),
        listing=st.sampled_from(SECURITIES),
        risk_weight_bps=st.sampled_from((2_000, 5_000, 10_000, 15_000)),
        share=st.integers(1, 100),
    )
    def compare(qtb, qspx_usd, qcorp, cents_fraction, listing, risk_weight_bps, share):
        """Prices in cents, each with the same fraction of a cent (8-decimal feeds)."""
        with isolated(chain):
            cap = views.collateralOf(tokens[listing])
            broker.setCollateral(
                tokens[listing], (risk_weight_bps, cap.capTotal, cap.capPerAccount), sender=governor
            )
            risk_weights = {s: TERMS[s].risk_weight_bps for s in SYMBOLS} | {
                listing: risk_weight_bps
            }
            for symbol, cents in (("QTB", qtb), ("QSPX", qspx_usd), ("QCORP", qcorp)):
                p.feeds[symbol].report(cents * 10**6 + cents_fraction, sender=p.reporter)
            prices = {s: book.price(s) for s in SYMBOLS}
            for account in book.wallets:
                h = book.health(account)
                by_symbol = read_book(account, prices, risk_weights)
                f = model.figures(by_symbol.values())
                assert (
                    h.collateralUsd,
                    h.adjustedCollateralUsd,
                    h.debtUsd,
                    h.adjustedDebtUsd,
                    h.ratioBps,
                ) == (
                    f.collateral_usd,
                    f.adjusted_collateral_usd,
                    f.debt_usd,
                    f.adjusted_debt_usd,
                    f.ratio_bps,
                ), account
                assert h.liquidatable == (f.ratio_bps < tier.liquidationBps)
                compared["health"] += 1
                for debt_symbol in BORROWABLE:
                    debt = by_symbol[debt_symbol]
                    if debt.debt == 0:
                        continue
                    most = model.max_repay(debt.debt, f.ratio_bps, tier.closeFactorBps)
                    repay = max(1, most * share // 100)
                    for collateral_symbol in SYMBOLS:
                        collateral = by_symbol[collateral_symbol]
                        args = (account, tokens[debt_symbol], repay, tokens[collateral_symbol])
                        if not h.liquidatable:
                            refused = book.attempts.refusal(
                                p.margin.previewLiquidation, *args, sender=p.client, block="latest"
                            )
                            assert refused[0] == "NotLiquidatable", refused
                            compared["refused"] += 1
                            break
                        if collateral.balance == 0:
                            continue
                        preview = p.margin.previewLiquidation(*args)
                        q = model.quote(repay, debt, collateral, f.ratio_bps, tier.bonusBps)
                        value = model.value_down(q.seized, collateral.price18, collateral.decimals)
                        assert tuple(preview) == (q.repaid, q.seized, q.bonus_bps, value), args
                        compared["preview"] += 1

    compare()
    # The examples reached both sides: previews of liquidatable books and refusals of healthy ones.
    assert compared["preview"] >= 15 and compared["refused"] >= 20, compared
