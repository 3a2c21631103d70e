// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IRiskEngine, IRiskManagedPortfolio} from "./IRiskEngine.sol";
import {IOracleRouter} from "./IOracleRouter.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @notice One trade through an allow-listed venue.
struct TradeParams {
    address sellAsset;
    uint256 sellAmount;
    address buyAsset;
    /// Least `buyAsset` the vault must receive (the executor's slippage bound).
    uint256 minBuyAmount;
    /// Allow-listed contract the vault calls with `data`; during that call it may ask to be paid
    /// (`payForSwap`) at most `sellAmount` of `sellAsset` in total.
    address venue;
    bytes data;
}

/// @notice The bounds every trade meets at oracle prices (GOVERNOR, `setTradeLimits`; SEC-50, SEC-51).
struct TradeLimits {
    /// Most a trade's output may be worth below what it sold, bps (at most MAX_TRADE_SLIPPAGE_BPS).
    uint16 maxSlippageBps;
    /// Loss at oracle prices (value sold less value bought, 18-decimal USD) the trades may run up,
    /// refilled linearly over `lossRefillPeriod`.
    uint96 lossBudget;
    /// Seconds for the budget to refill from empty (1 hour to 365 days).
    uint32 lossRefillPeriod;
}

/// @notice A holder's unsettled deal (SEC-53): provisional shares minted, the net cash paid for them
/// (the dealing fee is the fund's), and when (its strike is the first price after it).
struct Deal {
    uint112 shares;
    uint104 assets;
    uint40 dealtAt;
}

