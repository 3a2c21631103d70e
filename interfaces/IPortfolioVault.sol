// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IRiskEngine, IRiskManagedPortfolio} from "./IRiskEngine.sol";

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
/// @dev Role mapping (deploy script): `addAsset`, `setVenue`, `setShareCompliance`, `setDealingFee` -> GOVERNOR;
/// `trade` -> EXECUTOR.
/// Halted (RiskEngine): no deposits or mints; trades only when risk-reducing; cash withdrawals
/// skip the risk check (investors can always leave); `redeemInKind` works in every state.
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
    error DealingFeeTooHigh(uint256 feeBps, uint256 maxFeeBps);

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
    event RedeemedInKind(
        address indexed caller, address indexed receiver, address indexed owner, uint256 shares, uint256[] amounts
    );

    function addAsset(address asset) external;
    function setVenue(address venue, bool allowed) external;
    /// @notice Binds the shares' compliance engine (a ComplianceEngine constructed for this vault;
    /// one built for another token reverts `OnlyBoundToken`).
    /// Warning: a new engine starts with its own ledger: switch only before issuance or to an
    /// engine whose ledger mirrors the holders.
    function setShareCompliance(address engine) external;
    function shareCompliance() external view returns (address);
    /// @notice Sets the dealing fee in bps of what is dealt (at most MAX_DEALING_FEE_BPS), kept by
    /// the fund on every deposit, mint, withdrawal and redemption, cash or in kind. GOVERNOR.
    function setDealingFee(uint16 feeBps) external;
    function dealingFeeBps() external view returns (uint16);
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

    /// @notice Burns `shares` of `owner` and sends `receiver` the same fraction of every holding,
    /// less the dealing fee on each (rounded in the fund's favour). Works when halted and without prices. Security tokens still pass their compliance rules.
    function redeemInKind(uint256 shares, address receiver, address owner) external returns (uint256[] memory amounts);

    function isVenue(address venue) external view returns (bool);
    /// @notice `assets()` and `holdings()` in one call (what a rebalancer reads first).
    function positions() external view returns (address[] memory assets_, uint256[] memory holdings_);
    /// @notice The risk engine that checks every trade (immutable).
    function riskEngine() external view returns (IRiskEngine);
}
