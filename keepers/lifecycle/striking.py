"""The NAV agent's chain side for one fund: when the open dealing period's cut-off has passed,
compute the NAV (keepers/lifecycle/nav.py), report it to the share's price feed, and strike the
period — recorded before anything is sent, confirmed after, never twice. A fund in several
settlement assets (a FundDesk) is valued as one share class over all its vaults and struck through
the desk, which strikes every due vault at that one NAV; its first vault is the period clock (the
vaults share their cut-offs) and its rows are keyed by the desk's address.

Restart safety. The vault's open period is the truth: `strike()` always strikes the open period,
so a period is struck once the vault's period has moved past it, whoever sent it. Each attempt is a
keeper-store row (chain, vault, period):

1. `pending` is written before the NAV is reported; nothing that strikes exists yet.
2. The strike transaction is signed (its nonce fixed), and the row becomes `sent` with its hash,
   nonce and raw bytes, before it is broadcast.
3. `confirmed` once the vault's period has moved past it.

Every cycle first reconciles the fund's open rows with the chain: a `pending` row whose period is
still open was never signed (`failed`, and a new attempt may follow); a `sent` row is looked up by
its hash — mined (confirmed if the period moved, `failed` if it reverted), in flight (wait), or
unknown to the node: then, unless its nonce was used by another transaction, the same raw bytes are
broadcast again (the same hash: at most one of them can ever land). A new strike is signed only
when no row of the fund is `sent`, and only for the period the vault has open at that moment, so
no period is struck twice and no transaction meant for one period can strike the next. A period
struck by someone else (or before the keeper recorded anything) is seen on the vault and never
struck again. A confirmed strike whose block a reorganisation orphaned is marked `reorged` and the
period is struck again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ape import chain
from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger
from eth_utils import function_signature_to_4byte_selector

from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.retries import with_retries
from keepers.core.sending import (  # noqa: F401 - the lifecycle keepers' names for them
    KNOWN_REFUSALS,
    broadcast,
    follow_sent,
    next_nonce,
    record_then_broadcast,
    refusal,
)
from keepers.core.sending import hex_of as _hex
from keepers.core.sending import int_of as _int
from keepers.core.sending import tx_state as _tx_state  # noqa: F401 - the fee keeper's
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.funds import Fund, declaration_count, holdings, vault_holdings
from keepers.lifecycle.instruments import InstrumentStatus
from keepers.lifecycle.nav import (
    Flow,
    answer_nav18,
    compute_class_nav,
    compute_nav,
    feed_answer,
    move_bps,
    within_move_bound,
)
from keepers.lifecycle.rates import MonthlyRates, month_of

# A held or failed period is tried again this many blocks later (not every block).
RETRY_AFTER_BLOCKS = 10
# The NAV agent's strike is bound to the declaration count its NAV was read with (SEC-183).
STRIKE_SELECTOR = function_signature_to_4byte_selector("strike(uint256)")
REPORT_SELECTOR = function_signature_to_4byte_selector("report(int256)")
OPEN = ("pending", "sent")
STRIKE_IN_FLIGHT = "a strike is in flight"


@dataclass(frozen=True)
class Head:
    """The block a cycle works at."""

    number: int
    timestamp: int


def bot_cycle(keeper: Any, signer: Any, block: Any) -> dict:
    """One cycle of a lifecycle keeper (`cycle(head)`) at a silverback block, signed by the bot's
    signer; the result as silverback metrics (numbers only). Shared by the NAV agent's and the fee
    keeper's bots."""
    keeper.signer = signer
    result = keeper.cycle(Head(int(block.number), int(block.timestamp)))
    return {k: v for k, v in result.items() if isinstance(v, (int, float, bool))}