/// @title IPortfolioVault
/// @notice A multi-asset institutional portfolio: ERC-4626 shares over the settlement stablecoin
/// (assets()[0]), NAV from the oracle layer, deposits and share transfers only by verified
/// investors, trades only by approved executors through allow-listed venues, every trade and
/// every cash withdrawal checked by the RiskEngine on the state after it.
/// Paying venues: the vault never approves anyone. A trade's venue is paid by asking
/// (`ISwapPayer.payForSwap(token, to, amount)`), which the vault honours only while that trade's
/// call to its venue runs, only from that venue, only in the trade's sell asset and for at most its
/// sell amount in total (transient storage, opened before the call and closed after it); anything
/// else reverts `PaymentNotExpected` or `PaymentAboveTrade` (RSK-13). The LiquidityAggregator pays
/// the venues of a route this way through `swapWithCallback`; its venues cannot ask the vault
/// themselves (they are not the running trade's venue). This costs no storage write, where an
/// exact approval costs two (set, then consumed or reset).
/// Shares are securities: every share movement (mint on deposit, transfer, burn on redemption)
/// passes the share compliance engine bound to the vault — the same ComplianceEngine a
/// SecurityToken has (jurisdictions, investor classes, holder caps, lock-ups, limits, identity
/// ledger) — and none moves while no engine is bound (`ShareComplianceNotSet`). A wallet under a
/// sanctions freeze (IIdentityRegistry) sends, receives and redeems nothing, and is paid nothing.
/// @dev Role mapping (deploy script): `addAsset`, `setVenue`, `setShareCompliance`, `setDealingFee`,
/// `setTradeLimits` -> GOVERNOR; `trade`, `tradeBatch` -> EXECUTOR. `settleDeal` is anyone's.
/// Halted (RiskEngine): no deposits or mints; trades only when risk-reducing; cash withdrawals
/// skip the risk check (investors can always leave); `redeemInKind` works in every state. So do
/// cash withdrawals while the engine holds no configuration for the vault's asset list (never
/// configured, or an asset listed and not yet configured: SEC-59); trades then revert.
/// Not halted: a cash withdrawal that would leave the portfolio beyond a limit reverts with the
/// limit (`RiskLimitBreached`) and the investor can redeem in kind instead.
/// Warning: `totalAssets` reads every asset's oracle price and reverts `PriceUnavailable` when one
/// with a balance has none; so do deposits and cash withdrawals (never at a stale NAV).
/// `redeemInKind` needs no price.
/// Dealing fee (anti-dilution levy, SEC-10): deposits, mints, cash withdrawals and redemptions, and
/// in-kind redemptions pay `dealingFeeBps` (GOVERNOR, at most MAX_DEALING_FEE_BPS), which stays in
/// the fund for the holders who remain. Oracle prices lag the market (a feed moves on its deviation
/// threshold or heartbeat): without a fee, a deposit at an oracle NAV below the market followed by
/// an in-kind redemption (or a cash redemption at an oracle NAV above it) takes the lag out of the
/// other holders, a free swap at stale prices. With the fee, a round trip gains only where the
/// oracle's lag on the fund's NAV exceeds twice the fee. NOT prevented: a lag larger than that
/// (forward pricing — dealing at the next NAV strike, the fund-lifecycle domain — is the structural
/// answer); the previews and `maxWithdraw` include the fee (ERC-4626).
/// Trades at oracle prices (SEC-50, SEC-51). Whatever the venue and its data, the vault values
/// what each trade sold and bought at live oracle prices (`IOracleRouter.price`; a trade in an
/// asset without one reverts `PriceUnavailable`) and refuses an output worth less than the sale
/// less `tradeLimits().maxSlippageBps` (`TradeBelowOracle`); what the trades of one call lose at
/// those prices (value sold less value bought, gains not offset) is charged to a loss budget that
/// refills linearly (`TradeLossBudgetExceeded`). An EXECUTOR — the rebalancer, or the deploy
/// script's `--executor` — can therefore cost the fund at most the budget per refill period, however
/// it routes; with the aggregator as venue its routes deliver to the vault only (the aggregator's
/// `swapWithCallback` refuses another recipient). Until GOVERNOR sets the limits a trade may lose
/// nothing at all. NOT bounded: the oracle's own error (a trade at a lagging oracle price is
/// measured at that price).
/// Dealing at the next price (SEC-53). Oracle prices lag the market, so a deposit at today's
/// oracle NAV just before a report that moves it (and a redemption after) took the move out of the
/// other holders. A deposit or mint into a vault holding anything but the settlement asset is
/// therefore provisional: its shares are minted at today's NAV and locked (no transfer,
/// redemption, withdrawal or in-kind redemption: `DealUnsettled`; `maxRedeem` / `maxWithdraw`
/// exclude them), its net cash is reserved (not traded, not paid out: `InsufficientCash`), and
/// anyone's `settleDeal(holder, rounds)` reprices it at the first round of every holding's primary
/// feed published after the deal (`IOracleRouter.priceAfter`: the settler names the rounds, the
/// oracle checks each is the first after the deal) — the shares the net cash buys of the other
/// holders' book at those prices are minted or burnt to (that book holds the deal's dealing fee,
/// the other holders' from the deal on: the deal is worth its net cash exactly at the strike, where
/// an instant deal takes back its share of its own fee). A deal waits for its prices: a feed that
/// stops publishing, or whose first round after the deal is out of its bounds, is the oracle
/// governance's to mend (`IOracleRouter.setFeed`: a new feed publishes new rounds, new bounds are
/// read at settlement) — no cancellation, which would let the holder choose between the strike
/// and its money back. Deals into an all-cash vault are exact at once
/// (no price in the NAV). The bound: whatever the next report, a deposit-then-redeem round trip
/// returns the deposit less its two dealing fees. A holder extends its own deal (a second deposit
/// moves the strike after it); a third party's deposit to a holder with an unsettled deal reverts
/// `DealUnsettled`. NOT prevented: a holder's exit at today's price (a cash redemption just
/// before a report that lowers the NAV; in kind is exact): exits are not forward priced; the
/// dealing fee is the levy on them. The ERC-4626 conversions and previews use the settled book
/// (the unsettled deals' cash and shares aside); `totalAssets` and `holdings` include them, as the
/// RiskEngine's NAV per share does (provisional shares at their deal's price), and `positions`
/// reports the cash less the deals' (what may be traded).
/// Maximums (SEC-61): `maxRedeem` / `maxWithdraw` are what `redeem` / `withdraw` accept — the
/// owner's free shares, at most the cash the vault may pay out, 0 when frozen or when the risk
/// check would refuse (an underestimate, as ERC-4626 allows); `redeem` / `withdraw` themselves
/// revert with the cause (`InsufficientCash`, `DealUnsettled`, `RiskLimitBreached`).
interface IPortfolioVault is IERC4626, IRiskManagedPortfolio {
    error InvestorNotVerified(address account);
    /// @notice `account` is under a sanctions freeze in the identity registry (see IIdentityRegistry).
    error InvestorFrozen(address account);
    error PortfolioHalted();
    error VenueNotAllowed(address venue);
    error UnknownAsset(address asset);
    error TooManyAssets(uint256 max);
    error AssetAlreadyListed(address asset);
    error SameAsset(address asset);
    error InsufficientOutput(address asset, uint256 received, uint256 minBuyAmount);
    error UnexpectedBalanceChange(address asset, uint256 before, uint256 afterTrade);
    error ZeroShares();
    error InvalidTradeCount(uint256 count, uint256 max);
    /// @notice `token.balanceOf` failed or returned less than a word.
    error BalanceUnavailable(address token);
    error ShareComplianceNotSet();
    /// @notice `payForSwap` called by `caller` for `token` outside a running trade (`venue` zero),
    /// by another address than the running trade's venue, or for another token than its sell asset.
    error PaymentNotExpected(address caller, address token, address venue, address sellAsset);
    /// @notice The running trade's venue asked for `amount` of `token` with `remaining` left of its sell amount.
    error PaymentAboveTrade(address token, uint256 amount, uint256 remaining);
    /// @notice Raised by the share compliance engine (and passed on by the vault) when a share
    /// movement breaks a rule; `reasonCode` as `detectTransferRestriction`.
    error TransferNotCompliant(address from, address to, uint256 amount, uint8 reasonCode);
    /// @notice `setShareCompliance` refused an engine judging with another identity registry,
    /// `engineRegistry`, than the vault's, `registry` (SEC-69; raised by `ShareCompliance.bind` in
    /// the governance module, PortfolioAdmin; declared here for the vault's ABI).
    error ShareRegistryMismatch(address engineRegistry, address registry);
    error DealingFeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    /// @notice `asset` cannot be listed: more than 36 decimals (the valuation's bound; an account
    /// without code or a contract without `balanceOf` reverts `BalanceUnavailable`).
    error AssetNotSupported(address asset);
    /// @notice A trade bought `bought` of `buyAsset` for `sold` of `sellAsset`: below `minimum`, the
    /// sale's value at oracle prices less `maxSlippageBps` (SEC-50).
    error TradeBelowOracle(address sellAsset, uint256 sold, address buyAsset, uint256 bought, uint256 minimum);
    /// @notice The trades would lose `loss` (18-decimal USD at oracle prices), more than the
    /// `available` loss budget (SEC-51).
    /// @notice A basket's output (`tradeBasket`) is worth `valueBought` at oracle prices, below
    /// `floorValue`: what it sold, `valueSold`, less `maxSlippageBps` (18-decimal USD, SEC-50).
    error BasketBelowOracle(uint256 valueSold, uint256 valueBought, uint256 floorValue);
    error TradeLossBudgetExceeded(uint256 loss, uint256 available);
    error InvalidTradeLimits(uint16 maxSlippageBps, uint96 lossBudget, uint32 lossRefillPeriod);
    /// @notice `holder`'s unsettled deal keeps `locked` of its shares where they are (SEC-53).
    error DealUnsettled(address holder, uint256 locked);
    error NoDeal(address holder);
    /// @notice `assets` of the settlement asset asked for, or kept; `available` is what the vault
    /// may pay out or holds (held, less the unsettled deals' cash).
    error InsufficientCash(uint256 assets, uint256 available);

