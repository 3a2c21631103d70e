"""The NAV agent's daily dividend for one fund whose share token pays income in new shares
(`IIncomeShareToken`, issue 17 item 5): once a UTC day, compute the dividend
(keepers/lifecycle/dividends.py) and declare it with `declareIncome(number, shares)` — recorded
before anything is sent, confirmed after, never applied twice.

Never twice. The token numbers its declarations 1, 2, ... and refuses any `number` but the next
(`UnexpectedDeclaration`): a declaration the keeper sends twice (a restart, a re-broadcast, a
second worker) lands at most once, whatever the store says. The store (`income_declarations`,
one row per (chain, token, number)) is how a restart finds what it sent: `pending` is written
before signing, `sent` (hash, nonce, raw bytes) before broadcasting, `confirmed` once the token's
declaration count reaches the number. The reconciliation of a `sent` row is the strike's
(keepers/lifecycle/striking.py): mined and reverted -> `failed`; unknown to the node -> the same
raw bytes again, unless its nonce went to another transaction.

The window of declaration n starts where n - 1's ended (its row's `end`; the token's
`lastDeclaredAt` when the store has no row for it), so income accrues without gap or overlap.

The token's ABI is the fragment below (the parts of interfaces/IIncomeShareToken.sol the keeper
uses); a share token without `incomeIndex()` (a plain SecurityToken) pays no income and the
keeper declares nothing for it. The keeper's key must be a declarer of the token (SEC-129: the
DECLARE capability, not MINT); otherwise the declaration is held with that reason."""

from __future__ import annotations

from typing import Any

from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger

from keepers.core.faults import crash_point
from keepers.core.sending import wait_mined
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.dividends import Dividend, compute_dividend, is_due, window_start
from keepers.lifecycle.funds import Fund, income_index
from keepers.lifecycle.instruments import InstrumentStatus
from keepers.lifecycle.rates import MonthlyRates
from keepers.lifecycle.striking import (
    RETRY_AFTER_BLOCKS,
    Head,
    _int,
    broadcast,
    follow_sent,
    next_nonce,
    record_then_broadcast,
    refusal,
)

# Who declares (IIncomeShareToken, SEC-129): a declarer of the token (`setDeclarer`, GOVERNOR;
# `isDeclarer`), its own capability: the keeper's key needs no MINT, so it cannot mint beyond the
# declarations' bounds (50 bps of the supply, 12 hours apart).
OPEN = ("pending", "sent")
# How long a declaration sent is waited for (its receipt) before the cycle goes on: a NAV is never
# computed while one is in flight (SEC-184), so the next cycle's strike waits for it anyway.
DECLARATION_WAIT_SECONDS = 60


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str) -> dict:
    return {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": t} for t in outputs],
    }


# The parts of IIncomeShareToken the keeper uses.
INCOME_ABI = [
    _fn("declareIncome", [("number", "uint256"), ("shares", "uint256")], [], "nonpayable"),
    _fn("isDeclarer", [("account", "address")], ["bool"], "view"),
    _fn("incomeIndex", [], ["uint256", "uint256", "uint256"], "view"),
    _fn("MAX_DECLARATION_BPS", [], ["uint256"], "view"),
    _fn("MIN_DECLARATION_INTERVAL", [], ["uint256"], "view"),
    _fn("totalSupply", [], ["uint256"], "view"),
]


def income_token(fund: Fund) -> Any | None:
    """The fund's share token as an income token, or None when it pays no income (a plain
    SecurityToken: `incomeIndex()` is probed with a bare eth_call, so nothing is traced)."""
    from ape import Contract

    if income_index(fund.share) is None:
        return None
    return Contract(fund.share.address, abi=INCOME_ABI)


