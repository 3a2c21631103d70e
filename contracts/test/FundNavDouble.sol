// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IFundNavSource} from "../../interfaces/IFundVault.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";

/// @title FundNavDouble
/// @notice Test-only stand-in for the InstrumentRegistry's NAV side (IFundNavSource), doing what the
/// registry will: the NAV is the OracleRouter's validated price of the share token (a
/// ReporterPriceFeed on local networks), each strike is kept as a checkpoint (block, time, NAV),
/// only the instrument's vault may strike, and a dealing flag stands for the status machine.
/// @dev Unrestricted configuration: tests only. The real registry bounds the move per update and
/// owns the status machine.
contract FundNavDouble is IFundNavSource {
    struct Instrument {
        address share;
        uint32 checkpoints;
        bool dealing;
        address striker;
    }

    struct Checkpoint {
        uint64 blockNumber;
        uint64 time;
        uint128 nav18;
    }

    error NotStriker(address caller, address striker);
    error InstrumentNotDealing(uint256 instrumentId);

    event NavStruck(uint256 indexed instrumentId, uint256 indexed checkpoint, uint256 nav18);

    IOracleRouter public immutable router;
    mapping(uint256 instrumentId => Instrument) public instruments;
    mapping(uint256 instrumentId => mapping(uint256 index => Checkpoint)) public checkpoints;

    constructor(IOracleRouter router_) {
        router = router_;
    }

    function configure(uint256 instrumentId, address share, address striker, bool dealing) external {
        Instrument storage i = instruments[instrumentId];
        (i.share, i.striker, i.dealing) = (share, striker, dealing);
    }

    function setDealing(uint256 instrumentId, bool dealing) external {
        instruments[instrumentId].dealing = dealing;
    }

    /// @inheritdoc IFundNavSource
    function strikeNav(uint256 instrumentId) external returns (uint256 nav18) {
        Instrument memory i = instruments[instrumentId];
        if (msg.sender != i.striker) revert NotStriker(msg.sender, i.striker);
        if (!i.dealing) revert InstrumentNotDealing(instrumentId);
        nav18 = router.price(i.share);
        checkpoints[instrumentId][i.checkpoints] =
            Checkpoint(uint64(block.number), uint64(block.timestamp), uint128(nav18));
        instruments[instrumentId].checkpoints = i.checkpoints + 1;
        emit NavStruck(instrumentId, i.checkpoints, nav18);
    }

    /// @inheritdoc IFundNavSource
    function isDealing(uint256 instrumentId) external view returns (bool) {
        return instruments[instrumentId].dealing;
    }
}
