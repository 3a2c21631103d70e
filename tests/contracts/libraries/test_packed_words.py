"""FND-15: every packed storage word has one typed description (a value type and its accessors), and
its round trips hold: every field written through its setter reads back through its getter, a
setter changes its own field's bits and no other, and the multi-field setters the contracts use
write what the single ones would. The accessors (WordHarness, and WordHarness2 for the risk
engine's, the token's and the aggregator's words) are checked against the Python mirror of the
documented layouts (tests/contracts/words.py)."""

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from words import (
    ACCOUNT,
    ASSET_PARAMS,
    ASSET_PARAMS_BITS,
    BOUNDS,
    CLASS_CAPS,
    CORE,
    HOLDING,
    INVESTOR,
    MAX_ASSETS,
    MODEL,
    PACKED_BPS,
    PROGRESS,
    RISK_CLASSES,
    RULES,
    TOTALS,
    VENUE,
    WALLET,
    WINDOW,
    WINDOW_SENT_BITS,
    WORD_HARNESS,
    WORD_HARNESS_2,
    WORDS,
    Word,
    element,
)

# The words whose accessors WordHarness and WordHarness2 expose by field index (the lifecycle
# harness's are tests/contracts/lifecycle/test_lifecycle_words.py's).
HARNESSED = tuple(w for w in WORDS if w.harness in {WORD_HARNESS, WORD_HARNESS_2})
WORD_IDS = [w.type_name for w in HARNESSED]


@pytest.fixture(scope="session")
def words(project, deployer):
    return deployer.deploy(project.WordHarness)


@pytest.fixture(scope="session")
def words2(project, deployer):
    return deployer.deploy(project.WordHarness2)


def accessors(words, words2, word: Word):
    harness = {WORD_HARNESS: words, WORD_HARNESS_2: words2}[word.harness]
    return (
        getattr(harness, f"{word.prefix}Get"),
        getattr(harness, f"{word.prefix}Set"),
        getattr(harness, f"{word.prefix}SetMany"),
    )


@st.composite
def raw_words(draw, word: Word):
    """Any bits of the word's width (all set, none, uniformly random bytes, or hypothesis'
    integers, which favour small ones), except that a bounded field (an enum) holds one of its
    values: the bits a contract could find in the slot."""
    raw = draw(
        st.one_of(
            st.sampled_from([0, word.max]),
            st.binary(min_size=word.bits // 8, max_size=word.bits // 8).map(
                lambda b: int.from_bytes(b, "big")
            ),
            st.integers(0, word.max),
        )
    )
    for f in word.fields:
        if f.top is not None:
            raw = f.write(raw, draw(st.integers(0, f.top)))
    return raw


@st.composite
def field_values(draw, word: Word):
    """A value for every field, one of them at its maximum (the others anywhere in their range)."""
    at_max = draw(st.sampled_from(word.fields))
    return {f.name: f.max if f is at_max else draw(st.integers(0, f.max)) for f in word.fields}


def test_mirror__every_word__fields_fit_and_do_not_overlap():
    for word in WORDS:
        word.check_layout()


