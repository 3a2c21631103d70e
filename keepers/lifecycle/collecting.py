"""The fee keeper: for every fund the instrument registry lists, collects what the FundVault holds
for its fee schedule's recipient (keepers/lifecycle/fees.py says what is due and when) — the
management fee accrued per second crystallised first (`accrueFees`), then the owed fee shares
minted and the held fee assets sent to the recipient (`collectFees`, anyone's: it pays the
schedule's recipient only) — at most MAX_COLLECTIONS_PER_CYCLE collections a cycle, each recorded
before it is sent and never applied twice.

Never twice. A collection is a keeper-store row (`fee_collections`, numbered per vault):

1. `pending` is written before anything is sent; while a vault has a `pending` or `sent` row no
   other collection of it is recorded.
2. When management fee is accruing, `accrueFees` is sent and its receipt awaited (it crystallises
   the fee up to its block: sent again, it accrues only the seconds since, so it is never applied
   twice whatever a restart does). The row keeps its hash.
3. `collectFees` is signed (its nonce fixed) and the row becomes `sent` with its hash, nonce and
   raw bytes before they are broadcast.
4. `confirmed` when its receipt is read: the row keeps what its `FeesCollected` event paid.

Every cycle first reconciles each vault's open rows by their receipts (the strike's rules,
keepers/lifecycle/striking.py): `pending` was never signed (`unsent`); a `sent` one mined is
`confirmed` (or `failed` if it reverted), in flight is waited for, unknown to the node is broadcast
again from its raw bytes (the same hash: it can land once) unless its nonce went to another
transaction. A restart after a crash between broadcasting and recording thus finds the receipt and
records it: it sends nothing new (the vault's last collection is then recent: nothing is due
before the interval). A confirmed collection whose transaction a reorganisation dropped is marked
`reorged` (or `sent` again while the node holds it in its pool: it may land again); the fees it
paid are held again on the canonical chain and the next collection pays them. Every vault is
reconciled before the cycle orders them.
"""

from __future__ import annotations

from ape import chain
from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger

from keepers.core import store
from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.retries import with_retries
from keepers.core.store import REORG_WINDOW
from keepers.core.waiting import WaitTimeout
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.fees import (
    MAX_COLLECTIONS_PER_CYCLE,
    FeesDue,
    collect_interval_seconds,
    collection_order,
    hold_reason,
)
from keepers.lifecycle.funds import Fund, FundList, fee_schedule, fees_due
from keepers.lifecycle.striking import (
    RETRY_AFTER_BLOCKS,
    Head,
    _hex,
    _int,
    _tx_state,
    broadcast,
    follow_sent,
    next_nonce,
    record_then_broadcast,
    refusal,
)

KEEPER_NAME = "lifecycle.fees"
OPEN = lifecycle_store.COLLECTION_OPEN
# Attempts a cycle counts against its bound (a refused one may have sent `accrueFees`).
ATTEMPTS = ("collected", "failed")
# `fund fees` lists this many of a vault's last collections.
SHOWN_COLLECTIONS = 5
# A one-shot run (`fund fees-collect`) waits this long at most for a broadcast collection's receipt.
RECEIPT_TIMEOUT_SECONDS = 120


