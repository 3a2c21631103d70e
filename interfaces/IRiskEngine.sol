// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IExtSloads} from "./IExtSloads.sol";
import {IOracleRouter} from "./IOracleRouter.sol";

/// @notice The limit a check found broken (None: the check passed).
enum RiskLimit {
    None,
    /// The portfolio is halted: only risk-reducing trades pass.
    Halted,
    /// The keeper's model data is older than `maxModelAge` (or was never published).
    StaleModel,
    /// The engine's price snapshot is older than `maxPriceAge`.
    StalePrices,
    /// An asset with a position after the trade has no valid price in the snapshot.
    UnpricedAsset,
    /// One asset's weight; `subject` is its index.
    AssetConcentration,
    /// One asset class's weight; `subject` is the class.
    ClassConcentration,
    /// The share of liquid assets is below the minimum.
    MinLiquidity,
    /// 1-day parametric (delta-normal) VaR at 95% / 99%, as a share of NAV.
    Var95,
    Var99,
    /// Expected Shortfall: the keeper's ES/sigma multiplier times the portfolio sigma.
    ExpectedShortfall,
    /// Worst loss over the keeper's stress scenarios; `subject` is the scenario.
    StressLoss,
    /// Drawdown of NAV per share from its high-water mark (soft cap).
    Drawdown,
    /// The keeper's correlations give a negative portfolio variance for these weights.
    InvalidModel
}

/// @notice What `configure`, `halt` or the constructor refused (`IRiskEngine.InvalidRiskConfig`,
/// with the value refused).
enum RiskConfigRule {
    ZeroOracle, // the constructor's oracle (value 0)
    StorageLayout, // the record mapping is not at RiskLayout.PORTFOLIOS_SLOT (value: its slot)
    AssetCount, // none or above MAX_ASSETS
    MaxWeightBps, // an asset's: 0 or above 10,000
    AssetClass, // an asset's: MAX_CLASSES or above
    Decimals, // an asset's: above 36
    ZeroSubject, // `halt(address(0))`
    LimitBps, // minLiquidBps, maxDrawdownBps or hardDrawdownBps above 10,000 (value: the largest)
    HardDrawdownBelowMax, // a hard drawdown set below maxDrawdownBps (value: the hard one)
    ZeroMaxAge, // maxModelAge or maxPriceAge
    ZeroChangeBound, // maxVolChangeBps, maxCorrelationChange or maxStressChangeBps
    BoundWindowHours // above one year (8,760)
}

/// @notice What `publishModel` refused (`IRiskEngine.InvalidModelUpdate`, with `index`: the value
/// refused, or the position of the entry refused).
enum ModelRule {
    AsOf, // not after the model's, or in the future (index: the update's asOf)
    VolsLength, // not one per asset (index: the length)
    CorrelationsLength, // not n(n-1)/2 (index: the length)
    StressLength, // not whole scenarios, or above MAX_SCENARIOS (index: the length)
    EsMultiplier, // outside [1, 10] x 1e6 (index: the multiplier)
    Grade, // above 5 (index: the grade)
    StressScenariosDropped, // fewer scenarios than the model has (index: the update's count)
    Vol, // 0 or above MAX_VOL_PPM (index: the asset)
    Correlation, // outside [-10,000, 10,000] (index: the pair)
    Stress, // outside [-10,000, 10,000] (index: the shock)
    CorrelationMatrix // not a correlation matrix (RSK-15; index: the first failing pivot)
}

/// @notice Result of a risk check. Values and bounds are in basis points of NAV (weights, VaR,
/// ES, stress loss, drawdown); `value - bound` is by how much the limit breaks.
struct RiskCheck {
    bool ok;
    RiskLimit limit;
    uint8 subject;
    uint256 value;
    uint256 bound;
    /// True when the trade lowers risk: no non-liquid position grows and 99% VaR (bps of NAV)
    /// does not grow. Such trades pass even when halted, stale or beyond a limit. Evaluated only
    /// when a gate or limit fails (false on the plain pass path).
    bool riskReducing;
}

