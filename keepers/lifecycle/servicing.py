"""The coupon scheduler's chain side for a note whose share token is a BondShareToken: each coupon
whose record date has come is recorded on the note's BondServicer (`recordCoupon(number)`; for a
floating-rate note `recordFloatingCoupon(number, round)`, see below), in order, once — the
recording fixes the holders of record and raises the coupon index they claim from
(contracts/lifecycle/BondServicer.sol).

Never twice. The servicer numbers its coupons and refuses any but the next (`UnexpectedCoupon`);
the keeper reads `servicing().lastRecorded` before each send and records only the next one, so a
restart or a second worker sends at worst a transaction the servicer refuses when it is estimated
(nothing is signed then). Who may record: the issuer or its DECLARE operator from the record date,
anyone from the payment date (the servicer's rule, read through `canAct`): a keeper that is
neither waits for the payment date, while the note's balances stay fixed. One transaction per
coupon (a few a year): sent and waited for by its receipt, then the keeper store's coupon row is
marked `recorded` (it was `due`). A recording refused when it is estimated is logged and tried
again at the keeper's next daily step.

Floating coupons. The servicer fixes a floating coupon at the index in force at its record date
and needs the id of that round of the index's primary feed (the OracleRouter's
`feedOf(rate_index_key(index)).primary`), which it checks in O(1): `fixing_round` finds it by
walking back from the feed's latest round, one round a call, at most MAX_FIXING_ROUND_WALK rounds
and never across a Chainlink proxy phase (round ids `phase << 64 | n`); beyond either it raises
and the coupon waits (logged), as a late recording needs a newer walk only if the feed published
more than that many rounds since the record date. When the round in force was older than the
feed's heartbeat at the record date the servicer takes the fallback, the first round published
after the record date (LCY-86): the walk returns that round, and until one is published the
coupon waits.

Calls and maturity (SEC-124). After the issuer's call, a coupon ending after the call date is
never recorded (the servicer refuses it: `CouponAfterCall`; its part up to the call is in the
call's redemption price): the keeper stops at it. Once the registry has the note Matured (called,
or at maturity) and every coupon due is recorded, the keeper starts the redemption
(`start_due_redemption`: `startRedemption`, anyone's; for a floating note called mid-period the
index's round in force at the call date), once: the servicer refuses a second start
(`RedemptionAlreadyStarted`, read first from `servicing().redeeming`).

A share token without `servicer()` (a plain SecurityToken registered as a note) has its coupons
scheduled and logged only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ape import chain
from ape.exceptions import ApeException, ContractLogicError
from ape.logging import logger
from eth_utils import function_signature_to_4byte_selector, to_hex

from keepers.core.artifacts import project_at
from keepers.core.errors import QuanteraError
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.coupons import Coupon
from keepers.lifecycle.instruments import OPERATIONS, InstrumentTerms, rate_index_key
from keepers.lifecycle.striking import next_nonce

SERVICER_SELECTOR = function_signature_to_4byte_selector("servicer()")
# Rounds `fixing_round` walks back from a feed's latest: a daily index's three years, an hourly
# one's six weeks (a recording that late is refused and logged, not guessed).
MAX_FIXING_ROUND_WALK = 1_000
# A Chainlink proxy round id is `phaseId << PHASE_OFFSET | aggregatorRoundId`.
PHASE_OFFSET = 64


def fixing_round(
    feed, fixing_date: int, max_walk: int = MAX_FIXING_ROUND_WALK, heartbeat: int | None = None
) -> int:
    """The id of `feed`'s round that fixes at `fixing_date` (a Unix time): the one in force then,
    the last published at or before it, found walking back from the latest round within its
    phase, at most `max_walk` rounds; when that round is older than `heartbeat` (seconds) at
    `fixing_date`, or there is none in phase 1, the fallback the servicer accepts: the first
    round published after `fixing_date`. Raises QuanteraError when there is none that near, or
    the fallback is not published yet (the coupon waits) or opened a later proxy phase."""
    round_id, _, _, updated_at, _ = feed.latestRoundData()
    round_id, updated_at = int(round_id), int(updated_at)
    phase = round_id >> PHASE_OFFSET
    phase_start = phase << PHASE_OFFSET
    later = None  # the round after `round_id` in the walk: published after `fixing_date`
    for walked in range(max_walk + 1):
        if 0 < updated_at <= fixing_date:
            if heartbeat is None or fixing_date - updated_at <= heartbeat:
                return round_id
            if later is None:
                raise QuanteraError(
                    f"feed {feed.address}: round {round_id} in force at {fixing_date} was stale "
                    f"(published at {updated_at}, heartbeat {heartbeat}) and no round since: "
                    "the fallback fixing waits for the next publication"
                )
            return later
        if walked == max_walk:
            break
        if round_id - 1 <= phase_start:
            if phase <= 1:  # phase 1's first round, after `fixing_date`: the fallback
                return round_id
            raise QuanteraError(
                f"feed {feed.address}: no round of its phase {phase} "
                f"published at or before {fixing_date} (round {round_id} at {updated_at})"
            )
        later = round_id
        round_id -= 1
        updated_at = int(feed.getRoundData(round_id)[3])
    raise QuanteraError(
        f"feed {feed.address}: no round at or before {fixing_date} within {max_walk} rounds "
        f"of the latest (walked back to round {round_id}, published at {updated_at})"
    )


def index_feed(registry, floating_index: int) -> tuple[Any, int]:
    """The primary feed the OracleRouter of `registry` holds for floating index `floating_index`,
    and its heartbeat (seconds)."""
    from ape import project

    router = project_at("OracleRouter", registry.oracle())
    config = router.feedOf(rate_index_key(floating_index))
    return project.ReporterPriceFeed.at(config[0]), int(config[1])


def bond_servicer(share_token: str) -> Any | None:
    """The BondServicer a BondShareToken calls, or None for a token without one (probed with a bare
    eth_call, so nothing is traced)."""

    call = {"to": share_token, "data": to_hex(SERVICER_SELECTOR)}
    try:
        answer = chain.provider.make_request("eth_call", [call, "latest"])
    except (ApeException, ValueError):  # reverted: no such function
        return None
    raw = bytes.fromhex(answer[2:]) if isinstance(answer, str) else bytes(answer or b"")
    if len(raw) != 32 or not any(raw):
        return None
    return project_at("BondServicer", "0x" + raw[12:].hex())


def _midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def record_due_coupons(
    db, chain_id: int, registry, instrument_id: int, coupons: list[Coupon], signer, now: int
) -> list[int]:
    """Records on chain, in order, every coupon of `coupons` (the instrument's, from
    keepers/lifecycle/coupons.py) the signer may record at `now`; returns the numbers recorded."""
    if signer is None:
        return []
    terms = registry.termsOf(instrument_id)
    servicer = bond_servicer(str(terms[4]))
    if servicer is None:
        return []
    _, last_recorded, next_record_date, _ = servicer.servicing()
    if int(next_record_date) == 0:  # servicing not started by the issuer: nothing accrues
        return []
    may_declare = bool(registry.canAct(instrument_id, signer.address, OPERATIONS["DECLARE"]))
    floating_index = InstrumentTerms.from_chain(terms).coupon.floating_index
    feed, heartbeat = index_feed(registry, floating_index) if floating_index else (None, None)
    called_at = int(registry.stateOf(instrument_id).calledAt)
    recorded = []
    for coupon in coupons[int(last_recorded) :]:
        earliest = _midnight(coupon.record_date if may_declare else coupon.payment_date)
        if now < earliest:
            break
        if called_at and _midnight(coupon.payment_date) > called_at:
            break  # ends after the call: not paid, its accrued part is in the call price
        try:
            if feed is None:
                receipt = servicer.recordCoupon(
                    coupon.number, sender=signer, nonce=next_nonce(signer)
                )
            else:
                round_id = fixing_round(feed, _midnight(coupon.record_date), heartbeat=heartbeat)
                receipt = servicer.recordFloatingCoupon(
                    coupon.number, round_id, sender=signer, nonce=next_nonce(signer)
                )
        except (ContractLogicError, ApeException, QuanteraError) as err:
            # Recorded by someone else meanwhile, or refused: the next cycle reads the servicer.
            logger.warning(f"coupon {coupon.number}: not recorded ({str(err).splitlines()[0]})")
            break
        lifecycle_store.update_coupon_record(
            db, chain_id, instrument_id, coupon.number, status="recorded"
        )
        logger.info(
            f"coupon {coupon.number} of instrument {instrument_id} recorded on chain "
            f"(block {receipt.block_number})"
        )
        recorded.append(coupon.number)
    return recorded


def start_due_redemption(registry, instrument_id: int, signer) -> bool:
    """Starts the note's redemption on its BondServicer (`startRedemption`, anyone's) once the
    registry has it Matured or Closed (called, or at maturity) and the servicer is not redeeming
    yet; for a floating note called mid-period, the index's round in force at the call date.
    Returns whether it was started now. A start the servicer refuses (a coupon due before it still
    unrecorded: `CouponOutstanding`) is logged and tried again at the next daily step."""
    from keepers.lifecycle.instruments import InstrumentStatus

    if signer is None:
        return False
    status = InstrumentStatus(int(registry.statusOf(instrument_id)))
    if status not in (InstrumentStatus.MATURED, InstrumentStatus.CLOSED):
        return False
    terms = registry.termsOf(instrument_id)
    servicer = bond_servicer(str(terms[4]))
    if servicer is None:
        return False
    _, _, next_record_date, redeeming = servicer.servicing()
    if redeeming or int(next_record_date) == 0:
        return False
    round_id = 0
    called_at = int(registry.stateOf(instrument_id).calledAt)
    floating_index = InstrumentTerms.from_chain(terms).coupon.floating_index
    if called_at and floating_index:
        feed, heartbeat = index_feed(registry, floating_index)
        try:
            round_id = fixing_round(feed, called_at, heartbeat=heartbeat)
        except QuanteraError as err:
            logger.warning(f"redemption of instrument {instrument_id}: no fixing yet ({err})")
            return False
    try:
        receipt = servicer.startRedemption(round_id, sender=signer, nonce=next_nonce(signer))
    except (ContractLogicError, ApeException, QuanteraError) as err:
        logger.warning(
            f"redemption of instrument {instrument_id}: not started ({str(err).splitlines()[0]})"
        )
        return False
    logger.info(
        f"redemption of instrument {instrument_id} started (block {receipt.block_number}"
        f"{', called' if called_at else ''})"
    )
    return True
