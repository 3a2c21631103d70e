// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IOracleRouter, PriceStatus} from "./IOracleRouter.sol";

/// @notice What a settlement asset is, which sets the floor of its risk weight
/// (`ISettlementAssets.riskWeightFloorBps`). The mapping follows the groups of the Basel
/// Committee's "Prudential treatment of cryptoasset exposures" (BCBS d545, December 2022; chapter
/// SCO60 of the Basel Framework) and, for the underlying claims, the credit risk standardised
/// approach (chapter CRE20).
enum SettlementAssetType {
    /// A wholesale central bank digital currency. The cryptoasset standard excludes CBDCs from its
    /// scope; a claim on the central bank in its own currency: 0% (CRE20).
    WholesaleCbdc,
    /// A stablecoin whose issuer is supervised and holds high-quality reserves one for one, meeting
    /// the Group 1b classification conditions (effective stabilisation, redemption risk test):
    /// weighted here as a claim on the issuer, floored at 100% (an unrated corporate in CRE20), a
    /// conservative reading of the standard's look-through to the reserve assets.
    ReserveBacked,
    /// A tokenised bank deposit: a Group 1a tokenised traditional asset, weighted as the deposit
    /// itself, a claim on a bank: floored at 20% (CRE20's external-rating approach, a bank rated
    /// AA- or better; a lower-rated bank is listed with its higher weight).
    TokenizedDeposit,
    /// Any other stablecoin (the Group 1b conditions not shown): Group 2, 1250%.
    Stablecoin,
    /// An unbacked cryptoasset (ether, bitcoin): Group 2b, 1250%. Has no peg.
    Crypto
}

/// @notice A settlement asset's listing, as GOVERNOR sets it.
struct SettlementAssetConfig {
    SettlementAssetType assetType;
    /// BIS-style risk weight, basis points of the exposure (10,000 = 100%; Basel's 1250% is
    /// 125,000): at least `riskWeightFloorBps(assetType)`, at most `MAX_RISK_WEIGHT_BPS`.
    uint32 riskWeightBps;
    /// Preference: the lower, the more preferred for payouts. Ranks need not be unique.
    uint8 rank;
    /// A pegged asset (every type but `Crypto`) is depegged when its oracle price is further than
    /// this from par (1.0 of the router's quote currency): 1 to `MAX_DEPEG_THRESHOLD_BPS`.
    /// `Crypto`: 0 (no peg).
    uint16 depegThresholdBps;
}

/// @title ISettlementAssets
/// @notice The settlement assets the protocol's funds may accept (the product plan's
/// SettlementAssetManager): each typed, with a risk weight, a preference rank and a depeg
/// threshold, priced by the protocol's OracleRouter. Answers three questions for a fund: is this
/// asset off its peg (`isDepegged`), how much of asset B is an amount of asset A worth at oracle
/// prices (`convert`), and which asset should a redemption pay in (`preferredPayout`).
/// @dev Role mapping (keepers/access/protocol.py): `listAsset`, `delistAsset` -> GOVERNOR
/// (timelocked). Everything else is a view, open to anyone.
/// Prices are the router's (`IOracleRouter.priceOf(asset)`: validated, 18 decimals, in the quote
/// currency of the asset's feed). Par is 1.0 of that quote currency: every settlement asset of one
/// deployment is quoted in one currency (USD on the protocol's feeds).
/// Warning: a pegged asset in another currency (a EUR deposit token priced in USD) would read as
/// depegged by the exchange rate: not supported. The contract holds no funds and reads no balances
/// (`preferredPayout` takes the balances it is given). The listing does not check the asset's
/// issuer, its reserves or its legal terms: the type and the weight are GOVERNOR's statement. A
/// delisted asset stays in the accepted lists of the instruments that named it; readers check
/// `isListed`.
interface ISettlementAssets {
    /// @notice `asset` is not listed.
    error UnknownAsset(address asset);
    /// @notice The zero address, an address without code, or a token whose `decimals()` fails.
    error InvalidAsset(address asset);
    /// @notice The asset's `decimals()` is above `MAX_DECIMALS`.
    error UnsupportedDecimals(address asset, uint8 decimals);
    /// @notice The router has no feed for `asset` (GOVERNOR sets it on the router first).
    error NoPriceFeed(address asset);
    /// @notice `riskWeightBps` is below the type's floor or above `MAX_RISK_WEIGHT_BPS`.
    error RiskWeightOutOfBounds(address asset, uint32 riskWeightBps, uint32 floorBps, uint32 maxBps);
    /// @notice A pegged type with a threshold of 0 or above `MAX_DEPEG_THRESHOLD_BPS`, or `Crypto`
    /// with a threshold other than 0 (`maxBps` is then 0).
    error DepegThresholdOutOfBounds(address asset, uint16 thresholdBps, uint16 maxBps);
    /// @notice A new listing beyond `MAX_ASSETS`, or a list argument longer than it.
    error TooManyAssets(uint256 count, uint256 max);
    /// @notice `accepted` and `held` differ in length.
    error LengthMismatch(uint256 accepted, uint256 held);
    /// @notice `asset` has no usable price from the router (`status` says why).
    error AssetUnpriced(address asset, PriceStatus status);
    /// @notice `asset`'s price is further from par than its threshold.
    error AssetDepegged(address asset, uint256 price18, uint16 thresholdBps);

