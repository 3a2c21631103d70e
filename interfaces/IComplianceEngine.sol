// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC3643ModularCompliance} from "./erc3643/IERC3643Compliance.sol";
import {InvestorClass} from "./IIdentityRegistry.sol";

/// @notice Rules of one jurisdiction (ISO 3166-1 numeric country). Unset jurisdictions are blocked.
struct JurisdictionConfig {
    /// Investors of this jurisdiction may hold and receive the token.
    bool allowed;
    /// Minimum class a recipient of this jurisdiction must have.
    InvestorClass minInvestorClass;
    /// Most identities of this jurisdiction that may hold at once (0: no cap).
    uint32 holderCap;
    /// Most Retail (non-accredited) identities of this jurisdiction that may hold at once (0: no cap).
    uint32 nonAccreditedCap;
    /// Reg-S-style flowback window: transfers into this jurisdiction from another one are refused
    /// until this time (0: open). Issuance (mint) is not a transfer and is not affected.
    uint40 inboundClosedUntil;
}

/// @notice Token-wide limits. Amounts are in token base units and apply per identity.
struct Limits {
    /// Most an identity may hold (0: no limit).
    uint96 maxBalance;
    /// Least a holding may be, unless it is zero (0: no minimum).
    uint96 minHolding;
    /// Most an identity may hold as a share of total supply, in bps (0: no limit).
    uint16 maxBalanceBps;
    /// Seconds after an identity's acquisition time (`IdentityLedger.lastAcquiredAt`) during which it
    /// cannot send (0: none). NOT per lot: the acquisition time is the amount-weighted mean over
    /// the identity's receipts, so a receipt restarts the lock-up in proportion to its size (a
    /// first receipt fully; a zero or dust receipt, as another holder could send, not measurably).
    uint32 lockupAfterAcquisition;
    /// Most an identity may send per window of 1 day (0: no limit).
    uint88 dailyLimit;
    /// Most an identity may send per window of 30 days (0: no limit).
    uint88 monthlyLimit;
    /// No transfer (mint, burn and forced transfers excepted) before this time: lock-up after issuance.
    uint40 transfersOpenAt;
    /// Most identities holding at once, across jurisdictions (0: no cap).
    uint32 totalHolderCap;
    /// Most Retail identities holding at once, across jurisdictions (0: no cap).
    uint32 totalNonAccreditedCap;
}

/// @notice Least subscription of an investor of one jurisdiction, in the instrument's currency
/// with 18 decimals (SEC-126: $1,000 is 1000e18, whatever the asset of the vault subscribed in;
/// each FundVault values its asset at par, which it takes only on its peg, SEC-120). 0: no minimum.
struct InvestmentMinimums {
    /// The initial subscription: the investor's subscriptions in the fund vault must reach it
    /// (SEC-132: counted on what it subscribed there, not on what it holds).
    uint128 minInitial;
    /// Every later one, each.
    uint128 minSubsequent;
}

/// @notice What the engine keeps per identity.
struct IdentityLedger {
    uint96 balance;
    /// Amount-weighted acquisition time of the holding: on receiving `v` onto `b`, it becomes
    /// `t + (now - t) * v / (b + v)`, rounded down (now when `b` is zero).
    uint40 lastAcquiredAt;
    uint16 countedCountry;
    bool countedNonAccredited;
    /// What the daily (monthly) limit counts against the identity's next send now: its sends of
    /// the current UTC day (30-day block), exactly, plus those of the previous one, rounded up once
    /// (exact up to 5 significant digits, else over by less than 1 part in 26,000 of that bucket,
    /// however many sends it holds).
    uint256 dailyWindowSent;
    uint256 monthlyWindowSent;
    /// An escrow (`setEscrow`, SEC-122): no seat, no holding rule, no time rule on its sends.
    bool escrow;
}

