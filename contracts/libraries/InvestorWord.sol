// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title InvestorWord
/// @notice One 256-bit word describing a wallet's investor, as the identity registry hands it to the
/// compliance engine: identity 0..159 | country 160..175 | class 176..183 | verified bit 184 | frozen bit 185
/// (a sanctions freeze of the identity; a frozen investor is never verified).
/// @dev A word instead of a struct keeps the registry -> engine call to two return words.
library InvestorWord {
    function identity(uint256 w) internal pure returns (address) {
        return address(uint160(w));
    }

    function country(uint256 w) internal pure returns (uint16) {
        return uint16(w >> 160);
    }

    function investorClass(uint256 w) internal pure returns (uint8) {
        return uint8(w >> 176);
    }

    function verified(uint256 w) internal pure returns (bool) {
        return (w >> 184) & 1 != 0;
    }

    function frozen(uint256 w) internal pure returns (bool) {
        return (w >> 185) & 1 != 0;
    }
}
