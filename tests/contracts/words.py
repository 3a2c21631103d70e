"""Python mirror of every packed storage word type (FND-15): all the user-defined value types of
`contracts/`, written from the layouts the contracts document (the compliance, registry, investor,
rebalancer, risk, token, aggregator, lifecycle, fund, fee and income words), not from their
accessors: the round-trip tests compare the two descriptions, and
tests/keepers/core/test_word_mirror.py checks every entry against the layout tables of
`contracts/types/`. Also where each word is stored, so a test can read the raw slot
(`stored_word`) and decode it here.

A field is `bits` wide at `offset` (from the lowest bit). A flag is written 0 or 1 and reads as set
when any of its bits is (Solidity's bool byte); `top` bounds a field below its width (an enum: its
last member). A word's `harness` is the test contract exposing its accessors by field index
(`<prefix>Get`, `<prefix>Set`, `<prefix>SetMany`), None for the words whose tests build them through
their own functions (FundMathHarness) or read them from storage.
"""

from dataclasses import dataclass

from eth_utils import keccak, to_canonical_address

WORD_BITS = 256
WORD_MAX = (1 << WORD_BITS) - 1


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    bits: int
    flag: bool = False
    top: int | None = None

    @property
    def mask(self) -> int:
        return ((1 << self.bits) - 1) << self.offset

    @property
    def max(self) -> int:
        """The largest value a setter takes for this field."""
        if self.flag:
            return 1
        return self.top if self.top is not None else (1 << self.bits) - 1

    def raw(self, word: int) -> int:
        """The field's bits as stored (a flag's whole byte)."""
        return (word >> self.offset) & ((1 << self.bits) - 1)

    def read(self, word: int) -> int:
        raw = self.raw(word)
        return int(raw != 0) if self.flag else raw

    def fit(self, value: int) -> int:
        """A value this field's setter takes, made from any non-negative integer: a flag's low bit,
        an enum's value modulo its number of members, otherwise the field's low bits."""
        if self.flag:
            return value & 1
        if self.top is not None:
            return value % (self.top + 1)
        return value & ((1 << self.bits) - 1)

    def write(self, word: int, value: int) -> int:
        if not 0 <= value <= self.max:
            raise ValueError(f"{self.name}: {value} outside 0..{self.max}")
        return (word & ~self.mask & WORD_MAX) | value << self.offset


@dataclass(frozen=True)
class Word:
    type_name: str  # the Solidity value type
    fields: tuple[Field, ...]
    bits: int = WORD_BITS  # the value type's width (an element of a packed array is narrower)
    harness: str | None = None  # the test contract with its Get/Set/SetMany functions

    @property
    def max(self) -> int:
        return (1 << self.bits) - 1

    @property
    def prefix(self) -> str:
        """The harness functions' prefix (`holdingWordGet`, ...)."""
        return self.type_name[0].lower() + self.type_name[1:]

    @property
    def used_mask(self) -> int:
        mask = 0
        for f in self.fields:
            mask |= f.mask
        return mask

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def decode(self, word: int) -> dict[str, int]:
        return {f.name: f.read(word) for f in self.fields}

    def encode(self, values: dict[str, int], base: int = 0) -> int:
        """`base` with the named fields written (the bits of the other fields and unused bits
        kept)."""
        word = base
        for name, value in values.items():
            word = self.field(name).write(word, value)
        return word

    def check_layout(self) -> None:
        """Fields neither overlap nor leave the word."""
        seen = 0
        for f in self.fields:
            assert f.offset + f.bits <= self.bits, f.name
            assert seen & f.mask == 0, f.name
            seen |= f.mask


# The test contracts that expose the words' accessors by field index.
WORD_HARNESS, WORD_HARNESS_2 = "WordHarness", "WordHarness2"
LIFECYCLE_WORD_HARNESS = "LifecycleWordHarness"

PACKED_TOTAL_BITS = 23
INVESTOR_CLASSES = 4  # InvestorClass: None, Retail, Accredited, Qualified, Institutional

