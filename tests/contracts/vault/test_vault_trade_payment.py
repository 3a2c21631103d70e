"""RSK-13, LIQ-19, LIQ-20: the payment callbacks that replaced per-trade allowances, attacked.

The vault writes no allowance: a trade's venue asks to be paid (`payForSwap`), and the vault pays
only the venue of the trade it is running, only in that trade's sell token, at most its sell amount
in total, only while the venue call runs. The attacker (contracts/test/PaymentThief.sol) asks for
more, for another token, twice, through an accomplice, after the trade in the same transaction, and,
as a venue the aggregator lists, from inside a route the vault pays for; each is refused and the
vault keeps its funds. The NAV desk, paid by callback too, refuses an underpaying caller.
"""

import ape
import pytest

from isolation import isolated
from keepers.access.roles import ROLE_IDS
from keepers.liquidity.codec import encode_route
from risk_fixtures import UNIT, USDC_UNIT

USDC, QTB, QCORP, QSPX = range(4)
OVERDRAW, OTHER_TOKEN, TWICE, ACCOMPLICE, KEEP = range(5)
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def thieves(project, deployer):
    return deployer.deploy(project.PaymentThief), deployer.deploy(project.PaymentThief)


def thief_trade(stack, thief, sell, buy, amount, min_out=0):
    data = thief.swap.encode_input(stack.tokens[sell], stack.tokens[buy], amount)
    return (stack.tokens[sell], amount, stack.tokens[buy], min_out, thief, data)


def test_pay_for_swap__no_trade_running__refused(risk_stack, outsider):
    vault, usdc = risk_stack.vault, risk_stack.tokens[USDC]
    with ape.reverts(
        vault.PaymentNotExpected,
        caller=outsider.address,
        token=usdc.address,
        venue=ZERO,
        sellAsset=ZERO,
    ):
        vault.payForSwap(usdc, outsider, 1, sender=outsider)


def test_pay_for_swap__allow_listed_venue_asks_beyond_its_trade__refused_vault_keeps_its_funds(
    risk_stack, thieves, governor, executor, chain
):
    vault, usdc, qtb = risk_stack.vault, risk_stack.tokens[USDC], risk_stack.tokens[QTB]
    thief, accomplice = thieves
    amount = 1_000 * USDC_UNIT
    with isolated(chain):
        vault.setVenue(thief, True, sender=governor)
        before = list(vault.holdings())
        thief.arm(OVERDRAW, ZERO, ZERO, sender=governor)
        with ape.reverts(
            vault.PaymentAboveTrade, token=usdc.address, amount=amount + 1, remaining=amount
        ):
            vault.trade(thief_trade(risk_stack, thief, USDC, QTB, amount), sender=executor)
        thief.arm(TWICE, ZERO, ZERO, sender=governor)
        with ape.reverts(vault.PaymentAboveTrade, token=usdc.address, amount=1, remaining=0):
            vault.trade(thief_trade(risk_stack, thief, USDC, QTB, amount), sender=executor)
        thief.arm(OTHER_TOKEN, qtb, ZERO, sender=governor)
        with ape.reverts(
            vault.PaymentNotExpected,
            caller=thief.address,
            token=qtb.address,
            venue=thief.address,
            sellAsset=usdc.address,
        ):
            vault.trade(thief_trade(risk_stack, thief, USDC, QTB, amount), sender=executor)
        thief.arm(ACCOMPLICE, ZERO, accomplice, sender=governor)
        with ape.reverts(
            vault.PaymentNotExpected,
            caller=accomplice.address,
            token=usdc.address,
            venue=thief.address,
            sellAsset=usdc.address,
        ):
            vault.trade(thief_trade(risk_stack, thief, USDC, QTB, amount), sender=executor)
        assert list(vault.holdings()) == before
        assert usdc.balanceOf(thief) == usdc.balanceOf(accomplice) == 0


def test_pay_for_swap__after_the_trade__same_or_later_transaction__refused(
    risk_stack, thieves, governor, executor, deployer, chain
):
    vault, usdc = risk_stack.vault, risk_stack.tokens[USDC]
    thief, _ = thieves
    amount = 1_000 * USDC_UNIT
    with isolated(chain):
        vault.setVenue(thief, True, sender=governor)
        thief.arm(KEEP, ZERO, ZERO, sender=governor)
        # The trade itself asks for nothing and buys nothing (a minimum of 0): it passes, moving
        # nothing.
        receipt = vault.trade(thief_trade(risk_stack, thief, USDC, QTB, amount), sender=executor)
        assert [(e.sold, e.bought) for e in receipt.decode_logs(vault.Traded)] == [(0, 0)]
        before = usdc.balanceOf(vault)
        with ape.reverts(
            vault.PaymentNotExpected,
            caller=thief.address,
            token=usdc.address,
            venue=ZERO,
            sellAsset=ZERO,
        ):
            thief.stealKept(sender=deployer)
        # Within the transaction of the trade, right after it (the thief made EXECUTOR for the
        # test).
        risk_stack.manager.grantRole(ROLE_IDS["EXECUTOR"], thief, 0, sender=deployer)
        with ape.reverts(
            vault.PaymentNotExpected,
            caller=thief.address,
            token=usdc.address,
            venue=ZERO,
            sellAsset=ZERO,
        ):
            thief.tradeThenSteal(
                vault, thief_trade(risk_stack, thief, USDC, QTB, amount), sender=deployer
            )
        assert usdc.balanceOf(vault) == before


