"""IncomeShareToken (issue 17 item 5): a money-market share class whose daily dividend is declared
as new shares through a multiplicative index, O(1) per declaration, paid lazily per holder on
every balance change and on claim, through the ComplianceEngine's ledger (LCY-60..LCY-64)."""

import ape
import pytest

from compliance_fixtures import admin_module
from income_fixtures import DECLARATION_INTERVAL, OPENING_SHARES, SHARE_UNIT, income_identity
from isolation import isolated
from keepers.core.artifacts import project_at

INDEX_ONE = 10**27
ZERO = "0x" + "00" * 20
ALL = 2**256 - 1


def claim(token, wallet, sender):
    """A claim: settle `wallet` and pay all its income into its balance."""
    return token.settleIncome(wallet, ZERO, ALL, sender=sender)


def unpaid(token, wallet) -> int:
    """Income settled or accrued to `wallet` and not paid into its balance."""
    return token.balanceOf(wallet) - token.incomeAccountOf(wallet)[0]


@pytest.fixture
def income(income_stack, chain):
    with isolated(chain):
        yield income_stack


def supply_of(income):
    return income.token.totalSupply()


def accrued(balance: int, last: int, index: int) -> int:
    return balance * index // last - balance


def test_declare__by_declarer__index_grows_by_supply_ratio_and_supply_at_once(income):
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
    assert (event.nextIndex, event.by) == (index, income.agent.address)
    # nothing paid yet: the engine's ledger counts income when it is paid
    assert income.engine.holderCounts()[2] == supply


def test_declare__not_a_declarer__reverts(income):
    alice = income.holders["alice"]
    with ape.reverts(income.token.NotDeclarer, caller=alice.address):
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
    earliest = tx.timestamp + DECLARATION_INTERVAL
    with ape.reverts(token.UnexpectedDeclaration, number=1, expected=2):
        token.declareIncome(1, SHARE_UNIT, sender=agent)
    chain.pending_timestamp = tx.timestamp + DECLARATION_INTERVAL - 10
    with ape.reverts(token.DeclarationTooSoon, lastDeclaredAt=tx.timestamp, earliest=earliest):
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
    assert unpaid(token, alice) == owed
    assert token.balanceOf(alice) == before + owed
    assert engine.ledgerOf(income_identity("alice")).balance == before  # not paid yet
    supply_engine = engine.holderCounts()[2]
    tx = claim(token, alice, sender=income.outsider)  # anyone may claim for alice
    transfer = [e for e in tx.events if e.event_name == "Transfer"]
    assert [(e["from"], e.to, e.value) for e in transfer] == [(ZERO, alice.address, owed)]
    assert unpaid(token, alice) == 0
    assert token.incomeAccountOf(alice) == (before + owed, 0, index)
    assert token.balanceOf(alice) == before + owed
    assert engine.ledgerOf(income_identity("alice")).balance == before + owed
    assert engine.holderCounts()[2] == supply_engine + owed
    # a second claim pays nothing
    assert token.settleIncome.call(alice, ZERO, ALL) == 0


