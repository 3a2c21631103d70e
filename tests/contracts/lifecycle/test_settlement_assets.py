"""LCY-16 to LCY-18: settlement assets — typed listings with a Basel-floored risk weight and bounded
thresholds in a bounded list (GOVERNOR only); depeg detection from the router's price; conversion
at oracle prices rounding down, refused for a depegged or unpriced asset; the preferred payout."""

from fractions import Fraction

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import RISK_WEIGHT_FLOOR_BPS, SettlementAssetType
from keepers.risk import feed_config
from lifecycle_fixtures import SETTLEMENT

CBDC, RESERVE, DEPOSIT, STABLE, CRYPTO = (
    SettlementAssetType.WHOLESALE_CBDC,
    SettlementAssetType.RESERVE_BACKED,
    SettlementAssetType.TOKENIZED_DEPOSIT,
    SettlementAssetType.STABLECOIN,
    SettlementAssetType.CRYPTO,
)
STALE, NO_FEED = 6, 3  # PriceStatus
DECIMALS = {"WCBDC": 6, "TDEP": 18, "USDC": 6, "QETH": 18}
ZERO = "0x" + "00" * 20


def report(stack, symbol, price, reporter):
    return stack.feeds[symbol].report(stack.answer(price), sender=reporter)


def price18(stack, price: float) -> int:
    return stack.answer(price) * 10 ** (18 - FEED_DECIMALS)


# ------------------------------------------------------------------ listing (LCY-16)


def test_listing__fixture_assets__typed_weighted_ranked_as_listed(lifecycle):
    assets = lifecycle.assets
    assert sorted(assets.assets()) == sorted(t.address for t in lifecycle.tokens.values())
    for symbol, (_, config, _) in SETTLEMENT.items():
        stored, decimals = assets.configOf(lifecycle.tokens[symbol])
        assert [int(v) for v in stored] == [int(v) for v in config], symbol
        assert decimals == DECIMALS[symbol] and assets.isListed(lifecycle.tokens[symbol])


def test_risk_weight_floor__each_type__the_basel_mapping(lifecycle):
    assets = lifecycle.assets
    for asset_type, floor in RISK_WEIGHT_FLOOR_BPS.items():
        assert assets.riskWeightFloorBps(asset_type) == floor, asset_type.name
    assert assets.MAX_RISK_WEIGHT_BPS() == 125_000  # Basel's 1250%


@pytest.mark.parametrize("asset_type", list(SettlementAssetType))
def test_list_asset__weight_below_its_type_floor_or_above_1250pct__refused(
    lifecycle, governor, asset_type
):
    assets, usdc = lifecycle.assets, lifecycle.tokens["USDC"]
    floor = RISK_WEIGHT_FLOOR_BPS[asset_type]
    threshold = 0 if asset_type == CRYPTO else 100
    if floor:
        with ape.reverts(
            assets.RiskWeightOutOfBounds,
            asset=usdc.address,
            riskWeightBps=floor - 1,
            floorBps=floor,
            maxBps=125_000,
        ):
            assets.listAsset(usdc, (asset_type, floor - 1, 3, threshold), sender=governor)
    with ape.reverts(assets.RiskWeightOutOfBounds, riskWeightBps=125_001):
        assets.listAsset(usdc, (asset_type, 125_001, 3, threshold), sender=governor)
    assets.listAsset(usdc, (asset_type, floor, 3, threshold), sender=governor)
    assert int(assets.configOf(usdc)[0][1]) == floor  # riskWeightBps


def test_list_asset__depeg_thresholds_bounded_by_type__refused_outside(lifecycle, governor):
    assets, usdc = lifecycle.assets, lifecycle.tokens["USDC"]
    for threshold in (0, 2_001):
        with ape.reverts(
            assets.DepegThresholdOutOfBounds,
            asset=usdc.address,
            thresholdBps=threshold,
            maxBps=2_000,
        ):
            assets.listAsset(usdc, (RESERVE, 10_000, 3, threshold), sender=governor)
    with ape.reverts(assets.DepegThresholdOutOfBounds, thresholdBps=100, maxBps=0):
        assets.listAsset(usdc, (CRYPTO, 125_000, 3, 100), sender=governor)


