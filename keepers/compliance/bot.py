"""Sanctions screening keeper: screens every registered wallet and every transfer counterparty of
every security the protocol issued (each SecurityToken and the vault's shares) against the
sanctions list, freezes matches in the identity registry — protocol-wide and identity-wide: every
wallet of the identity, for every token, the vault and the aggregator — and records each decision
(who, when, which list entry, which list version) in the keeper store.

Run: `SILVERBACK_SIGNER_ALIAS=<compliance keeper> QUANTERA_SANCTIONS_LIST=<path or https URL>
silverback run keepers.compliance.bot:bot --network <choice>`.
Its key holds COMPLIANCE_KEEPER only: it can freeze, nothing else (lifting a freeze is OPERATOR's).
Restart-safe: decisions are unique per (chain, wallet, list entry) and stay `pending` until the
freeze is seen on chain, so a crash between deciding and freezing is retried, never repeated (a
freeze mined before a crash is found in the registry's log and recorded with its transaction).
Reorganisation-safe: wallets and decisions taken on orphaned blocks are dropped and found again on
the canonical ones, and a freeze whose transaction an orphaned block held goes back to `pending`
and is sent again (see `keepers.core.scan.scan_range`).
One cycle at a time: each cycle holds the keeper's store lock, so two workers of the distributed
runner never freeze at once; a worker that finds it held skips the block (the next cycle catches up
from the cursor).
"""

from __future__ import annotations

import os
import time

from ape import chain, project
from ape.logging import logger
from silverback import StateSnapshot

from keepers.compliance import store as compliance_store
from keepers.compliance.screening import Match, RefreshingList, screen
from keepers.core import metrics, store
from keepers.core.bot import keeper_bot
from keepers.core.errors import QuanteraError
from keepers.core.faults import crash_point
from keepers.core.jsonable import to_jsonable
from keepers.core.logs import fetch_logs
from keepers.core.metrics import observed
from keepers.core.record import connected_record, share_contracts
from keepers.core.scan import finish_scan, scan_range, transaction_is_canonical

KEEPER_NAME = "screening"
SANCTIONS_ENV = "QUANTERA_SANCTIONS_LIST"
REFRESH_ENV = "QUANTERA_SANCTIONS_REFRESH_SECONDS"
REFRESH_SECONDS = 3_600  # the list is read again at most this often (and at every start)
ZERO = "0x0000000000000000000000000000000000000000"

bot = keeper_bot("screening")
record = connected_record()
registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
securities = share_contracts(record)
engine = store.open_store()
sanctions_list = RefreshingList(
    os.environ.get(SANCTIONS_ENV), float(os.environ.get(REFRESH_ENV, REFRESH_SECONDS)), time.time()
)
_registry_events = [registry.IdentityRegistered.abi]
# Every security's Transfer has the ERC-20 signature: one ABI serves the tokens and the shares.
_transfer_events = [project.SecurityToken.at(securities[0]).Transfer.abi]
_frozen_events = [registry.WalletFrozen.abi]


def forget_orphaned(ancestor: int) -> None:
    """After a reorganisation above `ancestor`: drops the wallets first seen on orphaned blocks; a
    decision taken on an orphaned block and not carried out by a canonical freeze is dropped when
    its wallet is gone with those blocks (the rescan decides again if the canonical chain holds it)
    and re-opened otherwise."""
    compliance_store.forget_wallets_after(engine, chain.chain_id, ancestor)
    known = set(compliance_store.known_wallets(engine, chain.chain_id))
    for decision in compliance_store.decisions(engine, chain.chain_id):
        if decision.block_number <= ancestor:
            continue
        if decision.action == "frozen" and transaction_is_canonical(decision.tx_hash):
            continue
        if decision.wallet in known:
            compliance_store.reopen_decision(engine, decision.id)
        else:
            compliance_store.forget_decision(engine, decision.id)


def sync_to(block_number: int) -> list[str]:
    """Stores wallets first seen after the cursor up to `block_number`; returns the new ones."""
    scan = scan_range(engine, KEEPER_NAME, record, block_number, forget_orphaned)
    if scan is None:
        return []
    seen: dict[str, tuple[int, str]] = {}
    for log in fetch_logs(registry.address, _registry_events, scan.start, scan.stop):
        seen.setdefault(log.investorAddress, (log.block_number, "registry"))
    for log in fetch_logs(securities, _transfer_events, scan.start, scan.stop):
        for wallet in (log.event_arguments["from"], log.event_arguments["to"]):
            if wallet != ZERO:
                seen.setdefault(wallet, (log.block_number, "transfer"))
    new = compliance_store.add_known_wallets(engine, chain.chain_id, seen)
    crash_point("screening.after_scan")
    finish_scan(engine, KEEPER_NAME, scan)
    return new


def recheck_recent_freezes(head: int) -> int:
    """Re-opens the decisions whose freeze was mined in a block a reorganisation has since replaced
    (within the store's REORG_WINDOW of the head); returns how many."""
    reopened = 0
    for decision in compliance_store.recently_enforced(
        engine, chain.chain_id, head - store.REORG_WINDOW
    ):
        if not transaction_is_canonical(decision.tx_hash):
            logger.warning(
                f"freeze of {decision.wallet} ({decision.tx_hash}) orphaned by a reorganisation: "
                "re-sending"
            )
            compliance_store.reopen_decision(engine, decision.id)
            reopened += 1
    return reopened


