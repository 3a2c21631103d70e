// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// The FundVault's packed storage words (Uniswap v4's `Slot0` pattern): one value type per word and
// one library per type, the only description of its layout: named offsets and masks, getters,
// `setX` setters that return the word with its field(s) replaced and every other bit kept, and
// `pack` for a whole word. Setters and `pack` expect in-range values (callers bound them) and mask
// nothing. Field widths are the vault's bounds, each enforced where the value is made (nothing
// wraps silently): amounts 96 bits (the share token's supply bound is 2^96 - 1; the vault refuses
// larger asset amounts with `AmountTooLarge`, and assets of more than 18 decimals: 7.9e10 units);
// periods 24 bits in the open period's word (the vault's last period, 2^24 - 1, never reaches its
// cut-off: FundVault `_nextCutoff`; 1,900 years of hourly dealing) and 32 elsewhere; eras and
// scales 32 bits (at most one era and two scales per strike); cut-offs and the fee clock 40 bits
// (until the year 36812: a cut-off past it is never set, a block time never reaches it); the
// queue's running product 128 bits (at most 2^127) and running sum 224 bits (below 2^223: see
// DealingMath). Each table lists the fields from bit 0; `bool` is a flag.
//
// Position: FundState._positions[controller]
// | bits     | field         | kind   |
// | -------- | ------------- | ------ |
// | 0..95    | depositAssets | uint96 |
// | 96..127  | depositPeriod | uint32 |
// | 128..223 | redeemShares  | uint96 |
// | 224..255 | redeemPeriod  | uint32 |
//
// Claim: FundState._depositClaims[controller] and _redeemClaims[controller]
// | bits     | field  | kind    |
// | -------- | ------ | ------- |
// | 0..127   | assets | uint128 |
// | 128..255 | shares | uint128 |
//
// Dealing: FundState._dealing, the open dealing period
// | bits     | field       | kind   |
// | -------- | ----------- | ------ |
// | 0..23    | period      | uint24 |
// | 24..63   | cutoff      | uint40 |
// | 64..159  | deposits    | uint96 |
// | 160..255 | redemptions | uint96 |
//
// Late: FundState._late, requests after the cut-off and the dealing settings
// | bits     | field       | kind   |
// | -------- | ----------- | ------ |
// | 0..95    | deposits    | uint96 |
// | 96..191  | redemptions | uint96 |
// | 192..207 | gateBps     | uint16 |
// | 208..239 | interval    | uint32 |
// | 240..255 | (unused)    |        |
//
// StrikeWord: FundState._strikes[period], a period's strike, first word
// | bits     | field           | kind    |
// | -------- | --------------- | ------- |
// | 0..127   | c               | uint128 |
// | 128..223 | nav             | uint96  |
// | 224..254 | era             | uint31  |
// | 255      | depositsRefused | bool    |
//
// AccrualWord: FundState._accruals[period], a period's strike, second word
// | bits     | field | kind    |
// | -------- | ----- | ------- |
// | 0..223   | a     | uint224 |
// | 224..255 | scale | uint32  |
//
// FeeLedger: FundState._feeLedger
// | bits     | field         | kind   |
// | -------- | ------------- | ------ |
// | 0..95    | shares        | uint96 |
// | 96..191  | assets        | uint96 |
// | 192..231 | accruedAt     | uint40 |
// | 232..247 | managementBps | uint16 |
// | 248      | charges       | bool   |
// | 249..255 | (unused)      |        |
//
// InstantWord: FundState._instant
// | bits     | field      | kind   |
// | -------- | ---------- | ------ |
// | 0..31    | period     | uint32 |
// | 32..127  | subscribed | uint96 |
// | 128..223 | redeemed   | uint96 |
// | 224..255 | (unused)   |        |

/// @notice A controller's pending requests (table above). `redeemShares` is the request's size
/// when it entered `redeemPeriod` (what is still pending after later strikes follows from the
/// period records).
type Position is uint256;

/// @notice A controller's claimable amounts of one side (deposit or redemption), table above.
type Claim is uint256;

/// @notice The open dealing period (table above).
type Dealing is uint256;

/// @notice Requests after the cut-off (for the next period) and the dealing settings (table above).
type Late is uint256;

/// @notice A period's strike, first word (table above). depositsRefused: the period's deposits
/// were refused (the token could not mint their shares; each is refunded on request, none is
/// claimable).
type StrikeWord is uint256;

