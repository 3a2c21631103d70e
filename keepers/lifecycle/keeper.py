"""The lifecycle keeper's cycle, one block at a time under the keeper's lock (keepers/lifecycle/
bot.py runs it on silverback; `quantera fund strike` runs one for one fund; tests in process):

1. the funds of the deployment, from the instrument registry (read again when its instrument count
   changes, and every DISCOVERY_BLOCKS blocks: an issuer may name a new fund);
2. for each fund, the NAV-ledger events of its vault (of each vault of a FundDesk) since its
   cursor, kept in the keeper store (reorganisation-safe: `keepers.core.scan`);
3. for each fund, at most one strike (keepers/lifecycle/striking.py): reconcile what was sent,
   then, past the open period's cut-off, compute the NAV (of the whole share class for a desk),
   report it and strike (a desk strikes every due vault at that one NAV);
4. for each fund whose share token pays income in new shares, at most one declaration a UTC day
   (keepers/lifecycle/declaring.py): the dividend of the short rate, numbered, never twice;
5. once a chain day, the coupons of every bond instrument whose record date has come, recorded
   in the keeper store, and, for a note serviced on chain (a BondShareToken), recorded on its
   BondServicer in order, each once (keepers/lifecycle/servicing.py): the holders claim from it;
   a note the registry has Matured (called, or at maturity) has its redemption started on its
   servicer once its due coupons are recorded (SEC-124: none ending after a call).
"""

from __future__ import annotations

import datetime as dt

from ape import chain
from ape.logging import logger

from keepers.core import store
from keepers.core.scan import finish_scan, scan_range
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.coupons import due_coupons, is_bond
from keepers.lifecycle.declaring import FundDeclarer, income_token
from keepers.lifecycle.funds import Fund, FundList, flow_rows
from keepers.lifecycle.instruments import InstrumentStatus, InstrumentTerms
from keepers.lifecycle.rates import MonthlyRates
from keepers.lifecycle.servicing import record_due_coupons, start_due_redemption
from keepers.lifecycle.striking import STRIKE_IN_FLIGHT, FundStriker, Head

KEEPER_NAME = "lifecycle"
# Coupons are recorded for instruments in these states (a suspended bond still owes its coupons).
COUPON_STATES = (InstrumentStatus.ACTIVE, InstrumentStatus.SUSPENDED, InstrumentStatus.MATURED)


def flows_keeper(vault: str) -> str:
    """The cursor name of a vault's NAV-ledger scan."""
    return f"{KEEPER_NAME}.flows.{vault}"


