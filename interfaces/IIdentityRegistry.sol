// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC3643IdentityRegistry} from "./erc3643/IERC3643IdentityRegistry.sol";
import {InvestorWord} from "../contracts/types/InvestorWord.sol";

/// @notice Investor classes, ordered from least to most sophisticated (a rule "at least X" compares
/// with >=). `None` is never a valid class for a registered investor.
enum InvestorClass {
    None,
    Retail,
    Accredited,
    Qualified,
    Institutional
}

/// @notice What the compliance engine needs to know about one wallet, in one read.
struct Investor {
    address identity;
    uint16 country;
    InvestorClass investorClass;
    bool verified;
    bool frozen;
}

/// @notice The profile of one investor identity (an ONCHAINID contract address).
struct InvestorProfile {
    uint16 country;
    InvestorClass investorClass;
    uint40 kycExpiry;
    uint40 claimsValidUntil;
    uint32 claimsEpoch;
    uint8 walletCount;
    bool frozen;
}

/// @title IIdentityRegistry
/// @notice Who may hold Quantera security tokens: wallet -> investor identity (an ONCHAINID
/// address), with the identity's ISO-3166 numeric country, investor class and KYC expiry. Several
/// wallets may belong to one identity; every compliance limit is keyed on the identity.
/// @dev Also the ERC-3643 `IIdentityRegistry`: it is its own identity storage, claim-topics
/// registry and trusted-issuers registry (the three getters return this contract and the three
/// setters revert with `ExternalRegistryUnsupported`).
///
/// A wallet is verified when it is registered, its identity's KYC has not expired, and — when
/// claim topics are required — a cached claim verification of its identity is current (not
/// expired, and made under the current set of topics and issuers: any change to them invalidates
/// every cache at once through `claimsEpoch`).
///
/// Claims (ERC-735 on ONCHAINID): for each required topic, some trusted issuer for that topic must
/// have a claim on the identity under `keccak256(abi.encode(issuer, topic))` that
/// (1) reports that same issuer and topic, (2) the trusted issuer itself (never the issuer the
/// identity reports) declares valid with `isClaimValid`, and (3) whose data is
/// `abi.encode(uint256 chainId, address registry, uint64 validUntil)` naming this chain and this
/// registry with `validUntil` in the future, and (4) whose signature is canonical (65 bytes, v 27
/// or 28, s in the lower half order). (2) avoids the ERC-3643 #101 bug, where an identity could
/// name its own issuer; (3) stops a claim signed for one chain or registry being replayed on
/// another (the signature covers the data); (4) keeps a revocation final: ONCHAINID's ClaimIssuer
/// revokes by signature bytes while its ecrecover accepts other encodings of the same signature.
///
/// Sanctions freeze (protocol-wide, identity-wide): `freeze(wallet)` freezes the wallet and, when it
/// is registered, its whole identity — every wallet of it, present and future. A frozen wallet is
/// not verified (`isVerified` is false, `investorWords` carries the frozen bit), so every contract
/// that asks this registry refuses it: each SecurityToken's compliance engine (as sender:
/// SENDER_FROZEN; as recipient: RECIPIENT_FROZEN), the PortfolioVault's shares (transfers, deposits,
/// redemptions), the liquidity aggregator (payer and recipient). An unregistered wallet frozen
/// here freezes the identity it is later registered to; a wallet removed from a frozen identity
/// stays frozen. Only `unfreeze` (OPERATOR, a person's decision) lifts a freeze, for the whole
/// identity. The per-token freeze of ERC-3643 (`SecurityToken.setAddressFrozen`) stays for
/// token-specific measures.
///
/// Moving a wallet between identities (`updateIdentity`) or removing it (`deleteIdentity`) is
/// refused while it holds any listed security (`setSecurity`: each SecurityToken and the vault's
/// shares): each security's compliance engine keeps its ledger per identity, and a wallet that
/// changed identity with a balance would leave that balance recorded under the old identity
/// (phantom holder, counts and caps wrong) and make the wallet's next send revert. An agent first
/// moves the balance (`recoveryAddress` to a wallet of the same identity, or `forcedTransfer`).
/// NOT checked: securities that are not listed here (bounded: MAX_SECURITIES).
/// Dust (SEC-67): a holder could block an off-boarding by sending 1 wei to the emptied wallet;
/// where the security's engine sets a minimum first holding (`IComplianceEngine.setMinFirstHolding`)
/// a wallet of an identity that holds none receives no dust. A wallet whose identity still holds
/// through another wallet can receive dust (it is a holder's receipt): an agent moves it first.
///
/// Warning: the registry does not check that an identity address is an ONCHAINID contract when
/// claims are not required: the OPERATOR's KYC is then the source of truth.
/// Warning: a claim revoked at its issuer stays usable until the cached verification expires
/// (`claimCacheTtl`), unless topics or issuers change or `verifyClaims` is called again.
interface IIdentityRegistry is IERC3643IdentityRegistry {
    // ---------------------------------------------------------------- errors
    error ZeroAddress();
    error InvalidCountry(uint16 country);
    error InvalidInvestorClass(InvestorClass investorClass);
    error WalletNotRegistered(address wallet);
    error WalletAlreadyRegistered(address wallet, address identity);
    error CountryMismatch(address identity, uint16 profileCountry, uint16 givenCountry);
    error TooManyWallets(address identity, uint256 maxWallets);
    error TooManyClaimTopics(uint256 maxTopics);
    error TooManyTrustedIssuers(uint256 maxIssuers);
    error ClaimTopicAlreadyRequired(uint256 topic);
    error ClaimTopicNotRequired(uint256 topic);
    error UnknownIdentity(address identity);
    error ClaimNotVerified(address identity, uint256 topic);
    error LengthMismatch(uint256 expected, uint256 actual);
    error ExternalRegistryUnsupported();
    error ClaimCacheTtlTooLong(uint32 ttl, uint32 maxTtl);
    error ClaimsEpochExhausted(uint32 epoch);
    error AlreadyFrozen(address wallet);
    error NotFrozen(address wallet);
    /// @notice `wallet` holds `balance` of the listed `security`: move it before changing its identity.
    error WalletHoldsSecurity(address wallet, address security, uint256 balance);
    error TooManySecurities(uint256 maxSecurities);
    /// @notice `setSecurity` would change nothing: `security` is already (un)listed.
    error SecurityListingUnchanged(address security, bool listed);

