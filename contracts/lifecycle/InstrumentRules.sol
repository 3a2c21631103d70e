// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {
    IInstrumentRegistry,
    CallTerms,
    CouponTerms,
    InstrumentKind,
    InstrumentTerms
} from "../../interfaces/IInstrumentRegistry.sol";
import {ISettlementAssets} from "../../interfaces/ISettlementAssets.sol";
import {IERC3643Token} from "../../interfaces/erc3643/IERC3643Token.sol";
import {DayCount} from "./DayCount.sol";
import {InstrumentCodes} from "./InstrumentCodes.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title InstrumentRules
/// @notice The rules an instrument's terms must meet (IInstrumentRegistry's `InstrumentTerms`),
/// checked at registration and amendment; each refusal is one of the registry's errors.
library InstrumentRules {
    /// @notice Accepted settlement assets per instrument (bounds the duplicate check: 28 pairs).
    uint256 internal constant MAX_SETTLEMENT_ASSETS = 8;
    /// @notice Largest fixed coupon, basis points a year (100%).
    uint256 internal constant MAX_COUPON_BPS = BPS;
    /// @notice Largest floating spread, either sign, basis points a year.
    uint256 internal constant MAX_SPREAD_BPS = 5_000;
    /// @notice Longest record-date offset, days.
    uint256 internal constant MAX_RECORD_DATE_OFFSET_DAYS = 30;
    /// @notice A monthly coupon's record date must fall after the previous payment: the shortest
    /// month.
    uint256 internal constant SHORTEST_MONTH_DAYS = 28;
    /// @notice Call price bounds, basis points of face value: par to twice par.
    uint256 internal constant MIN_CALL_PRICE_BPS = BPS;
    uint256 internal constant MAX_CALL_PRICE_BPS = 2 * BPS;
    /// @notice Largest face value (1e9 currency units a share, 18 decimals) and longest term (100
    /// years): with the coupon and call bounds above, the instrument a BondServicer's indexes are
    /// sized for (IBondServicer, Bounds).
    uint256 internal constant MAX_FACE_VALUE = 1e27;
    uint256 internal constant MAX_TERM_DAYS = 36_525;
    /// @notice Latest maturity, 2199-12-29 UTC: a roll moves it at most two days, so every
    /// schedule date stays within DayCount's domain (to 2200-12-31) and QuantLib's (to
    /// 2199-12-31, the keepers' schedules).
    uint256 internal constant LAST_MATURITY = 7_257_859_200;
    /// @notice The most decimals a settlement asset (and a fund's share) may have: amounts are
    /// sized for 18 (a FundVault's 96-bit requests hold 7.9e10 units; a BondServicer's indexes).
    /// SettlementAssets, the FundVault and the BondServicer refuse more.
    uint8 internal constant MAX_ASSET_DECIMALS = 18;
    uint256 internal constant DAY = 1 days;

    /// @notice Reverts with the registry's error for the first rule `t` breaks.
    function validate(InstrumentTerms calldata t, ISettlementAssets assets) internal view {
        if (!InstrumentCodes.isValidIsin(t.isin)) revert IInstrumentRegistry.InvalidIsin(t.isin);
        if (t.cusip != bytes9(0)) {
            if (!InstrumentCodes.isValidCusip(t.cusip)) revert IInstrumentRegistry.InvalidCusip(t.cusip);
            if (!InstrumentCodes.cusipMatchesIsin(t.isin, t.cusip)) {
                revert IInstrumentRegistry.CusipIsinMismatch(t.isin, t.cusip);
            }
        }
        if (!InstrumentCodes.isCurrencyCode(t.currency)) revert IInstrumentRegistry.InvalidCurrency(t.currency);
        bool fund = t.kind == InstrumentKind.MoneyMarketFund;
        if ((t.faceValue == 0 && !fund) || t.faceValue > MAX_FACE_VALUE) {
            revert IInstrumentRegistry.InvalidTerms("faceValue", t.faceValue);
        }
        _validateDates(t, fund);
        _validateCoupon(t.kind, t.coupon);
        _validateSchedule(t);
        _validateCall(t.call, fund, t.issueDate, t.maturityDate);
        _validateSettlementAssets(t.settlementAssets, assets);
        _validateShareToken(t.shareToken);
    }

    /// @dev A SecurityToken answers `identityRegistry()` with a registry (its constructor refuses
    /// none); any other contract, or an address without code, does not.
    function _validateShareToken(address token) private view {
        if (token.code.length == 0) revert IInstrumentRegistry.NotASecurityToken(token);
        try IERC3643Token(token).identityRegistry() returns (address identities) {
            if (identities == address(0)) revert IInstrumentRegistry.NotASecurityToken(token);
        } catch {
            revert IInstrumentRegistry.NotASecurityToken(token);
        }
    }

    function _validateDates(InstrumentTerms calldata t, bool fund) private view {
        if (t.issueDate == 0 || t.issueDate % DAY != 0) {
            revert IInstrumentRegistry.InvalidTerms("issueDate", t.issueDate);
        }
        uint256 maturity = t.maturityDate;
        if (maturity == 0 && fund) return; // An open-ended share class.
        if (
            maturity % DAY != 0 || maturity <= t.issueDate || maturity <= block.timestamp || maturity > LAST_MATURITY
                || maturity - t.issueDate > MAX_TERM_DAYS * DAY
        ) revert IInstrumentRegistry.InvalidTerms("maturityDate", maturity);
    }

    /// @dev A coupon-paying note has at least one coupon period: its issue and maturity dates do
    /// not roll to one day (DayCount would refuse the schedule at `startServicing`). Its dates are
    /// within DayCount's domain (checked above).
    function _validateSchedule(InstrumentTerms calldata t) private pure {
        CouponTerms calldata c = t.coupon;
        if (c.frequency == 0) return;
        if (DayCount.roll(t.issueDate, c.roll) >= DayCount.roll(t.maturityDate, c.roll)) {
            revert IInstrumentRegistry.InvalidTerms("maturityDate", t.maturityDate);
        }
    }

    function _validateCoupon(InstrumentKind kind, CouponTerms calldata c) private pure {
        uint256 frequency = c.frequency;
        if (kind == InstrumentKind.MoneyMarketFund || kind == InstrumentKind.TreasuryBill) {
            if (frequency != 0) revert IInstrumentRegistry.InvalidTerms("frequency", frequency);
            if (c.fixedRateBps != 0) revert IInstrumentRegistry.InvalidTerms("fixedRateBps", c.fixedRateBps);
            if (c.floatingIndex != 0) revert IInstrumentRegistry.InvalidTerms("floatingIndex", c.floatingIndex);
            if (c.spreadBps != 0) revert IInstrumentRegistry.InvalidTerms("spreadBps", uint16(c.spreadBps));
            if (c.recordDateOffsetDays != 0) {
                revert IInstrumentRegistry.InvalidTerms("recordDateOffsetDays", c.recordDateOffsetDays);
            }
            return;
        }
        if (frequency != 1 && frequency != 2 && frequency != 4 && frequency != 12) {
            revert IInstrumentRegistry.InvalidTerms("frequency", frequency);
        }
        if (kind == InstrumentKind.FixedCouponNote) {
            if (c.fixedRateBps == 0 || c.fixedRateBps > MAX_COUPON_BPS) {
                revert IInstrumentRegistry.InvalidTerms("fixedRateBps", c.fixedRateBps);
            }
            if (c.floatingIndex != 0) revert IInstrumentRegistry.InvalidTerms("floatingIndex", c.floatingIndex);
            if (c.spreadBps != 0) revert IInstrumentRegistry.InvalidTerms("spreadBps", uint16(c.spreadBps));
        } else {
            if (c.fixedRateBps != 0) revert IInstrumentRegistry.InvalidTerms("fixedRateBps", c.fixedRateBps);
            if (c.floatingIndex == 0) revert IInstrumentRegistry.InvalidTerms("floatingIndex", 0);
            int256 spread = c.spreadBps;
            if (spread > int256(MAX_SPREAD_BPS) || spread < -int256(MAX_SPREAD_BPS)) {
                revert IInstrumentRegistry.InvalidTerms("spreadBps", uint16(c.spreadBps));
            }
        }
        uint256 offset = c.recordDateOffsetDays;
        if (offset > MAX_RECORD_DATE_OFFSET_DAYS || (frequency == 12 && offset >= SHORTEST_MONTH_DAYS)) {
            revert IInstrumentRegistry.InvalidTerms("recordDateOffsetDays", offset);
        }
    }

    function _validateCall(CallTerms calldata k, bool fund, uint40 issueDate, uint40 maturityDate) private pure {
        if (!k.callable) {
            if (k.firstCallDate != 0) revert IInstrumentRegistry.InvalidTerms("firstCallDate", k.firstCallDate);
            if (k.callPriceBps != 0) revert IInstrumentRegistry.InvalidTerms("callPriceBps", k.callPriceBps);
            return;
        }
        if (fund) revert IInstrumentRegistry.InvalidTerms("callable", 1);
        if (k.firstCallDate % DAY != 0 || k.firstCallDate <= issueDate || k.firstCallDate >= maturityDate) {
            revert IInstrumentRegistry.InvalidTerms("firstCallDate", k.firstCallDate);
        }
        if (k.callPriceBps < MIN_CALL_PRICE_BPS || k.callPriceBps > MAX_CALL_PRICE_BPS) {
            revert IInstrumentRegistry.InvalidTerms("callPriceBps", k.callPriceBps);
        }
    }

    function _validateSettlementAssets(address[] calldata list, ISettlementAssets assets) private view {
        uint256 n = list.length;
        if (n == 0) revert IInstrumentRegistry.InvalidTerms("settlementAssets", 0);
        if (n > MAX_SETTLEMENT_ASSETS) revert IInstrumentRegistry.TooManySettlementAssets(n, MAX_SETTLEMENT_ASSETS);
        // Bounded: n <= MAX_SETTLEMENT_ASSETS (n external reads, n (n - 1) / 2 comparisons).
        for (uint256 i; i < n; ++i) {
            address asset = list[i];
            if (!assets.isListed(asset)) revert IInstrumentRegistry.SettlementAssetNotListed(asset);
            for (uint256 j; j < i; ++j) {
                if (list[j] == asset) revert IInstrumentRegistry.DuplicateSettlementAsset(asset);
            }
        }
    }
}