/// @notice A period's strike, second word (table above).
type AccrualWord is uint256;

/// @notice Fees the vault holds for the fee recipient, the management fee's clock and the fee
/// terms the vault caches from its schedule (table above): shares are owed (minted at collection),
/// assets held (paid at collection); the management fee is accrued up to accruedAt; charges: the
/// schedule has a dealing fee or tiers (the vault asks it at each dealing).
type FeeLedger is uint256;

/// @notice Instant liquidity used in one dealing period (table above; usage of an older period
/// reads as 0), assets gross of fees.
type InstantWord is uint256;

using PositionLibrary for Position global;
using ClaimLibrary for Claim global;
using DealingLibrary for Dealing global;
using LateLibrary for Late global;
using StrikeWordLibrary for StrikeWord global;
using AccrualWordLibrary for AccrualWord global;
using FeeLedgerLibrary for FeeLedger global;
using InstantWordLibrary for InstantWord global;

library PositionLibrary {
    uint256 internal constant DEPOSIT_ASSETS_MASK = type(uint96).max;
    uint256 internal constant DEPOSIT_PERIOD_OFFSET = 96;
    uint256 internal constant DEPOSIT_PERIOD_MASK = type(uint32).max;
    uint256 internal constant REDEEM_SHARES_OFFSET = 128;
    uint256 internal constant REDEEM_SHARES_MASK = type(uint96).max;
    uint256 internal constant REDEEM_PERIOD_OFFSET = 224;
    /// @notice The deposit side (depositAssets and depositPeriod): the low half.
    uint256 internal constant DEPOSIT_MASK = type(uint128).max;

    function depositAssets(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) & DEPOSIT_ASSETS_MASK;
    }

    function depositPeriod(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> DEPOSIT_PERIOD_OFFSET) & DEPOSIT_PERIOD_MASK;
    }

    function redeemShares(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> REDEEM_SHARES_OFFSET) & REDEEM_SHARES_MASK;
    }

    function redeemPeriod(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) >> REDEEM_PERIOD_OFFSET;
    }

    /// @notice The word with the deposit side replaced.
    function setDeposit(Position p, uint256 assets_, uint256 period_) internal pure returns (Position) {
        return Position.wrap((Position.unwrap(p) & ~DEPOSIT_MASK) | assets_ | (period_ << DEPOSIT_PERIOD_OFFSET));
    }

    /// @notice The word with the redemption side replaced.
    function setRedeem(Position p, uint256 shares_, uint256 period_) internal pure returns (Position) {
        return Position.wrap(
            (Position.unwrap(p) & DEPOSIT_MASK) | (shares_ << REDEEM_SHARES_OFFSET) | (period_ << REDEEM_PERIOD_OFFSET)
        );
    }
}

library ClaimLibrary {
    uint256 internal constant ASSETS_MASK = type(uint128).max;
    uint256 internal constant SHARES_OFFSET = 128;

    function assets(Claim c) internal pure returns (uint256) {
        return Claim.unwrap(c) & ASSETS_MASK;
    }

    function shares(Claim c) internal pure returns (uint256) {
        return Claim.unwrap(c) >> SHARES_OFFSET;
    }

    function pack(uint256 assets_, uint256 shares_) internal pure returns (Claim) {
        return Claim.wrap(assets_ | (shares_ << SHARES_OFFSET));
    }
}

library DealingLibrary {
    uint256 internal constant PERIOD_MASK = type(uint24).max;
    uint256 internal constant CUTOFF_OFFSET = 24;
    uint256 internal constant CUTOFF_MASK = type(uint40).max;
    uint256 internal constant DEPOSITS_OFFSET = 64;
    uint256 internal constant DEPOSITS_MASK = type(uint96).max;
    uint256 internal constant REDEMPTIONS_OFFSET = 160;

    function period(Dealing d) internal pure returns (uint256) {
        return Dealing.unwrap(d) & PERIOD_MASK;
    }

    function cutoff(Dealing d) internal pure returns (uint256) {
        return (Dealing.unwrap(d) >> CUTOFF_OFFSET) & CUTOFF_MASK;
    }

    function deposits(Dealing d) internal pure returns (uint256) {
        return (Dealing.unwrap(d) >> DEPOSITS_OFFSET) & DEPOSITS_MASK;
    }

    function redemptions(Dealing d) internal pure returns (uint256) {
        return Dealing.unwrap(d) >> REDEMPTIONS_OFFSET;
    }

    function pack(uint256 period_, uint256 cutoff_, uint256 deposits_, uint256 redemptions_)
        internal
        pure
        returns (Dealing)
    {
        return Dealing.wrap(
            period_ | (cutoff_ << CUTOFF_OFFSET) | (deposits_ << DEPOSITS_OFFSET) | (redemptions_ << REDEMPTIONS_OFFSET)
        );
    }
}

