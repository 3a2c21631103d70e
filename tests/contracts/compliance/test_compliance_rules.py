"""CMP-*: every compliance rule, through the token, with the explain view checked against
transfer."""

import ape
import pytest

from compliance_fixtures import (
    ACCREDITED,
    CH,
    DE,
    GB,
    INSTITUTIONAL,
    KP,
    QUALIFIED,
    RETAIL,
    SG,
    UNIT,
    US,
    admin_module,
    assert_allowed,
    assert_refused,
    compliance_module,
    limits,
    open_jurisdiction,
    registry_identity,
)
from direct_calls import every_direct_call_refused


@pytest.fixture
def holders(onboard, investors, token, agent):
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, QUALIFIED)
    token.mint(alice, 1_000 * UNIT, sender=agent)
    return alice, bob, carol


def test_transfer__verified_parties__moves_tokens_and_updates_identity_ledger(
    holders, token, engine, onboard
):
    alice, bob, _ = holders
    assert_allowed(token, alice, bob, 100 * UNIT)
    assert token.balanceOf(alice) == 900 * UNIT
    (holders_total, _, supply) = engine.holderCounts()
    assert (holders_total, supply) == (2, 1_000 * UNIT)


def test_transfer__unregistered_recipient__code_6(holders, token):
    alice, _, carol = holders
    assert_refused(token, alice, carol, UNIT, 6)
    assert token.messageForTransferRestriction(6).startswith("Recipient is not a verified investor")


def test_transfer__expired_kyc_sender__code_5(holders, token, onboard, chain, registry, operator):
    alice, bob, _ = holders
    registry.setInvestorProfile(
        registry.identity(alice), US, ACCREDITED, chain.pending_timestamp + 10, sender=operator
    )
    chain.pending_timestamp += 100
    chain.mine()
    assert_refused(token, alice, bob, UNIT, 5)


def test_transfer__blocked_recipient_jurisdiction__code_8(
    holders, token, engine, governor, onboard
):
    alice, _, carol = holders
    onboard(carol, KP, INSTITUTIONAL)
    assert_refused(token, alice, carol, UNIT, 8)
    engine.setJurisdiction(KP, open_jurisdiction(), sender=governor)
    engine.setJurisdiction(KP, (False, 1, 0, 0, 0), sender=governor)
    assert_refused(token, alice, carol, UNIT, 8)


def test_set_jurisdiction__change__emits_previous_and_next(engine, governor):
    receipt = engine.setJurisdiction(
        SG, open_jurisdiction(min_class=QUALIFIED, holder_cap=7), sender=governor
    )
    [log] = receipt.decode_logs(engine.JurisdictionSet)
    assert log.country == SG
    assert tuple(log.previous) == open_jurisdiction()
    assert tuple(log.next) == open_jurisdiction(min_class=QUALIFIED, holder_cap=7)


def test_fnd_21__compliance_admin__called_directly_refused__an_engine_on_a_wrong_module_refused(
    engine, project, deployer, stack, stack_deployment, governor
):
    """FND-21: the engines' admin module (governance) refuses every call made to it directly
    (`DirectCall`), the governor's included; an engine built on a module of another layout (the
    token family's admin module) or on an address without code is refused (`ModuleMismatch`)."""
    manager, registry, _, token = stack
    module = project.ComplianceAdmin.at(compliance_module(stack_deployment))
    before = tuple(engine.limits())
    # AccessManaged's own `setAuthority`, inherited for the slot: the module's authority is the
    # zero address, so no caller is it.
    called = every_direct_call_refused(
        module,
        project.ComplianceAdmin.contract_type,
        governor,
        {"setAuthority": module.AccessManagedUnauthorized},
    )
    assert {"setLimits", "setJurisdiction", "setEscrow", "addModule", "bindToken"} <= called
    assert tuple(engine.limits()) == before
    expected = module.moduleId()
    for wrong in (admin_module(stack_deployment), governor.address):
        with ape.reverts(engine.ModuleMismatch, module=wrong, expected=expected):
            deployer.deploy(project.ComplianceEngine, manager, registry, token, wrong)