JURISDICTION = Word(
    "JurisdictionWord",
    (
        Field("allowed", 0, 8, flag=True),
        Field("hasRouteBlocks", 8, 8, flag=True),
        Field("minInvestorClass", 16, 8),
        Field("holderCap", 24, 32),
        Field("nonAccreditedCap", 56, 32),
        Field("holderCount", 88, 32),
        Field("nonAccreditedCount", 120, 32),
        Field("inboundClosedUntil", 152, 40),
        Field("minFirstHolding", 192, 40),
    ),
    harness=WORD_HARNESS,
)

HOLDING = Word(
    "HoldingWord",
    (
        Field("balance", 0, 96),
        Field("lastAcquiredAt", 96, 40),
        Field("countedCountry", 136, 10),
        Field("countedNonAccredited", 146, 1, flag=True),
        Field("escrow", 147, 1, flag=True),
    ),
    harness=WORD_HARNESS,
)

WINDOW_SENT_BITS = 89

WINDOW = Word(
    "WindowWord",
    (
        Field("day", 0, 32),
        Field("dayCurrent", 32, WINDOW_SENT_BITS),
        Field("monthCurrent", 121, WINDOW_SENT_BITS),
        Field("dayPrevious", 210, PACKED_TOTAL_BITS),
        Field("monthPrevious", 233, PACKED_TOTAL_BITS),
    ),
    harness=WORD_HARNESS,
)

RULES = Word(
    "RulesWord",
    (
        Field("maxBalance", 0, 40),
        Field("minHolding", 40, 40),
        Field("dailyLimit", 80, 40),
        Field("monthlyLimit", 120, 40),
        Field("maxBalanceBps", 160, 16),
        Field("lockupAfterAcquisition", 176, 32),
        Field("transfersOpenAt", 208, 40),
        Field("moduleCount", 248, 7),
        Field("registryMigrated", 255, 1, flag=True),
    ),
    harness=WORD_HARNESS,
)

TOTALS = Word(
    "TotalsWord",
    (
        Field("totalHolderCap", 0, 32),
        Field("totalNonAccreditedCap", 32, 32),
        Field("totalHolders", 64, 32),
        Field("totalNonAccredited", 96, 32),
        Field("supply", 128, 96),
    ),
    harness=WORD_HARNESS,
)

INVESTOR = Word(
    "InvestorWord",
    (
        Field("identity", 0, 160),
        Field("country", 160, 16),
        Field("investorClass", 176, 8),
        Field("verified", 184, 1, flag=True),
        Field("frozen", 185, 1, flag=True),
    ),
    harness=WORD_HARNESS,
)

WALLET = Word(
    "WalletWord",
    (
        Field("identity", 0, 160),
        Field("country", 160, 16),
        Field("investorClass", 176, 8, top=INVESTOR_CLASSES),
        Field("validUntil", 184, 40),
        Field("claimsEpoch", 224, 24),
        Field("frozen", 248, 8, flag=True),
    ),
    harness=WORD_HARNESS,
)

CLAIMS = Word(
    "ClaimsWord",
    (
        Field("epoch", 0, 32),
        Field("cacheTtl", 32, 32),
        Field("required", 64, 8, flag=True),
    ),
    harness=WORD_HARNESS,
)

STRATEGY = Word(
    "StrategyWord",
    (
        Field("strategyId", 0, 32),
        Field("driftThresholdBps", 32, 16),
        Field("maxTradeBps", 48, 16),
        Field("maxSlippageBps", 64, 16),
        Field("signerThreshold", 80, 8),
        Field("assetCount", 88, 8),
        Field("paused", 96, 8, flag=True),
        Field("cooldown", 104, 32),
        Field("lossRefillPeriod", 136, 32),
        Field("maxBaseFee", 168, 64),
        Field("maxSnapshotAge", 232, 16),
    ),
    harness=WORD_HARNESS,
)

RELAYER = Word(
    "RelayerWord",
    (
        Field("relayer", 0, 160),
        Field("lossBudget", 160, 96),
    ),
    harness=WORD_HARNESS,
)

