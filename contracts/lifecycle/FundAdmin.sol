// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {FundState} from "./FundState.sol";
import {ManagedInit} from "../access/ManagedInit.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {DealingLibrary, FeeLedger, Late, StrikeWordLibrary} from "../types/FundWords.sol";
import {DealingMath} from "./DealingMath.sol";

/// @title FundAdmin
/// @notice The FundVault's functions off its dealing path, split out of the vault for its size:
/// governance (GOVERNOR: `setGate`, `setDealingInterval`, `setCustodian`, `setInstantLimit`), the
/// fund manager's cash movements (FUND_MANAGER: `investCash`; anyone: `returnCash`) and the fee
/// collection (anyone: `collectFees`). The vault `delegatecall`s it (Dispatch) after its own
/// access check (`restricted`, where the function has a role), so this code runs on the vault's
/// storage, as the vault (the share token's agent, the fee schedule's caller, the asset's holder),
/// exactly as the vault's own functions did. Deployed before its vault and passed to it: the
/// vault's constructor checks its `moduleId` (this layout; the same share, asset, NAV source,
/// instrument and fee schedule, as FundInstant's). Kept apart from FundInstant so that module's
/// dealing paths compile as before (helpers shared with these functions would no longer be
/// inlined there).
/// @dev The vault's lock: `investCash`, `returnCash` and `collectFees` take it here
/// (`nonReentrant`: the same transient slot, in the vault's context, as the vault's own guard),
/// so the vault's stubs end the call with this module's answer (`Dispatch._delegate`) and the
/// vault's `_delegateWords` stays the instant module's alone. Called directly (not through a
/// vault) every entry but `moduleId` reverts `DirectCall` (DelegatedModule).
contract FundAdmin is FundState, ManagedInit, DelegatedModule, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_
    ) FundState(share_, asset_, navSource_, instrumentId_, fees_) {}

    /// @inheritdoc DelegatedModule
    /// @dev Names this layout and this module's share, asset, NAV source, instrument and fee
    /// schedule (FundState `_adminId`): one module serves one fund's vaults.
    function moduleId() external view override returns (bytes32) {
        return _adminId();
    }

    // ================================================================ deployment

    /// @notice IFundVault.initialize, as the vault, in its proxy's constructor (ManagedInit): the
    /// vault's authority, first period, interval, gate, fee clock and the start's NAV. It inherits
    /// AccessManaged (ManagedInit) for the authority's slot, which follows FundState's in the vault.
    function initialize(address authority_, uint256 firstCutoff, uint32 interval, uint16 gateBps)
        external
        onlyDelegated
    {
        _initialize(authority_);
        _checkInterval(interval);
        _checkGate(gateBps);
        if (firstCutoff <= block.timestamp || firstCutoff >= MAX_CUTOFF) {
            revert IFundVault.CutoffPassed(1, firstCutoff);
        }
        // A schedule set for this address before it existed applies from now.
        (uint256 managementBps, bool charges) = FEES.accrualTermsOf(address(this));
        _feeLedger = FeeLedger.wrap(0).setAccruedAt(block.timestamp).setTerms(managementBps, charges);
        _dealing = DealingLibrary.pack(1, firstCutoff, 0, 0);
        _late = Late.wrap(0).setGateBps(gateBps).setInterval(interval);
        _strikes[0] = StrikeWordLibrary.pack(DealingMath.ONE, 0, 0, false);
        emit IFundVault.GateSet(0, gateBps);
        emit IFundVault.DealingIntervalSet(0, interval);
    }

    /// @notice Never runs: the vault answers `setAuthority` itself (AccessManaged); this module
    /// inherits AccessManaged for the authority's slot only (`initialize`).
    function setAuthority(address) public pure override {
        revert DirectCall();
    }

    // ================================================================ governance (GOVERNOR)

    /// @notice IFundVault.setGate, as the vault.
    function setGate(uint16 bps) external onlyDelegated {
        _checkGate(bps);
        Late late = _late;
        _late = late.setGateBps(bps);
        emit IFundVault.GateSet(late.gateBps(), bps);
    }

    /// @notice IFundVault.setDealingInterval, as the vault.
    function setDealingInterval(uint32 interval) external onlyDelegated {
        _checkInterval(interval);
        Late late = _late;
        _late = late.setInterval(interval);
        emit IFundVault.DealingIntervalSet(late.interval(), interval);
    }

    /// @notice IFundVault.setCustodian, as the vault.
    function setCustodian(address next) external onlyDelegated {
        address previous = _custodian;
        _custodian = next;
        emit IFundVault.CustodianSet(previous, next);
    }

    /// @notice IFundVault.setInstantLimit, as the vault.
    function setInstantLimit(uint96 assets) external onlyDelegated {
        uint256 previous = _instantLimit;
        _instantLimit = assets;
        emit IFundVault.InstantLimitSet(previous, assets);
    }

    // ================================================================ issuer, fees

    /// @notice IFundVault.investCash, as the vault (its stub checks the role; the lock is taken here).
    function investCash(uint256 assets) external onlyDelegated nonReentrant {
        address to = _custodian;
        if (to == address(0)) revert IFundVault.NoCustodian();
        uint256 free = _freeCash();
        if (assets > free) revert IFundVault.InsufficientFreeCash(assets, free);
        // No underflow: assets <= free checked above.
        emit IFundVault.CashInvested(to, assets, free - assets);
        ASSET.safeTransfer(to, assets);
    }

    /// @notice IFundVault.returnCash, as the vault.
    function returnCash(uint256 assets) external onlyDelegated nonReentrant {
        if (assets == 0) revert IFundVault.ZeroAmount();
        emit IFundVault.CashReturned(msg.sender, assets);
        ASSET.safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @notice IFundVault.collectFees, as the vault.
    function collectFees() external onlyDelegated nonReentrant returns (uint256 shares, uint256 assets) {
        FeeLedger ledger = _feeLedger;
        address recipient = FEES.recipientOf(address(this));
        if (recipient == address(0)) revert IFundVault.NoFeeRecipient();
        (shares, assets) = (ledger.shares(), ledger.assets());
        _feeLedger = ledger.setAmounts(0, 0);
        emit IFundVault.FeesCollected(recipient, shares, assets);
        // A mint through the engine: the recipient must be a holder it admits.
        if (shares != 0) SHARE.mint(recipient, shares);
        if (assets != 0) ASSET.safeTransfer(recipient, assets);
    }
}
