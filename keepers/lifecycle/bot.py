"""NAV agent keeper: at each dealing period's cut-off of every fund of the deployment (found in the
instrument registry), computes the fund's NAV per share from its holdings and prices
(keepers/lifecycle/nav.py: the vault's cash and its custodian account, the latter accruing the
Fama-French risk-free rate of `arch.data.frenchdata`, valued at the settlement asset's oracle
price), reports it to the share's price feed within the registry's move bound, and strikes the
period on the FundVault; and records the coupons of bond instruments as their record dates come
(keepers/lifecycle/coupons.py, QuantLib schedules; no on-chain payment yet).

Run: `SILVERBACK_SIGNER_ALIAS=<NAV agent> silverback run keepers.lifecycle.bot:bot --network …`.
Its key needs NAV_AGENT (the vaults' `strike`) and PRICE_REPORTER (the share feeds' `report`):
it prices and strikes within the registry's bounds (move per strike, staleness), never moves
funds. Without a signer it observes (the ledger, the coupons) and strikes nothing.

Restart-safe: a strike is recorded before it is sent and confirmed against the vault's open
period, and a restart finds the transaction it sent (keepers/lifecycle/striking.py): no period is
struck twice, and a period whose cut-off passed while the keeper was down is struck on its
return. One cycle at a time (the store's lock); at most one strike per fund per block.
"""

from __future__ import annotations

from ape import chain
from silverback import StateSnapshot

from keepers.core import metrics, store
from keepers.core.bot import keeper_bot
from keepers.core.metrics import observed
from keepers.core.record import connected_record
from keepers.lifecycle.funds import pending_requests, registry_of
from keepers.lifecycle.keeper import LifecycleKeeper
from keepers.lifecycle.rates import french_rf
from keepers.lifecycle.striking import bot_cycle

bot = keeper_bot("lifecycle")
record = connected_record()
keeper = LifecycleKeeper(store.open_store(), record, registry_of(record), french_rf())


def cycle(block) -> dict:
    result = bot_cycle(keeper, bot.signer, block)
    if metrics.serving():
        metrics.guarded("lifecycle", lambda: export_pending(int(block.number)))
    return result


def export_pending(head: int) -> None:
    """Each fund vault's pending requests of its open period, in whole units, into the keeper's
    metrics (one read a vault: only when the metrics are served)."""
    for fund in keeper.funds(head):
        for vault, deposits, redemptions in pending_requests(fund):
            metrics.PENDING_DEPOSITS.labels(vault).set(deposits)
            metrics.PENDING_REDEMPTIONS.labels(vault).set(redemptions)


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
@observed("lifecycle")
def on_block(block) -> dict:
    return cycle(block)