def test_set_limits_and_jurisdictions__refusals__carry_the_values_and_change_nothing(
    engine, governor
):
    """Governance's refusals name what was wrong, with the values (typed errors, no strings):
    a batch of jurisdictions whose lengths differ or exceed the maximum, a maxBalanceBps above
    10,000, a minimum holding above the maximum balance. Nothing changes."""
    before = tuple(engine.limits())
    one = open_jurisdiction()
    with ape.reverts(engine.JurisdictionBatchInvalid, countries=2, configs=1, max=100):
        engine.setJurisdictions([SG, US], [one], sender=governor)
    with ape.reverts(engine.JurisdictionBatchInvalid, countries=101, configs=101, max=100):
        engine.setJurisdictions([SG] * 101, [one] * 101, sender=governor)
    with ape.reverts(engine.InvalidLimits, maxBalanceBps=10_001, minHolding=0, maxBalance=0):
        engine.setLimits(limits(maxBalanceBps=10_001), sender=governor)
    with ape.reverts(engine.InvalidLimits, maxBalanceBps=0, minHolding=2 * UNIT, maxBalance=UNIT):
        engine.setLimits(limits(minHolding=2 * UNIT, maxBalance=UNIT), sender=governor)
    assert tuple(engine.limits()) == before


def test_transfer__sender_jurisdiction_later_blocked__code_7(holders, token, engine, governor):
    alice, bob, _ = holders
    engine.setJurisdiction(US, (False, 1, 0, 0, 0), sender=governor)
    assert_refused(token, alice, bob, UNIT, 7)


def test_transfer__blocked_route__code_9_and_reverse_route_open(holders, token, engine, governor):
    alice, bob, _ = holders
    engine.setRoute(US, DE, True, sender=governor)
    assert engine.routeBlocked(US, DE) and not engine.routeBlocked(DE, US)
    assert_refused(token, alice, bob, UNIT, 9)
    engine.setRoute(US, DE, False, sender=governor)
    assert_allowed(token, alice, bob, UNIT)
    assert_allowed(token, bob, alice, UNIT)


def test_transfer__class_below_jurisdiction_minimum__code_10(
    holders, token, engine, governor, onboard
):
    alice, _, carol = holders
    engine.setJurisdiction(GB, open_jurisdiction(min_class=QUALIFIED), sender=governor)
    onboard(carol, GB, ACCREDITED)
    assert_refused(token, alice, carol, UNIT, 10)


def test_transfer__jurisdiction_holder_cap__code_11_unless_sender_frees_the_seat(
    holders, token, engine, governor, onboard
):
    alice, bob, carol = holders
    engine.setJurisdiction(DE, open_jurisdiction(holder_cap=1), sender=governor)
    assert_allowed(token, alice, bob, UNIT)
    onboard(carol, DE, ACCREDITED)
    assert_refused(token, alice, carol, UNIT, 11)
    # bob (DE) leaving entirely frees the only DE seat for carol (DE).
    assert_allowed(token, bob, carol, UNIT)
    assert engine.jurisdiction(DE)[1] == 1


def test_transfer__non_accredited_caps__codes_12_and_23(
    holders, token, engine, governor, onboard, accounts
):
    alice, _, carol = holders
    engine.setJurisdiction(CH, open_jurisdiction(non_accredited_cap=1), sender=governor)
    onboard(carol, CH, RETAIL)
    assert_allowed(token, alice, carol, UNIT)
    dave = accounts[9]
    onboard(dave, CH, RETAIL)
    assert_refused(token, alice, dave, UNIT, 12)
    engine.setJurisdiction(CH, open_jurisdiction(), sender=governor)
    engine.setLimits(limits(totalNonAccreditedCap=1), sender=governor)
    assert_refused(token, alice, dave, UNIT, 23)


def test_transfer__total_holder_cap__code_13(holders, token, engine, governor):
    alice, bob, _ = holders
    engine.setLimits(limits(totalHolderCap=1), sender=governor)
    assert_refused(token, alice, bob, UNIT, 13)
    assert_allowed(token, alice, bob, 1_000 * UNIT)  # alice leaves: bob takes her seat


def test_transfer__max_balance_per_identity_across_wallets__code_14(
    holders, token, engine, governor, onboard, accounts, registry
):
    alice, bob, _ = holders
    engine.setLimits(limits(maxBalance=150 * UNIT), sender=governor)
    bob_second_wallet = accounts[9]
    onboard(bob_second_wallet, DE, QUALIFIED, identity=registry.identity(bob))
    assert_allowed(token, alice, bob, 100 * UNIT)
    # The limit is on bob's identity: his second wallet shares it.
    assert_refused(token, alice, bob_second_wallet, 51 * UNIT, 14)
    assert_allowed(token, alice, bob_second_wallet, 50 * UNIT)


