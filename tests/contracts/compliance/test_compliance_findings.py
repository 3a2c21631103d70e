"""SEC-67, SEC-70, SEC-71: the red team's attacks on the compliance engine (a holder cap filled with
dust, limits that stop accumulating after 2149, window totals whose rounding adds up), each
performed through the deployed token, and what now holds."""

import ape
import pytest

from compliance_fixtures import (
    ACCREDITED,
    DE,
    GB,
    INSTITUTIONAL,
    UNIT,
    US,
    assert_allowed,
    assert_refused,
    compliance_module,
    limits,
    open_jurisdiction,
)
from fast_reverts import assert_reverts
from isolation import isolated
from keepers.compliance.deploy import deploy_registry

DAY = 86_400
TOTAL_HOLDER_CAP, BELOW_MIN_HOLDING, DAILY_LIMIT, MONTHLY_LIMIT = 13, 16, 19, 20
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def holders(onboard, investors, token, agent):
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, ACCREDITED)
    token.mint(alice, 1_000 * UNIT, sender=agent)
    return alice, bob, carol


def at(chain, timestamp):
    chain.pending_timestamp = timestamp
    chain.mine()


def identity(registry, wallet):
    return registry.identity(wallet)


# ==================================================================== SEC-67 dust and holder caps


def test_sec_67__holder_cap_and_dust__first_holding_minimum__dust_refused_issuer_allocates(
    holders, token, engine, governor, agent, onboard, accounts
):
    """Attack (red team, low): with a total holder cap of 3, a holder sent 1 wei to two onboarded
    wallets; they took the two free seats and the issuer's next allocation was refused (code 13).
    With a minimum first holding in the recipients' jurisdictions (`setMinFirstHolding`), an
    identity becomes a holder only by receiving at least it: a seat costs that much, never 1 wei."""
    alice, bob, carol = holders
    dave = accounts[9]
    onboard(carol, US, ACCREDITED)
    onboard(dave, GB, INSTITUTIONAL)
    engine.setLimits(limits(totalHolderCap=3), sender=governor)
    for country in (US, DE, GB):
        engine.setMinFirstHolding(country, 10 * UNIT, sender=governor)

    assert_refused(token, alice, bob, 1, BELOW_MIN_HOLDING)
    assert_refused(token, alice, carol, 1, BELOW_MIN_HOLDING)
    assert_refused(token, alice, carol, 10 * UNIT - 1, BELOW_MIN_HOLDING)
    assert engine.holderCounts()[0] == 1
    token.mint(dave, 500 * UNIT, sender=agent)  # the issuer's allocation takes a free seat
    # The rule is on becoming a holder: a holder receives any amount, and sells down to any
    # amount (no `minHolding` set).
    assert_allowed(token, alice, dave, 1)
    assert_allowed(token, dave, alice, 500 * UNIT - 1)
    assert_allowed(token, alice, bob, 10 * UNIT)
    assert engine.holderCounts()[0] == 3
    assert_refused(token, alice, carol, 10 * UNIT, TOTAL_HOLDER_CAP)


def test_sec_67__first_holding_minimum__mints_too__governor_only_exact_and_logged(
    holders, token, engine, governor, agent, onboard, accounts
):
    alice, bob, _ = holders
    receipt = engine.setMinFirstHolding(DE, 25 * UNIT, sender=governor)
    [log] = receipt.decode_logs(engine.MinFirstHoldingSet)
    assert (log.country, log.previous, log.next) == (DE, 0, 25 * UNIT)
    assert engine.minFirstHolding(DE) == 25 * UNIT and engine.minFirstHolding(US) == 0
    # Setting a jurisdiction's rules keeps its minimum, and the minimum keeps its rules.
    engine.setJurisdiction(DE, open_jurisdiction(holder_cap=7), sender=governor)
    assert engine.minFirstHolding(DE) == 25 * UNIT
    assert tuple(engine.jurisdiction(DE)[0]) == open_jurisdiction(holder_cap=7)
    assert engine.detectTransferRestriction(ZERO, bob, 25 * UNIT - 1) == BELOW_MIN_HOLDING
    with ape.reverts(token.TransferNotCompliant, to=bob, reasonCode=BELOW_MIN_HOLDING):
        token.mint(bob, 25 * UNIT - 1, sender=agent)
    token.mint(bob, 25 * UNIT, sender=agent)
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.setMinFirstHolding(DE, 0, sender=agent)
    with ape.reverts(engine.AmountNotRepresentable, amount=12_345_678_901):
        engine.setMinFirstHolding(DE, 12_345_678_901, sender=governor)
    with ape.reverts(engine.InvalidCountry, country=0):
        engine.setMinFirstHolding(0, 1, sender=governor)


# ==================================================================== SEC-69 vault shares


