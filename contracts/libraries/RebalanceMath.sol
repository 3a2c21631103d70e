// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BPS} from "./Constants.sol";
import {RebalanceTrade} from "../types/RebalancerWords.sol";

/// @title RebalanceMath
/// @notice The trades that move a portfolio towards target weights without overshooting them, at
/// oracle prices, through the settlement asset (sell what is above target for settlement, buy what
/// is below with it). Every amount rounds towards doing less. Mirrored by
/// `keepers/rebalancing/rebalance_plan.py` (differential test).
///
/// Guarantees, at the oracle prices given: a sale never takes an asset below its target and a
/// purchase never spends more than the asset's shortfall; no single trade exceeds `maxTradeBps` of
/// NAV; purchases never spend settlement below its own target (they are scaled down pro rata).
/// NOT covered: execution better than the oracle price can leave a bought asset slightly above its
/// target (by the price improvement); the caller checks the state after the trades.
library RebalanceMath {
    error InvalidPlanInput(string reason);

    struct Market {
        uint256[] holdings; // token units
        uint256[] prices; // 18-decimal USD per whole token
        uint256[] units; // 10 ** decimals
        uint256 settlement; // index of the settlement asset
    }

    /// @return trades Sales first, then purchases; zero-size trades omitted. Bounded by the number
    /// of assets (the vault's MAX_ASSETS).
    /// @return nav The portfolio's oracle value, 18-decimal USD.
    function plan(Market memory market, uint16[] memory targetBps, uint16 maxTradeBps, uint16 slippageBps)
        internal
        pure
        returns (RebalanceTrade[] memory trades, uint256 nav)
    {
        uint256 n = market.holdings.length;
        if (market.prices.length != n || market.units.length != n) revert InvalidPlanInput("lengths");
        uint256[] memory values = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            values[i] = Math.mulDiv(market.holdings[i], market.prices[i], market.units[i]);
            nav += values[i];
        }
        trades = planFrom(market, values, nav, targetBps, maxTradeBps, slippageBps);
    }

    /// @notice `plan` from the holdings' values already computed (`values[i]` = holdings x price /
    /// unit, rounded down; `nav` their sum), as the AutoRebalancer has them.
    /// @dev Products of values, prices, units and bps are plain checked arithmetic: values are
    /// below 2**128 (a position of 2**100 USD is refused by the RiskEngine), so no product
    /// overflows and each quotient equals `Math.mulDiv`'s.
    function planFrom(
        Market memory market,
        uint256[] memory values,
        uint256 nav,
        uint16[] memory targetBps,
        uint16 maxTradeBps,
        uint16 slippageBps
    ) internal pure returns (RebalanceTrade[] memory trades) {
        uint256 n = values.length;
        if (market.prices.length != n || market.units.length != n || targetBps.length != n) {
            revert InvalidPlanInput("lengths");
        }
        if (market.settlement >= n) revert InvalidPlanInput("settlement index");
        if (slippageBps > BPS || maxTradeBps > BPS) revert InvalidPlanInput("bps above 10000");
        uint256[] memory prices = market.prices;
        uint256[] memory units = market.units;
        uint256 targetSum;
        for (uint256 i; i < n; ++i) {
            if (prices[i] == 0) revert InvalidPlanInput("zero price");
            targetSum += targetBps[i];
        }
        if (targetSum != BPS) revert InvalidPlanInput("targets must sum to 10000 bps");
        uint256 cap = nav * maxTradeBps / BPS;
        uint256 s = market.settlement;
        trades = _tradeList(n); // shortened to `count` at the end
        uint256 count;
        uint256 proceeds;
        // Sales: at most the excess over target, at most the cap. And what each purchase wants: at
        // most the shortfall, at most the cap (bought below, within the settlement above its target).
        uint256[] memory wants = new uint256[](n);
        uint256 wanted;
        for (uint256 i; i < n; ++i) {
            if (i == s) continue;
            uint256 target = nav * targetBps[i] / BPS;
            uint256 held = values[i];
            if (held > target) {
                uint256 value = Math.min(held - target, cap);
                uint256 amount = value * units[i] / prices[i];
                if (amount == 0) continue;
                trades[count++] = RebalanceTrade(i, s, amount, _minOut(value, slippageBps, units[s], prices[s]), value);
                proceeds += value;
            } else if (held < target) {
                uint256 want = Math.min(target - held, cap);
                wants[i] = want;
                wanted += want;
            }
        }
        uint256 settlementTarget = nav * targetBps[s] / BPS;
        uint256 budget = values[s] + proceeds > settlementTarget ? values[s] + proceeds - settlementTarget : 0;
        for (uint256 i; i < n; ++i) {
            uint256 want = wants[i];
            if (want == 0) continue;
            uint256 value = wanted > budget ? want * budget / wanted : want;
            uint256 amount = value * units[s] / prices[s];
            if (amount == 0) continue;
            trades[count++] = RebalanceTrade(s, i, amount, _minOut(value, slippageBps, units[i], prices[i]), value);
        }
        // Bounded: count <= n. Shortened in place: the words past `count` are left unused.
        assembly ("memory-safe") {
            mstore(trades, count)
        }
    }

    /// @dev A list of `n` trade pointers, not yet pointing anywhere (`new RebalanceTrade[](n)` would also
    /// allocate and zero n structs that `planFrom` replaces): every slot below the final count is
    /// written before it is read.
    function _tradeList(uint256 n) private pure returns (RebalanceTrade[] memory list) {
        assembly ("memory-safe") {
            list := mload(0x40)
            mstore(list, n)
            mstore(0x40, add(list, shl(5, add(n, 1))))
        }
    }

    /// @dev `value` (18-decimal USD) in units of an asset (`unit`, `price`), less `slippageBps`,
    /// rounded down.
    function _minOut(uint256 value, uint16 slippageBps, uint256 unit, uint256 price) private pure returns (uint256) {
        return value * (BPS - slippageBps) / BPS * unit / price;
    }
}