MAX_ASSETS = 16
PROGRESS = Word(
    "ProgressWord",
    (
        Field("nonce", 0, 24),
        Field("lastRebalanceAt", 24, 40),
        Field("lossUsed", 64, 96),
        *(Field(f"decimals{i}", 160 + 6 * i, 6) for i in range(MAX_ASSETS)),
    ),
    harness=WORD_HARNESS,
)

BOUNDS = Word(
    "BoundsWord",
    tuple(
        Field(f"{bound}{k}", 32 * k + 16 * j, 16)
        for k in range(8)
        for j, bound in enumerate(("min", "max"))
    ),
    harness=WORD_HARNESS,
)

PACKED_BPS = Word(
    "PackedBps",
    tuple(Field(f"bps{i}", 16 * i, 16) for i in range(MAX_ASSETS)),
    harness=WORD_HARNESS,
)

RISK_HEADER = Word(
    "RiskHeaderWord",
    (
        Field("minLiquidBps", 0, 16),
        Field("maxVar95Bps", 16, 16),
        Field("maxVar99Bps", 32, 16),
        Field("maxEsBps", 48, 16),
        Field("maxStressLossBps", 64, 16),
        Field("maxDrawdownBps", 80, 16),
        Field("hardDrawdownBps", 96, 16),
        Field("maxModelAge", 112, 32),
        Field("maxPriceAge", 144, 32),
        Field("assetCount", 176, 8),
        Field("halted", 184, 8, flag=True),
        Field("drawdownBps", 192, 16),
        Field("pricedMask", 208, 16),
    ),
    harness=WORD_HARNESS_2,
)

MODEL = Word(
    "ModelWord",
    (
        Field("updateId", 0, 64),
        Field("asOf", 64, 40),
        Field("publishedAt", 104, 40),
        Field("syncedAt", 144, 40),
        Field("esMultiplierPpm", 184, 32),
        Field("scenarioCount", 216, 8),
    ),
    harness=WORD_HARNESS_2,
)

RISK_BOUNDS = Word(
    "RiskBoundsWord",
    (
        Field("minUpdateDelay", 0, 32),
        Field("maxVolChangeBps", 32, 16),
        Field("maxCorrelationChange", 48, 16),
        Field("maxStressChangeBps", 64, 16),
        Field("boundWindowHours", 80, 16),
        Field("highWaterMark", 96, 80),
        Field("lastNavPerShare", 176, 80),
    ),
    harness=WORD_HARNESS_2,
)

RISK_CLASSES = 8
CLASS_CAPS = Word(
    "ClassCapsWord",
    tuple(Field(f"cap{c}", 16 * c, 16) for c in range(RISK_CLASSES)),
    harness=WORD_HARNESS_2,
)

# An element of the engine's packed `assetParams` array: 32 bits, eight to a storage word.
ASSET_PARAMS_BITS = 32
ASSET_PARAMS = Word(
    "AssetParams",
    (
        Field("maxWeightBps", 0, 16),
        Field("assetClass", 16, 8),
        Field("liquid", 24, 1, flag=True),
        Field("decimals", 25, 6),
    ),
    bits=ASSET_PARAMS_BITS,
    harness=WORD_HARNESS_2,
)

ACCOUNT = Word(
    "AccountWord",
    (
        Field("balance", 0, 128),
        Field("frozenTokens", 128, 120),
        Field("frozen", 248, 8, flag=True),
    ),
    harness=WORD_HARNESS_2,
)

CORE = Word(
    "CoreWord",
    (Field("compliance", 0, 160), Field("paused", 160, 8, flag=True)),
    harness=WORD_HARNESS_2,
)

NATIVE_KINDS = 3  # IVenueAdapter.NativeKind: NONE, UNISWAP_V2, UNISWAP_V3, NAV_DESK
VENUE_PAUSE, GLOBAL_PAUSE = 1, 2  # the bits of a venue's `pauses`
# `key`: the adapter (kinds NONE and NAV_DESK) or the pool's token key (Uniswap kinds, SEC-141).
VENUE = Word(
    "VenueWord",
    (
        Field("pauses", 0, 8),
        Field("kind", 8, 8, top=NATIVE_KINDS),
        Field("key", 16, 240),
    ),
    harness=WORD_HARNESS_2,
)

