"""RBL-21: a rebalance settled as one netted basket at the NAV desk (issue 31 §4).

The AutoRebalancer, given one 20-byte route (the desk's address), has the vault run
`tradeBasket` (its PortfolioBasket module) with the desk's `swapBasket`: every planned trade is one
order at the desk, the cash legs are settled in one transfer, and the vault still bounds the whole
exchange (only the venue, only during its call, each sold asset at most its amount, nothing else
moved, each bought asset at least its minimum, the net value at live oracle prices within the
slippage bound, the net loss charged to the budget, the risk check on the state after).

The protocol is built by the deploy script's own steps, as `ape run bench_nav_rebalance` builds it
(`scripts/bench_nav_rebalance.py`'s NavDeskBench)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ape
import pytest
from eth_abi import encode

from isolation import isolated

_spec = importlib.util.spec_from_file_location(
    "bench_nav_rebalance",
    Path(__file__).resolve().parents[3] / "scripts" / "bench_nav_rebalance.py",
)
bench_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_module)

EXECUTOR = 9


@pytest.fixture(scope="module")
def desk_bench(tmp_path_factory, chain):
    """The deployed protocol with a $1,000,000 fund, its first allocation made, a day later."""
    b = bench_module.NavDeskBench(tmp_path_factory.mktemp("nav-basket"))
    b.rebalance(bench_module.FIRST_TARGETS)
    b.new_day([round(p * m) for p, m in zip(b.opening, bench_module.MOVES_DAY1)])
    return b


def transfers(receipt, token, a, b):
    """Transfer logs of `token` between `a` and `b` (either way)."""
    pair = {a.lower(), b.lower()}
    return [
        log
        for log in receipt.events
        if log.event_name == "Transfer"
        and log.contract_address.lower() == token.address.lower()
        and {str(log.get("from", log.get("_from", ""))).lower(), str(log.get("to", "")).lower()}
        == pair
    ]


def basket(venue, sells, mins, data) -> bytes:
    """`IPortfolioVault.tradeBasket`'s one argument."""
    data = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
    return encode(
        ["address", "uint256[]", "uint256[]", "bytes"], [venue.address, sells, mins, data]
    )


def test_rbl_21__steady_state_basket__cash_netted_in_one_transfer_cheaper_than_per_trade(
    desk_bench, chain
):
    b = desk_bench
    vault, desk, usdc = b.vault, b.nav, b.tokens[0]
    per_trade = b.rebalance_per_trade(bench_module.STEADY_TARGETS)
    with isolated(chain):
        before = [int(h) for h in vault.holdings()]
        available = int(vault.tradeLossAvailable())
        receipt = b.rebalance(bench_module.STEADY_TARGETS)
        after = [int(h) for h in vault.holdings()]
        # Two redemptions (QSPX, QNDX), two subscriptions (QTF, QOIL): four fills, one cash leg.
        fills = [log.event_name for log in receipt.events if log.contract_address == desk.address]
        assert sorted(fills) == ["Redeemed", "Redeemed", "Subscribed", "Subscribed"]
        assert len(transfers(receipt, usdc, vault.address, desk.address)) == 1
        for token in b.tokens[1:]:
            assert len(transfers(receipt, token, vault.address, desk.address)) == 1
        assert after[2] < before[2] and after[3] < before[3]  # redeemed
        assert after[1] > before[1] and after[4] > before[4]  # subscribed
        basket = [log for log in receipt.events if log.event_name == "BasketTraded"]
        assert len(basket) == 1 and basket[0].venue == desk.address
        # The net loss at live oracle prices is the vault's budget use (SEC-51, written by the
        # module) and the rebalancer's (`Rebalanced.loss`, the vault's figure).
        loss = max(0, int(basket[0].valueSold) - int(basket[0].valueBought))
        assert loss > 0  # the desk's fees
        rebalanced = next(log for log in receipt.events if log.event_name == "Rebalanced")
        assert int(rebalanced.loss) == loss
        limits = vault.tradeLimits()
        refill_per_s = int(limits.lossBudget) // int(limits.lossRefillPeriod) + 1
        assert 0 <= int(vault.tradeLossAvailable()) - (available - loss) <= 30 * refill_per_s
        assert receipt.gas_used < per_trade - 80_000, (receipt.gas_used, per_trade)


def test_rbl_21__basket_output_sent_to_an_accomplice__refused_by_the_vault(desk_bench, chain):
    """An EXECUTOR's basket whose desk call delivers to another wallet: the vault paid, received
    nothing, and refuses at oracle prices (SEC-50's bound, kept for baskets)."""
    b = desk_bench
    vault, desk = b.vault, b.nav
    executor = ape.accounts.test_accounts[EXECUTOR]
    held = [int(h) for h in vault.holdings()]
    qspx = b.tokens[2]
    amount = held[2] // 10
    accomplice = b.floor.address  # a verified identity that is not the vault
    sells = [0, 0, amount, 0, 0]
    mins = [0] * 5
    data = desk.swapBasket.encode_input([(qspx.address, False, amount, 0)], accomplice)
    encoded = basket(desk, sells, mins, data)
    with ape.reverts(vault.BasketBelowOracle):
        vault.tradeBasket(encoded, sender=executor)
    assert [int(h) for h in vault.holdings()] == held


def test_rbl_21__desk_asks_more_than_the_basket_sells__refused(desk_bench):
    b = desk_bench
    vault, desk = b.vault, b.nav
    executor = ape.accounts.test_accounts[EXECUTOR]
    held = [int(h) for h in vault.holdings()]
    qspx = b.tokens[2]
    amount = held[2] // 10
    data = desk.swapBasket.encode_input([(qspx.address, False, amount, 0)], vault.address)
    encoded = basket(desk, [0, 0, amount - 1, 0, 0], [0] * 5, data)
    with ape.reverts(
        vault.PaymentAboveTrade, token=qspx.address, amount=amount, remaining=amount - 1
    ):
        vault.tradeBasket(encoded, sender=executor)
    # Cash the basket does not sell cannot be asked for either.
    sub = desk.swapBasket.encode_input([(b.tokens[1].address, True, 10**6, 0)], vault.address)
    encoded = basket(desk, [0] * 5, [0] * 5, sub)
    with ape.reverts(vault.PaymentAboveTrade, token=b.tokens[0].address, amount=10**6, remaining=0):
        vault.tradeBasket(encoded, sender=executor)
    assert [int(h) for h in vault.holdings()] == held


def test_rbl_21__basket_by_a_non_executor_or_at_the_module__refused(desk_bench, accounts):
    b = desk_bench
    vault = b.vault
    encoded = basket(b.nav, [0] * 5, [0] * 5, b"")
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.tradeBasket(encoded, sender=accounts[15])
    module = ape.project.PortfolioBasket.at(vault.basketModule())
    with ape.reverts(module.DirectCall):
        module.tradeBasket(encoded, sender=accounts[15])


def test_rbl_21__desk_basket_names_a_token_twice__refused(desk_bench, accounts):
    b = desk_bench
    desk, qtf = b.nav, b.tokens[1]
    orders = [(qtf.address, True, 10**6, 0), (qtf.address, True, 10**6, 0)]
    with ape.reverts(desk.DuplicateOrder, token=qtf.address):
        desk.swapBasket(orders, accounts[15], sender=accounts[15])
    with ape.reverts(desk.InvalidBasket, count=0, max=16):
        desk.swapBasket([], accounts[15], sender=accounts[15])
