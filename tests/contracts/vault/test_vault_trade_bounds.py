"""SEC-50, SEC-51 (red team H1): an EXECUTOR drained the vault through the aggregator. Besides the
rebalancer, the deploy script grants EXECUTOR to a second account (`--executor`); it called
`vault.trade` with the aggregator as venue and a `swapWithCallback` route whose recipient was an
accomplice and whose minimum output was 0: the vault paid when the aggregator asked and received
nothing, and the risk check passed (an all-cash portfolio is within every limit). NAV went from
10,000 to 1,000 USDC.

Now a route paid by callback delivers to its payer only (the aggregator), and the vault bounds
every trade by oracle prices itself, whatever the venue: what it receives is worth at least what
it sold less its `maxSlippageBps` (GOVERNOR, at most MAX_TRADE_SLIPPAGE_BPS), and what its trades
lose at oracle prices is charged to a loss budget that refills over a period (SEC-51), so repeated
trades at the slippage bound stop once the budget is spent."""

import ape
import pytest

from isolation import isolated
from keepers.access import grant_calls, send_to_manager
from keepers.liquidity import encode_route
from rebalancer_fixtures import DEPOSIT, USDC_UNIT
from risk_fixtures import UNIT, swap_params

USDC, QTB, QCORP, QSPX = range(4)
QTB_POOL = "UniswapV2Pair.A.QTB-USDC"


@pytest.fixture
def accomplice(rebalancing, liquidity_deployment, accounts, operator):
    """A verified investor (security tokens reach verified wallets only)."""
    wallet = accounts[16]
    registry = liquidity_deployment[0].at("IdentityRegistry")
    if not registry.contains(wallet):
        registry.registerInvestor(wallet, "0x" + "e6" * 20, 840, 4, 2**40 - 1, sender=operator)
    return wallet


@pytest.fixture
def trade_executor(rebalancing, liquidity_deployment, executor):
    """The deploy script's second EXECUTOR (`--executor`), granted by the access domain's step."""
    d = liquidity_deployment[0]
    send_to_manager(d, grant_calls(d, "EXECUTOR", executor.address))
    return executor


def callback_trade(r, chain, amount, recipient, min_out=0, legs=None):
    usdc, qtb = r.tokens[USDC], r.tokens[QTB]
    route = encode_route(
        usdc,
        qtb,
        amount,
        min_out,
        recipient,
        chain.pending_timestamp + 600,
        0,
        legs or [(amount, [(r.liq.venue(QTB_POOL), qtb.address, b"")])],
    )
    data = r.liq.aggregator.swapWithCallback.encode_input(route)
    return (usdc, amount, qtb, 0, r.liq.aggregator, data)


def test_sec_50__executor_routes_the_output_to_an_accomplice__refused_nav_kept(
    rebalancing, trade_executor, accomplice, chain
):
    r = rebalancing
    vault, agg = r.vault, r.liq.aggregator
    assert vault.totalAssets() == DEPOSIT  # 10,000 USDC
    params = callback_trade(r, chain, 9_000 * USDC_UNIT, accomplice)
    with isolated(chain):
        try:
            vault.trade(params, sender=trade_executor)
        except ape.exceptions.ContractLogicError:
            pass
        nav = vault.totalAssets()
        assert nav == DEPOSIT, f"NAV {nav / USDC_UNIT:,.0f} USDC after the executor's trade"
    with ape.reverts(agg.CallbackRecipientNotPayer, recipient=accomplice, payer=vault):
        vault.trade(params, sender=trade_executor)
    # Split: most to the vault, some to the accomplice, in one `multicall` of two routes.
    to_vault = callback_trade(r, chain, 8_800 * USDC_UNIT, vault)[5]
    to_accomplice = callback_trade(r, chain, 200 * USDC_UNIT, accomplice)[5]
    data = agg.multicall.encode_input([to_vault, to_accomplice])
    split = (r.tokens[USDC], 9_000 * USDC_UNIT, r.tokens[QTB], 0, agg, data)
    with ape.reverts(agg.CallbackRecipientNotPayer, recipient=accomplice, payer=vault):
        vault.trade(split, sender=trade_executor)
    assert vault.totalAssets() == DEPOSIT