# NavVenue._desks[token] (LIQ-23): a NAV-desk market's terms and its day's net flow. `net` is a
# signed 100-bit field (two's complement); its setter takes the low 100 bits.
DESK = Word(
    "DeskWord",
    (
        Field("subscribeFeeBps", 0, 9),
        Field("redeemFeeBps", 9, 9),
        Field("maxNavMoveBps", 18, 9),
        Field("listed", 27, 1, flag=True),
        Field("decimals", 28, 8),
        Field("day", 36, 24),
        Field("dailyCapacity", 60, 96),
        Field("net", 156, 100),
    ),
)

SETTINGS = Word(
    "SettingsWord",
    (
        Field("oracle", 0, 160),
        Field("maxSlippageCapBps", 160, 16),
        Field("revealWindow", 176, 32),
        Field("paused", 208, 8, flag=True),
    ),
    harness=WORD_HARNESS_2,
)

# The lifecycle words (contracts/types/LifecycleWords.sol). The enum tops are the last members
# of InstrumentStatus, InstrumentKind, DayCountConvention, BusinessDayConvention and
# SettlementAssetType; `spreadBps` is an int16 as its two's complement; the identifiers are the
# big-endian bytes of their codes.
INSTRUMENT = Word(
    "InstrumentWord",
    (
        Field("issuer", 0, 160),
        Field("status", 160, 8, top=5),
        Field("guardianHold", 168, 8, flag=True),
        Field("maturityDate", 176, 40),
        Field("calledAt", 216, 40),
    ),
    harness=LIFECYCLE_WORD_HARNESS,
)

TERMS = Word(
    "TermsWord",
    (
        Field("kind", 0, 8, top=3),
        Field("fixedRateBps", 8, 16),
        Field("floatingIndex", 24, 16),
        Field("spreadBps", 40, 16),
        Field("frequency", 56, 8),
        Field("dayCount", 64, 8, top=2),
        Field("roll", 72, 8, top=3),
        Field("recordDateOffsetDays", 80, 16),
        Field("callable", 96, 8, flag=True),
        Field("callPriceBps", 104, 16),
        Field("firstCallDate", 120, 40),
        Field("issueDate", 160, 40),
    ),
    harness=LIFECYCLE_WORD_HARNESS,
)

IDENTIFIER = Word(
    "IdentifierWord",
    (Field("isin", 0, 96), Field("cusip", 96, 72), Field("currency", 168, 24)),
    harness=LIFECYCLE_WORD_HARNESS,
)

NAV = Word(
    "NavWord",
    (
        Field("shareToken", 0, 160),
        Field("maxNavMoveBps", 160, 16),
        Field("maxNavAge", 176, 32),
        Field("lastStrikeAt", 208, 40),
    ),
    harness=LIFECYCLE_WORD_HARNESS,
)

DELEGATION = Word(
    "DelegationWord",
    (Field("operations", 0, 16), Field("expiry", 16, 40)),
    harness=LIFECYCLE_WORD_HARNESS,
)

SETTLEMENT_ASSET = Word(
    "SettlementAssetWord",
    (
        Field("listed", 0, 8, flag=True),
        Field("assetType", 8, 8, top=4),
        Field("riskWeightBps", 16, 32),
        Field("rank", 48, 8),
        Field("depegThresholdBps", 56, 16),
        Field("decimals", 72, 8),
        Field("index", 80, 8),
    ),
    harness=LIFECYCLE_WORD_HARNESS,
)

# The FundVault's words (contracts/types/FundWords.sol): FundMathHarness builds them through
# their own functions, so no harness by field index.
POSITION = Word(
    "Position",
    (
        Field("depositAssets", 0, 96),
        Field("depositPeriod", 96, 32),
        Field("redeemShares", 128, 96),
        Field("redeemPeriod", 224, 32),
    ),
)

FUND_CLAIM = Word("Claim", (Field("assets", 0, 128), Field("shares", 128, 128)))

DEALING = Word(
    "Dealing",
    (
        Field("period", 0, 24),
        Field("cutoff", 24, 40),
        Field("deposits", 64, 96),
        Field("redemptions", 160, 96),
    ),
)

