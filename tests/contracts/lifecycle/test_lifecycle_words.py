"""LCY-19: the lifecycle domain's packed words (contracts/lifecycle/LifecycleWords.sol) round-trip.
The Python mirror below is written from each word's documented layout (not from the accessors):
written in any order every field reads back and the unused bits are kept; one setter changes its
own bits only; `SettlementAssetWordLibrary.pack` writes what the setters would. The words the
registry and the settlement assets store, read raw from their slots, decode to what their views
say."""

import random

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_fixtures import note_terms

# (name, bit width) from the lowest bit; None marks unused bits (kept by every setter).
LAYOUTS = {
    "instrumentWord": [
        ("issuer", 160),
        ("status", 8),
        ("guardianHold", 8),
        ("maturityDate", 40),
        ("calledAt", 40),
    ],
    "termsWord": [
        ("kind", 8),
        ("fixedRateBps", 16),
        ("floatingIndex", 16),
        ("spreadBps", 16),
        ("frequency", 8),
        ("dayCount", 8),
        ("roll", 8),
        ("recordDateOffsetDays", 16),
        ("callable", 8),
        ("callPriceBps", 16),
        ("firstCallDate", 40),
        ("issueDate", 40),
        (None, 56),
    ],
    "identifierWord": [("isin", 96), ("cusip", 72), ("currency", 24), (None, 64)],
    "navWord": [
        ("shareToken", 160),
        ("maxNavMoveBps", 16),
        ("maxNavAge", 32),
        ("lastStrikeAt", 40),
        (None, 8),
    ],
    "delegationWord": [("operations", 16), ("expiry", 40), (None, 200)],
    "settlementAssetWord": [
        ("listed", 8),
        ("assetType", 8),
        ("riskWeightBps", 32),
        ("rank", 8),
        ("depegThresholdBps", 16),
        ("decimals", 8),
        ("index", 8),
        (None, 168),
    ],
}
# Fields whose getter reads a flag (0/1 from a non-zero byte) or an enum (a bounded byte).
FLAGS = {"guardianHold", "callable", "listed"}
ENUM_SIZES = {"status": 6, "kind": 4, "dayCount": 3, "roll": 4, "assetType": 5}


class Mirror:
    """A word layout: field offsets and masks computed from the widths."""

    def __init__(self, layout):
        self.fields, offset = [], 0
        for name, width in layout:
            if name is not None:
                self.fields.append((name, offset, (1 << width) - 1))
            offset += width
        assert offset <= 256
        self.used = sum(mask << off for _, off, mask in self.fields)

    def get(self, word, i):
        _, offset, mask = self.fields[i]
        return (word >> offset) & mask

    def set(self, word, i, value):
        _, offset, mask = self.fields[i]
        return (word & ~(mask << offset)) | ((value & mask) << offset)

    def fit(self, i, value):
        """A value the field's setter takes (flags 0/1, enums within their range)."""
        name, _, mask = self.fields[i]
        if name in FLAGS:
            return value & 1
        if name in ENUM_SIZES:
            return value % ENUM_SIZES[name]
        return value & mask


MIRRORS = {name: Mirror(layout) for name, layout in LAYOUTS.items()}


@pytest.fixture(scope="module")
def words(project, deployer, lifecycle):
    # After the session's stack (`lifecycle`), so ape's isolation never rebases it.
    return deployer.deploy(project.LifecycleWordHarness)


def start_words(seed):
    rng = random.Random(seed)
    return [0, 2**256 - 1, rng.getrandbits(256)]


def readable(mirror, word):
    """Only words whose flag and enum bytes hold values the getters accept (what setters write)."""
    for i, (name, _, _) in enumerate(mirror.fields):
        if name in ENUM_SIZES or name in FLAGS:
            word = mirror.set(word, i, mirror.fit(i, mirror.get(word, i)))
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
        fitted = [mirror.fit(i, values[i]) for i in order]
        got = getattr(words, f"{name}SetMany")(start, order, fitted)
        expected = start
        for i, value in zip(order, fitted):
            expected = mirror.set(expected, i, value)
        assert got == expected, name
        assert got & ~mirror.used == start & ~mirror.used  # unused bits kept
        read = list(getattr(words, f"{name}Get")(got))
        for i in range(len(mirror.fields)):
            field = mirror.fields[i][0]
            want = mirror.get(expected, i)
            assert read[i] == (int(want != 0) if field in FLAGS else want), (name, field)


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_words__one_setter__changes_its_own_bits_only(words, name):
    mirror = MIRRORS[name]
    rng = random.Random(name)
    for start in start_words(7):
        start = readable(mirror, start)
        for i, (_, _, mask) in enumerate(mirror.fields):
            for value in (0, mirror.fit(i, mask), mirror.fit(i, rng.getrandbits(256))):
                got = getattr(words, f"{name}Set")(start, i, value)
                assert got == mirror.set(start, i, value), (name, i, value)


def test_settlement_asset_word__pack__writes_what_the_setters_would(words):
    mirror = MIRRORS["settlementAssetWord"]
    for fields in ((4, 125_000, 9, 0, 18, 15), (0, 0, 0, 1, 0, 0), (2, 2_000, 255, 2_000, 36, 7)):
        expected = mirror.set(0, 0, 1)
        for i, value in enumerate(fields, start=1):
            expected = mirror.set(expected, i, value)
        assert words.settlementAssetWordPack(*fields) == expected


def test_delegation_word__allows__operation_bits_and_expiry_exclusive(words):
    mirror = MIRRORS["delegationWord"]
    word = mirror.set(mirror.set(0, 0, 0b101), 1, 1_000)
    assert words.delegationWordAllows(word, 0b100, 999)
    assert not words.delegationWordAllows(word, 0b100, 1_000)  # at the expiry: expired
    assert not words.delegationWordAllows(word, 0b010, 999)
    assert not words.delegationWordAllows(word, 0b110, 999)  # every bit asked for


# ------------------------------------------------------------------ the stored words

# Storage slots (AccessManaged's authority and schedule flag share slot 0): the registry's
# `_instruments` mapping is slot 2, the settlement assets' `_assets` slot 1.
INSTRUMENTS_SLOT, ASSETS_SLOT = 2, 1


def mapping_slot(key: int, slot: int) -> int:
    return int.from_bytes(keccak(key.to_bytes(32, "big") + slot.to_bytes(32, "big")), "big")


def decoded(name, word):
    mirror = MIRRORS[name]
    return {field: mirror.get(word, i) for i, (field, _, _) in enumerate(mirror.fields)}


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
        for k in range(4)
    ]
    state, nav, stored_terms, ids = (
        decoded(n, w)
        for n, w in zip(("instrumentWord", "navWord", "termsWord", "identifierWord"), raw)
    )
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
        slot = mapping_slot(int(token.address, 16), ASSETS_SLOT)
        word = decoded(
            "settlementAssetWord",
            int.from_bytes(chain.provider.get_storage(assets.address, slot), "big"),
        )
        config, decimals = assets.configOf(token)
        assert word["listed"] == 1 and word["decimals"] == decimals
        assert [word[k] for k in ("assetType", "riskWeightBps", "rank", "depegThresholdBps")] == [
            int(v) for v in config
        ]
        assert assets.assets()[word["index"]] == token.address
