"""Fee keeper: for every fund the instrument registry lists, collects what its FundVault holds for
the fee schedule's recipient — the management fee accrued per second crystallised
(`accrueFees`), the owed fee shares minted and the held fee assets sent (`collectFees`) — once
something is due and the vault's last collection is at least $QUANTERA_FEE_COLLECT_INTERVAL
seconds old (a day by default), at most MAX_COLLECTIONS_PER_CYCLE (8) collections a block, the
funds least recently collected first (keepers/lifecycle/fees.py, collecting.py).

Run: `SILVERBACK_SIGNER_ALIAS=<any funded key> silverback run keepers.lifecycle.fee_bot:bot
--network …`. Its key needs no role: both calls are anyone's and pay the schedule's recipient
only, so the key can never move fees elsewhere. Without a signer it observes (what is due) and
sends nothing.

Restart-safe: a collection is recorded before it is sent, its signed bytes kept before they are
broadcast, and confirmed by its receipt; a restart reconciles what it finds and never sends a
second collection for one in flight. One cycle at a time (the store's lock `lifecycle.fees`,
separate from the NAV agent's).
"""

from __future__ import annotations

from ape import chain
from silverback import StateSnapshot

from keepers.core import store
from keepers.core.bot import keeper_bot
from keepers.core.metrics import observed
from keepers.core.record import connected_record
from keepers.lifecycle.collecting import FeeKeeper
from keepers.lifecycle.funds import registry_of
from keepers.lifecycle.striking import bot_cycle

bot = keeper_bot("lifecycle-fees")
keeper = FeeKeeper(store.open_store(), registry_of(connected_record()))


def cycle(block) -> dict:
    return bot_cycle(keeper, bot.signer, block)


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
@observed("lifecycle-fees")
def on_block(block) -> dict:
    return cycle(block)