    event AssetAdded(address indexed asset, uint256 index);
    event ShareComplianceSet(address indexed previous, address indexed next);
    event DealingFeeSet(uint16 previous, uint16 next);
    event VenueSet(address indexed venue, bool previous, bool allowed);
    event Traded(
        address indexed executor,
        address indexed venue,
        address sellAsset,
        uint256 sold,
        address buyAsset,
        uint256 bought
    );
    /// @notice A basket at `venue` (`tradeBasket`): the oracle value of what left the vault and of
    /// what arrived (18-decimal USD; the amounts are in the tokens' and the venue's events).
    event BasketTraded(address indexed executor, address indexed venue, uint256 valueSold, uint256 valueBought);
    event RedeemedInKind(
        address indexed caller, address indexed receiver, address indexed owner, uint256 shares, uint256[] amounts
    );
    event TradeLimitsSet(TradeLimits previous, TradeLimits next);
    /// @notice `holder`'s deal is open (or extended): `shares` provisional for `assets` of net cash,
    /// to be priced after `dealtAt`.
    event DealOpened(address indexed holder, uint256 shares, uint256 assets, uint256 dealtAt);
    /// @notice `holder`'s deal priced: its `provisionalShares` became `shares`, `nav` the vault's NAV
    /// (settlement units) at the strike prices.
    event DealSettled(address indexed holder, uint256 provisionalShares, uint256 shares, uint256 assets, uint256 nav);

