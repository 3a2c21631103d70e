// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title UpgradeProbeV1
/// @notice Test-only: a stateful implementation behind a GovernedProxy (issue 34's governance
/// tests): balances in a mapping and a 32-bit clock, written through the proxy.
contract UpgradeProbeV1 {
    mapping(address holder => uint256) public balanceOf;
    uint32 public clock;

    function credit(address holder, uint256 amount) external {
        balanceOf[holder] += amount;
    }

    function tick(uint32 at) external {
        clock = at;
    }

    function version() external pure virtual returns (uint256) {
        return 1;
    }
}

/// @title UpgradeProbeV2
/// @notice Test-only: the next version, the same storage and one more answer.
contract UpgradeProbeV2 is UpgradeProbeV1 {
    function version() external pure override returns (uint256) {
        return 2;
    }
}