library LateLibrary {
    uint256 internal constant DEPOSITS_MASK = type(uint96).max;
    uint256 internal constant REDEMPTIONS_OFFSET = 96;
    uint256 internal constant REDEMPTIONS_MASK = type(uint96).max;
    uint256 internal constant GATE_BPS_OFFSET = 192;
    uint256 internal constant GATE_BPS_MASK = type(uint16).max;
    uint256 internal constant INTERVAL_OFFSET = 208;
    uint256 internal constant INTERVAL_MASK = type(uint32).max;
    /// @notice The requests (deposits and redemptions): the low 192 bits.
    uint256 internal constant REQUESTS_MASK = type(uint192).max;

    function deposits(Late l) internal pure returns (uint256) {
        return Late.unwrap(l) & DEPOSITS_MASK;
    }

    function redemptions(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> REDEMPTIONS_OFFSET) & REDEMPTIONS_MASK;
    }

    function gateBps(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> GATE_BPS_OFFSET) & GATE_BPS_MASK;
    }

    function interval(Late l) internal pure returns (uint256) {
        return (Late.unwrap(l) >> INTERVAL_OFFSET) & INTERVAL_MASK;
    }

    /// @notice The word with both requests replaced.
    function setRequests(Late l, uint256 deposits_, uint256 redemptions_) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~REQUESTS_MASK) | deposits_ | (redemptions_ << REDEMPTIONS_OFFSET));
    }

    function setGateBps(Late l, uint256 bps) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~(GATE_BPS_MASK << GATE_BPS_OFFSET)) | (bps << GATE_BPS_OFFSET));
    }

    function setInterval(Late l, uint256 seconds_) internal pure returns (Late) {
        return Late.wrap((Late.unwrap(l) & ~(INTERVAL_MASK << INTERVAL_OFFSET)) | (seconds_ << INTERVAL_OFFSET));
    }
}

library StrikeWordLibrary {
    uint256 internal constant C_MASK = type(uint128).max;
    uint256 internal constant NAV_OFFSET = 128;
    uint256 internal constant NAV_MASK = type(uint96).max;
    uint256 internal constant ERA_OFFSET = 224;
    uint256 internal constant ERA_MASK = type(uint32).max >> 1;
    uint256 internal constant DEPOSITS_REFUSED_OFFSET = 255;

    function c(StrikeWord s) internal pure returns (uint256) {
        return StrikeWord.unwrap(s) & C_MASK;
    }

    function nav(StrikeWord s) internal pure returns (uint256) {
        return (StrikeWord.unwrap(s) >> NAV_OFFSET) & NAV_MASK;
    }

    function era(StrikeWord s) internal pure returns (uint256) {
        return (StrikeWord.unwrap(s) >> ERA_OFFSET) & ERA_MASK;
    }

    function depositsRefused(StrikeWord s) internal pure returns (bool) {
        return StrikeWord.unwrap(s) >> DEPOSITS_REFUSED_OFFSET != 0;
    }

    function pack(uint256 c_, uint256 nav_, uint256 era_, bool refused_) internal pure returns (StrikeWord) {
        uint256 flag = refused_ ? 1 : 0;
        return StrikeWord.wrap(c_ | (nav_ << NAV_OFFSET) | (era_ << ERA_OFFSET) | (flag << DEPOSITS_REFUSED_OFFSET));
    }
}

library AccrualWordLibrary {
    uint256 internal constant A_MASK = type(uint224).max;
    uint256 internal constant SCALE_OFFSET = 224;

    function a(AccrualWord w) internal pure returns (uint256) {
        return AccrualWord.unwrap(w) & A_MASK;
    }

    function scale(AccrualWord w) internal pure returns (uint256) {
        return AccrualWord.unwrap(w) >> SCALE_OFFSET;
    }

    function pack(uint256 a_, uint256 scale_) internal pure returns (AccrualWord) {
        return AccrualWord.wrap(a_ | (scale_ << SCALE_OFFSET));
    }
}

