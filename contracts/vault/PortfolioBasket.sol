// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IPortfolioVault, TradeLimits} from "../../interfaces/IPortfolioVault.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {TradePayment} from "./TradePayment.sol";
import {VaultLayout} from "./VaultLayout.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title PortfolioBasket
/// @notice The code of `IPortfolioVault.tradeBasket`, outside the vault for its size: a module run
/// by a PortfolioVault's DELEGATECALL only (`Dispatch`; in the vault's context: it calls the venue
/// as the vault, opens the vault's payment session, reads the vault's balances, has the
/// RiskEngine check the state after, charges the vault's loss budget), after the vault's own
/// access check and reentrancy guard. It runs on the vault's storage (VaultLayout, listed first in
/// both); one deployment serves every vault of a build (recorded under its init code's hash).
/// @dev NOT checked here: the caller's role and the lock (the vault's stub checks both before it
/// delegates). The oracle and the RiskEngine are the vault's own (its immutables, read by a
/// call to itself). Called directly, `tradeBasket` reverts `DirectCall` (DelegatedModule).
contract PortfolioBasket is VaultLayout, DelegatedModule {
    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return BASKET_MODULE_ID;
    }

    /// @notice `IPortfolioVault.tradeBasket`'s checks (see there), run in the vault's context.
    /// @return loss Value sold less value bought at live oracle prices, 18-decimal USD (0 if it gained).
    function tradeBasket(bytes calldata basket) external onlyDelegated returns (uint256 loss) {
        (address venue, uint256[] memory sellAmounts, uint256[] memory minBuyAmounts, bytes memory data) =
            abi.decode(basket, (address, uint256[], uint256[], bytes));
        if (!_isVenue[venue]) revert IPortfolioVault.VenueNotAllowed(venue);
        address[] memory list = _assets;
        uint256 count = list.length;
        if (sellAmounts.length != count || minBuyAmounts.length != count) {
            revert IPortfolioVault.InvalidTradeCount(sellAmounts.length, count);
        }
        uint256[] memory before = _balancesOf(list);
        TradePayment.open(venue, TradePayment.BASKET, 0);
        // Bounded: assets <= the vault's MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            if (sellAmounts[i] != 0) TradePayment.allow(list[i], sellAmounts[i]);
        }
        _call(venue, data);
        TradePayment.close(); // Nothing more can be paid for this basket, nor outside a trade.
        uint256[] memory afterTrade = _balancesOf(list);
        IPortfolioVault vault = IPortfolioVault(address(this));
        IOracleRouter oracle = vault.oracle();
        uint256 valueSold;
        uint256 valueBought;
        // Bounded: assets <= the vault's MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            (address asset, uint256 was, uint256 held) = (list[i], before[i], afterTrade[i]);
            // What the venue was paid (at most the amount by construction; `take` clears the slot):
            // nothing else may have left. Checked: it cannot have paid more than it held.
            uint256 least = was - (sellAmounts[i] - TradePayment.take(asset));
            if (held < least) revert IPortfolioVault.UnexpectedBalanceChange(asset, least, held);
            // The asset's net movement: sold, or bought and at least its minimum.
            uint256 gained = held > was ? held - was : 0;
            if (gained < minBuyAmounts[i]) revert IPortfolioVault.InsufficientOutput(asset, gained, minBuyAmounts[i]);
            if (held < was) valueSold += _value(oracle, asset, was - held);
            else if (gained != 0) valueBought += _value(oracle, asset, gained);
        }
        // Rounded up, as a trade's: the output is worth at least the sale less maxSlippageBps.
        TradeLimits memory limits = _tradeLimits;
        uint256 floorValue = (valueSold * (BPS - limits.maxSlippageBps) + BPS - 1) / BPS;
        if (valueBought < floorValue) revert IPortfolioVault.BasketBelowOracle(valueSold, valueBought, floorValue);
        // One counterparty, one exchange: its legs offset each other. No underflow: compared first.
        if (valueSold > valueBought) loss = valueSold - valueBought;
        emit IPortfolioVault.BasketTraded(msg.sender, venue, valueSold, valueBought);
        // The unsettled deals' cash is still there (SEC-53), the loss fits the budget (SEC-51), and
        // the RiskEngine passes the state after against the one before.
        uint256 reserved = _pending.cash;
        if (afterTrade[0] < reserved) revert IPortfolioVault.InsufficientCash(reserved, afterTrade[0]);
        if (loss != 0) _chargeLoss(loss);
        vault.riskEngine().enforce(before, afterTrade);
    }

    /// @dev `amount` of `asset` in 18-decimal USD at its live oracle price (as the vault's
    /// `_oracleValue`: decimals <= 36 by `addAsset`). Checked: beyond 2**256 / 1e36 USD reverts.
    function _value(IOracleRouter oracle, address asset, uint256 amount) internal view returns (uint256) {
        uint256 scaled = oracle.price(asset) * 10 ** (MAX_ASSET_DECIMALS - IERC20Metadata(asset).decimals());
        return amount * scaled / PRICE_SCALE;
    }

    /// @dev Calls `venue` with `data`, bubbling its revert up (as the vault's `_call`).
    function _call(address venue, bytes memory data) internal {
        assembly ("memory-safe") {
            if iszero(call(gas(), venue, 0, add(data, 32), mload(data), 0, 0)) {
                let output := mload(0x40)
                returndatacopy(output, 0, returndatasize())
                revert(output, returndatasize())
            }
        }
    }
}
