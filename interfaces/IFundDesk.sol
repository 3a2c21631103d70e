// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IFundNavSource, IFundVault} from "./IFundVault.sol";
import {ISettlementAssets, SettlementAssetType} from "./ISettlementAssets.sol";

/// @title IFundDesk
/// @notice One fund share class dealt in several settlement assets (ERC-7575: one share token,
/// several vaults, one FundVault per asset). The desk is the share class's front: it knows its
/// vaults (`vault(asset)`), routes an investor's requests to one of them, and strikes them all at
/// one NAV.
///
/// Routing.
/// - `requestDeposit(asset, assets, controller)`: to the vault of `asset`, refused while
///   `asset` is depegged (SettlementAssets' `pegOf`: no usable price, or further from par than its
///   threshold): no new subscription in an asset off its peg.
/// - `requestRedeem(shares, controller, acceptedMask)` and `instantRedeem(shares, receiver,
///   acceptedMask)`: to the vault of the MOST PREFERRED settlement asset the investor accepts and
///   the fund holds enough of. The investor's accepted set is a bitmask over the desk's vaults
///   (bit `i`: the asset of `vaults()[i]`, the registration order, which never changes). Among
///   the accepted vaults whose free cash covers the shares at that vault's last struck NAV
///   (`freeCash() >= convertToAssets(shares)`: what an instant redemption pays from, and what a
///   strike redeems with), the one whose asset SettlementAssets ranks lowest and does not see
///   depegged (its `preferredPayout`; ties: the lower index, while the ranks are those the assets
///   had when their vaults were added). None qualifies: `NoPayoutAsset(acceptedMask, shares)`.
///   The desk asks for the best accepted asset first and reads the liquidity of its vault only,
///   then the next best if it lacks the cash: usually one price read and one vault read.
/// The owner of the shares (and of the assets, for a deposit) is always the caller: the desk
/// never moves anyone else's tokens. It holds no shares and no assets: each request is the
/// chosen vault's own ERC-7540 request (or instant redemption) made by the desk as the caller's
/// ERC-7540 operator on that vault, so every share movement is the vault's and passes the share
/// token's compliance engine exactly as a direct request would (the escrow transfer owner ->
/// vault, the burn at the strike or at once, the mint at the claim). Claims and cancellations are
/// made on the vault itself (`vault(asset)`), by the controller.
///
/// Investor set-up, once per vault used: `vault.setOperator(desk, true)` (ERC-7540), and the
/// vault approved on the share token (redemptions) and on its asset (deposits), as for a direct
/// request.
///
/// Strikes. The desk is the NAV source (IFundNavSource) of its vaults and the fund of record of
/// the instrument at the real source (the instrument registry, `navSource()`). `strike()` (role
/// NAV_AGENT) strikes the registry ONCE and then every vault whose cut-off has passed, all in one
/// transaction at that NAV (a vault's `strikeNav` call is answered from transient storage; outside
/// the desk's strike it reverts `StrikeOutsideDesk`). Each vault's strike stays O(1) (its own
/// fixed slots), so the desk's strike is O(number of vaults), at most `MAX_VAULTS`, and
/// independent of the number of investors. The desk needs role NAV_AGENT on its vaults' `strike`.
///
/// @dev Role mapping (keepers/access/protocol.py): `addVault` -> GOVERNOR, `strike` -> NAV_AGENT.
/// Deploy steps: keepers/lifecycle/fund_deploy.py (`deploy_fund_desk`).
/// Pegged assets only (SEC-34): a vault deals at par of its asset, converting the NAV (in the
/// instrument's currency) into its asset one for one, so the desk refuses an asset without a peg
/// (`Crypto`: `UnpeggedAsset`) at `addVault`, and, re-listed so since, at `requestDeposit` and in
/// the routing (never chosen). Converting at oracle prices instead was not chosen: the vaults'
/// NAV, reserve and gate are in their asset's units.
/// Warning: NOT checked by the desk:
/// - within its peg a vault pays and takes its asset at par, not at the oracle price. The desk
///   bounds the error by the peg: deposits are refused in a depegged asset and redemptions are
///   never routed to one.
/// - requests made on a vault directly skip the desk: no depeg check on a direct deposit, no
///   preference on a direct redemption. Route through the desk to get them. Instant
///   subscriptions are not routed (the vault's `instantDeposit` takes the assets from its caller,
///   and the desk holds none): they are made on a vault directly, without the desk's depeg check.
/// - the free cash the routing compares is read at the request; an asynchronous redemption is
///   paid at the strike of its period, within that vault's gate and its free cash then (the rest
///   is carried, as for any request): the routing is a preference, not a reservation.
/// - each vault keeps its own gate, cut-off, instant limit, fees and reserve; the desk strikes
///   the vaults that are due and skips the others (GOVERNOR keeps their schedules aligned).
/// - fees: each vault charges its own FeeSchedule terms, and a vault's management fee accrues on
///   the WHOLE share supply (FundVault): set on several vaults of a desk, it is charged once per
///   vault. GOVERNOR sets the management fee on one vault of a desk only.
/// - the settlement assets' listing: an asset delisted after its vault was added keeps its vault;
///   `preferredPayout` skips it and `requestDeposit` reverts (`pegOf` refuses an unlisted asset).
/// - there is no removal of a vault: `MAX_VAULTS` bounds the list.
interface IFundDesk is IFundNavSource {
    // ------------------------------------------------------------ errors
    /// @notice `vault` deals in `share` at `source`'s `instrumentId`, not in this desk's share
    /// class through this desk.
    error VaultMismatch(address vault, address share, address source, uint256 instrumentId);
    /// @notice `asset` already has `vault` on this desk (one vault per asset).
    error AssetHasVault(address asset, address vault);
    /// @notice `asset` is not a listed settlement asset.
    error AssetNotListed(address asset);
    /// @notice `asset` has no peg (`Crypto`): a vault deals its asset at par with the NAV's
    /// currency, so the desk adds no vault in it, takes no deposit in it and routes no redemption
    /// to it (an asset re-listed so after its vault was added).
    error UnpeggedAsset(address asset, SettlementAssetType assetType);
    /// @notice A new vault beyond `MAX_VAULTS`.
    error TooManyVaults(uint256 count, uint256 max);
    /// @notice No vault of this desk deals in `asset`.
    error NoVaultForAsset(address asset);
    /// @notice A deposit in `asset`, whose price `price18` is `deviationBps` off par (0: unpriced).
    error AssetDepegged(address asset, uint256 price18, uint256 deviationBps);
    /// @notice No vault the investor accepts (`acceptedMask`) has a listed, pegged asset and the
    /// free cash for `shares`.
    error NoPayoutAsset(uint256 acceptedMask, uint256 shares);
    /// @notice `strikeNav` called by `caller`, not one of the desk's vaults striking within the
    /// desk's `strike()`.
    error StrikeOutsideDesk(address caller);
    /// @notice `strikeNav` / `isDealing` for an instrument other than the desk's.
    error UnknownInstrument(uint256 instrumentId, uint256 expected);
    /// @notice `strike()` when no vault's cut-off has passed; `nextCutoff` is the earliest.
    error NothingDue(uint256 nextCutoff);
    error ZeroAddress();

