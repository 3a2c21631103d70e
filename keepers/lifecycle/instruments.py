"""The instrument registry's and the settlement assets' vocabulary in Python (no chain access): the
enums of interfaces/IInstrumentRegistry.sol and interfaces/ISettlementAssets.sol, the operation
bits an issuer delegates, the ISIN and CUSIP check digits the registry validates on chain, and the
`InstrumentTerms` tuple a registration sends.

The CLI, the demo and the tests build terms here, so an identifier can be checked before a
transaction is sent (the on-chain check is `TermsValidator.isValidIsin` / `isValidCusip`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from eth_utils import keccak, to_checksum_address

from keepers.lifecycle.conventions import BusinessDayConvention, DayCountConvention

DAY_SECONDS = 86_400
ZERO_ADDRESS = "0x" + "00" * 20


class InstrumentKind(IntEnum):
    MONEY_MARKET_FUND = 0
    TREASURY_BILL = 1
    FIXED_COUPON_NOTE = 2
    FLOATING_RATE_NOTE = 3


class InstrumentStatus(IntEnum):
    NONE = 0
    REGISTERED = 1
    ACTIVE = 2
    SUSPENDED = 3
    MATURED = 4
    CLOSED = 5


class SettlementAssetType(IntEnum):
    WHOLESALE_CBDC = 0
    RESERVE_BACKED = 1
    TOKENIZED_DEPOSIT = 2
    STABLECOIN = 3
    CRYPTO = 4


# InstrumentOperations (interfaces/IInstrumentRegistry.sol): one bit per delegable operation.
OPERATIONS: dict[str, int] = {
    "ACTIVATE": 1 << 0,
    "SUSPEND": 1 << 1,
    "STRIKE": 1 << 2,
    "DECLARE": 1 << 3,
    "FUND": 1 << 4,
    "CALL": 1 << 5,
}
ALL_OPERATIONS = (1 << len(OPERATIONS)) - 1

# The floor of each type's risk weight (SettlementAssets.riskWeightFloorBps), from the groups of the
# Basel Committee's "Prudential treatment of cryptoasset exposures" (BCBS d545, December 2022) and
# the credit risk standardised approach (CRE20): a central bank 0%, a AA- bank 20%, a supervised
# reserve-backed stablecoin's issuer 100%, Group 2 cryptoassets 1250% (125,000 bps).
RISK_WEIGHT_FLOOR_BPS: dict[SettlementAssetType, int] = {
    SettlementAssetType.WHOLESALE_CBDC: 0,
    SettlementAssetType.RESERVE_BACKED: 10_000,
    SettlementAssetType.TOKENIZED_DEPOSIT: 2_000,
    SettlementAssetType.STABLECOIN: 125_000,
    SettlementAssetType.CRYPTO: 125_000,
}

# The registry's bounds on terms (InstrumentRules, exposed by ITermsValidator), mirrored here so a
# terms file can be checked before it is sent. The coupon and redemption indexes of a note's
# BondServicer are sized for the largest instrument these bounds accept (IBondServicer;
# `coupons.servicing_bounds`, tested over the whole term space).
MAX_COUPON_BPS = 10_000  # a fixed coupon: 100% a year
MAX_SPREAD_BPS = 5_000  # a floating spread, either sign
MAX_CALL_PRICE_BPS = 20_000  # twice par
MAX_FACE_VALUE = 10**27  # 1e9 currency units per share (18 decimals)
MAX_TERM_DAYS = 36_525  # 100 years from issue to maturity
LAST_MATURITY = 7_257_859_200  # 2199-12-29: its roll stays in QuantLib's (and DayCount's) dates
# The most decimals a settlement asset may have (SettlementAssets, FundVault and BondServicer
# `MAX_DECIMALS`): their amounts are sized for 18 (96 bits: 7.9e10 units per request).
MAX_ASSET_DECIMALS = 18
# A floating coupon's rate is capped at the largest fixed coupon plus the largest spread
# (IBondServicer.MAX_RATE_BPS): 150% a year.
MAX_FLOATING_RATE_BPS = MAX_COUPON_BPS + MAX_SPREAD_BPS
# BondServicer's coupon index field (ServicingWord: 192 bits) and its scale (IBondServicer.SCALE).
COUPON_INDEX_BITS = 192
SERVICER_SCALE = 10**36
# Floating index ids (CouponTerms.floatingIndex): the registry only requires a non-zero id; the
# keepers read the rate of each from its published source.
FLOATING_INDEXES: dict[str, int] = {"SOFR": 1, "ESTR": 2, "SONIA": 3}
# The prefix hashed with an index id into the OracleRouter key its feed is set under
# (`rateIndexKey` in interfaces/IBondServicer.sol).
RATE_INDEX_KEY_DOMAIN = b"quantera.rate-index"


def rate_index_key(index: int) -> str:
    """The OracleRouter key of floating index `index` (an id of FLOATING_INDEXES), as
    `rateIndexKey` (interfaces/IBondServicer.sol): the low 20 bytes of
    keccak256("quantera.rate-index" ++ the id as two bytes)."""
    if not 0 < index < 2**16:
        raise ValueError(f"floating index {index} is not a uint16 above 0")
    return to_checksum_address(keccak(RATE_INDEX_KEY_DOMAIN + index.to_bytes(2, "big"))[-20:])


def _char_value(char: str, extra: str = "") -> int:
    """A digit's value, a letter's A = 10 .. Z = 35, and CUSIP's `*@#` 36..38 when allowed."""
    if char.isdigit() and char.isascii():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char and char in extra:
        return 36 + extra.index(char)
    raise ValueError(f"{char!r} is not an identifier character")