class LifecycleKeeper:
    """The NAV agent and the coupon scheduler over one deployment's registry."""

    def __init__(self, db, record, registry, rates: MonthlyRates, signer=None):
        self.db, self.record, self.registry, self.rates, self.signer = (
            db,
            record,
            registry,
            rates,
            signer,
        )
        self.chain_id = chain.chain_id
        self._funds = FundList(registry)
        self._coupon_day: dt.date | None = None
        self.on_chain: list[tuple[int, int]] = []  # (instrument, coupon) recorded by the last step
        self.redeeming: list[int] = []  # instruments whose redemption the last step started

    def funds(self, head: int) -> list[Fund]:
        return self._funds.at(head)

    def scan_flows(self, fund: Fund, head: int) -> int:
        """Stores the NAV-ledger events of every vault of the fund up to `head` (one cursor per
        vault); returns how many were new."""
        new = 0
        for vault, _ in fund.parts():
            name, address = flows_keeper(vault.address), vault.address
            scan = scan_range(
                self.db,
                name,
                self.record,
                head,
                lambda ancestor, a=address: lifecycle_store.forget_fund_flows_after(
                    self.db, self.chain_id, a, ancestor
                ),
            )
            if scan is None:
                continue
            rows = flow_rows(vault, self.chain_id, scan.start, scan.stop)
            new += lifecycle_store.add_fund_flows(self.db, rows)
            finish_scan(self.db, name, scan)
        return new

    def striker(self, fund: Fund) -> FundStriker:
        """The fund's striker, which waits for its share's declarations in flight (SEC-184)."""
        return FundStriker(
            self.db, self.chain_id, fund, self.rates, self.signer, declarer=self.declarer(fund)
        )

    def declarer(self, fund: Fund) -> FundDeclarer | None:
        """The fund's dividend declarer, or None when its share token pays no income."""
        token = income_token(fund)
        if token is None:
            return None
        return FundDeclarer(self.db, self.chain_id, fund, token, self.rates, self.signer)

    def cycle(self, head: Head, only: str | None = None) -> dict:
        """One cycle (`only`: one fund's vault address); skipped when another worker holds the
        lock (the next block's cycle catches up)."""
        with store.keeper_lock(self.db, KEEPER_NAME) as mine:
            return self._cycle(head, only) if mine else {"skipped": True}

    def _cycle(self, head: Head, only: str | None) -> dict:
        result = {
            "funds": 0,
            "flows": 0,
            "struck": 0,
            "held": 0,
            "waiting": 0,
            "declared": 0,
            "outcomes": {},
            "declarations": {},
        }
        for fund in self.funds(head.number):
            if only is not None and fund.address.lower() != only.lower():
                continue
            result["funds"] += 1
            result["flows"] += self.scan_flows(fund, head.number)
            outcome = self.striker(fund).step(head)
            result["outcomes"][fund.address] = outcome
            action = outcome["action"]
            if action in ("struck", "held", "waiting"):
                result[action] += 1
            declarer = self.declarer(fund)
            # Not between a report and its strike (SEC-184): the strike, bound to the count its
            # NAV was read with, would be refused; the declaration waits for the next cycle.
            striking = outcome.get("status") == "sent" or outcome.get("reason") == STRIKE_IN_FLIGHT
            if declarer is not None and striking:
                result["declarations"][fund.address] = {
                    "action": "waiting",
                    "reason": "a strike is in flight",
                }
            elif declarer is not None:
                declared = declarer.step(head)
                result["declarations"][fund.address] = declared
                result["declared"] += declared["action"] == "declared"
        if only is None:
            result["coupons"] = self.record_coupons(head)
        return result

    def record_coupons(self, head: Head) -> int:
        """Once per chain day: stores the coupons whose record date has come (new ones logged), then
        records the serviced notes' due coupons on chain (`self.on_chain`: their numbers)."""
        today = dt.datetime.fromtimestamp(head.timestamp, dt.UTC).date()
        if today == self._coupon_day:
            return 0
        rows, serviced, matured = [], [], []
        for instrument_id in range(1, int(self.registry.instrumentCount()) + 1):
            status = InstrumentStatus(int(self.registry.statusOf(instrument_id)))
            if status not in COUPON_STATES and status is not InstrumentStatus.CLOSED:
                continue
            terms = InstrumentTerms.from_chain(self.registry.termsOf(instrument_id))
            if not is_bond(terms):
                continue
            if status in (InstrumentStatus.MATURED, InstrumentStatus.CLOSED):
                matured.append(instrument_id)
            if status not in COUPON_STATES:
                continue
            due = due_coupons(terms, today)
            if due:
                serviced.append((instrument_id, due))
            for coupon in due:
                rows.append(
                    {
                        "chain_id": self.chain_id,
                        "instrument_id": instrument_id,
                        "number": coupon.number,
                        "accrual_start": coupon.accrual_start.isoformat(),
                        "payment_date": coupon.payment_date.isoformat(),
                        "record_date": coupon.record_date.isoformat(),
                        "amount_per_unit": None
                        if coupon.amount_per_unit is None
                        else str(coupon.amount_per_unit),
                        "status": "due",
                        "recorded_at": head.timestamp,
                        "block_number": head.number,
                    }
                )
        new = lifecycle_store.record_coupons(self.db, rows)
        if new:
            logger.info(f"{new} coupon(s) reached their record date")
        self.on_chain = [
            (instrument_id, number)
            for instrument_id, due in serviced
            for number in record_due_coupons(
                self.db,
                self.chain_id,
                self.registry,
                instrument_id,
                due,
                self.signer,
                head.timestamp,
            )
        ]
        # Then the redemptions due: after a call or at maturity, once the coupons are recorded.
        self.redeeming = [
            instrument_id
            for instrument_id in matured
            if start_due_redemption(self.registry, instrument_id, self.signer)
        ]
        self._coupon_day = today
        return new
