// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IFundNavSource} from "../../interfaces/IFundVault.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";

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

    /// @dev A settlement asset's peg as set by a test (`setAssetPeg`); unset: at par.
    struct Peg {
        bool set;
        bool atPar;
        uint128 price18;
    }

    IOracleRouter public immutable router;
    mapping(uint256 instrumentId => Instrument) public instruments;
    mapping(uint256 instrumentId => bool) public woundUp;
    mapping(address asset => Peg) public pegs;
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

    /// @notice The instrument matured or closed (never deals again): also stops dealing.
    function setWoundUp(uint256 instrumentId, bool woundUp_) external {
        woundUp[instrumentId] = woundUp_;
        if (woundUp_) instruments[instrumentId].dealing = false;
    }

    /// @notice `asset` taken at par (`atPar`) or not, at `price18` (its deviation from par derived).
    function setAssetPeg(address asset, bool atPar, uint128 price18) external {
        pegs[asset] = Peg(true, atPar, price18);
    }

    /// @inheritdoc IFundNavSource
    function strikeNav(uint256 instrumentId) external returns (uint256 nav18) {
        Instrument memory i = instruments[instrumentId];
        if (msg.sender != i.striker) revert NotStriker(msg.sender, i.striker);
        if (!i.dealing) revert InstrumentNotDealing(instrumentId);
        uint256 reportedAt;
        (, nav18, reportedAt) = router.priceOf(i.share);
        if (nav18 == 0) nav18 = router.price(i.share); // reverts with the router's reason
        // As the registry (SEC-137): not a NAV reported before the share's last declaration.
        (bool ok, bytes memory data) = i.share.staticcall(abi.encodeCall(IIncomeShareToken.incomeIndex, ()));
        if (ok && data.length >= 96) {
            (,, uint256 declaredAt) = abi.decode(data, (uint256, uint256, uint256));
            if (declaredAt >= reportedAt && declaredAt != 0) {
                revert NavPredatesDeclaration(instrumentId, reportedAt, declaredAt);
            }
        }
        checkpoints[instrumentId][i.checkpoints] =
            Checkpoint(uint64(block.number), uint64(block.timestamp), uint128(nav18));
        instruments[instrumentId].checkpoints = i.checkpoints + 1;
        emit NavStruck(instrumentId, i.checkpoints, nav18);
    }

    /// @inheritdoc IFundNavSource
    function isDealing(uint256 instrumentId) external view returns (bool) {
        return instruments[instrumentId].dealing;
    }

    /// @inheritdoc IFundNavSource
    function isWoundUp(uint256 instrumentId) external view returns (bool) {
        return woundUp[instrumentId];
    }

    /// @inheritdoc IFundNavSource
    /// @dev As the registry: 0 (the instrument's vault is its class's only one).
    function unmintedSharesBesides(uint256, address) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IFundNavSource
    function assetAtPar(uint256, address asset) external view returns (bool, uint256, uint256) {
        Peg memory peg = pegs[asset];
        if (!peg.set) return (true, 1e18, 0);
        uint256 price = peg.price18;
        uint256 distance = price > 1e18 ? price - 1e18 : 1e18 - price;
        return (peg.atPar, price, (distance * 10_000 + 1e18 - 1) / 1e18);
    }
}
