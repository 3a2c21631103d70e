// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IMorphoOracle} from "../../interfaces/external/IMorphoOracle.sol";

/// @title MorphoOracleAdapter
/// @notice A Morpho Blue market's oracle for one (collateral, loan) pair, priced by the
/// OracleRouter: the prime-brokerage baseline runs Morpho on the same prices as the PrimeBroker.
/// @dev `price() = routerPrice(collateral) * 10**(36 + loanDecimals - collateralDecimals) /
/// routerPrice(loan)`, rounded down (the router's prices are 18-decimal USD per whole token, so
/// their ratio is loan tokens per collateral token). Warning: inherits the router's validation
/// only — a stale, out-of-bounds or missing feed reverts `PriceUnavailable` inside Morpho, which
/// then refuses borrows, collateral withdrawals and liquidations until the feed recovers. Stateless
/// and ownerless: a new pair or router is a new adapter (Morpho fixes a market's oracle at creation).
contract MorphoOracleAdapter is IMorphoOracle {
    /// @notice Morpho's price scale.
    uint256 public constant MORPHO_PRICE_DECIMALS = 36;

    IOracleRouter public immutable router;
    address public immutable collateral;
    address public immutable loan;
    /// @notice 10**(36 + loanDecimals - collateralDecimals), fixed at deployment.
    uint256 public immutable scale;

    /// @notice The pair's decimals give no representable scale (collateral decimals above
    /// 36 + loan decimals, or a scale past 10**77).
    error UnsupportedDecimals(address collateral, uint8 collateralDecimals, address loan, uint8 loanDecimals);

    constructor(IOracleRouter router_, address collateral_, address loan_) {
        uint8 collateralDecimals = IERC20Metadata(collateral_).decimals();
        uint8 loanDecimals = IERC20Metadata(loan_).decimals();
        uint256 exponent = MORPHO_PRICE_DECIMALS + loanDecimals;
        if (collateralDecimals > exponent || exponent - collateralDecimals > 77) {
            revert UnsupportedDecimals(collateral_, collateralDecimals, loan_, loanDecimals);
        }
        router = router_;
        collateral = collateral_;
        loan = loan_;
        scale = 10 ** (exponent - collateralDecimals);
    }

    /// @inheritdoc IMorphoOracle
    function price() external view returns (uint256) {
        // 512-bit intermediate: a large scale times an 18-decimal price may pass 2**256.
        return Math.mulDiv(router.price(collateral), scale, router.price(loan));
    }
}
