// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ISecurityToken} from "./ISecurityToken.sol";

/// @title ITokenMigrator
/// @notice The token family's upgrade path for its balance code (docs/architecture.md, Upgrades,
/// (c); UPG-10): a defect in the code that moves balances is fixed by a new token deployed beside
/// the old one, and every holding moves over at the same address, whole: each holder's balance is
/// burnt on the old token and the same amount minted on the new one in one call, with its freeze
/// (the wallet's own freeze and its partially frozen tokens) carried over. Holders stay the holders
/// of record: nobody sells, nobody is asked to act, nothing is priced.
/// @dev Roles. `migrate` is `restricted` (the deployment wires it to OPERATOR): the issuer's agent
/// moves holders in bounded batches, found from the old token's `Transfer` log. `migrateSelf` is
/// open to any holder for their own holding, so no holder waits on the issuer. The migrator needs
/// BURN on the old token and MINT and FREEZE on the new one (set by each token's GOVERNOR), and
/// the old token paused (its PAUSE agent or GUARDIAN): its balances are final while they move,
/// and no transfer can race a holder's burn.
///
/// A holding moves only as a whole and only if the new token accepts it: the mint runs the new
/// token's compliance engine (the holder verified and eligible, its caps and limits, a sanctions
/// freeze in the identity registry refusing it). A holding the new token refuses stays whole on the
/// old token (burn and mint are one call: both or neither) and `migrate` reports it
/// (`MigrationRefused`) and goes on with the batch; it moves once the holder is eligible again.
/// Nothing is ever lost: the old token's agents keep every path the rules allow on what is left
/// there (a seizure, a recovery). Calling again for a migrated holder moves nothing.
///
/// Warning: not checked here. That the new token is the fix the issuer announced (its code, its
/// engine's rules, its registry: the same identity registry, so that holders are verified there);
/// that nobody else mints on the new token during the migration; that contracts holding the token
/// (a portfolio vault, a lending pool, an AMM pool, a venue) can account for the new one: a
/// contract whose code names the old token keeps counting that address, so the issuer moves such a
/// holder only together with that contract's own fix (its upgrade or its repointing) and leaves it
/// out of `migrate`'s batches until then. A holder that is a contract can call `migrateSelf` only
/// if its code does. Income and coupon classes (IncomeShareToken, BondShareToken) settle accruals
/// on a burn (their balance hooks): they are migrated with their servicer's and vault's fix, which
/// this contract does not do. The new engine judges each mint as a first acquisition (helper-112):
/// a share-of-supply cap refuses the first holder of an empty token (set it once every holding
/// moved, the new token paused until then: the holdings are those the old token's rules allowed);
/// an acquisition lock-up starts again at the move; a per-identity minimum is judged wallet by
/// wallet (an identity whose wallets each hold less waits on the issuer). A holder whose wallet the
/// old token's FREEZE agent is about to freeze can move first with `migrateSelf`: the freeze then
/// belongs on the new token (the identity registry's sanctions freeze reaches both).
interface ITokenMigrator {
    /// @notice The old token is not paused: its balances could still move during the migration.
    error OldTokenNotPaused(address oldToken);
    /// @notice The constructor's tokens: the same address, or different decimals (a balance would
    /// not mean the same amount on both).
    error TokensMismatch(address oldToken, address newToken, uint8 oldDecimals, uint8 newDecimals);
    /// @notice `migrate` was given more holders than `MAX_HOLDERS`.
    error TooManyHolders(uint256 count, uint256 maxHolders);
    /// @notice `migrateOne` called by someone else than this contract (it is `migrate`'s step, run
    /// as an external call only so that one holder's refusal is caught).
    error OnlySelf(address caller);
    /// @notice `migrateSelf` by a wallet with nothing on the old token.
    error NothingToMigrate(address holder);

    /// @notice `holder`'s `amount` moved from the old token to the new one, with `frozenTokens` of
    /// it partially frozen and the wallet frozen when `walletFrozen`, as they were.
    event Migrated(address indexed holder, uint256 amount, uint256 frozenTokens, bool walletFrozen);
    /// @notice `holder`'s `amount` was left whole on the old token: the new token refused it
    /// (`reason`: the revert data of the refusal, e.g. `TransferNotCompliant`).
    event MigrationRefused(address indexed holder, uint256 amount, bytes reason);

    /// @notice Holders one `migrate` call takes at most.
    function MAX_HOLDERS() external view returns (uint256);
    /// @notice The token whose holdings move.
    function OLD_TOKEN() external view returns (ISecurityToken);
    /// @notice The token they move to.
    function NEW_TOKEN() external view returns (ISecurityToken);

    /// @notice Moves each listed holder's whole holding (OPERATOR). A holder with nothing on the old
    /// token is skipped; one the new token refuses is reported and left whole.
    /// @return moved The holders moved by this call.
    /// @return refused The holders the new token refused.
    function migrate(address[] calldata holders) external returns (uint256 moved, uint256 refused);

    /// @notice Moves the caller's own whole holding; reverts with the new token's refusal if it
    /// refuses it.
    function migrateSelf() external returns (uint256 amount);

    /// @notice One holder's move, `migrate`'s step: callable only by this contract.
    function migrateOne(address holder) external returns (uint256 amount);

    /// @notice What is left to move: the old token's supply (zero when every holding moved).
    function remaining() external view returns (uint256);
}
