"""FND-15: the words the compliance engine stores are the layouts its value types describe. Each raw
slot (rules, totals, a jurisdiction, an identity's holding), read with `get_storage` and decoded by
the Python mirror (tests/contracts/words.py), says what the engine's views say, after every step of
a scenario that moves every field: governance settings, a mint, a new retail holder, a leaver on the
next day (rolled windows), a burn."""

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
from words import (
    ENGINE_HOLDINGS_SLOT,
    ENGINE_JURISDICTIONS_SLOT,
    ENGINE_RULES_SLOT,
    ENGINE_TOTALS_SLOT,
    HOLDING,
    JURISDICTION,
    RULES,
    TOTALS,
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
        if (
            h["windowDay"] == today % 2**16
        ):  # not rolled by the view: the stored totals are the window's
            assert (
                packed_total(h["dayCurrent"]) + packed_total(h["dayPrevious"])
                == ledger.dailyWindowSent
            )
            assert (
                packed_total(h["monthCurrent"]) + packed_total(h["monthPrevious"])
                == ledger.monthlyWindowSent
            )


def test_engine_words__scenario_moving_every_field__raw_slots_decode_to_the_views(
    stack, onboard, investors, accounts, token, engine, governor, agent, chain
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
    sent = holding_of(chain, engine, identities[0])
    assert (
        sent["windowDay"],
        packed_total(sent["dayCurrent"]),
        packed_total(sent["monthCurrent"]),
    ) == (start // DAY, 10 * UNIT, 10 * UNIT)
    assert_stored_words_are_the_views(chain, engine, identities, route_blocked_from={US})

    at(chain, start + DAY)
    token.transfer(
        carol, 990 * UNIT, sender=alice
    )  # alice leaves, carol joins, the day window rolls
    rolled = holding_of(chain, engine, identities[0])
    assert (
        rolled["windowDay"],
        packed_total(rolled["dayPrevious"]),
        packed_total(rolled["dayCurrent"]),
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
