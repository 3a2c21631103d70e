"""FND-15: the words the compliance engine stores are the layouts its value types describe. Each raw
slot (rules, totals, a jurisdiction, an identity's holding), read with `get_storage` and decoded by
the Python mirror (tests/contracts/words.py), says what the engine's views say, after every step of
a scenario that moves every field: governance settings, a mint, a new retail holder, a leaver on the
next day (rolled windows: an identity's windows word, SEC-70/71), a burn, a registry migration
(the registry slot and the rules' flag, SEC-65)."""

from compliance_fixtures import (
    ACCREDITED,
    DE,
    FR,
    INSTITUTIONAL,
    KP,
    QUALIFIED,
    RETAIL,
    UNIT,
    US,
)
from keepers.compliance.deploy import deploy_registry
from words import (
    ENGINE_HOLDINGS_SLOT,
    ENGINE_JURISDICTIONS_SLOT,
    ENGINE_REGISTRY_SLOT,
    ENGINE_RULES_SLOT,
    ENGINE_TOTALS_SLOT,
    ENGINE_WINDOWS_SLOT,
    HOLDING,
    JURISDICTION,
    RULES,
    TOTALS,
    WINDOW,
    mapping_slot,
    packed_amount,
    packed_total,
    stored_word,
)

DAY = 86_400
COUNTRIES = (US, DE, FR, KP)


def at(chain, timestamp):
    chain.pending_timestamp = timestamp
    chain.mine()


def holding_of(chain, engine, identity) -> dict[str, int]:
    return HOLDING.decode(stored_word(chain, engine, mapping_slot(identity, ENGINE_HOLDINGS_SLOT)))


def windows_of(chain, engine, identity) -> dict[str, int]:
    return WINDOW.decode(stored_word(chain, engine, mapping_slot(identity, ENGINE_WINDOWS_SLOT)))


def assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from=()):
    rules = RULES.decode(stored_word(chain, engine, ENGINE_RULES_SLOT))
    totals = TOTALS.decode(stored_word(chain, engine, ENGINE_TOTALS_SLOT))
    assert (
        packed_amount(rules["maxBalance"]),
        packed_amount(rules["minHolding"]),
        rules["maxBalanceBps"],
        rules["lockupAfterAcquisition"],
        packed_amount(rules["dailyLimit"]),
        packed_amount(rules["monthlyLimit"]),
        rules["transfersOpenAt"],
        totals["totalHolderCap"],
        totals["totalNonAccreditedCap"],
    ) == tuple(engine.limits())
    assert rules["moduleCount"] == len(engine.getModules())
    # The registry: the engine's construction one until its token migrates (then the stored one).
    stored_registry = f"0x{stored_word(chain, engine, ENGINE_REGISTRY_SLOT):040x}"
    assert bool(rules["registryMigrated"]) == (stored_registry != "0x" + "0" * 40)
    if rules["registryMigrated"]:
        assert stored_registry == engine.identityRegistry().lower()
    assert (totals["totalHolders"], totals["totalNonAccredited"], totals["supply"]) == tuple(
        engine.holderCounts()
    )
    for country in COUNTRIES:
        j = JURISDICTION.decode(
            stored_word(chain, engine, mapping_slot(country, ENGINE_JURISDICTIONS_SLOT))
        )
        config, holder_count, retail_count = engine.jurisdiction(country)
        assert (
            bool(j["allowed"]),
            j["minInvestorClass"],
            j["holderCap"],
            j["nonAccreditedCap"],
            j["inboundClosedUntil"],
            j["holderCount"],
            j["nonAccreditedCount"],
        ) == (*tuple(config), holder_count, retail_count)
        assert packed_amount(j["minFirstHolding"]) == engine.minFirstHolding(country)
        assert bool(j["hasRouteBlocks"]) == (country in route_blocked_from)
    today = chain.blocks.head.timestamp // DAY
    for identity in identities:
        h = holding_of(chain, engine, identity)
        ledger = engine.ledgerOf(identity)
        assert (
            h["balance"],
            h["lastAcquiredAt"],
            h["countedCountry"],
            bool(h["countedNonAccredited"]),
        ) == (
            ledger.balance,
            ledger.lastAcquiredAt,
            ledger.countedCountry,
            ledger.countedNonAccredited,
        )
        w = windows_of(chain, engine, identity)
        if w["day"] == today:  # not rolled by the view: the stored totals are the window's
            assert w["dayCurrent"] + packed_total(w["dayPrevious"]) == ledger.dailyWindowSent
            assert w["monthCurrent"] + packed_total(w["monthPrevious"]) == ledger.monthlyWindowSent