class FundCollector:
    """Collects one fund's fees (see the module notice). `signer` None: observe only."""

    def __init__(self, db, chain_id: int, fund: Fund, signer=None):
        self.db, self.chain_id, self.fund, self.signer = db, chain_id, fund, signer
        self.vault = fund.vault
        self.schedule = fee_schedule(fund)

    def rows(self) -> list:
        return lifecycle_store.fee_collections(self.db, self.chain_id, self.vault.address)

    def last_collected_at(self, rows: list | None = None) -> int | None:
        """When the vault's last confirmed collection landed (None: never)."""
        times = [
            r.collected_at
            for r in (self.rows() if rows is None else rows)
            if r.status == "confirmed" and r.collected_at is not None
        ]
        return max(times, default=None)

    def due(self, head: Head) -> FeesDue:
        return fees_due(self.fund, self.schedule, head.timestamp)

    def _update(self, number: int, **fields) -> None:
        lifecycle_store.update_fee_collection(
            self.db, self.chain_id, self.vault.address, number, **fields
        )

    # ------------------------------------------------------------------ reconciliation

    def reconcile(self, head: Head) -> bool:
        """Brings the vault's rows in line with the chain; returns whether one is in flight."""
        rows = self.rows()
        in_flight = False
        for row in rows:
            if row.status in OPEN:
                in_flight |= self._reconcile_open(row)
        confirmed = [r for r in rows if r.status == "confirmed" and r.tx_hash]
        if confirmed and head.number - (confirmed[-1].collect_block or 0) <= REORG_WINDOW:
            last = confirmed[-1]
            state = _tx_state(last.tx_hash)[0]
            if state == "in flight":  # orphaned, back in the node's pool: it may land again
                self._update(last.number, status="sent", note="orphaned, pending again")
                in_flight = True
            elif state == "unknown":
                self._update(last.number, status="reorged", note=f"orphaned ({last.tx_hash})")
        return in_flight

    def _reconcile_open(self, row) -> bool:
        if row.status == "pending":  # recorded, never signed: nothing can collect
            self._update(row.number, status="unsent", note="recorded, never signed")
            return False
        state, receipt = follow_sent(row, f"fee collection {row.number} of {row.vault}")
        if state == "mined":
            if _int(receipt["status"]) == 0:
                self._update(row.number, status="failed", note=f"{row.tx_hash} reverted")
            else:
                self._confirm(row, _int(receipt["blockNumber"]))
            return False
        if state == "replaced":
            self._update(row.number, status="failed", note=f"nonce {row.nonce} used by another tx")
            return False
        return True  # in flight or resent

    def _confirm(self, row, block: int) -> None:
        """Records what the row's mined `collectFees` paid (its `FeesCollected` event)."""
        paid = [
            log
            for log in fetch_logs(self.vault.address, [self.vault.FeesCollected.abi], block, block)
            if _hex(log.transaction_hash).lower() == row.tx_hash.lower()
        ]
        shares = sum(int(log.shares) for log in paid)
        assets = sum(int(log.assets) for log in paid)
        self._update(
            row.number,
            status="confirmed",
            collect_block=block,
            collected_at=int(chain.provider.get_block(block).timestamp),
            shares=str(shares),
            assets=str(assets),
            note=None if paid else "mined without a FeesCollected event",
        )

    # ------------------------------------------------------------------ one collection

    def step(self, head: Head, min_interval_seconds: int, reconciled: bool = False) -> dict:
        """At most one collection of this vault: reconcile (unless the caller just did, and
        nothing was in flight), then collect if something is due."""
        if not reconciled and self.reconcile(head):
            return {"action": "waiting", "reason": "a collection is in flight"}
        rows = self.rows()
        last = rows[-1] if rows else None
        if (
            last is not None
            and last.status == "failed"
            and head.number < last.block_number + RETRY_AFTER_BLOCKS
        ):
            return {"action": "none", "number": last.number, "reason": f"failed: {last.note}"}
        due = self.due(head)
        reason = hold_reason(due, self.last_collected_at(rows), min_interval_seconds)
        if reason is None and self.signer is None:
            reason = "no signer: observing only"
        if reason is not None:
            return {"action": "none", "reason": reason, "due": due.as_record()}
        number = lifecycle_store.record_fee_collection(
            self.db,
            {
                "chain_id": self.chain_id,
                "vault": self.vault.address,
                "instrument_id": self.fund.instrument_id,
                "status": "pending",
                "recipient": due.recipient,
                "due_shares": str(due.shares),
                "due_assets": str(due.held_assets),
                "inputs": {**due.as_record(), "signer": self.signer.address},
                "decided_at": head.timestamp,
                "block_number": head.number,
            },
        )
        if number is None:
            return {"action": "none", "reason": "a collection is already recorded"}
        crash_point("fees.after_record")
        return self._send(number, due, head)

    def _send(self, number: int, due: FeesDue, head: Head) -> dict:
        try:
            if due.accruing_shares:
                signer = self.signer
                receipt = with_retries(
                    lambda: self.vault.accrueFees(sender=signer, nonce=next_nonce(signer))
                )
                crash_point("fees.after_accrue")
                self._update(number, accrue_tx=_hex(receipt.txn_hash))
            txn = self.vault.collectFees.as_transaction(
                sender=self.signer, sign=True, nonce=next_nonce(self.signer)
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            self._update(number, status="failed", note=note)
            logger.warning(f"fees of {self.vault.address}: {note}")
            return {"action": "failed", "number": number, "reason": note}
        tx_hash = record_then_broadcast(
            txn,
            lambda nonce, raw, tx_hash: self._update(
                number, status="sent", nonce=nonce, raw_tx=raw, tx_hash=tx_hash
            ),
            "fees.after_sign",
            broadcast,
        )
        crash_point("fees.after_collect")
        self.reconcile(head)
        row = next(r for r in self.rows() if r.number == number)
        logger.info(
            f"fees of {self.vault.address} collection {number}: {row.status} "
            f"({row.shares} shares, {row.assets} assets)"
        )
        return {
            "action": "collected",
            "number": number,
            "status": row.status,
            "shares": row.shares,
            "assets": row.assets,
            "tx": tx_hash,
        }


class FeeKeeper:
    """The fee keeper's cycle over one deployment's registry (keepers/lifecycle/fee_bot.py runs it
    on silverback, `quantera fund fees-collect` once, tests in process)."""

    def __init__(
        self,
        db,
        registry,
        signer=None,
        max_per_cycle: int = MAX_COLLECTIONS_PER_CYCLE,
        min_interval_seconds: int | None = None,
    ):
        if max_per_cycle < 1:
            raise ValueError(f"max_per_cycle {max_per_cycle} must be at least 1")
        self.db, self.registry, self.signer = db, registry, signer
        self.max_per_cycle = max_per_cycle
        self.min_interval_seconds = (
            collect_interval_seconds() if min_interval_seconds is None else min_interval_seconds
        )
        self.chain_id = chain.chain_id
        self._funds = FundList(registry)

    def collector(self, fund: Fund) -> FundCollector:
        return FundCollector(self.db, self.chain_id, fund, self.signer)

    def cycle(self, head: Head, only: str | None = None) -> dict:
        """One cycle (`only`: one fund's vault address); skipped when another worker holds the
        lock (the next block's cycle catches up)."""
        with store.keeper_lock(self.db, KEEPER_NAME) as mine:
            return self._cycle(head, only) if mine else {"skipped": True}

    def _cycle(self, head: Head, only: str | None) -> dict:
        collectors = {
            fund.address: self.collector(fund)
            for fund in self._funds.at(head.number)
            if only is None or fund.address.lower() == only.lower()
        }
        # Every vault reconciled first (what is in flight, what a reorganisation dropped), then
        # tried in order: never or least recently collected first.
        in_flight = {v: c.reconcile(head) for v, c in collectors.items()}
        order = collection_order((v, c.last_collected_at()) for v, c in collectors.items())
        result = {"funds": len(collectors), "collected": 0, "waiting": 0, "deferred": 0}
        result["outcomes"], attempts = {}, 0
        for vault in order:
            if in_flight[vault]:
                outcome = {"action": "waiting", "reason": "a collection is in flight"}
            elif attempts >= self.max_per_cycle:
                outcome = {
                    "action": "deferred",
                    "reason": f"this cycle's {self.max_per_cycle} collection(s) made",
                }
            else:
                outcome = collectors[vault].step(head, self.min_interval_seconds, reconciled=True)
            result["outcomes"][vault] = outcome
            attempts += outcome["action"] in ATTEMPTS
            if outcome["action"] in ("collected", "waiting", "deferred"):
                result[outcome["action"]] += 1
        return result

    def settle(self, result: dict, head: Head, timeout: float = RECEIPT_TIMEOUT_SECONDS) -> dict:
        """For a one-shot run: waits for the receipt of each collection the cycle broadcast and
        not yet found mined (`sent`: a node that mines at its next block, a busy machine), then
        records it as the next cycle would. Returns `result`, its outcomes updated."""
        from web3.exceptions import TimeExhausted

        funds = {f.address: f for f in self._funds.at(head.number)}
        for vault, outcome in result.get("outcomes", {}).items():
            if outcome["action"] != "collected" or outcome["status"] != "sent":
                continue
            try:
                chain.provider.web3.eth.wait_for_transaction_receipt(outcome["tx"], timeout=timeout)
            except TimeExhausted:
                raise WaitTimeout(
                    f"timed out after {timeout:.0f}s waiting for the receipt of {outcome['tx']}"
                ) from None
            collector = self.collector(funds[vault])
            collector.reconcile(head)
            row = next(r for r in collector.rows() if r.number == outcome["number"])
            outcome.update(status=row.status, shares=row.shares, assets=row.assets)
        return result


def fee_report(fund: Fund, at: int, from_block: int, to_block: int, db=None) -> dict:
    """`quantera fund fees`: a fund's schedule terms, what it owes its recipient now, its last
    collections on chain (whoever called `collectFees`) and in the keeper store (`db`)."""
    schedule = fee_schedule(fund)
    terms = schedule.termsOf(fund.vault.address)
    _, charges = schedule.accrualTermsOf(fund.vault.address)
    due = fees_due(fund, schedule, at)
    logs = list(
        fetch_logs(fund.vault.address, [fund.vault.FeesCollected.abi], from_block, to_block)
    )
    collections = [
        {
            "block": int(log.block_number),
            "tx": _hex(log.transaction_hash),
            "recipient": str(log.recipient),
            "shares": str(int(log.shares)),
            "assets": str(int(log.assets)),
        }
        for log in logs[-SHOWN_COLLECTIONS:]
    ]
    kept = []
    if db is not None:
        rows = lifecycle_store.fee_collections(db, chain.chain_id, fund.vault.address)
        kept = [
            {
                "number": r.number,
                "status": r.status,
                "shares": r.shares,
                "assets": r.assets,
                "tx": r.tx_hash,
                "block": r.collect_block,
                "note": r.note,
            }
            for r in rows[-SHOWN_COLLECTIONS:]
        ]
    return {
        "instrument_id": fund.instrument_id,
        "vault": fund.vault.address,
        "schedule": schedule.address,
        "terms": {
            "subscription_bps": int(terms[0]),
            "redemption_bps": int(terms[1]),
            "instant_bps": int(terms[2]),
            "urgency_bps": int(terms[3]),
            "management_bps": int(terms[4]),
            "recipient": str(terms[5]),
            "tiers": [{"min_volume": str(int(t[0])), "discount_bps": int(t[1])} for t in terms[6]],
        },
        "charges_dealing_fees": bool(charges),
        **due.as_record(),
        "due_shares": str(due.shares),
        "collections": collections,
        "collections_total": len(logs),
        "keeper_collections": kept,
    }
