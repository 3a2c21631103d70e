"""An instrument's terms from a YAML or JSON file (`quantera instrument register`), checked here
before anything is sent: the identifiers' check digits (ISIN, CUSIP), the kind, the conventions'
names, the dates, the amounts. Pure: addresses are resolved by the caller's `resolve` (a record
name or an address -> an address). The registry checks the rest on chain.

A file (YAML shown; JSON with the same keys works)::

    kind: fixed_coupon_note        # money_market_fund | treasury_bill | fixed_coupon_note
                                   # | floating_rate_note
    isin: US912810TM09
    cusip: 912810TM0               # optional
    currency: USD                  # default USD
    share_token: SecurityToken.QTN28   # a record name or an address
    settlement_assets: [LocalStablecoin.USDC]
    face_value: "100"              # currency per whole share (a decimal), 18 decimals on chain
    issue_date: 2026-01-15
    maturity_date: 2028-01-15      # omit for an open-ended share class
    coupon:                        # omit for a share class or a bill
      fixed_rate_bps: 425          # or floating_index: SOFR and spread_bps: 25
      frequency: 2
      day_count: 30/360            # ACT/360 | ACT/365F | 30/360
      roll: modified_following     # unadjusted | following | modified_following | preceding
      record_date_offset_days: 1
    call:                          # optional
      first_call_date: 2027-01-15
      call_price_bps: 10100
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from keepers.core.errors import QuanteraError
from keepers.core.units import WAD
from keepers.lifecycle.conventions import BusinessDayConvention, DayCountConvention
from keepers.lifecycle.instruments import (
    FLOATING_INDEXES,
    CallTerms,
    CouponTerms,
    InstrumentKind,
    InstrumentTerms,
    is_valid_cusip,
    is_valid_isin,
)

DAY_COUNTS = {
    "ACT/360": DayCountConvention.ACTUAL_360,
    "ACT/365F": DayCountConvention.ACTUAL_365_FIXED,
    "ACT/365": DayCountConvention.ACTUAL_365_FIXED,
    "30/360": DayCountConvention.THIRTY_360_BOND_BASIS,
}
ROLLS = {c.name.lower(): c for c in BusinessDayConvention}
KINDS = {k.name.lower(): k for k in InstrumentKind}
TOP_KEYS = {
    "kind",
    "isin",
    "cusip",
    "currency",
    "share_token",
    "settlement_assets",
    "face_value",
    "issue_date",
    "maturity_date",
    "coupon",
    "call",
}
COUPON_KEYS = {
    "fixed_rate_bps",
    "floating_index",
    "spread_bps",
    "frequency",
    "day_count",
    "roll",
    "record_date_offset_days",
}
CALL_KEYS = {"first_call_date", "call_price_bps"}


class TermsError(QuanteraError):
    """A terms file that cannot be registered; the message names the file and the field."""


def load_terms(path: Path, resolve: Callable[[str], str]) -> InstrumentTerms:
    """The terms of the file at `path` (YAML, or JSON by its `.json` suffix)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise TermsError(f"{path}: {err.strerror or err}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (ValueError, ImportError) as err:
        raise TermsError(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {err}") from None
    except Exception as err:  # noqa: BLE001 - yaml's parser errors
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise TermsError(f"{path}: not valid YAML: {first}") from None
    return parse_terms(data, resolve, str(path))


def parse_terms(data, resolve: Callable[[str], str], where: str = "terms") -> InstrumentTerms:
    """The terms of a mapping read from a file; TermsError naming `where` and the field."""

    def fail(field: str, message: str) -> TermsError:
        return TermsError(f"{where}: {field}: {message}")

    if not isinstance(data, dict):
        raise TermsError(f"{where}: expected a mapping of terms, got {type(data).__name__}")
    _unknown(data, TOP_KEYS, where, "")
    for key in ("kind", "isin", "share_token", "settlement_assets", "issue_date"):
        if key not in data:
            raise fail(key, "missing")
    kind = KINDS.get(str(data["kind"]).strip().lower())
    if kind is None:
        raise fail("kind", f"{data['kind']!r} is not one of {', '.join(KINDS)}")
    isin = str(data["isin"]).strip().upper()
    if not is_valid_isin(isin):
        raise fail("isin", f"{isin!r} is not a valid ISIN (form or check digit)")
    cusip = str(data.get("cusip") or "").strip().upper()
    if cusip:
        if not is_valid_cusip(cusip):
            raise fail("cusip", f"{cusip!r} is not a valid CUSIP (form or check digit)")
        if isin[:2] in ("US", "CA") and isin[2:11] != cusip:
            raise fail("cusip", f"{cusip} is not the national number of {isin} ({isin[2:11]})")
    currency = str(data.get("currency", "USD")).strip()
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise fail("currency", f"{currency!r} is not an ISO 4217 code (three capitals)")
    assets = data["settlement_assets"]
    if isinstance(assets, str):
        assets = [assets]
    if not isinstance(assets, list) or not assets:
        raise fail("settlement_assets", "a non-empty list of record names or addresses")
    return InstrumentTerms(
        kind=kind,
        isin=isin,
        cusip=cusip,
        currency=currency,
        share_token=_address(resolve, data["share_token"], fail, "share_token"),
        settlement_assets=[_address(resolve, a, fail, "settlement_assets") for a in assets],
        face_value=_face_value(data.get("face_value", 0), fail),
        issue_date=_date(data["issue_date"], fail, "issue_date"),
        maturity_date=_date(data["maturity_date"], fail, "maturity_date")
        if data.get("maturity_date") is not None
        else 0,
        coupon=_coupon(data.get("coupon") or {}, fail, where),
        call=_call(data.get("call"), fail, where),
    )


def _unknown(data: dict, known: set[str], where: str, prefix: str) -> None:
    extra = sorted(set(map(str, data)) - known)
    if extra:
        raise TermsError(f"{where}: unknown field(s) {', '.join(prefix + k for k in extra)}")


def _address(resolve, value, fail, field: str) -> str:
    try:
        return resolve(str(value).strip())
    except QuanteraError as err:
        raise fail(field, str(err)) from None


def _face_value(value, fail) -> int:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise fail("face_value", f"{value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise fail("face_value", f"{value} is not a non-negative amount")
    units = amount * WAD
    if units != units.to_integral_value():
        raise fail("face_value", f"{value} has more than 18 decimals")
    return int(units)


def _date(value, fail, field: str) -> int:
    """A date (YAML's date, or YYYY-MM-DD) as its UTC-midnight unix time."""
    if isinstance(value, dt.datetime):
        raise fail(field, f"{value} has a time of day: give a date (YYYY-MM-DD)")
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise fail(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return (value - dt.date(1970, 1, 1)).days * 86_400


def _int(section: dict, key: str, fail, field: str, low: int, high: int) -> int:
    value = section.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(field, f"{value!r} is not a whole number")
    if not low <= value <= high:
        raise fail(field, f"{value} is outside {low}..{high}")
    return value


def _coupon(section, fail, where: str) -> CouponTerms:
    if not isinstance(section, dict):
        raise fail("coupon", "expected a mapping")
    _unknown(section, COUPON_KEYS, where, "coupon.")
    day_count = str(section.get("day_count", "ACT/360")).strip().upper()
    if day_count not in DAY_COUNTS:
        raise fail("coupon.day_count", f"{day_count!r} is not one of {', '.join(DAY_COUNTS)}")
    roll = str(section.get("roll", "unadjusted")).strip().lower()
    if roll not in ROLLS:
        raise fail("coupon.roll", f"{roll!r} is not one of {', '.join(ROLLS)}")
    index = section.get("floating_index", 0) or 0
    if isinstance(index, str):
        if index.upper() not in FLOATING_INDEXES:
            raise fail(
                "coupon.floating_index", f"{index!r} is not one of {', '.join(FLOATING_INDEXES)}"
            )
        index = FLOATING_INDEXES[index.upper()]
    frequency = _int(section, "frequency", fail, "coupon.frequency", 0, 12)
    if frequency not in (0, 1, 2, 4, 12):
        raise fail("coupon.frequency", f"{frequency} is not 0, 1, 2, 4 or 12 coupons a year")
    return CouponTerms(
        fixed_rate_bps=_int(section, "fixed_rate_bps", fail, "coupon.fixed_rate_bps", 0, 65_535),
        floating_index=_int({"i": index}, "i", fail, "coupon.floating_index", 0, 65_535),
        spread_bps=_int(section, "spread_bps", fail, "coupon.spread_bps", -32_768, 32_767),
        frequency=frequency,
        day_count=DAY_COUNTS[day_count],
        roll=ROLLS[roll],
        record_date_offset_days=_int(
            section, "record_date_offset_days", fail, "coupon.record_date_offset_days", 0, 65_535
        ),
    )


def _call(section, fail, where: str) -> CallTerms:
    if section is None:
        return CallTerms()
    if not isinstance(section, dict):
        raise fail("call", "expected a mapping")
    _unknown(section, CALL_KEYS, where, "call.")
    if "first_call_date" not in section:
        raise fail("call.first_call_date", "missing")
    return CallTerms(
        True,
        _date(section["first_call_date"], fail, "call.first_call_date"),
        _int(section, "call_price_bps", fail, "call.call_price_bps", 0, 65_535),
    )
