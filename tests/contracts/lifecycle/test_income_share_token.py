"""IncomeShareToken (issue 17 item 5): a money-market share class whose daily dividend is declared
as new shares through a multiplicative index, O(1) per declaration, paid lazily per holder on
every balance change and on claim, through the ComplianceEngine's ledger (LCY-60..LCY-64)."""

import ape
import pytest

from income_fixtures import DECLARATION_INTERVAL, OPENING_SHARES, SHARE_UNIT, income_identity
from isolation import isolated

INDEX_ONE = 10**27
ZERO = "0x" + "00" * 20


@pytest.fixture
def income(income_stack, chain):
    with isolated(chain):
        yield income_stack


def supply_of(income):
    return income.token.totalSupply()


def accrued(balance: int, last: int, index: int) -> int:
    return balance * index // last - balance


def test_declare__by_mint_agent__index_grows_by_supply_ratio_and_supply_at_once(income):
    token, supply = income.token, supply_of(income)
    shares = supply * 10 // 10_000  # 0.1%
    tx = income.declare_next(ape.chain, shares)
    index, count, last = token.incomeIndex()
    assert index == INDEX_ONE * (supply + shares) // supply
    assert (count, last) == (1, tx.timestamp)
    assert token.totalSupply() == supply + shares
    assert tx.events[0].event_name == "IncomeDeclared"
    event = tx.events[0]
    assert (event.number, event.shares, event.supplyBefore) == (1, shares, supply)
    assert (event.previousIndex, event.nextIndex) == (INDEX_ONE, index)
    # nothing paid yet: the engine's ledger counts income when it is paid
    assert income.engine.holderCounts()[2] == supply


def test_declare__not_a_mint_agent__reverts(income):
    alice = income.holders["alice"]
    with ape.reverts(income.token.MissingCapability, account=alice.address, capability=1):
        income.token.declareIncome(1, SHARE_UNIT, sender=alice)


def test_declare__numbering_interval_and_bounds__enforced(income, chain):
    token, agent = income.token, income.agent
    supply = supply_of(income)
    with ape.reverts(token.UnexpectedDeclaration, number=2, expected=1):
        token.declareIncome(2, SHARE_UNIT, sender=agent)
    cap = supply * 50 // 10_000
    with ape.reverts(token.DeclarationOutOfBounds, shares=cap + 1, supply=supply, maxShares=cap):
        token.declareIncome(1, cap + 1, sender=agent)
    with ape.reverts(token.DeclarationOutOfBounds, shares=0, supply=supply, maxShares=cap):
        token.declareIncome(1, 0, sender=agent)
    tx = token.declareIncome(1, cap, sender=agent)
    # a retried declaration 1 never applies twice
    with ape.reverts(token.UnexpectedDeclaration, number=1, expected=2):
        token.declareIncome(1, SHARE_UNIT, sender=agent)
    chain.pending_timestamp = tx.timestamp + DECLARATION_INTERVAL - 10
    with ape.reverts(
        token.DeclarationTooSoon,
        lastDeclaredAt=tx.timestamp,
        earliest=tx.timestamp + DECLARATION_INTERVAL,
    ):
        token.declareIncome(2, SHARE_UNIT, sender=agent)
    chain.pending_timestamp = tx.timestamp + DECLARATION_INTERVAL
    token.declareIncome(2, SHARE_UNIT, sender=agent)
    assert token.incomeIndex()[1] == 2


