// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InstrumentTerms} from "../../interfaces/IInstrumentRegistry.sol";
import {ISettlementAssets} from "../../interfaces/ISettlementAssets.sol";
import {ITermsValidator} from "../../interfaces/ITermsValidator.sol";
import {InstrumentCodes} from "./InstrumentCodes.sol";
import {InstrumentRules} from "./InstrumentRules.sol";

/// @title TermsValidator
/// @notice The registry's rules for instrument terms, callable on their own (see ITermsValidator).
contract TermsValidator is ITermsValidator {
    uint256 public constant MAX_SETTLEMENT_ASSETS = InstrumentRules.MAX_SETTLEMENT_ASSETS;
    uint256 public constant MAX_COUPON_BPS = InstrumentRules.MAX_COUPON_BPS;
    uint256 public constant MAX_SPREAD_BPS = InstrumentRules.MAX_SPREAD_BPS;
    uint256 public constant MAX_RECORD_DATE_OFFSET_DAYS = InstrumentRules.MAX_RECORD_DATE_OFFSET_DAYS;
    uint256 public constant MIN_CALL_PRICE_BPS = InstrumentRules.MIN_CALL_PRICE_BPS;
    uint256 public constant MAX_CALL_PRICE_BPS = InstrumentRules.MAX_CALL_PRICE_BPS;
    uint256 public constant MAX_FACE_VALUE = InstrumentRules.MAX_FACE_VALUE;
    uint256 public constant MAX_TERM_DAYS = InstrumentRules.MAX_TERM_DAYS;
    uint256 public constant LAST_MATURITY = InstrumentRules.LAST_MATURITY;

    ISettlementAssets public immutable settlementAssets;

    constructor(ISettlementAssets settlementAssets_) {
        settlementAssets = settlementAssets_;
    }

    /// @inheritdoc ITermsValidator
    function validate(InstrumentTerms calldata terms) external view {
        InstrumentRules.validate(terms, settlementAssets);
    }

    /// @inheritdoc ITermsValidator
    function isValidIsin(bytes12 isin) external pure returns (bool) {
        return InstrumentCodes.isValidIsin(isin);
    }

    /// @inheritdoc ITermsValidator
    function isValidCusip(bytes9 cusip) external pure returns (bool) {
        return InstrumentCodes.isValidCusip(cusip);
    }

    /// @inheritdoc ITermsValidator
    function isCurrencyCode(bytes3 code) external pure returns (bool) {
        return InstrumentCodes.isCurrencyCode(code);
    }
}
