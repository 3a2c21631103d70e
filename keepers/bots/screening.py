"""Sanctions screening keeper: screens every registered wallet and every transfer counterparty of
every security the protocol issued (each SecurityToken and the vault's shares) against the
sanctions list, freezes matches in the identity registry — protocol-wide and identity-wide: every
wallet of the identity, for every token, the vault and the aggregator — and records each decision
(who, when, which list entry, which list version) in the keeper store.

Run: `SILVERBACK_SIGNER_ALIAS=<compliance keeper> QUANTERA_SANCTIONS_LIST=<path or https URL>
silverback run keepers.bots.screening:bot --network <choice>`.
Its key holds COMPLIANCE_KEEPER only: it can freeze, nothing else (lifting a freeze is OPERATOR's).
Restart-safe: decisions are unique per (chain, wallet, list entry) and stay `pending` until the
freeze is seen on chain, so a crash between deciding and freezing is retried, never repeated.
"""

from __future__ import annotations

import os

from ape import chain, project
from ape.logging import logger
from silverback import SilverbackBot, StateSnapshot

from keepers import store
from keepers.bots.common import connected_record, fetch_logs, share_contracts
from keepers.compliance.screening import Match, load_sanctions, screen
from keepers.governance.operations import to_jsonable

KEEPER_NAME = "screening"
SANCTIONS_ENV = "QUANTERA_SANCTIONS_LIST"
ZERO = "0x0000000000000000000000000000000000000000"

bot = SilverbackBot()
record = connected_record()
registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
securities = share_contracts(record)
engine = store.open_store()
sanctions = load_sanctions(os.environ.get(SANCTIONS_ENV))
_registry_events = [registry.IdentityRegistered.abi]
# Every security's Transfer has the ERC-20 signature: one ABI serves the tokens and the shares.
_transfer_events = [project.SecurityToken.at(securities[0]).Transfer.abi]


def sync_to(block_number: int) -> list[str]:
    """Stores wallets first seen after the cursor up to `block_number`; returns the new ones."""
    cursor = store.get_cursor(engine, KEEPER_NAME, chain.chain_id)
    start = (record.block or 0) if cursor is None else cursor + 1
    if start > block_number:
        return []
    seen: dict[str, tuple[int, str]] = {}
    for log in fetch_logs(registry.address, _registry_events, start, block_number):
        seen.setdefault(log.investorAddress, (log.block_number, "registry"))
    for log in fetch_logs(securities, _transfer_events, start, block_number):
        for wallet in (log.event_arguments["from"], log.event_arguments["to"]):
            if wallet != ZERO:
                seen.setdefault(wallet, (log.block_number, "transfer"))
    new = store.add_known_wallets(engine, chain.chain_id, seen)
    store.advance_cursor(engine, KEEPER_NAME, chain.chain_id, block_number)
    return new


def decide(matches: list[Match], block_number: int, block_timestamp: int) -> int:
    """Records a pending freeze decision per match (once ever per wallet and entry)."""
    return sum(
        store.record_decision(engine, {
            "chain_id": chain.chain_id, "wallet": m.wallet, "ent_num": m.entry.ent_num, "entry_name": m.entry.name,
            "program": m.entry.program, "list_source": sanctions.source, "list_version": sanctions.version,
            "decided_at": block_timestamp, "block_number": block_number, "action": "freeze", "status": "pending",
            "tx_hash": None,
        })
        for m in matches
    )


def enforce_pending() -> int:
    """Freezes every wallet with a pending decision; returns how many freezes were sent."""
    sent = 0
    for decision in store.decisions(engine, chain.chain_id, status="pending"):
        if registry.isFrozen(decision.wallet):
            store.complete_decision(engine, decision.id, "already-frozen", None)
            continue
        if bot.signer is None:
            logger.warning(f"sanctions match {decision.wallet} left pending: no signer configured")
            continue
        receipt = registry.freeze(decision.wallet, sender=bot.signer)
        store.complete_decision(engine, decision.id, "frozen", to_jsonable(receipt.txn_hash))
        sent += 1
    return sent


@bot.on_startup()
def catch_up(startup_state: StateSnapshot) -> dict:
    """Catches up on logs, then re-screens every known wallet (the list may have changed)."""
    head = chain.blocks.head
    new = sync_to(head.number)
    matches = screen(store.known_wallets(engine, chain.chain_id), sanctions)
    decided = decide(matches, head.number, head.timestamp)
    return {"new_wallets": len(new), "list_entries": len(sanctions.by_address), "new_decisions": decided,
            "freezes_sent": enforce_pending()}


@bot.on_(chain.blocks)
def on_block(block) -> dict:
    """Screens the wallets first seen in this block and enforces pending decisions."""
    new = sync_to(block.number)
    decided = decide(screen(new, sanctions), block.number, block.timestamp)
    return {"new_wallets": len(new), "new_decisions": decided, "freezes_sent": enforce_pending()}
