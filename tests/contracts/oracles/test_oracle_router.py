"""ORC-1, ORC-2: the oracle layer never returns a price silently when a feed fails."""

import ape
import pytest

from governed import behind_proxy

NONE = "0x" + "00" * 20
(
    OK,
    PRIMARY_ONLY,
    FALLBACK,
    NO_FEED,
    REVERTED,
    NON_POSITIVE,
    STALE,
    FUTURE,
    OUT_OF_BOUNDS,
    DEVIATION,
) = range(10)
ASSET = "0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1"  # checksummed: reverts compare strings


@pytest.fixture
def oracle(project, deployer, stack, governor):
    from compliance_fixtures import wire

    manager = stack[0]
    router = behind_proxy(deployer, project.OracleRouter, authority=manager)
    wire(manager, router, "OracleRouter", deployer)
    return router


@pytest.fixture
def feeds(project, deployer):
    primary = deployer.deploy(project.SettableFeed, 8, 100 * 10**8)
    secondary = deployer.deploy(project.SettableFeed, 18, 100 * 10**18)
    return primary, secondary


def config(primary, secondary=NONE, deviation=0, lo=10**18, hi=10**21, heartbeat=3_600):
    return (primary, heartbeat, secondary, heartbeat if secondary != NONE else 0, deviation, lo, hi)


def test_price_of__valid_feed__normalised_to_18_decimals(oracle, feeds, governor, chain):
    primary, _ = feeds
    oracle.setFeed(ASSET, config(primary), sender=governor)
    status, price, updated_at = oracle.priceOf(ASSET)
    assert (status, price) == (OK, 100 * 10**18) and updated_at == primary.updatedAt()
    assert oracle.price(ASSET) == 100 * 10**18


@pytest.mark.parametrize(
    "case, expected",
    [
        ("stale", STALE),
        ("negative", NON_POSITIVE),
        ("zero", NON_POSITIVE),
        ("future", FUTURE),
        ("reverts", REVERTED),
        ("too_high", OUT_OF_BOUNDS),
        ("too_low", OUT_OF_BOUNDS),
    ],
)
def test_price_of__failing_primary__status_and_no_price(
    oracle, feeds, governor, chain, case, expected
):
    primary, _ = feeds
    oracle.setFeed(ASSET, config(primary), sender=governor)
    now = chain.pending_timestamp
    answer, at, reverts = {
        "stale": (100 * 10**8, now - 3_601 - 10, False),
        "negative": (-1, now, False),
        "zero": (0, now, False),
        "future": (100 * 10**8, now + 600, False),
        "reverts": (100 * 10**8, now, True),
        "too_high": (20_000 * 10**8, now, False),
        "too_low": (10**7, now, False),
    }[case]
    primary.set(answer, at, reverts, sender=governor)
    status, price, updated_at = oracle.priceOf(ASSET)
    assert (status, price, updated_at) == (expected, 0, 0)
    with ape.reverts(oracle.PriceUnavailable, asset=ASSET, status=expected):
        oracle.price(ASSET)


def test_price_of__no_feed__no_price(oracle):
    assert oracle.priceOf(ASSET)[:2] == (NO_FEED, 0)


def test_price_of__secondary_within_deviation__ok_beyond__deviation(oracle, feeds, governor, chain):
    primary, secondary = feeds
    oracle.setFeed(ASSET, config(primary, secondary, deviation=100), sender=governor)
    secondary.set(1005 * 10**17, chain.pending_timestamp, False, sender=governor)  # +0.5%
    assert oracle.priceOf(ASSET)[:2] == (OK, 100 * 10**18)
    secondary.set(102 * 10**18, chain.pending_timestamp, False, sender=governor)  # +2%
    assert oracle.priceOf(ASSET)[:2] == (DEVIATION, 0)


def test_price_of__primary_down__fallback_to_secondary_with_its_status(
    oracle, feeds, governor, chain
):
    primary, secondary = feeds
    oracle.setFeed(ASSET, config(primary, secondary, deviation=100), sender=governor)
    primary.set(100 * 10**8, chain.pending_timestamp, True, sender=governor)
    secondary.set(99 * 10**18, chain.pending_timestamp, False, sender=governor)
    assert oracle.priceOf(ASSET)[:2] == (FALLBACK, 99 * 10**18)
    primary.set(100 * 10**8, chain.pending_timestamp, False, sender=governor)
    secondary.set(-5, chain.pending_timestamp, False, sender=governor)
    assert oracle.priceOf(ASSET)[:2] == (PRIMARY_ONLY, 100 * 10**18)


def test_set_feed__bad_config_or_caller__reverts_with_reason(oracle, feeds, governor, outsider):
    primary, _ = feeds
    with ape.reverts(oracle.InvalidFeedConfig, asset=ASSET, reason="zero heartbeat"):
        oracle.setFeed(ASSET, config(primary, heartbeat=0), sender=governor)
    with ape.reverts(oracle.InvalidFeedConfig, asset=ASSET, reason="feed has no code"):
        oracle.setFeed(ASSET, config(outsider.address), sender=governor)
    with ape.reverts(oracle.AccessManagedUnauthorized):
        oracle.setFeed(ASSET, config(primary), sender=outsider)


