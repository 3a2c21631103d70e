"""Errors the CLI reports as one line (no traceback)."""


class QuanteraError(Exception):
    """A user-facing failure: bad input, missing file, inconsistent state. The message is the
    whole explanation."""
