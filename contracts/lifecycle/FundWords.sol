// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title FundWords
/// @notice The FundVault's packed storage words, one user-defined value type each, so every layout
/// is written once and every reader and writer goes through these accessors. Field widths are the
/// vault's bounds, each enforced where the value is made (nothing wraps silently): amounts 96 bits
/// (the share token's supply bound is 2^96 - 1; the vault refuses larger asset amounts with
/// `AmountTooLarge`, and assets of more than 18 decimals: 7.9e10 units); periods 24 bits in the
/// open period's word (the vault's last period, 2^24 - 1, never reaches its cut-off: FundVault
/// `_nextCutoff`; 1,900 years of hourly dealing) and 32 elsewhere; eras and scales 32 bits (at most
/// one era and two scales per strike); cut-offs and the fee clock 40 bits (until the year 36812:
/// a cut-off past it is never set, a block time never reaches it); the queue's running product 128
/// bits (at most 2^127) and running sum 224 bits (below 2^223: see DealingMath).
/// @dev `with*` functions expect in-range values (callers bound them); they mask nothing.

/// @notice A controller's pending requests:
/// depositAssets 0..95 | depositPeriod 96..127 | redeemShares 128..223 | redeemPeriod 224..255.
/// `redeemShares` is the request's size when it entered `redeemPeriod` (what is still pending
/// after later strikes follows from the period records).
type Position is uint256;

/// @notice A controller's claimable amounts of one side (deposit or redemption):
/// assets 0..127 | shares 128..255.
type Claim is uint256;

/// @notice The open dealing period: period 0..23 | cutoff 24..63 | deposits 64..159 | redemptions 160..255.
type Dealing is uint256;

/// @notice Requests after the cut-off (for the next period) and the dealing settings:
/// deposits 0..95 | redemptions 96..191 | gateBps 192..207 | interval 208..239.
type Late is uint256;

/// @notice A period's strike, first word: c 0..127 | nav 128..223 | era 224..254 | depositsRefused
/// 255 (the period's deposits were refused: the token could not mint their shares; each is
/// refunded on request, none is claimable).
type StrikeWord is uint256;

/// @notice A period's strike, second word: a 0..223 | scale 224..255.
type AccrualWord is uint256;

/// @notice Fees the vault holds for the fee recipient, the management fee's clock and the fee
/// terms the vault caches from its schedule: shares 0..95 (owed, minted at collection) |
/// assets 96..191 (held, paid at collection) | accruedAt 192..231 (the management fee is accrued
/// up to this second) | managementBps 232..247 | charges 248 (the schedule has a dealing fee or
/// tiers: the vault asks it at each dealing).
type FeeLedger is uint256;

/// @notice Instant liquidity used in one dealing period (usage of an older period reads as 0):
/// period 0..31 | subscribed 32..127 | redeemed 128..223 (assets, gross of fees).
type InstantWord is uint256;

using FundWords for Position global;
using FundWords for Claim global;
using FundWords for Dealing global;
using FundWords for Late global;
using FundWords for StrikeWord global;
using FundWords for AccrualWord global;
using FundWords for FeeLedger global;
using FundWords for InstantWord global;

