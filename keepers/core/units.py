"""Units every domain shares, defined once (the Solidity side: contracts/libraries/Constants.sol)."""

# Basis points in one whole (100%): every `..._bps` figure is out of this.
BPS = 10_000
