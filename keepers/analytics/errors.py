"""The analytics domain's one error: bad input, reported by the CLI as one line."""

from keepers.core.errors import QuanteraError


class AnalyticsError(QuanteraError, ValueError):
    """Inputs the analytics cannot use (shape, NaN, weights not summing to 1, too short a
    series); the message names the input and the value."""