LATE = Word(
    "Late",
    (
        Field("deposits", 0, 96),
        Field("redemptions", 96, 96),
        Field("gateBps", 192, 16),
        Field("interval", 208, 32),
    ),
)

STRIKE = Word(
    "StrikeWord",
    (
        Field("c", 0, 128),
        Field("nav", 128, 96),
        Field("era", 224, 31),
        Field("depositsRefused", 255, 1, flag=True),
    ),
)

ACCRUAL = Word("AccrualWord", (Field("a", 0, 224), Field("scale", 224, 32)))

FEE_LEDGER = Word(
    "FeeLedger",
    (
        Field("shares", 0, 96),
        Field("assets", 96, 96),
        Field("accruedAt", 192, 40),
        Field("managementBps", 232, 16),
        Field("charges", 248, 1, flag=True),
    ),
)

INSTANT = Word(
    "InstantWord",
    (Field("period", 0, 32), Field("subscribed", 32, 96), Field("redeemed", 128, 96)),
)

# The fee schedule's words (contracts/types/FeeWords.sol): two volume tiers to a TierWord.
FEE = Word(
    "FeeWord",
    (
        Field("subscriptionBps", 0, 16),
        Field("redemptionBps", 16, 16),
        Field("instantBps", 32, 16),
        Field("urgencyBps", 48, 16),
        Field("managementBps", 64, 16),
        Field("tierCount", 80, 8),
        Field("recipient", 88, 160),
    ),
)

TIER_BITS, TIERS_PER_WORD = 112, 2
TIERS = Word(
    "TierWord",
    tuple(
        Field(f"{name}{k}", TIER_BITS * k + offset, bits)
        for k in range(TIERS_PER_WORD)
        for name, offset, bits in (("minVolume", 0, 96), ("discountBps", 96, 16))
    ),
)

# The income and servicing words (contracts/types/IncomeWords.sol).
INCOME = Word(
    "IncomeWord",
    (Field("index", 0, 160), Field("declarations", 160, 32), Field("lastDeclaredAt", 192, 40)),
)

INCOME_ACCOUNT = Word("IncomeAccount", (Field("index", 0, 160), Field("pending", 160, 96)))

COUPON_ACCOUNT = Word("CouponAccount", (Field("settledThrough", 0, 16), Field("owed", 16, 240)))

SERVICING = Word(
    "ServicingWord",
    (
        Field("couponIndex", 0, 192),
        Field("lastRecorded", 192, 16),
        Field("nextRecordDate", 208, 40),
        Field("redeeming", 248, 8, flag=True),
    ),
)

WORDS = (
    JURISDICTION,
    HOLDING,
    WINDOW,
    RULES,
    TOTALS,
    INVESTOR,
    WALLET,
    CLAIMS,
    STRATEGY,
    RELAYER,
    PROGRESS,
    BOUNDS,
    PACKED_BPS,
    RISK_HEADER,
    MODEL,
    RISK_BOUNDS,
    CLASS_CAPS,
    ASSET_PARAMS,
    ACCOUNT,
    CORE,
    VENUE,
    SETTINGS,
    DESK,
    INSTRUMENT,
    TERMS,
    IDENTIFIER,
    NAV,
    DELEGATION,
    SETTLEMENT_ASSET,
    POSITION,
    FUND_CLAIM,
    DEALING,
    LATE,
    STRIKE,
    ACCRUAL,
    FEE_LEDGER,
    INSTANT,
    FEE,
    TIERS,
    INCOME,
    INCOME_ACCOUNT,
    COUPON_ACCOUNT,
    SERVICING,
)
BY_TYPE = {w.type_name: w for w in WORDS}
# The words WordHarness2 exposes (WordHarness the others of the first two harnesses): one harness
# would pass the size budget.
SECOND_HARNESS_WORDS = tuple(w for w in WORDS if w.harness == WORD_HARNESS_2)