/// @notice One asset of a portfolio, in the order of the portfolio's `assets()`.
struct AssetRisk {
    uint16 maxWeightBps;
    /// Asset class, < MAX_CLASSES (e.g. 0 cash, 1 T-bills, 2 notes, 3 corporate credit).
    uint8 assetClass;
    /// Counts towards the minimum liquid share (settlement stablecoin, T-bills).
    bool liquid;
}

/// @notice Per-portfolio limits (basis points of NAV) and data-quality bounds.
struct RiskLimits {
    uint16 minLiquidBps;
    uint16 maxVar95Bps;
    uint16 maxVar99Bps;
    uint16 maxEsBps;
    uint16 maxStressLossBps;
    /// Beyond it only risk-reducing trades pass.
    uint16 maxDrawdownBps;
    /// Beyond it `sync` halts the portfolio (0: no hard cap).
    uint16 hardDrawdownBps;
    /// Model data older than this refuses risk-increasing trades.
    uint32 maxModelAge;
    /// A price snapshot older than this refuses risk-increasing trades.
    uint32 maxPriceAge;
    /// Shortest time between two model updates.
    uint32 minUpdateDelay;
    /// Largest relative change of one asset's volatility, and of the ES multiplier, per update
    /// (basis points of the old value; scaled by time under `boundWindowHours`).
    uint16 maxVolChangeBps;
    /// Largest absolute change of one correlation per update (1e-4 units; scaled likewise).
    uint16 maxCorrelationChange;
    /// Largest absolute change of one stress shock per update (basis points; scaled likewise).
    uint16 maxStressChangeBps;
    /// Hours over which a loosening change may use its whole bound (RSK-17; at most 8,760, one
    /// year). 0: every change, up or down, is bounded per update (the bounds compound). Otherwise
    /// a decrease of a volatility, the ES multiplier, a correlation or a stress shock (and an
    /// increase of the volatility of an asset with a negative correlation) may use the share
    /// min(elapsed, window) / window of its bound, `elapsed` the seconds since the last model,
    /// and any other increase is bounded only by the absolute ranges (see `publishModel`).
    uint16 boundWindowHours;
    /// Weight cap per asset class (index = class; 0 = no cap).
    uint16[8] maxClassWeightBps;
}

/// @notice Model inputs and metrics published by the risk keeper for one portfolio.
struct ModelUpdate {
    /// Must be the previous update's id + 1 (replays and gaps are refused).
    uint64 updateId;
    /// When the keeper's data was taken; must be after the previous update's and not in the future.
    uint40 asOf;
    /// Daily volatility per asset, in parts per million (1% = 10,000), in `assets()` order.
    uint32[] volsPpm;
    /// Correlations, upper triangle row by row ((0,1), (0,2), ..., (n-2,n-1)), 1e-4 units.
    int16[] correlations;
    /// Expected Shortfall (97.5%, 1 day) over sigma, from the keeper's fat-tailed model, ppm
    /// (normal: 2,337,803).
    uint32 esMultiplierPpm;
    /// Loss per asset in each stress scenario, in bps of the position: scenario-major
    /// (scenario s, asset i at s * n + i); negative values are gains.
    int16[] stressLossBps;
    RiskMetrics metrics;
}

/// @notice The keeper's latest risk metrics, readable by wallets. Ratios are 1e-4 units (bps).
struct RiskMetrics {
    uint32 var95Bps;
    uint32 var99Bps;
    uint32 esBps;
    /// Annualised volatility.
    uint32 volatilityBps;
    int32 sharpeE4;
    int32 sortinoE4;
    uint32 maxDrawdownBps;
    int32 betaE4;
    /// 0 (illiquid) to 10,000 (all cash-like).
    uint32 liquidityScoreBps;
    /// Herfindahl index of weights.
    uint32 concentrationBps;
    /// 0 = A ... 5 = F.
    uint8 grade;
}

