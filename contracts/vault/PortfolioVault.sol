// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPortfolioVault, TradeParams} from "../../interfaces/IPortfolioVault.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";
import {IRiskEngine, IRiskManagedPortfolio} from "../../interfaces/IRiskEngine.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {TradePayment} from "./TradePayment.sol";
import {ShareCompliance} from "../libraries/ShareCompliance.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title PortfolioVault
/// @notice Risk-guarded multi-asset portfolio with ERC-4626 shares (see IPortfolioVault).
contract PortfolioVault is IPortfolioVault, ISwapPayer, ERC4626, AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Assets held, settlement asset included (the RiskEngine's bound).
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Highest dealing fee (anti-dilution levy), bps of what is dealt.
    uint16 public constant MAX_DEALING_FEE_BPS = 200;
    /// @dev Virtual shares (OpenZeppelin's inflation-attack defence): shares have 6 more decimals.
    uint8 internal constant DECIMALS_OFFSET = 6;

    IRiskEngine public immutable riskEngine;
    IOracleRouter public immutable oracle;
    IIdentityRegistry public immutable registry;

    address[] private _assets;
    mapping(address venue => bool) public isVenue;
    /// @inheritdoc IPortfolioVault
    address public shareCompliance;
    /// @inheritdoc IPortfolioVault
    uint16 public dealingFeeBps;

    constructor(
        address authority,
        IERC20 settlement,
        string memory name_,
        string memory symbol_,
        IRiskEngine riskEngine_,
        IOracleRouter oracle_,
        IIdentityRegistry registry_
    ) ERC4626(settlement) ERC20(name_, symbol_) AccessManaged(authority) {
        riskEngine = riskEngine_;
        oracle = oracle_;
        registry = registry_;
        _assets.push(address(settlement));
        emit AssetAdded(address(settlement), 0);
    }

    // ================================================================ governance

    /// @inheritdoc IPortfolioVault
    function addAsset(address token) external restricted {
        uint256 count = _assets.length;
        if (count >= MAX_ASSETS) revert TooManyAssets(MAX_ASSETS);
        if (_indexOf(token) != type(uint256).max) revert AssetAlreadyListed(token);
        _assets.push(token);
        emit AssetAdded(token, count);
    }

    /// @inheritdoc IPortfolioVault
    function setVenue(address venue, bool allowed) external restricted {
        emit VenueSet(venue, isVenue[venue], allowed);
        isVenue[venue] = allowed;
    }

    /// @inheritdoc IPortfolioVault
    function setDealingFee(uint16 feeBps) external restricted {
        if (feeBps > MAX_DEALING_FEE_BPS) revert DealingFeeTooHigh(feeBps, MAX_DEALING_FEE_BPS);
        emit DealingFeeSet(dealingFeeBps, feeBps);
        dealingFeeBps = feeBps;
    }

    /// @inheritdoc IPortfolioVault
    function setShareCompliance(address engine) external restricted {
        emit ShareComplianceSet(shareCompliance, engine);
        shareCompliance = engine;
        ShareCompliance.bind(engine, address(registry));
    }

    // ================================================================ trading (EXECUTOR)

    /// @inheritdoc IPortfolioVault
    function trade(TradeParams calldata t) external restricted nonReentrant returns (uint256 sold, uint256 bought) {
        address[] memory list = _assets;
        (uint256[] memory before, uint256[] memory expected) = _balancesTwice(list);
        (sold, bought) = _trade(t, list, expected);
        _settle(list, before, expected);
    }

    /// @inheritdoc IPortfolioVault
    function tradeBatch(TradeParams[] calldata trades)
        external
        restricted
        nonReentrant
        returns (uint256[] memory sold, uint256[] memory bought)
    {
        uint256 count = trades.length;
        if (count == 0 || count > MAX_ASSETS) revert InvalidTradeCount(count, MAX_ASSETS);
        address[] memory list = _assets; // read once: every trade looks its assets up in it
        (uint256[] memory before, uint256[] memory expected) = _balancesTwice(list);
        sold = new uint256[](count);
        bought = new uint256[](count);
        // Bounded: count <= MAX_ASSETS.
        for (uint256 k; k < count; ++k) {
            (sold[k], bought[k]) = _trade(trades[k], list, expected);
        }
        _settle(list, before, expected);
    }

    /// @inheritdoc ISwapPayer
    /// @dev Only inside a running trade (TradePayment), for its venue, in its sell token, at most
    /// its sell amount in total. Not `nonReentrant`: it runs inside the trade, which holds the lock.
    function payForSwap(address token, address to, uint256 amount) external {
        (address venue, address sellAsset, uint256 remaining) = TradePayment.current();
        // No trade running: the venue slot is clear (the sell token's may hold the last trade's).
        if (venue == address(0)) revert PaymentNotExpected(msg.sender, token, address(0), address(0));
        if (msg.sender != venue || token != sellAsset) revert PaymentNotExpected(msg.sender, token, venue, sellAsset);
        if (amount > remaining) revert PaymentAboveTrade(token, amount, remaining);
        // No underflow: amount <= remaining.
        unchecked {
            TradePayment.setRemaining(remaining - amount);
        }
        IERC20(token).safeTransfer(to, amount);
    }

    // ================================================================ investors

    /// @inheritdoc ERC4626
    /// @dev Verified receiver and caller, portfolio not halted; NAV from live oracle prices.
    function deposit(uint256 assets_, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        _requireCanDeposit(receiver);
        return super.deposit(assets_, receiver);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override(ERC4626, IERC4626) nonReentrant returns (uint256) {
        _requireCanDeposit(receiver);
        return super.mint(shares, receiver);
    }

    /// @inheritdoc ERC4626
    function withdraw(uint256 assets_, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        return super.withdraw(assets_, receiver, owner);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        return super.redeem(shares, receiver, owner);
    }

    /// @inheritdoc IPortfolioVault
    function redeemInKind(uint256 shares, address receiver, address owner)
        external
        nonReentrant
        returns (uint256[] memory amounts)
    {
        if (shares == 0) revert ZeroShares();
        _requireNotFrozen(msg.sender, receiver);
        if (msg.sender != owner) _spendAllowance(owner, msg.sender, shares);
        uint256 supply = totalSupply();
        amounts = holdings();
        uint256 fee = dealingFeeBps;
        // Bounded: assets <= MAX_ASSETS. Rounded down: the remaining holders never subsidise the
        // exit; the dealing fee (bps of the net slice, as for cash) stays in the fund.
        for (uint256 i; i < amounts.length; ++i) {
            amounts[i] = Math.mulDiv(amounts[i], shares * BPS, supply * (BPS + fee));
        }
        _burn(owner, shares);
        emit RedeemedInKind(msg.sender, receiver, owner, shares, amounts);
        for (uint256 i; i < amounts.length; ++i) {
            if (amounts[i] != 0) IERC20(_assets[i]).safeTransfer(receiver, amounts[i]);
        }
    }

    // ================================================================ views

    /// @inheritdoc ERC4626
    /// @dev Sum of every holding at its oracle price, in settlement-asset units (rounded down).
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256 total) {
        uint256[] memory held = holdings();
        total = held[0];
        uint256 count = held.length;
        if (count == 1) return total;
        uint256 settlementPrice = oracle.price(_assets[0]);
        uint256 settlementUnit = 10 ** IERC20Metadata(_assets[0]).decimals();
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i = 1; i < count; ++i) {
            if (held[i] == 0) continue;
            uint256 value18 =
                Math.mulDiv(held[i], oracle.price(_assets[i]), 10 ** IERC20Metadata(_assets[i]).decimals());
            total += Math.mulDiv(value18, settlementUnit, settlementPrice);
        }
    }

    /// @inheritdoc ERC4626
    /// @dev Shares for `assets_` less the dealing fee (the fee stays in the fund).
    function previewDeposit(uint256 assets_) public view override(ERC4626, IERC4626) returns (uint256) {
        return super.previewDeposit(assets_ - _feeOnTotal(assets_));
    }

    /// @inheritdoc ERC4626
    /// @dev Assets for `shares` plus the dealing fee.
    function previewMint(uint256 shares) public view override(ERC4626, IERC4626) returns (uint256) {
        uint256 assets_ = super.previewMint(shares);
        return assets_ + _feeOnRaw(assets_);
    }

    /// @inheritdoc ERC4626
    /// @dev Shares burned to pay out `assets_` and the dealing fee on them.
    function previewWithdraw(uint256 assets_) public view override(ERC4626, IERC4626) returns (uint256) {
        return super.previewWithdraw(assets_ + _feeOnRaw(assets_));
    }

    /// @inheritdoc ERC4626
    /// @dev Assets for `shares` less the dealing fee.
    function previewRedeem(uint256 shares) public view override(ERC4626, IERC4626) returns (uint256) {
        uint256 assets_ = super.previewRedeem(shares);
        return assets_ - _feeOnTotal(assets_);
    }

    /// @inheritdoc ERC4626
    /// @dev What `owner`'s shares redeem for, after the dealing fee (withdrawing it never reverts
    /// for the fee).
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return previewRedeem(balanceOf(owner));
    }

    /// @inheritdoc ERC4626
    /// @dev 0 while halted or for an unverified receiver (ERC-4626: deposits disabled).
    function maxDeposit(address receiver) public view override(ERC4626, IERC4626) returns (uint256) {
        return _canDeposit(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc ERC4626
    function maxMint(address receiver) public view override(ERC4626, IERC4626) returns (uint256) {
        return _canDeposit(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc IPortfolioVault
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8) {
        address engine = shareCompliance;
        if (engine == address(0)) revert ShareComplianceNotSet();
        return IComplianceEngine(engine).detectTransferRestriction(from, to, amount);
    }

    /// @inheritdoc IRiskManagedPortfolio
    function assets() external view returns (address[] memory) {
        return _assets;
    }

    /// @inheritdoc IPortfolioVault
    function positions() external view returns (address[] memory assets_, uint256[] memory holdings_) {
        assets_ = _assets;
        holdings_ = _balancesOf(assets_);
    }

    /// @inheritdoc IRiskManagedPortfolio
    function holdings() public view returns (uint256[] memory) {
        return _balancesOf(_assets);
    }

    // ================================================================ internal

    /// @dev One trade: `expected` holds the balances before it and is moved by what it sold (what
    /// the venue asked to be paid, `payForSwap`, open only during this call: no allowance is
    /// written) and bought (measured). Interaction before the checks by design: they measure the
    /// state after the call.
    function _trade(TradeParams calldata t, address[] memory list, uint256[] memory expected)
        internal
        returns (uint256 sold, uint256 bought)
    {
        (address venue, address sellAsset, address buyAsset) = (t.venue, t.sellAsset, t.buyAsset);
        uint256 sellAmount = t.sellAmount;
        if (!isVenue[venue]) revert VenueNotAllowed(venue);
        if (sellAsset == buyAsset) revert SameAsset(sellAsset);
        uint256 sellIndex = _requireIndexIn(list, sellAsset);
        uint256 buyIndex = _requireIndexIn(list, buyAsset);
        TradePayment.open(venue, sellAsset, sellAmount);
        _call(venue, t.data);
        (,, uint256 unpaid) = TradePayment.current();
        TradePayment.close(); // Nothing more can be paid for this trade, nor outside a trade.
        // What left the vault is what it paid when asked: at most `sellAmount` by construction. Any
        // other movement of the sell asset fails the balance check after the last trade (`_settle`).
        sold = sellAmount - unpaid;
        uint256 buyBefore = expected[buyIndex];
        uint256 buyAfter = _balanceOf(buyAsset);
        if (buyAfter < buyBefore) revert UnexpectedBalanceChange(buyAsset, buyBefore, buyAfter);
        // No underflow: compared just above.
        unchecked {
            bought = buyAfter - buyBefore;
        }
        uint256 minBuyAmount = t.minBuyAmount;
        if (bought < minBuyAmount) revert InsufficientOutput(buyAsset, bought, minBuyAmount);
        expected[sellIndex] -= sold; // Checked: the vault cannot have paid more than it held.
        expected[buyIndex] = buyAfter;
        emit Traded(msg.sender, venue, sellAsset, sold, buyAsset, bought);
    }

    /// @dev Calls `venue` with `data`, bubbling its revert up; what it returns is not read (the
    /// trade is measured by the vault's own balances and payments).
    function _call(address venue, bytes calldata data) internal {
        assembly ("memory-safe") {
            let input := mload(0x40)
            calldatacopy(input, data.offset, data.length)
            if iszero(call(gas(), venue, 0, input, data.length, 0, 0)) {
                returndatacopy(input, 0, returndatasize())
                revert(input, returndatasize())
            }
        }
    }

    /// @dev The vault's balance of each token of `list`.
    function _balancesOf(address[] memory list) internal view returns (uint256[] memory held) {
        uint256 count = list.length;
        held = new uint256[](count);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            held[i] = _balanceOf(list[i]);
        }
    }

    /// @dev `token.balanceOf(this)` without the high-level call's allocation and return decoding
    /// (as the aggregator's); reverts `BalanceUnavailable(token)` when the call fails or returns
    /// under 32 bytes. Listed assets are ERC-20s: `addAsset` is governance.
    function _balanceOf(address token) internal view returns (uint256 amount) {
        bytes4 selector = IERC20.balanceOf.selector;
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, address())
            ok := staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // after the call: Yul evaluates arguments right to left
            amount := mload(0x00)
        }
        if (!ok) revert BalanceUnavailable(token);
    }

    /// @dev The balances before the trades, twice: as they were (for the risk check) and as each
    /// trade moves them (what the trades are checked against; re-reading the tokens would cost a
    /// call per asset for the same numbers).
    function _balancesTwice(address[] memory list)
        internal
        view
        returns (uint256[] memory before, uint256[] memory expected)
    {
        uint256 count = list.length;
        before = new uint256[](count);
        expected = new uint256[](count);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            uint256 held = _balanceOf(list[i]);
            before[i] = held;
            expected[i] = held;
        }
    }

    /// @dev After the trades: every asset holds exactly what the trades explain (nothing else
    /// moved), and the RiskEngine passes the new state against the one before.
    function _settle(address[] memory list, uint256[] memory before, uint256[] memory expected) internal view {
        uint256[] memory afterTrades = _balancesOf(list);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < afterTrades.length; ++i) {
            if (afterTrades[i] != expected[i]) revert UnexpectedBalanceChange(list[i], expected[i], afterTrades[i]);
        }
        riskEngine.enforce(before, afterTrades);
    }

    /// @dev Cash withdrawals: risk-checked unless halted (then investors may always leave).
    function _withdraw(address caller, address receiver, address owner, uint256 assets_, uint256 shares)
        internal
        override
    {
        _requireNotFrozen(caller, receiver);
        if (!riskEngine.isHalted(address(this))) {
            uint256[] memory before = holdings();
            uint256[] memory afterWithdrawal = holdings();
            afterWithdrawal[0] -= assets_; // Checked: more cash than held reverts.
            riskEngine.enforce(before, afterWithdrawal);
        }
        super._withdraw(caller, receiver, owner, assets_, shares);
    }

    /// @dev Every share movement passes the share compliance engine, as a SecurityToken transfer
    /// does (its checks read the pre-movement ledger; a refusal reverts `TransferNotCompliant`
    /// with the reason code). The engine refuses a frozen recipient itself (a frozen wallet is
    /// never verified); the sender is checked here because a burn is only recorded by the engine,
    /// and a wallet since removed from a frozen identity is frozen without being registered.
    function _update(address from, address to, uint256 value) internal override {
        address engine = shareCompliance;
        if (engine == address(0)) revert ShareComplianceNotSet();
        if (from != address(0) && registry.isFrozen(from)) revert InvestorFrozen(from);
        super._update(from, to, value);
        ShareCompliance.record(engine, from, to, value);
    }

    /// @dev Whoever sends or receives value out of the vault is not under a sanctions freeze.
    function _requireNotFrozen(address caller, address receiver) internal view {
        if (registry.isFrozen(caller)) revert InvestorFrozen(caller);
        if (registry.isFrozen(receiver)) revert InvestorFrozen(receiver);
    }

    /// @dev The dealing fee is `dealingFeeBps` of the net amount dealt (what is invested or paid
    /// out), rounded up: on a net `net` it is `net * fee / BPS`; inside a gross `total` (net + fee)
    /// it is `total * fee / (BPS + fee)` — OpenZeppelin's ERC4626Fees convention, so the four
    /// previews agree with each other.
    function _feeOnRaw(uint256 net) internal view returns (uint256) {
        return Math.mulDiv(net, dealingFeeBps, BPS, Math.Rounding.Ceil);
    }

    function _feeOnTotal(uint256 total) internal view returns (uint256) {
        uint256 fee = dealingFeeBps;
        return Math.mulDiv(total, fee, BPS + fee, Math.Rounding.Ceil);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    function _requireCanDeposit(address receiver) internal view {
        if (riskEngine.isHalted(address(this))) revert PortfolioHalted();
        if (!registry.isVerified(receiver)) revert InvestorNotVerified(receiver);
        if (!registry.isVerified(msg.sender)) revert InvestorNotVerified(msg.sender);
    }

    function _canDeposit(address receiver) internal view returns (bool) {
        return !riskEngine.isHalted(address(this)) && registry.isVerified(receiver);
    }

    /// @dev Index of `token` in `list` (the assets, read once per trade call).
    function _requireIndexIn(address[] memory list, address token) internal pure returns (uint256) {
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == token) return i;
        }
        revert UnknownAsset(token);
    }

    function _indexOf(address token) internal view returns (uint256) {
        uint256 count = _assets.length;
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            if (_assets[i] == token) return i;
        }
        return type(uint256).max;
    }
}
