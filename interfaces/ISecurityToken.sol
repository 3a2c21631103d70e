// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC3643Token} from "./erc3643/IERC3643Token.sol";

/// @notice Which kind of balance change a SecurityToken is about to make (its extension hook's
/// argument; share classes that keep per-holder accruals treat some kinds differently).
enum BalanceChange {
    /// `transfer`, `transferFrom`, `batchTransfer`: the holder's own, rule-checked.
    Transfer,
    /// An agent's `mint` (from address(0)).
    Mint,
    /// An agent's `burn` (to address(0)).
    Burn,
    /// An agent's `forcedTransfer`.
    ForcedTransfer,
    /// An agent's `recoveryAddress` (between two wallets of one identity).
    Recovery
}

/// @title ISecurityToken
/// @notice A permissioned security token: ERC-20 plus the complete ERC-3643 (T-REX 4.x) `IToken`
/// surface, plus ERC-1404 explanations (`detectTransferRestriction` /
/// `messageForTransferRestriction`) that agree with what `transfer` does.
/// @dev Roles. Owner functions (`setName`, `setSymbol`, `setOnchainID`, `setIdentityRegistry`,
/// `setCompliance`, agent management) are `restricted` by the protocol's AccessManager (GOVERNOR).
/// Agents hold capability flags, each of which can be withheld: MINT, BURN, FREEZE, UNFREEZE,
/// FORCE_TRANSFER, RECOVERY, PAUSE, UNPAUSE. The sanctions keeper is an agent with FREEZE only.
///
/// Transfers (`transfer`, `transferFrom`, `batchTransfer`) require: not paused, neither wallet
/// frozen, amount within the sender's unfrozen balance, and the compliance engine's rules (both
/// parties verified, jurisdictions, caps, limits). Every refusal reverts with
/// `TransferNotCompliant(from, to, amount, reasonCode)`, the code `detectTransferRestriction`
/// returns for the same state.
/// Mint requires the engine's mint rules (recipient verified, jurisdiction, caps, limits).
/// Forced transfers and burns bypass the rules but never credit an unverified recipient; they
/// unfreeze partially frozen tokens as needed (ERC-3643 behaviour). A forced transfer moves tokens
/// between identities only (the engine's `ForcedTransferWithinIdentity`, SEC-66): within one, it
/// would move nothing but the freeze, which only UNFREEZE lifts; a recovery moves a holding between
/// one identity's wallets and keeps its freeze.
/// Recovery moves a lost wallet's balance and frozen state to a new wallet of the same identity
/// (the OPERATOR registers the new wallet first) and freezes the lost wallet.
///
/// Freezes (SEC-68), one rule for every security of the protocol. A wallet is frozen on a token by
/// the token's own freeze (`setAddressFrozen`, a FREEZE agent of that token; `freezePartialTokens`
/// freezes an amount) or by a sanctions freeze in the identity registry (`IIdentityRegistry.freeze`:
/// every security, every wallet of the identity). A frozen wallet is credited by nothing — no
/// transfer, mint (a fund's share claim included) or forced transfer reaches it (RECIPIENT_FROZEN,
/// code 3) — and sends nothing of its own (SENDER_FROZEN, code 2); its holding leaves only by an
/// agent's burn, a forced transfer to another identity (a seizure, unfreezing what it takes) or a
/// recovery to a wallet of its own identity (which carries the freeze; a recovery onto a frozen
/// wallet of the identity is allowed: the holding becomes frozen, stricter). Frozen tokens (a partial
/// freeze) follow the same rule for their amount. Securities without token agents — the
/// PortfolioVault's and LendingPool's shares (`ShareCompliance`) — have no token freeze: the
/// sanctions freeze is their freeze, under the same rule (the share engine refuses a frozen
/// recipient or sender, the vault a frozen redeemer, caller or payee). Not a credit: income
/// (IIncomeShareToken) accrues to the holding a frozen wallet already has and stays frozen with it.
/// Cash owed to a frozen wallet waits: a FundVault's claims and refunds (SEC-123) and a
/// BondServicer's coupons and redemption (SEC-125) are not paid to it, nor by a frozen controller
/// to another receiver, until the freeze is lifted.
///
/// Registry (SEC-65): `setIdentityRegistry` hands the new registry to the compliance engine, which
/// judges every later transfer and mint with it (and `setCompliance` hands a new engine the
/// token's), so the token and its engine never read two registries. Migrate to a registry that
/// registers the holders under the identities the engine's ledger keeps, and list the token with
/// it (`IIdentityRegistry.setSecurity`, SEC-9): neither is checked here.
/// Deployment: the token may be deployed with no compliance engine (the engine is built for one
/// token and needs its address); everything but views then reverts `ComplianceNotSet` until
/// `setCompliance`, which also binds the engine.
/// Warning: supply and balances are limited to 2^96 - 1 base units (the engine's ledger width).
interface ISecurityToken is IERC3643Token {
    error TransferNotCompliant(address from, address to, uint256 amount, uint8 reasonCode);
    error MissingCapability(address agent, uint8 capability);
    error ERC20InvalidSender(address sender);
    error ERC20InvalidReceiver(address receiver);
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error ERC20InvalidApprover(address approver);
    error ERC20InvalidSpender(address spender);
    error InsufficientBalance(address wallet, uint256 balance, uint256 needed);
    error FrozenAmountExceedsBalance(address wallet, uint256 balance, uint256 frozenAfter);
    error UnfreezeExceedsFrozen(address wallet, uint256 frozen, uint256 amount);
    error RecoveryIdentityMismatch(address lostWallet, address newWallet, address investorOnchainID);
    error NothingToRecover(address lostWallet);
    /// @notice `recoveryAddress` from a wallet to itself (it would wipe the balance it moves).
    error RecoveryToSameWallet(address wallet);
    error LengthMismatch(uint256 expected, uint256 actual);
    error BatchTooLarge(uint256 size, uint256 maxSize);
    error SupplyCapExceeded(uint256 supplyAfter, uint256 maxSupply);
    error ZeroAddress();
    /// @notice The token was deployed without a compliance engine and `setCompliance` has not run.
    error ComplianceNotSet();

    event AgentCapabilitiesSet(address indexed agent, uint8 previous, uint8 next);
    event AgentAdded(address indexed agent);
    event AgentRemoved(address indexed agent);
    /// @notice Audit trail of a forced transfer (in addition to `Transfer`).
    event ForcedTransfer(address indexed agent, address indexed from, address indexed to, uint256 amount);

    // ------------------------------------------------------------ agents (owner = GOVERNOR)
    /// @notice T-REX `AgentRole.addAgent`: grants every capability.
    function addAgent(address agent) external;
    function removeAgent(address agent) external;
    /// @notice Sets exactly the capability flags of `agent` (0 removes it).
    function setAgentCapabilities(address agent, uint8 capabilities) external;
    function isAgent(address agent) external view returns (bool);
    function agentCapabilities(address agent) external view returns (uint8);

    // ------------------------------------------------------------ ERC-1404
    /// @notice 0 when `transfer(from -> to, amount)` would succeed now, else the reason code.
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);
    function messageForTransferRestriction(uint8 reasonCode) external view returns (string memory);
}
