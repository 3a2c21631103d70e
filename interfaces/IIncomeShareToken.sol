// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ISecurityToken} from "./ISecurityToken.sol";

/// @title IIncomeShareToken
/// @notice A money-market fund's share class (a SecurityToken) whose daily dividend is paid in new
/// shares, as BUIDL and BENJI pay theirs: the issuer declares `D` new shares for all holders at
/// once, in O(1) whatever their number, and each holder's part is paid into its balance the next
/// time its balance changes or anyone claims it for it.
/// @dev The index. A multiplicative income index `I` starts at 1e27. A declaration of
/// `D` shares over the supply `S` (which counts every share declared before, paid or not) sets
/// `I <- floor(I * (S + D) / S)` and adds `D` to `totalSupply()` at once. A holder's balance `b`
/// (paid balance plus income settled and not yet paid) last settled at index `I_h` is worth
/// `floor(b * I / I_h)` now (`balanceOf`).
/// Settled and paid. Settling moves the holder's index to `I` and adds what it earned since to its
/// pending income (one storage word, no event): it happens first in every balance change, to both
/// wallets (transfers, mints, burns, forced transfers, recoveries), so a balance changes only at
/// the index of the moment and shares bought mid-period earn from the moment they arrive. Paying
/// moves the pending income into the paid balance: the compliance engine records it through its
/// ERC-3643 mint record `created(holder, paid)` (record only: no rule checked; the engine's supply
/// and the identity's holding grow then) and `Transfer(address(0), holder, paid)` is emitted. It
/// happens on a claim (`settleIncome`), and in a balance change when what leaves the sender is
/// its whole paid balance or more (always for a recovery). So a transfer within the paid balance
/// writes two words and calls nothing more than one without income.
/// Holder counts (SEC-128): a wallet never sends its whole paid balance while income is pending
/// (it is paid first), so no identity leaves the engine's holder count with income unpaid, and
/// paying it later (`created`, which checks no cap) never brings one back past `totalHolderCap`.
/// Exactness. Every rounding is down, so what is paid never exceeds what was declared, and no holder
/// is ever paid more than its exact pro-rata entitlement (each declaration split over the holders'
/// exact balances); the difference is dust that nobody is paid: it stays in the supply as income
/// declared and never paid (at most one base unit per settlement, plus balance / 1e27 base units per
/// declaration on an unsettled balance). docs/specs.md LCY-60..LCY-62.
/// Who declares: a declarer of the token (`setDeclarer`, GOVERNOR; SEC-129), its own capability,
/// not MINT's: the daily keeper's key declares within the bounds below and mints nothing else
/// (a MINT agent can mint without limit; it declares only if also a declarer). The registry's
/// DECLARE delegation is not read here, to keep the token within EIP-170. Declarations are
/// numbered (a retried declaration never applies twice), at least 12 hours apart and at most 50
/// basis points (0.5%) of the supply each.
/// Warning (not checked): income is paid without the compliance rules (it is an entitlement of a
/// holding the rules admitted): it can take a holding past the engine's `maxBalance`, and it is paid
/// into frozen wallets (frozen with them) as into any other; it is free balance, not frozen tokens.
/// The engine records income as a mint (`created`): the identity's acquisition time moves by the
/// amount-weighted mean (income shares count as acquired when paid, so a lock-up after acquisition
/// lengthens by at most `elapsed * paid / balance`: conservative), and the engine's supply (read by
/// its share-of-supply cap) lags `totalSupply()` by the income not yet paid (a stricter cap).
/// `freezePartialTokens` counts the paid balance only (a claim, `settleIncome`, first to include
/// income). `detectTransferRestriction` counts the sender's unpaid income at the token, but the
/// engine's part of the answer reads its ledger before that income is paid (its holding rules
/// see the paid balance). A wallet that pends
/// redemptions in a FundVault escrow earns nothing on them: the escrow (the vault) earns it, and the
/// vault burns that income at its next strike (IFundVault `EscrowIncomeBurned`).
interface IIncomeShareToken is ISecurityToken {
    /// @notice Declarations are numbered 1, 2, ...: `number` is not the next one.
    error UnexpectedDeclaration(uint256 number, uint256 expected);
    /// @notice The previous declaration (at `lastDeclaredAt`) was less than
    /// `MIN_DECLARATION_INTERVAL` ago: the next one opens at `earliest`.
    error DeclarationTooSoon(uint256 lastDeclaredAt, uint256 earliest);
    /// @notice 0 shares, or more than 50 basis points of the supply (`maxShares`); `maxShares` 0
    /// when the supply would pass `MAX_SUPPLY` or the index its 160 bits.
    error DeclarationOutOfBounds(uint256 shares, uint256 supply, uint256 maxShares);
    /// @notice `caller` is not a declarer of the token (`setDeclarer`).
    error NotDeclarer(address caller);

    /// @notice Declaration `number` of `shares` new shares over `supplyBefore`: the index moved to
    /// `nextIndex` (from the previous declaration's, 1e27 before the first).
    event IncomeDeclared(
        uint256 indexed number, uint256 shares, uint256 supplyBefore, uint256 nextIndex, address indexed by
    );

    /// @notice `account` may declare income (`allowed`) or no longer (SEC-129).
    event DeclarerSet(address indexed account, bool previous, bool allowed);

    /// @notice Largest declaration, basis points of the supply (50: 0.5%).
    function MAX_DECLARATION_BPS() external view returns (uint256);
    /// @notice Least time between two declarations (12 hours).
    function MIN_DECLARATION_INTERVAL() external view returns (uint256);

    /// @notice Declares `shares` new shares of income for every holder, pro rata to their balances
    /// (with income not yet paid): O(1). `number` must be the next declaration's (1 for the first).
    /// @dev Reverts `NotDeclarer`, `UnexpectedDeclaration`, `DeclarationTooSoon`,
    /// `DeclarationOutOfBounds`; the engine must be set.
    function declareIncome(uint256 number, uint256 shares) external;

    /// @notice Lets `account` declare income (`allowed`), or no longer: the DECLARE capability,
    /// apart from the agents' (a declarer needs no MINT; a MINT agent does not declare by it).
    /// GOVERNOR (the AccessManager's `restricted`, keepers/access/protocol.py).
    function setDeclarer(address account, bool allowed) external;

    /// @notice Whether `account` may declare income.
    function isDeclarer(address account) external view returns (bool);

    /// @notice Settles `payer` and `other` (address(0) skipped) at the index of the moment, and
    /// pays `payer`'s income into its balance if that balance is below `needed`. Every balance
    /// change calls it on the token first (anyone may call it: settling and paying only credit).
    /// A claim is `settleIncome(holder, address(0), type(uint256).max)` (one entry point keeps the
    /// token within EIP-170). Returns the shares paid to `payer` (0 when none).
    function settleIncome(address payer, address other, uint256 needed) external returns (uint256 paid);

    /// @notice The holder's balance with its accrued income (what it can transfer now).
    /// @dev ERC-20 `balanceOf`. The sum over holders is at most `totalSupply()`: the difference is
    /// the income not yet paid plus the dust.
    // function balanceOf(address holder) external view returns (uint256);

    /// @notice `holder`'s paid balance (what its compliance engine's ledger counts), its income
    /// settled and not paid, and the index at its last settlement (0: never settled). Its accrued
    /// income is `balanceOf(holder) - paid`.
    function incomeAccountOf(address holder) external view returns (uint256 paid, uint256 pending, uint256 index);
    /// @notice The index now, the number of the last declaration and its time (0: none).
    function incomeIndex() external view returns (uint256 index, uint256 declarations, uint256 lastDeclaredAt);
}
