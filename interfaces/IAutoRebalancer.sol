// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IExtSloads} from "./IExtSloads.sol";
import {IOracleRouter} from "./IOracleRouter.sol";

/// @notice A signal service's signed instruction: move `portfolio` (under its strategy version
/// `strategyId`) towards `targetWeightsBps` (one per vault asset, in the vault's asset order,
/// summing to 10,000), with at most `maxSlippageBps` against oracle prices, once (`nonce`), before
/// `deadline`. `modelVersion` and `signalHash` tie it to the model and inputs that produced it
/// (emitted, not interpreted).
struct RebalanceIntent {
    address portfolio;
    uint256 strategyId;
    uint16[] targetWeightsBps;
    uint16 maxSlippageBps;
    uint256 nonce;
    uint64 deadline;
    bytes32 modelVersion;
    bytes32 signalHash;
}

/// @notice A portfolio's rebalancing bounds, set by the portfolio admin (GOVERNOR).
struct StrategyConfig {
    /// Per vault asset (the vault's order, settlement first): the least and most target weight an
    /// intent may ask for.
    uint16[] minWeightBps;
    uint16[] maxWeightBps;
    /// No rebalance while every |weight - target| is below this (bps of NAV at oracle prices).
    uint16 driftThresholdBps;
    /// Largest trade per asset per rebalance, bps of NAV at oracle prices.
    uint16 maxTradeBps;
    /// Largest slippage an intent may allow, bps below the oracle value of each trade.
    uint16 maxSlippageBps;
    /// Signatures needed (M of the authorised signers).
    uint8 signerThreshold;
    /// Seconds between two rebalances: at least MIN_COOLDOWN (600), so the portfolio's 24-bit
    /// nonce lasts 319 years at the fastest pace (SEC-62).
    uint32 cooldown;
    /// Seconds for the loss budget to refill from empty to full (linearly).
    uint32 lossRefillPeriod;
    /// Highest `block.basefee` (wei) at which a rebalance may execute.
    uint64 maxBaseFee;
    /// Cumulative execution loss allowed (18-decimal USD at oracle prices), refilled over time.
    uint128 lossBudget;
    /// Seconds: price the rebalance with the RiskEngine's snapshot (`IRiskEngine.priceSnapshot`)
    /// when it priced every asset and is at most this old, with live oracle prices otherwise;
    /// 0: always live prices. At most MAX_SNAPSHOT_AGE (3,600).
    uint32 maxSnapshotAge;
}

/// @notice The strategy parameter `setStrategy` refused (`IAutoRebalancer.InvalidStrategy`).
enum StrategyRule {
    SignerThreshold,
    Cooldown,
    MaxSlippage,
    MaxTrade,
    LossRefillPeriod,
    MaxBaseFee,
    LossBudget,
    MaxSnapshotAge
}

