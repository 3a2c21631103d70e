"""What an account's code says about it, read without running it."""

from __future__ import annotations

from eth_utils import to_checksum_address

#: An EIP-7702 delegated account's code: this prefix, then its target (23 bytes in all).
DELEGATION_PREFIX = bytes.fromhex("ef0100")


def delegate_of(code: bytes) -> str | None:
    """The target of an EIP-7702 delegated account (its code is a delegation designator, and its
    key still signs for it), or None for any other code."""
    code = bytes(code)
    if len(code) == 23 and code.startswith(DELEGATION_PREFIX):
        return to_checksum_address(code[3:])
    return None
