// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title SettableFeed
/// @notice Test-only Chainlink-shaped feed whose answer, timestamp and failure mode the test sets
/// freely (negative answers, future timestamps, reverts): the cases a real feed cannot be made to
/// produce on demand. Every `set` opens a new round, kept for `getRoundData`; round ids are a
/// proxy's (`phaseId << 64 | aggregatorRound`, phase 1 from the start), and `startPhase` moves
/// the next round to the next phase's first (an aggregator upgrade behind a proxy).
contract SettableFeed {
    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    uint256 internal constant PHASE_OFFSET = 64;

    uint8 public decimals;
    bool public reverts;
    uint80 public latestRound;
    bool private _newPhase;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        latestRound = uint80(1 << PHASE_OFFSET);
        _rounds[latestRound] = Round(answer_, block.timestamp);
    }

    /// @notice Opens a new round answering `answer_` published at `updatedAt_`; `reverts_` makes
    /// every read revert.
    function set(int256 answer_, uint256 updatedAt_, bool reverts_) external {
        uint80 roundId =
            _newPhase ? uint80((((uint256(latestRound) >> PHASE_OFFSET) + 1) << PHASE_OFFSET) | 1) : latestRound + 1;
        (latestRound, _newPhase, reverts) = (roundId, false, reverts_);
        _rounds[roundId] = Round(answer_, updatedAt_);
    }

    /// @notice The next round opens the next phase (its aggregator round 1).
    function startPhase() external {
        _newPhase = true;
    }

    function answer() external view returns (int256) {
        return _rounds[latestRound].answer;
    }

    function updatedAt() external view returns (uint256) {
        return _rounds[latestRound].updatedAt;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        require(!reverts, "feed down");
        Round memory round = _rounds[roundId];
        require(round.updatedAt != 0 || roundId == latestRound, "No data present");
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }
}
