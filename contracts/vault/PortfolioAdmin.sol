// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IPortfolioVault, TradeLimits} from "../../interfaces/IPortfolioVault.sol";
import {VaultLayout} from "./VaultLayout.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {ShareCompliance} from "../libraries/ShareCompliance.sol";

/// @title PortfolioAdmin
/// @notice The PortfolioVault's governance (GOVERNOR: `addAsset`, `setVenue`, `setDealingFee`,
/// `setTradeLimits`, `setShareCompliance`), outside the vault for its size: a module run by a
/// PortfolioVault's DELEGATECALL only (`Dispatch`), after the vault's own access check
/// (`restricted`, in the vault's context), on the vault's storage (VaultLayout, listed first in
/// both): it writes the vault's settings and emits the vault's events, exactly as the vault's own
/// functions did. One deployment serves every vault of a build (recorded under its init code's
/// hash), as the basket module does. Kept apart from the basket module (PortfolioBasket) so that
/// module's trade path compiles as before: helpers shared with governance would no longer be
/// inlined there.
/// @dev NOT checked here: the caller's role (the vault's stub checks it before it delegates). The
/// identity registry is the vault's own (its immutable, read by a call to itself). Called
/// directly, every function but `moduleId` reverts `DirectCall` (DelegatedModule).
contract PortfolioAdmin is VaultLayout, DelegatedModule {
    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return ADMIN_MODULE_ID;
    }

    /// @notice IPortfolioVault.addAsset, as the vault.
    function addAsset(address token) external onlyDelegated {
        uint256 count = _assets.length;
        if (count >= MAX_ASSETS) revert IPortfolioVault.TooManyAssets(MAX_ASSETS);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            if (_assets[i] == token) revert IPortfolioVault.AssetAlreadyListed(token);
        }
        // An asset is never removed, and every exit reads its balance: one that cannot answer it
        // (no code: no return data; not an ERC-20) or is beyond the valuation's 36 decimals would
        // lock the vault.
        _balanceOf(token); // Reverts BalanceUnavailable.
        if (IERC20Metadata(token).decimals() > MAX_ASSET_DECIMALS) revert IPortfolioVault.AssetNotSupported(token);
        _assets.push(token);
        emit IPortfolioVault.AssetAdded(token, count);
    }

    /// @notice IPortfolioVault.setVenue, as the vault.
    function setVenue(address venue, bool allowed) external onlyDelegated {
        emit IPortfolioVault.VenueSet(venue, _isVenue[venue], allowed);
        _isVenue[venue] = allowed;
    }

    /// @notice IPortfolioVault.setDealingFee, as the vault.
    function setDealingFee(uint16 feeBps) external onlyDelegated {
        if (feeBps > MAX_DEALING_FEE_BPS) revert IPortfolioVault.DealingFeeTooHigh(feeBps, MAX_DEALING_FEE_BPS);
        emit IPortfolioVault.DealingFeeSet(_dealingFeeBps, feeBps);
        _dealingFeeBps = feeBps;
    }

    /// @notice IPortfolioVault.setTradeLimits, as the vault.
    function setTradeLimits(uint16 maxSlippageBps, uint96 lossBudget, uint32 lossRefillPeriod) external onlyDelegated {
        if (
            maxSlippageBps > MAX_SLIPPAGE_BPS || lossRefillPeriod < MIN_LOSS_REFILL_PERIOD
                || lossRefillPeriod > MAX_LOSS_REFILL_PERIOD
        ) revert IPortfolioVault.InvalidTradeLimits(maxSlippageBps, lossBudget, lossRefillPeriod);
        TradeLimits memory next = TradeLimits(maxSlippageBps, lossBudget, lossRefillPeriod);
        emit IPortfolioVault.TradeLimitsSet(_tradeLimits, next);
        _tradeLimits = next; // The loss already used carries over.
    }

    /// @notice IPortfolioVault.setShareCompliance, as the vault (the registry the engine must judge
    /// with is the vault's immutable, read by a call to the vault itself).
    function setShareCompliance(address engine) external onlyDelegated {
        emit IPortfolioVault.ShareComplianceSet(_shareCompliance, engine);
        _shareCompliance = engine;
        ShareCompliance.bind(engine, address(IPortfolioVault(address(this)).registry()));
    }
}