def test_sec_50__venue_fills_below_the_oracle_value__refused_by_the_vault(
    risk_stack, executor, deployer
):
    """Whatever the venue (the aggregator's oracle bound is the route's own choice), the vault
    measures what it sold and received, values both at live oracle prices, and refuses a trade
    whose output is worth less than the sale less its `maxSlippageBps`."""
    stack = risk_stack
    vault, venue = stack.vault, stack.venue
    usdc, qcorp = stack.tokens[USDC], stack.tokens[QCORP]
    slippage = vault.tradeLimits().maxSlippageBps
    fair = venue.rate(usdc, qcorp)
    venue.setRate(usdc, qcorp, fair * (10_000 - slippage - 1) // 10_000, sender=deployer)
    sold = 10_000 * USDC_UNIT
    minimum = 100 * UNIT * (10_000 - slippage) // 10_000
    with ape.reverts(vault.TradeBelowOracle, sellAsset=usdc, buyAsset=qcorp, minimum=minimum):
        vault.trade(swap_params(stack, USDC, QCORP, sold), sender=executor)
    venue.setRate(usdc, qcorp, fair * (10_000 - slippage) // 10_000, sender=deployer)
    vault.trade(swap_params(stack, USDC, QCORP, sold), sender=executor)


def test_sec_51__trades_at_the_slippage_bound__stop_when_the_loss_budget_is_spent(
    risk_stack, executor, deployer, governor, chain
):
    """A per-trade bound repeated is no bound: round trips each losing just under the slippage
    bound would bleed the fund. Every trade's loss at oracle prices (value sold less value bought)
    is charged to the vault's loss budget, which refills linearly over its period."""
    stack = risk_stack
    vault, venue = stack.vault, stack.venue
    usdc, qcorp = stack.tokens[USDC], stack.tokens[QCORP]
    vault.setTradeLimits(100, 1_500 * 10**18, 86_400, sender=governor)  # 1%, $1,500 a day
    venue.setRate(usdc, qcorp, venue.rate(usdc, qcorp) * 99 // 100, sender=deployer)  # 1% short
    start = chain.blocks.head.timestamp
    for second in (1, 2, 3):  # $500 lost each: the budget spent (pinned: it refills by the second)
        chain.pending_timestamp = start + second
        vault.trade(swap_params(stack, USDC, QCORP, 50_000 * USDC_UNIT), sender=executor)
    assert vault.tradeLossAvailable() < 10**18
    with ape.reverts(vault.TradeLossBudgetExceeded):
        vault.trade(swap_params(stack, USDC, QCORP, 50_000 * USDC_UNIT), sender=executor)
    chain.pending_timestamp += 86_400 // 3 + 60  # a third of a day: $500 back
    stack.engine.sync(vault, sender=deployer)  # the risk check's price snapshot, fresh again
    vault.trade(swap_params(stack, USDC, QCORP, 50_000 * USDC_UNIT), sender=executor)


def test_set_trade_limits__governor_only_bounded_and_logged(risk_stack, governor, executor):
    vault = risk_stack.vault
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.setTradeLimits(100, 10**18, 86_400, sender=executor)
    cap = vault.MAX_TRADE_SLIPPAGE_BPS()
    with ape.reverts(vault.InvalidTradeLimits):
        vault.setTradeLimits(cap + 1, 10**18, 86_400, sender=governor)
    with ape.reverts(vault.InvalidTradeLimits):
        vault.setTradeLimits(100, 10**18, 0, sender=governor)
    previous = tuple(vault.tradeLimits())
    receipt = vault.setTradeLimits(cap, 10**20, 3_600, sender=governor)
    event = receipt.decode_logs(vault.TradeLimitsSet)[0]
    assert tuple(event.previous) == previous and tuple(event.next) == (cap, 10**20, 3_600)