def _month(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


class FundStriker:
    """Strikes one fund's periods (see the module notice). `signer` None: observe only."""

    def __init__(
        self, db, chain_id: int, fund: Fund, rates: MonthlyRates, signer=None, declarer=None
    ):
        self.db, self.chain_id, self.fund, self.rates, self.signer = (
            db,
            chain_id,
            fund,
            rates,
            signer,
        )
        # The share's declarer (keepers/lifecycle/declaring.py `FundDeclarer`, None for a share
        # without income): no NAV is computed while one of its declarations is in flight.
        self.declarer = declarer
        # The period clock (a desk's first vault), the store's key, and what is struck.
        self.vault, self.key, self.target = fund.vault, fund.address, fund.strike_target

    # ------------------------------------------------------------------ reconciliation

    def open_period(self) -> tuple[int, int]:
        period, cutoff, *_ = self.vault.dealing()
        return int(period), int(cutoff)

    def reconcile(self) -> bool:
        """Brings the fund's rows in line with the chain; returns whether a strike is in flight."""
        period, _ = self.open_period()
        in_flight = False
        rows = lifecycle_store.nav_strikes(self.db, self.chain_id, self.key)
        for row in rows:
            if row.status == "confirmed" and row.period >= period:
                self._update(row.period, status="reorged", note=f"orphaned ({row.tx_hash})")
            elif row.status in OPEN:
                in_flight |= self._reconcile_open(row, period)
        return in_flight

    def _reconcile_open(self, row, period: int) -> bool:
        if row.period < period:  # struck: by this row's transaction, or by another
            self._confirm(row)
            return False
        if row.status == "pending":  # recorded, never signed: nothing can strike
            self._update(row.period, status="unsent", note="recorded, never signed")
            return False
        state, receipt = follow_sent(row, f"strike of period {row.period}")
        if state == "mined" and _int(receipt["status"]) == 0:
            self._update(row.period, status="failed", note=f"{row.tx_hash} reverted")
            return False
        if state == "replaced":
            self._update(row.period, status="failed", note=f"nonce {row.nonce} used by another tx")
            return False
        # In flight or resent; or mined, and yet the period reads open: a node behind its own
        # receipt. Wait for it.
        return True

    def _confirm(self, row) -> None:
        """Marks the row confirmed with the transaction that struck its period (searched from the
        block the row was computed at to the head)."""
        tx_hash, block, nav18, note = row.tx_hash, None, row.nav18, None
        head = chain.blocks.head.number
        for log in fetch_logs(
            self.vault.address, [self.vault.PeriodStruck.abi], row.block_number, head
        ):
            if int(log.period) == row.period:
                tx_hash, block = _hex(log.transaction_hash), int(log.block_number)
                nav18 = str(int(log.nav18))
                break
        if row.tx_hash and tx_hash and tx_hash.lower() != row.tx_hash.lower():
            note = f"struck by {tx_hash}, not by this keeper's {row.tx_hash}"
        self._update(
            row.period,
            status="confirmed",
            tx_hash=tx_hash,
            strike_block=block,
            nav18=nav18,
            note=note,
        )

    def _update(self, period: int, **fields) -> None:
        lifecycle_store.update_nav_strike(self.db, self.chain_id, self.key, period, **fields)

    # ------------------------------------------------------------------ the NAV

    def flows(self, vault: str | None = None) -> list[Flow]:
        """The NAV-ledger flows of `vault` (default: the period clock's) from the keeper store."""
        return [
            Flow(f.kind, f.timestamp, int(f.assets), int(f.shares))
            for f in lifecycle_store.fund_flows(self.db, self.chain_id, vault or self.vault.address)
        ]

    def compute(self, head: Head) -> tuple[int, int, dict, str | None]:
        """(nav18 as reported, feed answer, inputs, reason to hold or None)."""
        fund = self.fund
        # Read before the supply: a declaration mined in between changes the count, and the
        # strike bound to it is refused (SEC-183); the NAV is then computed again.
        declarations = declaration_count(fund.share)
        read, extra = holdings(fund, head.timestamp)
        unpriced = None if read.asset_price18 else fund.asset.address
        if fund.desk is None:
            nav = compute_nav(read, self.flows(), self.rates)
            record = nav.as_record()
        else:
            flows = {vault.address: self.flows(vault.address) for vault, _ in fund.parts()}
            parts, prices = vault_holdings(fund, flows, head.timestamp)
            class_nav = compute_class_nav(read, parts, self.rates)
            nav, record = class_nav.nav, {**class_nav.as_record(), "prices": prices}
            unpriced = next(
                (
                    prices[v.address]["asset"]
                    for (v, _), p in zip(fund.parts(), parts)
                    if not p.asset_price18
                ),
                None,
            )
        feed = fund.feed()
        decimals = int(feed.decimals())
        answer = feed_answer(nav.nav18, decimals)
        reported = answer_nav18(answer, decimals)
        state = fund.registry.stateOf(fund.instrument_id)
        max_bps = int(state[5])
        quote = self.rates.quote(month_of(head.timestamp - self.rates.shift_days * 86_400))
        inputs = {
            **record,
            **{k: str(v) for k, v in extra.items()},
            "free_cash": str(read.free_cash),
            "asset_price18": str(read.asset_price18),
            "share_supply": str(read.share_supply),
            "declarations": declarations,
            "previous_nav18": str(read.previous_nav18),
            "valued_at": head.timestamp,
            "feed": feed.address,
            "feed_decimals": decimals,
            "max_nav_move_bps": max_bps,
            "move_bps": str(move_bps(read.previous_nav18, reported)),
            "rf_month": _month(quote.month),
            "rf_source_month": _month(quote.source_month),
            "rf_monthly": str(quote.monthly),
            "rf_held": quote.held,
            "rf_shift_days": self.rates.shift_days,
            "signer": None if self.signer is None else self.signer.address,
        }
        reason = None
        if unpriced is not None:
            reason = f"settlement asset {unpriced} has no usable price"
        elif answer == 0:
            reason = f"NAV {nav.nav18} is below the feed's smallest unit"
        elif not within_move_bound(read.previous_nav18, reported, max_bps):
            reason = (
                f"NAV {reported} moves {inputs['move_bps'][:8]} bps from {read.previous_nav18}: "
                f"above the registry's {max_bps} bps bound"
            )
        return reported, answer, inputs, reason

    # ------------------------------------------------------------------ one cycle

    def step(self, head: Head) -> dict:
        """At most one strike of this fund: reconcile, then strike the open period if its
        cut-off has passed and nothing holds it. Returns what happened."""
        if self.reconcile():
            return {"action": "waiting", "reason": STRIKE_IN_FLIGHT}
        period, cutoff = self.open_period()
        # Not on the supply before a declaration in flight (SEC-184): its receipt first.
        if head.timestamp >= cutoff and self.declarer is not None and self.declarer.reconcile():
            return {"action": "waiting", "period": period, "reason": "a declaration is in flight"}
        if head.timestamp < cutoff:
            return {"action": "none", "period": period, "reason": "before the cut-off"}
        row = lifecycle_store.nav_strike(self.db, self.chain_id, self.key, period)
        if (
            row is not None
            and row.status in ("held", "failed")
            and head.number < row.block_number + RETRY_AFTER_BLOCKS
        ):
            return {"action": "none", "period": period, "reason": f"{row.status}: {row.note}"}
        reason = self._blocker()
        nav18, answer, inputs = 0, 0, {}
        if reason is None:
            nav18, answer, inputs, reason = self.compute(head)
        base = {
            "chain_id": self.chain_id,
            "vault": self.key,
            "instrument_id": self.fund.instrument_id,
            "period": period,
            "cutoff": cutoff,
            "computed_at": head.timestamp,
            "block_number": head.number,
            "inputs": inputs,
            "nav18": str(nav18) if nav18 else None,
            "answer": str(answer) if answer else None,
            "nonce": None,
            "raw_tx": None,
            "tx_hash": None,
            "strike_block": None,
        }
        if reason is not None:
            lifecycle_store.record_nav_strike(
                self.db, {**base, "status": "held", "note": reason[:256]}
            )
            logger.warning(f"fund {self.key} period {period} not struck: {reason}")
            return {"action": "held", "period": period, "reason": reason}
        if not lifecycle_store.record_nav_strike(
            self.db, {**base, "status": "pending", "note": None}
        ):
            return {"action": "none", "period": period, "reason": "already recorded"}
        crash_point("lifecycle.after_record")
        return self._send(period, nav18, answer, inputs["declarations"])

    def _blocker(self) -> str | None:
        """Why no strike can be sent now, before anything is computed."""
        fund = self.fund
        if self.signer is None:
            return "no signer: observing only"
        status = InstrumentStatus(int(fund.registry.statusOf(fund.instrument_id)))
        if status is not InstrumentStatus.ACTIVE:
            return f"instrument {fund.instrument_id} is {status.name.lower()}, not active"
        manager = self._manager()
        for target, selector, role in (
            (self.target.address, STRIKE_SELECTOR, "NAV_AGENT"),
            (fund.feed().address, REPORT_SELECTOR, "PRICE_REPORTER"),
        ):
            immediate, _ = manager.canCall(self.signer.address, target, selector)
            if not immediate:
                return f"signer {self.signer.address} may not call {target} at once: needs {role}"
        return None

    def _manager(self):
        from ape import project

        return project.QuanteraAccessManager.at(self.vault.authority())

    def _send(self, period: int, nav18: int, answer: int, declarations: int) -> dict:
        feed = self.fund.feed()
        try:
            signer = self.signer
            with_retries(lambda: feed.report(answer, sender=signer, nonce=next_nonce(signer)))
            crash_point("lifecycle.after_report")
            # The report is mined: a declaration that landed since the NAV was read means the
            # NAV divides the wrong supply (SEC-184); not struck, the next attempt reads again.
            now = declaration_count(self.fund.share)
            if now != declarations:
                note = f"declaration {now} landed after the NAV was read with {declarations}"
                self._update(period, status="failed", note=note)
                logger.warning(f"fund {self.key} period {period}: {note}")
                return {"action": "failed", "period": period, "reason": note}
            # Bound on chain too (SEC-183): a declaration mined before it refuses it.
            txn = self.target.strike.as_transaction(
                declarations, sender=signer, sign=True, nonce=next_nonce(signer)
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            self._update(period, status="failed", note=note)
            logger.warning(f"fund {self.key} period {period}: {note}")
            return {"action": "failed", "period": period, "reason": note}
        record_then_broadcast(
            txn,
            lambda nonce, raw, tx_hash: self._update(
                period, status="sent", nonce=nonce, raw_tx=raw, tx_hash=tx_hash
            ),
            "lifecycle.after_sign",
            broadcast,
        )
        crash_point("lifecycle.after_strike")
        self.reconcile()
        row = lifecycle_store.nav_strike(self.db, self.chain_id, self.key, period)
        logger.info(f"fund {self.key} period {period} struck at {nav18}: {row.status}")
        return {"action": "struck", "period": period, "nav18": nav18, "status": row.status}