    // ------------------------------------------------------------ events
    /// @notice `vault` (index `index`, its bit in accepted masks) deals in `asset` (ERC-7575's
    /// share-side `VaultUpdate`, with the index; a vault is never replaced).
    event VaultAdded(address indexed asset, address vault, uint256 index);
    /// @notice `owner`'s redemption of `shares` for `controller` (or `receiver`, instant) routed to
    /// `vault` in `asset`, among `acceptedMask`.
    event RedeemRouted(
        address indexed owner,
        address indexed controller,
        address indexed vault,
        address asset,
        uint256 shares,
        uint256 acceptedMask,
        bool instant
    );
    /// @notice One NAV `nav18` struck for the vaults of `struckMask` (bit `i`: `vaults()[i]`).
    event DeskStruck(uint256 nav18, uint256 struckMask);

    // ------------------------------------------------------------ governance (GOVERNOR)
    /// @notice Adds `vault`: it deals in this desk's share at this desk's NAV source and
    /// instrument (else `VaultMismatch`), its asset is listed (`AssetNotListed`), pegged
    /// (`UnpeggedAsset`) and has no vault here yet (`AssetHasVault`); at most `MAX_VAULTS`
    /// (`TooManyVaults`).
    /// @return index The vault's bit in accepted masks.
    function addVault(IFundVault vault) external returns (uint256 index);

