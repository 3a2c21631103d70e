// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title SettableFeed
/// @notice Test-only Chainlink-shaped feed whose answer, timestamp and failure mode the test sets
/// freely (negative answers, future timestamps, reverts): the cases a real feed cannot be made to
/// produce on demand.
contract SettableFeed {
    uint8 public decimals;
    int256 public answer;
    uint256 public updatedAt;
    bool public reverts;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        answer = answer_;
        updatedAt = block.timestamp;
    }

    function set(int256 answer_, uint256 updatedAt_, bool reverts_) external {
        (answer, updatedAt, reverts) = (answer_, updatedAt_, reverts_);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        require(!reverts, "feed down");
        return (1, answer, updatedAt, updatedAt, 1);
    }
}
