// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IMorphoOracle
/// @notice The oracle interface Morpho Blue (`@morpho-org/morpho-blue` 1.0.0, `IOracle`) reads for
/// a market: one price, of the market's collateral token in its loan token.
/// @dev `price()` is the value of one smallest unit of collateral in smallest units of the loan
/// token, scaled by 1e36: the price of 10**collateralDecimals collateral quoted in
/// 10**loanDecimals loan token, with `36 + loanDecimals - collateralDecimals` decimals.
/// Morpho reads it on every borrow, withdrawal of collateral and liquidation; a revert blocks
/// them (and so halts the market's liquidations: the market's oracle must be live).
interface IMorphoOracle {
    function price() external view returns (uint256);
}