    // ------------------------------------------------------------ NAV agent (NAV_AGENT)
    /// @notice Strikes the instrument's NAV once at the NAV source and every vault whose cut-off
    /// has passed at it (see the notice). Reverts `NothingDue` when none is due, and whatever the
    /// NAV source or a vault's strike reverts with.
    /// @return nav18 The NAV struck.
    /// @return struckMask The vaults struck (bit `i`: `vaults()[i]`).
    /// @dev Before striking any vault, the desk accrues every vault's management fee
    /// (`accrueFees`), so the fee vault's base is the class's shares before this strike (SEC-181).
    /// Warning: as `IFundVault.strike()`, binds the NAV to no declaration count (SEC-183).
    function strike() external returns (uint256 nav18, uint256 struckMask);

    /// @notice `strike()` bound to the share's income declaration count the NAV was computed with:
    /// each vault struck is struck with `IFundVault.strike(declarations)`, so the first one
    /// reverts `IFundVault.DeclarationsChanged(declarations, now)` when a declaration came since
    /// (SEC-183). The NAV agent strikes this way.
    function strike(uint256 declarations) external returns (uint256 nav18, uint256 struckMask);

    // ------------------------------------------------------------ investors
    /// @notice The caller's request to subscribe `assets` of `asset` for `controller`, made on the
    /// vault of `asset` (its rules apply: minimums, verification, cut-off). Reverts
    /// `NoVaultForAsset`, `AssetDepegged`, and whatever the vault reverts with (its
    /// `NotOwnerOrOperator` when the caller has not made the desk its operator there).
    /// @return vault The vault the request was made on.
    function requestDeposit(address asset, uint256 assets, address controller) external returns (address vault);

    /// @notice The caller's request to redeem `shares` for `controller`, made on the vault of the
    /// most preferred asset of `acceptedMask` the fund holds enough of (see the notice). Reverts
    /// `NoPayoutAsset`, and whatever the vault or the share's engine reverts with.
    /// @return vault The vault the request was made on.
    function requestRedeem(uint256 shares, address controller, uint256 acceptedMask) external returns (address vault);

    /// @notice The caller's instant redemption of `shares`, paid to `receiver` by the vault chosen
    /// as for `requestRedeem` (its instant limit, fee and window apply).
    /// @return vault The vault that paid.
    /// @return assets Paid to `receiver` in `vault`'s asset, net of the fee.
    function instantRedeem(uint256 shares, address receiver, uint256 acceptedMask)
        external
        returns (address vault, uint256 assets);

    // ------------------------------------------------------------ views
    /// @notice The vault `requestRedeem` (or `instantRedeem`: the same test) would route `shares`
    /// to now, and its asset; address(0)s when none qualifies.
    function payoutVault(uint256 shares, uint256 acceptedMask) external view returns (address vault, address asset);

    /// @notice The vault dealing in `asset` (ERC-7575 share side), address(0) if none.
    function vault(address asset) external view returns (address);

    /// @notice The vaults, in registration order (index `i` is bit `i` of an accepted mask).
    function vaults() external view returns (address[] memory);

    /// @notice The mask of every registered vault (`2**vaults().length - 1`).
    function allVaultsMask() external view returns (uint256);

    /// @notice The share token (a SecurityToken) every vault deals in.
    function share() external view returns (address);

    /// @notice The registry of settlement assets ranking the payouts and checking pegs.
    function settlementAssets() external view returns (ISettlementAssets);

    /// @notice The real NAV source (the instrument registry) and the instrument.
    function navSource() external view returns (IFundNavSource source, uint256 instrumentId);
}