def isin_check_digit(body: str) -> int:
    """The ISO 6166 check digit of an ISIN's first 11 characters: letters written as their values
    (A = 10 .. Z = 35), then the Luhn mod-10 check over the digits."""
    if len(body) != 11:
        raise ValueError(f"an ISIN body has 11 characters, not {len(body)}")
    digits = "".join(str(_char_value(c)) for c in body)
    total = 0
    # The rightmost digit of the body is doubled (the check digit will sit to its right).
    for i, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def is_valid_isin(isin: str) -> bool:
    """Two letters, nine letters or digits, and the right check digit."""
    if len(isin) != 12 or not all("A" <= c <= "Z" for c in isin[:2]) or not isin[11].isdigit():
        return False
    if not all(c.isdigit() or "A" <= c <= "Z" for c in isin[2:11]) or not isin.isascii():
        return False
    return isin_check_digit(isin[:11]) == int(isin[11])


def cusip_check_digit(body: str) -> int:
    """The check digit of a CUSIP's first 8 characters (`*`, `@`, `#` count 36, 37, 38): each value
    doubled at even positions (from 1), its digits summed, and (10 - sum mod 10) mod 10."""
    if len(body) != 8:
        raise ValueError(f"a CUSIP body has 8 characters, not {len(body)}")
    total = 0
    for i, char in enumerate(body):
        value = _char_value(char, "*@#") * (2 if i % 2 == 1 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def is_valid_cusip(cusip: str) -> bool:
    if len(cusip) != 9 or not cusip[8].isdigit() or not cusip.isascii():
        return False
    try:
        return cusip_check_digit(cusip[:8]) == int(cusip[8])
    except ValueError:
        return False


@dataclass(frozen=True)
class CouponTerms:
    fixed_rate_bps: int = 0
    floating_index: int = 0
    spread_bps: int = 0
    frequency: int = 0
    day_count: DayCountConvention = DayCountConvention.ACTUAL_360
    roll: BusinessDayConvention = BusinessDayConvention.UNADJUSTED
    record_date_offset_days: int = 0

    def as_tuple(self) -> tuple:
        return (
            self.fixed_rate_bps,
            self.floating_index,
            self.spread_bps,
            self.frequency,
            int(self.day_count),
            int(self.roll),
            self.record_date_offset_days,
        )


@dataclass(frozen=True)
class CallTerms:
    callable: bool = False
    first_call_date: int = 0
    call_price_bps: int = 0

    def as_tuple(self) -> tuple:
        return (self.callable, self.first_call_date, self.call_price_bps)


@dataclass(frozen=True)
class InstrumentTerms:
    """`InstrumentTerms` of interfaces/IInstrumentRegistry.sol; `as_tuple()` is what `register`
    takes. Identifiers are strings (ASCII); dates are UTC-midnight unix seconds."""

    kind: InstrumentKind
    isin: str
    share_token: str
    settlement_assets: list[str]
    issue_date: int
    maturity_date: int = 0
    face_value: int = 0
    cusip: str = ""
    currency: str = "USD"
    coupon: CouponTerms = field(default_factory=CouponTerms)
    call: CallTerms = field(default_factory=CallTerms)

    @classmethod
    def from_chain(cls, value) -> InstrumentTerms:
        """The terms as `termsOf(id)` returns them (a struct, read by position)."""
        coupon, call = value[7], value[10]
        return cls(
            kind=InstrumentKind(int(value[0])),
            isin=_text(value[1]),
            cusip=_text(value[2]),
            currency=_text(value[3]),
            share_token=str(value[4]),
            settlement_assets=[str(a) for a in value[5]],
            face_value=int(value[6]),
            coupon=CouponTerms(
                fixed_rate_bps=int(coupon[0]),
                floating_index=int(coupon[1]),
                spread_bps=int(coupon[2]),
                frequency=int(coupon[3]),
                day_count=DayCountConvention(int(coupon[4])),
                roll=BusinessDayConvention(int(coupon[5])),
                record_date_offset_days=int(coupon[6]),
            ),
            issue_date=int(value[8]),
            maturity_date=int(value[9]),
            call=CallTerms(bool(call[0]), int(call[1]), int(call[2])),
        )

    def as_tuple(self) -> tuple:
        return (
            int(self.kind),
            self.isin.encode("ascii").ljust(12, b"\0"),
            self.cusip.encode("ascii").ljust(9, b"\0"),
            self.currency.encode("ascii").ljust(3, b"\0"),
            self.share_token,
            list(self.settlement_assets),
            self.face_value,
            self.coupon.as_tuple(),
            self.issue_date,
            self.maturity_date,
            self.call.as_tuple(),
        )


def _text(value) -> str:
    """A fixed-size ASCII field (bytes12, bytes9, bytes3) without its zero padding."""
    raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    return raw.rstrip(b"\0").decode("ascii")


def utc_midnight(timestamp: int) -> int:
    """The UTC midnight at or before `timestamp` (a date as the registry takes it)."""
    return timestamp - timestamp % DAY_SECONDS
