// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice One trade of a rebalance plan (`RebalanceMath.plan`): sell `sellAmount` of asset
/// `sellIndex` for at least `minBuyAmount` of asset `buyIndex`. A file-level type, so that the
/// rebalancer's interfaces name it without importing the library that computes it.
struct RebalanceTrade {
    uint256 sellIndex;
    uint256 buyIndex;
    uint256 sellAmount;
    /// Oracle value of the sale in the bought asset's units, less `slippageBps`.
    uint256 minBuyAmount;
    /// Oracle value of the sale, 18-decimal USD.
    uint256 value;
}
