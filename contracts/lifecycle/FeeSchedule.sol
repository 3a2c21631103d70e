// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FeeKind, FeeTerms, FeeTier, IFeeAccruer, IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IFundVault} from "../../interfaces/IFundVault.sol";
import {BPS} from "../libraries/Constants.sol";
import {FeeMath} from "./FeeMath.sol";
import {FeeWord, FeeWordLibrary, TierWord} from "../types/FeeWords.sol";

// `word.rate(...)`: the arithmetic is FeeMath's, the word FeeWords'.
using FeeMath for FeeWord;

/// @title FeeSchedule
/// @notice Every fund vault's fee schedule and its investors' cumulative volumes (see IFeeSchedule).
contract FeeSchedule is IFeeSchedule, AuthorityInit {
    /// @notice Protocol maximums of each rate (a GOVERNOR schedule above one is refused).
    uint16 public constant MAX_SUBSCRIPTION_BPS = 500;
    uint16 public constant MAX_REDEMPTION_BPS = 500;
    uint16 public constant MAX_INSTANT_BPS = 200;
    uint16 public constant MAX_URGENCY_BPS = 300;
    /// @notice Per year.
    uint16 public constant MAX_MANAGEMENT_BPS = 300;
    /// @notice Volume tiers per schedule (bounds the tier look-up's loop).
    uint256 public constant MAX_TIERS = 4;
    uint16 public constant MAX_TIER_DISCOUNT_BPS = 7_500;
    /// @notice Most any rate rises in one change (decreases are not bounded): raising a fee by
    /// more takes several changes, each behind the GOVERNOR timelock.
    uint16 public constant MAX_FEE_INCREASE_BPS = 100;
    /// @notice Longest interval one management accrual charges (FeeMath's).
    uint256 public constant MAX_ACCRUAL = FeeMath.MAX_ACCRUAL;

    IIdentityRegistry public immutable identities;

    mapping(address vault => FeeWord) private _fees;
    mapping(address vault => TierWord[2]) private _tiers;
    mapping(address vault => mapping(address identity => uint256)) private _volumes;
    /// @dev The one vault of each share class whose schedule has a management fee (SEC-138).
    mapping(address share => address vault) private _managementVaultOf;

    /// @dev The implementation (immutables only): the schedule runs behind a GovernedProxy (issue
    /// 34), whose constructor sets its authority (`initialize`, AuthorityInit).
    constructor(IIdentityRegistry identities_) {
        identities = identities_;
    }

    // ================================================================ GOVERNOR

    /// @inheritdoc IFeeSchedule
    function setFeeSchedule(address vault, FeeTerms calldata terms) external restricted {
        FeeWord before = _fees[vault];
        _check(vault, before, terms);
        FeeTerms memory previous = termsOf(vault);
        if ((terms.managementBps | before.managementBps()) != 0) _setManagementVault(vault, terms.managementBps != 0);
        uint256 count = terms.tiers.length;
        _fees[vault] = FeeWordLibrary.pack(
            terms.subscriptionBps,
            terms.redemptionBps,
            terms.instantBps,
            terms.urgencyBps,
            terms.managementBps,
            count,
            terms.recipient
        );
        TierWord[2] memory words;
        // Bounded: count <= MAX_TIERS (checked).
        for (uint256 i; i < count; ++i) {
            words[i / 2] = words[i / 2].setTier(i % 2, terms.tiers[i].minVolume, terms.tiers[i].discountBps);
        }
        _tiers[vault] = words;
        emit FeeScheduleSet(vault, previous, terms);
        // The vault accrues its management fee up to now at the rate it cached (the old one), then
        // caches the new terms (`accrualTermsOf`). It reads this contract's views only.
        if (vault.code.length != 0) IFeeAccruer(vault).accrueFees();
    }

    // ================================================================ vaults

    /// @inheritdoc IFeeSchedule
    function charge(FeeKind kind, address investor, uint256 amount, uint256 utilisationBps)
        external
        returns (uint256 fee)
    {
        address identity = identityOf(investor);
        uint256 volume = _volumes[msg.sender][identity];
        FeeWord word = _fees[msg.sender];
        uint256 discount = _discount(msg.sender, word, volume);
        fee = FeeMath.fee(amount, word.rate(kind, utilisationBps), discount);
        volume += amount;
        _volumes[msg.sender][identity] = volume;
        emit FeeCharged(msg.sender, identity, investor, kind, amount, fee, discount, volume);
    }

    // ================================================================ views

    /// @inheritdoc IFeeSchedule
    function previewFee(address vault, FeeKind kind, address investor, uint256 amount, uint256 utilisationBps)
        external
        view
        returns (uint256)
    {
        FeeWord word = _fees[vault];
        uint256 discount = _discount(vault, word, _volumes[vault][identityOf(investor)]);
        return FeeMath.fee(amount, word.rate(kind, utilisationBps), discount);
    }

    /// @inheritdoc IFeeSchedule
    function managementFeeShares(address vault, uint256 base, uint256 elapsed) external view returns (uint256) {
        return FeeMath.managementShares(base, _fees[vault].managementBps(), elapsed);
    }

    /// @inheritdoc IFeeSchedule
    function managementVaultOf(address share) external view returns (address) {
        return _managementVaultOf[share];
    }

    /// @inheritdoc IFeeSchedule
    function accrualTermsOf(address vault) external view returns (uint256 managementBps, bool charges) {
        FeeWord word = _fees[vault];
        managementBps = word.managementBps();
        charges = word.subscriptionBps() | word.redemptionBps() | word.instantBps() | word.urgencyBps()
                | word.tierCount() != 0;
    }

    /// @inheritdoc IFeeSchedule
    function termsOf(address vault) public view returns (FeeTerms memory terms) {
        FeeWord word = _fees[vault];
        uint256 count = word.tierCount();
        terms = FeeTerms({
            subscriptionBps: uint16(word.subscriptionBps()),
            redemptionBps: uint16(word.redemptionBps()),
            instantBps: uint16(word.instantBps()),
            urgencyBps: uint16(word.urgencyBps()),
            managementBps: uint16(word.managementBps()),
            recipient: word.recipient(),
            tiers: new FeeTier[](count)
        });
        // Bounded: count <= MAX_TIERS.
        for (uint256 i; i < count; ++i) {
            TierWord tiers = _tiers[vault][i / 2];
            terms.tiers[i] = FeeTier(uint96(tiers.minVolume(i % 2)), uint16(tiers.discountBps(i % 2)));
        }
    }

    /// @inheritdoc IFeeSchedule
    function recipientOf(address vault) external view returns (address) {
        return _fees[vault].recipient();
    }

    /// @inheritdoc IFeeSchedule
    function volumeOf(address vault, address identity) external view returns (uint256) {
        return _volumes[vault][identity];
    }

    /// @inheritdoc IFeeSchedule
    function identityOf(address investor) public view returns (address identity) {
        // One slot read (the wallet's registry word); the frozen and expiry bits are not read: a
        // frozen investor's dealing is stopped by the share's engine, not here.
        identity = identities.identity(investor);
        if (identity == address(0)) identity = investor;
    }

    /// @inheritdoc IFeeSchedule
    function discountOf(address vault, address investor) external view returns (uint256) {
        return _discount(vault, _fees[vault], _volumes[vault][identityOf(investor)]);
    }

    // ================================================================ internal

    /// @dev The discount of the highest tier whose minimum `volume` reaches (0 below the first).
    function _discount(address vault, FeeWord word, uint256 volume) internal view returns (uint256 discount) {
        uint256 count = word.tierCount();
        if (count == 0 || volume == 0) return 0;
        TierWord tiers = _tiers[vault][0];
        // Bounded: count <= MAX_TIERS; tiers increase, so the first one not reached ends the search.
        for (uint256 i; i < count; ++i) {
            if (i == 2) tiers = _tiers[vault][1];
            if (volume < tiers.minVolume(i % 2)) break;
            discount = tiers.discountBps(i % 2);
        }
    }

    function _check(address vault, FeeWord before, FeeTerms calldata terms) internal pure {
        _checkRate(FeeField.Subscription, before.subscriptionBps(), terms.subscriptionBps, MAX_SUBSCRIPTION_BPS);
        _checkRate(FeeField.Redemption, before.redemptionBps(), terms.redemptionBps, MAX_REDEMPTION_BPS);
        _checkRate(FeeField.Instant, before.instantBps(), terms.instantBps, MAX_INSTANT_BPS);
        _checkRate(FeeField.Urgency, before.urgencyBps(), terms.urgencyBps, MAX_URGENCY_BPS);
        _checkRate(FeeField.Management, before.managementBps(), terms.managementBps, MAX_MANAGEMENT_BPS);
        uint256 count = terms.tiers.length;
        if (count > MAX_TIERS) revert TooManyTiers(count, MAX_TIERS);
        uint256 previousVolume;
        uint256 previousDiscount = 1;
        // Bounded: count <= MAX_TIERS (checked above).
        for (uint256 i; i < count; ++i) {
            FeeTier calldata tier = terms.tiers[i];
            if (tier.minVolume <= previousVolume) revert TiersNotIncreasing(i, tier.minVolume, previousVolume);
            if (tier.discountBps < previousDiscount || tier.discountBps > MAX_TIER_DISCOUNT_BPS) {
                revert TierDiscountOutOfBounds(i, tier.discountBps, previousDiscount, MAX_TIER_DISCOUNT_BPS);
            }
            (previousVolume, previousDiscount) = (tier.minVolume, tier.discountBps);
        }
        bool charges = terms.subscriptionBps | terms.redemptionBps | terms.instantBps | terms.urgencyBps
                | terms.managementBps != 0;
        if (charges && terms.recipient == address(0)) revert NoRecipient(vault);
    }

    function _checkRate(FeeField field, uint256 previousBps, uint256 bps, uint256 maxBps) internal pure {
        if (bps > maxBps) revert FeeAboveMaximum(field, bps, maxBps);
        if (bps > previousBps + MAX_FEE_INCREASE_BPS) {
            revert FeeIncreaseTooLarge(field, previousBps, bps, MAX_FEE_INCREASE_BPS);
        }
    }

    /// @dev Makes `vault` its share class's management-fee vault (`charging`) or, when it was, no
    /// longer (SEC-138: every vault of a class accrues on the one class supply). A vault's share
    /// is read from the vault (a FundVault; anything else is refused when it would charge).
    function _setManagementVault(address vault, bool charging) internal {
        address share;
        if (vault.code.length != 0) {
            try IFundVault(vault).share() returns (address s) {
                share = s;
            } catch {}
        }
        if (share == address(0)) {
            if (charging) revert NotAFundVault(vault);
            return;
        }
        address current = _managementVaultOf[share];
        if (charging) {
            if (current == vault) return;
            if (current != address(0)) revert ManagementFeeOnAnotherVault(share, vault, current);
        } else if (current != vault) {
            return;
        }
        address next = charging ? vault : address(0);
        _managementVaultOf[share] = next;
        emit ManagementVaultSet(share, current, next);
    }
}