def test_accrual__pro_rata_in_balance_of__paid_on_claim_through_the_engine(income):
    token, engine = income.token, income.engine
    alice = income.holders["alice"]
    before = token.balanceOf(alice)
    supply = supply_of(income)
    income.declare_next(ape.chain, supply // 1_000)
    index = token.incomeIndex()[0]
    owed = accrued(before, INDEX_ONE, index)
    assert owed > 0
    assert token.accruedIncomeOf(alice) == owed
    assert token.balanceOf(alice) == before + owed
    assert engine.ledgerOf(income_identity("alice")).balance == before  # not paid yet
    supply_engine = engine.holderCounts()[2]
    tx = income.token.claimIncome(alice, sender=income.outsider)  # anyone may claim for alice
    transfer = [e for e in tx.events if e.event_name == "Transfer"]
    assert [(e["from"], e.to, e.value) for e in transfer] == [(ZERO, alice.address, owed)]
    assert token.accruedIncomeOf(alice) == 0
    assert token.balanceOf(alice) == before + owed
    assert engine.ledgerOf(income_identity("alice")).balance == before + owed
    assert engine.holderCounts()[2] == supply_engine + owed
    # a second claim pays nothing
    assert token.claimIncome.call(alice) == 0


def test_transfer_mid_period__sender_settled_first__recipient_earns_from_arrival(income):
    token, engine = income.token, income.engine
    alice, dave = income.holders["alice"], income.holders["dave"]
    a0, d0 = token.balanceOf(alice), token.balanceOf(dave)
    income.declare_next(ape.chain, supply_of(income) // 500)
    i1 = token.incomeIndex()[0]
    a_owed, d_owed = accrued(a0, INDEX_ONE, i1), accrued(d0, INDEX_ONE, i1)
    amount = token.balanceOf(alice)  # the whole balance, income included
    token.transfer(dave, amount, sender=alice)
    assert token.balanceOf(alice) == 0
    assert token.balanceOf(dave) == d0 + d_owed + amount
    assert amount == a0 + a_owed
    # the engine's ledger matches both settled balances
    assert engine.ledgerOf(income_identity("alice")).balance == 0
    assert engine.ledgerOf(income_identity("dave")).balance == d0 + d_owed + amount
    # the next declaration pays dave on everything he holds, alice nothing
    held = token.balanceOf(dave)
    income.declare_next(ape.chain, supply_of(income) // 500)
    i2 = token.incomeIndex()[0]
    assert token.accruedIncomeOf(alice) == 0
    assert token.accruedIncomeOf(dave) == accrued(held, i1, i2)


def test_transfer__to_unverified_wallet__refused_with_income_accrued(income):
    token, alice, outsider = income.token, income.holders["alice"], income.outsider
    income.declare_next(ape.chain, supply_of(income) // 1_000)
    assert token.detectTransferRestriction(alice, outsider, SHARE_UNIT) != 0
    with ape.reverts(token.TransferNotCompliant):
        token.transfer(outsider, SHARE_UNIT, sender=alice)
    assert token.balanceOf(outsider) == 0
    assert token.accruedIncomeOf(alice) > 0  # the refused transfer paid nothing either


def test_mint_and_burn__settle_first__new_shares_earn_from_arrival(income):
    token, agent, bob = income.token, income.agent, income.holders["bob"]
    b0 = token.balanceOf(bob)
    income.declare_next(ape.chain, supply_of(income) // 1_000)
    i1 = token.incomeIndex()[0]
    token.mint(bob, 1_000 * SHARE_UNIT, sender=agent)
    settled = b0 + accrued(b0, INDEX_ONE, i1) + 1_000 * SHARE_UNIT
    assert token.balanceOf(bob) == settled
    assert token.accruedIncomeOf(bob) == 0
    token.burn(bob, settled, sender=agent)
    assert token.balanceOf(bob) == 0
    assert income.engine.ledgerOf(income_identity("bob")).balance == 0


def test_sum_of_balances__never_above_supply__dust_unpaid(income):
    token = income.token
    for bps in (50, 1, 17, 50, 3):
        income.declare_next(ape.chain, supply_of(income) * bps // 10_000)
        token.transfer(
            income.holders["dave"], 3 * SHARE_UNIT // 7, sender=income.holders["carol"]
        )
    total = sum(token.balanceOf(w) for w in income.holders.values())
    assert total <= token.totalSupply()
    for wallet in income.holders.values():
        token.claimIncome(wallet, sender=wallet)
    settled = sum(token.balanceOf(w) for w in income.holders.values())
    assert settled == total  # claiming moves nothing: balanceOf counted the income
    # what nobody is paid: a few base units per settlement and declaration
    assert 0 <= token.totalSupply() - settled <= 5 * (len(income.holders) + 5)
    assert sum(OPENING_SHARES.values()) * SHARE_UNIT < settled
