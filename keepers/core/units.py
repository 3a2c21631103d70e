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
