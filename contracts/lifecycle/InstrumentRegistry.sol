// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    IInstrumentRegistry,
    InstrumentOperations as Ops,
    InstrumentState,
    InstrumentStatus,
    InstrumentTerms
} from "../../interfaces/IInstrumentRegistry.sol";
import {IOracleRouter, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {ISettlementAssets} from "../../interfaces/ISettlementAssets.sol";
import {ITermsValidator} from "../../interfaces/ITermsValidator.sol";
import {IFundNavSource} from "../../interfaces/IFundVault.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {
    DelegationWord,
    DelegationWordLibrary,
    IdentifierWord,
    IdentifierWordLibrary,
    InstrumentWord,
    NavWord,
    TermsWord,
    TermsWordLibrary
} from "../types/LifecycleWords.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title InstrumentRegistry
/// @notice Instruments, their issuers and operators, their status and their NAV checkpoints (see
/// IInstrumentRegistry).
contract InstrumentRegistry is IInstrumentRegistry, AuthorityInit {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Protocol bounds of GOVERNOR's `setNavBounds`, and each new instrument's values.
    uint16 public constant MAX_NAV_MOVE_BPS = 5_000;
    uint32 public constant MIN_NAV_AGE = 60;
    uint32 public constant MAX_NAV_AGE = 7 days;
    uint16 public constant DEFAULT_MAX_NAV_MOVE_BPS = 200;
    uint32 public constant DEFAULT_MAX_NAV_AGE = 1 days;
    /// @notice Longest delegation an issuer may give at once.
    uint256 public constant MAX_DELEGATION_PERIOD = 366 days;

    IOracleRouter public immutable oracle;
    /// @notice The rules every term is checked against (a stateless periphery: see ITermsValidator).
    ITermsValidator public immutable validator;
    ISettlementAssets public immutable settlementAssets;

    /// @dev One instrument: the status word every move reads, the NAV word every strike reads, the
    /// terms in two words, and what does not pack.
    struct Instrument {
        InstrumentWord state;
        NavWord nav;
        TermsWord terms;
        IdentifierWord ids;
        uint256 faceValue;
        address fund;
        address[] settlementAssets;
        Checkpoints.Trace208 navs;
    }

    uint256 public instrumentCount;
    mapping(uint256 id => Instrument) private _instruments;
    mapping(bytes12 isin => uint256 id) public idOfIsin;
    mapping(address shareToken => uint256 id) public idOfShareToken;
    mapping(address issuer => bool) public isIssuer;
    mapping(address issuer => mapping(address operator => DelegationWord)) private _delegations;

    /// @dev The implementation (immutables only): the registry runs behind a GovernedProxy, whose
    /// constructor sets its authority (`initialize`, AuthorityInit).
    constructor(IOracleRouter oracle_, ITermsValidator validator_) {
        oracle = oracle_;
        validator = validator_;
        settlementAssets = validator_.settlementAssets();
    }

    // ================================================================ GOVERNOR, GUARDIAN

    /// @inheritdoc IInstrumentRegistry
    function setIssuer(address issuer, bool approved) external restricted {
        bool previous = isIssuer[issuer];
        isIssuer[issuer] = approved;
        emit IssuerSet(issuer, previous, approved);
    }

    /// @inheritdoc IInstrumentRegistry
    function setNavBounds(uint256 id, uint16 maxNavMoveBps, uint32 maxNavAge) external restricted {
        Instrument storage inst = _instrument(id);
        if (
            maxNavMoveBps == 0 || maxNavMoveBps > MAX_NAV_MOVE_BPS || maxNavAge < MIN_NAV_AGE || maxNavAge > MAX_NAV_AGE
        ) revert NavBoundsOutOfRange(id, maxNavMoveBps, maxNavAge);
        NavWord nav = inst.nav;
        inst.nav = nav.setMaxNavMoveBps(maxNavMoveBps).setMaxNavAge(maxNavAge);
        emit NavBoundsSet(id, nav.maxNavMoveBps(), maxNavMoveBps, nav.maxNavAge(), maxNavAge);
    }

    /// @inheritdoc IInstrumentRegistry
    function resume(uint256 id) external restricted {
        InstrumentWord s = _instrument(id).state;
        _requireFrom(id, s, InstrumentStatus.Suspended, InstrumentStatus.Active);
        bool held = s.guardianHold();
        _move(id, s.setGuardianHold(false), InstrumentStatus.Active);
        if (held) emit GuardianHoldSet(id, true, false, msg.sender);
    }

    /// @inheritdoc IInstrumentRegistry
    function guardianSuspend(uint256 id) external restricted {
        Instrument storage inst = _instrument(id);
        InstrumentWord s = inst.state;
        InstrumentStatus from = s.status();
        if (from == InstrumentStatus.Active) {
            _move(id, s.setGuardianHold(true), InstrumentStatus.Suspended);
        } else if (from == InstrumentStatus.Suspended && !s.guardianHold()) {
            inst.state = s.setGuardianHold(true); // Already suspended: the issuer can no longer resume it.
        } else {
            revert IllegalStatusMove(id, from, InstrumentStatus.Suspended);
        }
        emit GuardianHoldSet(id, false, true, msg.sender);
    }

    // ================================================================ issuers and operators

    /// @inheritdoc IInstrumentRegistry
    function register(InstrumentTerms calldata terms) external returns (uint256 id) {
        if (!isIssuer[msg.sender]) revert IssuerNotApproved(msg.sender);
        id = instrumentCount + 1;
        _checkTerms(id, terms);
        instrumentCount = id;
        Instrument storage inst = _instruments[id];
        inst.state = InstrumentWord.wrap(0).setIssuer(msg.sender).setStatus(InstrumentStatus.Registered)
            .setMaturityDate(terms.maturityDate);
        inst.nav = NavWord.wrap(0).setMaxNavMoveBps(DEFAULT_MAX_NAV_MOVE_BPS).setMaxNavAge(DEFAULT_MAX_NAV_AGE);
        _writeTerms(id, inst, terms);
        emit InstrumentRegistered(id, msg.sender, terms);
        emit StatusChanged(id, InstrumentStatus.None, InstrumentStatus.Registered, msg.sender);
    }

    /// @inheritdoc IInstrumentRegistry
    function amendTerms(uint256 id, InstrumentTerms calldata terms) external {
        Instrument storage inst = _instrument(id);
        InstrumentWord s = inst.state;
        _requireIssuer(id, s);
        if (s.status() != InstrumentStatus.Registered) revert TermsLocked(id, s.status());
        _checkTerms(id, terms);
        InstrumentTerms memory previous = termsOf(id);
        // The old identifiers are free once replaced (the checks above allowed this id's own).
        if (previous.isin != terms.isin) delete idOfIsin[previous.isin];
        if (previous.shareToken != terms.shareToken) delete idOfShareToken[previous.shareToken];
        inst.state = s.setMaturityDate(terms.maturityDate);
        _writeTerms(id, inst, terms);
        emit TermsAmended(id, previous, terms);
    }

    /// @inheritdoc IInstrumentRegistry
    function setOperator(address operator, uint16 operations, uint40 expiry) external {
        uint40 maxExpiry;
        if (operations != 0) {
            if (!isIssuer[msg.sender]) revert IssuerNotApproved(msg.sender);
            if (operations & ~Ops.ALL != 0) revert UnknownOperations(operations);
            maxExpiry = SafeCast.toUint40(block.timestamp + MAX_DELEGATION_PERIOD);
            if (expiry <= block.timestamp || expiry > maxExpiry) revert InvalidExpiry(expiry, maxExpiry);
        } else if (expiry != 0) {
            revert InvalidExpiry(expiry, 0);
        }
        DelegationWord previous = _delegations[msg.sender][operator];
        _delegations[msg.sender][operator] = DelegationWordLibrary.pack(operations, expiry);
        emit OperatorSet(msg.sender, operator, previous.operations(), operations, previous.expiry(), expiry);
    }

    /// @inheritdoc IInstrumentRegistry
    function setFund(uint256 id, address fund) external {
        Instrument storage inst = _instrument(id);
        _requireIssuer(id, inst.state);
        address previous = inst.fund;
        inst.fund = fund;
        emit FundSet(id, previous, fund);
    }

    /// @inheritdoc IInstrumentRegistry
    function activate(uint256 id) external {
        InstrumentWord s = _instrument(id).state;
        InstrumentStatus from = s.status();
        if (from != InstrumentStatus.Registered && from != InstrumentStatus.Suspended) {
            revert IllegalStatusMove(id, from, InstrumentStatus.Active);
        }
        _authorize(id, s.issuer(), Ops.ACTIVATE);
        if (s.guardianHold()) revert GuardianHold(id);
        _move(id, s, InstrumentStatus.Active);
    }

    /// @inheritdoc IInstrumentRegistry
    function suspend(uint256 id) external {
        InstrumentWord s = _instrument(id).state;
        _requireFrom(id, s, InstrumentStatus.Active, InstrumentStatus.Suspended);
        _authorize(id, s.issuer(), Ops.SUSPEND);
        _move(id, s, InstrumentStatus.Suspended);
    }

    /// @inheritdoc IInstrumentRegistry
    function exerciseCall(uint256 id) external {
        Instrument storage inst = _instrument(id);
        InstrumentWord s = inst.state;
        _requireFrom(id, s, InstrumentStatus.Active, InstrumentStatus.Matured);
        _authorize(id, s.issuer(), Ops.CALL);
        TermsWord t = inst.terms;
        if (!t.callable() || block.timestamp < t.firstCallDate()) {
            revert CallNotAllowed(id, t.callable(), t.firstCallDate());
        }
        _move(id, s.setCalledAt(SafeCast.toUint40(block.timestamp)), InstrumentStatus.Matured);
        emit Called(id, t.callPriceBps(), msg.sender);
    }

    /// @inheritdoc IInstrumentRegistry
    function mature(uint256 id) external {
        InstrumentWord s = _instrument(id).state;
        InstrumentStatus from = s.status();
        if (from != InstrumentStatus.Active && from != InstrumentStatus.Suspended) {
            revert IllegalStatusMove(id, from, InstrumentStatus.Matured);
        }
        uint40 maturity = s.maturityDate();
        if (maturity == 0 || block.timestamp < maturity) revert MaturityNotReached(id, maturity);
        _move(id, s, InstrumentStatus.Matured);
    }

    /// @inheritdoc IInstrumentRegistry
    function close(uint256 id) external {
        InstrumentWord s = _instrument(id).state;
        _requireFrom(id, s, InstrumentStatus.Matured, InstrumentStatus.Closed);
        _requireIssuer(id, s);
        _move(id, s, InstrumentStatus.Closed);
    }

    /// @inheritdoc IFundNavSource
    function strikeNav(uint256 id) external returns (uint256 nav) {
        Instrument storage inst = _instrument(id);
        InstrumentWord s = inst.state;
        if (s.status() != InstrumentStatus.Active) revert InstrumentNotActive(id, s.status());
        address issuer = s.issuer();
        if (!isIssuer[issuer]) revert IssuerNotApproved(issuer);
        if (msg.sender != issuer && msg.sender != inst.fund) _requireDelegated(id, issuer, Ops.STRIKE);
        NavWord word = inst.nav;
        // A view (STATICCALL): part of the checks.
        (PriceStatus status, uint256 price18, uint256 updatedAt) = oracle.priceOf(word.shareToken());
        if (price18 == 0) revert NavUnavailable(id, word.shareToken(), status);
        // No underflow: the router refuses answers dated after the block.
        if (block.timestamp - updatedAt > word.maxNavAge()) revert StaleNav(id, updatedAt, word.maxNavAge());
        // Not from before the share's last income declaration (SEC-137: the fund pairs this NAV
        // with the index of the strike's block).
        uint256 declaredAt = _lastDeclaredAt(word.shareToken());
        if (declaredAt >= updatedAt && declaredAt != 0) revert NavPredatesDeclaration(id, updatedAt, declaredAt);
        uint256 previous = inst.navs.latest();
        if (previous != 0) {
            uint256 move = price18 > previous ? price18 - previous : previous - price18;
            // No overflow: both prices are below 2**208 (the router's bounds are uint128).
            if (move * BPS > previous * word.maxNavMoveBps()) {
                revert NavMoveTooLarge(id, previous, price18, word.maxNavMoveBps());
            }
        }
        inst.navs.push(SafeCast.toUint48(block.number), SafeCast.toUint208(price18));
        inst.nav = word.setLastStrikeAt(SafeCast.toUint40(block.timestamp));
        emit NavStruck(id, previous, price18, updatedAt, msg.sender);
        return price18;
    }

    // ================================================================ views

    /// @inheritdoc IInstrumentRegistry
    function termsOf(uint256 id) public view returns (InstrumentTerms memory) {
        Instrument storage inst = _instrument(id);
        TermsWord t = inst.terms;
        IdentifierWord ids = inst.ids;
        return InstrumentTerms({
            kind: t.kind(),
            isin: ids.isin(),
            cusip: ids.cusip(),
            currency: ids.currency(),
            shareToken: inst.nav.shareToken(),
            settlementAssets: inst.settlementAssets,
            faceValue: inst.faceValue,
            coupon: t.coupon(),
            issueDate: t.issueDate(),
            maturityDate: inst.state.maturityDate(),
            call: t.call()
        });
    }

    /// @inheritdoc IInstrumentRegistry
    function stateOf(uint256 id) external view returns (InstrumentState memory) {
        Instrument storage inst = _instrument(id);
        (InstrumentWord s, NavWord nav) = (inst.state, inst.nav);
        return InstrumentState({
            issuer: s.issuer(),
            status: s.status(),
            guardianHold: s.guardianHold(),
            fund: inst.fund,
            calledAt: s.calledAt(),
            maxNavMoveBps: nav.maxNavMoveBps(),
            maxNavAge: nav.maxNavAge(),
            lastStrikeAt: nav.lastStrikeAt()
        });
    }

    /// @inheritdoc IInstrumentRegistry
    function statusOf(uint256 id) external view returns (InstrumentStatus) {
        return _instruments[id].state.status();
    }

    /// @inheritdoc IFundNavSource
    function isDealing(uint256 id) external view returns (bool) {
        return _instruments[id].state.status() == InstrumentStatus.Active;
    }

    /// @inheritdoc IFundNavSource
    function isWoundUp(uint256 id) external view returns (bool) {
        InstrumentStatus status = _instruments[id].state.status();
        return status == InstrumentStatus.Matured || status == InstrumentStatus.Closed;
    }

    /// @inheritdoc IFundNavSource
    /// @dev The registry's SettlementAssets' answer. Not checked: that `asset` is one of the
    /// instrument's settlement assets (a vault's deploy routine chooses it).
    function assetAtPar(uint256, address asset) external view returns (bool, uint256, uint256) {
        return settlementAssets.atPar(asset);
    }

    /// @inheritdoc IFundNavSource
    /// @dev 0: a vault striking at the registry is its share class's only vault (see the notice).
    function unmintedSharesBesides(uint256, address) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IInstrumentRegistry
    function delegationOf(address issuer, address operator) external view returns (uint16, uint40) {
        DelegationWord d = _delegations[issuer][operator];
        return (d.operations(), d.expiry());
    }

    /// @inheritdoc IInstrumentRegistry
    function canAct(uint256 id, address account, uint16 operation) external view returns (bool) {
        address issuer = _instruments[id].state.issuer();
        if (issuer == address(0) || !isIssuer[issuer]) return false;
        return account == issuer || _delegations[issuer][account].allows(operation, block.timestamp);
    }

    /// @inheritdoc IInstrumentRegistry
    function latestNav(uint256 id) external view returns (uint256 nav, uint256 blockNumber, uint256 timestamp) {
        Instrument storage inst = _instruments[id];
        (, uint48 key, uint208 value) = inst.navs.latestCheckpoint();
        return (value, key, inst.nav.lastStrikeAt());
    }

    /// @inheritdoc IInstrumentRegistry
    function navAt(uint256 id, uint256 blockNumber) external view returns (uint256) {
        if (blockNumber > block.number) revert FutureBlock(blockNumber, block.number);
        // No truncation: blockNumber <= block.number < 2**48.
        return _instruments[id].navs.upperLookupRecent(uint48(blockNumber));
    }

    /// @inheritdoc IInstrumentRegistry
    function navCheckpointCount(uint256 id) external view returns (uint256) {
        return _instruments[id].navs.length();
    }

    // ================================================================ internal

    /// @dev The instrument `id`, reverting `UnknownInstrument` when there is none.
    function _instrument(uint256 id) internal view returns (Instrument storage inst) {
        inst = _instruments[id];
        if (inst.state.status() == InstrumentStatus.None) revert UnknownInstrument(id);
    }

    /// @dev Every rule of `terms` (the validator's), the caller an agent of its share token
    /// (SEC-130) and the uniqueness of its ISIN and share token (this id's own allowed): all
    /// reads, no writes.
    function _checkTerms(uint256 id, InstrumentTerms calldata terms) internal view {
        validator.validate(terms);
        // The token's governance named the issuer its agent: no other issuer takes its servicing,
        // strikes or calls. A SecurityToken (the validator's check) answers `isAgent`.
        if (!ISecurityToken(terms.shareToken).isAgent(msg.sender)) revert NotTokenAgent(terms.shareToken, msg.sender);
        uint256 holder = idOfIsin[terms.isin];
        if (holder != 0 && holder != id) revert IsinTaken(terms.isin, holder);
        holder = idOfShareToken[terms.shareToken];
        if (holder != 0 && holder != id) revert ShareTokenTaken(terms.shareToken, holder);
    }

    /// @dev Writes checked terms (the maturity date lives in the state word, written by the caller).
    function _writeTerms(uint256 id, Instrument storage inst, InstrumentTerms calldata terms) internal {
        idOfIsin[terms.isin] = id;
        idOfShareToken[terms.shareToken] = id;
        inst.ids = IdentifierWordLibrary.pack(terms.isin, terms.cusip, terms.currency);
        inst.terms = TermsWordLibrary.pack(terms.kind, terms.coupon, terms.call, terms.issueDate);
        inst.nav = inst.nav.setShareToken(terms.shareToken);
        inst.faceValue = terms.faceValue;
        inst.settlementAssets = terms.settlementAssets;
    }

    function _requireFrom(uint256 id, InstrumentWord s, InstrumentStatus from, InstrumentStatus to) internal pure {
        if (s.status() != from) revert IllegalStatusMove(id, s.status(), to);
    }

    /// @dev The caller is the instrument's issuer, still approved.
    function _requireIssuer(uint256 id, InstrumentWord s) internal view {
        address issuer = s.issuer();
        if (msg.sender != issuer) revert NotIssuer(id, msg.sender, issuer);
        if (!isIssuer[issuer]) revert IssuerNotApproved(issuer);
    }

    /// @dev The caller is the approved issuer, or an operator of it with `operation` unexpired.
    function _authorize(uint256 id, address issuer, uint16 operation) internal view {
        if (!isIssuer[issuer]) revert IssuerNotApproved(issuer);
        if (msg.sender != issuer) _requireDelegated(id, issuer, operation);
    }

    function _requireDelegated(uint256 id, address issuer, uint16 operation) internal view {
        DelegationWord d = _delegations[issuer][msg.sender];
        if (!d.allows(operation, block.timestamp)) revert OperationNotDelegated(id, msg.sender, operation, d.expiry());
    }

    /// @dev Writes `s` with status `next` and logs the move from the status `s` holds.
    function _move(uint256 id, InstrumentWord s, InstrumentStatus next) internal {
        _instruments[id].state = s.setStatus(next);
        emit StatusChanged(id, s.status(), next, msg.sender);
    }

    /// @dev The time of `share`'s last income declaration (IIncomeShareToken.incomeIndex); 0 for a
    /// token that declares none or does not answer it (a plain share, a note).
    function _lastDeclaredAt(address share) internal view returns (uint256 declaredAt) {
        (bool ok, bytes memory data) = share.staticcall(abi.encodeCall(IIncomeShareToken.incomeIndex, ()));
        if (ok && data.length >= 96) (,, declaredAt) = abi.decode(data, (uint256, uint256, uint256));
    }
}
