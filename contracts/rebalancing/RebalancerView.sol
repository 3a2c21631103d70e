// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IAutoRebalancer, RebalanceIntent} from "../../interfaces/IAutoRebalancer.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IPortfolioVault} from "../../interfaces/IPortfolioVault.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {StrategyWord, RelayerWord, ProgressWord, BoundsWord, BoundsWordLibrary} from "../types/RebalancerWords.sol";

/// @title RebalancerView
/// @notice What a rebalance computes before it trades, from a portfolio's record words
/// (`RebalancerLayout`) and the vault and oracle it reads: the snapshot (holdings, prices, values,
/// NAV), the drift from the targets, the first state check it fails, the loss budget available.
/// One code for both readers: the AutoRebalancer (its words from storage) and the RebalancerLens
/// (the same words through `extSloads`), so a preview computes exactly what a rebalance does.
library RebalancerView {
    /// @notice A portfolio at oracle prices: what the plan, the drift and the loss are computed on.
    struct Snapshot {
        /// The portfolio's strategy word, read once with the snapshot. The first member: its
        /// address is the snapshot's, so reading it adds nothing to `rebalance`'s full stack.
        StrategyWord strategy;
        address[] assets;
        RebalanceMath.Market market;
        uint256[] values;
        uint256 nav;
        /// When the RiskEngine's snapshot the prices come from was taken; 0: live oracle prices.
        uint256 pricesSyncedAt;
    }

    /// @notice Holdings (the vault's `positions`: cash less its unsettled deals'), prices and
    /// values of every vault asset. Prices are the RiskEngine's snapshot when the strategy allows
    /// it (`maxSnapshotAge` != 0) and binds its relayer, the snapshot priced every asset and is at
    /// most that old; live `oracle` prices otherwise. Reverts for an unknown portfolio, a vault
    /// whose asset list changed since the strategy was set, targets of the wrong length or sum, or
    /// a missing live price (`PriceUnavailable`).
    function snapshot(
        StrategyWord strategy,
        RelayerWord relaying,
        ProgressWord progress,
        address portfolio,
        uint16[] memory targets,
        IOracleRouter oracle
    ) internal view returns (Snapshot memory s) {
        if (strategy.strategyId() == 0) revert IAutoRebalancer.UnknownPortfolio(portfolio);
        s.strategy = strategy;
        uint256 n = strategy.assetCount();
        if (targets.length != n) revert IAutoRebalancer.TargetsLengthMismatch(targets.length, n);
        uint256 sum;
        // Bounded: n <= PackedBpsLibrary.CAPACITY.
        for (uint256 i; i < n; ++i) {
            sum += targets[i];
        }
        if (sum != BPS) revert IAutoRebalancer.TargetsSumInvalid(sum);
        (s.assets, s.market.holdings) = IPortfolioVault(portfolio).positions();
        if (s.assets.length != n) {
            revert IAutoRebalancer.VaultAssetsChanged(portfolio, s.assets.length, n);
        }
        uint256[] memory prices_;
        // Snapshot prices only for a strategy bound to its relayer: an unbound intent can be copied
        // and relayed by anyone, who could pick the sync whose prices suit a sandwich (RBL-14).
        (prices_, s.pricesSyncedAt) =
            prices(relaying.relayer() == address(0) ? 0 : strategy.maxSnapshotAge(), portfolio, s.assets, oracle);
        uint256[] memory holdings = s.market.holdings;
        uint256[] memory units = new uint256[](n);
        uint256[] memory values = new uint256[](n);
        uint256 nav;
        // Bounded: n <= PackedBpsLibrary.CAPACITY. Checked: holding x price overflows only for a
        // holding worth 1e23 USD or more (36 decimals; more for fewer), and the RiskEngine halts a
        // portfolio holding 1.27e12 USD of one (SEC-52).
        for (uint256 i; i < n; ++i) {
            uint256 unit = 10 ** progress.assetDecimals(i);
            units[i] = unit;
            uint256 value = holdings[i] * prices_[i] / unit;
            values[i] = value;
            nav += value;
        }
        (s.market.prices, s.market.units, s.values, s.nav) = (prices_, units, values, nav);
    }

    /// @notice The RiskEngine's snapshot prices when fresh enough (`maxAge` != 0) and complete,
    /// else live ones.
    /// @return prices_ 18-decimal USD per whole token, in the vault's asset order.
    /// @return syncedAt The snapshot's time; 0 for live prices.
    function prices(uint256 maxAge, address portfolio, address[] memory assets, IOracleRouter oracle)
        internal
        view
        returns (uint256[] memory prices_, uint256 syncedAt)
    {
        uint256 n = assets.length;
        if (maxAge != 0) {
            uint256 pricedMask;
            (syncedAt, pricedMask, prices_) = IPortfolioVault(portfolio).riskEngine().priceSnapshot(portfolio);
            // Every asset priced at that sync (a clear bit keeps an older price), not too old.
            if (
                prices_.length == n && pricedMask == (1 << n) - 1 && syncedAt != 0
                    && block.timestamp <= syncedAt + maxAge
            ) return (prices_, syncedAt);
        }
        prices_ = new uint256[](n);
        // Bounded: n <= PackedBpsLibrary.CAPACITY.
        for (uint256 i; i < n; ++i) {
            prices_[i] = oracle.price(assets[i]);
        }
        return (prices_, 0);
    }

    /// @notice The first state check `rebalance` fails, as revert data; empty when all pass.
    /// Signatures are checked separately (the preview has none). `bounds[1]` is read only for a
    /// strategy of more than 8 assets.
    function stateError(
        StrategyWord strategy,
        ProgressWord progress,
        BoundsWord[2] memory bounds,
        RebalanceIntent calldata intent,
        uint16[] memory targets,
        uint256 driftBps
    ) internal view returns (bytes memory) {
        address portfolio = intent.portfolio;
        if (strategy.paused()) return abi.encodeWithSelector(IAutoRebalancer.StrategyPaused.selector, portfolio);
        if (intent.strategyId != strategy.strategyId()) {
            return abi.encodeWithSelector(
                IAutoRebalancer.StrategyMismatch.selector, portfolio, intent.strategyId, strategy.strategyId()
            );
        }
        if (block.timestamp > intent.deadline) {
            return abi.encodeWithSelector(IAutoRebalancer.IntentExpired.selector, intent.deadline, block.timestamp);
        }
        if (intent.nonce != progress.nonce()) {
            return
                abi.encodeWithSelector(IAutoRebalancer.InvalidNonce.selector, portfolio, intent.nonce, progress.nonce());
        }
        uint256 nextAllowedAt = uint256(progress.lastRebalanceAt()) + strategy.cooldown();
        if (progress.lastRebalanceAt() != 0 && block.timestamp < nextAllowedAt) {
            return abi.encodeWithSelector(IAutoRebalancer.CooldownActive.selector, portfolio, nextAllowedAt);
        }
        if (block.basefee > strategy.maxBaseFee()) {
            return abi.encodeWithSelector(IAutoRebalancer.BaseFeeTooHigh.selector, block.basefee, strategy.maxBaseFee());
        }
        if (intent.maxSlippageBps > strategy.maxSlippageBps()) {
            return abi.encodeWithSelector(
                IAutoRebalancer.SlippageAboveStrategy.selector, intent.maxSlippageBps, strategy.maxSlippageBps()
            );
        }
        BoundsWord word = bounds[0];
        // Bounded: the targets' length equals assetCount <= PackedBpsLibrary.CAPACITY (snapshot checked).
        for (uint256 i; i < targets.length; ++i) {
            uint16 target = targets[i];
            if (i == BoundsWordLibrary.ASSETS_PER_WORD) word = bounds[1]; // assets 8 to 15: the second word
            (uint16 low, uint16 high) = (
                word.minWeightBps(i % BoundsWordLibrary.ASSETS_PER_WORD),
                word.maxWeightBps(i % BoundsWordLibrary.ASSETS_PER_WORD)
            );
            if (target < low || target > high) {
                return abi.encodeWithSelector(IAutoRebalancer.TargetOutOfBounds.selector, i, target, low, high);
            }
        }
        if (driftBps < strategy.driftThresholdBps()) {
            return abi.encodeWithSelector(
                IAutoRebalancer.DriftBelowThreshold.selector, driftBps, strategy.driftThresholdBps()
            );
        }
        return "";
    }

    /// @notice Largest |weight - target| in bps, rounded down (0 for an empty portfolio).
    function drift(Snapshot memory s, uint16[] memory targets) internal pure returns (uint256 driftBps) {
        uint256 nav = s.nav;
        if (nav == 0) return 0;
        uint256[] memory values = s.values;
        uint256 widest; // the largest gap, in USD: one division at the end
        // Bounded: targets.length == assets <= PackedBpsLibrary.CAPACITY. No overflow: values < 2**128.
        for (uint256 i; i < targets.length; ++i) {
            uint256 target = nav * targets[i] / BPS;
            uint256 value = values[i];
            uint256 gap = value > target ? value - target : target - value;
            if (gap > widest) widest = gap;
        }
        return widest * BPS / nav; // rounded down, as the largest of the rounded-down gaps
    }

    /// @notice Loss budget left now: what was used at the last rebalance, less the linear refill since.
    function lossAvailable(StrategyWord strategy, RelayerWord relaying, ProgressWord progress)
        internal
        view
        returns (uint256)
    {
        uint256 budget = relaying.lossBudget();
        uint256 elapsed = block.timestamp - progress.lastRebalanceAt();
        uint256 refill = Math.mulDiv(elapsed, budget, strategy.lossRefillPeriod());
        uint256 used = progress.lossUsed() > refill ? progress.lossUsed() - refill : 0;
        return budget > used ? budget - used : 0;
    }
}
