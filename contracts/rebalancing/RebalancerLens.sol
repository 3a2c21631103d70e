// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IAutoRebalancer, RebalanceIntent, StrategyConfig} from "../../interfaces/IAutoRebalancer.sol";
import {IRebalancerLens, RebalancePreview} from "../../interfaces/IRebalancerLens.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {PackedBps} from "../types/PackedBps.sol";
import {BPS} from "../libraries/Constants.sol";
import {RebalancerView} from "./RebalancerView.sol";
import {RebalanceIntentLib} from "./RebalanceIntentLib.sol";
import {RebalancerLayout} from "./RebalancerLayout.sol";
import {StrategyWord, RelayerWord, ProgressWord, BoundsWord} from "../types/RebalancerWords.sol";
import {RebalanceTrade} from "../types/RebalancerWords.sol";

/// @title RebalancerLens
/// @notice The AutoRebalancer's read-only periphery (see IRebalancerLens).
contract RebalancerLens is IRebalancerLens {
    /// @notice Gas of a rebalance besides its trades, and per trade (through the aggregator, one
    /// Uniswap V2 venue, plain ERC-20s, snapshot prices): from `make bench`'s steady state
    /// (benchmarks/README.md: three trades, 448,958; a trade's aggregator call about 72,600 and the
    /// vault's part of it about 5,400). Security tokens add their compliance checks on top (the
    /// NAV-desk path: about 100,000 a trade). What `previewRebalance` estimates a rebalance at.
    uint256 public constant GAS_BASE = 215_000;
    uint256 public constant GAS_PER_TRADE = 78_000;
    /// @dev EIP-712's domain type, as OpenZeppelin's EIP712 (the rebalancer's) hashes it.
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @inheritdoc IRebalancerLens
    function strategyOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (StrategyConfig memory config, uint256 strategyId, bool paused)
    {
        return RebalancerLayout.decodeStrategy(_words(rebalancer, portfolio, RebalancerLayout.STRATEGY_WORDS));
    }

    /// @inheritdoc IRebalancerLens
    function previewRebalance(IAutoRebalancer rebalancer, RebalanceIntent calldata intent)
        external
        view
        returns (RebalancePreview memory preview)
    {
        uint256[] memory w = _words(rebalancer, intent.portfolio, RebalancerLayout.STRATEGY_WORDS);
        (StrategyWord strategy, RelayerWord relaying, ProgressWord progress) = _record(w);
        uint16[] memory targets = intent.targetWeightsBps;
        RebalancerView.Snapshot memory s =
            RebalancerView.snapshot(strategy, relaying, progress, intent.portfolio, targets, rebalancer.oracle());
        uint16 slippage = intent.maxSlippageBps;
        preview.trades = RebalanceMath.planFrom(s.market, s.values, s.nav, targets, strategy.maxTradeBps(), slippage);
        preview.nav = s.nav;
        preview.pricesSyncedAt = s.pricesSyncedAt;
        preview.driftBps = RebalancerView.drift(s, targets);
        preview.trackingErrorBeforeBps = _trackingError(s.values, s.nav, targets);
        uint256[] memory projected = s.values;
        // Bounded: trades <= assets <= PackedBpsLibrary.CAPACITY.
        for (uint256 k; k < preview.trades.length; ++k) {
            RebalanceTrade memory t = preview.trades[k];
            projected[t.sellIndex] -= t.value;
            projected[t.buyIndex] += t.value;
            preview.maxSlippageCost += Math.mulDiv(t.value, slippage, BPS);
        }
        preview.trackingErrorAfterBps = _trackingError(projected, s.nav, targets);
        preview.gasEstimate = GAS_BASE + GAS_PER_TRADE * preview.trades.length;
        preview.lossBudgetAvailable = RebalancerView.lossAvailable(strategy, relaying, progress);
        BoundsWord[2] memory bounds =
            [BoundsWord.wrap(w[RebalancerLayout.BOUNDS_WORD]), BoundsWord.wrap(w[RebalancerLayout.BOUNDS_WORD + 1])];
        bytes memory err = RebalancerView.stateError(strategy, progress, bounds, intent, targets, preview.driftBps);
        if (err.length == 0 && preview.trades.length == 0) {
            err = abi.encodeWithSelector(IAutoRebalancer.NothingToTrade.selector);
        }
        if (err.length != 0) preview.blocker = bytes4(err);
    }

    /// @inheritdoc IRebalancerLens
    function shouldRebalance(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (bool upkeepNeeded, bytes memory performData)
    {
        uint256[] memory w = _words(rebalancer, portfolio, RebalancerLayout.LAST_TARGETS_WORD + 1);
        (StrategyWord strategy, RelayerWord relaying, ProgressWord progress) = _record(w);
        if (strategy.strategyId() == 0 || strategy.paused() || block.basefee > strategy.maxBaseFee()) {
            return (false, "");
        }
        if (block.timestamp < uint256(progress.lastRebalanceAt()) + strategy.cooldown()) return (false, "");
        uint256 driftBps;
        if (progress.lastRebalanceAt() == 0) {
            upkeepNeeded = true; // Never rebalanced: there is no target yet to drift from.
        } else {
            uint16[] memory targets =
                PackedBps.wrap(w[RebalancerLayout.LAST_TARGETS_WORD]).unpack(strategy.assetCount());
            driftBps = RebalancerView.drift(
                RebalancerView.snapshot(strategy, relaying, progress, portfolio, targets, rebalancer.oracle()), targets
            );
            upkeepNeeded = driftBps >= strategy.driftThresholdBps();
        }
        performData = abi.encode(uint256(strategy.strategyId()), uint256(progress.nonce()), driftBps);
    }

    /// @inheritdoc IRebalancerLens
    function stateOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (uint256 nonce, uint256 lastRebalanceAt, uint256 lossBudgetAvailable, uint16[] memory lastTargetsBps)
    {
        uint256[] memory w = _words(rebalancer, portfolio, RebalancerLayout.RECORD_WORDS);
        (StrategyWord strategy, RelayerWord relaying, ProgressWord progress) = _record(w);
        return (
            progress.nonce(),
            progress.lastRebalanceAt(),
            // No strategy yet (no refill period): no budget, rather than a division by zero.
            strategy.strategyId() == 0 ? 0 : RebalancerView.lossAvailable(strategy, relaying, progress),
            PackedBps.wrap(w[RebalancerLayout.LAST_TARGETS_WORD]).unpack(strategy.assetCount())
        );
    }

    /// @inheritdoc IRebalancerLens
    function relayerOf(IAutoRebalancer rebalancer, address portfolio) external view returns (address) {
        uint256[] memory w = _words(rebalancer, portfolio, RebalancerLayout.RELAYING_WORD + 1);
        return RelayerWord.wrap(w[RebalancerLayout.RELAYING_WORD]).relayer();
    }

    /// @inheritdoc IRebalancerLens
    function isSigner(IAutoRebalancer rebalancer, address portfolio, address signer) external view returns (bool) {
        bytes32[] memory slots = new bytes32[](1);
        slots[0] = bytes32(RebalancerLayout.signerSlot(portfolio, signer));
        return uint256(rebalancer.extSloads(slots)[0]) != 0;
    }

    /// @inheritdoc IRebalancerLens
    /// @dev The domain's name, version, chain id and verifying contract (OpenZeppelin's EIP712
    /// `fields` 0x0f: no salt, no extensions).
    function intentDigest(IAutoRebalancer rebalancer, RebalanceIntent calldata intent) external view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            IERC5267(address(rebalancer)).eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifyingContract)
        );
        return MessageHashUtils.toTypedDataHash(domain, RebalanceIntentLib.structHash(intent));
    }

    /// @dev The first `count` words of `portfolio`'s record in `rebalancer` (`RebalancerLayout`).
    function _words(IAutoRebalancer rebalancer, address portfolio, uint256 count)
        internal
        view
        returns (uint256[] memory w)
    {
        uint256 first = RebalancerLayout.slotOf(portfolio);
        bytes32[] memory slots = new bytes32[](count);
        // Bounded: count <= 6 (the record's words).
        for (uint256 k; k < count; ++k) {
            slots[k] = bytes32(first + k);
        }
        bytes32[] memory words = rebalancer.extSloads(slots);
        // Same length and layout: bytes32[] read as uint256[].
        assembly ("memory-safe") {
            w := words
        }
    }

    /// @dev The record's strategy, relaying and progress words.
    function _record(uint256[] memory w) internal pure returns (StrategyWord, RelayerWord, ProgressWord) {
        return (
            StrategyWord.wrap(w[RebalancerLayout.STRATEGY_WORD]),
            RelayerWord.wrap(w[RebalancerLayout.RELAYING_WORD]),
            ProgressWord.wrap(w[RebalancerLayout.PROGRESS_WORD])
        );
    }

    /// @dev Euclidean distance between the weights of `values` and `targets`, in bps.
    function _trackingError(uint256[] memory values, uint256 nav, uint16[] memory targets)
        internal
        pure
        returns (uint256)
    {
        if (nav == 0) return 0;
        uint256 sumSquares;
        // Bounded: targets.length == assets <= PackedBpsLibrary.CAPACITY.
        for (uint256 i; i < targets.length; ++i) {
            uint256 weight = Math.mulDiv(values[i], BPS, nav);
            uint256 gap = weight > targets[i] ? weight - targets[i] : targets[i] - weight;
            sumSquares += gap * gap;
        }
        return Math.sqrt(sumSquares);
    }
}