library FundWords {
    uint256 internal constant MASK_24 = type(uint24).max;
    uint256 internal constant MASK_31 = type(uint32).max >> 1;
    uint256 internal constant MASK_32 = type(uint32).max;
    uint256 internal constant MASK_40 = type(uint40).max;
    uint256 internal constant MASK_96 = type(uint96).max;
    uint256 internal constant MASK_128 = type(uint128).max;
    uint256 internal constant MASK_224 = type(uint224).max;
    /// @dev FeeLedger's managementBps and charges bits (17), and where they start.
    uint256 internal constant TERMS_MASK = (1 << 17) - 1;
    uint256 internal constant TERMS_OFFSET = 232;
    /// @dev StrikeWord's depositsRefused bit.
    uint256 internal constant REFUSED_BIT = 255;

    // ---------------------------------------------------------------- Position
    function depositAssets(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) & MASK_96;
    }

    function depositPeriod(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 96) & MASK_32;
    }

    function redeemShares(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 128) & MASK_96;
    }

    function redeemPeriod(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) >> 224;
    }

    function withDeposit(Position p, uint256 assets_, uint256 period_) internal pure returns (Position) {
        return Position.wrap((Position.unwrap(p) & ~MASK_128) | assets_ | (period_ << 96));
    }

    function withRedeem(Position p, uint256 shares_, uint256 period_) internal pure returns (Position) {
        return Position.wrap((Position.unwrap(p) & MASK_128) | (shares_ << 128) | (period_ << 224));
    }

    // ---------------------------------------------------------------- Claim
    function assets(Claim c) internal pure returns (uint256) {
        return Claim.unwrap(c) & MASK_128;
    }

    function shares(Claim c) internal pure returns (uint256) {
        return Claim.unwrap(c) >> 128;
    }

    function toClaim(uint256 assets_, uint256 shares_) internal pure returns (Claim) {
        return Claim.wrap(assets_ | (shares_ << 128));
    }

    // ---------------------------------------------------------------- Dealing
    function period(Dealing d) internal pure returns (uint256) {
        return Dealing.unwrap(d) & MASK_24;
    }

    function cutoff(Dealing d) internal pure returns (uint256) {
        return (Dealing.unwrap(d) >> 24) & MASK_40;
    }

    function deposits(Dealing d) internal pure returns (uint256) {
        return (Dealing.unwrap(d) >> 64) & MASK_96;
    }

    function redemptions(Dealing d) internal pure returns (uint256) {
        return Dealing.unwrap(d) >> 160;
    }

    function toDealing(uint256 period_, uint256 cutoff_, uint256 deposits_, uint256 redemptions_)
        internal
        pure
        returns (Dealing)
    {
        return Dealing.wrap(period_ | (cutoff_ << 24) | (deposits_ << 64) | (redemptions_ << 160));
    }

    // ---------------------------------------------------------------- Late
    function deposits(Late l) internal pure returns (uint256) {
        return Late.unwrap(l) & MASK_96;
    }

    function redemptions(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> 96) & MASK_96;
    }

    function gateBps(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> 192) & type(uint16).max;
    }

    function interval(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> 208) & MASK_32;
    }

    function withRequests(Late l, uint256 deposits_, uint256 redemptions_) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~uint256(type(uint192).max)) | deposits_ | (redemptions_ << 96));
    }

    function withGateBps(Late l, uint256 bps) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~(uint256(type(uint16).max) << 192)) | (bps << 192));
    }

    function withInterval(Late l, uint256 seconds_) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~(MASK_32 << 208)) | (seconds_ << 208));
    }

    // ---------------------------------------------------------------- StrikeWord / AccrualWord
    function c(StrikeWord s) internal pure returns (uint256) {
        return StrikeWord.unwrap(s) & MASK_128;
    }

    function nav(StrikeWord s) internal pure returns (uint256) {
        return (StrikeWord.unwrap(s) >> 128) & MASK_96;
    }

    function era(StrikeWord s) internal pure returns (uint256) {
        return (StrikeWord.unwrap(s) >> 224) & MASK_31;
    }

    function depositsRefused(StrikeWord s) internal pure returns (bool) {
        return StrikeWord.unwrap(s) >> REFUSED_BIT != 0;
    }

    function toStrikeWord(uint256 c_, uint256 nav_, uint256 era_, bool refused_) internal pure returns (StrikeWord) {
        uint256 flag = refused_ ? 1 : 0;
        return StrikeWord.wrap(c_ | (nav_ << 128) | (era_ << 224) | (flag << REFUSED_BIT));
    }

    function a(AccrualWord w) internal pure returns (uint256) {
        return AccrualWord.unwrap(w) & MASK_224;
    }

    function scale(AccrualWord w) internal pure returns (uint256) {
        return AccrualWord.unwrap(w) >> 224;
    }

    function toAccrualWord(uint256 a_, uint256 scale_) internal pure returns (AccrualWord) {
        return AccrualWord.wrap(a_ | (scale_ << 224));
    }

    // ---------------------------------------------------------------- FeeLedger
    function shares(FeeLedger f) internal pure returns (uint256) {
        return FeeLedger.unwrap(f) & MASK_96;
    }

    function assets(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> 96) & MASK_96;
    }

    function accruedAt(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> 192) & MASK_40;
    }

    function managementBps(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> TERMS_OFFSET) & type(uint16).max;
    }

    function charges(FeeLedger f) internal pure returns (bool) {
        return (FeeLedger.unwrap(f) >> (TERMS_OFFSET + 16)) & 1 != 0;
    }

    function withAmounts(FeeLedger f, uint256 shares_, uint256 assets_) internal pure returns (FeeLedger) {
        return FeeLedger.wrap((FeeLedger.unwrap(f) & ~uint256(type(uint192).max)) | shares_ | (assets_ << 96));
    }

    function withAccruedAt(FeeLedger f, uint256 accruedAt_) internal pure returns (FeeLedger) {
        return FeeLedger.wrap((FeeLedger.unwrap(f) & ~(MASK_40 << 192)) | (accruedAt_ << 192));
    }

    function withTerms(FeeLedger f, uint256 managementBps_, bool charges_) internal pure returns (FeeLedger) {
        uint256 flag = charges_ ? 1 : 0;
        return FeeLedger.wrap(
            (FeeLedger.unwrap(f) & ~(TERMS_MASK << TERMS_OFFSET)) | (managementBps_ << TERMS_OFFSET)
                | (flag << (TERMS_OFFSET + 16))
        );
    }

    // ---------------------------------------------------------------- InstantWord
    function period(InstantWord w) internal pure returns (uint256) {
        return InstantWord.unwrap(w) & MASK_32;
    }

    function subscribed(InstantWord w) internal pure returns (uint256) {
        return (InstantWord.unwrap(w) >> 32) & MASK_96;
    }

    function redeemed(InstantWord w) internal pure returns (uint256) {
        return (InstantWord.unwrap(w) >> 128) & MASK_96;
    }

    function toInstantWord(uint256 period_, uint256 subscribed_, uint256 redeemed_)
        internal
        pure
        returns (InstantWord)
    {
        return InstantWord.wrap(period_ | (subscribed_ << 32) | (redeemed_ << 128));
    }
}
