// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DecimalsToken
/// @notice Test-only ERC-20 with the decimals its deployer chooses and an open `mint`: a
/// settlement asset of 18, 24 or 36 decimals, which no local stablecoin has (LocalStablecoin: 6).
contract DecimalsToken is ERC20 {
    uint8 private immutable DECIMALS;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        DECIMALS = decimals_;
    }

    /// @notice Anyone mints (a test double: the tests fund themselves).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public view override returns (uint8) {
        return DECIMALS;
    }
}