def test_pay_for_swap__honest_venue_paid_when_it_asks__no_allowance_ever(risk_stack, executor):
    """The honest venue (FixedRateVenue) is paid by the callback; the vault never approves
    anyone."""
    vault, usdc, venue = risk_stack.vault, risk_stack.tokens[USDC], risk_stack.venue
    data = venue.swap.encode_input(usdc, risk_stack.tokens[QCORP], 10_000 * USDC_UNIT)
    receipt = vault.trade(
        (usdc, 10_000 * USDC_UNIT, risk_stack.tokens[QCORP], 100 * UNIT, venue, data),
        sender=executor,
    )
    assert [(e.sold, e.bought) for e in receipt.decode_logs(vault.Traded)] == [
        (10_000 * USDC_UNIT, 100 * UNIT)
    ]
    assert not [log for log in receipt.events if log.event_name == "Approval"]
    assert usdc.allowance(vault, venue) == 0


def test_pay_for_swap__venue_of_a_route_asks_the_vault_itself__refused(
    rebalancing, thieves, stack, deployer, chain
):
    """LIQ-19: inside the vault's `swapWithCallback` route, a listed venue (posing as a V2 pair) is
    paid what the route owes it, through the aggregator; asking the vault directly for more is
    refused (the running trade's venue is the aggregator), and nothing moves."""
    r = rebalancing
    thief, _ = thieves
    usdc, qspx = r.tokens[0], r.tokens[3]
    amount = 1_000 * USDC_UNIT
    with isolated(chain):
        thief.poseAsPair(usdc, qspx, sender=deployer)  # a pair answers its tokens (SEC-141)
        r.liq.aggregator.setVenue(thief, r.liq.deployment.adapters["uniswap_v2"], sender=deployer)
        thief.robDuringRoute(r.vault, usdc, 10 * amount, sender=deployer)
        # a direct trade, for the test
        stack[0].grantRole(ROLE_IDS["EXECUTOR"], deployer, 0, sender=deployer)
        route = encode_route(
            usdc,
            qspx,
            amount,
            1,
            r.vault.address,
            chain.pending_timestamp + 600,
            0,
            [(amount, [(thief.address, qspx.address, b"")])],
        )
        data = r.liq.aggregator.swapWithCallback.encode_input(route)
        before = list(r.vault.holdings())
        with ape.reverts(
            r.vault.PaymentNotExpected,
            caller=thief.address,
            token=usdc.address,
            venue=r.liq.aggregator.address,
            sellAsset=usdc.address,
        ):
            r.vault.trade((usdc, amount, qspx, 1, r.liq.aggregator, data), sender=deployer)
        assert list(r.vault.holdings()) == before


def test_nav_desk__callback_underpaid_or_from_a_stranger__refused(
    liquidity, thieves, deployer, stack, operator, chain
):
    """LIQ-20: the desk sends its output, calls its caller back, and requires its own balance of the
    input to have grown by the amount due; the aggregator's NAV callback answers only the desk it is
    calling, once, for at most the hop's input."""
    liq, (thief, _) = liquidity, thieves
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    desk = ape.project.NavVenue.at(liq.deployment.nav_venue)
    with ape.reverts(liq.aggregator.UnexpectedCallback, caller=liq.trader.address):
        liq.aggregator.navVenueCallback(usdc, 1, b"", sender=liq.trader)
    with isolated(chain):
        stack[1].registerInvestor(thief, "0x" + "fd" * 20, 840, 4, 2**40 - 1, sender=operator)
        usdc.transfer(thief, 10_000 * USDC_UNIT, sender=liq.trader)
        with ape.reverts(
            desk.PaymentNotReceived,
            tokenIn=usdc.address,
            received=10_000 * USDC_UNIT - 1,
            amountIn=10_000 * USDC_UNIT,
        ):
            thief.underpay(desk, usdc, qspx, 10_000 * USDC_UNIT, 1, sender=deployer)
        before = qspx.balanceOf(desk)
        # paid in full: filled
        thief.underpay(desk, usdc, qspx, 10_000 * USDC_UNIT, 0, sender=deployer)
        assert qspx.balanceOf(desk) < before and usdc.balanceOf(thief) == 0