def test_engine_words__scenario_moving_every_field__raw_slots_decode_to_the_views(
    stack, stack_deployment, onboard, investors, accounts, token, engine, governor, agent, chain
):
    _, registry, _, _ = stack
    alice, bob, carol = investors
    start = (
        chain.pending_timestamp // DAY + 1
    ) * DAY + 3_600  # every step below on a known UTC day
    at(chain, start)
    engine.setJurisdiction(US, (True, RETAIL, 2_000, 500, 0), sender=governor)
    engine.setJurisdiction(DE, (True, RETAIL, 1_234, 77, 0), sender=governor)
    engine.setJurisdiction(FR, (True, QUALIFIED, 9, 8, 2**40 - 2), sender=governor)
    engine.setRoute(US, KP, True, sender=governor)
    engine.setMinFirstHolding(DE, 5 * UNIT, sender=governor)
    # maxBalance, minHolding, maxBalanceBps, lockup, daily, monthly, transfersOpenAt, totalCap,
    # totalRetailCap
    engine.setLimits(
        (10**9 * UNIT, UNIT, 10_000, 0, 10**7 * UNIT, 10**8 * UNIT, 0, 10_000, 5_000),
        sender=governor,
    )
    identities = [
        onboard(alice, US, ACCREDITED),
        onboard(bob, DE, RETAIL),
        onboard(carol, US, INSTITUTIONAL),
    ]
    assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from={US})

    token.mint(alice, 1_000 * UNIT, sender=agent)
    assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from={US})

    token.transfer(bob, 10 * UNIT, sender=alice)  # a new retail holder in DE; alice's windows open
    sent = windows_of(chain, engine, identities[0])
    assert (sent["day"], sent["dayCurrent"], sent["monthCurrent"]) == (
        start // DAY,
        10 * UNIT,
        10 * UNIT,
    )
    assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from={US})

    at(chain, start + DAY)
    token.transfer(
        carol, 990 * UNIT, sender=alice
    )  # alice leaves, carol joins, the day window rolls
    rolled = windows_of(chain, engine, identities[0])
    assert (
        rolled["day"],
        packed_total(rolled["dayPrevious"]),
        rolled["dayCurrent"],
    ) == (start // DAY + 1, 10 * UNIT, 990 * UNIT)
    assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from={US})

    token.burn(bob, 10 * UNIT, sender=agent)  # the retail holder leaves through `destroyed`
    engine.setRoute(US, KP, False, sender=governor)
    engine.setLimits(
        (
            123_456_789 * UNIT,
            2 * UNIT,
            9_999,
            3_600,
            7 * 10**6 * UNIT,
            9 * 10**7 * UNIT,
            start + 30 * DAY,
            4_321,
            1_234,
        ),
        sender=governor,
    )
    assert_stored_words_are_the_views(chain, engine, identities)
    assert engine.holderCounts() == (1, 0, 990 * UNIT)
    assert registry.investorOf(carol).identity.lower() == identities[2].lower()

    migrated = deploy_registry(stack_deployment.scoped("QuanteraAccessManager"))
    token.setIdentityRegistry(migrated, sender=governor)
    assert_stored_words_are_the_views(chain, engine, identities)
