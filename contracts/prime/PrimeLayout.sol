// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IPrimeBrokerErrors, MarginTier, IncomeKind} from "../../interfaces/IPrimeBroker.sol";
import {ILendingPool} from "../../interfaces/ILendingPool.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IERC3643Token} from "../../interfaces/erc3643/IERC3643Token.sol";
import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IIdentityRegistry, Investor} from "../../interfaces/IIdentityRegistry.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {TradePayment} from "../vault/TradePayment.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title PrimeLayout
/// @notice The prime broker's storage, described once, and the accounting both its halves use: the
/// broker (governance, accounts, margin) and the liquidation module it runs by DELEGATECALL on
/// this same storage (so that each stays under the EIP-170 limit with room; Euler v1's and
/// Aave v3's split of one state over several code contracts). Nothing here is external.
abstract contract PrimeLayout is IPrimeBrokerErrors {
    using SafeERC20 for IERC20;

    /// @notice Listed assets (collateral and borrowable together): the bound of every loop over an
    /// account's holdings and debts (each a bit of a 16-bit mask).
    uint256 public constant MAX_ASSETS = 16;
    uint256 public constant MAX_TIERS = 4;
    /// @notice Tier bounds: liquidation at 102% at least, initial margin at most 400%, a bonus of at
    /// most 15% (Morpho Blue's cap) and below the liquidation ratio's excess, a grace period of an
    /// hour to a week, a close factor of 20% to 100%.
    uint256 public constant MIN_LIQUIDATION_BPS = 10_200;
    uint256 public constant MAX_INITIAL_BPS = 40_000;
    uint256 public constant MAX_BONUS_BPS = 1_500;
    uint256 public constant MIN_GRACE_PERIOD = 1 hours;
    uint256 public constant MAX_GRACE_PERIOD = 7 days;
    uint256 public constant MIN_CLOSE_FACTOR_BPS = 2_000;
    /// @notice Basel's 1250%: the largest risk weight (a 100% haircut).
    uint256 public constant MAX_RISK_WEIGHT_BPS = 125_000;
    /// @notice A sale through the broker — a liquidation's, or an account's swap (SEC-151) — must
    /// fetch at least the oracle value of what it sells less this.
    uint256 public constant MAX_LIQUIDATION_SLIPPAGE_BPS = 300;
    /// @notice Longest a margin call stays live without being seen below maintenance again (the
    /// tier's grace period when shorter): a call the account recovered from lapses (SEC-24).
    uint256 public constant MARGIN_CALL_HEARTBEAT = 1 days;
    /// @notice Collateral a liquidation leaves behind is dust, and the account's debts are written
    /// off, when it cannot repay one unit of the debt repaid and is worth at most this: one USD
    /// (18 decimals; SEC-23). Beside assigned debt, worth at most this alone (SEC-238).
    uint256 public constant MAX_DUST_USD = 1e18;
    /// @notice A sale recovering assigned debt may fetch less than the repayment quoted (its bonus
    /// is 0 below a ratio of 100%) by at most this: it recovers what it fetched (SEC-238).
    uint256 public constant MAX_RECOVERY_SHORTFALL_BPS = 100;
    /// @dev A carry is re-marked once the claims' haircut value is below it by more than this
    /// share (and MAX_DUST_USD): one re-mark per 5% fall, not one per tick (SEC-234, round 7 M1).
    uint256 internal constant REMARK_MARGIN_BPS = 500;
    /// @dev The modules' layout ids (in their `moduleId`, `_moduleId`): bump one when this layout
    /// changes.
    bytes32 internal constant MARGIN_MODULE_ID = keccak256("quantera.prime.PrimeMargin.1");
    bytes32 internal constant LIQUIDATION_MODULE_ID = keccak256("quantera.prime.PrimeLiquidation.1");
    bytes32 internal constant VIEWS_MODULE_ID = keccak256("quantera.prime.PrimeViews.1");
    /// @dev A BondServicer's index denominator (IBondServicer.SCALE, checked at `setIncome`).
    uint256 internal constant SERVICER_SCALE = 1e36;

    IIdentityRegistry internal immutable _registry;
    IOracleRouter internal immutable _oracle;
    ILiquidityAggregator internal immutable _aggregator;

    /// @dev One listed asset, one word, by address: its 1-based index in `_entries` (0: not
    /// listed), decimals, risk weight, lending pool (zero: not borrowable) and whether it bears
    /// income (`_incomes`: settled before its balances move).
    struct Listing {
        uint8 slot;
        uint8 decimals;
        uint32 riskWeightBps;
        ILendingPool pool;
        bool income;
    }

    /// @dev The same listed asset by index, one word (the index an account's masks use): what the
    /// margin check's loop reads per asset in one cold load instead of two. Written only with its
    /// Listing (`setCollateral`), which it mirrors.
    struct Entry {
        address asset;
        uint8 decimals;
        uint32 riskWeightBps;
        bool income;
    }

    /// @dev One account, one word. `heldMask` / `debtMask` / `assignedMask`: bit i set when the
    /// account holds / owes the pool / owes assigned debt (`_assigned`) of asset i of `_entries`.
    struct Account {
        bool open;
        uint8 tier;
        uint16 spreadBps;
        uint40 marginCallAt;
        uint32 liquidations;
        uint16 heldMask;
        uint16 debtMask;
        uint96 limitUsd;
        uint16 assignedMask;
    }

    /// @dev Caps, read only where collateral grows.
    struct Caps {
        uint128 capTotal;
        uint128 capPerAccount;
    }

    /// @dev A listed asset's income (IPrimeBroker "Income"): its kind and source (one word) and
    /// its payment asset.
    struct Income {
        IncomeKind kind;
        address source;
        address payAsset;
    }

    /// @dev An account's marks on one income-bearing asset: the source's indices at its last
    /// settlement (a note's coupon and redemption indices; an income share class's income index in
    /// `coupon`, `redemption` unused).
    struct IncomeMark {
        uint256 coupon;
        uint256 redemption;
    }

    /// @dev An account's figures in one pass over its assets; with the prices of two assets the
    /// caller named (a liquidation's debt and collateral) read on the way, zero if not held or owed.
    struct Figures {
        uint256 collateralUsd;
        uint256 adjustedCollateralUsd;
        uint256 debtUsd;
        uint256 adjustedDebtUsd;
        uint256 ratioBps;
        uint256 priceX;
        uint256 priceY;
        /// The account's debt of `x` (units): the pool's and the assigned debt together.
        uint256 debtX;
        /// The part of `collateralUsd` (and of `adjustedCollateralUsd`) that is matured notes'
        /// unpaid redemption claims (`_retired`): counted, never seizable (SEC-160, SEC-161).
        uint256 claimUsd;
        uint256 adjustedClaimUsd;
        /// The account's assigned debt its pools still carry at face (`_carried`), valued up: a
        /// liquidation re-marks it once it exceeds `adjustedClaimUsd` by more than dust (SEC-234).
        uint256 carriedUsd;
        /// A balance without a usable price (valued 0), if any: no write-off beside it (SEC-162).
        address unpriced;
    }

    Entry[MAX_ASSETS] internal _entries;
    uint256 internal _assetCount;
    mapping(address asset => Listing) internal _listings;
    mapping(address asset => Caps) internal _caps;
    mapping(address asset => uint256) internal _totalCollateral;
    MarginTier[MAX_TIERS] internal _tiers;
    mapping(address account => Account) internal _accounts;
    mapping(address account => mapping(address asset => uint256)) internal _balances;
    mapping(address asset => Income) internal _incomes;
    mapping(address account => mapping(address asset => IncomeMark)) internal _incomeMarks;
    /// @dev When the account's open margin call was last seen below maintenance (SEC-24).
    mapping(address account => uint256) internal _callSeenAt;
    /// @dev A matured note's units that left the account's collateral (`_balances`; still counted in
    /// `_totalCollateral`) for the cash they were redeemed for: still its claim on a top-up. While
    /// the redemption is incomplete the asset's `heldMask` bit stays set and the claim is valued
    /// (`_figures`); a write-off leaves it to the account, its debts assigned to it (SEC-190).
    mapping(address account => mapping(address asset => uint256)) internal _retired;
    /// @dev Debt of `asset` written off while the account kept a claim on a matured note's
    /// redemption: still the account's debt, without interest, recovered to the pool from what the
    /// claim pays; its pool carries `_carried` of it, and realised the rest (IPrimeBroker
    /// "Assigned debt", SEC-190, SEC-234).
    mapping(address account => mapping(address asset => uint256)) internal _assigned;
    /// @dev The accounts' assigned debt of `asset` together: its pool is not changed under it.
    mapping(address asset => uint256) internal _totalAssigned;
    /// @dev The part of `_assigned` its pool still carries at face in `totalAssets` (ILendingPool
    /// `assignedDebt`, the sum of these over the accounts, PRM-55): at most the claims' haircut
    /// value when last marked; the rest was realised (SEC-234). A recovery pays it first.
    mapping(address account => mapping(address asset => uint256)) internal _carried;

    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_) {
        _registry = registry_;
        _oracle = oracle_;
        _aggregator = aggregator_;
    }

    /// @dev The id of the module of layout `layoutId` built on this contract's registry, oracle and
    /// aggregator (a module's `moduleId`, which the broker's constructor compares with its own): a
    /// module built on another registry, oracle or aggregator — which it would read, run on the
    /// broker's storage — is refused (helper-107 M-1: an upgrade's new module built on the
    /// OracleRouter's code, whose storage is empty, would have stopped every liquidation).
    function _moduleId(bytes32 layoutId) internal view returns (bytes32) {
        return keccak256(abi.encode(layoutId, _registry, _oracle, _aggregator));
    }

    /// @dev Runs `route` (tokenIn `sell`, tokenOut `buy`, recipient this broker) paying at most
    /// `most` of `sell`; returns what it spent and the broker's measured gain of `buy`.
    function _sell(bytes calldata route, address sell, address buy, uint256 most)
        internal
        returns (uint256 sold, uint256 bought)
    {
        {
            address tokenIn = RouteCodec.tokenIn(route);
            address tokenOut = RouteCodec.tokenOut(route);
            address recipient = RouteCodec.recipient(route);
            if (tokenIn != sell || tokenOut != buy || recipient != address(this)) {
                revert InvalidRoute(tokenIn, tokenOut, recipient);
            }
        }
        uint256 before = IERC20(buy).balanceOf(address(this));
        TradePayment.open(address(_aggregator), sell, most);
        _aggregator.swapWithCallback(route);
        (,, uint256 remaining) = TradePayment.current();
        TradePayment.close();
        sold = most - remaining;
        bought = IERC20(buy).balanceOf(address(this)) - before;
    }

    /// @dev A sale of `sold` units (price `priceIn`, `decIn` decimals) fetched `bought` units
    /// (`priceOut`, `decOut`): at least its oracle value less MAX_LIQUIDATION_SLIPPAGE_BPS. Returns
    /// that oracle value (units of the output, rounded down).
    function _requireOracleFloor(
        uint256 sold,
        uint256 priceIn,
        uint8 decIn,
        uint256 bought,
        uint256 priceOut,
        uint8 decOut
    ) internal pure returns (uint256 fair) {
        fair = MarginMath.seized(sold, priceIn, decIn, priceOut, decOut, 0);
        uint256 floor = fair * (BPS - MAX_LIQUIDATION_SLIPPAGE_BPS) / BPS;
        if (bought < floor) revert SwapOutputBelowOracle(bought, floor);
    }

    // ================================================================ internal: accounting

    function _credit(address account, Account memory a, Listing memory l, address asset, uint256 amount, bool capped)
        internal
    {
        uint256 balance = _balances[account][asset] + amount;
        uint256 total = _totalCollateral[asset] + amount;
        if (capped) {
            Caps memory caps = _caps[asset];
            if (total > caps.capTotal) revert CapExceeded(asset, total, caps.capTotal, false);
            if (balance > caps.capPerAccount) revert CapExceeded(asset, balance, caps.capPerAccount, true);
        }
        _balances[account][asset] = balance;
        _totalCollateral[asset] = total;
        if (amount != 0) a.heldMask |= _bit(l);
    }

    function _debit(address account, Account memory a, Listing memory l, address asset, uint256 amount) internal {
        uint256 balance = _balances[account][asset];
        if (amount > balance) revert InsufficientBalance(account, asset, balance, amount);
        // No underflow: amount <= balance <= totalCollateral.
        unchecked {
            _balances[account][asset] = balance - amount;
            _totalCollateral[asset] -= amount;
        }
        // A claim keeps its bit (round 9 I1: a debit of 0 beside retired units hid it).
        if (balance == amount && _retired[account][asset] == 0) a.heldMask &= ~_bit(l);
    }

    /// @dev Takes `amount` recovered of the account's assigned debt of `asset` off what its pool
    /// carries, first (SEC-234); returns that part (ILendingPool `recoverBadDebt`'s `carried`).
    function _uncarry(address account, address asset, uint256 amount) internal returns (uint256 paid) {
        uint256 carried = _carried[account][asset];
        paid = Math.min(amount, carried);
        // No underflow: paid <= carried.
        unchecked {
            if (paid != 0) _carried[account][asset] = carried - paid;
        }
    }

    /// @dev Whether the account's carried debt is to be re-marked (SEC-234): its pools carry more
    /// than the claims' haircut value by more than REMARK_MARGIN_BPS and MAX_DUST_USD. A claim's
    /// part without a usable price counts 0 here as in the margin (SEC-198: silence is no
    /// promise; round 8 #1: a defaulted note's feed goes stale or out of bounds, and keeping the
    /// carry for it kept it for good).
    function _remark(Figures memory f) internal pure returns (bool) {
        return f.carriedUsd * BPS > (f.adjustedClaimUsd + MAX_DUST_USD) * (BPS + REMARK_MARGIN_BPS);
    }

    /// @dev Sets the account's assigned debt of `asset` (`bit`, its bit) to `next`, and the asset's
    /// total with it.
    function _assign(address account, Account memory a, address asset, uint16 bit, uint256 next) internal {
        uint256 previous = _assigned[account][asset];
        _assigned[account][asset] = next;
        // No underflow: the total is the sum of the accounts' assigned debts, `previous` among them.
        _totalAssigned[asset] = _totalAssigned[asset] - previous + next;
        if (next != 0) a.assignedMask |= bit;
        else a.assignedMask &= ~bit;
        emit DebtAssigned(account, asset, previous, next);
    }

    function _clearCall(address account, uint256 ratio) internal {
        _accounts[account].marginCallAt = 0;
        emit MarginCallCleared(account, ratio);
    }

    // ================================================================ internal: views

    function _figures(address account, Account memory a) internal view returns (Figures memory) {
        return _figures(account, a, address(0), address(0));
    }

    /// @dev One pass over the account's held and owed assets (bounded by MAX_ASSETS), live prices;
    /// the prices of `x` and `y` kept when the account holds or owes them (0 for a holding without
    /// a usable price, valued 0). A debt is the pool's and the assigned debt together.
    function _figures(address account, Account memory a, address x, address y)
        internal
        view
        returns (Figures memory f)
    {
        uint256 owed = uint256(a.debtMask) | a.assignedMask;
        uint256 mask = uint256(a.heldMask) | owed;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                Entry memory e = _entries[i];
                (PriceStatus status, uint256 price,) = _oracle.priceOf(e.asset);
                // No usable price: a holding counts 0 (SEC-153: one unit of an asset whose feed
                // failed cannot block the account's margin call and liquidation); a debt cannot
                // be valued, so the router's `price` reverts `PriceUnavailable` for it.
                if (price == 0 || status > PriceStatus.Fallback) {
                    if ((owed >> i) & 1 != 0) _oracle.price(e.asset);
                    price = 0;
                }
                if (e.asset == x) f.priceX = price;
                if (e.asset == y) f.priceY = price;
                uint256 haircut = MarginMath.haircutBps(e.riskWeightBps);
                if ((a.heldMask >> i) & 1 != 0) {
                    uint256 balance = _balances[account][e.asset];
                    // A balance without a usable price: no write-off beside it (SEC-162: its value is
                    // not known to be dust). A matured note's claim alone has its terms' (SEC-192).
                    if (price == 0 && balance != 0) f.unpriced = e.asset;
                    uint256 value = MarginMath.valueDown(balance, price, e.decimals);
                    if (e.income) {
                        uint256 claim = _claimValue(account, e.asset, price, e.decimals);
                        f.claimUsd += claim;
                        f.adjustedClaimUsd += MarginMath.adjustedCollateral(claim, haircut);
                        value += claim;
                    }
                    f.collateralUsd += value;
                    f.adjustedCollateralUsd += MarginMath.adjustedCollateral(value, haircut);
                }
                if ((owed >> i) & 1 != 0) {
                    // Assigned debt bears no interest (SEC-191); the pool's accrues.
                    uint256 debt;
                    if ((a.assignedMask >> i) & 1 != 0) {
                        debt = _assigned[account][e.asset];
                        f.carriedUsd += MarginMath.valueUp(_carried[account][e.asset], price, e.decimals);
                    }
                    if ((a.debtMask >> i) & 1 != 0) debt += _listings[e.asset].pool.debtOf(account, a.spreadBps);
                    if (e.asset == x) f.debtX = debt;
                    uint256 value = MarginMath.valueUp(debt, price, e.decimals);
                    f.debtUsd += value;
                    f.adjustedDebtUsd += MarginMath.adjustedDebt(value, haircut);
                }
            }
            mask >>= 1;
        }
        f.ratioBps = MarginMath.ratioBps(f.adjustedCollateralUsd, f.adjustedDebtUsd);
    }

    /// @dev What the account's matured units of `asset` (a note) are still owed by its servicer's
    /// terms, in two parts (SEC-198): the funded part, `retired x (index - paid) / SCALE` of the
    /// payment asset (the redemption index is cash the servicer holds), at that asset's price; and
    /// the unfunded part, `retired x (pricePerShare - max(index, paid)) / SCALE`, at most the same
    /// part of the notes' value at the note's `price`, and 0 while the note has no usable price
    /// (`price` 0: stale, out of bounds, non-positive or failing its cross-check alike — silence is
    /// no promise of the issuer's). 0 without retired units, or without a usable payment price.
    function _claimValue(address account, address asset, uint256 price, uint8 decimals)
        internal
        view
        returns (uint256 value)
    {
        uint256 retired = _retired[account][asset];
        if (retired == 0) return 0;
        Income memory inc = _incomes[asset];
        (uint256 pricePerShare,,, uint256 index,) = IBondServicer(inc.source).redemptionPool();
        uint256 paid = _incomeMarks[account][asset].redemption;
        if (paid >= pricePerShare) return 0;
        (PriceStatus status, uint256 payPrice,) = _oracle.priceOf(inc.payAsset);
        if (status > PriceStatus.Fallback) return 0;
        uint8 payDecimals = _listings[inc.payAsset].decimals;
        // No underflow: paid <= funded <= pricePerShare (the index never exceeds the price).
        uint256 funded = Math.min(Math.max(index, paid), pricePerShare);
        value = MarginMath.valueDown(Math.mulDiv(retired, funded - paid, SERVICER_SCALE), payPrice, payDecimals);
        if (price != 0 && funded < pricePerShare) {
            uint256 unfunded = pricePerShare - funded;
            value += Math.min(
                MarginMath.valueDown(Math.mulDiv(retired, unfunded, SERVICER_SCALE), payPrice, payDecimals),
                Math.mulDiv(MarginMath.valueDown(retired, price, decimals), unfunded, pricePerShare)
            );
        }
    }

    /// @dev The ratio new debt and withdrawals are judged by: matured notes' claims excluded (they
    /// support the debt already there, never new debt: no liquidation can sell them).
    function _initialRatio(Figures memory f) internal pure returns (uint256) {
        return MarginMath.ratioBps(f.adjustedCollateralUsd - f.adjustedClaimUsd, f.adjustedDebtUsd);
    }

    function _requireOpen(address account) internal view returns (Account memory a) {
        a = _accounts[account];
        if (!a.open) revert NoAccount(account);
    }

    function _requireListed(address asset) internal view returns (Listing memory l) {
        l = _listings[asset];
        if (l.slot == 0) revert AssetNotListed(asset);
    }

    /// @dev `wallet` is a verified, unfrozen wallet of the identity `account`.
    function _requireWallet(address wallet, address account) internal view {
        Investor memory investor = _registry.investorOf(wallet);
        if (!investor.verified || investor.frozen) revert WalletNotVerified(wallet);
        if (investor.identity != account) revert NotAccountWallet(wallet, account);
    }

    /// @dev The executing wallet (a verified wallet of `account`) may receive `amount` of `asset`:
    /// the asset's compliance engine allows it as an issue to that wallet (the recipient's rules:
    /// jurisdiction, class, holder caps, its balance limit; not the broker's own flow limits).
    /// What the broker credits an account that it did not pay in itself — bought or borrowed into
    /// it — is a holding of its identity (SEC-152). An asset without a compliance engine (cash)
    /// is not checked.
    function _requireEligible(address account, address asset, uint256 amount) internal view {
        (bool ok, bytes memory data) = asset.staticcall(abi.encodeCall(IERC3643Token.compliance, ()));
        if (!ok || data.length < 32) return;
        uint8 code =
            IComplianceEngine(abi.decode(data, (address))).detectTransferRestriction(address(0), msg.sender, amount);
        if (code != 0) revert AssetNotEligible(account, asset, code);
    }

    function _bit(Listing memory l) internal pure returns (uint16) {
        return uint16(1 << (l.slot - 1));
    }
}
