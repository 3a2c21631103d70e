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
/// `InstrumentTerms`' NatSpec in interfaces/IInstrumentRegistry.sol with the bounds below.
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
}