def test_transfer_mid_period__both_settled__recipient_earns_from_arrival(income):
    token, engine = income.token, income.engine
    alice, dave = income.holders["alice"], income.holders["dave"]
    a0, d0 = token.balanceOf(alice), token.balanceOf(dave)
    income.declare_next(ape.chain, supply_of(income) // 500)
    i1 = token.incomeIndex()[0]
    a_owed, d_owed = accrued(a0, INDEX_ONE, i1), accrued(d0, INDEX_ONE, i1)
    amount = token.balanceOf(alice)  # the whole balance, income included: alice's is paid first
    tx = token.transfer(dave, amount, sender=alice)
    transfers = [(e["from"], e.to, e.value) for e in tx.events if e.event_name == "Transfer"]
    assert transfers == [(ZERO, alice.address, a_owed), (alice.address, dave.address, amount)]
    assert amount == a0 + a_owed
    assert token.balanceOf(alice) == 0
    assert token.balanceOf(dave) == d0 + d_owed + amount
    # dave's income is settled (his index moved) and pending, not paid: the engine has his paid
    # balance, alice's paid income went through the engine
    assert token.incomeAccountOf(dave) == (d0 + amount, d_owed, i1)
    assert engine.ledgerOf(income_identity("alice")).balance == 0
    assert engine.ledgerOf(income_identity("dave")).balance == d0 + amount
    # the next declaration pays dave on everything he holds (pending income included), alice nothing
    held = token.balanceOf(dave)
    income.declare_next(ape.chain, supply_of(income) // 500)
    i2 = token.incomeIndex()[0]
    assert unpaid(token, alice) == 0
    assert token.balanceOf(dave) == held + accrued(held, i1, i2)


def test_transfer_within_paid_balance__income_settled_not_paid(income):
    token, engine = income.token, income.engine
    bob, carol = income.holders["bob"], income.holders["carol"]
    b0 = token.balanceOf(bob)
    income.declare_next(ape.chain, supply_of(income) // 1_000)
    i1 = token.incomeIndex()[0]
    tx = token.transfer(carol, SHARE_UNIT, sender=bob)
    assert [e.event_name for e in tx.events] == ["Transfer"]  # the transfer's own only
    assert token.incomeAccountOf(bob) == (b0 - SHARE_UNIT, accrued(b0, INDEX_ONE, i1), i1)
    assert engine.ledgerOf(income_identity("bob")).balance == b0 - SHARE_UNIT


def test_transfer__to_unverified_wallet__refused_with_income_accrued(income):
    token, alice, outsider = income.token, income.holders["alice"], income.outsider
    income.declare_next(ape.chain, supply_of(income) // 1_000)
    assert token.detectTransferRestriction(alice, outsider, SHARE_UNIT) != 0
    with ape.reverts(token.TransferNotCompliant):
        token.transfer(outsider, SHARE_UNIT, sender=alice)
    assert token.balanceOf(outsider) == 0
    assert unpaid(token, alice) > 0  # the refused transfer paid nothing either


def test_mint_and_burn__settle_first__new_shares_earn_from_arrival(income):
    token, agent, bob = income.token, income.agent, income.holders["bob"]
    b0 = token.balanceOf(bob)
    income.declare_next(ape.chain, supply_of(income) // 1_000)
    i1 = token.incomeIndex()[0]
    token.mint(bob, 1_000 * SHARE_UNIT, sender=agent)
    settled = b0 + accrued(b0, INDEX_ONE, i1) + 1_000 * SHARE_UNIT
    assert token.balanceOf(bob) == settled
    assert token.incomeAccountOf(bob) == (
        b0 + 1_000 * SHARE_UNIT,
        settled - b0 - 1_000 * SHARE_UNIT,
        i1,
    )
    token.burn(bob, settled, sender=agent)  # more than the paid balance: the income is paid first
    assert token.balanceOf(bob) == 0
    assert income.engine.ledgerOf(income_identity("bob")).balance == 0


def test_sum_of_balances__never_above_supply__dust_unpaid(income):
    token = income.token
    for bps in (50, 1, 17, 50, 3):
        income.declare_next(ape.chain, supply_of(income) * bps // 10_000)
        token.transfer(income.holders["dave"], 3 * SHARE_UNIT // 7, sender=income.holders["carol"])
    total = sum(token.balanceOf(w) for w in income.holders.values())
    assert total <= token.totalSupply()
    for wallet in income.holders.values():
        claim(token, wallet, sender=wallet)
    settled = sum(token.balanceOf(w) for w in income.holders.values())
    assert settled == total  # claiming moves nothing: balanceOf counted the income
    assert settled == sum(token.incomeAccountOf(w)[0] for w in income.holders.values())
    assert settled == income.engine.holderCounts()[2]
    # what nobody is paid: a few base units per settlement and declaration
    assert 0 <= token.totalSupply() - settled <= 5 * (len(income.holders) + 5)
    assert sum(OPENING_SHARES.values()) * SHARE_UNIT < settled


def test_income_words__read_raw__decode_to_the_views_by_the_documented_layout(income, chain):
    """IncomeWords.sol's layouts: `_income` is index 0..159 | declarations 160..191 |
    lastDeclaredAt 192..231; `_holders[wallet]` is index 0..159 | pending 160..255 (the mapping
    right after `_income`)."""
    from words import INCOME, INCOME_ACCOUNT, mapping_slot
    from words import stored_word as read_slot

    token, alice, bob = income.token, income.holders["alice"], income.holders["bob"]
    income.declare_next(chain, supply_of(income) // 1_000)
    token.transfer(bob, SHARE_UNIT, sender=alice)  # both settled: pending income, no payment
    index, count, last = token.incomeIndex()
    word = INCOME.encode({"index": index, "declarations": count, "lastDeclaredAt": last})
    slots = [read_slot(chain, token, slot) for slot in range(40)]
    assert slots.count(word) == 1
    holders_slot = slots.index(word) + 1
    for wallet in (alice, bob):
        raw = read_slot(chain, token, mapping_slot(wallet, holders_slot))
        _, pending, holder_index = token.incomeAccountOf(wallet)
        assert pending > 0 and holder_index == index
        assert raw == INCOME_ACCOUNT.encode({"index": holder_index, "pending": pending})


def test_gas__declaration_flat_in_holders__transfer_with_income_within_15000(income):
    """LCY-64 in a test: a declaration touches no holder (the same gas with four holders and with
    three), and a transfer between holders with income accrued on both sides costs within 15,000
    of the same transfer without (the figures of record are `scripts/bench_income.py`'s)."""
    token = income.token
    alice, bob, carol = (income.holders[name] for name in ("alice", "bob", "carol"))
    plain = token.transfer(carol, SHARE_UNIT, sender=bob).gas_used  # no income declared yet
    first = income.declare_next(ape.chain, supply_of(income) // 1_000).gas_used
    with_income = token.transfer(carol, SHARE_UNIT, sender=bob).gas_used  # both sides accrued
    claim(token, alice, alice)
    token.transfer(income.holders["dave"], token.balanceOf(alice), sender=alice)  # alice leaves
    second = income.declare_next(ape.chain, supply_of(income) // 1_000).gas_used
    # equal up to calldata (the numbers and amounts differ in their bytes: 12 gas a nonzero byte)
    assert abs(first - second) <= 64
    assert plain < with_income <= plain + 15_000


def test_fnd_21__income_module__runs_only_on_a_tokens_storage(income, project):
    """The module (IncomeShareLogic) inherits the token's layout, not the token (FND-21): called
    directly, every function that writes reverts `DirectCall`, even from the token's declarer and
    by anyone, and the token's income is untouched. Through the token's stubs the
    same code runs on the token's storage. The token has no open fallback any more: a selector it
    does not serve (the module's own `moduleId`) reverts instead of reaching the module."""
    token, agent, alice = income.token, income.agent, income.holders["alice"]
    # Exactly the module's type (ape's own `.at` merges what its cache knows of the address: in a
    # run of several anvils, another chain's contract there).
    module = project_at("IncomeShareLogic", token.incomeLogic())
    assert module.address != token.address and project.provider.get_code(module.address)
    before = (token.incomeIndex(), token.totalSupply(), token.isDeclarer(alice))
    writes = {
        "declareIncome": (1, SHARE_UNIT),
        "settleIncome": (alice, ZERO, ALL),
        "setDeclarer": (alice, True),
    }
    assert writes.keys() == {
        m.name for m in module.contract_type.mutable_methods if m.name != "setAuthority"
    }
    for name, args in writes.items():
        with ape.reverts(module.DirectCall):
            getattr(module, name)(*args, sender=agent)
    assert (token.incomeIndex(), token.totalSupply(), token.isDeclarer(alice)) == before
    # Through the token: the declarer declares, on the token's storage.
    income.declare_next(ape.chain, SHARE_UNIT)
    assert token.incomeIndex()[1] == 1 and token.totalSupply() == before[1] + SHARE_UNIT
    # The token's ABI is the whole of IIncomeShareToken; the module's id is not the token's.
    with ape.reverts():
        project.IncomeShareLogic.at(token.address).moduleId()


def test_fnd_21__a_token_built_on_no_module_or_another_module__refused(income, project):
    """The token's constructor checks the module (`Dispatch._requireModule`): an address without
    code (a DELEGATECALL to it succeeds and does nothing: every declaration and settlement would be
    lost silently) or a module of another layout (the token family's admin module) is refused,
    `ModuleMismatch`. The deploy routine
    records the module under its init code's hash (`IncomeShareLogic.<hash>`)."""
    token, d = income.token, income.deployment
    expected = project.IncomeShareLogic.at(token.incomeLogic()).moduleId()
    args = (
        d.at("QuanteraAccessManager").address,
        "Wrong module",
        "WRONG",
        18,
        income.registry.address,
        ZERO,
        ZERO,
        admin_module(d),
    )
    # The likely mistake: the token family's admin module passed as the income module.
    for wrong in (income.outsider.address, admin_module(d)):
        with ape.reverts(token.ModuleMismatch, module=wrong, expected=expected):
            d.sender.deploy(project.IncomeShareToken, *args, wrong)
    names = [n for n in d.record.contracts if n.startswith("IncomeShareLogic.")]
    assert [d.address(n) for n in names] == [token.incomeLogic()]


def test_deploy__rerun_after_a_rebuild__a_recorded_token_gets_no_new_modules(income, monkeypatch):
    """Review of the split (L-1): the modules are recorded under their build's name; a rerun of the
    routine after a rebuild (here: every module name changed) deployed a fresh TokenAdmin and
    IncomeShareLogic that no recorded token uses. A recorded token keeps its modules: the rerun
    sends nothing."""
    import keepers.compliance.deploy as compliance_deploy
    import keepers.lifecycle.deploy as lifecycle_deploy
    from compliance_fixtures import open_jurisdiction
    from income_fixtures import INCOME_COUNTRIES
    from keepers.lifecycle import deploy_income_share_token

    d, token = income.deployment, income.token
    for module in (compliance_deploy, lifecycle_deploy):
        rebuilt = module.build_name
        monkeypatch.setattr(module, "build_name", lambda *a, f=rebuilt: f(*a) + "-rebuilt")
    nonce = d.sender.nonce
    again = deploy_income_share_token(
        d,
        "Quantera Money Market Fund (income)",
        "QMMFI",
        agent=income.agent.address,
        declarer=income.agent.address,
        jurisdictions=[(country, open_jurisdiction()) for country in INCOME_COUNTRIES],
    )
    assert again.address == token.address and d.sender.nonce == nonce
    assert not [n for n in d.record.contracts if n.endswith("-rebuilt")]
