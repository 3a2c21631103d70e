"""LCY-19: the lifecycle domain's packed words (contracts/types/LifecycleWords.sol) round-trip.
The Python mirror (tests/contracts/words.py) is written from each word's documented layout (not
from the accessors): written in any order every field reads back and the unused bits are kept; one
setter changes its own bits only; `SettlementAssetWordLibrary.pack` writes what the setters would.
The words the registry and the settlement assets store, read raw from their slots, decode to what
their views say."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_fixtures import note_terms

# The fixture below is named `words`: import names from the mirror, never the module.
from words import (
    DELEGATION,
    INSTRUMENT_RECORD,
    INSTRUMENTS_SLOT,
    LIFECYCLE_WORD_HARNESS,
    SETTLEMENT_ASSET,
    SETTLEMENT_ASSETS_SLOT,
    WORDS,
    Word,
    mapping_slot,
)

# The harness's words by its functions' prefix (`instrumentWord`, ...).
MIRRORS = {w.prefix: w for w in WORDS if w.harness == LIFECYCLE_WORD_HARNESS}


@pytest.fixture(scope="module")
def words(project, deployer, lifecycle):
    # After the session's stack (`lifecycle`), so ape's isolation never rebases it.
    return deployer.deploy(project.LifecycleWordHarness)


def start_words(seed):
    rng = random.Random(seed)
    return [0, 2**256 - 1, rng.getrandbits(256)]


def readable(mirror: Word, word: int) -> int:
    """Only words whose flag and enum bytes hold values the getters accept (what setters write)."""
    for f in mirror.fields:
        if f.flag or f.top is not None:
            word = f.write(word, f.fit(f.raw(word)))
    return word


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(MIRRORS)),
    seed=st.integers(0, 2**32),
    values=st.lists(st.integers(0, 2**256 - 1), min_size=12, max_size=12),
)
def test_words__set_in_any_order__every_field_reads_back_unused_bits_kept(
    words, name, seed, values
):
    mirror = MIRRORS[name]
    rng = random.Random(seed)
    order = list(range(len(mirror.fields)))
    rng.shuffle(order)
    for start in start_words(seed):
        start = readable(mirror, start)
        fitted = [mirror.fields[i].fit(values[i]) for i in order]
        got = getattr(words, f"{name}SetMany")(start, order, fitted)
        expected = start
        for i, value in zip(order, fitted):
            expected = mirror.fields[i].write(expected, value)
        assert got == expected, name
        assert got & ~mirror.used_mask == start & ~mirror.used_mask  # unused bits kept
        read = list(getattr(words, f"{name}Get")(got))
        for i, field in enumerate(mirror.fields):
            # flags read 0 or 1 (`Field.read`), every other field as stored
            assert read[i] == field.read(expected), (name, field.name)


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_words__one_setter__changes_its_own_bits_only(words, name):
    mirror = MIRRORS[name]
    rng = random.Random(name)
    for start in start_words(7):
        start = readable(mirror, start)
        for i, field in enumerate(mirror.fields):
            all_ones = (1 << field.bits) - 1
            for value in (0, field.fit(all_ones), field.fit(rng.getrandbits(256))):
                got = getattr(words, f"{name}Set")(start, i, value)
                assert got == field.write(start, value), (name, i, value)


def test_settlement_asset_word__pack__writes_what_the_setters_would(words):
    names = [f.name for f in SETTLEMENT_ASSET.fields]
    for fields in ((4, 125_000, 9, 0, 18, 15), (0, 0, 0, 1, 0, 0), (2, 2_000, 255, 2_000, 36, 7)):
        expected = SETTLEMENT_ASSET.encode({"listed": 1, **dict(zip(names[1:], fields))})
        assert words.settlementAssetWordPack(*fields) == expected


def test_delegation_word__allows__operation_bits_and_expiry_exclusive(words):
    word = DELEGATION.encode({"operations": 0b101, "expiry": 1_000})
    assert words.delegationWordAllows(word, 0b100, 999)
    assert not words.delegationWordAllows(word, 0b100, 1_000)  # at the expiry: expired
    assert not words.delegationWordAllows(word, 0b010, 999)
    assert not words.delegationWordAllows(word, 0b110, 999)  # every bit asked for


# ------------------------------------------------------------------ the stored words


def decoded(mirror: Word, word: int) -> dict[str, int]:
    """Every field as stored (a flag's whole byte: the setters write 0 or 1)."""
    return {f.name: f.raw(word) for f in mirror.fields}


def test_stored_words__registry_and_settlement_assets__decode_to_their_views(
    lifecycle, issuer, guardian, governor, chain
):
    registry, assets = lifecycle.registry, lifecycle.assets
    terms = note_terms(lifecycle, chain.pending_timestamp)
    registry.register(terms.as_tuple(), sender=issuer)
    registry.activate(1, sender=issuer)
    registry.setNavBounds(1, 321, 4_321, sender=governor)
    strike = registry.strikeNav(1, sender=issuer)
    registry.guardianSuspend(1, sender=guardian)
    base = mapping_slot(1, INSTRUMENTS_SLOT)
    raw = [
        int.from_bytes(chain.provider.get_storage(registry.address, base + k), "big")
        for k in range(len(INSTRUMENT_RECORD))
    ]
    state, nav, stored_terms, ids = (decoded(m, w) for m, w in zip(INSTRUMENT_RECORD, raw))
    view, on_chain_terms = registry.stateOf(1), registry.termsOf(1)
    assert state == {
        "issuer": int(issuer.address, 16),
        "status": view.status,
        "guardianHold": 1,
        "maturityDate": on_chain_terms.maturityDate,
        "calledAt": 0,
    }
    assert nav == {
        "shareToken": int(terms.share_token, 16),
        "maxNavMoveBps": 321,
        "maxNavAge": 4_321,
        "lastStrikeAt": strike.timestamp,
    }
    coupon, call = on_chain_terms.coupon, on_chain_terms.call
    assert stored_terms == {
        "kind": on_chain_terms.kind,
        "fixedRateBps": coupon.fixedRateBps,
        "floatingIndex": coupon.floatingIndex,
        "spreadBps": coupon.spreadBps % 2**16,
        "frequency": coupon.frequency,
        "dayCount": coupon.dayCount,
        "roll": coupon.roll,
        "recordDateOffsetDays": coupon.recordDateOffsetDays,
        "callable": int(call.callable),
        "callPriceBps": call.callPriceBps,
        "firstCallDate": call.firstCallDate,
        "issueDate": on_chain_terms.issueDate,
    }
    assert ids == {
        "isin": int.from_bytes(terms.isin.encode(), "big"),
        "cusip": int.from_bytes(terms.cusip.encode(), "big"),
        "currency": int.from_bytes(b"USD", "big"),
    }
    for token in lifecycle.tokens.values():
        slot = mapping_slot(int(token.address, 16), SETTLEMENT_ASSETS_SLOT)
        word = decoded(
            SETTLEMENT_ASSET,
            int.from_bytes(chain.provider.get_storage(assets.address, slot), "big"),
        )
        config, decimals = assets.configOf(token)
        assert word["listed"] == 1 and word["decimals"] == decimals
        assert [word[k] for k in ("assetType", "riskWeightBps", "rank", "depegThresholdBps")] == [
            int(v) for v in config
        ]
        assert assets.assets()[word["index"]] == token.address
