// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title RestrictionCodes
/// @notice ERC-1404 transfer restriction codes shared by the token (`detectTransferRestriction`)
/// and the compliance engine, with their human messages. 0 means the transfer is allowed.
/// @dev Codes are stable: wallets and the compliance keeper map them to reasons.
library RestrictionCodes {
    uint8 internal constant SUCCESS = 0;
    uint8 internal constant TOKEN_PAUSED = 1;
    uint8 internal constant SENDER_FROZEN = 2;
    uint8 internal constant RECIPIENT_FROZEN = 3;
    uint8 internal constant INSUFFICIENT_UNFROZEN_BALANCE = 4;
    uint8 internal constant SENDER_NOT_VERIFIED = 5;
    uint8 internal constant RECIPIENT_NOT_VERIFIED = 6;
    uint8 internal constant SENDER_JURISDICTION_BLOCKED = 7;
    uint8 internal constant RECIPIENT_JURISDICTION_BLOCKED = 8;
    uint8 internal constant ROUTE_BLOCKED = 9;
    uint8 internal constant INVESTOR_CLASS_TOO_LOW = 10;
    uint8 internal constant JURISDICTION_HOLDER_CAP = 11;
    uint8 internal constant JURISDICTION_NON_ACCREDITED_CAP = 12;
    uint8 internal constant TOTAL_HOLDER_CAP = 13;
    uint8 internal constant MAX_BALANCE_EXCEEDED = 14;
    uint8 internal constant MAX_SHARE_OF_SUPPLY_EXCEEDED = 15;
    uint8 internal constant BELOW_MIN_HOLDING = 16;
    uint8 internal constant ISSUANCE_LOCKUP = 17;
    uint8 internal constant ACQUISITION_LOCKUP = 18;
    uint8 internal constant DAILY_LIMIT_EXCEEDED = 19;
    uint8 internal constant MONTHLY_LIMIT_EXCEEDED = 20;
    uint8 internal constant FLOWBACK_WINDOW = 21;
    uint8 internal constant MODULE_REJECTED = 22;
    uint8 internal constant TOTAL_NON_ACCREDITED_CAP = 23;
    uint8 internal constant LAST_CODE = 23;

    function message(uint8 code) internal pure returns (string memory) {
        if (code == SUCCESS) return "Transfer allowed";
        if (code == TOKEN_PAUSED) return "Token is paused";
        if (code == SENDER_FROZEN) return "Sender wallet is frozen";
        if (code == RECIPIENT_FROZEN) return "Recipient wallet is frozen";
        if (code == INSUFFICIENT_UNFROZEN_BALANCE) return "Amount exceeds the sender's unfrozen balance";
        if (code == SENDER_NOT_VERIFIED) {
            return "Sender is not a verified investor (unregistered, KYC or claims expired)";
        }
        if (code == RECIPIENT_NOT_VERIFIED) {
            return "Recipient is not a verified investor (unregistered, KYC or claims expired)";
        }
        if (code == SENDER_JURISDICTION_BLOCKED) return "Sender's jurisdiction is not allowed";
        if (code == RECIPIENT_JURISDICTION_BLOCKED) return "Recipient's jurisdiction is not allowed";
        if (code == ROUTE_BLOCKED) return "Transfers between these jurisdictions are blocked";
        if (code == INVESTOR_CLASS_TOO_LOW) return "Recipient's investor class is below the jurisdiction's minimum";
        if (code == JURISDICTION_HOLDER_CAP) return "Recipient's jurisdiction has reached its holder cap";
        if (code == JURISDICTION_NON_ACCREDITED_CAP) {
            return "Recipient's jurisdiction has reached its non-accredited holder cap";
        }
        if (code == TOTAL_HOLDER_CAP) return "Token has reached its total holder cap";
        if (code == MAX_BALANCE_EXCEEDED) return "Recipient's identity would exceed the maximum balance";
        if (code == MAX_SHARE_OF_SUPPLY_EXCEEDED) {
            return "Recipient's identity would exceed the maximum share of supply";
        }
        if (code == BELOW_MIN_HOLDING) return "A holding would fall below the minimum holding";
        if (code == ISSUANCE_LOCKUP) return "Transfers are locked up after issuance";
        if (code == ACQUISITION_LOCKUP) return "Sender's tokens are in their post-acquisition lock-up";
        if (code == DAILY_LIMIT_EXCEEDED) return "Sender's identity would exceed its daily transfer limit";
        if (code == MONTHLY_LIMIT_EXCEEDED) return "Sender's identity would exceed its monthly transfer limit";
        if (code == FLOWBACK_WINDOW) {
            return "Recipient's jurisdiction is closed to inbound transfers (flowback window)";
        }
        if (code == MODULE_REJECTED) return "A bound ERC-3643 compliance module rejected the transfer";
        if (code == TOTAL_NON_ACCREDITED_CAP) return "Token has reached its total non-accredited holder cap";
        return "Unknown restriction code";
    }
}
