// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPortfolioVault, TradeLimits, Deal} from "../../interfaces/IPortfolioVault.sol";

/// @title VaultLayout
/// @notice The PortfolioVault's own storage, described once, its bounds, and the loss budget and
/// balance reads its parts share: the vault (ERC-4626 shares, deals, trades) and its two modules,
/// run by the vault's DELEGATECALL (`Dispatch`): the basket module (PortfolioBasket:
/// `tradeBasket`) and the governance module (PortfolioAdmin). All three list this base first, so
/// its variables take the same slots from slot 0 in each (the vault's ERC-20 and AccessManaged
/// variables follow it; the modules have no other). A test compares the layouts slot by slot.
/// @dev Code-free but for the loss-budget helpers and the balance reads the parts make: the
/// getters are the vault's.
abstract contract VaultLayout {
    /// @dev Most decimals a listed asset may have (the RiskEngine's and the valuation's bound;
    /// IPortfolioVault states it: no getter, for size).
    uint8 internal constant MAX_ASSET_DECIMALS = 36;
    /// @dev A base unit's price is kept as price18 x 10**(36 - decimals): 10**36 per 18-decimal USD.
    uint256 internal constant PRICE_SCALE = 1e36;
    /// @dev The basket module's id (DelegatedModule `moduleId`): bump it when this layout changes.
    bytes32 internal constant BASKET_MODULE_ID = keccak256("quantera.vault.PortfolioBasket.1");
    /// @dev The governance module's id (PortfolioAdmin): bump it when this layout changes.
    bytes32 internal constant ADMIN_MODULE_ID = keccak256("quantera.vault.PortfolioAdmin.1");
    /// @dev Assets held, settlement asset included (the RiskEngine's bound; IPortfolioVault states
    /// it: no getter, for size).
    uint256 internal constant MAX_ASSETS = 16;
    /// @dev Highest dealing fee (anti-dilution levy), bps of what is dealt (IPortfolioVault states
    /// it: no getter, for size).
    uint16 internal constant MAX_DEALING_FEE_BPS = 200;
    /// @dev Highest `maxSlippageBps` of the trade limits (the vault's `MAX_TRADE_SLIPPAGE_BPS`).
    uint16 internal constant MAX_SLIPPAGE_BPS = 1_000;
    /// @dev Shortest and longest loss refill period of the trade limits (SEC-51; IPortfolioVault
    /// states them: no getters, for size).
    uint32 internal constant MIN_LOSS_REFILL_PERIOD = 1 hours;
    uint32 internal constant MAX_LOSS_REFILL_PERIOD = 365 days;

    /// @dev What the trades lost at oracle prices by `at` (the loss budget's use, SEC-51).
    struct TradeLoss {
        uint96 used;
        uint40 at;
    }

    /// @dev The cash and provisional shares of every unsettled deal (SEC-53).
    struct Pending {
        uint128 shares;
        uint128 cash;
    }

    address[] internal _assets;
    mapping(address venue => bool) internal _isVenue;
    address internal _shareCompliance;
    uint16 internal _dealingFeeBps;
    TradeLimits internal _tradeLimits;
    TradeLoss internal _tradeLoss;
    Pending internal _pending;
    mapping(address holder => Deal) internal _deals;

    /// @dev Charges `loss` to the trade loss budget, or reverts when it exceeds what is available
    /// (SEC-51).
    function _chargeLoss(uint256 loss) internal {
        uint256 available = _lossAvailable();
        if (loss > available) revert IPortfolioVault.TradeLossBudgetExceeded(loss, available);
        // No truncation: budget - available is what is used now, plus loss <= available: <= budget (uint96).
        _tradeLoss = TradeLoss(uint96(_tradeLimits.lossBudget - available + loss), uint40(block.timestamp));
    }

    /// @dev Loss budget left now: what was used at the last charge, less the linear refill since.
    function _lossAvailable() internal view returns (uint256) {
        TradeLimits memory limits = _tradeLimits;
        TradeLoss memory used = _tradeLoss;
        uint256 budget = limits.lossBudget;
        // No overflow: the elapsed time fits 40 bits and the budget 96.
        uint256 refill =
            limits.lossRefillPeriod == 0 ? 0 : (block.timestamp - used.at) * budget / limits.lossRefillPeriod;
        uint256 left = used.used > refill ? used.used - refill : 0;
        return budget > left ? budget - left : 0;
    }

    /// @dev The vault's balance of each token of `list`.
    function _balancesOf(address[] memory list) internal view returns (uint256[] memory held) {
        uint256 count = list.length;
        held = new uint256[](count);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            held[i] = _balanceOf(list[i]);
        }
    }

    /// @dev `token.balanceOf(this)` without the high-level call's allocation and return decoding
    /// (as the aggregator's); reverts `BalanceUnavailable(token)` when the call fails or returns
    /// under 32 bytes. Listed assets are ERC-20s: `addAsset` is governance.
    function _balanceOf(address token) internal view returns (uint256 amount) {
        bytes4 selector = IERC20.balanceOf.selector;
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, address())
            ok := staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // after the call: Yul evaluates arguments right to left
            amount := mload(0x00)
        }
        if (!ok) revert IPortfolioVault.BalanceUnavailable(token);
    }
}
