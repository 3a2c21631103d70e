// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {IERC7575} from "../../interfaces/erc7540/IERC7540.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {FeeKind, IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {DealingMath} from "./DealingMath.sol";
import {FundState} from "./FundState.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {
    Claim,
    ClaimLibrary,
    Dealing,
    DealingLibrary,
    InstantWord,
    InstantWordLibrary,
    Late,
    Position,
    StrikeWord
} from "../types/FundWords.sol";

/// @title FundInstant
/// @notice The FundVault's instant liquidity (IFundVault's notice: instant subscription and
/// redemption at the last struck NAV up to the period's limit, fees through the schedule), its
/// request cancellations and its claims (`deposit`, `mint`, `withdraw`, `redeem`), split out of the
/// vault for its size: the vault `delegatecall`s it (Dispatch), under its own `nonReentrant`, so
/// this code runs on the vault's storage, as the vault (the share token's agent, the fee
/// schedule's caller). Deployed before its vault and passed to it: the vault's constructor checks
/// its `moduleId` (this layout; the same share, asset, NAV source, instrument and fee schedule).
/// @dev Called directly (not through a vault) every entry reverts `DirectCall` (DelegatedModule).
contract FundInstant is FundState, DelegatedModule {
    using SafeERC20 for IERC20;

    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_
    ) FundState(share_, asset_, navSource_, instrumentId_, fees_) {}

    /// @inheritdoc DelegatedModule
    /// @dev Names this layout and this module's share, asset, NAV source, instrument and fee
    /// schedule (FundState `_instantId`): one module serves one fund's vaults.
    function moduleId() external view override returns (bytes32) {
        return _instantId();
    }

    /// @notice IFundVault.instantDeposit, as the vault.
    function instantDeposit(uint256 assets, address receiver) external onlyDelegated returns (uint256 shares) {
        if (assets == 0) revert IFundVault.ZeroAmount();
        // The payer buys the receiver's shares: as a transfer between them would be (SEC-33).
        _requirePair(msg.sender, receiver);
        (uint256 period, uint256 nav18) = _instantWindow(true);
        _requireAtPar();
        // Not on a request the receiver can still cancel (SEC-136).
        uint256 subscribed = _checkMinimum(receiver, assets, _cancellableDeposit(receiver));
        InstantWord used = _instantUsed(period);
        uint256 instantTotal = _withinInstantLimit(used.subscribed(), assets);
        uint256 fee = _charge(FeeKind.InstantSubscription, receiver, assets, 0);
        // No underflow: fee <= assets (IFeeSchedule). Rounded down: shares at most what the net buys.
        shares = DealingMath.sharesFor(assets - fee, nav18, ASSET_UNIT, SHARE_SCALE);
        if (shares == 0) revert IFundVault.ZeroAmount();
        // Never the room a struck deposit or an owed fee needs (SEC-35).
        uint256 room = _mintRoom(SHARE.totalSupply(), _feeLedger.shares());
        if (shares > room) revert IFundVault.SupplyRoomExceeded(shares, room);

        _instant = InstantWordLibrary.pack(period, instantTotal, used.redeemed());
        _subscribed[receiver] = subscribed;
        if (fee != 0) _addFees(0, fee);
        emit IFundVault.InstantDeposit(msg.sender, receiver, assets, fee, shares, nav18);
        ASSET.safeTransferFrom(msg.sender, address(this), assets);
        // A mint through the engine: `receiver` must be an investor it admits.
        SHARE.mint(receiver, shares);
    }

    /// @notice IFundVault.instantRedeem, as the vault.
    function instantRedeem(uint256 shares, address receiver, address owner)
        external
        onlyDelegated
        returns (uint256 assets)
    {
        _requireOwnerOrOperator(owner);
        if (shares == 0) revert IFundVault.ZeroAmount();
        _requireClaimant(owner, receiver);
        (uint256 period, uint256 nav18) = _instantWindow(false);
        InstantWord used = _instantUsed(period);
        uint256 gross = DealingMath.assetsFor(shares * nav18, ASSET_UNIT, SHARE_SCALE, Math.Rounding.Floor);
        if (gross == 0) revert IFundVault.ZeroAmount();
        uint256 redeemed = _withinInstantLimit(used.redeemed(), gross);
        uint256 free = _freeCash();
        if (gross > free) revert IFundVault.InsufficientFreeCash(gross, free);
        // The urgency premium on the mean utilisation over this redemption (SEC-127).
        uint256 fee = _charge(FeeKind.InstantRedemption, owner, gross, _utilisationBps(used.redeemed(), redeemed));
        // No underflow: fee <= gross (IFeeSchedule).
        assets = gross - fee;

        _instant = InstantWordLibrary.pack(period, used.subscribed(), redeemed);
        if (fee != 0) _addFees(0, fee);
        emit IFundVault.InstantRedeem(msg.sender, receiver, owner, shares, gross, fee, nav18);
        // The escrow is a rule-checked transfer owner -> vault (as `requestRedeem`), then the burn.
        SafeERC20.safeTransferFrom(SHARE, owner, address(this), shares);
        SHARE.burn(address(this), shares);
        if (assets != 0) ASSET.safeTransfer(receiver, assets);
    }

    /// @notice IFundVault.cancelDepositRequest, as the vault.
    function cancelDepositRequest(address controller, address receiver)
        external
        onlyDelegated
        returns (uint256 assets)
    {
        _requireControllerOrOperator(controller);
        _requireClaimant(controller, receiver);
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

        _positions[controller] = position.setDeposit(0, period);
        _unsubscribe(controller, assets);
        // No underflow: the refused deposits are in the reserve, the period totals include every
        // pending request.
        if (refused) {
            _reserved -= assets;
        } else if (late) {
            Late lateWord = _late;
            _late = lateWord.setRequests(lateWord.deposits() - assets, lateWord.redemptions());
        } else {
            _dealing = DealingLibrary.pack(
                dealing_.period(), dealing_.cutoff(), dealing_.deposits() - assets, dealing_.redemptions()
            );
        }
        emit IFundVault.DepositRequestCancelled(controller, receiver, msg.sender, assets);
        ASSET.safeTransfer(receiver, assets);
    }

    /// @notice IFundVault.cancelRedeemRequest, as the vault.
    function cancelRedeemRequest(address controller, address receiver) external onlyDelegated returns (uint256 shares) {
        _requireControllerOrOperator(controller);
        _requireClaimant(controller, receiver);
        _requirePair(controller, receiver);
        Dealing dealing_ = _dealing;
        (Position position, bool settled, uint256 servedShares, uint256 servedAssets) =
            _settleRedeem(controller, dealing_.period() - 1);
        shares = position.redeemShares();
        if (shares == 0) revert IFundVault.NothingPending(controller);
        bool late = position.redeemPeriod() != dealing_.period();
        _requireCancellable(late, dealing_);

        _positions[controller] = position.setRedeem(0, position.redeemPeriod());
        if (settled) _redeemClaims[controller] = _addClaim(_redeemClaims[controller], servedAssets, servedShares);
        // No underflow: a request's computed pending part is at most its exact share of the total.
        if (late) {
            Late lateWord = _late;
            _late = lateWord.setRequests(lateWord.deposits(), lateWord.redemptions() - shares);
        } else {
            _dealing = DealingLibrary.pack(
                dealing_.period(), dealing_.cutoff(), dealing_.deposits(), dealing_.redemptions() - shares
            );
        }
        emit IFundVault.RedeemRequestCancelled(controller, receiver, msg.sender, shares);
        // A rule-checked transfer vault -> receiver.
        SafeERC20.safeTransfer(SHARE, receiver, shares);
    }

    /// @notice IERC7540Deposit.deposit, as the vault (the vault's two-argument form names the caller).
    function deposit(uint256 assets, address receiver, address controller)
        external
        onlyDelegated
        returns (uint256 shares)
    {
        (, shares) = _claimDeposit(controller, receiver, assets, false);
    }

    /// @notice IERC7540Deposit.mint, as the vault.
    function mint(uint256 shares, address receiver, address controller)
        external
        onlyDelegated
        returns (uint256 assets)
    {
        (assets,) = _claimDeposit(controller, receiver, shares, true);
    }

    /// @notice IERC7575.withdraw (ERC-7540: the third argument is the controller), as the vault.
    function withdraw(uint256 assets, address receiver, address controller)
        external
        onlyDelegated
        returns (uint256 shares)
    {
        (, shares) = _claimRedemption(controller, receiver, assets, false);
    }

    /// @notice IERC7575.redeem (ERC-7540: the third argument is the controller), as the vault.
    function redeem(uint256 shares, address receiver, address controller)
        external
        onlyDelegated
        returns (uint256 assets)
    {
        (assets,) = _claimRedemption(controller, receiver, shares, true);
    }

    // ================================================================ internal

    /// @dev A deposit claim of `amount` assets (or shares when `byShares`) of `controller`'s
    /// claimable deposit: the shares, less the subscription fee's part, minted to `receiver`.
    function _claimDeposit(address controller, address receiver, uint256 amount, bool byShares)
        internal
        returns (uint256 assets, uint256 shares)
    {
        _requireControllerOrOperator(controller);
        _requireClaimant(controller, receiver);
        _requirePair(controller, receiver);
        (Position position, Claim claim, bool settled) = _settledDepositClaim(controller);
        (uint256 claimAssets, uint256 claimShares) = (claim.assets(), claim.shares());
        uint256 claimable = byShares ? claimShares : claimAssets;
        if (amount > claimable) revert IFundVault.ExceedsClaimable(controller, amount, claimable);
        if (byShares) {
            // Rounded up: a partial mint uses at least its share of the claim's assets.
            (assets, shares) =
            (
                amount == claimable ? claimAssets : Math.mulDiv(claimAssets, amount, claimable, Math.Rounding.Ceil),
                amount
            );
        } else {
            (assets, shares) = (amount, amount == claimable ? claimShares : Math.mulDiv(claimShares, amount, claimable));
        }

        if (settled) _positions[controller] = position;
        // No underflow: assets and shares are at most the claim's (checked or rounded within it).
        _depositClaims[controller] = ClaimLibrary.pack(claimAssets - assets, claimShares - shares);
        // No underflow: a claim's shares are at most its part of its strike's, added then.
        _unclaimedShares -= shares;
        // The receiver gets the claimed shares less the subscription fee's (rounded up).
        shares -= _subscriptionFee(controller, assets, shares);
        emit IERC7575.Deposit(controller, receiver, assets, shares);
        // A mint through the engine: `receiver` must be an investor it admits.
        if (shares != 0) SHARE.mint(receiver, shares);
    }

    /// @dev A redemption claim of `amount` shares (or assets when not `byShares`) of
    /// `controller`'s claimable redemption: the assets, less the redemption fee, paid to `receiver`.
    function _claimRedemption(address controller, address receiver, uint256 amount, bool byShares)
        internal
        returns (uint256 assets, uint256 shares)
    {
        _requireControllerOrOperator(controller);
        _requireClaimant(controller, receiver);
        (Position position, Claim claim, bool settled) = _settledRedeemClaim(controller);
        (uint256 claimAssets, uint256 claimShares) = (claim.assets(), claim.shares());
        uint256 claimable = byShares ? claimShares : claimAssets;
        if (amount > claimable) revert IFundVault.ExceedsClaimable(controller, amount, claimable);
        if (byShares) {
            (assets, shares) = (amount == claimable ? claimAssets : Math.mulDiv(claimAssets, amount, claimable), amount);
        } else {
            // Rounded up: a partial withdrawal uses at least its share of the claim's shares.
            (assets, shares) =
            (
                amount,
                amount == claimable ? claimShares : Math.mulDiv(claimShares, amount, claimable, Math.Rounding.Ceil)
            );
        }
        uint256 fee = _charge(FeeKind.Redemption, controller, assets, 0);

        if (settled) _positions[controller] = position;
        // No underflow: assets and shares are at most the claim's (checked or rounded within it).
        _redeemClaims[controller] = ClaimLibrary.pack(claimAssets - assets, claimShares - shares);
        // No underflow: the reserve covers every claim (rounded up per strike, claims rounded down).
        _reserved -= assets;
        if (fee != 0) _addFees(0, fee);
        // No underflow: fee <= assets (IFeeSchedule).
        assets -= fee;
        emit IERC7575.Withdraw(msg.sender, receiver, controller, assets, shares);
        if (assets != 0) ASSET.safeTransfer(receiver, assets);
    }

    /// @dev Charges the subscription fee on a claim of `assets` for `shares`: the fee's part of
    /// the shares (rounded up), owed to the recipient.
    function _subscriptionFee(address controller, uint256 assets, uint256 shares) internal returns (uint256 feeShares) {
        uint256 fee = _charge(FeeKind.Subscription, controller, assets, 0);
        if (fee == 0) return 0;
        // No division by zero: 0 < fee <= assets. At most `shares`: fee <= assets.
        feeShares = Math.mulDiv(shares, fee, assets, Math.Rounding.Ceil);
        _addFees(feeShares, 0);
        emit IFundVault.SubscriptionFeeHeld(controller, fee, feeShares);
    }
}
