"""Margin keeper: each block, marks every prime-broker account to market, margin-calls the ones
below maintenance and liquidates the liquidatable ones through the smart order router, at most
$QUANTERA_PRIME_MAX_LIQUIDATIONS (MAX_LIQUIDATIONS_PER_BLOCK, 3) a block, most under-collateralised
first (keepers/prime/keeper.py; the decisions in keepers/prime/margin.py).

Run: `SILVERBACK_SIGNER_ALIAS=<liquidator> silverback run keepers.prime.bot:bot --network …`.
Margin calls are anyone's; liquidating needs a key holding LIQUIDATOR that is a verified wallet (it
receives the sale's proceeds above the repayment). Without a signer it observes and sends nothing;
without LIQUIDATOR it margin-calls only. `QUANTERA_PRIME_TAKE_COLLATERAL=1`: when no sale covers a
repayment, take the collateral and repay from the key's own balance of the debt asset.

Restart-safe: each liquidation is recorded (chain, broker, account, liquidation count) before it
is signed and confirmed against the account's count after; the broker refuses a second
liquidation for one count (StaleLiquidation). One cycle at a time (the store's lock).
"""

from __future__ import annotations

import os

from ape import chain
from silverback import StateSnapshot

from keepers.core import store
from keepers.core.bot import keeper_bot
from keepers.core.metrics import observed
from keepers.core.record import connected_record
from keepers.prime.keeper import Head, MarginKeeper
from keepers.prime.margin import MAX_LIQUIDATIONS_PER_BLOCK
from keepers.prime.metrics import export_metrics

MAX_LIQUIDATIONS_ENV = "QUANTERA_PRIME_MAX_LIQUIDATIONS"
TAKE_ENV = "QUANTERA_PRIME_TAKE_COLLATERAL"

bot = keeper_bot("prime")
keeper = MarginKeeper(
    store.open_store(),
    connected_record(),
    max_liquidations=int(os.environ.get(MAX_LIQUIDATIONS_ENV, MAX_LIQUIDATIONS_PER_BLOCK)),
    take=os.environ.get(TAKE_ENV, "") == "1",
)


def cycle(block) -> dict:
    keeper.signer = bot.signer
    result = keeper.cycle(Head(int(block.number), int(block.timestamp)))
    export_metrics(result, "prime")
    # Silverback metrics are numbers only.
    return {k: v for k, v in result.items() if isinstance(v, (int, float, bool))}


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
@observed("prime")
def on_block(block) -> dict:
    return cycle(block)