library FeeLedgerLibrary {
    uint256 internal constant SHARES_MASK = type(uint96).max;
    uint256 internal constant ASSETS_OFFSET = 96;
    uint256 internal constant ASSETS_MASK = type(uint96).max;
    uint256 internal constant ACCRUED_AT_OFFSET = 192;
    uint256 internal constant ACCRUED_AT_MASK = type(uint40).max;
    uint256 internal constant MANAGEMENT_BPS_OFFSET = 232;
    uint256 internal constant MANAGEMENT_BPS_MASK = type(uint16).max;
    uint256 internal constant CHARGES_OFFSET = 248;
    /// @notice The amounts (shares and assets): the low 192 bits.
    uint256 internal constant AMOUNTS_MASK = type(uint192).max;
    /// @notice The cached terms (managementBps and charges): 17 bits from MANAGEMENT_BPS_OFFSET.
    uint256 internal constant TERMS_MASK = (1 << 17) - 1;

    function shares(FeeLedger f) internal pure returns (uint256) {
        return FeeLedger.unwrap(f) & SHARES_MASK;
    }

    function assets(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> ASSETS_OFFSET) & ASSETS_MASK;
    }

    function accruedAt(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> ACCRUED_AT_OFFSET) & ACCRUED_AT_MASK;
    }

    function managementBps(FeeLedger f) internal pure returns (uint256) {
        return (FeeLedger.unwrap(f) >> MANAGEMENT_BPS_OFFSET) & MANAGEMENT_BPS_MASK;
    }

    function charges(FeeLedger f) internal pure returns (bool) {
        return (FeeLedger.unwrap(f) >> CHARGES_OFFSET) & 1 != 0;
    }

    /// @notice The word with both amounts replaced.
    function setAmounts(FeeLedger f, uint256 shares_, uint256 assets_) internal pure returns (FeeLedger) {
        return FeeLedger.wrap((FeeLedger.unwrap(f) & ~AMOUNTS_MASK) | shares_ | (assets_ << ASSETS_OFFSET));
    }

    function setAccruedAt(FeeLedger f, uint256 accruedAt_) internal pure returns (FeeLedger) {
        return FeeLedger.wrap(
            (FeeLedger.unwrap(f) & ~(ACCRUED_AT_MASK << ACCRUED_AT_OFFSET)) | (accruedAt_ << ACCRUED_AT_OFFSET)
        );
    }

    /// @notice The word with the cached terms replaced.
    function setTerms(FeeLedger f, uint256 managementBps_, bool charges_) internal pure returns (FeeLedger) {
        uint256 flag = charges_ ? 1 : 0;
        return FeeLedger.wrap(
            (FeeLedger.unwrap(f) & ~(TERMS_MASK << MANAGEMENT_BPS_OFFSET)) | (managementBps_ << MANAGEMENT_BPS_OFFSET)
                | (flag << CHARGES_OFFSET)
        );
    }
}

library InstantWordLibrary {
    uint256 internal constant PERIOD_MASK = type(uint32).max;
    uint256 internal constant SUBSCRIBED_OFFSET = 32;
    uint256 internal constant SUBSCRIBED_MASK = type(uint96).max;
    uint256 internal constant REDEEMED_OFFSET = 128;
    uint256 internal constant REDEEMED_MASK = type(uint96).max;

    function period(InstantWord w) internal pure returns (uint256) {
        return InstantWord.unwrap(w) & PERIOD_MASK;
    }

    function subscribed(InstantWord w) internal pure returns (uint256) {
        return (InstantWord.unwrap(w) >> SUBSCRIBED_OFFSET) & SUBSCRIBED_MASK;
    }

    function redeemed(InstantWord w) internal pure returns (uint256) {
        return (InstantWord.unwrap(w) >> REDEEMED_OFFSET) & REDEEMED_MASK;
    }

    function pack(uint256 period_, uint256 subscribed_, uint256 redeemed_) internal pure returns (InstantWord) {
        return InstantWord.wrap(period_ | (subscribed_ << SUBSCRIBED_OFFSET) | (redeemed_ << REDEEMED_OFFSET));
    }
}