@pytest.mark.parametrize("word", HARNESSED, ids=WORD_IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_setters__every_field_written_in_any_order__reads_back_and_other_bits_kept(
    words, words2, word, data
):
    get, _, set_many = accessors(words, words2, word)
    start = data.draw(raw_words(word))
    values = data.draw(field_values(word))
    order = data.draw(st.permutations(range(len(word.fields))))
    written = set_many(start, list(order), [values[word.fields[i].name] for i in order])
    assert written == word.encode(values, base=start)  # the unused bits are the start word's
    assert list(get(written)) == [values[f.name] for f in word.fields]


@pytest.mark.parametrize("word", HARNESSED, ids=WORD_IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_setter__one_field_at_any_value__changes_only_that_fields_bits(words, words2, word, data):
    get, set_one, _ = accessors(words, words2, word)
    start = data.draw(raw_words(word))
    index = data.draw(st.integers(0, len(word.fields) - 1))
    field = word.fields[index]
    value = data.draw(st.one_of(st.just(field.max), st.just(0), st.integers(0, field.max)))
    written = set_one(start, index, value)
    assert (written ^ start) & ~field.mask == 0
    assert field.read(written) == value
    before, after = list(get(start)), list(get(written))
    assert before == [f.read(start) for f in word.fields]  # the getters read the documented layout
    assert after == before[:index] + [value] + before[index + 1 :]


@settings(max_examples=40, deadline=None)
@given(start=raw_words(HOLDING), country=st.integers(0, 1023), non_accredited=st.booleans())
def test_holding_word__counted_setter__writes_what_the_single_ones_do(
    words, start, country, non_accredited
):
    assert words.holdingWordSetCounted(start, country, non_accredited) == HOLDING.encode(
        {"countedCountry": country, "countedNonAccredited": int(non_accredited)}, base=start
    )


SENT_MAX = 2**WINDOW_SENT_BITS - 1


@settings(max_examples=40, deadline=None)
@given(
    start=raw_words(WINDOW),
    day=st.integers(0, 2**40),
    current=st.lists(st.integers(0, SENT_MAX), min_size=2, max_size=2),
    previous=st.lists(st.integers(0, 2**23 - 1), min_size=2, max_size=2),
    sent=st.one_of(st.integers(0, 2**96 - 1), st.just(2**256 - 1)),
)
def test_window_word__pack_and_add_sent__day_in_32_bits_current_totals_exact_or_saturated(
    words, start, day, current, previous, sent
):
    """SEC-70, SEC-71: `pack` keeps the day in 32 bits (every day of a 40-bit timestamp) and
    `addSent` adds a send to both current totals exactly, saturating at 2**89 - 1 (above every
    limit) rather than wrapping."""
    packed = words.windowWordPack(day, *current, *previous)
    assert packed == WINDOW.encode(
        {
            "day": day % 2**32,
            "dayCurrent": current[0],
            "monthCurrent": current[1],
            "dayPrevious": previous[0],
            "monthPrevious": previous[1],
        }
    )
    fields = WINDOW.decode(start)
    assert words.windowWordAddSent(start, sent) == WINDOW.encode(
        {
            "dayCurrent": min(fields["dayCurrent"] + sent, SENT_MAX),
            "monthCurrent": min(fields["monthCurrent"] + sent, SENT_MAX),
        },
        base=start,
    )


@settings(max_examples=40, deadline=None)
@given(
    start=raw_words(TOTALS),
    holders=st.integers(0, 2**32 - 1),
    retail=st.integers(0, 2**32 - 1),
    supply=st.integers(0, 2**96 - 1),
    rules=raw_words(RULES),
)
def test_totals_and_rules_words__counts_setter_and_window_flag__match_the_fields(
    words, start, holders, retail, supply, rules
):
    assert words.totalsWordSetCounts(start, holders, retail, supply) == TOTALS.encode(
        {"totalHolders": holders, "totalNonAccredited": retail, "supply": supply}, base=start
    )
    limits = RULES.decode(rules)
    assert words.rulesWordHasWindows(rules) == (
        limits["dailyLimit"] != 0 or limits["monthlyLimit"] != 0
    )


@settings(max_examples=40, deadline=None)
@given(
    values=field_values(WALLET),
    verified=st.booleans(),
    frozen_byte=st.integers(0, 255),
    profile=st.integers(0, 2**184 - 1),
    frozen=st.booleans(),
)
def test_wallet_and_investor_words__packing__same_profile_bits_and_flags(
    words, values, verified, frozen_byte, profile, frozen
):
    wallet = words.walletWordPack(
        f"0x{values['identity']:040x}",
        values["country"],
        values["investorClass"],
        values["validUntil"],
        values["claimsEpoch"],
        bool(values["frozen"]),
    )
    assert wallet == WALLET.encode(values)
    # A stored frozen byte reads as frozen whatever its non-zero value.
    stored = (wallet & ~WALLET.field("frozen").mask) | frozen_byte << WALLET.field("frozen").offset
    investor = words.walletWordToInvestorWord(stored, verified)
    assert investor == INVESTOR.encode(
        {
            "identity": values["identity"],
            "country": values["country"],
            "investorClass": values["investorClass"],
            "verified": int(verified),
            "frozen": int(frozen_byte != 0),
        }
    )
    assert words.investorWordFromProfile(profile, verified, frozen) == INVESTOR.encode(
        {"verified": int(verified), "frozen": int(frozen)}, base=profile
    )


@settings(max_examples=40, deadline=None)
@given(
    bounds=raw_words(BOUNDS),
    asset=st.integers(0, 7),
    low=st.integers(0, 2**16 - 1),
    high=st.integers(0, 2**16 - 1),
    progress=raw_words(PROGRESS),
    values=st.lists(st.integers(0, 2**16 - 1), max_size=MAX_ASSETS),
    extra=st.integers(0, MAX_ASSETS),
)
def test_rebalancer_words__bounds_pair_decimals_reset_and_targets_list__match_the_fields(
    words, bounds, asset, low, high, progress, values, extra
):
    assert words.boundsWordSetBounds(bounds, asset, low, high) == BOUNDS.encode(
        {f"min{asset}": low, f"max{asset}": high}, base=bounds
    )
    assert words.progressWordClearDecimals(progress) == PROGRESS.encode(
        {f"decimals{i}": 0 for i in range(MAX_ASSETS)}, base=progress
    )
    packed = words.packedBpsPack(values)
    assert packed == PACKED_BPS.encode({f"bps{i}": v for i, v in enumerate(values)})
    count = min(len(values) + extra, MAX_ASSETS)  # past the packed values: zeros
    assert list(words.packedBpsUnpack(packed, count)) == (values + [0] * MAX_ASSETS)[:count]


def test_packed_bps__more_values_than_a_word_holds__reverts_with_count_and_capacity(words):
    with ape.reverts(words.TooManyValues, count=MAX_ASSETS + 1, capacity=MAX_ASSETS):
        words.packedBpsPack([1] * (MAX_ASSETS + 1))
    with ape.reverts(words.TooManyValues, count=MAX_ASSETS + 1, capacity=MAX_ASSETS):
        words.packedBpsUnpack(0, MAX_ASSETS + 1)


@settings(max_examples=40, deadline=None)
@given(
    updated=st.integers(0, 2**64 - 1),
    times=st.lists(st.integers(0, 2**40 - 1), min_size=3, max_size=3),
    es=st.integers(0, 2**32 - 1),
    scenarios=st.integers(0, 255),
    caps=st.lists(st.integers(0, 2**16 - 1), min_size=RISK_CLASSES, max_size=RISK_CLASSES),
    params=st.lists(
        st.tuples(
            st.integers(0, 2**16 - 1), st.integers(0, 255), st.booleans(), st.integers(0, 63)
        ),
        min_size=1,
        max_size=MAX_ASSETS,
    ),
    index=st.integers(0, MAX_ASSETS - 1),
)
def test_risk_words__pack_unpack_and_packed_array_element__match_the_fields(
    words2, updated, times, es, scenarios, caps, params, index
):
    model = dict(zip(("updateId", "asOf", "publishedAt", "syncedAt"), (updated, *times)))
    assert words2.modelWordPack(updated, *times, es, scenarios) == MODEL.encode(
        {**model, "esMultiplierPpm": es, "scenarioCount": scenarios}
    )
    packed_caps = words2.classCapsWordPack(caps)
    assert packed_caps == CLASS_CAPS.encode({f"cap{c}": cap for c, cap in enumerate(caps)})
    assert list(words2.classCapsWordUnpack(packed_caps)) == caps
    elements = [
        ASSET_PARAMS.encode(
            {"maxWeightBps": w, "assetClass": c, "liquid": int(liquid), "decimals": d}
        )
        for w, c, liquid, d in params
    ]
    assert [words2.assetParamsPack(w, c, liquid, d) for w, c, liquid, d in params] == elements
    # The elements laid out eight to a word, as Solidity packs `AssetParams[16]` in storage.
    per_word = 256 // ASSET_PARAMS_BITS
    packed = [0] * (MAX_ASSETS // per_word)
    for i, e in enumerate(elements):
        packed[i // per_word] |= e << (i % per_word * ASSET_PARAMS_BITS)
    assert words2.assetParamsAt(packed, index) == element(
        packed[index // per_word], index % per_word, ASSET_PARAMS_BITS
    )


@settings(max_examples=40, deadline=None)
@given(
    account=raw_words(ACCOUNT),
    amount=st.integers(0, 2**128 - 1),
    compliance=st.integers(0, 2**160 - 1),
    paused=st.booleans(),
    key=st.integers(0, 2**240 - 1),
    pauses=st.integers(0, 255),
    kind=st.integers(0, 3),
)
def test_token_and_venue_words__credit_debit_and_packing__match_the_fields(
    words2, account, amount, compliance, paused, key, pauses, kind
):
    balance = ACCOUNT.field("balance").read(account)
    credit = min(amount, 2**128 - 1 - balance)  # `credit`'s precondition: no carry
    debit = min(amount, balance)  # `debit`'s: no borrow
    assert words2.accountWordCredit(account, credit) == ACCOUNT.encode(
        {"balance": balance + credit}, base=account
    )
    assert words2.accountWordDebit(account, debit) == ACCOUNT.encode(
        {"balance": balance - debit}, base=account
    )
    assert words2.coreWordPack(f"0x{compliance:040x}", paused) == CORE.encode(
        {"compliance": compliance, "paused": int(paused)}
    )
    venue = words2.venueWordPack(key, pauses, kind)
    assert venue == VENUE.encode({"key": key, "pauses": pauses, "kind": kind})
    assert words2.venueWordPaused(venue) == (pauses != 0)  # either pause bit stops the venue