def _our_freeze(wallet: str, since_block: int) -> tuple[str, int] | None:
    """This keeper's freeze of `wallet` mined since `since_block` (a crash came between sending it
    and recording it): its transaction hash and block."""
    if bot.signer is None:
        return None
    found = None
    for log in fetch_logs(registry.address, _frozen_events, since_block, chain.blocks.head.number):
        if log.wallet == wallet and log.frozen and log.by == bot.signer.address:
            found = (to_jsonable(log.transaction_hash), log.block_number)
    return found


def decide(matches: list[Match], block_number: int, block_timestamp: int) -> int:
    """Records a pending freeze decision per match (once ever per wallet and entry)."""
    return sum(
        compliance_store.record_decision(
            engine,
            {
                "chain_id": chain.chain_id,
                "wallet": m.wallet,
                "ent_num": m.entry.ent_num,
                "entry_name": m.entry.name,
                "program": m.entry.program,
                "list_source": sanctions_list.current.source,
                "list_version": sanctions_list.current.version,
                "decided_at": block_timestamp,
                "block_number": block_number,
                "action": "freeze",
                "status": "pending",
                "tx_hash": None,
            },
        )
        for m in matches
    )


def enforce_pending() -> int:
    """Freezes every wallet with a pending decision; returns how many freezes were sent."""
    sent = 0
    for decision in compliance_store.decisions(engine, chain.chain_id, status="pending"):
        if registry.isFrozen(decision.wallet):
            ours = _our_freeze(decision.wallet, decision.block_number)
            if ours is None:
                compliance_store.complete_decision(engine, decision.id, "already-frozen", None)
            else:
                compliance_store.complete_decision(engine, decision.id, "frozen", *ours)
            continue
        if bot.signer is None:
            logger.warning(f"sanctions match {decision.wallet} left pending: no signer configured")
            continue
        receipt = metrics.counted(lambda w=decision.wallet: registry.freeze(w, sender=bot.signer))
        crash_point("screening.after_freeze")
        compliance_store.complete_decision(
            engine, decision.id, "frozen", to_jsonable(receipt.txn_hash), receipt.block_number
        )
        sent += 1
    return sent


def cycle(block, rescreen_all: bool) -> dict:
    """One cycle: the list read again when due (outside the lock: a slow source holds no other
    worker), then under the keeper's lock: catch up on logs, screen, freeze what is pending. The
    list is refreshed before the new wallets are taken, so a failed read never skips them: they
    are screened against the list in hand."""
    rescreen_all = refresh_list() or rescreen_all
    with store.keeper_lock(engine, KEEPER_NAME) as mine:
        if not mine:
            return {"skipped": True}  # another worker is in a cycle; the next block catches up
        reopened = recheck_recent_freezes(block.number)
        new = sync_to(block.number)
        wallets = compliance_store.known_wallets(engine, chain.chain_id) if rescreen_all else new
        decided = decide(screen(wallets, sanctions_list.current), block.number, block.timestamp)
        metrics.SANCTIONS_DECISIONS.labels(KEEPER_NAME).inc(decided)
        crash_point("screening.after_decide")
        return {
            "new_wallets": len(new),
            "new_decisions": decided,
            "reopened": reopened,
            "freezes_sent": enforce_pending(),
            "list_refresh_failures": sanctions_list.failures,
        }


def refresh_list() -> bool:
    """Reads the list again when due (`RefreshingList`); a new version re-screens every known
    wallet. A failed read or a refused list is a warning: the keeper screens on with the list in
    hand (and the "not refreshed" alert fires once it is two intervals old)."""
    try:
        changed = sanctions_list.refresh(time.time())
    except QuanteraError as err:
        logger.warning(f"sanctions list not refreshed (screening with the one in hand): {err}")
        changed = False
    export_list()
    if changed:
        logger.info(f"sanctions list changed: version {sanctions_list.current.version[:12]}")
    return changed


def export_list() -> None:
    metrics.SANCTIONS_LOADED.labels(KEEPER_NAME).set(sanctions_list.loaded_at)
    metrics.SANCTIONS_INTERVAL.labels(KEEPER_NAME).set(sanctions_list.interval)
    metrics.SANCTIONS_ENTRIES.labels(KEEPER_NAME).set(len(sanctions_list.current.by_address))


@bot.on_startup()
def catch_up(startup_state: StateSnapshot) -> dict:
    """Catches up on logs, then re-screens every known wallet (the list may have changed)."""
    return {
        "list_entries": len(sanctions_list.current.by_address),
        **cycle(chain.blocks.head, rescreen_all=True),
    }


@bot.on_(chain.blocks)
@observed("screening")
def on_block(block) -> dict:
    """Screens the wallets first seen in this block and enforces pending decisions."""
    return cycle(block, rescreen_all=False)