def test_transfer__max_share_of_supply__code_15(holders, token, engine, governor):
    alice, bob, _ = holders
    engine.setLimits(limits(maxBalanceBps=1_000), sender=governor)  # 10 %
    assert_refused(token, alice, bob, 100 * UNIT + 1, 15)
    assert_allowed(token, alice, bob, 100 * UNIT)


def test_transfer__min_holding__code_16_for_dust_left_or_received(holders, token, engine, governor):
    alice, bob, _ = holders
    engine.setLimits(limits(minHolding=10 * UNIT), sender=governor)
    assert_refused(token, alice, bob, 5 * UNIT, 16)
    assert_refused(token, alice, bob, 995 * UNIT, 16)
    assert_allowed(token, alice, bob, 1_000 * UNIT)  # leaving entirely is allowed


def test_transfer__issuance_and_acquisition_lockups__codes_17_and_18(
    holders, token, engine, governor, chain
):
    alice, bob, _ = holders
    now = chain.pending_timestamp
    engine.setLimits(limits(transfersOpenAt=now + 1_000), sender=governor)
    assert_refused(token, alice, bob, UNIT, 17)
    engine.setLimits(limits(lockupAfterAcquisition=3_600), sender=governor)
    assert_refused(token, alice, bob, UNIT, 18)
    chain.pending_timestamp += 3_601
    chain.mine()
    assert_allowed(token, alice, bob, UNIT)


def at(chain, timestamp):
    chain.pending_timestamp = timestamp
    chain.mine()


