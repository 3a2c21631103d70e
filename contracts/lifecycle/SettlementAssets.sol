// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ISettlementAssets, SettlementAssetConfig, SettlementAssetType} from "../../interfaces/ISettlementAssets.sol";
import {IOracleRouter, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {InstrumentRules} from "./InstrumentRules.sol";
import {SettlementAssetWord, SettlementAssetWordLibrary} from "../types/LifecycleWords.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title SettlementAssets
/// @notice The settlement assets funds may accept, typed and weighted, with their peg and
/// conversions at oracle prices (see ISettlementAssets).
contract SettlementAssets is ISettlementAssets, AuthorityInit {
    /// @notice Listed assets (bounds every loop over them, and `preferredPayout`'s lists).
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Basel's 1250% (Group 2 cryptoassets), the heaviest weight: 125,000 bps.
    uint32 public constant MAX_RISK_WEIGHT_BPS = 125_000;
    /// @notice Widest depeg threshold a pegged asset may be listed with (20% off par).
    uint16 public constant MAX_DEPEG_THRESHOLD_BPS = 2_000;
    /// @notice The most decimals a listed asset may have: the funds' and the servicers' amounts are
    /// sized for 18 (a FundVault's 96-bit requests hold 7.9e10 units of an 18-decimal asset, and
    /// would hold 7.9e-8 of a 36-decimal one; IBondServicer's indexes). SEC-39.
    uint8 public constant MAX_DECIMALS = InstrumentRules.MAX_ASSET_DECIMALS;
    /// @notice Par: 1.0 of the router's quote currency, in its 18 decimals.
    uint256 public constant PAR = 1e18;

    IOracleRouter public immutable oracle;

    mapping(address asset => SettlementAssetWord) private _assets;
    address[] private _list;

    /// @dev The implementation (immutables only): the list runs behind a GovernedProxy (issue 34),
    /// whose constructor sets its authority (`initialize`, AuthorityInit).
    constructor(IOracleRouter oracle_) {
        oracle = oracle_;
    }

    // ================================================================ GOVERNOR

    /// @inheritdoc ISettlementAssets
    function listAsset(address asset, SettlementAssetConfig calldata config) external restricted {
        SettlementAssetWord word = _assets[asset];
        bool listed = word.listed();
        if (!listed && _list.length >= MAX_ASSETS) revert TooManyAssets(_list.length + 1, MAX_ASSETS);
        uint32 floor = riskWeightFloorBps(config.assetType);
        if (config.riskWeightBps < floor || config.riskWeightBps > MAX_RISK_WEIGHT_BPS) {
            revert RiskWeightOutOfBounds(asset, config.riskWeightBps, floor, MAX_RISK_WEIGHT_BPS);
        }
        if (config.assetType == SettlementAssetType.Crypto) {
            if (config.depegThresholdBps != 0) revert DepegThresholdOutOfBounds(asset, config.depegThresholdBps, 0);
        } else if (config.depegThresholdBps == 0 || config.depegThresholdBps > MAX_DEPEG_THRESHOLD_BPS) {
            revert DepegThresholdOutOfBounds(asset, config.depegThresholdBps, MAX_DEPEG_THRESHOLD_BPS);
        }
        uint8 decimals = _decimalsOf(asset);
        if (address(oracle.feedOf(asset).primary) == address(0)) revert NoPriceFeed(asset);
        // No truncation: the list holds at most MAX_ASSETS (16) entries.
        uint8 index = listed ? word.index() : uint8(_list.length);
        if (!listed) _list.push(asset);
        _assets[asset] = SettlementAssetWordLibrary.pack(
            config.assetType, config.riskWeightBps, config.rank, config.depegThresholdBps, decimals, index
        );
        emit AssetListed(asset, _config(word), config);
    }

    /// @inheritdoc ISettlementAssets
    function delistAsset(address asset) external restricted {
        SettlementAssetWord word = _known(asset);
        // Swap and pop: the last entry takes the removed one's place (and index).
        uint8 index = word.index();
        address last = _list[_list.length - 1];
        _list[index] = last;
        _list.pop();
        if (last != asset) _assets[last] = _assets[last].setIndex(index);
        _assets[asset] = SettlementAssetWord.wrap(0);
        emit AssetDelisted(asset, _config(word));
    }

    // ================================================================ views

    /// @inheritdoc ISettlementAssets
    function isListed(address asset) external view returns (bool) {
        return _assets[asset].listed();
    }

    /// @inheritdoc ISettlementAssets
    function assets() external view returns (address[] memory) {
        return _list;
    }

    /// @inheritdoc ISettlementAssets
    function configOf(address asset) external view returns (SettlementAssetConfig memory config, uint8 decimals) {
        SettlementAssetWord word = _known(asset);
        return (_config(word), word.decimals());
    }

    /// @inheritdoc ISettlementAssets
    function riskWeightFloorBps(SettlementAssetType assetType) public pure returns (uint32) {
        if (assetType == SettlementAssetType.WholesaleCbdc) return 0;
        if (assetType == SettlementAssetType.TokenizedDeposit) return 2_000;
        if (assetType == SettlementAssetType.ReserveBacked) return uint32(BPS);
        return MAX_RISK_WEIGHT_BPS; // Stablecoin, Crypto: Group 2.
    }

    /// @inheritdoc ISettlementAssets
    function pegOf(address asset) public view returns (uint256 price18, uint256 deviationBps, bool depegged) {
        SettlementAssetWord word = _known(asset);
        (, price18,) = oracle.priceOf(asset);
        if (price18 == 0) return (0, 0, true);
        uint256 distance;
        (distance, depegged) = _offPeg(word, price18);
        deviationBps = Math.mulDiv(distance, BPS, PAR, Math.Rounding.Ceil);
    }

    /// @inheritdoc ISettlementAssets
    function isDepegged(address asset) external view returns (bool depegged) {
        (,, depegged) = pegOf(asset);
    }

    /// @inheritdoc ISettlementAssets
    function atPar(address asset) external view returns (bool, uint256 price18, uint256 deviationBps) {
        SettlementAssetWord word = _assets[asset];
        if (!word.listed()) return (false, 0, 0);
        (, price18,) = oracle.priceOf(asset);
        if (price18 == 0) return (false, 0, 0);
        (uint256 distance, bool depegged) = _offPeg(word, price18);
        deviationBps = Math.mulDiv(distance, BPS, PAR, Math.Rounding.Ceil);
        // An unpegged asset (`Crypto`, distance 0) is never taken at par (SEC-34).
        return (!depegged && word.assetType() != SettlementAssetType.Crypto, price18, deviationBps);
    }

    /// @inheritdoc ISettlementAssets
    function convert(address from, address to, uint256 amount) external view returns (uint256) {
        (uint256 fromPrice, uint8 fromDecimals) = _usablePrice(from);
        (uint256 toPrice, uint8 toDecimals) = _usablePrice(to);
        if (from == to) return amount;
        // Rounded down: the caller receiving `to` never gains from rounding.
        return Math.mulDiv(amount, fromPrice * 10 ** toDecimals, toPrice * 10 ** fromDecimals);
    }

    /// @inheritdoc ISettlementAssets
    function preferredPayout(address[] calldata accepted, uint256[] calldata held, uint256 value18)
        external
        view
        returns (address asset, uint256 amount)
    {
        uint256 n = accepted.length;
        if (held.length != n) revert LengthMismatch(n, held.length);
        if (n > MAX_ASSETS) revert TooManyAssets(n, MAX_ASSETS);
        uint256 bestRank = type(uint256).max;
        // Bounded: n <= MAX_ASSETS (one oracle read per listed entry).
        for (uint256 i; i < n; ++i) {
            SettlementAssetWord word = _assets[accepted[i]];
            // Unlisted entries and those no better than the best found are skipped unread.
            if (!word.listed() || word.rank() >= bestRank) continue;
            (uint256 price18,, bool depegged) = pegOf(accepted[i]);
            if (depegged) continue;
            uint256 needed = Math.mulDiv(value18, 10 ** word.decimals(), price18);
            if (held[i] < needed) continue;
            (asset, amount, bestRank) = (accepted[i], needed, word.rank());
        }
    }

    // ================================================================ internal

    function _known(address asset) internal view returns (SettlementAssetWord word) {
        word = _assets[asset];
        if (!word.listed()) revert UnknownAsset(asset);
    }

    /// @dev A listed asset's price and decimals, reverting when it is unpriced or depegged.
    function _usablePrice(address asset) internal view returns (uint256 price18, uint8 decimals) {
        SettlementAssetWord word = _known(asset);
        PriceStatus status;
        (status, price18,) = oracle.priceOf(asset);
        if (price18 == 0) revert AssetUnpriced(asset, status);
        (, bool depegged) = _offPeg(word, price18);
        if (depegged) revert AssetDepegged(asset, price18, word.depegThresholdBps());
        return (price18, word.decimals());
    }

    /// @dev A priced asset's distance from par (0 for `Crypto`, which has no peg) and whether it is
    /// beyond the threshold: compared exactly, not through the rounded deviation, so exactly at the
    /// threshold is not depegged.
    function _offPeg(SettlementAssetWord word, uint256 price18) internal pure returns (uint256 distance, bool) {
        if (word.assetType() == SettlementAssetType.Crypto) return (0, false);
        distance = price18 > PAR ? price18 - PAR : PAR - price18;
        // No overflow: price18 is below 2**128 (the router's bounds).
        return (distance, distance * BPS > uint256(word.depegThresholdBps()) * PAR);
    }

    /// @dev The configuration a word holds (all zeros for an unlisted asset).
    function _config(SettlementAssetWord word) internal pure returns (SettlementAssetConfig memory) {
        return SettlementAssetConfig({
            assetType: word.assetType(),
            riskWeightBps: word.riskWeightBps(),
            rank: word.rank(),
            depegThresholdBps: word.depegThresholdBps()
        });
    }

    function _decimalsOf(address asset) internal view returns (uint8 decimals) {
        if (asset.code.length == 0) revert InvalidAsset(asset);
        try IERC20Metadata(asset).decimals() returns (uint8 d) {
            decimals = d;
        } catch {
            revert InvalidAsset(asset);
        }
        if (decimals > MAX_DECIMALS) revert UnsupportedDecimals(asset, decimals);
    }
}
