// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {INavVenue, INavVenueCallback, NavOrder} from "../../interfaces/INavVenue.sol";
import {PriceStatus} from "../../interfaces/IOracleRouter.sol";

/// @notice Test-only: an access authority that allows every call (a desk whose roles are not the
/// subject of the test).
contract OpenAuthority {
    function canCall(address, address, bytes4) external pure returns (bool, uint32) {
        return (true, 0);
    }
}

/// @notice Test-only: one NAV (18 decimals, status Ok) for every token.
contract FixedNavOracle {
    uint256 public immutable nav18;

    constructor(uint256 nav18_) {
        nav18 = nav18_;
    }

    function priceOf(address) external view returns (PriceStatus, uint256, uint256) {
        return (PriceStatus.Ok, nav18, block.timestamp);
    }
}

/// @notice Test-only: the red team's desk caller (docs/specs.md SEC-159). In the desk's payment
/// callback it claims the desk's own coupons to the desk, and pays only the rest: the desk
/// measures a payment by the growth of its balance.
contract CouponSkimmer is INavVenueCallback {
    IBondServicer public immutable servicer;

    constructor(IBondServicer servicer_) {
        servicer = servicer_;
    }

    function viaBasket(INavVenue desk, address fundToken, uint256 cashIn, address recipient) external {
        NavOrder[] memory orders = new NavOrder[](1);
        orders[0] = NavOrder(fundToken, true, cashIn, 0);
        desk.swapBasket(orders, recipient);
    }

    function viaCallback(INavVenue desk, address cash, address fundToken, uint256 cashIn, address recipient)
        external
    {
        desk.swapWithCallback(cash, fundToken, cashIn, 0, recipient, "");
    }

    /// As the desk's `swapBasket` asks for its inputs.
    function payForSwap(address token, address to, uint256 amount) external {
        uint256 skimmed = servicer.claimCoupons(msg.sender);
        if (skimmed < amount) IERC20(token).transfer(to, amount - skimmed);
    }

    function navVenueCallback(address tokenIn, uint256 amountIn, bytes calldata) external {
        uint256 skimmed = servicer.claimCoupons(msg.sender);
        if (skimmed < amountIn) IERC20(tokenIn).transfer(msg.sender, amountIn - skimmed);
    }
}
