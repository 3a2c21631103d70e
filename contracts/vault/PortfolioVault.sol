// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPortfolioVault, TradeParams, TradeLimits, Deal} from "../../interfaces/IPortfolioVault.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";
import {IRiskEngine, IRiskManagedPortfolio} from "../../interfaces/IRiskEngine.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {TradePayment} from "./TradePayment.sol";
import {VaultLayout} from "./VaultLayout.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {ManagedInit} from "../access/ManagedInit.sol";
import {ShareCompliance} from "../libraries/ShareCompliance.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title PortfolioVault
/// @notice Risk-guarded multi-asset portfolio with ERC-4626 shares (see IPortfolioVault).
/// @dev Split over EIP-170 by the one module pattern: `tradeBasket` runs in the basket module
/// (PortfolioBasket) and the governance setters (`addAsset`, `setVenue`, `setDealingFee`,
/// `setTradeLimits`, `setShareCompliance`) in the governance module (PortfolioAdmin), each
/// deployed once per build and passed in (its `moduleId` checked here), on this vault's storage
/// (VaultLayout, listed first), after this vault's checks.
contract PortfolioVault is
    VaultLayout,
    IPortfolioVault,
    ISwapPayer,
    ERC4626,
    ManagedInit,
    ReentrancyGuardTransient,
    Dispatch
{
    using SafeERC20 for IERC20;

    /// @notice Highest `maxSlippageBps` of the trade limits: a trade may return at most 10% less
    /// than it sold at oracle prices (SEC-50).
    uint16 public constant MAX_TRADE_SLIPPAGE_BPS = MAX_SLIPPAGE_BPS;
    /// @dev Virtual shares (OpenZeppelin's inflation-attack defence): shares have 6 more decimals.
    uint8 internal constant DECIMALS_OFFSET = 6;
    /// @dev Shares `maxRedeem` keeps below `previewWithdraw(cash)` when the cash is short.
    uint256 internal constant REDEEM_MARGIN = 2;

    IRiskEngine public immutable riskEngine;
    IOracleRouter public immutable oracle;
    /// @inheritdoc IPortfolioVault
    IIdentityRegistry public immutable registry;
    /// @inheritdoc IPortfolioVault
    address public immutable basketModule;
    /// @inheritdoc IPortfolioVault
    address public immutable adminModule;

    /// @dev The shares' ERC-20 name and symbol, immutables of the implementation (at most 31 bytes
    /// each: ShortStrings' `StringTooLong(name)`): the vault runs behind a GovernedProxy, where the
    /// ERC-20 base's own, written by a constructor, would be the implementation's storage.
    ShortString private immutable _shareName;
    ShortString private immutable _shareSymbol;

    /// @dev The implementation (immutables only): the vault runs behind a GovernedProxy (issue 34),
    /// whose constructor writes its storage through `initialize`.
    constructor(
        IERC20 settlement,
        string memory name_,
        string memory symbol_,
        IRiskEngine riskEngine_,
        IOracleRouter oracle_,
        IIdentityRegistry registry_,
        address basketModule_,
        address adminModule_
    ) ERC4626(settlement) ERC20("", "") {
        if (IERC20Metadata(address(settlement)).decimals() > MAX_ASSET_DECIMALS) {
            revert AssetNotSupported(address(settlement));
        }
        _shareName = ShortStrings.toShortString(name_);
        _shareSymbol = ShortStrings.toShortString(symbol_);
        riskEngine = riskEngine_;
        oracle = oracle_;
        registry = registry_;
        _requireModule(basketModule_, BASKET_MODULE_ID);
        basketModule = basketModule_;
        _requireModule(adminModule_, ADMIN_MODULE_ID);
        adminModule = adminModule_;
    }

    /// @inheritdoc IPortfolioVault
    function initialize(address authority_) external {
        _initialize(authority_);
        _assets.push(asset());
        emit AssetAdded(asset(), 0);
    }

    /// @notice The shares' name (an immutable of the code).
    function name() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return ShortStrings.toString(_shareName);
    }

    /// @notice The shares' symbol (an immutable of the code).
    function symbol() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return ShortStrings.toString(_shareSymbol);
    }

    // ================================================================ governance (GOVERNOR)
    // Checked here (`restricted`: this vault's authority, this selector), then checked and stored
    // by the governance module (PortfolioAdmin) on this vault's storage: governance's path, not a
    // hot one.

    /// @inheritdoc IPortfolioVault
    function addAsset(address) external restricted {
        _delegate(adminModule);
    }

    /// @inheritdoc IPortfolioVault
    function setVenue(address, bool) external restricted {
        _delegate(adminModule);
    }

    /// @inheritdoc IPortfolioVault
    function setDealingFee(uint16) external restricted {
        _delegate(adminModule);
    }

    /// @inheritdoc IPortfolioVault
    function setTradeLimits(uint16, uint96, uint32) external restricted {
        _delegate(adminModule);
    }

    /// @inheritdoc IPortfolioVault
    function setShareCompliance(address) external restricted {
        _delegate(adminModule);
    }

    // ================================================================ trading (EXECUTOR)

    /// @inheritdoc IPortfolioVault
    function trade(TradeParams calldata t) external restricted nonReentrant returns (uint256 sold, uint256 bought) {
        address[] memory list = _assets;
        (uint256[] memory before, uint256[] memory expected) = _balancesTwice(list);
        uint256[] memory prices = new uint256[](list.length); // read once per asset, when first needed
        uint256 loss;
        (sold, bought, loss) = _trade(t, list, expected, prices);
        _settle(list, before, expected, loss);
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
        uint256[] memory prices = new uint256[](list.length); // read once per asset, when first needed
        sold = new uint256[](count);
        bought = new uint256[](count);
        uint256 loss;
        // Bounded: count <= MAX_ASSETS.
        for (uint256 k; k < count; ++k) {
            uint256 tradeLoss;
            (sold[k], bought[k], tradeLoss) = _trade(trades[k], list, expected, prices);
            loss += tradeLoss; // Gains do not offset losses.
        }
        _settle(list, before, expected, loss);
    }

    /// @inheritdoc ISwapPayer
    /// @dev Only inside a running trade (TradePayment), for its venue, in its sell token, at most
    /// its sell amount in total (a basket: each asset it sells, at most that asset's amount). Not
    /// `nonReentrant`: it runs inside the trade, which holds the lock.
    function payForSwap(address token, address to, uint256 amount) external {
        // A basket pays each asset it sells up to that asset's amount; any other token has none.
        (address venue, address sellAsset, uint256 remaining, bytes32 slot) = TradePayment.currentFor(token);
        // No trade running: the venue slot is clear (the sell token's may hold the last trade's).
        if (venue == address(0)) revert PaymentNotExpected(msg.sender, token, address(0), address(0));
        if (msg.sender != venue || token != sellAsset) revert PaymentNotExpected(msg.sender, token, venue, sellAsset);
        if (amount > remaining) revert PaymentAboveTrade(token, amount, remaining);
        // No underflow: amount <= remaining.
        unchecked {
            TradePayment.setAt(slot, remaining - amount);
        }
        IERC20(token).safeTransfer(to, amount);
    }

    /// @inheritdoc IPortfolioVault
    /// @dev Runs in `basketModule` (PortfolioBasket), after this function's access check and
    /// guard: the venue is called from this vault and paid from here.
    function tradeBasket(bytes calldata) external restricted nonReentrant returns (uint256 loss) {
        (loss,) = _delegateWords(basketModule);
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
    /// @dev Not bounded by `maxWithdraw` first (which answers 0 when the risk check would refuse):
    /// what refuses says why — the owner's balance or unsettled deal, the cash (`InsufficientCash`),
    /// the risk check (`RiskLimitBreached`).
    function withdraw(uint256 assets_, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 shares)
    {
        shares = previewWithdraw(assets_);
        _withdraw(msg.sender, receiver, owner, assets_, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev As `withdraw`: the refusal names its cause.
    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256 assets_)
    {
        assets_ = previewRedeem(shares);
        _withdraw(msg.sender, receiver, owner, assets_, shares);
    }

    /// @inheritdoc IPortfolioVault
    function settleDeal(address holder, uint80[] calldata rounds) external nonReentrant returns (uint256 shares) {
        Deal memory d = _deals[holder];
        if (d.shares == 0) revert NoDeal(holder);
        // The vault's holdings now at the first price of each published after the deal (the
        // oracle checks every named round; `PriceUnavailable(asset, NotFirstRound)` otherwise).
        address[] memory list = _assets;
        uint256 nav = oracle.valueAfter(list, _balancesOf(list), d.dealtAt, rounds);
        Pending memory p = _pending;
        // The deal's net cash buys the other holders' book at the strike: their shares and their
        // assets (every pending deal's cash, held at par, aside). No underflow: the pending cash is
        // held (trades and withdrawals leave it) and part of `nav`; pending shares are minted.
        // Checked: the deal's cash (< 2**104) times the supply overflows only beyond 2**152 shares.
        shares = d.assets * (totalSupply() - p.shares + 10 ** DECIMALS_OFFSET) / (nav - p.cash + 1);
        _closeDeal(holder, d, p);
        emit DealSettled(holder, d.shares, shares, d.assets, nav);
        if (shares < d.shares) _burn(holder, d.shares - shares);
        else if (shares > d.shares) _mint(holder, shares - d.shares);
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
        // The settled book: unsettled deals' cash and provisional shares are not in it (SEC-53).
        Pending memory p = _pending;
        uint256 supply = totalSupply() - p.shares;
        amounts = holdings();
        amounts[0] -= p.cash;
        uint256 fee = _dealingFeeBps;
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
    /// @dev Sum of every holding at its oracle price, in settlement-asset units (rounded down):
    /// `IOracleRouter.valueIn` (a held asset without a price reverts `PriceUnavailable`; the
    /// settlement asset at par, and an all-cash vault needs no price).
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        address[] memory list = _assets;
        return oracle.valueIn(list, _balancesOf(list));
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
    /// @dev What `owner`'s free shares (an unsettled deal's are not) redeem for after the dealing
    /// fee, at most the cash the vault may pay out (held less the unsettled deals'); 0 for a frozen
    /// owner, or when the risk check would refuse that withdrawal (ERC-4626: an underestimate,
    /// never more than `withdraw` accepts; SEC-61).
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        if (registry.isFrozen(owner)) return 0;
        uint256 most = Math.min(previewRedeem(_freeShares(owner)), _payableCash());
        return _withdrawalPasses(most) ? most : 0;
    }

    /// @inheritdoc ERC4626
    /// @dev `owner`'s free shares, at most those whose redemption the vault's payable cash covers;
    /// 0 as for `maxWithdraw` (SEC-61).
    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256 shares) {
        if (registry.isFrozen(owner)) return 0;
        shares = _freeShares(owner);
        uint256 cash = _payableCash();
        if (previewRedeem(shares) > cash) {
            // previewWithdraw rounds up, and the fee's two roundings may differ by a unit: two
            // shares fewer than it names are covered (checked below; an underestimate at worst).
            shares = Math.min(shares, previewWithdraw(cash));
            shares = shares > REDEEM_MARGIN ? shares - REDEEM_MARGIN : 0;
            if (previewRedeem(shares) > cash) return 0;
        }
        if (!_withdrawalPasses(previewRedeem(shares))) return 0;
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
        address engine = _shareCompliance;
        if (engine == address(0)) revert ShareComplianceNotSet();
        return IComplianceEngine(engine).detectTransferRestriction(from, to, amount);
    }

    /// @inheritdoc IPortfolioVault
    function isVenue(address venue) external view returns (bool) {
        return _isVenue[venue];
    }

    /// @inheritdoc IPortfolioVault
    function shareCompliance() external view returns (address) {
        return _shareCompliance;
    }

    /// @inheritdoc IPortfolioVault
    function dealingFeeBps() external view returns (uint16) {
        return _dealingFeeBps;
    }

    /// @inheritdoc IRiskManagedPortfolio
    function assets() external view returns (address[] memory) {
        return _assets;
    }

    /// @inheritdoc IPortfolioVault
    function positions() external view returns (address[] memory assets_, uint256[] memory holdings_) {
        assets_ = _assets;
        holdings_ = _balancesOf(assets_);
        holdings_[0] -= _pending.cash; // Reserved for unsettled deals: not to be traded.
    }

    /// @inheritdoc IPortfolioVault
    function tradeLimits() external view returns (TradeLimits memory) {
        return _tradeLimits;
    }

    /// @inheritdoc IPortfolioVault
    function tradeLossAvailable() external view returns (uint256) {
        return _lossAvailable();
    }

    /// @inheritdoc IPortfolioVault
    function dealOf(address holder) external view returns (Deal memory) {
        return _deals[holder];
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
    /// @return sold What the venue was paid.
    /// @return bought The vault's measured gain.
    /// @return loss What the trade lost at oracle prices (value sold less value bought; 0 if it gained).
    function _trade(TradeParams calldata t, address[] memory list, uint256[] memory expected, uint256[] memory prices)
        internal
        returns (uint256 sold, uint256 bought, uint256 loss)
    {
        (address venue, address sellAsset, address buyAsset) = (t.venue, t.sellAsset, t.buyAsset);
        uint256 sellAmount = t.sellAmount;
        if (!_isVenue[venue]) revert VenueNotAllowed(venue);
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
        loss = _oracleBound(list, prices, sellIndex, sold, buyIndex, bought);
        expected[sellIndex] -= sold; // Checked: the vault cannot have paid more than it held.
        expected[buyIndex] = buyAfter;
        emit Traded(msg.sender, venue, sellAsset, sold, buyAsset, bought);
    }

    /// @dev Every trade's output is bounded by live oracle prices, whatever its venue and data
    /// (SEC-50): what it bought must be worth at least what it sold less `maxSlippageBps`.
    /// @return loss The value sold less the value bought (0 if it gained), 18-decimal USD.
    function _oracleBound(
        address[] memory list,
        uint256[] memory prices,
        uint256 sellIndex,
        uint256 sold,
        uint256 buyIndex,
        uint256 bought
    ) internal view returns (uint256 loss) {
        uint256 valueSold = _oracleValue(list, prices, sellIndex, sold);
        uint256 valueBought = _oracleValue(list, prices, buyIndex, bought);
        // Rounded up. Checked: overflows (a revert) only for values beyond 2**240 USD.
        uint256 floorValue = (valueSold * (BPS - _tradeLimits.maxSlippageBps) + BPS - 1) / BPS;
        if (valueBought < floorValue) {
            uint256 scaled = prices[buyIndex];
            uint256 minimum = (floorValue * PRICE_SCALE + scaled - 1) / scaled; // rounded up
            revert TradeBelowOracle(list[sellIndex], sold, list[buyIndex], bought, minimum);
        }
        // No underflow: compared first.
        unchecked {
            if (valueSold > valueBought) loss = valueSold - valueBought;
        }
    }

    /// @dev `amount` of asset `i` in 18-decimal USD at its live oracle price; `prices[i]` caches the
    /// price of one base unit scaled by PRICE_SCALE (exact: price18 x 10**(36 - decimals), decimals
    /// <= 36 by `addAsset`; the constructor's settlement asset is a stablecoin's 6 or 18).
    function _oracleValue(address[] memory list, uint256[] memory prices, uint256 i, uint256 amount)
        internal
        view
        returns (uint256)
    {
        uint256 scaled = prices[i];
        if (scaled == 0) {
            address token = list[i];
            scaled = oracle.price(token) * 10 ** (MAX_ASSET_DECIMALS - IERC20Metadata(token).decimals());
            prices[i] = scaled;
        }
        // Checked: a traded amount worth beyond 2**256 / 1e36 USD reverts the trade.
        return amount * scaled / PRICE_SCALE;
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
    /// moved), the unsettled deals' cash is still there, the trades' loss fits the budget, and the
    /// RiskEngine passes the new state against the one before.
    function _settle(address[] memory list, uint256[] memory before, uint256[] memory expected, uint256 loss) internal {
        uint256[] memory afterTrades = _balancesOf(list);
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i; i < afterTrades.length; ++i) {
            if (afterTrades[i] != expected[i]) revert UnexpectedBalanceChange(list[i], expected[i], afterTrades[i]);
        }
        uint256 reserved = _pending.cash;
        if (afterTrades[0] < reserved) revert InsufficientCash(reserved, afterTrades[0]);
        if (loss != 0) _chargeLoss(loss);
        riskEngine.enforce(before, afterTrades);
    }

    /// @dev Cash withdrawals: from the cash no unsettled deal holds (`InsufficientCash`), and
    /// risk-checked unless halted (then investors may always leave).
    function _withdraw(address caller, address receiver, address owner, uint256 assets_, uint256 shares)
        internal
        override
    {
        _requireNotFrozen(caller, receiver);
        uint256 cash = _payableCash();
        if (assets_ > cash) revert InsufficientCash(assets_, cash);
        (uint256[] memory before, uint256[] memory afterExit) = _exit(assets_);
        riskEngine.enforceExit(before, afterExit); // Unless halted or unconfigured (SEC-59).
        super._withdraw(caller, receiver, owner, assets_, shares);
    }

    /// @dev Deposits and mints: a vault holding anything but the settlement asset has a NAV that
    /// depends on oracle prices, which lag; its deals are then provisional until priced at the
    /// first price of every holding published after them (`settleDeal`, SEC-53). An all-cash NAV
    /// needs no price: its deals are exact at once.
    function _deposit(address caller, address receiver, uint256 assets_, uint256 shares) internal override {
        bool forward = _holdsPricedAssets(); // Before: a deposit adds the settlement asset only.
        super._deposit(caller, receiver, assets_, shares);
        if (!forward) return;
        Deal memory d = _deals[receiver];
        // Only the holder extends its own deal (and its wait): nobody may keep another's locked.
        if (d.shares != 0 && caller != receiver) revert DealUnsettled(receiver, d.shares);
        uint256 net = assets_ - _feeOnTotal(assets_); // The fee is the fund's at once.
        d = Deal(SafeCast.toUint112(d.shares + shares), SafeCast.toUint104(d.assets + net), uint40(block.timestamp));
        _deals[receiver] = d;
        Pending memory p = _pending;
        // No truncation: each deal's shares and cash fit 112 and 104 bits, and so do their sums
        // while below the supply and the vault's cash.
        _pending = Pending(uint128(p.shares + shares), uint128(p.cash + net));
        emit DealOpened(receiver, d.shares, d.assets, block.timestamp);
    }

    /// @dev Removes `d`, `holder`'s deal, from the deals and the pending totals `p`.
    function _closeDeal(address holder, Deal memory d, Pending memory p) internal {
        delete _deals[holder];
        // No underflow: `d` is part of `p`.
        _pending = Pending(p.shares - d.shares, p.cash - d.assets);
    }

    /// @dev Every share movement passes the share compliance engine, as a SecurityToken transfer
    /// does (its checks read the pre-movement ledger; a refusal reverts `TransferNotCompliant`
    /// with the reason code). The engine refuses a frozen recipient itself (a frozen wallet is
    /// never verified); the sender is checked here because a burn is only recorded by the engine,
    /// and a wallet since removed from a frozen identity is frozen without being registered.
    function _update(address from, address to, uint256 value) internal override {
        address engine = _shareCompliance;
        if (engine == address(0)) revert ShareComplianceNotSet();
        if (from != address(0)) {
            if (registry.isFrozen(from)) revert InvestorFrozen(from);
            // An unsettled deal's provisional shares stay where they are (SEC-53).
            uint256 locked = _deals[from].shares;
            if (locked != 0 && balanceOf(from) < value + locked) revert DealUnsettled(from, locked);
        }
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
    /// Checked arithmetic: an amount beyond 2**248 (no deposit or redemption can be) reverts.
    function _feeOnRaw(uint256 net) internal view returns (uint256) {
        return (net * _dealingFeeBps + BPS - 1) / BPS;
    }

    function _feeOnTotal(uint256 total) internal view returns (uint256) {
        uint256 fee = _dealingFeeBps;
        return (total * fee + BPS + fee - 1) / (BPS + fee);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev ERC-4626 conversions on the settled book: unsettled deals' cash and provisional shares
    /// aside (they are priced at their strike, not at today's NAV). No underflow: both are held.
    function _convertToShares(uint256 assets_, Math.Rounding rounding) internal view override returns (uint256) {
        Pending memory p = _pending;
        return
            Math.mulDiv(assets_, totalSupply() - p.shares + 10 ** DECIMALS_OFFSET, totalAssets() - p.cash + 1, rounding);
    }

    function _convertToAssets(uint256 shares, Math.Rounding rounding) internal view override returns (uint256) {
        Pending memory p = _pending;
        return
            Math.mulDiv(shares, totalAssets() - p.cash + 1, totalSupply() - p.shares + 10 ** DECIMALS_OFFSET, rounding);
    }

    /// @dev `owner`'s shares no unsettled deal holds.
    function _freeShares(address owner) internal view returns (uint256) {
        return balanceOf(owner) - _deals[owner].shares;
    }

    /// @dev The settlement asset the vault may pay out: held, less the unsettled deals' cash.
    function _payableCash() internal view returns (uint256) {
        return _balanceOf(_assets[0]) - _pending.cash;
    }

    /// @dev The holdings before and after paying out `assets_` (at most the payable cash).
    function _exit(uint256 assets_) internal view returns (uint256[] memory before, uint256[] memory afterExit) {
        before = holdings();
        afterExit = holdings();
        afterExit[0] -= assets_; // No underflow: at most the payable cash.
    }

    /// @dev Whether a cash exit of `assets_` passes the engine's exit check now (`enforceExit`;
    /// a revert of any kind is a refusal: the `max*` views never revert for it).
    function _withdrawalPasses(uint256 assets_) internal view returns (bool) {
        if (assets_ == 0) return true;
        (uint256[] memory before, uint256[] memory afterExit) = _exit(assets_);
        try riskEngine.enforceExit(before, afterExit) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev Whether the vault holds any asset but the settlement asset (its NAV then uses prices).
    function _holdsPricedAssets() internal view returns (bool) {
        uint256 count = _assets.length;
        // Bounded: assets <= MAX_ASSETS.
        for (uint256 i = 1; i < count; ++i) {
            if (_balanceOf(_assets[i]) != 0) return true;
        }
        return false;
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
}