class FundDeclarer:
    """Declares one fund's daily dividends (see the module notice). `signer` None: observe."""

    def __init__(
        self, db, chain_id: int, fund: Fund, token, rates: MonthlyRates, signer=None, fee_bps=0
    ):
        self.db, self.chain_id, self.fund, self.token = db, chain_id, fund, token
        self.rates, self.signer, self.fee_bps = rates, signer, fee_bps

    def declared(self) -> tuple[int, int]:
        """(declarations so far, the last one's time) as the token says."""
        _, declarations, last_at = self.token.incomeIndex()
        return int(declarations), int(last_at)

    def _update(self, number: int, **fields) -> None:
        lifecycle_store.update_income_declaration(
            self.db, self.chain_id, self.token.address, number, **fields
        )

    def reconcile(self) -> bool:
        """Brings the token's rows in line with the chain; returns whether one is in flight."""
        declarations, _ = self.declared()
        in_flight = False
        for row in lifecycle_store.income_declarations(self.db, self.chain_id, self.token.address):
            if row.status == "confirmed" and row.number > declarations:
                self._update(row.number, status="reorged", note=f"orphaned ({row.tx_hash})")
            elif row.status in OPEN:
                in_flight |= self._reconcile_open(row, declarations)
        return in_flight

    def _reconcile_open(self, row, declarations: int) -> bool:
        if row.number <= declarations:  # declared: by this row's transaction or another
            self._update(row.number, status="confirmed")
            return False
        if row.status == "pending":
            self._update(row.number, status="unsent", note="recorded, never signed")
            return False
        state, receipt = follow_sent(row, f"declaration {row.number}")
        if state == "mined" and _int(receipt["status"]) == 0:
            self._update(row.number, status="failed", note=f"{row.tx_hash} reverted")
            return False
        if state == "replaced":
            self._update(row.number, status="failed", note=f"nonce {row.nonce} used by another tx")
            return False
        return True  # in flight, resent, or mined and a node behind its own receipt

    def compute(self, head: Head) -> Dividend | None:
        """The next declaration if one is due now (None: not yet, or no share outstanding)."""
        declarations, last_at = self.declared()
        previous = (
            lifecycle_store.income_declaration(
                self.db, self.chain_id, self.token.address, declarations
            )
            if declarations
            else None
        )
        last_end = previous.end if previous is not None and previous.status == "confirmed" else None
        start = window_start(declarations, last_at, last_end, head.timestamp)
        if not is_due(start, last_at, int(self.token.MIN_DECLARATION_INTERVAL()), head.timestamp):
            return None
        supply = int(self.token.totalSupply())
        if supply == 0:
            # No share yet (a share class before its first subscription is claimed): nothing
            # accrues, so nothing is recorded either (a held row would hold the next days too).
            return None
        return compute_dividend(
            declarations + 1,
            supply,
            start,
            head.timestamp,
            self.rates,
            fee_bps=self.fee_bps,
            max_declaration_bps=int(self.token.MAX_DECLARATION_BPS()),
        )

    def _blocker(self) -> str | None:
        """Why no declaration can be sent now. The token's own refusal (its check of the sender)
        is caught when the transaction is estimated, before anything is signed (`failed`)."""
        fund = self.fund
        if self.signer is None:
            return "no signer: observing only"
        status = InstrumentStatus(int(fund.registry.statusOf(fund.instrument_id)))
        if status is not InstrumentStatus.ACTIVE:
            return f"instrument {fund.instrument_id} is {status.name.lower()}, not active"
        if not self.token.isDeclarer(self.signer.address):
            return f"signer {self.signer.address} is not a declarer of {fund.share.address}"
        return None

    def step(self, head: Head) -> dict:
        """At most one declaration: reconcile, then declare if one is due and nothing holds it."""
        if self.reconcile():
            return {"action": "waiting", "reason": "a declaration is in flight"}
        declarations, _ = self.declared()
        last = lifecycle_store.income_declaration(
            self.db, self.chain_id, self.token.address, declarations + 1
        )
        if (
            last is not None
            and last.status in ("held", "failed")
            and head.number < last.block_number + RETRY_AFTER_BLOCKS
        ):
            return {
                "action": "none",
                "number": last.number,
                "reason": f"{last.status}: {last.note}",
            }
        dividend = self.compute(head)
        if dividend is None:
            return {"action": "none", "reason": "not due"}
        reason = dividend.hold or self._blocker()
        row = {
            "chain_id": self.chain_id,
            "token": self.token.address,
            "instrument_id": self.fund.instrument_id,
            "number": dividend.number,
            "start": dividend.start,
            "end": dividend.end,
            "supply": str(dividend.supply),
            "shares": str(dividend.shares),
            "inputs": {
                **dividend.as_record(),
                "rf_shift_days": self.rates.shift_days,
                "signer": None if self.signer is None else self.signer.address,
            },
            "block_number": head.number,
            "nonce": None,
            "raw_tx": None,
            "tx_hash": None,
        }
        if reason is not None:
            lifecycle_store.record_income_declaration(
                self.db, {**row, "status": "held", "note": reason[:256]}
            )
            return {"action": "held", "number": dividend.number, "reason": reason}
        if not lifecycle_store.record_income_declaration(
            self.db, {**row, "status": "pending", "note": None}
        ):
            return {"action": "none", "number": dividend.number, "reason": "already recorded"}
        crash_point("lifecycle.after_declare_record")
        return self._send(dividend)

    def _send(self, dividend: Dividend) -> dict:
        number = dividend.number
        try:
            txn = self.token.declareIncome.as_transaction(
                number,
                dividend.shares,
                sender=self.signer,
                sign=True,
                nonce=next_nonce(self.signer),
            )
        except (ContractLogicError, ApeException) as err:
            note = refusal(err)
            self._update(number, status="failed", note=note)
            return {"action": "failed", "number": number, "reason": note}
        tx_hash = record_then_broadcast(
            txn,
            lambda nonce, raw, tx_hash: self._update(
                number, status="sent", nonce=nonce, raw_tx=raw, tx_hash=tx_hash
            ),
            "lifecycle.after_declare_sign",
            broadcast,
        )
        crash_point("lifecycle.after_declare")
        # Its receipt before the cycle goes on (SEC-184): the supply a NAV is read from moves
        # with it; a deadline passed, the striker waits while the row is in flight.
        wait_mined(tx_hash, DECLARATION_WAIT_SECONDS, f"declaration {number}")
        self.reconcile()
        row = lifecycle_store.income_declaration(self.db, self.chain_id, self.token.address, number)
        logger.info(f"declaration {number} of {dividend.shares} shares: {row.status}")
        return {
            "action": "declared",
            "number": number,
            "shares": dividend.shares,
            "status": row.status,
        }