    // ---------------------------------------------------------------- events
    /// @notice Full before/after of an identity's profile on every change (audit trail).
    event InvestorProfileSet(address indexed identity, InvestorProfile previous, InvestorProfile next);
    event ClaimsVerified(address indexed identity, uint40 validUntil, uint32 claimsEpoch);
    event ClaimTopicAdded(uint256 indexed topic);
    event ClaimTopicRemoved(uint256 indexed topic);
    event TrustedIssuerSet(address indexed issuer, uint256[] previousTopics, uint256[] topics);
    event ClaimCacheTtlSet(uint32 previous, uint32 next);
    /// @notice A sanctions freeze set or lifted: `identity` is the wallet's identity (zero for an
    /// unregistered wallet), whose every wallet the freeze covers.
    event WalletFrozen(address indexed wallet, address indexed identity, bool frozen, address indexed by);
    /// @notice A security listed (or delisted) as one whose holders' identities cannot change.
    event SecurityListed(address indexed security, bool listed);

    // ---------------------------------------------------------------- operator (OPERATOR role)
    /// @notice Registers `wallet` for `identity` with a full investor profile (KYC result). A new
    /// identity gets the profile; an existing one must have the same country and gets the class
    /// and expiry given (the latest KYC wins).
    function registerInvestor(
        address wallet,
        address identity,
        uint16 country,
        InvestorClass investorClass,
        uint40 kycExpiry
    ) external;

    /// @notice Replaces an identity's country, class and KYC expiry, on every wallet of it.
    function setInvestorProfile(address identity, uint16 country, InvestorClass investorClass, uint40 kycExpiry)
        external;

    /// @notice Lifts the sanctions freeze of `wallet` and of its identity (every wallet of it).
    /// Reverts `NotFrozen(wallet)` when neither is frozen.
    function unfreeze(address wallet) external;

    // ---------------------------------------------------------------- compliance keeper (COMPLIANCE_KEEPER role)
    /// @notice Sanctions freeze of `wallet` and, when it is registered, of its identity: every
    /// wallet of that identity stops being verified at once, for every token and contract that
    /// reads this registry. Reverts `AlreadyFrozen(wallet)` when it is (a keeper retrying after a
    /// crash reads `isFrozen` first). Bounded: at most MAX_WALLETS_PER_IDENTITY records written.
    function freeze(address wallet) external;

    // ---------------------------------------------------------------- governance (GOVERNOR role)
    function addClaimTopic(uint256 topic) external;
    function removeClaimTopic(uint256 topic) external;
    /// @notice Trusts `issuer` for `topics` (replacing its previous topics); empty `topics` removes it.
    function setTrustedIssuer(address issuer, uint256[] calldata topics) external;
    /// @notice How long a successful `verifyClaims` stays valid (bounded by each claim's own expiry).
    function setClaimCacheTtl(uint32 ttl) external;
    /// @notice Lists (or delists) a security whose per-identity ledger depends on this registry:
    /// `updateIdentity` and `deleteIdentity` refuse a wallet holding any listed security
    /// (`WalletHoldsSecurity`). At most MAX_SECURITIES; reverts `SecurityListingUnchanged` on a no-op.
    /// NOT checked: that `security` is an ERC-20 whose `balanceOf` cannot revert (a GOVERNOR choice).
    function setSecurity(address security, bool listed) external;

    // ---------------------------------------------------------------- anyone
    /// @notice Checks the identity's claims for every required topic and caches the result until
    /// the earliest of `now + claimCacheTtl` and the claims' own expiries. Reverts with
    /// `ClaimNotVerified(identity, topic)` on the first topic with no valid claim.
    /// @return validUntil When the cached verification expires.
    function verifyClaims(address identity) external returns (uint40 validUntil);

    // ---------------------------------------------------------------- views
    /// @notice Both parties of a transfer in one call (used by the compliance engine).
    function investorPair(address from, address to) external view returns (Investor memory, Investor memory);
    /// @notice `investorPair` packed as two words (`InvestorWord`, its table in
    /// contracts/types/InvestorWord.sol), for the compliance engine's hot path.
    /// @dev The frozen bit is the identity's freeze; an unregistered frozen wallet reads as simply
    /// unverified here (see `isFrozen`). ABI: two `uint256`s (a value type encodes as its word).
    function investorWords(address from, address to) external view returns (InvestorWord, InvestorWord);
    function investorOf(address wallet) external view returns (Investor memory);
    /// @notice Whether `wallet` is under a sanctions freeze (its own, or its identity's).
    function isFrozen(address wallet) external view returns (bool);
    function profileOf(address identity) external view returns (InvestorProfile memory);
    function walletsOf(address identity) external view returns (address[] memory);
    /// @notice The listed securities (see `setSecurity`).
    function securities() external view returns (address[] memory);
    function claimTopics() external view returns (uint256[] memory);
    function trustedIssuers() external view returns (address[] memory);
    function trustedIssuerTopics(address issuer) external view returns (uint256[] memory);
    function claimsRequired() external view returns (bool);
    function claimsEpoch() external view returns (uint32);
    function claimCacheTtl() external view returns (uint32);
}