def test_list_asset__update__logged_with_previous_and_new(lifecycle, governor):
    assets, usdc = lifecycle.assets, lifecycle.tokens["USDC"]
    receipt = assets.listAsset(usdc, (RESERVE, 12_000, 4, 150), sender=governor)
    [log] = receipt.decode_logs(assets.AssetListed)
    assert [int(v) for v in log.previous] == [int(v) for v in SETTLEMENT["USDC"][1]]
    assert [int(v) for v in log.next] == [RESERVE, 12_000, 4, 150]
    assert len(assets.assets()) == 4  # an update, not a second entry


def test_list_asset__no_feed_no_code_or_not_a_token__refused(
    lifecycle, governor, project, deployer, outsider
):
    assets = lifecycle.assets
    unpriced = lifecycle.shares["QBILL"]  # a token whose feed the router has, then removes
    lifecycle.router.removeFeed(unpriced, sender=governor)
    with ape.reverts(assets.NoPriceFeed, asset=unpriced.address):
        assets.listAsset(unpriced, (DEPOSIT, 2_000, 5, 50), sender=governor)
    with ape.reverts(assets.InvalidAsset, asset=outsider.address):
        assets.listAsset(outsider, (DEPOSIT, 2_000, 5, 50), sender=governor)
    no_decimals = lifecycle.manager  # code, but no decimals()
    with ape.reverts(assets.InvalidAsset, asset=no_decimals.address):
        assets.listAsset(no_decimals, (DEPOSIT, 2_000, 5, 50), sender=governor)


def test_list_and_delist__governor_only(lifecycle, outsider, guardian, issuer):
    assets, usdc = lifecycle.assets, lifecycle.tokens["USDC"]
    for sender in (outsider, guardian, issuer):
        with ape.reverts(assets.AccessManagedUnauthorized, caller=sender.address):
            assets.listAsset(usdc, (RESERVE, 10_000, 3, 100), sender=sender)
        with ape.reverts(assets.AccessManagedUnauthorized, caller=sender.address):
            assets.delistAsset(usdc, sender=sender)


def test_list_asset__seventeenth__refused_at_the_bound(lifecycle, governor, project, deployer):
    """MAX_ASSETS (16) bounds the list; feeds stand in for tokens (code, decimals, a price)."""
    assets, router = lifecycle.assets, lifecycle.router
    listed = len(assets.assets())
    extra = [deployer.deploy(project.SettableFeed, 8, 10**8) for _ in range(17 - listed)]
    for token in extra:
        router.setFeed(token, feed_config(token.address), sender=governor)
    for token in extra[:-1]:
        assets.listAsset(token, (CBDC, 0, 7, 50), sender=governor)
    assert len(assets.assets()) == 16 == assets.MAX_ASSETS()
    with ape.reverts(assets.TooManyAssets, count=17, max=16):
        assets.listAsset(extra[-1], (CBDC, 0, 7, 50), sender=governor)
    # An update of a listed asset is not a new entry.
    assets.listAsset(extra[0], (CBDC, 0, 8, 50), sender=governor)


def test_delist__swap_and_pop__the_rest_stay_listed_and_relisting_works(lifecycle, governor):
    assets, tokens = lifecycle.assets, lifecycle.tokens
    before = list(assets.assets())
    receipt = assets.delistAsset(tokens["WCBDC"], sender=governor)
    [log] = receipt.decode_logs(assets.AssetDelisted)
    assert log.asset == tokens["WCBDC"].address
    assert [int(v) for v in log.previous] == [int(v) for v in SETTLEMENT["WCBDC"][1]]
    after = list(assets.assets())
    assert sorted(after) == sorted(a for a in before if a != tokens["WCBDC"].address)
    assert not assets.isListed(tokens["WCBDC"])
    with ape.reverts(assets.UnknownAsset, asset=tokens["WCBDC"].address):
        assets.configOf(tokens["WCBDC"])
    with ape.reverts(assets.UnknownAsset, asset=tokens["WCBDC"].address):
        assets.delistAsset(tokens["WCBDC"], sender=governor)
    # Every remaining entry still knows its place: delist them all, last first then first.
    for symbol in ("USDC", "TDEP", "QETH"):
        assets.delistAsset(tokens[symbol], sender=governor)
    assert list(assets.assets()) == []
    assets.listAsset(tokens["WCBDC"], SETTLEMENT["WCBDC"][1], sender=governor)
    assert list(assets.assets()) == [tokens["WCBDC"].address]