# Storage slots, in declaration order after AccessManaged's word (authority and a flag; the engine's
# `_bound` flag packs into it too). A test that reads a word at its slot and finds what the
# contract's views say also checks the slot.
ENGINE_RULES_SLOT, ENGINE_TOTALS_SLOT, ENGINE_JURISDICTIONS_SLOT, ENGINE_HOLDINGS_SLOT = 1, 2, 3, 6
ENGINE_WINDOWS_SLOT, ENGINE_REGISTRY_SLOT = 9, 10
REGISTRY_WALLETS_SLOT, REGISTRY_CLAIMS_SLOT = 1, 4
# The AutoRebalancer's record of a portfolio: six consecutive words from mapping_slot(portfolio, 3)
# (after AccessManaged's word and EIP712's two string fallbacks).
REBALANCER_PORTFOLIOS_SLOT = 3
REBALANCER_RECORD = (STRATEGY, RELAYER, PROGRESS, BOUNDS, BOUNDS, PACKED_BPS)
# The RiskEngine's record of a portfolio from mapping_slot(portfolio, 1) (after AccessManaged's
# word): the header, model, bounds and class caps words, then the two words of `assetParams`.
RISK_PORTFOLIOS_SLOT = 1
RISK_RECORD = (RISK_HEADER, MODEL, RISK_BOUNDS, CLASS_CAPS)
RISK_ASSET_PARAMS_WORD = len(RISK_RECORD)
# The SecurityToken: AccessManaged's word, then `_core`, `_registry`, `_totalSupply`, `_accounts`.
TOKEN_CORE_SLOT, TOKEN_ACCOUNTS_SLOT = 1, 4
# The LiquidityAggregator: AccessManaged's word, then `_settings`, `_venueConfig` and `_adapters`.
AGGREGATOR_SETTINGS_SLOT, AGGREGATOR_VENUES_SLOT, AGGREGATOR_ADAPTERS_SLOT = 1, 2, 3
# The InstrumentRegistry's `_instruments` (slot 2: AccessManaged's authority and schedule flag share
# slot 0) and the SettlementAssets' `_assets` (slot 1). An instrument's record is four words from
# mapping_slot(id, INSTRUMENTS_SLOT): INSTRUMENT_RECORD.
INSTRUMENTS_SLOT, SETTLEMENT_ASSETS_SLOT = 2, 1
INSTRUMENT_RECORD = (INSTRUMENT, NAV, TERMS, IDENTIFIER)


def pair_key(token_a, token_b) -> int:
    """`UniswapHops.pairKey`: the low 240 bits of keccak256(abi.encode(token0, token1)), sorted."""
    token0, token1 = sorted(
        to_canonical_address(str(getattr(t, "address", t))) for t in (token_a, token_b)
    )
    return int.from_bytes(keccak(token0.rjust(32, b"\0") + token1.rjust(32, b"\0")), "big") % (
        1 << 240
    )


def mapping_slot(key, slot: int) -> int:
    """Where Solidity keeps `map[key]` of a mapping at `slot` (an address or an unsigned integer
    key)."""
    key = getattr(key, "address", key)
    key_word = (
        to_canonical_address(key).rjust(32, b"\0")
        if isinstance(key, str)
        else int(key).to_bytes(32, "big")
    )
    return int.from_bytes(keccak(key_word + slot.to_bytes(32, "big")), "big")


def stored_word(chain, contract, slot: int) -> int:
    return int.from_bytes(bytes(chain.provider.get_storage(contract.address, slot)), "big")


def element(word: int, k: int, bits: int) -> int:
    """Element k of a word of a packed array of `bits`-wide elements (Solidity's storage packing:
    from the low bits)."""
    return (word >> (k * bits)) & ((1 << bits) - 1)


def packed_amount(packed: int) -> int:
    """`PackedAmount.decode`: a 32-bit mantissa times 10 to an 8-bit exponent."""
    return (packed >> 8) * 10 ** (packed & 0xFF)


def packed_total(packed: int) -> int:
    """`PackedTotal.decode`: an 18-bit mantissa times 10 to a 5-bit exponent."""
    return (packed & ((1 << 18) - 1)) * 10 ** ((packed >> 18) & 0x1F)
