// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InstrumentTerms} from "./IInstrumentRegistry.sol";
import {ISettlementAssets} from "./ISettlementAssets.sol";

/// @title ITermsValidator
/// @notice The rules an instrument's terms must meet, as the InstrumentRegistry applies them at
/// registration and amendment (`validate`), and the identifier checks on their own, for anyone to
/// check terms before sending them (a CLI, a front end).
/// @dev A stateless periphery of the registry (it keeps the registry's code small): the registry
/// calls `validate` of the validator fixed at its construction, and bubbles its errors, which are
/// `IInstrumentRegistry`'s (`InvalidIsin`, `InvalidCusip`, `CusipIsinMismatch`,
/// `InvalidCurrency`, `InvalidTerms`, `NotASecurityToken`, `SettlementAssetNotListed`,
/// `DuplicateSettlementAsset`, `TooManySettlementAssets`). Uniqueness of the ISIN and the share
/// token is the registry's (it holds the records), not checked here. The rules are those of
/// `InstrumentTerms`' NatSpec in interfaces/IInstrumentRegistry.sol with the bounds below. Terms the
/// servicer could not serve over their whole life are refused here (SEC-31, SEC-39): a face value,
/// a term or a maturity beyond the bounds below, and a coupon-paying note whose issue and maturity
/// dates roll to one day (no coupon period: `InvalidTerms("maturityDate", maturity)`, the schedule
/// `DayCount` would refuse at `startServicing`).
interface ITermsValidator {
    /// @notice Reverts with the registry's error for the first rule `terms` breaks; returns when
    /// every rule holds (the settlement assets listed now, the share token answering now).
    function validate(InstrumentTerms calldata terms) external view;

    /// @notice ISO 6166 form and check digit (letters count A = 10 .. Z = 35, then Luhn mod 10).
    function isValidIsin(bytes12 isin) external pure returns (bool);

    /// @notice CUSIP form and check digit.
    function isValidCusip(bytes9 cusip) external pure returns (bool);

    /// @notice Three upper-case letters (the form of an ISO 4217 code, not the list).
    function isCurrencyCode(bytes3 code) external pure returns (bool);

    /// @notice The settlement assets the accepted list is checked against.
    function settlementAssets() external view returns (ISettlementAssets);

    /// @notice Accepted settlement assets per instrument.
    function MAX_SETTLEMENT_ASSETS() external view returns (uint256);
    /// @notice Largest fixed coupon, basis points a year.
    function MAX_COUPON_BPS() external view returns (uint256);
    /// @notice Largest floating spread, either sign, basis points.
    function MAX_SPREAD_BPS() external view returns (uint256);
    /// @notice Longest record-date offset, days.
    function MAX_RECORD_DATE_OFFSET_DAYS() external view returns (uint256);
    /// @notice Call price bounds, basis points of face value.
    function MIN_CALL_PRICE_BPS() external view returns (uint256);
    function MAX_CALL_PRICE_BPS() external view returns (uint256);
    /// @notice Largest face value, 18 decimals of the currency a share (1e9 units): with the other
    /// bounds, what a note's BondServicer indexes are sized for (IBondServicer, Bounds). Above it
    /// `InvalidTerms("faceValue", value)`.
    function MAX_FACE_VALUE() external view returns (uint256);
    /// @notice Longest term, issue to maturity, days (100 years): above it
    /// `InvalidTerms("maturityDate", maturity)`.
    function MAX_TERM_DAYS() external view returns (uint256);
    /// @notice Latest maturity (2199-12-29 UTC): every date of a schedule, rolled, stays in the
    /// on-chain DayCount's domain and QuantLib's (the keepers'), which end in 2200 and 2199. Later:
    /// `InvalidTerms("maturityDate", maturity)`.
    function LAST_MATURITY() external view returns (uint256);
}