# ------------------------------------------------------------------ depeg and conversion (LCY-17)


@pytest.mark.parametrize(
    "symbol, price, depegged",
    [
        ("USDC", 1.0, False),
        ("USDC", 0.99, False),  # exactly 100 bps off: at the threshold, not beyond
        ("USDC", 1.01, False),
        ("USDC", 0.98999999, True),
        ("USDC", 1.01000001, True),
        ("WCBDC", 0.995, False),  # 50 bps
        ("WCBDC", 0.99499999, True),
        ("QETH", 1_500.0, False),  # no peg: any price
        ("QETH", 0.5, False),
    ],
)
def test_is_depegged__price_against_par_and_threshold(lifecycle, reporter, symbol, price, depegged):
    assets, token = lifecycle.assets, lifecycle.tokens[symbol]
    report(lifecycle, symbol, price, reporter)
    assert assets.isDepegged(token) == depegged
    price_, deviation, flag = assets.pegOf(token)
    assert price_ == price18(lifecycle, price) and flag == depegged
    if symbol != "QETH":
        distance = abs(Fraction(price_, 10**18) - 1)
        assert deviation == -(-distance * 10_000 // 1)  # rounded up


def test_is_depegged__no_usable_price__depegged_and_unconvertible(lifecycle, reporter, chain):
    assets, usdc, tdep = lifecycle.assets, lifecycle.tokens["USDC"], lifecycle.tokens["TDEP"]
    reported = report(lifecycle, "USDC", 1.0, reporter).timestamp
    report(lifecycle, "TDEP", 1.0, reporter)
    chain.pending_timestamp = reported + 86_401  # past the feed's heartbeat
    chain.mine()
    assert assets.isDepegged(usdc) and assets.pegOf(usdc) == (0, 0, True)
    with ape.reverts(assets.AssetUnpriced, asset=usdc.address, status=STALE):
        assets.convert(usdc, tdep, 10**6)
    with ape.reverts(assets.UnknownAsset, asset=lifecycle.shares["QMMF"].address):
        assets.isDepegged(lifecycle.shares["QMMF"])


def test_convert__depegged_either_side__refused_with_the_price(lifecycle, reporter):
    assets, usdc, tdep = lifecycle.assets, lifecycle.tokens["USDC"], lifecycle.tokens["TDEP"]
    report(lifecycle, "TDEP", 0.994, reporter)  # 60 bps off, threshold 50
    for a, b in ((usdc, tdep), (tdep, usdc), (tdep, tdep)):
        with ape.reverts(
            assets.AssetDepegged,
            asset=tdep.address,
            price18=price18(lifecycle, 0.994),
            thresholdBps=50,
        ):
            assets.convert(a, b, 10**18)
    unknown = lifecycle.shares["QMMF"]
    with ape.reverts(assets.UnknownAsset, asset=unknown.address):
        assets.convert(usdc, unknown, 10**6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair=st.sampled_from([("USDC", "TDEP"), ("TDEP", "USDC"), ("QETH", "USDC"), ("USDC", "QETH")]),
    from_answer=st.integers(99_000_001, 100_999_999),
    eth_answer=st.integers(1, 10**13),
    amount=st.integers(0, 10**30) | st.integers(0, 10**7),
)
def test_convert__any_amount_and_prices__floor_of_the_exact_value_never_favours_the_caller(
    lifecycle, reporter, pair, from_answer, eth_answer, amount
):
    """LCY-17: `convert(from, to, amount)` is floor(amount * pFrom * 10**dTo / (pTo * 10**dFrom))
    computed exactly (Fraction), so its value in `to` never exceeds the value given, and the way
    back never returns more than was converted."""
    assets = lifecycle.assets
    feeds = lifecycle.feeds
    answers = {"USDC": from_answer, "TDEP": 100_000_000, "QETH": eth_answer}
    for symbol in {*pair}:
        feeds[symbol].report(answers[symbol], sender=reporter)
    source, target = pair
    got = assets.convert(lifecycle.tokens[source], lifecycle.tokens[target], amount)
    exact = Fraction(amount * answers[source] * 10 ** DECIMALS[target]) / (
        answers[target] * 10 ** DECIMALS[source]
    )
    assert got == exact.numerator // exact.denominator
    assert got <= exact
    back = assets.convert(lifecycle.tokens[target], lifecycle.tokens[source], got)
    assert back <= amount


def test_convert__same_asset__the_amount(lifecycle):
    usdc = lifecycle.tokens["USDC"]
    assert lifecycle.assets.convert(usdc, usdc, 123_456) == 123_456


def test_convert__usdc_to_deposit_token__rescaled_and_rounded_down(lifecycle, reporter):
    assets, usdc, tdep = lifecycle.assets, lifecycle.tokens["USDC"], lifecycle.tokens["TDEP"]
    report(lifecycle, "USDC", 0.9999, reporter)
    report(lifecycle, "TDEP", 1.0003, reporter)
    # 1 USDC unit (1e-6) is worth 0.9999e-6 / 1.0003 TDEP = 999,600,119,964.01... base units.
    assert assets.convert(usdc, tdep, 1) == 999_600_119_964
    # 1 TDEP base unit is worth far less than one USDC unit: nothing.
    assert assets.convert(tdep, usdc, 1) == 0
    assert assets.convert(tdep, usdc, 10**18) == 1_000_400  # 1.00040004 USDC, down to 1.000400


# ------------------------------------------------------------------ preferred payout (LCY-18)


def test_preferred_payout__most_preferred_held_and_pegged__in_its_units(lifecycle, reporter):
    assets, tokens = lifecycle.assets, lifecycle.tokens
    accepted = [tokens["USDC"], tokens["TDEP"], tokens["WCBDC"]]  # ranks 3, 2, 1
    value = 1_000 * 10**18  # USD 1,000
    enough = [10**12, 10**24, 10**12]
    # The CBDC (rank 1) when held enough.
    assert assets.preferredPayout(accepted, enough, value) == (tokens["WCBDC"].address, 10**9)
    # Too little CBDC: the tokenized deposit (rank 2), in 18 decimals.
    held = [10**12, 10**24, 10**9 - 1]
    assert assets.preferredPayout(accepted, held, value) == (tokens["TDEP"].address, 10**21)
    # The deposit token off its peg: USDC.
    report(lifecycle, "TDEP", 1.006, reporter)
    assert assets.preferredPayout(accepted, held, value) == (tokens["USDC"].address, 10**9)
    # USDC at 0.995 (within its 100 bps): more units for the same value, rounded down.
    report(lifecycle, "USDC", 0.995, reporter)
    assert assets.preferredPayout(accepted, held, value)[1] == 1_005_025_125
    # Nothing qualifies: address(0), 0.
    assert assets.preferredPayout(accepted, [0, 0, 0], value) == (ZERO, 0)


def test_preferred_payout__ties_unlisted_and_crypto__skipped_or_ordered(lifecycle, governor):
    assets, tokens = lifecycle.assets, lifecycle.tokens
    # USDC relisted at the deposit token's rank: the earlier in `accepted` wins the tie.
    assets.listAsset(tokens["USDC"], (RESERVE, 10_000, 2, 100), sender=governor)
    pair, held, value = [tokens["USDC"], tokens["TDEP"]], [10**12, 10**24], 10**18
    assert assets.preferredPayout(pair, held, value)[0] == tokens["USDC"].address
    assert assets.preferredPayout(pair[::-1], held[::-1], value)[0] == tokens["TDEP"].address
    # An unlisted entry is skipped (not refused); crypto is paid at its price.
    unlisted = lifecycle.shares["QMMF"]
    accepted = [unlisted, tokens["QETH"]]
    assert assets.preferredPayout(accepted, [10**30, 10**18], 3_000 * 10**18) == (
        tokens["QETH"].address,
        10**18,
    )


def test_preferred_payout__malformed_lists__refused(lifecycle):
    assets, usdc = lifecycle.assets, lifecycle.tokens["USDC"]
    with ape.reverts(assets.LengthMismatch, accepted=2, held=1):
        assets.preferredPayout([usdc, usdc], [1], 1)
    with ape.reverts(assets.TooManyAssets, count=17, max=16):
        assets.preferredPayout([usdc] * 17, [1] * 17, 1)
