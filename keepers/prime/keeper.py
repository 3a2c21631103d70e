"""The margin keeper's chain side (keepers/prime/bot.py runs it on silverback, `quantera margin
keep` once, tests in process): each block it finds the accounts opened since its cursor
(AccountOpened logs, kept in the keeper store), marks every account to market (one batched read:
health, tier, liquidation count), sends `marginCall` for each account below maintenance without an
open call and for each open call still below maintenance half a heartbeat after it was last seen
(a confirmation: the broker lets an unconfirmed call lapse, SEC-24), `clearMarginCall` for each
open call of an account back at maintenance, and — when its key holds LIQUIDATOR and is a verified
wallet — liquidates the liquidatable ones, most under-collateralised first, at most
`max_liquidations` a block (keepers/prime/margin.py decides; the contract's preview confirms).
Before liquidating an account it settles the income of the income-bearing assets it holds or is
owed income on (`claimIncome`: a matured note's units are then cash, a late top-up of their
redemption is credited, and the preview is the liquidation's). An account whose collateral is dust
(or none) has its debts written off by a liquidation that repays nothing, once the broker's preview
accepts it (SEC-169); beside a matured note's claim the broker assigns them to it, and the keeper
recovers an assigned debt, in full, as soon as the account holds anything to seize — the claim's
redemption credited as cash (IPrimeBroker "Assigned debt", SEC-190: the broker's health reads such
an account liquidatable).

A liquidation sells the seized collateral through the smart order router (keepers.liquidity's
Router: the route's recipient is the broker, the pool gets the repayment and the keeper the
proceeds above it) or, when configured to (`take`) and no sale covers the repayment, takes the
collateral and pays the debt from the keeper's own balance. The sale is one route without a
commitment: its repayment is sized below the aggregator's large-order threshold of the collateral
(SEC-150) and to what the route fetches, the next collateral tried when one cannot be sold for
enough (SEC-154; keepers/prime/margin.py "Sales").

Never twice for one shortfall. The broker's `liquidate` takes the account's liquidation count
(`expectedLiquidations`): a transaction for a count the account has passed reverts
StaleLiquidation. The keeper records each liquidation (chain, broker, account, count) as `pending`
before it signs, `sent` with its hash, nonce and raw bytes before it broadcasts
(keepers.core.sending), and reconciles every open row against the chain first thing each cycle
(the account's count moved past it: `confirmed`; mined and reverted, or its nonce used by another
transaction: `failed`; unknown to the node: the same bytes broadcast again; confirmed, then lost
to a reorganisation: `sent` again while the node holds it in its pool, else `reorged` and the
account liquidated anew). An account with a liquidation in flight is not liquidated again until it
is settled. A margin call needs no record: the keeper sends one only while the account's health
shows none open (a second one only confirms it), a confirmation or a clear only moves the call's
times — each is safe to repeat. Transport failures are retried (keepers.core.retries); a revert is
an answer, recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ape import chain
from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger
from eth_utils import function_signature_to_4byte_selector

from keepers.core import store
from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.retries import with_retries
from keepers.core.scan import finish_scan, scan_range
from keepers.core.sending import (
    broadcast,
    follow_sent,
    hex_of,
    int_of,
    next_nonce,
    record_then_broadcast,
    refusal,
    tx_state,
)
from keepers.core.units import BPS
from keepers.prime import model
from keepers.prime import store as prime_store
from keepers.prime.book import PrimeBook
from keepers.prime.margin import (
    MAX_LIQUIDATIONS_PER_BLOCK,
    MAX_SALE_CANDIDATES,
    SALE_SIZING_ROUNDS,
    Idle,
    Liquidation,
    Mark,
    choose_liquidation,
    collateral_order,
    idle_accounts,
    largest_debt,
    plan_cycle,
    scaled_repay,
    write_off_blocker,
)

KEEPER_NAME = "prime.margin"
LIQUIDATE_SELECTOR = function_signature_to_4byte_selector(
    "liquidate(address,address,uint256,address,bytes,uint32)"
)
OPEN = prime_store.LIQUIDATION_OPEN
# A failed liquidation of an account is tried again this many blocks later (not every block).
RETRY_AFTER_BLOCKS = 10
# A sale's route: valid this long, its aggregator slippage bound (the broker's own floor is 3%
# below the oracle value too), its minimum output this far below the router's prediction.
ROUTE_DEADLINE_SECONDS = 600
SALE_MAX_SLIPPAGE_BPS = 300
SALE_TOLERANCE_BPS = 50
# A sale spends this much less than the previewed seizure: a block's interest may lower the
# dynamic bonus by a hair, and a route for more than is seized reverts.
SALE_MARGIN_BPS = 1


@dataclass(frozen=True)
class Head:
    number: int
    timestamp: int


def _recovery_floor(repaid: int, sold: int, holdings: dict, choice: Liquidation) -> int:
    """The least a sale of `sold` units recovering `repaid` of assigned debt must fetch for the
    broker to accept it: the repayment less MAX_RECOVERY_SHORTFALL_BPS (rounded up: one unit
    repaid needs one fetched), and the oracle value of what it sells less
    MAX_LIQUIDATION_SLIPPAGE_BPS (round 10 F4: above a bonus of 3% this is the higher)."""
    short = model.ceil_div(repaid * (BPS - model.MAX_RECOVERY_SHORTFALL_BPS), BPS)
    debt, collateral = holdings[choice.debt_asset], holdings[choice.collateral_asset]
    fair = model.seized(sold, collateral, debt, 0)  # `sold` in units of the debt, at the oracle
    return max(short, model.ceil_div(fair * (BPS - model.MAX_LIQUIDATION_SLIPPAGE_BPS), BPS))


class MarginKeeper:
    """The margin keeper over one broker (see the module notice). `signer` None: observe only."""

    def __init__(
        self,
        db,
        record,
        signer=None,
        max_liquidations: int = MAX_LIQUIDATIONS_PER_BLOCK,
        take: bool = False,
    ):
        if max_liquidations < 1:
            raise ValueError(f"max_liquidations {max_liquidations} must be at least 1")
        self.db, self.record, self.signer = db, record, signer
        self.max_liquidations, self.take = max_liquidations, take
        self.book = PrimeBook.of_record(record)
        self.broker = self.book.broker
        self.chain_id = chain.chain_id
        self._router = None
        # Accounts the keeper last found nothing to send for, at the health it read then (SEC-197).
        self._idle: dict[str, Idle] = {}

    # ------------------------------------------------------------------ the cycle

    def cycle(self, head: Head) -> dict:
        """One cycle; skipped when another worker holds the keeper's lock."""
        with store.keeper_lock(self.db, KEEPER_NAME) as mine:
            return self._cycle(head) if mine else {"skipped": True}

    def _cycle(self, head: Head) -> dict:
        new_accounts = self.discover(head.number)
        settled = self.reconcile()
        accounts = prime_store.prime_accounts(self.db, self.chain_id, self.broker.address)
        # Every figure of every account as of the cycle's block (a batch boundary, or a failed
        # batch read again, never mixes two blocks).
        marks, unreadable = self.book.marks(accounts, head.number)
        busy = {a.lower() for a, state in settled.items() if state == "in flight"}
        busy |= self._retrying(head)
        busy |= idle_accounts(marks, self._idle, head.number)
        plan = plan_cycle(marks, busy, self.max_liquidations, now=head.timestamp)
        result: dict = {
            "accounts": len(accounts),
            "new_accounts": new_accounts,
            "unreadable": len(unreadable),
            "below_maintenance": sum(m.below_maintenance for m in marks),
            "calls_open": sum(m.health.margin_call_at != 0 for m in marks),
            "liquidatable": sum(m.health.liquidatable for m in marks),
            "min_ratio_bps": min((m.health.ratio_bps for m in marks), default=0),
            "in_flight": sum(state == "in flight" for state in settled.values()),
            "confirmed": sum(state == "confirmed" for state in settled.values()),
            "reverted": sum(state == "failed" for state in settled.values()),
            "margin_calls": 0,
            "confirmations": 0,
            "clears": 0,
            "liquidations": 0,
            "deferred": plan.deferred_liquidations + plan.deferred_calls,
            "outcomes": {},
        }
        for account, reason in unreadable.items():
            logger.warning(f"prime account {account}: health unreadable ({reason})")
        if self.signer is None:
            result["reason"] = "no signer: observing only"
            return result
        by_account = {m.account: m for m in marks}
        for account in plan.margin_calls + plan.confirmations:
            outcome = self._margin_call(account)
            result["outcomes"].setdefault(account, {})["margin_call"] = outcome
            result["margin_calls"] += outcome["action"] == "called"
            result["confirmations"] += outcome["action"] == "confirmed"
        for account in plan.clears:
            outcome = self._clear(account)
            result["outcomes"].setdefault(account, {})["clear"] = outcome
            result["clears"] += outcome["action"] == "cleared"
        blocker = self.liquidation_blocker() if plan.liquidations else None
        for account in plan.liquidations:
            if blocker is not None:
                outcome = {"action": "none", "reason": blocker}
            else:
                outcome = self._liquidate(by_account[account], head)
                self._remember(by_account[account], outcome, head.number)
            result["outcomes"].setdefault(account, {})["liquidation"] = outcome
            result["liquidations"] += outcome["action"] == "liquidated"
        return result

    # ------------------------------------------------------------------ accounts

    def discover(self, head: int) -> int:
        """Stores the accounts opened since the cursor (AccountOpened logs); returns how many."""
        scan = scan_range(
            self.db,
            KEEPER_NAME,
            self.record,
            head,
            lambda ancestor: prime_store.forget_prime_accounts_after(
                self.db, self.chain_id, ancestor
            ),
        )
        if scan is None:
            return 0
        opened = {
            str(log.account): int(log.block_number)
            for log in fetch_logs(
                self.broker.address, [self.broker.AccountOpened.abi], scan.start, scan.stop
            )
        }
        new = prime_store.add_prime_accounts(self.db, self.chain_id, self.broker.address, opened)
        finish_scan(self.db, KEEPER_NAME, scan)
        return new

    # ------------------------------------------------------------------ margin calls

    def _margin_call(self, account: str) -> dict:
        """Issues (or confirms) the margin call of an account below maintenance; none for an
        account that owes only assigned debt (round 9 L2: a call has no effect on it, due in full
        whatever the ratio, and confirming it every half heartbeat cost two transactions a day
        for as long as its claim lasted)."""
        holdings = self.book.holdings(account)
        if not any(h.debt - h.assigned for h in holdings.values()):
            return {"action": "none", "reason": "owes only assigned debt: no margin call (SEC-242)"}
        signer = self.signer
        try:
            receipt = with_retries(
                lambda: self.broker.marginCall(account, sender=signer, nonce=next_nonce(signer))
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            logger.warning(f"margin call of {account}: {note}")
            return {"action": "failed", "reason": note}
        crash_point("prime.after_call")
        called = [e for e in receipt.events if e.event_name == "MarginCalled"]
        if not called:
            logger.info(f"margin call of {account} confirmed")
            return {"action": "confirmed", "tx": hex_of(receipt.txn_hash)}
        deadline = int(called[0].deadline)
        logger.info(f"margin call of {account}: deadline {deadline}")
        return {"action": "called", "tx": hex_of(receipt.txn_hash), "deadline": deadline}

    def _clear(self, account: str) -> dict:
        """Closes the open call of an account back at maintenance (anyone's: SEC-24)."""
        signer = self.signer
        try:
            receipt = with_retries(
                lambda: self.broker.clearMarginCall(
                    account, sender=signer, nonce=next_nonce(signer)
                )
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            logger.warning(f"clearing the call of {account}: {note}")
            return {"action": "failed", "reason": note}
        logger.info(f"margin call of {account} cleared")
        return {"action": "cleared", "tx": hex_of(receipt.txn_hash)}

    def _settle_income(self, account: str) -> int:
        """Settles the account's income on each income-bearing asset it holds or is owed income on
        (`claimIncome`; `incomeOwed`: a matured note's retired units have no balance, but a top-up
        of their redemption is owed to the claim, which the broker's own liquidation settles
        first, SEC-168); how many it settled."""
        signer, settled = self.signer, 0
        for asset, holding in self.book.holdings(account).items():
            if self.book.income_kind(asset) == 0:
                continue
            if holding.balance == 0 and self._income_owed(account, asset) == 0:
                continue
            with_retries(
                lambda a=asset: self.broker.claimIncome(
                    account, a, sender=signer, nonce=next_nonce(signer)
                )
            )
            settled += 1
        return settled

    def _income_owed(self, account: str, asset: str) -> int:
        return int(with_retries(lambda: self.book.margin.incomeOwed(account, asset)))

    # ------------------------------------------------------------------ liquidations

    def liquidation_blocker(self) -> str | None:
        """Why this keeper's key cannot liquidate (None: it can)."""
        from ape import project

        signer = self.signer.address
        manager = project.QuanteraAccessManager.at(self.broker.authority())
        immediate, _ = manager.canCall(signer, self.broker.address, LIQUIDATE_SELECTOR)
        if not immediate:
            return f"signer {signer} may not liquidate: needs LIQUIDATOR"
        if not self.book.registry.isVerified(signer):
            return f"signer {signer} is not a verified wallet"
        return None

    def router(self):
        if self._router is None:
            from ape import project

            from keepers.liquidity import Router, sources_from_record

            aggregator = project.LiquidityAggregator.at(self.broker.aggregator())
            self._router = Router(aggregator, sources_from_record(self.record.contracts))
        return self._router

    def _remember(self, mark: Mark, outcome: dict, block: int) -> None:
        """Notes `mark`'s account as idle at `block` when its liquidation sent nothing (SEC-197: it
        takes no slot again until its health moves or IDLE_RETRY_BLOCKS pass), and forgets it
        otherwise."""
        if outcome.get("action") == "none":
            self._idle[mark.account.lower()] = Idle(mark.health, block)
        else:
            self._idle.pop(mark.account.lower(), None)

    def _retrying(self, head: Head) -> set[str]:
        """Accounts whose last liquidation failed less than RETRY_AFTER_BLOCKS ago."""
        last: dict[str, object] = {}
        for row in prime_store.prime_liquidations(self.db, self.chain_id, self.broker.address):
            last[row.account.lower()] = row
        return {
            account
            for account, row in last.items()
            if row.status == "failed" and head.number < row.block_number + RETRY_AFTER_BLOCKS
        }

    def _terms(self, mark: Mark, head: Head) -> tuple[Liquidation, str, bytes] | str:
        """The liquidation of `mark`'s account: (terms, method, route), or why there is none. A
        sale is tried against each collateral in turn, largest first (at most
        MAX_SALE_CANDIDATES), each repayment sized to what one sale can do (`_sale`)."""
        holdings = self.book.holdings(mark.account)
        debt_asset = largest_debt(holdings)
        if debt_asset is None:
            return "no debt"
        written_off = choose_liquidation(holdings, mark.health.ratio_bps, mark.tier)
        if written_off is not None and written_off.repaid == 0:
            # Dust (or no collateral): the liquidation repays and takes nothing (SEC-23), once the
            # broker's preview accepts it (SEC-169).
            return self._write_off_refused(mark.account, written_off) or (written_off, "take", b"")
        if written_off is None and holdings[debt_asset].assigned:
            # Assigned debt and nothing to recover it from: its claim's redemption pays later,
            # unless the broker drops it (no claim left) or re-marks its carry (SEC-234).
            return self._assigned_write_off(mark, holdings, debt_asset) or (
                f"assigned debt of {debt_asset}: nothing to recover it from yet (SEC-190)"
            )
        blocker = write_off_blocker(holdings)
        reasons = []
        sellable = [a for a in collateral_order(holdings) if a != debt_asset]
        for asset in sellable[:MAX_SALE_CANDIDATES]:
            choice = choose_liquidation(holdings, mark.health.ratio_bps, mark.tier, [asset])
            # A write-off is no sale (its preview repays nothing: `_sale` has nothing to plan).
            if choice is None or choice.repaid == 0:
                continue
            sale = self._sale(mark.account, choice, head, holdings)
            if not isinstance(sale, str):
                sized, route = sale
                return sized, "sell", route
            reasons.append(f"{asset}: {sale}")
        reason = "; ".join(reasons) or blocker or "no collateral to sell"
        if holdings[debt_asset].assigned and holdings[debt_asset].balance:
            # Assigned debt beside a balance of the debt asset itself (a claim paying in it): taken,
            # whatever `take` says — the repayment comes back in the units seized (SEC-230).
            choice = choose_liquidation(
                holdings, mark.health.ratio_bps, mark.tier, [debt_asset], debt_asset
            )
            if choice is not None and choice.repaid:
                return choice, "take", b""
        if not self.take:
            return self._assigned_write_off(mark, holdings, debt_asset) or reason
        choice = choose_liquidation(holdings, mark.health.ratio_bps, mark.tier)
        if choice is None:
            return blocker or "nothing to seize"
        return choice, "take", b""

    def _assigned_write_off(
        self, mark: Mark, holdings: dict, debt_asset: str
    ) -> tuple[Liquidation, str, bytes] | None:
        """The write-off of a liquidatable account's assigned debt that nothing is left to recover
        from (round 6 F3): the broker drops it once no claim is left (SEC-199) and re-marks its
        pools' carry once the claims' value no longer covers it (SEC-234). Named by its asset,
        against a held balance (the dust beside it) or the asset itself, repaying nothing; sent
        only when the broker's preview accepts it (the model cannot see claims or carries)."""
        if not mark.health.liquidatable or not holdings[debt_asset].assigned:
            return None
        held = next((a for a, h in holdings.items() if h.balance), debt_asset)
        choice = Liquidation(debt_asset, held, 0, 0, 0, 0, True)
        if self._write_off_refused(mark.account, choice) is not None:
            return None
        return choice, "take", b""

    def _write_off_refused(self, account: str, choice: Liquidation) -> str | None:
        """Why the broker refuses the write-off `choice`, in one line (None: its preview accepts
        it). The model sees the holdings only, the broker everything it counts: a write-off it
        refuses (`WriteOffUnpriced` beside a balance it cannot price, SEC-162; before SEC-192 a
        matured note's claim whose feed was stale), proposed anyway, failed and was retried every
        RETRY_AFTER_BLOCKS (SEC-169)."""
        try:
            self.book.margin.previewLiquidation(
                account, choice.debt_asset, choice.repay, choice.collateral_asset
            )
        except ContractLogicError as err:
            return f"no write-off: the broker refuses it ({str(err).splitlines()[0]})"
        return None

    def _commit_threshold(self, asset: str) -> int:
        """The aggregator's large-order threshold of `asset` (units; 0: none): a route selling
        this much or more without a commitment reverts CommitmentRequired."""
        return int(self.router().aggregator.tokenPolicy(asset).commitThreshold)

    def _sale(
        self, account: str, choice: Liquidation, head: Head, holdings: dict
    ) -> tuple[Liquidation, bytes] | str:
        """The liquidation `choice` sized to one sale, with the packed route selling its previewed
        seizure into the broker, or why there is none. The repayment shrinks (at most
        SALE_SIZING_ROUNDS times) until the sale is below the aggregator's large-order threshold
        (SEC-150) and the route's predicted proceeds, less the tolerance, cover it (SEC-154).
        Assigned debt recovers what the sale fetches (round 9 M1: its bonus is 0 below a ratio of
        100%, and no sale covers the value seized): without `take`, the proceeds need only reach
        the broker's bounds (`_recovery_floor`), and a seizure of the whole balance is sold whole
        (no unit left behind to hold off the re-mark); with `take` the keeper repays at par
        instead (round 10 F2: no venue's cost for the account)."""
        from keepers.core.errors import QuanteraError

        threshold = self._commit_threshold(choice.collateral_asset)
        assigned = bool(holdings[choice.debt_asset].assigned)
        balance = holdings[choice.collateral_asset].balance
        repay, reason = choice.repay, "nothing to sell"
        for _ in range(SALE_SIZING_ROUNDS):
            repaid, seized, _, _ = self.book.margin.previewLiquidation(
                account, choice.debt_asset, repay, choice.collateral_asset
            )
            repaid, seized = int(repaid), int(seized)
            whole = assigned and seized == balance
            amount = seized if whole else seized * (BPS - SALE_MARGIN_BPS) // BPS
            if amount == 0:
                return reason
            if threshold and amount >= threshold:
                repay = scaled_repay(repay, seized, threshold - 1)
                reason = f"one sale is at most {threshold - 1} units (the commit threshold)"
                continue
            try:
                plan = self.router().plan(
                    choice.collateral_asset,
                    choice.debt_asset,
                    amount,
                    self.broker.address,
                    head.timestamp + ROUTE_DEADLINE_SECONDS,
                    SALE_MAX_SLIPPAGE_BPS,
                    SALE_TOLERANCE_BPS,
                    taker=self.broker.address,
                )
            except (QuanteraError, ContractLogicError) as err:
                return f"no sale route: {str(err).splitlines()[0]}"
            floor = plan.predicted_out * (BPS - SALE_TOLERANCE_BPS) // BPS
            needed = repaid
            if assigned and not self.take:
                needed = _recovery_floor(repaid, amount, holdings, choice)
            if floor >= needed:
                sized = replace(choice, repay=repay, repaid=repaid, seized=seized)
                return sized, bytes(plan.route)
            reason = f"a sale fetches {floor}, less than the {repaid} to repay"
            # What the sale covers, less the tolerance again (a smaller sale moves its market less).
            repay = repay * floor // repaid * (BPS - SALE_TOLERANCE_BPS) // BPS
            if repay == 0:
                break
        return reason

    def _take_ready(self, choice: Liquidation) -> str | None:
        """Approves the broker for the repayment (`repaid`: what the liquidation, sent with it as
        its `repay`, pays; SEC-230) from the keeper's balance; why not, if not."""
        from ape import project

        token = project.SecurityToken.at(choice.debt_asset)  # any ERC-20's ABI
        signer = self.signer
        if int(token.balanceOf(signer.address)) < choice.repaid:
            return f"the keeper holds less than the {choice.repaid} to repay"
        if int(token.allowance(signer.address, self.broker.address)) < choice.repaid:
            with_retries(
                lambda: token.approve(
                    self.broker.address, choice.repaid, sender=signer, nonce=next_nonce(signer)
                )
            )
        return None

    def _liquidate(self, mark: Mark, head: Head) -> dict:
        try:
            if self._settle_income(mark.account):
                mark = self.book.mark(mark.account)
                if not mark.health.liquidatable:
                    return {"action": "none", "reason": "income settled: no longer liquidatable"}
            terms = self._terms(mark, head)
        except ContractLogicError as err:
            terms = f"unreadable: {refusal(err)}"
        if isinstance(terms, str):
            logger.warning(f"liquidation of {mark.account} not sent: {terms}")
            return {"action": "none", "reason": terms}
        choice, method, route = terms
        if method == "take" and choice.repaid != 0:
            # Sent as the repayment: the broker takes no more than was approved (SEC-230).
            choice = replace(choice, repay=choice.repaid)
            reason = self._take_ready(choice)
            if reason is not None:
                return {"action": "none", "reason": reason}
        count = mark.liquidations
        row = {
            "chain_id": self.chain_id,
            "broker": self.broker.address,
            "account": mark.account,
            "count": count,
            "status": "pending",
            "method": method,
            "terms": choice.as_record(),
            "inputs": {
                "signer": self.signer.address,
                "ratio_bps": mark.health.ratio_bps,
                "route": "0x" + route.hex(),
            },
            "decided_at": head.timestamp,
            "block_number": head.number,
        }
        if not prime_store.record_prime_liquidation(self.db, row):
            return {"action": "none", "reason": f"liquidation {count} already recorded"}
        crash_point("prime.after_record")
        signer = self.signer
        try:
            txn = self.broker.liquidate.as_transaction(
                mark.account,
                choice.debt_asset,
                choice.repay,
                choice.collateral_asset,
                route,
                count,
                sender=signer,
                sign=True,
                nonce=next_nonce(signer),
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            self._update(mark.account, count, status="failed", note=note)
            logger.warning(f"liquidation {count} of {mark.account}: {note}")
            return {"action": "failed", "count": count, "reason": note}
        tx_hash = record_then_broadcast(
            txn,
            lambda nonce, raw, tx: self._update(
                mark.account, count, status="sent", nonce=nonce, raw_tx=raw, tx_hash=tx
            ),
            "prime.after_sign",
            broadcast,
        )
        crash_point("prime.after_liquidate")
        state = self.reconcile(mark.account).get(mark.account, "in flight")
        logger.info(f"liquidation {count} of {mark.account} ({method}): {state}")
        return {
            "action": "liquidated",
            "count": count,
            "method": method,
            "status": state,
            "tx": tx_hash,
            **choice.as_record(),
        }

    # ------------------------------------------------------------------ reconciliation

    def _update(self, account: str, count: int, **fields) -> None:
        prime_store.update_prime_liquidation(
            self.db, self.chain_id, self.broker.address, account, count, **fields
        )

    def reconcile(self, only: str | None = None) -> dict[str, str]:
        """Brings the open rows (of `only`, an account) in line with the chain, and reopens or
        marks `reorged` a confirmed one whose liquidation the chain no longer has (`_orphaned`);
        returns each reconciled account's state: "confirmed", "failed", "unsent" or "in flight"."""
        rows = prime_store.prime_liquidations(self.db, self.chain_id, self.broker.address, only)
        last: dict[str, object] = {}
        for row in rows:
            last[row.account] = row
        states = {}
        for account, row in last.items():
            if row.status in OPEN:
                states[account] = self._reconcile_open(row)
            elif row.status == "confirmed" and self._count(account) <= row.count:
                orphaned = self._orphaned(row)
                if orphaned is not None:
                    states[account] = orphaned
        return states

    def _orphaned(self, row) -> str | None:
        """A confirmed liquidation the chain no longer has. Back in the node's pool (a node puts
        an orphaned block's transactions back) it is `sent` again, in flight: signing another
        would spend the next nonce on a replay that reverts StaleLiquidation once the first lands.
        Gone — or mined but not counted (reverted on the new branch, or a node behind its own
        receipt) — it is `reorged` (None): the account may be liquidated anew (the broker refuses a
        stale count, so a second landing cannot liquidate twice)."""
        pooled = bool(row.tx_hash) and tx_state(row.tx_hash)[0] == "in flight"
        if not pooled:
            self._update(row.account, row.count, status="reorged", note=f"orphaned ({row.tx_hash})")
            return None
        note = "orphaned, back in the node's pool"
        self._update(row.account, row.count, status="sent", mined_block=None, note=note)
        return self._reconcile_open(row)

    def _count(self, account: str) -> int:
        return int(with_retries(lambda: self.broker.liquidationCount(account)))

    def _reconcile_open(self, row) -> str:
        if self._count(row.account) > row.count:
            self._confirm(row)
            return "confirmed"
        if row.status == "pending":  # recorded, never signed: nothing can liquidate
            self._update(row.account, row.count, status="unsent", note="recorded, never signed")
            return "unsent"
        state, receipt = follow_sent(row, f"liquidation {row.count} of {row.account}")
        if state == "mined" and int_of(receipt["status"]) == 0:
            self._update(row.account, row.count, status="failed", note=f"{row.tx_hash} reverted")
            return "failed"
        if state == "replaced":
            note = f"nonce {row.nonce} used by another tx"
            self._update(row.account, row.count, status="failed", note=note)
            return "failed"
        # In flight or resent; or mined while the count reads unmoved: a node behind its own
        # receipt. Wait for it.
        return "in flight"

    def _confirm(self, row) -> None:
        """The account's count moved past the row's: confirmed, with the transaction that did it
        (this keeper's, if its receipt says so)."""
        mined, note, receipt = None, None, None
        if row.tx_hash:
            receipt = chain.provider.make_request("eth_getTransactionReceipt", [row.tx_hash])
        if receipt and receipt.get("blockNumber") is not None and int_of(receipt["status"]) == 1:
            mined = int_of(receipt["blockNumber"])
        else:
            note = "liquidated by another transaction"
        self._update(row.account, row.count, status="confirmed", mined_block=mined, note=note)
