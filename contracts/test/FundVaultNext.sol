// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IFundNavSource} from "../../interfaces/IFundVault.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {FundAdmin} from "../lifecycle/FundAdmin.sol";
import {FundVault} from "../lifecycle/FundVault.sol";

/// @title FundVaultNext
/// @notice Test-only: the FundVault's next version in issue 34's upgrade drill (UPG-7). Every
/// function of the deployed version, over the same storage, and one field widened the way the
/// rule for every version says (docs/architecture.md "Storage safety"): the dealing interval, 32
/// bits of the Late word, gets a 64-bit home in a namespace of its own (ERC-7201), filled by
/// `migrate` in the upgrade's own call (the UpgradeAuthority's `upgrade(proxy, this, migrate())`),
/// never at the end of the vault's sequential layout. The vault keeps a stub; the work runs in
/// the next admin module (FundAdminNext), where the room is (the vault has a few hundred bytes
/// to grow, its modules kilobytes). A drill, not a release: governance's `setDealingInterval`
/// still writes the 32-bit field; a release widening it would move every reader too.
contract FundVaultNext is FundVault {
    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_,
        address instant_,
        address admin_
    ) FundVault(share_, asset_, navSource_, instrumentId_, fees_, instant_, admin_) {}

    /// @notice FundAdminNext.migrate, as the vault.
    function migrate() external {
        _delegate(ADMIN);
    }
}

/// @title FundAdminNext
/// @notice Test-only: the FundAdmin module of FundVaultNext (the same layout id: the vault's
/// layout is unchanged, the new field is namespaced), with the version's migration.
contract FundAdminNext is FundAdmin {
    /// @custom:storage-location erc7201:quantera.lifecycle.FundVault.next
    struct NextStorage {
        /// @dev The version `migrate` brought this storage to (0: not yet).
        uint64 version;
        uint64 dealingInterval;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("quantera.lifecycle.FundVault.next")) - 1)) &
    /// ~bytes32(uint256(0xff)). Read by the drill with eth_getStorageAt.
    bytes32 private constant NEXT_LOCATION = 0x3dcd264e83b926d3eebcd4b6cfb67c44a0b3a4b08d1d78e1eda4abf184dc3700;
    uint64 private constant VERSION = 2;

    /// @notice `migrate` by `caller`, not the proxy's admin in an upgrade's call.
    error NotUpgrading(address caller);
    /// @notice `migrate` of storage already at `version`.
    error AlreadyMigrated(uint64 version);

    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_
    ) FundAdmin(share_, asset_, navSource_, instrumentId_, fees_) {}

    /// @notice Copies the 32-bit dealing interval into its 64-bit field, once, as the vault, in the
    /// upgrade's call (the caller is the proxy's ProxyAdmin).
    function migrate() external onlyDelegated {
        if (msg.sender != ERC1967Utils.getAdmin()) revert NotUpgrading(msg.sender);
        NextStorage storage next = _nextStorage();
        if (next.version >= VERSION) revert AlreadyMigrated(next.version);
        next.version = VERSION;
        next.dealingInterval = uint64(_late.interval());
    }

    function _nextStorage() private pure returns (NextStorage storage next) {
        assembly ("memory-safe") {
            next.slot := NEXT_LOCATION
        }
    }
}