/// @title IRiskEngine
/// @notice Enforces per-portfolio risk limits on the state after each trade: concentration per
/// asset and per class, minimum liquid share, 1-day parametric VaR at 95% and 99% computed
/// on-chain from the weights and the keeper's volatilities and correlations, Expected Shortfall
/// and stress loss from keeper-published multipliers and scenario shocks (so they are also
/// evaluated on the post-trade weights), and drawdown from the NAV-per-share high-water mark.
/// A halted portfolio takes no new risk: only risk-reducing trades pass; withdrawals are the
/// vault's concern and keep working.
/// @dev Role mapping (deploy script): `configure` and `resume` -> GOVERNOR (timelocked),
/// `halt` -> GUARDIAN, `publishModel` -> RISK_KEEPER. `sync` is open to anyone.
/// Prices come from a per-portfolio snapshot taken by `sync` (one oracle read per asset), so a
/// check costs a few storage reads rather than one oracle call per asset; checks refuse
/// risk-increasing trades when the snapshot is older than `maxPriceAge`.
/// The keeper's correlations must form a correlation matrix (RSK-15: no eigenvalue at or below
/// -n x 1e-4); a negative portfolio variance, should rounding still produce one, fails the check
/// (`InvalidModel`).
/// Warning: VaR, ES and stress values are relative to NAV valued at the snapshot prices; trade
/// execution prices are the executor's and the venue's concern (minimum outputs).
/// Read-only views the checks do not need live in the periphery (`IRiskLens`: the limits and
/// asset parameters, the model inputs, a portfolio's VaR), which reads this engine's words with
/// `extSloads` at the slots `RiskLayout` gives.
interface IRiskEngine is IExtSloads {
    error RiskLimitBreached(address portfolio, RiskLimit limit, uint8 subject, uint256 value, uint256 bound);
    error PortfolioNotConfigured(address portfolio);
    error InvalidRiskConfig(address portfolio, RiskConfigRule rule, uint256 value);
    error HoldingsLengthMismatch(uint256 expected, uint256 actual);
    error StaleUpdate(address portfolio, uint64 expectedId, uint64 updateId);
    error UpdateTooSoon(address portfolio, uint256 lastPublishedAt, uint256 minUpdateDelay);
    error InvalidModelUpdate(address portfolio, ModelRule rule, uint256 index);
    error ModelChangeTooLarge(address portfolio, uint256 index, uint256 previous, uint256 next);
    error NotHalted(address portfolio);
    /// @notice Holding `index` of `portfolio` (`value`: its units), or its NAV (`index` = the asset
    /// count, `value` the NAV), is worth `RiskMath.MAX_VALUE` (2**100 in 18-decimal USD, ~1.27e12
    /// USD) or more at the snapshot prices: beyond what a check can measure. A bound on value, not
    /// units (SEC-52): any number of units of an asset of any decimals is measured below it.
    error PositionTooLarge(address portfolio, uint256 index, uint256 value);

    event PortfolioConfigured(address indexed portfolio, RiskLimits previous, RiskLimits next, AssetRisk[] assets);
    event ModelPublished(address indexed portfolio, uint64 indexed updateId, uint40 asOf, RiskMetrics metrics);
    /// @notice A sync: `navPerShare` and `highWaterMark` are USD (18 decimals) per whole share
    /// (10**decimals() share units); a NAV per share above 2^80 - 1 (1.2 million USD) halts the
    /// portfolio with `InvalidModel`, since its drawdown can no longer be measured.
    event Synced(
        address indexed portfolio, uint256 navPerShare, uint256 highWaterMark, uint16 drawdownBps, uint16 pricedMask
    );
    event Halted(address indexed portfolio, address indexed by, RiskLimit reason);
    event Resumed(address indexed portfolio, address indexed by);

    /// @notice Sets a portfolio's asset risk parameters (in the order of its `assets()`) and limits.
    /// Keeps published model data only if the asset list is unchanged.
    function configure(address portfolio, AssetRisk[] calldata assets, RiskLimits calldata limits) external;

