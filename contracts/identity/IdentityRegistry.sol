// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {
    IIdentityRegistry,
    IERC3643IdentityRegistry,
    Investor,
    InvestorClass,
    InvestorProfile
} from "../../interfaces/IIdentityRegistry.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC735ClaimView, IClaimIssuerView} from "../../interfaces/onchainid/IClaimIssuerView.sol";
import {InvestorWord} from "../types/InvestorWord.sol";
import {WalletWord, WalletWordLibrary, ClaimsWord} from "../types/RegistryWords.sol";

/// @title IdentityRegistry
/// @notice Wallet -> investor identity, country, class and KYC expiry; ONCHAINID claim checks.
/// @dev Role mapping (set by the deploy script on the AccessManager): registration functions and
/// `unfreeze` -> OPERATOR; `freeze` -> COMPLIANCE_KEEPER; claim topics, trusted issuers, cache
/// TTL and the securities list -> GOVERNOR. The packed words (a wallet's record, the claim
/// settings) are value types of `RegistryWords`, read and written only through their accessors.
contract IdentityRegistry is IIdentityRegistry, AccessManaged {
    /// @notice Wallets one identity may have (bounds the profile propagation loop).
    uint256 public constant MAX_WALLETS_PER_IDENTITY = 16;
    /// @notice Required claim topics (T-REX bound).
    uint256 public constant MAX_CLAIM_TOPICS = 15;
    /// @notice Trusted issuers, in total and per topic (T-REX bound).
    uint256 public constant MAX_TRUSTED_ISSUERS = 50;
    /// @notice Entries in one batch call.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Longest claim verification cache.
    uint32 public constant MAX_CLAIM_CACHE_TTL = 30 days;
    /// @dev secp256k1's order / 2: the largest `s` of a canonical signature (EIP-2).
    uint256 internal constant SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// @notice Listed securities (bounds the holdings check of `updateIdentity` / `deleteIdentity`).
    uint256 public constant MAX_SECURITIES = 32;
    /// @notice ISO 3166-1 numeric codes are 1..999.
    uint16 internal constant MAX_COUNTRY = 999;

    /// @dev One slot per wallet: everything a transfer check needs about it (`WalletWord`). The
    /// epoch is kept in 24 bits (`_bumpClaimsEpoch` stops at 2^24 - 1: one per governance change).
    mapping(address wallet => WalletWord) private _wallets;
    mapping(address identity => InvestorProfile) private _profiles;
    mapping(address identity => address[]) private _identityWallets;
    /// @dev One slot of settings read on every verification (`ClaimsWord`).
    ClaimsWord private _claims;
    uint256[] private _claimTopics;
    address[] private _issuers;
    mapping(address issuer => uint256[]) private _issuerTopics;
    mapping(uint256 topic => address[]) private _issuersByTopic;
    /// @dev Sanctions freezes by wallet (registered or not); a registered wallet's identity carries
    /// its own flag (`InvestorProfile.frozen`), copied onto every wallet record.
    mapping(address wallet => bool) private _frozenWallets;
    /// @dev Securities whose engines keep per-identity ledgers off this registry (`setSecurity`).
    address[] private _securities;

    constructor(address authority, uint32 initialClaimCacheTtl) AccessManaged(authority) {
        _setClaimCacheTtl(initialClaimCacheTtl);
    }

    // ================================================================ operator

    /// @inheritdoc IIdentityRegistry
    function registerInvestor(
        address wallet,
        address identity_,
        uint16 country,
        InvestorClass investorClass,
        uint40 kycExpiry
    ) external restricted {
        _register(wallet, identity_, country, investorClass, kycExpiry);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    /// @dev A new identity gets class Retail and no KYC expiry: the OPERATOR's registration (or the
    /// claims, when topics are required) is the verification.
    function registerIdentity(address userAddress, address identity_, uint16 country) external restricted {
        _registerDefault(userAddress, identity_, country);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function batchRegisterIdentity(
        address[] calldata userAddresses,
        address[] calldata identities,
        uint16[] calldata countries
    ) external restricted {
        uint256 count = userAddresses.length;
        if (identities.length != count) revert LengthMismatch(count, identities.length);
        if (countries.length != count) revert LengthMismatch(count, countries.length);
        if (count > MAX_BATCH) revert LengthMismatch(MAX_BATCH, count);
        // Bounded: count <= MAX_BATCH.
        for (uint256 i; i < count; ++i) {
            _registerDefault(userAddresses[i], identities[i], countries[i]);
        }
    }

    /// @inheritdoc IIdentityRegistry
    function setInvestorProfile(address identity_, uint16 country, InvestorClass investorClass, uint40 kycExpiry)
        external
        restricted
    {
        InvestorProfile memory profile = _profiles[identity_];
        if (profile.walletCount == 0) revert UnknownIdentity(identity_);
        _writeProfile(identity_, country, investorClass, kycExpiry, profile.claimsValidUntil, profile.claimsEpoch);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function updateCountry(address userAddress, uint16 country) external restricted {
        address identity_ = _requireWallet(userAddress).identity();
        InvestorProfile memory p = _profiles[identity_];
        _writeProfile(identity_, country, p.investorClass, p.kycExpiry, p.claimsValidUntil, p.claimsEpoch);
        emit CountryUpdated(userAddress, country);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    /// @dev Moves the wallet to `identity_`, which keeps its own profile if it has one, or takes
    /// over the old identity's profile otherwise.
    function updateIdentity(address userAddress, address identity_) external restricted {
        if (identity_ == address(0)) revert ZeroAddress();
        address oldIdentity = _requireWallet(userAddress).identity();
        _requireNoHoldings(userAddress);
        InvestorProfile memory old = _profiles[oldIdentity];
        _removeWallet(userAddress, oldIdentity);
        InvestorProfile memory target = _profiles[identity_];
        if (target.walletCount == 0) {
            _register(userAddress, identity_, old.country, old.investorClass, old.kycExpiry);
        } else {
            _register(userAddress, identity_, target.country, target.investorClass, target.kycExpiry);
        }
        emit IdentityUpdated(oldIdentity, identity_);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function deleteIdentity(address userAddress) external restricted {
        address identity_ = _requireWallet(userAddress).identity();
        _requireNoHoldings(userAddress);
        _removeWallet(userAddress, identity_);
        emit IdentityRemoved(userAddress, identity_);
    }

    /// @inheritdoc IIdentityRegistry
    function unfreeze(address wallet) external restricted {
        address identity_ = _wallets[wallet].identity();
        bool identityFrozen = identity_ != address(0) && _profiles[identity_].frozen;
        if (!identityFrozen && !_frozenWallets[wallet]) revert NotFrozen(wallet);
        delete _frozenWallets[wallet];
        if (identityFrozen) {
            address[] storage wallets = _identityWallets[identity_];
            uint256 count = wallets.length;
            // Bounded: count <= MAX_WALLETS_PER_IDENTITY. The decision covers the whole identity.
            for (uint256 i; i < count; ++i) {
                delete _frozenWallets[wallets[i]];
            }
            _setIdentityFrozen(identity_, false);
        }
        emit WalletFrozen(wallet, identity_, false, msg.sender);
    }

    // ================================================================ compliance keeper

    /// @inheritdoc IIdentityRegistry
    function freeze(address wallet) external restricted {
        if (wallet == address(0)) revert ZeroAddress();
        address identity_ = _wallets[wallet].identity();
        bool identityFrozen = identity_ != address(0) && _profiles[identity_].frozen;
        if (identityFrozen || _frozenWallets[wallet]) revert AlreadyFrozen(wallet);
        _frozenWallets[wallet] = true;
        if (identity_ != address(0)) _setIdentityFrozen(identity_, true);
        emit WalletFrozen(wallet, identity_, true, msg.sender);
    }

    // ================================================================ governance

    /// @inheritdoc IIdentityRegistry
    function addClaimTopic(uint256 topic) external restricted {
        uint256 count = _claimTopics.length;
        if (count >= MAX_CLAIM_TOPICS) revert TooManyClaimTopics(MAX_CLAIM_TOPICS);
        // Bounded: count < MAX_CLAIM_TOPICS.
        for (uint256 i; i < count; ++i) {
            if (_claimTopics[i] == topic) revert ClaimTopicAlreadyRequired(topic);
        }
        _claimTopics.push(topic);
        _bumpClaimsEpoch();
        emit ClaimTopicAdded(topic);
    }

    /// @inheritdoc IIdentityRegistry
    function removeClaimTopic(uint256 topic) external restricted {
        uint256 count = _claimTopics.length;
        // Bounded: count <= MAX_CLAIM_TOPICS.
        for (uint256 i; i < count; ++i) {
            if (_claimTopics[i] == topic) {
                _claimTopics[i] = _claimTopics[count - 1];
                _claimTopics.pop();
                _bumpClaimsEpoch();
                emit ClaimTopicRemoved(topic);
                return;
            }
        }
        revert ClaimTopicNotRequired(topic);
    }

    /// @inheritdoc IIdentityRegistry
    function setTrustedIssuer(address issuer, uint256[] calldata topics) external restricted {
        if (issuer == address(0)) revert ZeroAddress();
        if (topics.length > MAX_CLAIM_TOPICS) revert TooManyClaimTopics(MAX_CLAIM_TOPICS);
        uint256[] memory previous = _issuerTopics[issuer];
        // Bounded: previous.length <= MAX_CLAIM_TOPICS.
        for (uint256 i; i < previous.length; ++i) {
            _removeAddress(_issuersByTopic[previous[i]], issuer);
        }
        if (previous.length == 0 && topics.length != 0) {
            if (_issuers.length >= MAX_TRUSTED_ISSUERS) revert TooManyTrustedIssuers(MAX_TRUSTED_ISSUERS);
            _issuers.push(issuer);
        } else if (previous.length != 0 && topics.length == 0) {
            _removeAddress(_issuers, issuer);
        }
        // Bounded: topics.length <= MAX_CLAIM_TOPICS.
        for (uint256 i; i < topics.length; ++i) {
            address[] storage forTopic = _issuersByTopic[topics[i]];
            if (forTopic.length >= MAX_TRUSTED_ISSUERS) revert TooManyTrustedIssuers(MAX_TRUSTED_ISSUERS);
            forTopic.push(issuer);
        }
        _issuerTopics[issuer] = topics;
        _bumpClaimsEpoch();
        emit TrustedIssuerSet(issuer, previous, topics);
    }

    /// @inheritdoc IIdentityRegistry
    function setClaimCacheTtl(uint32 ttl) external restricted {
        _setClaimCacheTtl(ttl);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function setIdentityRegistryStorage(address) external pure {
        revert ExternalRegistryUnsupported();
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function setClaimTopicsRegistry(address) external pure {
        revert ExternalRegistryUnsupported();
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function setTrustedIssuersRegistry(address) external pure {
        revert ExternalRegistryUnsupported();
    }

    /// @inheritdoc IIdentityRegistry
    function setSecurity(address security, bool listed) external restricted {
        if (security == address(0)) revert ZeroAddress();
        bool present = _contains(_securities, security);
        if (present == listed) revert SecurityListingUnchanged(security, listed);
        if (listed) {
            if (_securities.length == MAX_SECURITIES) revert TooManySecurities(MAX_SECURITIES);
            _securities.push(security);
        } else {
            _removeAddress(_securities, security);
        }
        emit SecurityListed(security, listed);
    }

    // ================================================================ anyone

    /// @inheritdoc IIdentityRegistry
    function verifyClaims(address identity_) external returns (uint40 validUntil) {
        InvestorProfile memory p = _profiles[identity_];
        if (p.walletCount == 0) revert UnknownIdentity(identity_);
        ClaimsWord cfg = _claims;
        validUntil = uint40(block.timestamp + cfg.cacheTtl());
        uint256 topicCount = _claimTopics.length;
        if (topicCount == 0) validUntil = type(uint40).max;
        // Bounded: topicCount <= MAX_CLAIM_TOPICS.
        for (uint256 i; i < topicCount; ++i) {
            uint256 topic = _claimTopics[i];
            uint40 topicValidUntil = _bestClaim(identity_, topic);
            if (topicValidUntil == 0) revert ClaimNotVerified(identity_, topic);
            if (topicValidUntil < validUntil) validUntil = topicValidUntil;
        }
        _writeProfile(identity_, p.country, p.investorClass, p.kycExpiry, validUntil, cfg.epoch());
        emit ClaimsVerified(identity_, validUntil, cfg.epoch());
    }

    // ================================================================ views

    /// @inheritdoc IIdentityRegistry
    function investorPair(address from, address to) external view returns (Investor memory, Investor memory) {
        ClaimsWord cfg = _claims;
        return (_investor(_wallets[from], cfg), _investor(_wallets[to], cfg));
    }

    /// @inheritdoc IIdentityRegistry
    function investorWords(address from, address to) external view returns (InvestorWord, InvestorWord) {
        ClaimsWord cfg = _claims;
        bool required = cfg.required();
        uint32 epoch = cfg.epoch();
        return (_investorWord(_wallets[from], required, epoch), _investorWord(_wallets[to], required, epoch));
    }

    /// @inheritdoc IIdentityRegistry
    function investorOf(address wallet) external view returns (Investor memory) {
        return _investor(_wallets[wallet], _claims);
    }

    /// @inheritdoc IIdentityRegistry
    function isFrozen(address wallet) external view returns (bool) {
        return _frozenWallets[wallet] || _wallets[wallet].frozen();
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function isVerified(address userAddress) external view returns (bool) {
        return _investor(_wallets[userAddress], _claims).verified;
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function contains(address userAddress) external view returns (bool) {
        return _wallets[userAddress].identity() != address(0);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function identity(address userAddress) external view returns (address) {
        return _wallets[userAddress].identity();
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function investorCountry(address userAddress) external view returns (uint16) {
        return _wallets[userAddress].country();
    }

    /// @inheritdoc IIdentityRegistry
    function profileOf(address identity_) external view returns (InvestorProfile memory) {
        return _profiles[identity_];
    }

    /// @inheritdoc IIdentityRegistry
    function securities() external view returns (address[] memory) {
        return _securities;
    }

    /// @inheritdoc IIdentityRegistry
    function walletsOf(address identity_) external view returns (address[] memory) {
        return _identityWallets[identity_];
    }

    /// @inheritdoc IIdentityRegistry
    function claimTopics() external view returns (uint256[] memory) {
        return _claimTopics;
    }

    /// @inheritdoc IIdentityRegistry
    function trustedIssuers() external view returns (address[] memory) {
        return _issuers;
    }

    /// @inheritdoc IIdentityRegistry
    function trustedIssuerTopics(address issuer) external view returns (uint256[] memory) {
        return _issuerTopics[issuer];
    }

    /// @inheritdoc IIdentityRegistry
    function claimsRequired() external view returns (bool) {
        return _claims.required();
    }

    /// @inheritdoc IIdentityRegistry
    function claimsEpoch() external view returns (uint32) {
        return _claims.epoch();
    }

    /// @inheritdoc IIdentityRegistry
    function claimCacheTtl() external view returns (uint32) {
        return _claims.cacheTtl();
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function identityStorage() external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function issuersRegistry() external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IERC3643IdentityRegistry
    function topicsRegistry() external view returns (address) {
        return address(this);
    }

    // ================================================================ internal

    function _investor(WalletWord record, ClaimsWord cfg) internal view returns (Investor memory) {
        bool frozen = record.frozen();
        bool verified = !frozen
            && _isVerified(record.identity(), record.validUntil(), record.claimsEpoch(), cfg.required(), cfg.epoch());
        return Investor(record.identity(), record.country(), record.investorClass(), verified, frozen);
    }

    /// @dev The transfer hot path: one SLOAD per wallet (the record), no struct decoding.
    function _investorWord(WalletWord record, bool claimsRequired_, uint32 epoch) internal view returns (InvestorWord) {
        bool verified = !record.frozen()
            && _isVerified(record.identity(), record.validUntil(), record.claimsEpoch(), claimsRequired_, epoch);
        return record.toInvestorWord(verified);
    }

    /// @dev The one definition of "verified" (see IIdentityRegistry).
    function _isVerified(
        address identity_,
        uint40 validUntil,
        uint32 recordEpoch,
        bool claimsRequired_,
        uint32 currentEpoch
    ) internal view returns (bool) {
        return identity_ != address(0) && validUntil >= block.timestamp
            && (!claimsRequired_ || recordEpoch == currentEpoch);
    }

    function _registerDefault(address wallet, address identity_, uint16 country) internal {
        InvestorProfile memory p = _profiles[identity_];
        if (p.walletCount == 0) {
            _register(wallet, identity_, country, InvestorClass.Retail, type(uint40).max);
        } else {
            _register(wallet, identity_, country, p.investorClass, p.kycExpiry);
        }
    }

    function _register(address wallet, address identity_, uint16 country, InvestorClass investorClass, uint40 kycExpiry)
        internal
    {
        if (wallet == address(0) || identity_ == address(0)) revert ZeroAddress();
        WalletWord record = _wallets[wallet];
        address current = record.identity();
        if (current != address(0)) revert WalletAlreadyRegistered(wallet, current);
        InvestorProfile memory p = _profiles[identity_];
        if (p.walletCount != 0 && p.country != country) revert CountryMismatch(identity_, p.country, country);
        if (p.walletCount >= MAX_WALLETS_PER_IDENTITY) revert TooManyWallets(identity_, MAX_WALLETS_PER_IDENTITY);
        _identityWallets[identity_].push(wallet);
        _wallets[wallet] = record.setIdentity(identity_);
        // A sanctioned wallet carries its freeze into the identity it joins (and all its wallets).
        if (_frozenWallets[wallet] && !p.frozen) _profiles[identity_].frozen = true;
        _writeProfile(identity_, country, investorClass, kycExpiry, p.claimsValidUntil, p.claimsEpoch);
        emit IdentityRegistered(wallet, identity_);
    }

    /// @dev Writes the profile and copies it onto every wallet of the identity.
    function _writeProfile(
        address identity_,
        uint16 country,
        InvestorClass investorClass,
        uint40 kycExpiry,
        uint40 claimsValidUntil,
        uint32 epoch
    ) internal {
        if (country == 0 || country > MAX_COUNTRY) revert InvalidCountry(country);
        if (investorClass == InvestorClass.None) revert InvalidInvestorClass(investorClass);
        InvestorProfile memory previous = _profiles[identity_];
        address[] storage wallets = _identityWallets[identity_];
        uint256 count = wallets.length;
        InvestorProfile memory next = InvestorProfile({
            country: country,
            investorClass: investorClass,
            kycExpiry: kycExpiry,
            claimsValidUntil: claimsValidUntil,
            claimsEpoch: epoch,
            walletCount: uint8(count), // No truncation: count <= MAX_WALLETS_PER_IDENTITY.
            frozen: previous.frozen // Changed only by `_setIdentityFrozen`.
        });
        _profiles[identity_] = next;
        uint40 validUntil = _claims.required() && claimsValidUntil < kycExpiry ? claimsValidUntil : kycExpiry;
        // No truncation of the epoch: it stays below 2^24.
        WalletWord record =
            WalletWordLibrary.pack(identity_, country, investorClass, validUntil, uint24(epoch), next.frozen);
        // Bounded: count <= MAX_WALLETS_PER_IDENTITY.
        for (uint256 i; i < count; ++i) {
            _wallets[wallets[i]] = record;
        }
        emit InvestorProfileSet(identity_, previous, next);
    }

    /// @dev Sets the identity's freeze and copies it onto every wallet record of it.
    function _setIdentityFrozen(address identity_, bool frozen) internal {
        InvestorProfile storage profile = _profiles[identity_];
        InvestorProfile memory previous = profile;
        profile.frozen = frozen;
        address[] storage wallets = _identityWallets[identity_];
        uint256 count = wallets.length;
        // Bounded: count <= MAX_WALLETS_PER_IDENTITY.
        for (uint256 i; i < count; ++i) {
            address wallet = wallets[i];
            _wallets[wallet] = _wallets[wallet].setFrozen(frozen);
        }
        emit InvestorProfileSet(identity_, previous, profile);
    }

    function _removeWallet(address wallet, address identity_) internal {
        // A wallet leaving a frozen identity stays frozen on its own.
        if (_profiles[identity_].frozen) _frozenWallets[wallet] = true;
        _removeAddress(_identityWallets[identity_], wallet);
        _wallets[wallet] = WalletWord.wrap(0);
        // No underflow: the wallet was registered to this identity, so walletCount >= 1.
        unchecked {
            _profiles[identity_].walletCount -= 1;
        }
    }

    /// @dev Reverts when `wallet` holds any listed security (its engine's ledger is per identity).
    function _requireNoHoldings(address wallet) internal view {
        address[] storage list = _securities;
        uint256 count = list.length;
        // Bounded: count <= MAX_SECURITIES.
        for (uint256 i; i < count; ++i) {
            uint256 held = IERC20(list[i]).balanceOf(wallet);
            if (held != 0) revert WalletHoldsSecurity(wallet, list[i], held);
        }
    }

    function _requireWallet(address wallet) internal view returns (WalletWord record) {
        record = _wallets[wallet];
        if (record.identity() == address(0)) revert WalletNotRegistered(wallet);
    }

    /// @dev Latest expiry among the trusted issuers' valid claims for `topic`; 0 when none is valid.
    function _bestClaim(address identity_, uint256 topic) internal view returns (uint40 best) {
        address[] storage issuers = _issuersByTopic[topic];
        uint256 count = issuers.length;
        // Bounded: count <= MAX_TRUSTED_ISSUERS.
        for (uint256 j; j < count; ++j) {
            uint40 expiry = _claimExpiry(identity_, issuers[j], topic);
            if (expiry > best) best = expiry;
        }
    }

    /// @dev Expiry of `issuer`'s claim on `topic` held by the identity, or 0 if it is not valid.
    /// A malformed answer from the identity contract reverts, which only blocks that identity.
    function _claimExpiry(address identity_, address issuer, uint256 topic) internal view returns (uint40) {
        (bool ok, bytes memory answer) =
            identity_.staticcall(abi.encodeCall(IERC735ClaimView.getClaim, (keccak256(abi.encode(issuer, topic)))));
        if (!ok) return 0;
        (uint256 claimTopic,, address claimIssuer, bytes memory sig, bytes memory data,) =
            abi.decode(answer, (uint256, uint256, address, bytes, bytes, string));
        // The claim must name the issuer we trust, not one the identity picked (ERC-3643 #101).
        if (claimTopic != topic || claimIssuer != issuer) return 0;
        return _validClaimExpiry(identity_, issuer, topic, sig, data);
    }

    /// @dev Checks the chain-bound claim data and asks the trusted issuer itself to validate.
    function _validClaimExpiry(address identity_, address issuer, uint256 topic, bytes memory sig, bytes memory data)
        internal
        view
        returns (uint40)
    {
        if (data.length != 96 || !_isCanonicalSignature(sig)) return 0;
        (uint256 chainId, address registry, uint64 claimValidUntil) = abi.decode(data, (uint256, address, uint64));
        if (chainId != block.chainid || registry != address(this) || claimValidUntil < block.timestamp) return 0;
        try IClaimIssuerView(issuer).isClaimValid(identity_, topic, sig, data) returns (bool valid) {
            if (!valid) return 0;
        } catch {
            return 0;
        }
        return claimValidUntil > type(uint40).max ? type(uint40).max : uint40(claimValidUntil);
    }

    /// @dev One encoding per signature: 65 bytes, v in {27, 28}, s in the lower half of the curve
    /// order. ONCHAINID's ClaimIssuer revokes by signature bytes but recovers with a raw ecrecover
    /// that also takes v in {0, 1} and high s: without this, a revoked claim re-encoded would
    /// verify again.
    function _isCanonicalSignature(bytes memory sig) internal pure returns (bool) {
        if (sig.length != 65) return false;
        uint256 s;
        uint8 v;
        assembly ("memory-safe") {
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        return (v == 27 || v == 28) && s <= SECP256K1_HALF_ORDER;
    }

    function _bumpClaimsEpoch() internal {
        ClaimsWord cfg = _claims;
        uint32 epoch = cfg.epoch();
        // Wallet records keep the epoch in 24 bits: one increment per governance change.
        if (epoch >= type(uint24).max) revert ClaimsEpochExhausted(epoch);
        unchecked {
            epoch += 1; // No overflow: checked above.
        }
        _claims = cfg.setEpoch(epoch).setRequired(_claimTopics.length != 0);
    }

    function _setClaimCacheTtl(uint32 ttl) internal {
        if (ttl > MAX_CLAIM_CACHE_TTL) revert ClaimCacheTtlTooLong(ttl, MAX_CLAIM_CACHE_TTL);
        ClaimsWord cfg = _claims;
        emit ClaimCacheTtlSet(cfg.cacheTtl(), ttl);
        _claims = cfg.setCacheTtl(ttl);
    }

    function _contains(address[] storage list, address value) internal view returns (bool) {
        uint256 count = list.length;
        // Bounded by the list's own cap (MAX_SECURITIES).
        for (uint256 i; i < count; ++i) {
            if (list[i] == value) return true;
        }
        return false;
    }

    function _removeAddress(address[] storage list, address value) internal {
        uint256 count = list.length;
        // Bounded by the list's own cap (MAX_WALLETS_PER_IDENTITY, MAX_TRUSTED_ISSUERS or MAX_SECURITIES).
        for (uint256 i; i < count; ++i) {
            if (list[i] == value) {
                list[i] = list[count - 1];
                list.pop();
                return;
            }
        }
    }
}