def test_transfer__daily_limit__holds_over_a_rolling_24h_not_per_calendar_day__code_19(
    holders, token, engine, governor, chain
):
    alice, bob, _ = holders
    day = 86_400
    midnight = (chain.pending_timestamp // day + 2) * day
    engine.setLimits(limits(dailyLimit=10 * UNIT), sender=governor)
    at(chain, midnight - 3_600)
    assert_allowed(token, alice, bob, 6 * UNIT)  # 23:00
    at(chain, midnight + 1_800)
    # 00:30 next day: a fixed UTC-day window (T-REX) would allow 10 again; the rolling limit does
    # not.
    assert engine.ledgerOf(registry_identity(token, alice)).dailyWindowSent == 6 * UNIT
    assert_refused(token, alice, bob, 5 * UNIT, 19)
    assert_allowed(token, alice, bob, 4 * UNIT)
    # The 00:30 send keeps the next day closed too: sends count for 24-48 h (conservative, never
    # lenient).
    at(chain, midnight + day + 1_800)
    assert_refused(token, alice, bob, 7 * UNIT, 19)
    at(chain, midnight + 2 * day)
    assert engine.ledgerOf(registry_identity(token, alice)).dailyWindowSent == 0
    assert_allowed(token, alice, bob, 10 * UNIT)


def test_transfer__monthly_limit__holds_over_a_rolling_30_days__code_20(
    holders, token, engine, governor, chain
):
    alice, bob, _ = holders
    block = 30 * 86_400
    boundary = (chain.pending_timestamp // block + 2) * block
    engine.setLimits(limits(dailyLimit=10 * UNIT, monthlyLimit=15 * UNIT), sender=governor)
    at(chain, boundary - 86_400)
    assert_allowed(token, alice, bob, 9 * UNIT)
    at(chain, boundary + 86_400)  # two days later, in the next 30-day block
    assert_allowed(token, alice, bob, 6 * UNIT)
    ledger = engine.ledgerOf(registry_identity(token, alice))
    assert (ledger.dailyWindowSent, ledger.monthlyWindowSent) == (6 * UNIT, 15 * UNIT)
    at(chain, boundary + 3 * 86_400)
    assert_refused(token, alice, bob, 1 * UNIT, 20)  # daily room, but 15 sent in the last 30 days
    at(chain, boundary + block)  # one block later: the first send (block -1) no longer counts
    assert_allowed(token, alice, bob, 9 * UNIT)
    at(chain, boundary + 2 * block)
    assert engine.ledgerOf(registry_identity(token, alice)).monthlyWindowSent == 9 * UNIT
    at(chain, boundary + 3 * block)
    assert engine.ledgerOf(registry_identity(token, alice)).monthlyWindowSent == 0


def test_set_limits__amount_with_too_many_significant_digits__reverts_not_rounded(engine, governor):
    with ape.reverts(engine.AmountNotRepresentable, amount=12_345_678_901):
        engine.setLimits(limits(maxBalance=12_345_678_901), sender=governor)
    engine.setLimits(
        limits(maxBalance=1_234_567_890 * 10**15, dailyLimit=3 * UNIT), sender=governor
    )
    assert (
        engine.limits().maxBalance == 1_234_567_890 * 10**15
        and engine.limits().dailyLimit == 3 * UNIT
    )


def test_transfer__flowback_window__code_21_cross_border_only(
    holders, token, engine, governor, chain, onboard, accounts
):
    alice, bob, carol = holders
    engine.setJurisdiction(
        US,
        open_jurisdiction(inbound_closed_until=chain.pending_timestamp + 40 * 86_400),
        sender=governor,
    )
    assert_allowed(token, alice, bob, 10 * UNIT)  # US -> DE: outbound is fine
    assert_refused(token, bob, alice, UNIT, 21)  # DE -> US: flowback refused
    onboard(carol, US, ACCREDITED)
    assert_allowed(token, alice, carol, UNIT)  # US -> US unaffected


def test_transfer__same_identity_wallets__pass_identity_rules(
    holders, token, engine, governor, onboard, accounts, registry
):
    alice, _, _ = holders
    engine.setLimits(limits(dailyLimit=1, maxBalance=1_000 * UNIT), sender=governor)
    alice_cold = accounts[9]
    onboard(alice_cold, US, ACCREDITED, identity=registry.identity(alice))
    assert_allowed(token, alice, alice_cold, 500 * UNIT)
    assert engine.ledgerOf(registry.identity(alice)).balance == 1_000 * UNIT


def test_mint__rules_apply_to_recipient(token, agent, onboard, investors, engine, governor):
    alice, _, carol = investors
    onboard(alice, US, ACCREDITED)
    engine.setLimits(limits(maxBalance=100 * UNIT), sender=governor)
    with ape.reverts(token.TransferNotCompliant, to=alice, reasonCode=14):
        token.mint(alice, 101 * UNIT, sender=agent)
    with ape.reverts(token.TransferNotCompliant, to=carol, reasonCode=6):
        token.mint(carol, UNIT, sender=agent)
    assert (
        token.detectTransferRestriction("0x0000000000000000000000000000000000000000", carol, UNIT)
        != 0
    )


def test_lockup__zero_and_dust_sends_from_another_holder__do_not_restart_the_recipients_lockup(
    holders, token, engine, governor, agent, chain
):
    """SEC-7 (attacker's read M1): a griefer who holds the token sends 0 and then 1 wei to a holder
    each day; the lock-up after acquisition used to restart at every receipt (the stamp was the last
    receipt's time), so the victim could never sell. The stamp is now the amount-weighted
    acquisition time: a zero send does not move it, dust moves it by (elapsed x dust / balance),
    and a real acquisition moves it in proportion to its size."""
    alice, bob, _ = holders
    hour = 3_600
    token.mint(bob, 10 * UNIT, sender=agent)
    engine.setLimits(limits(lockupAfterAcquisition=hour), sender=governor)
    alice_identity = registry_identity(token, alice)
    stamp = engine.ledgerOf(alice_identity).lastAcquiredAt
    # Both lock-ups run out (bob's mint came after alice's).
    at(chain, engine.ledgerOf(registry_identity(token, bob)).lastAcquiredAt + hour + 1)
    token.transfer(alice, 0, sender=bob)
    assert engine.ledgerOf(alice_identity).lastAcquiredAt == stamp  # a zero send moves nothing
    token.transfer(alice, 1, sender=bob)
    # 1 wei on 1,000 tokens: rounds to 0 s
    assert engine.ledgerOf(alice_identity).lastAcquiredAt == stamp
    assert_allowed(token, alice, bob, UNIT)
    # A real acquisition is weighted by its size: 1,000 more tokens on ~999 held restart about half.
    held = token.balanceOf(alice)
    before = engine.ledgerOf(alice_identity).lastAcquiredAt
    receipt = token.mint(alice, held, sender=agent)
    now = chain.provider.get_block(receipt.block_number).timestamp
    assert engine.ledgerOf(alice_identity).lastAcquiredAt == before + (now - before) * held // (
        2 * held
    )
    assert_refused(token, alice, bob, UNIT, 18)
