// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {
    IInstrumentRegistry,
    InstrumentOperations as Ops,
    InstrumentStatus
} from "../../interfaces/IInstrumentRegistry.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BalanceChange, ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../token/SecurityToken.sol";
import {IncomeWord, IncomeWordLibrary} from "./IncomeWords.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title IncomeShareToken
/// @notice A money-market share class paying its dividends in new shares through a multiplicative
/// income index, settled lazily per holder (see IIncomeShareToken).
/// @dev State added to SecurityToken's: one word (`_income`: the index, the declaration count and
/// time), the total declared, and one index per holder. Settling runs in SecurityToken's
/// `_beforeBalanceChange` hook, before any balance is read.
contract IncomeShareToken is IIncomeShareToken, SecurityToken {
    /// @inheritdoc IIncomeShareToken
    uint256 public constant INDEX_ONE = 1e27;
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MAX_DECLARATION_BPS = 50;
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MIN_DECLARATION_INTERVAL = 12 hours;

    IInstrumentRegistry internal immutable INSTRUMENTS;

    IncomeWord private _income;
    uint256 private _declared;
    mapping(address holder => uint256 index) private _holderIndex;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_,
        IInstrumentRegistry instruments_
    ) SecurityToken(authority, name_, symbol_, decimals_, registry_, compliance_, onchainID_) {
        if (address(instruments_) == address(0)) revert ZeroAddress();
        INSTRUMENTS = instruments_;
        _income = IncomeWordLibrary.pack(INDEX_ONE, 0, 0);
    }

    // ================================================================ issuer (DECLARE)

    /// @inheritdoc IIncomeShareToken
    function declareIncome(uint256 number, uint256 shares) external nonReentrant {
        // The registry is immutable and the protocol's own: its answers are this call's inputs.
        uint256 id = INSTRUMENTS.idOfShareToken(address(this));
        if (id == 0) revert NoInstrument(address(this));
        if (!INSTRUMENTS.canAct(id, msg.sender, Ops.DECLARE)) revert NotDeclarer(id, msg.sender);
        InstrumentStatus status = INSTRUMENTS.statusOf(id);
        if (status != InstrumentStatus.Active) revert InstrumentNotActive(id, status);
        IComplianceEngine engine = _requireCompliance();
        IncomeWord income = _income;
        if (number != income.declarations() + 1) revert UnexpectedDeclaration(number, income.declarations() + 1);
        uint256 earliest = income.lastDeclaredAt() + MIN_DECLARATION_INTERVAL;
        if (income.declarations() != 0 && block.timestamp < earliest) {
            revert DeclarationTooSoon(income.lastDeclaredAt(), earliest);
        }
        uint256 supply = _totalSupply;
        uint256 maxShares = supply * MAX_DECLARATION_BPS / BPS;
        if (shares == 0 || shares > maxShares) revert DeclarationOutOfBounds(shares, supply, maxShares);
        // No overflow: shares <= supply / 200 and supply <= MAX_SUPPLY < 2**96.
        uint256 supplyAfter = supply + shares;
        if (supplyAfter > MAX_SUPPLY) revert SupplyCapExceeded(supplyAfter, MAX_SUPPLY);
        uint256 previous = income.index();
        // Rounded down (never in a holder's favour). No overflow: index < 2**160 (checked next) and
        // supplyAfter < 2**96; supply != 0 since shares != 0 and shares <= supply / 200.
        uint256 next = previous * supplyAfter / supply;
        if (next > IncomeWordLibrary.INDEX_MASK) revert DeclarationOutOfBounds(shares, supply, 0);

        _income = IncomeWordLibrary.pack(next, number, block.timestamp);
        _declared += shares;
        _totalSupply = supplyAfter;
        emit IncomeDeclared(number, shares, supply, previous, next, msg.sender);
        engine.incomeDeclared(shares);
    }

    // ================================================================ holders

    /// @inheritdoc IIncomeShareToken
    function claimIncome(address holder) external nonReentrant returns (uint256 paid) {
        paid = _settle(holder, _income.index());
        if (paid != 0) _requireCompliance().incomePaid(holder, paid, address(0), 0);
    }

    // ================================================================ views

    /// @notice ERC-20 balance: the settled balance with the accrued income (IIncomeShareToken).
    function balanceOf(address holder) external view override(IERC20, SecurityToken) returns (uint256) {
        return _accounts[holder].balance + accruedIncomeOf(holder);
    }

    /// @notice ERC-1404, as SecurityToken's (ISecurityToken).
    /// @dev The sender's accrued income counts at the token (a transfer settles it first); the
    /// engine's part reads its ledger as it is (see the interface's warning).
    function detectTransferRestriction(address from, address to, uint256 amount)
        external
        view
        override(ISecurityToken, SecurityToken)
        returns (uint8)
    {
        // No carry out of the balance field: balance + accrued < 2**96.
        uint8 code = _tokenRestriction(
            _coreWord(),
            _accountWord(_accounts[from]) + accruedIncomeOf(from),
            _accountWord(_accounts[to]),
            amount
        );
        if (code != 0) return code;
        return _requireCompliance().detectTransferRestriction(from, to, amount);
    }

    /// @inheritdoc IIncomeShareToken
    function accruedIncomeOf(address holder) public view returns (uint256) {
        return _accrued(_accounts[holder].balance, _holderIndex[holder], _income.index());
    }

    /// @inheritdoc IIncomeShareToken
    function settledBalanceOf(address holder) external view returns (uint256) {
        return _accounts[holder].balance;
    }

    /// @inheritdoc IIncomeShareToken
    function incomeIndex() external view returns (uint256 index, uint256 declarations, uint256 lastDeclaredAt) {
        IncomeWord income = _income;
        return (income.index(), income.declarations(), income.lastDeclaredAt());
    }

    /// @inheritdoc IIncomeShareToken
    function holderIndexOf(address holder) external view returns (uint256) {
        return _holderIndex[holder];
    }

    /// @inheritdoc IIncomeShareToken
    function totalIncomeDeclared() external view returns (uint256) {
        return _declared;
    }

    /// @inheritdoc IIncomeShareToken
    function instrumentRegistry() external view returns (IInstrumentRegistry) {
        return INSTRUMENTS;
    }

    // ================================================================ internal

    /// @dev Settles both wallets at the index of the moment, then records what was paid in the
    /// engine's ledger in one call.
    function _beforeBalanceChange(BalanceChange, address from, address to) internal override {
        uint256 index = _income.index();
        uint256 paidFrom = from == address(0) ? 0 : _settle(from, index);
        uint256 paidTo = to == address(0) || to == from ? 0 : _settle(to, index);
        if (paidFrom | paidTo != 0) IComplianceEngine(_core.compliance).incomePaid(from, paidFrom, to, paidTo);
    }

    /// @dev Pays `holder` its income up to `index` into its balance and moves its index there.
    /// Returns the shares paid; the caller records them in the engine.
    function _settle(address holder, uint256 index) internal returns (uint256 paid) {
        uint256 last = _holderIndex[holder];
        if (last == index) return 0;
        _holderIndex[holder] = index;
        Account storage account = _accounts[holder];
        paid = _accrued(account.balance, last, index);
        if (paid == 0) return 0;
        // No overflow: the paid income was counted in the supply, which is below 2**96.
        account.balance += uint128(paid);
        emit Transfer(address(0), holder, paid);
    }

    /// @dev floor(balance * index / last) - balance: 0 for a wallet that never held (`last` 0: its
    /// balance is 0, every receipt settles it first). No overflow: balance < 2**96, index < 2**160.
    function _accrued(uint256 balance, uint256 last, uint256 index) internal pure returns (uint256) {
        if (balance == 0 || last == 0 || last == index) return 0;
        // No underflow: the index never decreases, so index >= last and the quotient >= balance.
        unchecked {
            return balance * index / last - balance;
        }
    }
}
