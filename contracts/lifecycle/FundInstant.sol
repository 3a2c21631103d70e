// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {FeeKind, IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {DealingMath} from "./DealingMath.sol";
import {FundState} from "./FundState.sol";
import {Dealing, FundWords, InstantWord, Late, Position, StrikeWord} from "./FundWords.sol";

/// @title FundInstant
/// @notice The FundVault's instant liquidity (IFundVault's notice: instant subscription and
/// redemption at the last struck NAV up to the period's limit, fees through the schedule) and its
/// request cancellations, split out of the vault for its size: the vault deploys it in its
/// constructor and `delegatecall`s it, under its own `nonReentrant`, so this code runs on the
/// vault's storage, as the vault (the share token's agent, the fee schedule's caller).
/// @dev Warning: called directly (not through its vault) it works on its own empty storage: no
/// period is open (`CutoffPassed(0, 0)`), it holds nothing and is no token's agent.
contract FundInstant is FundState {
    using SafeERC20 for IERC20;

    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_
    ) FundState(share_, asset_, navSource_, instrumentId_, fees_) {}

    /// @notice IFundVault.instantDeposit, as the vault.
    function instantDeposit(uint256 assets, address receiver) external returns (uint256 shares) {
        if (assets == 0) revert IFundVault.ZeroAmount();
        // The payer buys the receiver's shares: as a transfer between them would be (SEC-33).
        _requirePair(msg.sender, receiver);
        (uint256 period, uint256 nav18) = _instantWindow();
        _checkMinimum(receiver, assets, false);
        InstantWord used = _instantUsed(period);
        uint256 subscribed = _withinInstantLimit(used.subscribed(), assets);
        uint256 fee = _charge(FeeKind.InstantSubscription, receiver, assets, 0);
        // No underflow: fee <= assets (IFeeSchedule). Rounded down: shares at most what the net buys.
        shares = DealingMath.sharesFor(assets - fee, nav18, ASSET_UNIT, SHARE_SCALE);
        if (shares == 0) revert IFundVault.ZeroAmount();
        // Never the room a struck deposit or an owed fee needs (SEC-35).
        uint256 room = _mintRoom(SHARE.totalSupply(), _feeLedger.shares());
        if (shares > room) revert IFundVault.SupplyRoomExceeded(shares, room);

        _instant = FundWords.toInstantWord(period, subscribed, used.redeemed());
        if (fee != 0) _addFees(0, fee);
        emit IFundVault.InstantDeposit(msg.sender, receiver, assets, fee, shares, nav18);
        ASSET.safeTransferFrom(msg.sender, address(this), assets);
        // A mint through the engine: `receiver` must be an investor it admits.
        SHARE.mint(receiver, shares);
    }

    /// @notice IFundVault.instantRedeem, as the vault.
    function instantRedeem(uint256 shares, address receiver, address owner) external returns (uint256 assets) {
        _requireOwnerOrOperator(owner);
        if (shares == 0) revert IFundVault.ZeroAmount();
        (uint256 period, uint256 nav18) = _instantWindow();
        InstantWord used = _instantUsed(period);
        uint256 gross = DealingMath.assetsFor(shares * nav18, ASSET_UNIT, SHARE_SCALE, Math.Rounding.Floor);
        if (gross == 0) revert IFundVault.ZeroAmount();
        uint256 redeemed = _withinInstantLimit(used.redeemed(), gross);
        uint256 free = _freeCash();
        if (gross > free) revert IFundVault.InsufficientFreeCash(gross, free);
        uint256 fee = _charge(FeeKind.InstantRedemption, owner, gross, _utilisationBps(redeemed));
        // No underflow: fee <= gross (IFeeSchedule).
        assets = gross - fee;

        _instant = FundWords.toInstantWord(period, used.subscribed(), redeemed);
        if (fee != 0) _addFees(0, fee);
        emit IFundVault.InstantRedeem(msg.sender, receiver, owner, shares, gross, fee, nav18);
        // The escrow is a rule-checked transfer owner -> vault (as `requestRedeem`), then the burn.
        SafeERC20.safeTransferFrom(SHARE, owner, address(this), shares);
        SHARE.burn(address(this), shares);
        if (assets != 0) ASSET.safeTransfer(receiver, assets);
    }

    /// @notice IFundVault.cancelDepositRequest, as the vault.
    function cancelDepositRequest(address controller, address receiver) external returns (uint256 assets) {
        _requireControllerOrOperator(controller);
        Position position = _positions[controller];
        assets = position.depositAssets();
        uint256 period = position.depositPeriod();
        StrikeWord struck = _strikes[period];
        bool refused = struck.depositsRefused();
        // A struck request is claimable, not pending (unless refused at its strike: refunded).
        if (assets == 0 || (struck.nav() != 0 && !refused)) revert IFundVault.NothingPending(controller);
        Dealing dealing_ = _dealing;
        bool late = period != dealing_.period();
        if (!refused) _requireCancellable(late, dealing_);

        _positions[controller] = position.withDeposit(0, period);
        // No underflow: the refused deposits are in the reserve, the period totals include every
        // pending request.
        if (refused) {
            _reserved -= assets;
        } else if (late) {
            Late lateWord = _late;
            _late = lateWord.withRequests(lateWord.deposits() - assets, lateWord.redemptions());
        } else {
            _dealing = FundWords.toDealing(
                dealing_.period(), dealing_.cutoff(), dealing_.deposits() - assets, dealing_.redemptions()
            );
        }
        emit IFundVault.DepositRequestCancelled(controller, receiver, msg.sender, assets);
        ASSET.safeTransfer(receiver, assets);
    }

    /// @notice IFundVault.cancelRedeemRequest, as the vault.
    function cancelRedeemRequest(address controller, address receiver) external returns (uint256 shares) {
        _requireControllerOrOperator(controller);
        _requirePair(controller, receiver);
        Dealing dealing_ = _dealing;
        (Position position, bool settled, uint256 servedShares, uint256 servedAssets) =
            _settleRedeem(controller, dealing_.period() - 1);
        shares = position.redeemShares();
        if (shares == 0) revert IFundVault.NothingPending(controller);
        bool late = position.redeemPeriod() != dealing_.period();
        _requireCancellable(late, dealing_);

        _positions[controller] = position.withRedeem(0, position.redeemPeriod());
        if (settled) _redeemClaims[controller] = _addClaim(_redeemClaims[controller], servedAssets, servedShares);
        // No underflow: a request's computed pending part is at most its exact share of the total.
        if (late) {
            Late lateWord = _late;
            _late = lateWord.withRequests(lateWord.deposits(), lateWord.redemptions() - shares);
        } else {
            _dealing = FundWords.toDealing(
                dealing_.period(), dealing_.cutoff(), dealing_.deposits(), dealing_.redemptions() - shares
            );
        }
        emit IFundVault.RedeemRequestCancelled(controller, receiver, msg.sender, shares);
        // A rule-checked transfer vault -> receiver.
        SafeERC20.safeTransfer(SHARE, receiver, shares);
    }
}