def test_sec_69__vault_share_engine_on_another_registry__refused_vault_and_engine_read_one(
    chain, risk_stack, project, deployer, governor, stack_deployment
):
    """Vault shares honour freezes through two reads: the share engine's registry (a frozen
    recipient or sender is unverified there) and the vault's own (a frozen redeemer or payee). An
    engine built on another registry was bound all the same, so a wallet frozen in the vault's
    registry could be judged verified by the engine's."""
    vault = risk_stack.vault
    other = deploy_registry(stack_deployment.scoped("QuanteraAccessManager"))
    engine = deployer.deploy(
        project.ComplianceEngine,
        risk_stack.manager,
        other,
        vault,
        compliance_module(stack_deployment),
    )
    with ape.reverts():
        vault.setShareCompliance(engine, sender=governor)
    assert_reverts(
        chain,
        vault.setShareCompliance,
        engine,
        sender=governor,
        error=(vault, "ShareRegistryMismatch"),
        engineRegistry=other.address,
        registry=risk_stack.registry.address,
    )


# ==================================================================== SEC-71 window totals


def test_sec_71__window_totals__one_wei_sends_consume_one_wei__limit_usable_to_the_last_wei(
    holders, token, engine, governor, agent, chain, registry
):
    """Attack (red team, low): the engine re-rounded the window total up after every send, so the
    error added up (1 part in 11,110 after 11 sends, against the documented 1 in 26,000) and a
    1-wei send on a 1,000,000-token total consumed 10 tokens of limit. The current buckets are now
    exact; a bucket is rounded (up, by less than 1 part in 26,000) once, when it becomes the
    previous one."""
    alice, bob, _ = holders
    limit = 2_000_000 * UNIT
    token.mint(alice, limit, sender=agent)
    start = (chain.pending_timestamp // DAY + 1) * DAY + 3_600
    at(chain, start)
    engine.setLimits(limits(dailyLimit=limit), sender=governor)
    sent = 1_000_000 * UNIT + 1
    token.transfer(bob, sent, sender=alice)
    for _ in range(11):
        token.transfer(bob, 1, sender=alice)
        sent += 1
    assert engine.ledgerOf(identity(registry, alice)).dailyWindowSent == sent
    assert_refused(token, alice, bob, limit - sent + 1, DAILY_LIMIT)
    assert_allowed(token, alice, bob, limit - sent)  # the limit, to the last wei
    assert engine.ledgerOf(identity(registry, alice)).dailyWindowSent == limit
    # The next day the bucket is the previous one, rounded up once: never understated, and over
    # by less than 1 part in 26,000 however many sends it holds.
    at(chain, start + DAY)
    token.transfer(bob, 0, sender=alice)
    counted = engine.ledgerOf(identity(registry, alice)).dailyWindowSent
    assert limit <= counted and (counted - limit) * 26_000 < limit


def test_sec_71__many_odd_sends_in_one_bucket__counted_exactly(
    holders, token, engine, governor, chain, registry
):
    """An identity's sends within a bucket add up exactly (no re-rounding per send)."""
    alice, bob, _ = holders
    engine.setLimits(limits(dailyLimit=1_000 * UNIT, monthlyLimit=1_000 * UNIT), sender=governor)
    amounts = [123_456_789_012_345_678, 987_654_321_098_765_432, 3, 10**17 + 7, 55_555_555_555]
    for amount in amounts:
        token.transfer(bob, amount, sender=alice)
    ledger = engine.ledgerOf(identity(registry, alice))
    assert ledger.dailyWindowSent == ledger.monthlyWindowSent == sum(amounts)


# ==================================================================== SEC-70 long horizon (last:
# these move the chain's clock far ahead and restore it)


@pytest.mark.parametrize(
    "day",
    [2**16 + 200, (2**40 - 1) // DAY - 100],
    ids=["year_2150", "year_36812"],
)
def test_sec_70__daily_and_monthly_limits__after_2149__still_accumulate(
    holders, token, engine, governor, chain, registry, day
):
    """Attack (red team, low): the window day was kept in 16 bits, so from 2149 (day 65,536) every
    send found the day changed and reset the windows: daily and monthly limits stopped
    accumulating. The day is now 32 bits (exact until year 11 million, past every 40-bit
    timestamp)."""
    alice, bob, _ = holders
    engine.setLimits(limits(dailyLimit=10 * UNIT, monthlyLimit=15 * UNIT), sender=governor)
    with isolated(chain):
        start = (day // 30 * 30 + 28) * DAY + 3_600  # two days before a 30-day block ends
        at(chain, start)
        assert_allowed(token, alice, bob, 6 * UNIT)
        assert_refused(token, alice, bob, 5 * UNIT, DAILY_LIMIT)
        assert_allowed(token, alice, bob, 4 * UNIT)
        assert engine.ledgerOf(identity(registry, alice)).dailyWindowSent == 10 * UNIT
        at(chain, start + 2 * DAY)  # the next day window, the next 30-day block
        assert_allowed(token, alice, bob, 5 * UNIT)
        assert_refused(token, alice, bob, 1, MONTHLY_LIMIT)
        ledger = engine.ledgerOf(identity(registry, alice))
        assert (ledger.dailyWindowSent, ledger.monthlyWindowSent) == (5 * UNIT, 15 * UNIT)
