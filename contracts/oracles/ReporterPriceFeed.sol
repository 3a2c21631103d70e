// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title ReporterPriceFeed
/// @notice A Chainlink `AggregatorV3Interface` feed written by a reporter key (the price keeper),
/// for local and test networks where no Chainlink feed exists. Live networks use real feeds.
/// @dev Role mapping (deploy script): `report` -> PRICE_REPORTER. Each report opens a new round
/// (`roundId` increments from 1; `answeredInRound == roundId`; `startedAt == updatedAt`), and
/// emits Chainlink's `AnswerUpdated` / `NewRound`, so Chainlink-aware keepers can listen to it.
contract ReporterPriceFeed is AggregatorV3Interface, AccessManaged {
    /// @notice Chainlink's `AggregatorInterface` events.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    error NoDataPresent(uint80 roundId);
    error InvalidAnswer(int256 answer);

    struct Round {
        int192 answer;
        uint64 updatedAt;
    }

    uint8 public immutable decimals;
    uint256 public constant version = 4;
    string public description;

    uint80 private _latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(address authority, uint8 decimals_, string memory description_) AccessManaged(authority) {
        decimals = decimals_;
        description = description_;
    }

    /// @notice Publishes a new answer at the current block's timestamp.
    function report(int256 answer) external restricted {
        if (answer <= 0 || answer > type(int192).max) revert InvalidAnswer(answer);
        uint80 roundId = _latestRound + 1;
        _latestRound = roundId;
        _rounds[roundId] = Round(int192(answer), uint64(block.timestamp));
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(_latestRound);
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory round = _rounds[roundId];
        if (round.updatedAt == 0) revert NoDataPresent(roundId);
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    function latestRound() external view returns (uint80) {
        return _latestRound;
    }
}