/// @title IComplianceEngine
/// @notice The rule table every transfer of one security token must pass, keyed on investor
/// identities (not wallets): jurisdiction allow/block lists, a from-country -> to-country matrix,
/// minimum investor class per jurisdiction, holder caps per jurisdiction and in total (all holders
/// and non-accredited ones), maximum balance per identity (absolute and % of supply), minimum
/// holding, lock-up after issuance and after acquisition, daily and monthly transfer limits, and a
/// Reg-S-style flowback window. Rules change without redeploying; every change emits previous and
/// new values. ERC-3643 modules (`IModule`) can be bound alongside (at most 25, T-REX's bound).
/// @dev The engine serves exactly one token, fixed at construction (`boundToken`); `bindToken`
/// records the ERC-3643 binding once and `unbindToken` reverts (`TokenBindingImmutable`).
/// Also the ERC-3643 `IModularCompliance`: `canTransfer` is the view check, and
/// `transferred`/`created`/`destroyed` are record-only hooks (as in T-REX); Quantera's token uses
/// `checkAndRecordTransfer` / `checkAndRecordMint`, which check and record in one call.
/// `detectTransferRestriction` returns the same code the recording path would revert with.
/// Governance (the rule setters, `setEscrow`, `addModule`, `removeModule`, `callModuleFunction`)
/// and `bindToken`'s binding run in the engine's admin module (ComplianceAdmin, one deployment per
/// build, passed to the engine's constructor) by DELEGATECALL, at the engine's address and on its
/// storage: the same selectors, roles (checked by the module, in the engine's context; the
/// engine's stubs check nothing but `bindToken`'s token), events and errors. No transfer, hook or
/// view runs there.
///
/// Windows: the daily and monthly limits hold over every rolling 24 h and 30-day span (T-REX's
/// TimeTransfersLimitsModule uses fixed windows and lets up to twice its limit through around a
/// window boundary). Each window is kept as two buckets per identity, the current and the previous
/// UTC day (30-day block counted from 1970-01-01), and a send must fit the limit together with both;
/// so a send keeps counting for 24-48 h (30-60 days), never less than the window: conservative,
/// never lenient. The current bucket is an exact sum (a 1-wei send consumes 1 wei of the limit, and
/// a limit can be used to the last wei); when a bucket becomes the previous one it is rounded up
/// once, to 5 significant digits (over by less than 1 part in 26,000 of that bucket, whatever
/// the number of sends in it; round amounts stay exact), never understated (SEC-71). Buckets are
/// dated by a 32-bit UTC day: exact for every 40-bit timestamp (SEC-70). Sends are recorded only
/// while a daily or monthly limit is set, in a word of their own per identity (one more slot read
/// and written per send then). Limits are stored exactly: `setLimits` reverts with
/// `AmountNotRepresentable` for more than 9-10 significant digits.
/// Holder seats (SEC-67): an identity becomes a holder (a seat under the holder caps) only by
/// receiving at least its jurisdiction's minimum first holding (`setMinFirstHolding`; 0: none),
/// by transfer or mint (BELOW_MIN_HOLDING otherwise), so no one fills a cap with 1-wei sends; the
/// rule does not bind a holder's later receipts or sales (`Limits.minHolding` binds every holding).
/// Registry (SEC-65): the engine judges with its token's identity registry: the token hands it a
/// new one on `setIdentityRegistry` (and on `setCompliance`), and nobody else can.
/// Warning: not checked that a new registry maps each holding wallet to the identity the ledger
/// keeps it under: a wallet whose identity changes sends from (and is counted for) its new
/// identity's holding. Migrate to a registry that registers the holders as the old one did.
/// Warning: transfers between two wallets of the same identity change no holding and pass every
/// identity rule (verification and freezes still apply at the token).
/// Warning: holder counts use the country and class an identity had when it became a holder; an
/// identity that moves country keeps counting in its old jurisdiction until it stops holding.
interface IComplianceEngine is IERC3643ModularCompliance {
    error TransferNotCompliant(address from, address to, uint256 amount, uint8 reasonCode);
    error OnlyBoundToken(address caller, address boundToken);
    error TokenAlreadyBound(address boundToken);
    error TokenBindingImmutable();
    error TooManyModules(uint256 maxModules);
    error ModuleAlreadyBound(address module);
    error ModuleNotBound(address module);
    error ModuleCannotBind(address module);
    error InvalidCountry(uint16 country);
    /// @notice `setJurisdictions` given `countries` countries and `configs` configurations (equal,
    /// and at most `max`, are required).
    error JurisdictionBatchInvalid(uint256 countries, uint256 configs, uint256 max);
    /// @notice `setLimits`: maxBalanceBps above 10,000, or (maxBalance set) minHolding above it.
    error InvalidLimits(uint256 maxBalanceBps, uint256 minHolding, uint256 maxBalance);
    error AmountTooLarge(uint256 amount, uint256 max);
    /// @notice A forced transfer between two wallets of one identity (the same wallet included): it
    /// would move nothing but the freeze; a recovery moves a holding within an identity.
    error ForcedTransferWithinIdentity(address from, address to);
    /// @notice `setEscrow` on a wallet the registry knows no identity of.
    error EscrowNotRegistered(address wallet);
    error ZeroAddress();
    /// @notice `setLimits` or `setMinFirstHolding` with an amount the packed rules cannot hold
    /// exactly (more than 9-10 significant digits). `PackedAmount`'s error, reverted by the admin
    /// module's code (ComplianceAdmin): declared here so that the engine's ABI names it too.
    error AmountNotRepresentable(uint256 amount);