def test_set_feed__change__emits_previous_and_next(oracle, feeds, governor):
    primary, secondary = feeds
    oracle.setFeed(ASSET, config(primary), sender=governor)
    receipt = oracle.setFeed(ASSET, config(secondary), sender=governor)
    event = receipt.decode_logs(oracle.FeedSet)[0]
    assert (
        event.previous[0].lower() == primary.address.lower()
        and event.next[0].lower() == secondary.address.lower()
    )
    # The stored layout (two words for a one-feed read) gives the config back field by field.
    both = config(primary.address, secondary.address, deviation=150, lo=2 * 10**18, hi=3 * 10**20)
    oracle.setFeed(ASSET, both, sender=governor)
    assert tuple(oracle.feedOf(ASSET)) == both
    removed = oracle.removeFeed(ASSET, sender=governor).decode_logs(oracle.FeedRemoved)[0]
    lowered = [str(v).lower() for v in both]
    assert [str(v).lower() for v in removed.previous] == lowered
    assert tuple(oracle.feedOf(ASSET)) == (NONE, 0, NONE, 0, 0, 0, 0)


def test_reporter_feed__report__new_round_chainlink_shape_and_reporter_only(
    project, deployer, stack, reporter, outsider, chain
):
    from compliance_fixtures import wire
    from keepers.access.roles import ROLE_IDS

    manager = stack[0]
    manager.grantRole(ROLE_IDS["PRICE_REPORTER"], reporter, 0, sender=deployer)
    feed = deployer.deploy(project.ReporterPriceFeed, manager, 8, "QTB / USD")
    wire(manager, feed, "ReporterPriceFeed", deployer)
    receipt = feed.report(101 * 10**8, sender=reporter)
    round_id, answer, started, updated, answered = feed.latestRoundData()
    assert (round_id, answer, answered) == (1, 101 * 10**8, 1) and started == updated > 0
    assert receipt.decode_logs(feed.AnswerUpdated)[0].roundId == 1
    with ape.reverts(feed.AccessManagedUnauthorized):
        feed.report(1, sender=outsider)
    with ape.reverts(feed.InvalidAnswer, answer=0):
        feed.report(0, sender=reporter)
    with ape.reverts(feed.NoDataPresent, roundId=7):
        feed.getRoundData(7)


def test_sec_55__huge_primary_answer__status_and_fallback_instead_of_a_revert(
    oracle, feeds, governor, chain, project, deployer
):
    """SEC-55 (red team L4): an 8-decimal answer near 2**255 overflowed the normalisation to 18
    decimals after the feed call (outside the `try`): `priceOf` reverted instead of returning a
    status, so it never fell back to a healthy secondary feed; and a 36-decimal answer below
    1e18 normalised to 0 returned `(Ok, 0)` under a zero `minPrice`."""
    primary, secondary = feeds
    now = chain.pending_timestamp
    oracle.setFeed(ASSET, config(primary, secondary, deviation=100), sender=governor)
    secondary.set(99 * 10**18, now, False, sender=governor)
    primary.set(2**255 - 1, now, False, sender=governor)
    assert oracle.priceOf(ASSET)[:2] == (FALLBACK, 99 * 10**18)
    oracle.setFeed(ASSET, config(primary), sender=governor)
    assert oracle.priceOf(ASSET) == (OUT_OF_BOUNDS, 0, 0)
    with ape.reverts(oracle.PriceUnavailable, asset=ASSET, status=OUT_OF_BOUNDS):
        oracle.price(ASSET)
    fine = deployer.deploy(project.SettableFeed, 36, 5 * 10**17)  # 5e-19 USD: 0 at 18 decimals
    oracle.setFeed(ASSET, config(fine, lo=0), sender=governor)
    assert oracle.priceOf(ASSET) == (OUT_OF_BOUNDS, 0, 0)
    fine.set(3 * 10**36, chain.pending_timestamp, False, sender=governor)  # 3 USD: usable
    assert oracle.priceOf(ASSET)[:2] == (OK, 3 * 10**18)


NOT_FIRST_ROUND = 10


def test_sec_53__price_after__only_the_first_round_published_after_the_time(
    oracle, feeds, governor, chain
):
    """SEC-53's strike: `priceAfter(asset, time, round)` prices a deal at the first round of the
    primary feed published after it, and no other: one published at or before `time`, or one
    with a predecessor after `time`, is `NotFirstRound`; a missing round is `FeedReverted`."""
    primary, _ = feeds
    oracle.setFeed(ASSET, config(primary), sender=governor)
    first = int(primary.latestRound())
    dealt_at = chain.pending_timestamp + 100
    primary.set(101 * 10**8, dealt_at + 10, False, sender=governor)
    primary.set(102 * 10**8, dealt_at + 20, False, sender=governor)
    chain.pending_timestamp = dealt_at + 30
    chain.mine(1)
    assert oracle.priceAfter(ASSET, dealt_at, first + 1)[:2] == (OK, 101 * 10**18)
    assert oracle.priceAfter(ASSET, dealt_at, first + 2)[:2] == (NOT_FIRST_ROUND, 0)
    assert oracle.priceAfter(ASSET, dealt_at, first)[:2] == (NOT_FIRST_ROUND, 0)
    assert oracle.priceAfter(ASSET, dealt_at, first + 9)[:2] == (REVERTED, 0)
    assert oracle.priceAfter(NONE, dealt_at, first + 1)[:2] == (NO_FEED, 0)
    # A phase's first round (an aggregator upgrade behind the proxy): no predecessor to compare.
    primary.startPhase(sender=governor)
    primary.set(103 * 10**8, dealt_at + 25, False, sender=governor)
    phase_first = int(primary.latestRound())
    assert phase_first == (2 << 64) | 1
    assert oracle.priceAfter(ASSET, dealt_at, phase_first)[:2] == (OK, 103 * 10**18)
    # Valued at those rounds: the quote asset at par, the other at its strike price.
    quote = "0xB1b1B1b1b1b1B1b1b1b1B1B1B1B1b1B1b1b1B1B1"
    with ape.reverts(oracle.LengthMismatch, assets=2, given=1):
        oracle.valueAfter([quote, ASSET], [1, 1], dealt_at, [0])
