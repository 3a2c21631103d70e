// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title InstrumentCodes
/// @notice The form and check digits of securities identifiers, on chain: ISIN (ISO 6166), CUSIP,
/// and the form of an ISO 4217 currency code.
/// @dev Characters are ASCII bytes. A letter counts A = 10 .. Z = 35 in both schemes; CUSIP also
/// counts the asterisk = 36, the at sign (0x40) = 37 and `#` = 38 (private placements). Bounded:
/// 12 characters at most.
library InstrumentCodes {
    /// @notice ISO 6166: two letters, nine letters or digits, then a digit such that the Luhn mod-10
    /// check holds over the string with each letter written as its two-digit value.
    function isValidIsin(bytes12 isin) internal pure returns (bool) {
        // The Luhn sum from the rightmost digit (the check digit, not doubled); `double` flips at
        // every digit, and a letter contributes two digits (its value's units first).
        uint256 sum;
        bool double;
        // Bounded: 12 characters.
        for (uint256 i = 12; i > 0;) {
            unchecked {
                --i;
            }
            uint256 c = uint8(isin[i]);
            uint256 v;
            if (_isDigit(c)) {
                v = c - 48;
            } else if (_isLetter(c) && i != 11) {
                v = c - 55;
            } else {
                return false;
            }
            if (i < 2 && v < 10) return false; // The country code is two letters.
            if (v >= 10) {
                (sum, double) = _luhnDigit(sum, double, v % 10);
                v /= 10;
            }
            (sum, double) = _luhnDigit(sum, double, v);
        }
        return sum % 10 == 0;
    }

    /// @notice Eight letters, digits, asterisks, at signs or `#`, then the check digit: the sum over the eight of each
    /// value (doubled at even positions, counting from 1) written as its digits' sum, and the check
    /// digit is (10 - sum mod 10) mod 10.
    function isValidCusip(bytes9 cusip) internal pure returns (bool) {
        uint256 sum;
        // Bounded: 8 characters.
        for (uint256 i; i < 8; ++i) {
            uint256 c = uint8(cusip[i]);
            uint256 v;
            if (_isDigit(c)) v = c - 48;
            else if (_isLetter(c)) v = c - 55;
            else if (c == 0x2a) v = 36; // *
            else if (c == 0x40) v = 37; // @
            else if (c == 0x23) v = 38; // #
            else return false;
            if (i % 2 == 1) v *= 2;
            sum += v / 10 + v % 10;
        }
        uint256 check = uint8(cusip[8]);
        return _isDigit(check) && check - 48 == (10 - sum % 10) % 10;
    }

    /// @notice Whether a CUSIP is the national number of a US or CA ISIN: characters 3 to 11 of the
    /// ISIN. True for any other country (their ISINs embed other numbers).
    function cusipMatchesIsin(bytes12 isin, bytes9 cusip) internal pure returns (bool) {
        bytes2 country = bytes2(isin);
        if (country != "US" && country != "CA") return true;
        return bytes9(isin << 16) == cusip;
    }

    /// @notice Three upper-case ASCII letters (the form of an ISO 4217 alphabetic code; the list
    /// itself is not checked).
    function isCurrencyCode(bytes3 code) internal pure returns (bool) {
        return _isLetter(uint8(code[0])) && _isLetter(uint8(code[1])) && _isLetter(uint8(code[2]));
    }

    function _luhnDigit(uint256 sum, bool double, uint256 digit) private pure returns (uint256, bool) {
        if (double) {
            digit *= 2;
            if (digit > 9) digit -= 9;
        }
        return (sum + digit, !double);
    }

    function _isDigit(uint256 c) private pure returns (bool) {
        return c >= 48 && c <= 57;
    }

    function _isLetter(uint256 c) private pure returns (bool) {
        return c >= 65 && c <= 90;
    }
}