/// @title IAutoRebalancer
/// @notice Executes EIP-712-signed rebalance intents for PortfolioVaults: anyone may relay a
/// signed intent; the contract checks the signatures and every strategy bound, computes the trades
/// itself (RebalanceMath: towards the targets at oracle prices, never past them, capped per
/// trade), routes them through the LiquidityAggregator over the venues the relayer names, with
/// per-trade minimum outputs derived from oracle prices and the slippage bound, and has the vault
/// run the RiskEngine on the state after all of them. Any failure reverts the whole rebalance.
///
/// Prices ("oracle prices" below). With the strategy's `maxSnapshotAge` set AND its intents bound to
/// a relayer (`setRelayer`), a rebalance (and the lens's preview and `shouldRebalance`) prices every asset
/// with the RiskEngine's snapshot (`IRiskEngine.priceSnapshot`, taken by `sync`) when that sync
/// priced every asset and is at most `maxSnapshotAge` seconds old; otherwise — no relayer bound,
/// `maxSnapshotAge` 0, a stale or incomplete snapshot — with live OracleRouter prices (RBL-13).
/// `Rebalanced` and the preview say which (`pricesSyncedAt`, 0: live).
/// Why this is safe: the snapshot holds the OracleRouter's own validated prices as of the sync
/// (setStrategy refuses a snapshot age when the vault's risk engine reads another oracle), the same
/// prices the RiskEngine checks the state after the trades at; an asset the sync could not price
/// keeps an older price with its bit clear, and such a snapshot is never used. Against live prices a
/// snapshot-derived minimum output differs by at most the oracle's move since the sync: higher (the
/// trade reverts, failing closed) or lower (a venue may fill worse by up to that move on top of the
/// intent's slippage, and the loss, charged at the snapshot's prices, does NOT count that move).
/// `sync` is open to anyone, so whoever relays chooses which oracle state of the last
/// `maxSnapshotAge` seconds the minimums come from; that is why snapshot prices are used only when
/// the strategy binds its relayer (its own keeper): an unbound intent, public once its relay is in
/// the mempool, would let any copier time a price report and sandwich a pool for the oracle's move
/// on top of the slippage (RBL-14). The bound relayer is trusted for that window's timing only: its
/// added exposure per trade is the oracle's largest move over `maxSnapshotAge` (the deployment's
/// portfolio: 300 s; at most 3,600).
///
/// Guarantees (docs/specs.md RBL-*):
/// - an intent executes at most once: its nonce must be the portfolio's next one (RBL-5);
/// - expired, unsigned, under-signed, malleable, foreign-chain or foreign-contract intents never
///   execute (EIP-712 domain with chain id and this contract) (RBL-4, RBL-6);
/// - every target is within the strategy's bounds; nothing trades below the drift threshold,
///   within the cooldown, above the maximum base fee or while paused (RBL-7);
/// - at oracle prices, a sale never takes an asset below its target and a purchase never spends
///   more than the asset's shortfall (RBL-2, RBL-8);
/// - the loss (oracle value sold minus oracle value bought) is charged to a budget that refills
///   linearly and never goes negative: a rebalance that would overdraw it reverts (RBL-9);
/// - the RiskEngine passes the state after the trades, or nothing happened (RBL-10).
///
/// NOT checked: the relayer's choice of venues (`routes`) — any listed venue whose output meets
/// the oracle-derived minimum is accepted; the loss budget bounds what a bad choice can cost.
/// Not checked either: that a snapshot younger than `maxSnapshotAge` is still the oracle's latest
/// answer (comparing would read the live feeds the snapshot saves; see "Prices").
/// Not checked either: the model behind an intent (`modelVersion`, `signalHash` are recorded only).
/// Execution better than the oracle price can leave a bought asset above its target by the
/// improvement.
/// @dev Roles (deploy script): `setStrategy`, `setSigner`, `unpause` -> GOVERNOR (the portfolio
/// admin); `revokeSigner`, `pause` -> GUARDIAN. The rebalancer holds EXECUTOR on the vaults.
/// Warning: the rebalancer cannot commit-reveal (it acts within one transaction, and the vault pays
/// by callback), so every order of the rebalance must stay below the aggregator's large-order
/// threshold of the token it sells, or the aggregator refuses it (`CommitmentRequired`) and the
/// whole rebalance reverts. An order is what the rebalance's trades sell of one token for one
/// other token, at any hop (ILiquidityAggregator `TokenPolicy`, SEC-172): trades buying different
/// assets with USDC are different orders, but a buy routed through an intermediate also counts at
/// the intermediate's pair (USDC -> QSPX -> QNDX adds to a direct USDC -> QSPX buy). Keep
/// `maxTradeBps` x NAV below the thresholds, and a route's intermediate pairs' sums too. Every trade's minimum output is its oracle bound: the sale's value at the plan's
/// oracle prices less the intent's slippage (the aggregator's own oracle bound is not asked for: it
/// would read the live prices again to check the same inequality). The trades go to the vault's
/// `tradeBatch`, each an aggregator `swapWithCallback` the vault pays when asked (no allowance).
/// Warning — relaying: an intent becomes public when its relay enters the mempool, and the relayer
/// picks the routes. With no relayer bound (`relayerOf` zero, the default) anyone may relay a copy
/// through a pool they moved in the same block and keep up to the intent's slippage on every
/// trade (bounded per trade by its oracle minimum, and in total by the loss budget). A portfolio
/// whose GOVERNOR binds a relayer (`setRelayer`: the signal keeper's key, a private relay) executes
/// its intents from that address only: a copied intent reverts `RelayerNotAllowed`.
/// The strategy view, the preview of an intent and the upkeep check live in the periphery
/// (`IRebalancerLens`), which reads this contract's words with `extSloads` at the slots
/// `RebalancerLayout` gives and computes with the same code as `rebalance` (`RebalancerView`).
interface IAutoRebalancer is IExtSloads {
    error UnknownPortfolio(address portfolio);
    error StrategyPaused(address portfolio);
    error StrategyMismatch(address portfolio, uint256 strategyId, uint256 current);
    error IntentExpired(uint64 deadline, uint256 timestamp);
    error InvalidNonce(address portfolio, uint256 nonce, uint256 expected);
    error CooldownActive(address portfolio, uint256 nextAllowedAt);
    error BaseFeeTooHigh(uint256 baseFee, uint256 maxBaseFee);
    error SlippageAboveStrategy(uint16 maxSlippageBps, uint16 strategyMaxSlippageBps);
    error TargetsLengthMismatch(uint256 targets, uint256 assets);
    error TargetsSumInvalid(uint256 sumBps);
    error TargetOutOfBounds(uint256 index, uint16 targetBps, uint16 minBps, uint16 maxBps);
    error DriftBelowThreshold(uint256 driftBps, uint16 thresholdBps);
    error NothingToTrade(address portfolio);
    error RoutesLengthMismatch(uint256 routes, uint256 trades);
    error ZeroRouteWeight(uint256 trade);
    /// @notice The legs given for `trade` run past their end, or leave bytes over, at `at`.
    error MalformedRoute(uint256 trade, uint256 at, uint256 length);
    error LossBudgetExceeded(address portfolio, uint256 loss, uint256 available);
    /// @notice `setStrategy` refused the strategy's `rule` (a `StrategyRule`) for `value`: the
    /// cooldown below MIN_COOLDOWN (SEC-62), a zero threshold, slippage, trade cap, refill period or
    /// base fee, slippage or trade cap above 10,000, a budget above 2**96, a snapshot age above
    /// MAX_SNAPSHOT_AGE.
    error InvalidStrategy(StrategyRule rule, uint256 value);
    /// @notice `setStrategy`'s bounds are not one pair per vault asset (at most 16 assets).
    error BoundsLengthMismatch(uint256 minBounds, uint256 maxBounds, uint256 assets);
    /// @notice Asset `index`'s bounds: min above max, or max above 10,000.
    error WeightBoundsInvalid(uint256 index, uint16 minBps, uint16 maxBps);
    /// @notice No weights within the bounds sum to 10,000 (min sum above it, or max sum below).
    error WeightSumsInvalid(uint256 minSumBps, uint256 maxSumBps);
    /// @notice An asset of more than 36 decimals (the RiskEngine's bound).
    error AssetDecimalsInvalid(address asset, uint256 decimals);
    /// @notice A snapshot age was set while the vault's risk engine prices from `engineOracle`, not
    /// this contract's oracle.
    error ForeignOracle(address engineOracle, address oracle);
    /// @notice The vault's asset list changed since `setStrategy` (`assets` now, `strategyAssets`
    /// then): set the strategy again.
    error VaultAssetsChanged(address portfolio, uint256 assets, uint256 strategyAssets);
    /// @notice `setSigner` of the zero address.
    error ZeroSigner();
    /// @notice The vault's `tradeBatch` answered `length` bytes that are not a report of `trades`
    /// trades (two arrays of that length).
    error MalformedTradeReport(uint256 length, uint256 trades);
    /// @notice Construction: the record mappings are not at RebalancerLayout's slots (`portfolios`,
    /// `signers` as compiled), where the lens reads them.
    error StorageLayoutMismatch(uint256 portfolios, uint256 signers);
    error RelayerNotAllowed(address portfolio, address caller, address relayer);
    /// @notice `rebalanceBatch` was given no call, or more than `max`.
    error BatchSizeInvalid(uint256 count, uint256 max);
    /// @notice Item `index` of a batch does not start with `rebalance`'s selector.
    error NotARebalance(uint256 index);