    /// @notice A listing or its update; `previous` is all zeros for a new listing.
    event AssetListed(address indexed asset, SettlementAssetConfig previous, SettlementAssetConfig next);
    event AssetDelisted(address indexed asset, SettlementAssetConfig previous);

    // ------------------------------------------------------------ GOVERNOR

    /// @notice Lists `asset` with `config`, or replaces the configuration of a listed asset.
    /// @dev Reads the asset's `decimals()` (once; at most `MAX_DECIMALS`, 18: the funds' and the
    /// bond servicers' amounts are sized for it, else `UnsupportedDecimals`) and requires the router to
    /// have a feed for it. Does not require that feed to answer now: an unpriced asset is simply
    /// depegged until it does.
    function listAsset(address asset, SettlementAssetConfig calldata config) external;

    /// @notice Removes `asset` from the list (reverts `UnknownAsset` if it is not listed).
    function delistAsset(address asset) external;

    // ------------------------------------------------------------ views

    function isListed(address asset) external view returns (bool);

    /// @notice Every listed asset (at most `MAX_ASSETS`), in no particular order.
    function assets() external view returns (address[] memory);

    /// @notice The listing of `asset` and the decimals read when it was listed; reverts
    /// `UnknownAsset` if it is not listed.
    function configOf(address asset) external view returns (SettlementAssetConfig memory config, uint8 decimals);

    /// @notice The lowest risk weight a type may be listed with (see `SettlementAssetType`):
    /// WholesaleCbdc 0, ReserveBacked 10,000, TokenizedDeposit 2,000, Stablecoin and Crypto 125,000.
    function riskWeightFloorBps(SettlementAssetType assetType) external pure returns (uint32);

    /// @notice The peg reading of a listed asset: its router price (0 when unpriced), its distance
    /// from par in basis points rounded up (0 for `Crypto`), and whether it is depegged.
    /// @dev Depegged = no usable price, or (pegged types) `|price18 - 1e18| * 10,000 >
    /// depegThresholdBps * 1e18`: exactly at the threshold is not depegged. Reverts `UnknownAsset`.
    function pegOf(address asset) external view returns (uint256 price18, uint256 deviationBps, bool depegged);

    /// @notice Whether `asset` must not be used now: no usable router price, or (pegged types)
    /// further from par than its threshold. A fund stops new subscriptions in it. Reverts
    /// `UnknownAsset`.
    function isDepegged(address asset) external view returns (bool);

    /// @notice Whether a fund may take `asset` at par with the quote currency now (SEC-120): listed,
    /// of a pegged type (not `Crypto`), with a usable router price within its depeg threshold; with
    /// that price (0 when unpriced or unlisted) and its distance from par in basis points, rounded
    /// up. The question every FundVault deposit path asks through its NAV source
    /// (`IFundNavSource.assetAtPar`).
    /// @dev Never reverts for an unknown asset (false, 0, 0): a vault's strike reads it.
    function atPar(address asset) external view returns (bool atPar_, uint256 price18, uint256 deviationBps);

    /// @notice `amount` of `from` in units of `to`, at router prices:
    /// `floor(amount * price(from) * 10**decimals(to) / (price(to) * 10**decimals(from)))`.
    /// @dev Rounds down: never in favour of the caller who receives the converted amount (a
    /// conversion the other way round is the caller's to round up). The bound on a conversion is the
    /// peg: reverts `AssetUnpriced` / `AssetDepegged` when either asset is unpriced or depegged,
    /// `UnknownAsset` when either is not listed. `from == to` returns `amount` (still checked).
    function convert(address from, address to, uint256 amount) external view returns (uint256);

    /// @notice The asset a payout of `value18` should be made in: among `accepted` (what the
    /// investor accepts, in the investor's order), the listed asset with the lowest rank that is
    /// not depegged and of which `held` (the payer's balance of `accepted[i]`, same index) covers
    /// the payout; ties in rank go to the earlier entry of `accepted`.
    /// @param value18 The payout's value in the router's quote currency, 18 decimals.
    /// @return asset The asset to pay in; address(0) when none qualifies.
    /// @return amount The payout in `asset`'s units, `floor(value18 * 10**decimals / price18)`
    /// (rounded down, in favour of the payer; 0 when `asset` is address(0)).
    /// @dev Unlisted, unpriced and depegged entries are skipped, not refused. Reverts
    /// `LengthMismatch` and, beyond `MAX_ASSETS` entries, `TooManyAssets`. Does not read balances
    /// or check that `accepted` is a subset of an instrument's settlement assets: the caller's job.
    function preferredPayout(address[] calldata accepted, uint256[] calldata held, uint256 value18)
        external
        view
        returns (address asset, uint256 amount);

    function oracle() external view returns (IOracleRouter);
}