    /// @notice Publishes model inputs and metrics within the on-chain bounds (see `RiskLimits`):
    /// the next update id, an as-of after the last and not in the future, at most one update per
    /// `minUpdateDelay`, vols in (0, MAX_VOL_PPM], correlations and shocks within +-1, the ES
    /// multiplier in [1, 10] (ppm), never fewer stress scenarios than the model it replaces
    /// (RSK-14), correlations that form a correlation matrix: no eigenvalue at or below
    /// -n x 1e-4 (RSK-15; `InvalidModelUpdate(CorrelationMatrix)` with the first failing pivot),
    /// and each input within its change bound of its previous value (RSK-3, RSK-17): each vol and
    /// the ES multiplier within `maxVolChangeBps` of it (relative), each correlation within
    /// `maxCorrelationChange` and each shock of the scenarios it had within `maxStressChangeBps`
    /// (absolute; `ModelChangeTooLarge(portfolio, index, previous, next)`, the ES multiplier at
    /// index n, correlations and shocks offset-binary, value + 10,000). The first model after
    /// `configure` has nothing to compare with: only the absolute ranges apply.
    /// With `boundWindowHours` 0, every change, up or down, may use its whole bound per update,
    /// so the bounds compound: a compromised keeper walks a vol down by `maxVolChangeBps` every
    /// `minUpdateDelay`. With a window of W hours, a LOOSENING change — a vol, the ES multiplier,
    /// a correlation or a shock decreasing — may use the share min(t, W x 3600) / (W x 3600) of its
    /// bound, t the seconds since the last model (relative: previous x maxVolChangeBps / 10,000 x
    /// that share). The shares of the updates in any stretch of time sum to at most its length in
    /// windows, so however the updates are split, a correlation or a shock falls by at most its
    /// bound per window, and a vol or the ES multiplier by at most the factor (1 - b) per window,
    /// b = maxVolChangeBps / 10,000: what one update per window at the whole bound does; splitting
    /// only slows the fall (the product of the (1 - b s_k) is at least 1 - b times the sum of the
    /// s_k; many small steps over one window leave e^(-b)). A TIGHTENING change (an increase of a
    /// correlation, a shock, the ES multiplier, or the vol of an asset with no negative
    /// correlation in the update) is bounded only by the absolute ranges: the vault is long-only
    /// (holdings are unsigned), so in the portfolio variance sum_ij w_i w_j sigma_i sigma_j rho_ij,
    /// every w_i >= 0, no term decreases when a correlation increases, nor when sigma_i increases
    /// and every rho_ij of asset i is >= 0; ES (the multiplier times sigma) and a scenario's loss
    /// sum_i w_i shock_i do not decrease when the multiplier or a shock does not. The vol of an
    /// asset with a negative correlation (a hedge) is different: raising it lowers the variance
    /// of a book the hedge offsets, as holding more of the hedge would, so its increase is
    /// bounded like a decrease. The worst a compromised keeper does by tightening is refuse new
    /// risk, a liveness failure (the GUARDIAN halts, the GOVERNOR replaces the keeper); it never
    /// lets risk through. Costs about n^3 / 6 multiply-adds for the matrix check (16 assets: 680).
    /// NOT checked: that the model is right. Within the bounds a compromised keeper still halves a
    /// vol each window (5,000 bps; the fund's window is 24 h) and raises any other input at once,
    /// and the metrics (`RiskMetrics`) are published as given (wallets read them; no check uses
    /// them). An honest keeper's model lags too: a decrease, and a hedge's vol increase, at most
    /// at that pace (in a crash a hedge's vol may be understated for days; the GOVERNOR's
    /// `configure` with a shorter window, or none, lets it catch up). With `boundWindowHours` 0
    /// the bounds compound as above, bounded only by the GUARDIAN's halt and a long
    /// `minUpdateDelay`.
    /// @dev The share uses `publishedAt`, the block time of the last accepted model; an update
    /// refused for its size may be sent again later with a larger share. A keeper that keeps its
    /// correlations a valid matrix by moving them one common fraction of the way to its estimate
    /// (a convex combination) moves them only as far as its most constrained entry allows.
    function publishModel(address portfolio, ModelUpdate calldata update) external;

