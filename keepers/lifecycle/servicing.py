"""The coupon scheduler's chain side for a note whose share token is a BondShareToken: each coupon
whose record date has come is recorded on the note's BondServicer (`recordCoupon(number)`), in
order, once — the recording fixes the holders of record and raises the coupon index they claim
from (contracts/lifecycle/BondServicer.sol).

Never twice. The servicer numbers its coupons and refuses any but the next (`UnexpectedCoupon`);
the keeper reads `servicing().lastRecorded` before each send and records only the next one, so a
restart or a second worker sends at worst a transaction the servicer refuses when it is estimated
(nothing is signed then). Who may record: the issuer or its DECLARE operator from the record date,
anyone from the payment date (the servicer's rule, read through `canAct`): a keeper that is
neither waits for the payment date, while the note's balances stay fixed. One transaction per
coupon (a few a year): sent and waited for by its receipt, then the keeper store's coupon row is
marked `recorded` (it was `due`). A recording refused when it is estimated is logged and tried
again at the keeper's next daily step.

A share token without `servicer()` (a plain SecurityToken registered as a note) has its coupons
scheduled and logged only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ape import chain
from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger
from eth_utils import function_signature_to_4byte_selector, to_hex

from keepers.core import store
from keepers.lifecycle.coupons import Coupon
from keepers.lifecycle.instruments import OPERATIONS
from keepers.lifecycle.striking import next_nonce

SERVICER_SELECTOR = function_signature_to_4byte_selector("servicer()")


def bond_servicer(share_token: str) -> Any | None:
    """The BondServicer a BondShareToken calls, or None for a token without one (probed with a bare
    eth_call, so nothing is traced)."""
    from ape import project

    call = {"to": share_token, "data": to_hex(SERVICER_SELECTOR)}
    try:
        answer = chain.provider.make_request("eth_call", [call, "latest"])
    except (ApeException, ValueError):  # reverted: no such function
        return None
    raw = bytes.fromhex(answer[2:]) if isinstance(answer, str) else bytes(answer or b"")
    if len(raw) != 32 or not any(raw):
        return None
    return project.BondServicer.at("0x" + raw[12:].hex())


def _midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def record_due_coupons(
    db, chain_id: int, registry, instrument_id: int, coupons: list[Coupon], signer, now: int
) -> list[int]:
    """Records on chain, in order, every coupon of `coupons` (the instrument's, from
    keepers/lifecycle/coupons.py) the signer may record at `now`; returns the numbers recorded."""
    if signer is None:
        return []
    servicer = bond_servicer(str(registry.termsOf(instrument_id)[4]))
    if servicer is None:
        return []
    _, last_recorded, next_record_date, _ = servicer.servicing()
    if int(next_record_date) == 0:  # servicing not started by the issuer: nothing accrues
        return []
    may_declare = bool(registry.canAct(instrument_id, signer.address, OPERATIONS["DECLARE"]))
    recorded = []
    for coupon in coupons[int(last_recorded) :]:
        earliest = _midnight(coupon.record_date if may_declare else coupon.payment_date)
        if now < earliest:
            break
        try:
            receipt = servicer.recordCoupon(coupon.number, sender=signer, nonce=next_nonce(signer))
        except (ContractLogicError, ApeException) as err:
            # Recorded by someone else meanwhile, or refused: the next cycle reads the servicer.
            logger.warning(f"coupon {coupon.number}: not recorded ({str(err).splitlines()[0]})")
            break
        store.update_coupon_record(db, chain_id, instrument_id, coupon.number, status="recorded")
        logger.info(
            f"coupon {coupon.number} of instrument {instrument_id} recorded on chain "
            f"(block {receipt.block_number})"
        )
        recorded.append(coupon.number)
    return recorded
