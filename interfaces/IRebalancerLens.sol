// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IAutoRebalancer, RebalanceIntent, StrategyConfig} from "./IAutoRebalancer.sol";
import {RebalanceTrade} from "../contracts/types/RebalancerWords.sol";

/// @notice What `IRebalancerLens.previewRebalance` reports so a keeper can decide whether sending is worth it.
struct RebalancePreview {
    /// The trades `rebalance` would send now (sales for settlement first, then purchases).
    RebalanceTrade[] trades;
    /// Portfolio value at oracle prices, 18-decimal USD.
    uint256 nav;
    /// Largest |weight - target| now, bps (what the drift threshold is compared with).
    uint256 driftBps;
    /// Euclidean distance of the weights from the targets, bps, now and after the trades (filled
    /// at oracle prices): the benefit.
    uint256 trackingErrorBeforeBps;
    uint256 trackingErrorAfterBps;
    /// Worst-case slippage cost allowed by the intent (sum of trade values x maxSlippageBps), USD.
    uint256 maxSlippageCost;
    /// Gas the rebalance is expected to use (benchmarked constants, see benchmarks/README.md).
    uint256 gasEstimate;
    /// Loss budget available now, USD.
    uint256 lossBudgetAvailable;
    /// When the RiskEngine snapshot the prices above come from was taken; 0: live oracle prices.
    uint256 pricesSyncedAt;
    /// 0 when `rebalance` would pass every state check now; otherwise the selector of the first
    /// error it would revert with. Signatures are not checked here.
    bytes4 blocker;
}

/// @title IRebalancerLens
/// @notice Read-only periphery of the AutoRebalancer: the views its execution does not need,
/// decoded from the rebalancer's storage words (`IAutoRebalancer.extSloads`) at the slots
/// `RebalancerLayout` describes, and computed with the rebalancer's own code (`RebalancerView`:
/// the snapshot, drift, state checks and loss budget a rebalance computes). Stateless: one lens
/// serves every rebalancer. Checked by a round-trip test against the strategies set, and the
/// previews against the rebalances they predict.
/// @dev Not checked: that `rebalancer` is a Quantera AutoRebalancer. Another contract's words
/// decode to meaningless figures; callers name it from the deployment record.
interface IRebalancerLens {
    /// @notice The portfolio's current strategy, its version (intents must name it; 0: none set)
    /// and whether it is paused.
    function strategyOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (StrategyConfig memory config, uint256 strategyId, bool paused);

    /// @notice The trades `intent` would execute through `rebalancer` now, its cost and benefit,
    /// and what would block it. Reverts only for a malformed intent (wrong lengths, targets not
    /// summing to 10,000), an unknown portfolio, or a missing oracle price.
    function previewRebalance(IAutoRebalancer rebalancer, RebalanceIntent calldata intent)
        external
        view
        returns (RebalancePreview memory);

    /// @notice Chainlink `checkUpkeep` style: true when the portfolio is not paused, out of its
    /// cooldown, below the maximum base fee, and drifted from the last executed targets by at least
    /// the threshold (or never rebalanced). `performData` = abi.encode(strategyId, nonce, driftBps).
    function shouldRebalance(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (bool upkeepNeeded, bytes memory performData);

    /// @notice The portfolio's next nonce (the one its next intent must carry), the time of its
    /// last rebalance, the loss budget available now (0 before any strategy) and its last targets
    /// (bps, one per asset).
    function stateOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (uint256 nonce, uint256 lastRebalanceAt, uint256 lossBudgetAvailable, uint16[] memory lastTargetsBps);

    /// @notice The only address that may relay the portfolio's intents (address(0): anyone).
    function relayerOf(IAutoRebalancer rebalancer, address portfolio) external view returns (address);

    /// @notice Whether `signer` is one of the portfolio's signer keys.
    function isSigner(IAutoRebalancer rebalancer, address portfolio, address signer) external view returns (bool);

    /// @notice The EIP-712 digest of `intent` for `rebalancer` on this chain (what its signers
    /// sign): its domain read from the rebalancer's ERC-5267 `eip712Domain`.
    function intentDigest(IAutoRebalancer rebalancer, RebalanceIntent calldata intent) external view returns (bytes32);
}