    event JurisdictionSet(uint16 indexed country, JurisdictionConfig previous, JurisdictionConfig next);
    event RouteSet(uint16 indexed fromCountry, uint16 indexed toCountry, bool previousBlocked, bool blocked);
    event LimitsSet(Limits previous, Limits next);
    event InvestmentMinimumsSet(uint16 indexed country, InvestmentMinimums previous, InvestmentMinimums next);
    event MinFirstHoldingSet(uint16 indexed country, uint256 previous, uint256 next);
    /// @notice The registry the engine judges with changed (its token migrated registries).
    event IdentityRegistrySet(address previous, address next);
    /// @notice `wallet`'s identity is (`next`) or is no longer an escrow (SEC-122).
    event EscrowSet(address indexed wallet, address indexed identity, bool previous, bool next);

    // ------------------------------------------------------------ governance (GOVERNOR role)
    function setJurisdiction(uint16 country, JurisdictionConfig calldata config) external;
    /// @notice Sets up to 100 jurisdictions at once (`JurisdictionBatchInvalid` on more or on a length mismatch).
    function setJurisdictions(uint16[] calldata countries, JurisdictionConfig[] calldata configs) external;
    function setRoute(uint16 fromCountry, uint16 toCountry, bool blocked) external;
    function setLimits(Limits calldata limits) external;
    /// @notice Sets the minimum initial and subsequent subscription of `country`'s investors, which
    /// the token's fund vaults enforce on deposit requests (IFundVault). Not a transfer rule: the
    /// engine itself never checks it.
    function setInvestmentMinimums(uint16 country, InvestmentMinimums calldata minimums) external;
    /// @notice Sets the least amount of the token an identity of `country` that holds none must
    /// receive to become a holder (0: none), by transfer or mint; refused below it with
    /// BELOW_MIN_HOLDING. Stored exactly (`AmountNotRepresentable` beyond 9-10 significant
    /// digits). Not checked against `Limits.maxBalance` (a minimum above it admits no new holder).
    /// Warning: mints are bound too (a vault deposit can name any verified receiver): a fund's
    /// share claim or fee mint below the minimum to an identity that holds none waits until it is
    /// lowered; keep the funds' subscription minimums (`setInvestmentMinimums`) above it.
    function setMinFirstHolding(uint16 country, uint256 amount) external;
    /// @notice Makes `wallet`'s identity an escrow (or no longer one): a fund vault that holds
    /// investors' shares for their pending redemptions (keepers/lifecycle/fund_deploy.py sets it
    /// for every FundVault), an omnibus or a settlement account that holds for others (SEC-122).
    /// An escrow holds no seat (it never counts under the holder caps: counted out when made one
    /// while holding, back in when it stops) and no holding rule binds it as recipient or sender
    /// (`maxBalance`, `maxBalanceBps`, `minHolding`, the minimum first holding); the time rules do
    /// not bind its sends (flowback window, issuance and acquisition lock-ups, daily and monthly
    /// limits: a return from escrow is not a trade). Verification, freezes, jurisdictions, routes,
    /// investor classes and modules bind it like any identity, and every party sending into or
    /// receiving from it meets its own rules (the owner's send into the escrow is checked whole).
    /// Reverts `EscrowNotRegistered` for a wallet the registry does not know. GOVERNOR.
    /// @dev Per identity (the ledger's unit): register an escrow under an identity of its own.
    /// Warning: the caps no longer see what an escrow holds: a vault's escrow may exceed any
    /// identity's share of the supply (its depositors' shares, until their redemption burns them).
    function setEscrow(address wallet, bool escrow) external;