    event StrategySet(address indexed portfolio, uint256 indexed strategyId, StrategyConfig config);
    event SignerSet(address indexed portfolio, address indexed signer, bool authorised);
    event SignerRevoked(address indexed portfolio, address indexed signer, address indexed by);
    event PausedSet(address indexed portfolio, bool paused, address indexed by);
    event RelayerSet(address indexed portfolio, address previous, address next);
    /// @notice One per executed intent; the vault's `Traded` and the aggregator's `RouteExecuted`
    /// events carry every trade and fill.
    event Rebalanced(
        address indexed portfolio,
        uint256 indexed strategyId,
        uint256 indexed nonce,
        bytes32 modelVersion,
        bytes32 signalHash,
        address relayer,
        uint256 trades,
        uint256 navBefore,
        uint256 pricesSyncedAt,
        uint256 loss
    );

    /// @notice Item `index` of a `rebalanceBatch` reverted with `reason` (its revert data: a custom
    /// error of this contract, the vault, the risk engine, the aggregator or a token); nothing of
    /// that item happened, the batch's other items are unaffected. `portfolio` is read from the
    /// item's encoding (the intent's first field).
    event RebalanceFailed(address indexed portfolio, uint256 indexed index, bytes reason);

    // ---------------------------------------------------------------- execution (anyone)

