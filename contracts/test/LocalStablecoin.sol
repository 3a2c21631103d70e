// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title LocalStablecoin
/// @notice The settlement stablecoin on local networks (6 decimals, like USDC); live networks use
/// the real one, which also has an ERC-2612 `permit`. `mint` is restricted (deploy script: OPERATOR).
contract LocalStablecoin is ERC20, ERC20Permit, AccessManaged {
    constructor(address authority, string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessManaged(authority)
    {}

    function mint(address to, uint256 amount) external restricted {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