    // ------------------------------------------------------------ bound token only
    /// @notice Checks a transfer and records it; reverts `TransferNotCompliant` with the reason.
    function checkAndRecordTransfer(address from, address to, uint256 amount) external;
    /// @notice Checks a mint and records it; reverts `TransferNotCompliant(address(0), to, ...)`.
    function checkAndRecordMint(address to, uint256 amount) external;
    /// @notice An agent's forced transfer: checks only that `to` is verified
    /// (`TransferNotCompliant` RECIPIENT_NOT_VERIFIED, or RECIPIENT_FROZEN under a sanctions freeze)
    /// and of another identity than `from` (`ForcedTransferWithinIdentity`, SEC-66), then records
    /// it without the rules (ERC-3643: forced transfers bypass them).
    function checkAndRecordForcedTransfer(address from, address to, uint256 amount) external;
    /// @notice The token's identity registry is now `identityRegistry_`: the engine judges with it
    /// from now on (`IdentityRegistrySet`). Called by the token's `setIdentityRegistry` and
    /// `setCompliance`; the identity ledger is kept as it is.
    function setIdentityRegistry(address identityRegistry_) external;

    // ------------------------------------------------------------ views
    /// @notice ERC-1404: 0 when the engine's rules allow the transfer, else the reason code.
    /// `from == address(0)` checks a mint. The code's human message is the token's
    /// (`ISecurityToken.messageForTransferRestriction`, the ERC-1404 surface wallets read): the
    /// engine does not repeat the table.
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);
    function jurisdiction(uint16 country)
        external
        view
        returns (JurisdictionConfig memory config, uint32 holderCount, uint32 nonAccreditedCount);
    function routeBlocked(uint16 fromCountry, uint16 toCountry) external view returns (bool);
    function minFirstHolding(uint16 country) external view returns (uint256);
    function limits() external view returns (Limits memory);
    function ledgerOf(address identity) external view returns (IdentityLedger memory);
    function holderCounts() external view returns (uint32 totalHolders, uint32 totalNonAccredited, uint96 supply);
    /// @notice The registry the engine judges with: its token's.
    function identityRegistry() external view returns (address);
    function investmentMinimums(uint16 country) external view returns (InvestmentMinimums memory);
    /// @notice What a fund vault checks on a subscription by `wallet`, in one call: its
    /// jurisdiction's minimums (in the instrument's currency, 18 decimals: SEC-126) and whether it
    /// is verified now. Which minimum applies is the vault's: the initial one until the wallet's
    /// subscriptions there reach it (SEC-132: not what its identity holds, which 1 wei would
    /// change).
    /// @dev Warning: an unregistered wallet reads the (unset) minimums of country 0 and
    /// `verified == false`; callers refuse it on `verified`.
    function subscriptionTerms(address wallet)
        external
        view
        returns (uint256 minInitial, uint256 minSubsequent, bool verified);
}