    /// @notice Executes `intent`, signed by at least the strategy's threshold of authorised
    /// signers (`signers` strictly ascending, one signature each; EOAs or ERC-1271 contracts).
    /// `routes[k]` are the relayer's legs for the k-th planned trade (`IRebalancerLens.previewRebalance`), packed
    /// as in a route (ILiquidityAggregator "Route encoding": per leg `amountIn` 16 | hopCount 1,
    /// per hop venue 20 | tokenOut 20, absent on a leg's last hop | dataLength 2 | data), back to
    /// back, nothing before or after (`keepers.liquidity.codec.encode_legs`). Their `amountIn` are
    /// relative weights — the contract scales them to the planned amount; every leg's last hop buys
    /// the trade's asset by the encoding.
    /// Basket: `routes` may instead be ONE entry of exactly 20 bytes, a NAV desk's address (a
    /// route's legs are longer). The whole plan is then settled there as one netted basket: the
    /// vault's `tradeBasket` with the desk's `INavVenue.swapBasket`, one order per planned trade
    /// (every trade of a plan sells or buys the settlement asset) at the plan's oracle-derived
    /// minimum, the vault's bounds per asset (each fund token sold at most its amount, each bought
    /// at least its minimum; the settlement asset paid at most the subscriptions less the
    /// redemptions' minimums, or received at least the reverse). The vault must allow the desk as
    /// a venue. The basket's loss is the vault's, at live oracle prices, its legs netted (one
    /// counterparty, one exchange), and is charged to this budget as a plan's loss is.
    /// @return loss Oracle value sold minus oracle value bought (0 if the trades gained), USD.
    function rebalance(
        RebalanceIntent calldata intent,
        address[] calldata signers,
        bytes[] calldata signatures,
        bytes[] calldata routes
    ) external returns (uint256 loss);

    /// @notice Relays up to MAX_BATCH (32) intents in one transaction: each item of `calls` is the
    /// ABI-encoded calldata of one `rebalance` (selector included), executed as if its relayer had
    /// sent it alone (same caller, same checks, same events). An item that reverts is undone and
    /// reported by `RebalanceFailed`; the others proceed. The whole batch reverts only for a batch
    /// of zero or more than MAX_BATCH items (`BatchSizeInvalid`), an item that is not a
    /// `rebalance` call (`NotARebalance`), or when called from within a rebalance (reentrancy).
    /// @dev Warning: an item runs with whatever gas is left (63/64 of it): one that exhausts it
    /// leaves the rest of the batch to fail for lack of gas, reported each by `RebalanceFailed`
    /// with empty `reason`; size the gas limit for the batch (the lens's GAS_BASE + GAS_PER_TRADE per trade,
    /// per item).
    function rebalanceBatch(bytes[] calldata calls) external;

    // ---------------------------------------------------------------- views

    /// @notice The OracleRouter live prices come from (immutable; the lens prices previews with it).
    function oracle() external view returns (IOracleRouter);
    // A portfolio's state (nonce, last rebalance, loss budget available, last targets), its relayer,
    // its signers and an intent's EIP-712 digest are read through the lens (IRebalancerLens
    // `stateOf`, `relayerOf`, `isSigner`, `intentDigest`), which decodes this contract's storage
    // words (`extSloads`): the rebalancer keeps its bytes for its hot path.

    // ---------------------------------------------------------------- administration

    /// @notice GOVERNOR: sets (or replaces) the portfolio's strategy; the version increments, so
    /// intents signed for an earlier version no longer execute. Nonce, cooldown clock and loss
    /// budget use carry over. The cooldown is at least MIN_COOLDOWN (600 s): the 24-bit nonce
    /// (16,777,215 rebalances) then lasts 319 years at the fastest pace (SEC-62).
    function setStrategy(address portfolio, StrategyConfig calldata config) external;
    /// @notice GOVERNOR: binds the portfolio's intents to `relayer` (address(0): anyone may relay).
    function setRelayer(address portfolio, address relayer) external;
    /// @notice GOVERNOR: authorises or removes a signer key for the portfolio.
    function setSigner(address portfolio, address signer, bool authorised) external;
    /// @notice GUARDIAN: removes a signer key at once.
    function revokeSigner(address portfolio, address signer) external;
    /// @notice GUARDIAN: stops every rebalance of the portfolio at once.
    function pause(address portfolio) external;
    /// @notice GOVERNOR: resumes rebalancing.
    function unpause(address portfolio) external;
}
