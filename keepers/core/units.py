"""Units every domain shares, defined once (the Solidity side:
contracts/libraries/Constants.sol)."""

# Basis points in one whole (100%): every `..._bps` figure is out of this.
BPS = 10_000

# Decimals of the local price feeds (ReporterPriceFeed) the deploy steps create and the keepers and
# the demo report to and read (Chainlink's USD feeds use the same).
FEED_DECIMALS = 8

# One whole in 18-decimal fixed point: every `..._wad` figure (rates, year fractions) is out of
# this.
WAD = 10**18
# IOracleRouter.PriceStatus, by index: Ok, PrimaryOnly and Fallback (below USABLE_PRICE_STATUS)
# carry a valid price; the others do not.
PRICE_STATUS = (
    "ok",
    "primary only",
    "fallback",
    "no feed",
    "feed reverted",
    "non-positive",
    "stale",
    "future timestamp",
    "out of bounds",
    "deviation",
)
USABLE_PRICE_STATUS = 3


def parse_units(value: str, decimals: int, what: str) -> int:
    """A positive decimal amount in whole units as base units; more decimals than the token has
    is an error, never silently cut."""
    from decimal import Decimal, InvalidOperation

    from keepers.core.errors import QuanteraError

    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise QuanteraError(f"{what} {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise QuanteraError(f"{what} must be a positive amount, not {value}")
    units = amount * (Decimal(10) ** decimals)
    if units != units.to_integral_value():
        raise QuanteraError(f"{what} {value} has more than {decimals} decimals")
    return int(units)


def format_units(amount: int, decimals: int) -> str:
    """Base units as whole units, exact, with thousands separators and no trailing zeros:
    `format_units(250_000 * 10**18 + 5, 18)` -> `250,000.000000000000000005`; `1_500_000, 6` ->
    `1.5`. What a person reads instead of base units."""
    sign, amount = ("-" if amount < 0 else ""), abs(int(amount))
    whole, fraction = divmod(amount, 10**decimals)
    digits = f"{fraction:0{decimals}d}".rstrip("0") if decimals else ""
    return f"{sign}{whole:,}" + (f".{digits}" if digits else "")


def format_amount(amount: int, decimals: int | None, symbol: str | None) -> str:
    """A token amount as a person reads it: whole units with the symbol (`250,000 QSPX`) when its
    unit is known, else its base units, grouped and said so (`1,000,000 base units`)."""
    if decimals is None:
        return f"{int(amount):,} base units"
    return f"{format_units(int(amount), decimals)} {symbol or ''}".rstrip()


def human_duration(seconds: int) -> str:
    """A duration as days, hours, minutes and seconds, the largest two units present: `1 d 1 h`,
    `1 h 1 min`, `45 s` (a negative one as 0 s)."""
    seconds = max(int(seconds), 0)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts[:2])


def iso_utc(timestamp: int) -> str:
    """A unix time as ISO 8601 in UTC, to the second: `2027-01-01T00:00:00Z` (what a person reads
    instead of seconds since 1970). Total: a time a calendar cannot write (past 9999-12-31, before
    year 1) is its number and why, never an exception (a chain value can be any uint)."""
    import datetime as dt

    seconds = int(timestamp)
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"{seconds} ({'beyond year 9999' if seconds > 0 else 'before year 1'})"
