// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IBondServicer, rateIndexKey} from "../../interfaces/IBondServicer.sol";
import {
    IInstrumentRegistry,
    InstrumentOperations as Ops,
    InstrumentState,
    InstrumentStatus,
    InstrumentTerms
} from "../../interfaces/IInstrumentRegistry.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {FeedConfig, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {BalanceChange, ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {InvestorWord} from "../types/InvestorWord.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {DayCount} from "./DayCount.sol";
import {InstrumentRules} from "./InstrumentRules.sol";
import {CouponAccount, CouponAccountLibrary, ServicingWord, ServicingWordLibrary} from "../types/IncomeWords.sol";
import {BPS, WAD} from "../libraries/Constants.sol";

error ZeroAddressGiven();

/// @title BondServicer
/// @notice Pays a fixed-coupon note's, a floating-rate note's or a bill's coupons and redemption
/// through per-share indices, O(1) per holder (see IBondServicer); its share token
/// (`BondShareToken`) calls it first in every balance change.
/// @dev State: the servicing word (read on every balance change), one coupon account per holder,
/// the coupon index after each recorded coupon, the pools and one redemption index per holder.
/// Balances and supply are the token's.
contract BondServicer is IBondServicer, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IBondServicer
    bool public constant END_OF_MONTH = false;
    uint256 internal constant DAY = 1 days;
    /// @dev 1e14: a basis point in WAD.
    uint256 internal constant BPS_TO_WAD = WAD / BPS;
    /// @dev A Chainlink proxy round id is `phaseId << 64 | aggregatorRoundId`.
    uint256 internal constant PHASE_OFFSET = 64;
    /// @dev A floating coupon's rate cap, WAD: the registry's largest fixed coupon plus its largest
    /// spread (150% a year), the rate the coupon index is sized for (IBondServicer).
    uint256 internal constant MAX_RATE_WAD =
        (InstrumentRules.MAX_COUPON_BPS + InstrumentRules.MAX_SPREAD_BPS) * BPS_TO_WAD;

    IInstrumentRegistry internal immutable INSTRUMENTS;
    IERC20 internal immutable PAYMENT_ASSET;
    /// @dev 10**decimals of the payment asset: converts 18-decimal currency amounts at par.
    uint256 internal immutable ASSET_UNIT;
    /// @inheritdoc IBondServicer
    uint256 public constant SCALE = WAD * 1e18;

    /// @inheritdoc IBondServicer
    IERC20 public immutable token;

    ServicingWord private _state;
    mapping(address holder => CouponAccount) private _coupons;
    /// @dev The coupon index after coupon `number` was recorded (a holder's account names the last
    /// coupon it was settled at, not the index: one word per holder, whatever the index's width).
    mapping(uint256 number => uint256 index) private _indexAfter;
    uint256 private _couponReserve;
    uint256 private _couponShortfall;
    uint256 private _redemptionPrice;
    uint256 private _redemptionSupply;
    uint256 private _redemptionFunded;
    uint256 private _redemptionIndex;
    mapping(address holder => uint256 index) private _redeemedIndex;
    /// @dev Redemption settled to a holder and not paid: what a forced transfer or a recovery
    /// after the redemption started settled first (SEC-125), and what it moved to the new holder.
    mapping(address holder => uint256 owed) private _redemptionOwed;

    /// @param token_ The share token this servicer serves: the address its deployer's next
    /// deployment creates (keepers/lifecycle/deploy.py `deploy_bond_share_token`), checked by the
    /// token's constructor. Fixed here: nobody can bind another (SEC-38).
    constructor(IInstrumentRegistry instruments_, IERC20 paymentAsset_, IERC20 token_) {
        if (
            address(instruments_) == address(0) || address(paymentAsset_) == address(0) || address(token_) == address(0)
        ) revert ZeroAddressGiven();
        uint8 decimals = IERC20Metadata(address(paymentAsset_)).decimals();
        // The indexes are sized for 18 decimals (IBondServicer, Bounds).
        uint8 maxDecimals = InstrumentRules.MAX_ASSET_DECIMALS;
        if (decimals > maxDecimals) revert UnsupportedDecimals(address(paymentAsset_), decimals, maxDecimals);
        INSTRUMENTS = instruments_;
        PAYMENT_ASSET = paymentAsset_;
        ASSET_UNIT = 10 ** decimals;
        token = token_;
    }

    // ================================================================ servicing

    /// @inheritdoc IBondServicer
    function startServicing() external nonReentrant {
        uint256 id = _id();
        ServicingWord w = _state;
        if (w.nextRecordDate() != 0) revert ServicingAlreadyStarted(id);
        InstrumentTerms memory t = INSTRUMENTS.termsOf(id);
        bool accepted;
        // Bounded: the registry caps settlement assets (MAX_SETTLEMENT_ASSETS).
        for (uint256 i; i < t.settlementAssets.length; ++i) {
            if (t.settlementAssets[i] == address(PAYMENT_ASSET)) accepted = true;
        }
        if (!accepted) revert PaymentAssetNotAccepted(id, address(PAYMENT_ASSET));
        uint256 count = _couponCount(t);
        uint256 first = count == 0 ? t.maturityDate : _recordDate(t, 1);
        _state = ServicingWordLibrary.pack(0, 0, first, false);
        emit ServicingStarted(id, count, first);
    }

    /// @inheritdoc IBondServicer
    function fundCoupons(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _couponReserve += amount;
        emit Funded(false, amount, msg.sender);
        PAYMENT_ASSET.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IBondServicer
    function fundRedemption(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _redemptionFunded += amount;
        emit Funded(true, amount, msg.sender);
        if (_state.redeeming()) _raiseRedemptionIndex();
        PAYMENT_ASSET.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IBondServicer
    function sweepExcess() external nonReentrant returns (uint256 excess) {
        uint256 id = _id();
        if (!_state.redeeming()) revert NotMatured(id);
        if (!INSTRUMENTS.canAct(id, msg.sender, Ops.FUND)) revert NotIssuerOrFunder(id, msg.sender);
        uint256 funded = _redemptionFunded;
        uint256 due = Math.mulDiv(_redemptionSupply, _redemptionPrice, SCALE, Math.Rounding.Ceil);
        // Bounded: only what no holder can ever claim, the pool beyond every share's full price.
        if (funded <= due) revert NothingToSweep(funded, due);
        excess = funded - due;
        _redemptionFunded = due;
        address issuer = INSTRUMENTS.stateOf(id).issuer;
        emit ExcessSwept(issuer, excess, msg.sender);
        PAYMENT_ASSET.safeTransfer(issuer, excess);
    }

    /// @inheritdoc IBondServicer
    function recordCoupon(uint256 number) external nonReentrant {
        _recordCoupon(number, 0);
    }

    /// @inheritdoc IBondServicer
    function recordFloatingCoupon(uint256 number, uint80 fixingRound) external nonReentrant {
        _recordCoupon(number, fixingRound);
    }

    /// @inheritdoc IBondServicer
    function claimCoupons(address holder) external nonReentrant returns (uint256 paid) {
        _requirePayable(holder);
        paid = _takeCoupons(holder);
        if (paid != 0) {
            emit Paid(holder, paid, 0, msg.sender);
            PAYMENT_ASSET.safeTransfer(holder, paid);
        }
    }

    /// @dev Records coupon `number`; a floating one fixed from round `fixingRound` (0: none given).
    function _recordCoupon(uint256 number, uint80 fixingRound) internal {
        uint256 id = _id();
        ServicingWord w = _state;
        if (w.nextRecordDate() == 0) revert ServicingNotStarted(id);
        if (w.redeeming()) revert RedemptionAlreadyStarted(id);
        if (number != w.lastRecorded() + 1) revert UnexpectedCoupon(number, w.lastRecorded() + 1);
        InstrumentTerms memory t = INSTRUMENTS.termsOf(id);
        uint256 count = _couponCount(t);
        if (number > count) revert UnexpectedCoupon(number, 0);
        (uint256 start, uint256 end) =
            DayCount.couponPeriod(t.issueDate, t.maturityDate, t.coupon.frequency, END_OF_MONTH, t.coupon.roll, number);
        // Called: a coupon ending after the call is not paid (SEC-124); its part up to the call
        // is in the call's redemption price (`startRedemption`).
        uint256 calledAt = INSTRUMENTS.stateOf(id).calledAt;
        if (calledAt != 0 && end > calledAt) revert CouponAfterCall(number, end, calledAt);
        // The record date (`_recordDate`) from this period's end: no second schedule walk.
        uint256 recordDate = end - uint256(t.coupon.recordDateOffsetDays) * DAY;
        uint256 earliest = INSTRUMENTS.canAct(id, msg.sender, Ops.DECLARE) ? recordDate : end;
        if (block.timestamp < earliest) revert CouponNotDue(number, earliest, msg.sender);

        // The fixed rate read here, not in `_rateWad`: the fixed path carries no fixing arguments.
        uint256 rateWad = t.coupon.floatingIndex == 0
            ? uint256(t.coupon.fixedRateBps) * BPS_TO_WAD
            : _rateWad(id, t, number, fixingRound, recordDate);
        uint256 perShare = _couponPerShare(t, rateWad, start, end);
        uint256 supply = token.totalSupply();
        uint256 increase = perShare;
        uint256 paid;
        if (supply != 0) {
            // The coupon and the arrears of earlier ones (SEC-131: a shortfall is cured at the
            // next recording the reserve can pay, to that coupon's holders of record).
            uint256 due = Math.mulDiv(supply, perShare, SCALE, Math.Rounding.Ceil);
            uint256 arrears = _couponShortfall;
            uint256 owing = due + arrears;
            uint256 reserve = _couponReserve;
            increase = owing > reserve ? reserve * SCALE / supply : perShare + arrears * SCALE / supply;
            paid = Math.mulDiv(supply, increase, SCALE, Math.Rounding.Ceil);
            // No underflow: paid <= min(owing, reserve) (each part floored, the coupon's ceiling
            // its due).
            uint256 shortfall = owing - paid;
            _couponReserve = reserve - paid;
            _couponShortfall = shortfall;
            if (owing > reserve) emit Defaulted(id, number, owing, paid);
            if (shortfall < arrears) emit ArrearsPaid(number, arrears - shortfall, shortfall);
        }
        uint256 next = number < count ? _recordDate(t, number + 1) : t.maturityDate;
        // Never reverts for an instrument the registry accepts (below 2^157: IBondServicer).
        uint256 index = (w.couponIndex() + increase).toUint192();
        _indexAfter[number] = index;
        _state = ServicingWordLibrary.pack(index, number, next, false);
        emit CouponRecorded(number, supply, perShare, increase, paid, next, msg.sender);
    }

    /// @inheritdoc IBondServicer
    /// @dev `fixingRound` is a uint256 (a uint80 round id): via-IR dispatches by selector in a
    /// linear order, and 0x38b0ea85 sorts after `claimCoupons` (the uint80 selector 0x0724d14b
    /// cost it and four others 22 gas; this one costs `redeemable` and `fundCoupons` 22).
    function startRedemption(uint256 fixingRound) external nonReentrant {
        uint256 id = _id();
        ServicingWord w = _state;
        if (w.nextRecordDate() == 0) revert ServicingNotStarted(id);
        if (w.redeeming()) revert RedemptionAlreadyStarted(id);
        InstrumentState memory s = INSTRUMENTS.stateOf(id);
        if (s.status != InstrumentStatus.Matured && s.status != InstrumentStatus.Closed) revert NotMatured(id);
        InstrumentTerms memory t = INSTRUMENTS.termsOf(id);
        uint256 count = _couponCount(t);
        uint256 next = w.lastRecorded() + 1;
        bool called = s.calledAt != 0;
        uint256 price;
        if (!called) {
            if (next <= count) revert CouponOutstanding(next);
            price = t.faceValue * ASSET_UNIT;
        } else {
            price = t.faceValue * t.call.callPriceBps / BPS * ASSET_UNIT;
            if (next <= count) {
                (uint256 start, uint256 end) = DayCount.couponPeriod(
                    t.issueDate, t.maturityDate, t.coupon.frequency, END_OF_MONTH, t.coupon.roll, next
                );
                if (end <= s.calledAt) revert CouponOutstanding(next);
                // The last coupon: accrued from its start to the call date.
                if (s.calledAt > start) {
                    price += _couponPerShare(
                        t, _rateWad(id, t, next, fixingRound.toUint80(), s.calledAt), start, s.calledAt
                    );
                }
            }
        }
        uint256 supply = token.totalSupply();
        // The coupons' arrears are paid with the principal, to the holders at redemption, and the
        // coupon reserve left funds them first (SEC-131): no coupon is recorded after this.
        (uint256 arrears, uint256 reserve) = (_couponShortfall, _couponReserve);
        if (supply != 0) price += arrears * SCALE / supply;
        _redemptionPrice = price;
        _redemptionSupply = supply;
        (_couponShortfall, _couponReserve) = (0, 0);
        _redemptionFunded += reserve;
        _state = ServicingWordLibrary.pack(w.couponIndex(), w.lastRecorded(), w.nextRecordDate(), true);
        if (arrears | reserve != 0) emit CouponPoolMoved(arrears, reserve);
        emit RedemptionStarted(id, price, supply, called);
        _raiseRedemptionIndex();
        uint256 due = Math.mulDiv(supply, price, SCALE, Math.Rounding.Ceil);
        if (_redemptionFunded < due) emit Defaulted(id, 0, due, _redemptionFunded);
    }

    /// @inheritdoc IBondServicer
    function redeem(address holder) external nonReentrant returns (uint256 coupons, uint256 redemption) {
        if (!_state.redeeming()) revert NotMatured(_id());
        _requirePayable(holder);
        coupons = _takeCoupons(holder);
        redemption = _settleRedemption(holder);
        if (redemption != 0) _redemptionOwed[holder] = 0;
        if (coupons | redemption != 0) {
            emit Paid(holder, coupons, redemption, msg.sender);
            PAYMENT_ASSET.safeTransfer(holder, coupons + redemption);
        }
    }

    // ================================================================ views

    /// @inheritdoc IBondServicer
    function servicing()
        external
        view
        returns (uint256 couponIndex, uint256 lastRecorded, uint256 nextRecordDate, bool redeeming)
    {
        ServicingWord w = _state;
        return (w.couponIndex(), w.lastRecorded(), w.nextRecordDate(), w.redeeming());
    }

    /// @inheritdoc IBondServicer
    function couponsOwed(address holder) external view returns (uint256) {
        ServicingWord w = _state;
        CouponAccount a = _coupons[holder];
        return a.owed() + _accruedCoupons(holder, a, w.lastRecorded(), w.couponIndex());
    }

    /// @inheritdoc IBondServicer
    function redeemable(address holder) external view returns (uint256) {
        return _redemptionOwed[holder] + token.balanceOf(holder) * (_redemptionIndex - _redeemedIndex[holder]) / SCALE;
    }

    /// @inheritdoc IBondServicer
    function couponPool() external view returns (uint256 reserve, uint256 shortfall) {
        return (_couponReserve, _couponShortfall);
    }

    /// @inheritdoc IBondServicer
    function redemptionPool()
        external
        view
        returns (uint256 pricePerShare, uint256 supply, uint256 funded, uint256 index, uint256 shortfall)
    {
        (pricePerShare, supply, funded, index) =
        (_redemptionPrice, _redemptionSupply, _redemptionFunded, _redemptionIndex);
        uint256 due = Math.mulDiv(supply, pricePerShare, SCALE, Math.Rounding.Ceil);
        shortfall = due > funded ? due - funded : 0;
    }

    /// @inheritdoc IBondServicer
    function paymentAsset() external view returns (IERC20) {
        return PAYMENT_ASSET;
    }

    /// @inheritdoc IBondServicer
    function instrumentRegistry() external view returns (IInstrumentRegistry) {
        return INSTRUMENTS;
    }

    // ================================================================ internal

    /// @inheritdoc IBondServicer
    /// @dev An agent's forced transfer or recovery moves its part of what `from` is owed.
    function beforeBalanceChange(BalanceChange kind, address from, address to, uint256 amount) external {
        if (msg.sender != address(token)) revert OnlyToken(msg.sender, address(token));
        ServicingWord w = _state;
        uint256 next = w.nextRecordDate();
        bool redeeming = w.redeeming();
        // An agent's move (a seizure, a recovery) goes through at any time (SEC-125): fixed
        // balances bind the holders' own transfers, mints and burns.
        bool agentMove = kind == BalanceChange.ForcedTransfer || kind == BalanceChange.Recovery;
        if (!agentMove) {
            if (redeeming) revert BalancesFixed(0, next);
            if (next != 0 && block.timestamp >= next) revert BalancesFixed(w.lastRecorded() + 1, next);
        }
        uint256 last = w.lastRecorded();
        uint256 index = w.couponIndex();
        uint256 owedFrom;
        uint256 owedTo;
        if (last != 0) {
            if (from != address(0)) owedFrom = _settleCoupons(from, last, index);
            if (to != address(0) && to != from) owedTo = _settleCoupons(to, last, index);
        }
        if (!agentMove || from == to || amount == 0) return;
        // A recovery names no amount (2^256 - 1: the whole holding). No division by zero: a part
        // is below the balance.
        uint256 balance = token.balanceOf(from);
        bool whole = amount >= balance;
        uint256 moved = whole ? owedFrom : owedFrom * amount / balance;
        if (moved != 0) {
            _coupons[from] = CouponAccountLibrary.pack(last, owedFrom - moved);
            _coupons[to] = CouponAccountLibrary.pack(last, owedTo + moved);
        }
        if (redeeming) {
            // Both settled at the index (what their balances earned so far), then `from`'s part of
            // it moves with the shares: the seized or recovered holding is claimed whole.
            uint256 redemptionFrom = _settleRedemption(from);
            uint256 redemptionTo = _settleRedemption(to);
            moved = whole ? redemptionFrom : redemptionFrom * amount / balance;
            _redemptionOwed[from] = redemptionFrom - moved;
            _redemptionOwed[to] = redemptionTo + moved;
        }
    }

    /// @dev `holder`'s redemption owed with what its balance earned since its last settlement, the
    /// holder settled at the index (its owed amount not stored: the caller writes it).
    function _settleRedemption(address holder) internal returns (uint256 owed) {
        owed = _redemptionOwed[holder];
        uint256 index = _redemptionIndex;
        uint256 last = _redeemedIndex[holder];
        if (index != last) {
            _redeemedIndex[holder] = index;
            // No underflow: the redemption index never decreases.
            owed += token.balanceOf(holder) * (index - last) / SCALE;
        }
    }

    /// @dev Reverts `HolderNotPayable` unless `holder` may be paid now (SEC-125, the freeze rule of
    /// ISecurityToken): verified in the token's registry (not under a sanctions freeze) and not
    /// frozen on the token. What it is owed stays, claimable once resolved.
    function _requirePayable(address holder) internal view {
        // A contract holder may account by its balance: a payment claimed for it by someone else in
        // the middle of its own call would count as that caller's money (SEC-159).
        if (msg.sender != holder && holder.code.length != 0) revert ClaimForAContract(holder, msg.sender);
        ISecurityToken share = ISecurityToken(address(token));
        (InvestorWord word,) = IIdentityRegistry(share.identityRegistry()).investorWords(holder, holder);
        if (!word.verified() || share.isFrozen(holder)) revert HolderNotPayable(holder);
    }

    /// @dev Settles `holder`'s coupons up to coupon `last` (index `index`); returns what it is owed.
    function _settleCoupons(address holder, uint256 last, uint256 index) internal returns (uint256 owed) {
        CouponAccount a = _coupons[holder];
        owed = a.owed();
        if (a.settledThrough() == last) return owed;
        owed += _accruedCoupons(holder, a, last, index);
        _coupons[holder] = CouponAccountLibrary.pack(last, owed);
    }

    /// @dev Settles and zeroes `holder`'s coupons; returns them.
    function _takeCoupons(address holder) internal returns (uint256 owed) {
        ServicingWord w = _state;
        uint256 last = w.lastRecorded();
        CouponAccount a = _coupons[holder];
        owed = a.owed() + _accruedCoupons(holder, a, last, w.couponIndex());
        if (owed != 0 || a.settledThrough() != last) _coupons[holder] = CouponAccountLibrary.pack(last, 0);
    }

    /// @dev floor(balance * (index - the index after the holder's last settled coupon) / SCALE); 0
    /// when it was settled at coupon `last`. No overflow: balance < 2^96 and index < 2^157 for
    /// every instrument the registry accepts (IBondServicer); no underflow: the index never
    /// decreases.
    function _accruedCoupons(address holder, CouponAccount a, uint256 last, uint256 index)
        internal
        view
        returns (uint256)
    {
        uint256 through = a.settledThrough();
        if (through == last) return 0;
        uint256 settled = through == 0 ? 0 : _indexAfter[through];
        return token.balanceOf(holder) * (index - settled) / SCALE;
    }

    /// @dev R <- min(price, funded * SCALE / supply) (0 supply: the price); never lowered.
    function _raiseRedemptionIndex() internal {
        uint256 price = _redemptionPrice;
        uint256 supply = _redemptionSupply;
        uint256 next = supply == 0 ? price : Math.min(price, _redemptionFunded * SCALE / supply);
        uint256 previous = _redemptionIndex;
        if (next <= previous) return;
        _redemptionIndex = next;
        emit RedemptionIndexRaised(previous, next);
    }

    /// @dev Coupon per whole share over [start, end] at `rateWad`, payment-asset base units times 1e18.
    function _couponPerShare(InstrumentTerms memory t, uint256 rateWad, uint256 start, uint256 end)
        internal
        view
        returns (uint256)
    {
        return DayCount.couponAmount(t.faceValue, rateWad, t.coupon.dayCount, start, end) * ASSET_UNIT;
    }

    /// @dev Coupon `number`'s annual rate in WAD: the fixed rate, or for a floating coupon the
    /// index in force at `fixingDate` (see IBondServicer: round `roundId` of the primary feed the
    /// OracleRouter holds under `rateIndexKey`, proven the last published at or before
    /// `fixingDate`, or when that one was stale the first after it, `FixingFallback`), as
    /// max(0, max(0, index) + spread), emitting `CouponFixed`.
    function _rateWad(uint256 id, InstrumentTerms memory t, uint256 number, uint80 roundId, uint256 fixingDate)
        internal
        returns (uint256)
    {
        uint16 floatingIndex = t.coupon.floatingIndex;
        if (floatingIndex == 0) return uint256(t.coupon.fixedRateBps) * BPS_TO_WAD;
        FeedConfig memory config = INSTRUMENTS.oracle().feedOf(rateIndexKey(floatingIndex));
        AggregatorV3Interface feed = config.primary;
        if (address(feed) == address(0)) revert FixingUnavailable(id, floatingIndex, PriceStatus.NoFeed);
        (bool found, int256 answer, uint256 updatedAt) = _round(feed, roundId);
        if (!found) {
            // A feed that answers nothing at all is down; one that answers its latest round was given a wrong id.
            try feed.latestRoundData() returns (uint80, int256, uint256, uint256, uint80) {}
            catch {
                revert FixingUnavailable(id, floatingIndex, PriceStatus.FeedReverted);
            }
            revert NotFixingRound(id, roundId, 0, fixingDate);
        }
        if (updatedAt > fixingDate) {
            // The fallback named: the first round after `fixingDate`, the one in force stale.
            _checkFallback(id, feed, roundId, updatedAt, fixingDate, config.primaryHeartbeat);
            emit FixingFallback(id, number, roundId, updatedAt);
        } else {
            (uint80 next, int256 nextAnswer, uint256 nextAt) = _checkNextRound(id, feed, roundId, fixingDate);
            // No underflow: updatedAt <= fixingDate here.
            if (fixingDate - updatedAt > config.primaryHeartbeat) {
                // Stale: the fallback is the round after it, if one was published yet.
                if (next == 0) revert StaleFixing(id, updatedAt, config.primaryHeartbeat);
                (roundId, answer, updatedAt) = (next, nextAnswer, nextAt);
                emit FixingFallback(id, number, roundId, updatedAt);
            }
        }
        uint256 index;
        if (answer > 0) {
            // The router's normalisation to 18 decimals and bounds, on the round's answer.
            uint8 decimals = feed.decimals();
            index = decimals <= 18 ? uint256(answer) * 10 ** (18 - decimals) : uint256(answer) / 10 ** (decimals - 18);
            if (index < config.minPrice || index > config.maxPrice) {
                revert FixingUnavailable(id, floatingIndex, PriceStatus.OutOfBounds);
            }
        }
        // A non-positive index counts as 0 (the floor): index stays 0. Above MAX_RATE_WAD the rate
        // is capped (the bound the coupon index is sized for). No overflow: index < 2^128.
        int256 rate = int256(index) + int256(t.coupon.spreadBps) * int256(BPS_TO_WAD);
        uint256 rateWad = rate > 0 ? Math.min(uint256(rate), MAX_RATE_WAD) : 0;
        emit CouponFixed(id, number, index, t.coupon.spreadBps, rateWad, updatedAt);
        return rateWad;
    }

    /// @dev Reverts `FixingRoundSuperseded` unless round `roundId` (published at or before
    /// `fixingDate`) was still the feed's answer at `fixingDate`: the round after it, `roundId + 1`
    /// in its phase, was published after `fixingDate`; or there is none and `roundId` is the
    /// latest; or `roundId` is the last of its phase and the next phase's first round was published
    /// after `fixingDate` (an aggregator upgrade behind the proxy). A later round that cannot be
    /// ordered this way (a phase skipped) is refused: `FixingRoundSuperseded(.., latest, 0, ..)`.
    /// Returns that next round (id, answer, publication), id 0 when there is none.
    function _checkNextRound(uint256 id, AggregatorV3Interface feed, uint80 roundId, uint256 fixingDate)
        internal
        view
        returns (uint80 next, int256 nextAnswer, uint256 nextAt)
    {
        next = roundId + 1;
        bool found;
        (found, nextAnswer, nextAt) = _round(feed, next);
        if (!found) {
            (uint80 latest,,,,) = feed.latestRoundData();
            if (latest == roundId) return (0, 0, 0);
            next = uint80((((uint256(roundId) >> PHASE_OFFSET) + 1) << PHASE_OFFSET) | 1);
            (found, nextAnswer, nextAt) = _round(feed, next);
            if (!found) revert FixingRoundSuperseded(id, roundId, latest, 0, fixingDate);
        }
        if (nextAt <= fixingDate) revert FixingRoundSuperseded(id, roundId, next, nextAt, fixingDate);
    }

    /// @dev Reverts `NotFixingRound(id, roundId, updatedAt, fixingDate)` unless round `roundId`,
    /// published at `updatedAt` after `fixingDate`, is the fallback fixing: the first round after
    /// `fixingDate`, the round in force then stale (older than `heartbeat`) or none. Its
    /// predecessor is `roundId - 1` (phase 1's first round may have none, a feed's first); a
    /// later phase's first round is refused (the previous phase's last round cannot be found in
    /// O(1): name the stale round in force instead, `_rateWad` then takes the round after it).
    function _checkFallback(
        uint256 id,
        AggregatorV3Interface feed,
        uint80 roundId,
        uint256 updatedAt,
        uint256 fixingDate,
        uint256 heartbeat
    ) internal view {
        if (roundId != 0) {
            (bool found,, uint256 previousAt) = _round(feed, roundId - 1);
            // No underflow: previousAt <= fixingDate checked first.
            if (found && previousAt <= fixingDate && fixingDate - previousAt > heartbeat) return;
            // The feed's first round: none before it.
            if (!found && uint64(roundId) == 1 && roundId >> PHASE_OFFSET <= 1) return;
        }
        revert NotFixingRound(id, roundId, updatedAt, fixingDate);
    }

    /// @dev Round `roundId` of `feed`: `found` false when the feed reverts or has no such round
    /// (Chainlink's aggregators either revert or answer a zero timestamp).
    function _round(AggregatorV3Interface feed, uint80 roundId)
        internal
        view
        returns (bool found, int256 answer, uint256 updatedAt)
    {
        try feed.getRoundData(roundId) returns (uint80, int256 answer_, uint256, uint256 updatedAt_, uint80) {
            return (updatedAt_ != 0, answer_, updatedAt_);
        } catch {
            return (false, 0, 0);
        }
    }

    function _couponCount(InstrumentTerms memory t) internal pure returns (uint256) {
        // The registry's terms pay coupons exactly when they have a frequency (fixed or floating).
        if (t.coupon.frequency == 0) return 0;
        return DayCount.couponCount(t.issueDate, t.maturityDate, t.coupon.frequency, END_OF_MONTH, t.coupon.roll);
    }

    /// @dev Coupon `number`'s record date: its payment date less the record-date offset.
    function _recordDate(InstrumentTerms memory t, uint256 number) internal pure returns (uint256) {
        (, uint256 end) =
            DayCount.couponPeriod(t.issueDate, t.maturityDate, t.coupon.frequency, END_OF_MONTH, t.coupon.roll, number);
        return end - uint256(t.coupon.recordDateOffsetDays) * DAY;
    }

    function _id() internal view returns (uint256 id) {
        id = INSTRUMENTS.idOfShareToken(address(token));
        if (id == 0) revert NoInstrument(address(token));
    }
}