    /// @notice Writes the vault's storage, once, from its GovernedProxy's constructor (issue 34):
    /// its AccessManager, and its settlement asset as asset 0 (`AssetAdded(asset, 0)`). Reverts
    /// `InitializeOutsideConstruction` on any account with code (a deployed proxy, the
    /// implementation: nobody initializes a vault after its creation or front-runs it) and
    /// `AccessManagedInvalidAuthority` for an authority with no code. The shares' name and symbol
    /// are immutables of the code (at most 31 bytes each). NOT checked: that the proxy was created
    /// with it (one created without it has no authority and lists no asset: deploy another).
    function initialize(address authority) external;

    /// @notice GOVERNOR: lists `asset` (at most MAX_ASSETS, 16 with the settlement asset, never
    /// removed: `TooManyAssets(16)`). Refused unless it
    /// answers `balanceOf` (`BalanceUnavailable`: an account without code answers nothing) and
    /// `decimals`, at most 36 (`AssetNotSupported`) (SEC-58): every exit reads every balance. Not checked: that the oracle prices it (a held asset without a
    /// price makes the NAV, hence cash dealing, revert `PriceUnavailable`; in kind still works).
    function addAsset(address asset) external;
    function setVenue(address venue, bool allowed) external;
    /// @notice Binds the shares' compliance engine (a ComplianceEngine constructed for this vault;
    /// one built for another token reverts `OnlyBoundToken`).
    /// Warning: a new engine starts with its own ledger: switch only before issuance or to an
    /// engine whose ledger mirrors the holders.
    function setShareCompliance(address engine) external;
    function shareCompliance() external view returns (address);
    /// @notice Sets the dealing fee in bps of what is dealt (at most MAX_DEALING_FEE_BPS, 200:
    /// `DealingFeeTooHigh(fee, 200)`), kept by
    /// the fund on every deposit, mint, withdrawal and redemption, cash or in kind. GOVERNOR.
    function setDealingFee(uint16 feeBps) external;
    function dealingFeeBps() external view returns (uint16);
    /// @notice GOVERNOR: the trade limits (SEC-50, SEC-51): `maxSlippageBps` at most
    /// MAX_TRADE_SLIPPAGE_BPS (1,000), `lossRefillPeriod` from 1 hour to 365 days
    /// (`InvalidTradeLimits`). The loss already used carries over.
    function setTradeLimits(uint16 maxSlippageBps, uint96 lossBudget, uint32 lossRefillPeriod) external;
    function tradeLimits() external view returns (TradeLimits memory);
    /// @notice The trade loss budget left now (18-decimal USD).
    function tradeLossAvailable() external view returns (uint256);
    /// @notice Prices `holder`'s deal at the first round of every holding's primary feed published
    /// after it: `rounds[i]` names asset i's (one id per asset, ignored where no price is needed:
    /// an asset not held, the settlement asset when nothing else is). Anyone may call it once the
    /// prices exist; the oracle checks each round (`IOracleRouter.valueAfter`: `PriceUnavailable
    /// (asset, status)`, `NotFirstRound` for a round that is not the first after the deal).
    /// @return shares The holder's shares for the deal, now free.
    function settleDeal(address holder, uint80[] calldata rounds) external returns (uint256 shares);
    function dealOf(address holder) external view returns (Deal memory);
    /// @notice Why a share transfer would be refused, from the share compliance engine (the
    /// tokens' ERC-1404 codes; 0: it would not). Does not include the sanctions freeze of an
    /// unregistered wallet (`InvestorFrozen`) nor the sender's balance.
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);

    /// @notice Sells up to `sellAmount` of one asset for at least `minBuyAmount` of another
    /// through an allow-listed venue, then requires the RiskEngine to pass the new holdings.
    /// @dev The venue is paid by `payForSwap` during the call (see above); `sold` is what it was
    /// paid, `bought` the vault's measured gain; no other holding may move.
    /// @return sold What left the vault. @return bought What arrived.
    function trade(TradeParams calldata params) external returns (uint256 sold, uint256 bought);

    /// @notice `trade` for several trades in sequence, with one risk check on the state after all
    /// of them (a rebalance may pass through states the limits would refuse on its way to one they
    /// accept). Each trade is bounded as in `trade`; assets not traded must not move.
    /// @dev Bounded: at most MAX_ASSETS trades.
    function tradeBatch(TradeParams[] calldata trades) external returns (uint256[] memory sold, uint256[] memory bought);

    /// @notice One exchange of several assets at once with one allow-listed venue (a NAV desk's
    /// netted basket: redemptions and subscriptions in one call, the cash legs settled net).
    /// `basket` is `abi.encode(address venue, uint256[] sellAmounts, uint256[] minBuyAmounts,
    /// bytes data)`, the arrays indexed by `assets()` (one encoded argument: the vault decodes
    /// nothing itself, for size). During the call to `venue` with `data`, the venue may ask to be
    /// paid (`payForSwap`) each asset i up to `sellAmounts[i]` in total; afterwards every asset is
    /// measured.
    /// @dev Checked, as for `trade` (SEC-50, SEC-51): an allow-listed venue (`VenueNotAllowed`),
    /// paid only during its call, each asset at most its amount; afterwards no asset holds less
    /// than it held less what it paid (`UnexpectedBalanceChange`: nothing else left), and each
    /// asset's net gain is at least `minBuyAmounts[i]` (`InsufficientOutput`). The basket is
    /// valued at live oracle prices as one exchange, by each asset's net movement: what arrived
    /// must be worth at least what left less `maxSlippageBps` (`BasketBelowOracle`), and the net
    /// loss (one counterparty, one exchange: its legs offset each other) is charged to the loss
    /// budget (`TradeLossBudgetExceeded`). The unsettled deals' cash stays (`InsufficientCash`),
    /// then the RiskEngine checks the state after against the one before. Reverts
    /// `InvalidTradeCount(length, assets)` unless both arrays have one entry per asset.
    /// NOT checked: which order of the venue's basket gave which output (the venue's events say).
    /// The checks run in the vault's basket module (`basketModule`: PortfolioBasket, deployed once
    /// per build and checked by the vault's constructor) by DELEGATECALL, after the vault's access
    /// check and guard: the vault calls the venue and pays it.
    /// @return loss Value sold less value bought at those prices (0 if it gained), 18-decimal USD.
    function tradeBasket(bytes calldata basket) external returns (uint256 loss);

    /// @notice Burns `shares` of `owner` and sends `receiver` the same fraction of every holding,
    /// less the dealing fee on each (rounded in the fund's favour). Works when halted and without prices. Security tokens still pass their compliance rules.
    function redeemInKind(uint256 shares, address receiver, address owner) external returns (uint256[] memory amounts);

    function isVenue(address venue) external view returns (bool);
    /// @notice `assets()` and `holdings()` in one call (what a rebalancer reads first), the
    /// settlement asset less the unsettled deals' cash (what trades may spend).
    function positions() external view returns (address[] memory assets_, uint256[] memory holdings_);
    /// @notice The risk engine that checks every trade (immutable).
    function riskEngine() external view returns (IRiskEngine);
    /// @notice The oracle router every trade and deal is valued with (immutable).
    function oracle() external view returns (IOracleRouter);
    /// @notice The identity registry the vault reads verification and sanctions freezes from, and
    /// its share compliance engine judges with (immutable).
    function registry() external view returns (IIdentityRegistry);
    /// @notice The code `tradeBasket` runs on this vault's storage (PortfolioBasket, immutable; its
    /// `moduleId` names the vault's layout).
    function basketModule() external view returns (address);
    /// @notice The code the governance setters (`addAsset`, `setVenue`, `setDealingFee`,
    /// `setTradeLimits`, `setShareCompliance`) run on this vault's storage, after the vault's access
    /// check (PortfolioAdmin, immutable; its `moduleId` names the vault's layout).
    function adminModule() external view returns (address);
}