    /// @notice Takes the price snapshot (one oracle read per asset), updates NAV per share, its
    /// high-water mark and drawdown, and halts the portfolio when a hard limit breaks (drawdown
    /// beyond `hardDrawdownBps`, or no asset priced). Anyone may call it. Never reverts for the
    /// size of a holding (SEC-52): one worth `RiskMath.MAX_VALUE` or more (or a NAV that is) halts
    /// the portfolio (`InvalidModel`) instead, so the vault's cash withdrawals skip the check that
    /// cannot run and in-kind redemptions work; checks then revert `PositionTooLarge` until it
    /// is gone. Below that bound a donation, of any units, is valued like any holding.
    /// @return halted Whether the portfolio is halted after the call.
    function sync(address portfolio) external returns (bool halted);

    /// @notice Guardian stop: the subject takes no new risk until `resume`. A subject is a
    /// configured portfolio or any address another contract reads `isHalted` of: the prime broker
    /// halts its whole book on `halt(broker)` and an account on `halt(account identity)`.
    /// Not checked: that anything reads the subject (a halt of an unknown address is recorded and
    /// binds nothing). Reverts `InvalidRiskConfig` for the zero address.
    /// Warning: one address space for every subject: whoever holds `halt` halts vaults, the book
    /// and accounts alike; an identity equal to a configured portfolio would share its halts (and
    /// `sync`'s: see IPrimeBroker).
    function halt(address subject) external;
    /// @notice Lifts a halt (GOVERNOR, not the guardian). `resetHighWaterMark` restarts drawdown
    /// from the last synced NAV per share (otherwise a drawdown beyond the hard cap re-halts at
    /// the next `sync`).
    function resume(address portfolio, bool resetHighWaterMark) external;

    /// @notice Checks the state after a trade, given the holdings (token units, `assets()` order)
    /// before and after it. Reverts `RiskLimitBreached` unless the check passes.
    /// @dev Called by the portfolio itself (msg.sender is the portfolio).
    function enforce(uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter) external view;

    /// @notice `enforce` for an investor's cash exit (the vault's withdrawals): passes without a
    /// check while the portfolio is halted (investors can always leave) and while the engine holds
    /// no configuration of the portfolio's current asset list (never configured, or an asset
    /// listed since `configure`: nothing can be checked, SEC-59); otherwise exactly `enforce`.
    /// @dev Called by the portfolio itself (msg.sender is the portfolio). Trades use `enforce`,
    /// which refuses an unconfigured list (`PortfolioNotConfigured`, `HoldingsLengthMismatch`).
    function enforceExit(uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter) external view;

    /// @notice The pre-trade view: what `enforce` would decide for `portfolio`.
    function check(address portfolio, uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter)
        external
        view
        returns (RiskCheck memory);

    /// @notice The price snapshot of the portfolio's last `sync`: when it was taken, which assets
    /// it priced (bit i set: asset i, in `assets()` order, had a valid oracle price then; a bit
    /// clear: that asset keeps an older price, or none), and each asset's price in USD with 18
    /// decimals — the OracleRouter's validated price at `syncedAt`, truncated to 1e-9 USD (exact
    /// for 8-decimal feeds). What every check of this engine values holdings at.
    /// @dev Warning: the prices are as old as `syncedAt`; a caller pricing trades with them must
    /// bound that age itself and require the assets it uses to be priced (the AutoRebalancer:
    /// every asset priced, at most its strategy's `maxSnapshotAge` old, else live prices).
    function priceSnapshot(address portfolio)
        external
        view
        returns (uint256 syncedAt, uint256 pricedMask, uint256[] memory prices18);

    /// @notice The oracle the snapshots are taken from.
    function oracle() external view returns (IOracleRouter);

    /// @notice Whether `subject` (a portfolio, the prime broker, a margin account) is halted.
    function isHalted(address subject) external view returns (bool);
    function metricsOf(address portfolio)
        external
        view
        returns (RiskMetrics memory metrics, uint64 updateId, uint40 asOf, uint40 publishedAt);
}

/// @notice What the risk engine reads from a portfolio (and its ERC-20 `totalSupply` of shares).
interface IRiskManagedPortfolio {
    /// @notice The portfolio's assets; index 0 is the settlement asset.
    function assets() external view returns (address[] memory);
    /// @notice Holdings in token units, in `assets()` order.
    function holdings() external view returns (uint256[] memory);
}
