// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {IFundDesk} from "../../interfaces/IFundDesk.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {ISettlementAssets, SettlementAssetConfig, SettlementAssetType} from "../../interfaces/ISettlementAssets.sol";

/// @title FundDesk
/// @notice One share class dealt in several settlement assets: routes requests to the vault of
/// the preferred asset and strikes every vault at one NAV (see IFundDesk).
contract FundDesk is IFundDesk, AuthorityInit, ReentrancyGuardTransient {
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.Uint256Slot;

    /// @notice Vaults per desk: one per settlement asset, as many as SettlementAssets lists
    /// (its MAX_ASSETS); bounds every loop here and the accepted masks' bits.
    uint256 public constant MAX_VAULTS = 16;
    /// @dev The NAV of the desk's strike in progress (transient: 0 outside `strike()`).
    /// keccak256("quantera.FundDesk.strikeNav") - 1.
    bytes32 private constant STRIKE_NAV_SLOT = 0x169e5ce00048d6d7479548e86773956f451e5aa0f2faa239b11bacbcf5e4f07f;

    address internal immutable SHARE;
    ISettlementAssets internal immutable ASSETS;
    IFundNavSource internal immutable NAV_SOURCE;
    uint256 internal immutable INSTRUMENT_ID;

    IFundVault[] internal _vaults;
    /// @dev The asset of each vault, same index (read when routing without calling the vaults).
    address[] internal _assets;
    mapping(address asset => IFundVault) internal _vaultOf;
    /// @dev Index + 1 of each vault (0: not a vault of this desk).
    mapping(address vault => uint256) internal _slotOf;
    /// @dev Routing order, a hint: byte `p` is the index of the vault tried `p`-th, by the rank its
    /// asset had when the vault was added (ties: the lower index first). Only the order in which
    /// `preferredPayout` sees the candidates (the best first: it then prices no other); the ranks
    /// it compares are SettlementAssets' current ones, so a stale hint costs gas, never the choice.
    uint256 internal _routeOrder;
    /// @dev Byte `i`: the rank of vault `i`'s asset when it was added (builds `_routeOrder`).
    uint256 internal _addedRanks;

    /// @dev The implementation (immutables only): the desk runs behind a GovernedProxy, whose
    /// constructor sets its authority (`initialize`, AuthorityInit).
    constructor(address share_, ISettlementAssets assets_, IFundNavSource navSource_, uint256 instrumentId_) {
        if (share_ == address(0) || address(assets_) == address(0) || address(navSource_) == address(0)) {
            revert ZeroAddress();
        }
        SHARE = share_;
        ASSETS = assets_;
        NAV_SOURCE = navSource_;
        INSTRUMENT_ID = instrumentId_;
    }

    // ================================================================ governance

    /// @inheritdoc IFundDesk
    function addVault(IFundVault vault_) external restricted returns (uint256 index) {
        (IFundNavSource source, uint256 id) = vault_.navSource();
        address vaultShare = vault_.share();
        if (vaultShare != SHARE || address(source) != address(this) || id != INSTRUMENT_ID) {
            revert VaultMismatch(address(vault_), vaultShare, address(source), id);
        }
        address asset = vault_.asset();
        if (!ASSETS.isListed(asset)) revert AssetNotListed(asset);
        IFundVault existing = _vaultOf[asset];
        if (address(existing) != address(0)) revert AssetHasVault(asset, address(existing));
        index = _vaults.length;
        if (index >= MAX_VAULTS) revert TooManyVaults(index + 1, MAX_VAULTS);

        (SettlementAssetConfig memory config,) = ASSETS.configOf(asset);
        // A vault deals its asset at par with the NAV's currency: a pegged asset only (SEC-34).
        if (config.assetType == SettlementAssetType.Crypto) revert UnpeggedAsset(asset, config.assetType);
        (uint256 order, uint256 ranks) = _withRouteEntry(_routeOrder, _addedRanks, index, config.rank);

        _vaults.push(vault_);
        _assets.push(asset);
        _vaultOf[asset] = vault_;
        _slotOf[address(vault_)] = index + 1;
        (_routeOrder, _addedRanks) = (order, ranks);
        emit VaultAdded(asset, address(vault_), index);
    }

    // ================================================================ NAV agent

    /// @inheritdoc IFundDesk
    function strike() external restricted nonReentrant returns (uint256 nav18, uint256 struckMask) {
        return _strike(false, 0);
    }

    /// @inheritdoc IFundDesk
    function strike(uint256 declarations) external restricted nonReentrant returns (uint256 nav18, uint256 struckMask) {
        return _strike(true, declarations);
    }

    /// @inheritdoc IFundNavSource
    /// @dev Only a vault of this desk, within the desk's `strike()`: the NAV it struck.
    function strikeNav(uint256 instrumentId) external view returns (uint256 nav18) {
        if (instrumentId != INSTRUMENT_ID) revert UnknownInstrument(instrumentId, INSTRUMENT_ID);
        nav18 = STRIKE_NAV_SLOT.asUint256().tload();
        if (nav18 == 0 || _slotOf[msg.sender] == 0) revert StrikeOutsideDesk(msg.sender);
    }

    /// @inheritdoc IFundNavSource
    function isDealing(uint256 instrumentId) external view returns (bool) {
        if (instrumentId != INSTRUMENT_ID) revert UnknownInstrument(instrumentId, INSTRUMENT_ID);
        return NAV_SOURCE.isDealing(instrumentId);
    }

    /// @inheritdoc IFundNavSource
    function isWoundUp(uint256 instrumentId) external view returns (bool) {
        if (instrumentId != INSTRUMENT_ID) revert UnknownInstrument(instrumentId, INSTRUMENT_ID);
        return NAV_SOURCE.isWoundUp(instrumentId);
    }

    /// @inheritdoc IFundNavSource
    /// @dev The desk's SettlementAssets' answer (the desk lists the assets its vaults deal in).
    function assetAtPar(uint256 instrumentId, address asset) external view returns (bool, uint256, uint256) {
        if (instrumentId != INSTRUMENT_ID) revert UnknownInstrument(instrumentId, INSTRUMENT_ID);
        return ASSETS.atPar(asset);
    }

    /// @inheritdoc IFundNavSource
    /// @dev Two views of each other vault (bounded: at most MAX_VAULTS).
    function unmintedSharesBesides(uint256 instrumentId, address vault_) external view returns (uint256 shares) {
        if (instrumentId != INSTRUMENT_ID) revert UnknownInstrument(instrumentId, INSTRUMENT_ID);
        uint256 n = _vaults.length;
        for (uint256 i; i < n; ++i) {
            IFundVault v = _vaults[i];
            if (address(v) == vault_) continue;
            (uint256 owed,,) = v.heldFees();
            shares += owed + v.unclaimedShares();
        }
    }

    // ================================================================ investors

    /// @inheritdoc IFundDesk
    function requestDeposit(address asset, uint256 assets, address controller)
        external
        nonReentrant
        returns (address vault_)
    {
        IFundVault target = _vaultOf[asset];
        if (address(target) == address(0)) revert NoVaultForAsset(asset);
        (uint256 price18, uint256 deviationBps, bool depegged) = ASSETS.pegOf(asset);
        if (depegged) revert AssetDepegged(asset, price18, deviationBps);
        // Re-listed without a peg since its vault was added: no subscription at par (SEC-34).
        SettlementAssetType assetType = _assetType(asset);
        if (assetType == SettlementAssetType.Crypto) revert UnpeggedAsset(asset, assetType);
        // The vault's own request: the caller owns the assets; the desk is its operator there.
        target.requestDeposit(assets, controller, msg.sender);
        return address(target);
    }

    /// @inheritdoc IFundDesk
    function requestRedeem(uint256 shares, address controller, uint256 acceptedMask)
        external
        nonReentrant
        returns (address vault_)
    {
        (IFundVault target, address asset) = _route(shares, acceptedMask);
        emit RedeemRouted(msg.sender, controller, address(target), asset, shares, acceptedMask, false);
        // The vault's own request: the escrow is its rule-checked transfer from the caller.
        target.requestRedeem(shares, controller, msg.sender);
        return address(target);
    }

    /// @inheritdoc IFundDesk
    function instantRedeem(uint256 shares, address receiver, uint256 acceptedMask)
        external
        nonReentrant
        returns (address vault_, uint256 assets)
    {
        (IFundVault target, address asset) = _route(shares, acceptedMask);
        emit RedeemRouted(msg.sender, receiver, address(target), asset, shares, acceptedMask, true);
        assets = target.instantRedeem(shares, receiver, msg.sender);
        return (address(target), assets);
    }

    // ================================================================ views

    /// @inheritdoc IFundDesk
    function payoutVault(uint256 shares, uint256 acceptedMask) external view returns (address, address) {
        (IFundVault target, address asset) = _choose(shares, acceptedMask);
        return (address(target), asset);
    }

    /// @inheritdoc IFundDesk
    function vault(address asset) external view returns (address) {
        return address(_vaultOf[asset]);
    }

    /// @inheritdoc IFundDesk
    function vaults() external view returns (address[] memory list) {
        IFundVault[] memory stored = _vaults;
        // Same layout: an array of addresses.
        assembly ("memory-safe") {
            list := stored
        }
    }

    /// @inheritdoc IFundDesk
    function allVaultsMask() external view returns (uint256) {
        return (1 << _vaults.length) - 1;
    }

    /// @inheritdoc IFundDesk
    function share() external view returns (address) {
        return SHARE;
    }

    /// @inheritdoc IFundDesk
    function settlementAssets() external view returns (ISettlementAssets) {
        return ASSETS;
    }

    /// @inheritdoc IFundDesk
    function navSource() external view returns (IFundNavSource, uint256) {
        return (NAV_SOURCE, INSTRUMENT_ID);
    }

    // ================================================================ internal

    /// @dev `strike()`, and `strike(declarations)` when `bound`: each vault then checks the count
    /// (SEC-183).
    function _strike(bool bound, uint256 declarations) internal returns (uint256 nav18, uint256 struckMask) {
        uint256 n = _vaults.length;
        uint256 earliest = type(uint256).max;
        // Bounded: n <= MAX_VAULTS. One read of each vault's open period.
        for (uint256 i; i < n; ++i) {
            (, uint256 cutoff,,,,) = _vaults[i].dealing();
            if (block.timestamp >= cutoff) struckMask |= 1 << i;
            else if (cutoff < earliest) earliest = cutoff;
        }
        if (struckMask == 0) revert NothingDue(earliest);
        // The registry records the checkpoint (the desk is the instrument's fund of record) and
        // answers; every vault struck below reads this NAV back through `strikeNav`.
        nav18 = NAV_SOURCE.strikeNav(INSTRUMENT_ID);

        emit DeskStruck(nav18, struckMask);
        // Every vault's management fee up to now first, on the class's shares before any vault's
        // deposits and burns of this strike (the fee vault's base counts the others', SEC-181).
        // Bounded: n <= MAX_VAULTS; anyone's call, which pays only the schedule's recipient.
        for (uint256 i; i < n; ++i) {
            _vaults[i].accrueFees();
        }
        STRIKE_NAV_SLOT.asUint256().tstore(nav18);
        // Bounded: n <= MAX_VAULTS; each vault's strike is O(1) (its own fixed slots).
        for (uint256 i; i < n; ++i) {
            if (struckMask & (1 << i) == 0) continue;
            if (bound) _vaults[i].strike(declarations);
            else _vaults[i].strike();
        }
        STRIKE_NAV_SLOT.asUint256().tstore(0);
    }

    function _route(uint256 shares, uint256 acceptedMask) internal view returns (IFundVault target, address asset) {
        (target, asset) = _choose(shares, acceptedMask);
        if (address(target) == address(0)) revert NoPayoutAsset(acceptedMask, shares);
    }

    /// @dev The accepted vaults in routing order go to SettlementAssets' `preferredPayout`, which
    /// returns the listed, pegged asset of lowest rank (as holding "enough": the liquidity is
    /// tested here, at the vault's own NAV); if its vault's free cash does not cover `shares`, it
    /// leaves the list and the next best is asked for. The routing order puts the best first, so
    /// in the usual case one asset is priced and one vault read.
    function _choose(uint256 shares, uint256 acceptedMask) internal view returns (IFundVault, address) {
        uint256 n = _vaults.length;
        uint256 order = _routeOrder;
        address[] memory accepted = new address[](n);
        uint256[] memory held = new uint256[](n);
        uint256 count;
        // Bounded: n <= MAX_VAULTS.
        for (uint256 p; p < n; ++p) {
            uint256 i = (order >> (8 * p)) & 0xff;
            if (acceptedMask & (1 << i) == 0) continue;
            (accepted[count], held[count]) = (_assets[i], type(uint256).max);
            ++count;
        }
        // Bounded: each round drops one of at most MAX_VAULTS candidates.
        while (count != 0) {
            assembly ("memory-safe") {
                mstore(accepted, count)
                mstore(held, count)
            }
            // The value it converts is not used: every entry holds "enough" (tested below).
            (address asset,) = ASSETS.preferredPayout(accepted, held, 0);
            if (asset == address(0)) break;
            IFundVault v = _vaultOf[asset];
            uint256 needed = v.convertToAssets(shares);
            // An asset re-listed without a peg is never paid at par (SEC-34): skipped.
            if (needed != 0 && v.freeCash() >= needed && _assetType(asset) != SettlementAssetType.Crypto) {
                return (v, asset);
            }
            count = _without(accepted, count, asset);
        }
        return (IFundVault(address(0)), address(0));
    }

    /// @dev `asset`'s type as SettlementAssets lists it now (a delisted asset is never routed to:
    /// `preferredPayout` skips it, `pegOf` refuses it first).
    function _assetType(address asset) internal view returns (SettlementAssetType) {
        (SettlementAssetConfig memory config,) = ASSETS.configOf(asset);
        return config.assetType;
    }

    /// @dev `list[0:count]` without `asset` (which it holds), the order kept; the new count.
    function _without(address[] memory list, uint256 count, address asset) internal pure returns (uint256) {
        uint256 k;
        // Bounded: count <= MAX_VAULTS.
        while (list[k] != asset) ++k;
        for (; k + 1 < count; ++k) {
            list[k] = list[k + 1];
        }
        return count - 1;
    }

    /// @dev The routing order with vault `index` (rank `rank`) placed after every vault of a rank
    /// at most its own, and the ranks with its own.
    function _withRouteEntry(uint256 order, uint256 ranks, uint256 index, uint256 rank)
        internal
        pure
        returns (uint256, uint256)
    {
        uint256 position = index;
        // Bounded: index < MAX_VAULTS.
        for (uint256 p; p < index; ++p) {
            if ((ranks >> (8 * ((order >> (8 * p)) & 0xff))) & 0xff > rank) {
                position = p;
                break;
            }
        }
        // No overflow: at most MAX_VAULTS (16) bytes are used.
        uint256 below = order & ((1 << (8 * position)) - 1);
        uint256 above = (order >> (8 * position)) << (8 * (position + 1));
        return (below | (index << (8 * position)) | above, ranks | (rank << (8 * index)));
    }
}
