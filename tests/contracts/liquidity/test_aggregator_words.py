"""FND-15: the words the LiquidityAggregator stores are the layouts its value types describe
(`contracts/types/AggregatorWords.sol`). Its settings word and every listed venue's word, read raw
with `get_storage` and decoded by the Python mirror (tests/contracts/words.py), say what its views
say (`oracle`, `maxSlippageCapBps`, `revealWindow`, `paused`, `adapterOf` (kept beside the word),
`isVenuePaused`) and hold the adapter's native kind and the kind's key (the adapter, or a Uniswap
pool's token key: SEC-141), after new settings, a venue's own pause, the global pause and its
lifting (which keeps the venue's own), and a venue delisted and listed again."""

from isolation import isolated
from keepers.liquidity.artifacts import container
from words import (
    AGGREGATOR_ADAPTERS_SLOT,
    AGGREGATOR_SETTINGS_SLOT,
    AGGREGATOR_VENUES_SLOT,
    GLOBAL_PAUSE,
    SETTINGS,
    VENUE,
    VENUE_PAUSE,
    mapping_slot,
    pair_key,
    stored_word,
)

# IVenueAdapter.NativeKind of each adapter kind the deployment lists.
NATIVE_KIND = {"rfq": 0, "uniswap_v2": 1, "uniswap_v3": 2, "nav": 3}


def venue_words(chain, agg) -> dict[str, dict[str, int]]:
    return {
        venue: VENUE.decode(stored_word(chain, agg, mapping_slot(venue, AGGREGATOR_VENUES_SLOT)))
        for venue in agg.venues()
    }


def assert_stored_words_are_the_views(chain, liq):
    agg = liq.aggregator
    settings = SETTINGS.decode(stored_word(chain, agg, AGGREGATOR_SETTINGS_SLOT))
    assert (
        f"0x{settings['oracle']:040x}",
        settings["maxSlippageCapBps"],
        settings["revealWindow"],
        bool(settings["paused"]),
    ) == (agg.oracle().lower(), agg.maxSlippageCapBps(), agg.revealWindow(), agg.paused())
    kinds = {
        adapter.lower(): NATIVE_KIND[kind] for kind, adapter in liq.deployment.adapters.items()
    }
    words = venue_words(chain, agg)
    assert words, "no venue listed"
    for venue, word in words.items():
        adapter = f"0x{stored_word(chain, agg, mapping_slot(venue, AGGREGATOR_ADAPTERS_SLOT)):040x}"
        assert (adapter, word["pauses"] != 0) == (
            agg.adapterOf(venue).lower(),
            agg.isVenuePaused(venue),
        )
        assert word["kind"] == kinds[adapter]
        if word["kind"] in (NATIVE_KIND["uniswap_v2"], NATIVE_KIND["uniswap_v3"]):
            pool = container("UniswapV2Pair").at(venue)  # token0() / token1(): V3 pools alike
            assert word["key"] == pair_key(pool.token0(), pool.token1())
        else:
            assert word["key"] == int(adapter, 16)
        # The global pause bit is in every listed venue exactly while the aggregator is paused.
        assert bool(word["pauses"] & GLOBAL_PAUSE) == agg.paused()
    return words


def test_aggregator_words__settings_pauses_relisting__raw_words_decode_to_the_views(
    liquidity, chain, guardian, governor, deployer, accounts
):
    liq = liquidity
    agg = liq.aggregator
    incident = agg.venues()[1]
    with isolated(chain):
        assert_stored_words_are_the_views(chain, liq)
        agg.setOracle(accounts[19], 10_000, sender=governor)
        agg.setRevealWindow(7_200, sender=governor)
        agg.pauseVenue(incident, sender=guardian)
        words = assert_stored_words_are_the_views(chain, liq)
        assert words[incident]["pauses"] == VENUE_PAUSE
        agg.pause(sender=guardian)
        words = assert_stored_words_are_the_views(chain, liq)
        assert words[incident]["pauses"] == VENUE_PAUSE | GLOBAL_PAUSE
        # Delisted then listed again while paused: the venue's own pause kept (SEC-56), the
        # global bit set again.
        adapter = agg.adapterOf(incident)
        agg.setVenue(incident, "0x" + "00" * 20, sender=deployer)
        assert VENUE.decode(
            stored_word(chain, agg, mapping_slot(incident, AGGREGATOR_VENUES_SLOT))
        ) == {"key": 0, "pauses": VENUE_PAUSE, "kind": 0}
        agg.setVenue(incident, adapter, sender=deployer)
        words = assert_stored_words_are_the_views(chain, liq)
        assert words[incident]["pauses"] == VENUE_PAUSE | GLOBAL_PAUSE
        agg.unpause(sender=governor)
        words = assert_stored_words_are_the_views(chain, liq)
        assert words[incident]["pauses"] == VENUE_PAUSE
        assert all(w["pauses"] == 0 for v, w in words.items() if v != incident)
