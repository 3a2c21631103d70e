// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC7540Deposit, IERC7540Operator, IERC7540Redeem, IERC7575} from "./erc7540/IERC7540.sol";
import {IFeeAccruer, IFeeSchedule} from "./IFeeSchedule.sol";

/// @title IFundNavSource
/// @notice What a FundVault needs from the instrument registry: the NAV of its instrument, struck
/// once per dealing period, and whether the instrument deals at all.
/// @dev The InstrumentRegistry implements it (issue 17, item 1). Requirements on an implementation:
/// - `strikeNav` records the NAV as a checkpoint (readable later by block) and returns it; it MUST
///   revert when the instrument is not dealing or has no usable price (stale, out of bounds, moved
///   more than its maximum per update), and SHOULD accept calls only from the instrument's fund
///   vault (or its STRIKE operators): every call writes a checkpoint.
/// - `strikeNav` MUST refuse (`NavPredatesDeclaration`) a NAV reported before the share token's
///   last income declaration (an IIncomeShareToken's `incomeIndex().lastDeclaredAt`; a token
///   without it is not checked): the vault pairs the NAV with the income index of the strike's
///   block, so a NAV from before a declaration would price the declared shares at the old
///   per-share value (SEC-137). The NAV agent reports again after the declaration and strikes.
///   A declaration in the same second as the report refuses it too (their order is unknown: several
///   blocks may share a second); the report must be in a later second than the declaration.
/// - `isDealing` is true only while the instrument is active (not registered-only, suspended,
///   matured or closed), and cheap: the vault reads it on every request.
/// Warning: the vault trusts the NAV it is given within (0, 2^96); it does NOT check its move
/// against the previous strike, its age or its source: the registry does (OracleRouter bounds,
/// maximum move per update, staleness).
interface IFundNavSource {
    /// @notice The NAV of `id` was reported (`reportedAt`, the router's answer time) before, or in
    /// the same second as, the share token's last income declaration (`declaredAt`): it may not
    /// include the declared shares (SEC-137). Report the NAV again in a later second, then strike.
    error NavPredatesDeclaration(uint256 id, uint256 reportedAt, uint256 declaredAt);

    /// @notice Strikes the NAV of `instrumentId` now and records it as a checkpoint.
    /// @return nav18 The value of one whole share in the instrument's currency, 18 decimals (> 0).
    function strikeNav(uint256 instrumentId) external returns (uint256 nav18);

    /// @notice Whether `instrumentId` accepts subscriptions, redemptions and strikes now.
    function isDealing(uint256 instrumentId) external view returns (bool);

    /// @notice Whether `instrumentId` will never deal again (matured or closed: no strike can come).
    /// A vault lets a request whose period's cut-off has passed be cancelled only then (SEC-134):
    /// a suspension is not an end, the period is struck when dealing resumes.
    function isWoundUp(uint256 instrumentId) external view returns (bool);

    /// @notice Whether a vault of `instrumentId` may take `asset` at par now (SEC-120): a
    /// settlement asset of a pegged type, priced within its depeg threshold
    /// (`ISettlementAssets.atPar`); its price (18 decimals, 0 when unpriced) and distance from par
    /// (bps, rounded up). Every deposit path of a vault asks it: a request, an instant
    /// subscription and the strike that prices the period's deposits.
    /// @dev MUST NOT revert for an unknown or delisted asset (answer false): the strike reads it.
    function assetAtPar(uint256 instrumentId, address asset)
        external
        view
        returns (bool atPar, uint256 price18, uint256 deviationBps);

    /// @notice The shares of `instrumentId`'s class that the vaults dealing through this source,
    /// `vault` excepted, owe and have not minted: each one's fee shares owed (`heldFees().shares`)
    /// and struck deposit shares not yet claimed (`unclaimedShares()`). The class's management fee
    /// vault adds them to its base (SEC-181): with the share supply they are the shares
    /// outstanding. A FundDesk sums its other vaults (at most `MAX_VAULTS`); the registry answers
    /// 0 (a vault striking at the registry is its class's only vault: a class in several assets
    /// deals through a desk).
    /// @dev Warning: the registry does not check that no second vault of the class strikes at it
    /// directly (that takes the issuer's STRIKE delegation to it; the deploy routine never does).
    function unmintedSharesBesides(uint256 instrumentId, address vault) external view returns (uint256 shares);
}

/// @title IFundVault
/// @notice A fund's dealing desk: ERC-7540 asynchronous subscriptions and redemptions at the next
/// NAV (forward pricing) over one share class of one instrument, settled in one ERC-20 asset.
/// Investors request (`requestDeposit` locks assets, `requestRedeem` escrows shares); the NAV
/// agent strikes each dealing period after its cut-off at the registry's NAV; investors then claim
/// through the ERC-4626 calls (`deposit`/`mint` for shares, `redeem`/`withdraw` for assets).
///
/// The share token IS a SecurityToken (ERC-3643) with its own ComplianceEngine: the vault is its
/// agent with MINT and BURN only, and every share movement passes the engine — the mint on a claim
/// (receiver checked like any mint: verified, jurisdiction, class, holder caps, limits), the escrow
/// transfer on `requestRedeem` (owner -> vault, a rule-checked transfer), the return on a
/// cancellation (vault -> receiver), and the burn of the period's fulfilled shares at the strike
/// (recorded in the engine's ledger). Nothing is allowed on an "is verified" look-up alone.
/// The vault is itself a registered identity (it holds the escrowed shares), made an escrow of the
/// share's engine by its deploy routine (`IComplianceEngine.setEscrow`, SEC-122): it holds no seat
/// under the holder caps, and no holding cap, minimum or time rule binds it (its depositors'
/// holdings and sends meet them), so no holder can fill it to a cap and block every redemption.
///
/// Dealing periods. Period `p` accepts requests until `cutoff(p)`; a request after it joins
/// period `p + 1`, whose cut-off `strike()` sets (the next multiple of `dealingInterval` after the
/// struck cut-off that lies in the future). `strike()` (role NAV_AGENT), once `now >= cutoff(p)`:
/// takes the NAV from the source (`IFundNavSource.strikeNav`), prices all of period `p`'s
/// deposits at it, fulfils the period's redemptions up to the gate and the free cash, burns the
/// fulfilled shares, reserves their assets for the claims and opens period `p + 1`. It also burns
/// whatever the vault holds beyond the requests it escrows: with an IncomeShareToken, the income
/// declared on escrowed shares (`EscrowIncomeBurned`). A redeemer stops earning income when its
/// shares enter the escrow (its request); that income's value stays in the fund, for the holders
/// who remain (the supply falls, the NAV per share rises by as much). See docs/lifecycle.md.
///
/// Redemption gate and carry. With `P` shares pending at the strike, the period fulfils
/// `F = min(P, gate, shares the free cash buys)` with `gate = totalSupply * gateBps / 10_000`
/// (the share supply before the burn, ≈ the same fraction of NAV), at ratio `r = F / P` for every
/// pending share alike; `P - F` is carried to the next period, and again, until served: nobody
/// starves. O(1) whatever the queue: per period the vault keeps the running product
/// `C = prod(1 - r)` and the running sum `A = sum(C_prev * r * nav)`; a request of `s` shares that
/// entered after period `e - 1` has, after period `q`, `s * C[q] / C[e-1]` shares still pending and
/// earned `s * (A[q] - A[e-1]) / C[e-1]` (value in shares x NAV). An era restarts when a period
/// clears its whole queue; `C` is rescaled by 2^64 when it falls below 2^63 (a scale), and a
/// request spans at most one rescale exactly (beyond two its remainder is below 2^-64 of it and is
/// treated as served, in the fund's favour). A strike and every claim cost the same for 1 and for
/// 1,000 pending requests.
///
/// Deposits at par (SEC-120): the vault takes its asset one for one with the NAV's currency, so
/// every deposit path asks the NAV source whether the asset is at par now (`assetAtPar`: a
/// settlement asset of a pegged type, priced within its depeg threshold): a request or an instant
/// subscription in an asset off its peg (or unpriced, unlisted, unpegged) reverts `AssetDepegged`,
/// direct calls included (the desk's own refusal was bypassed by calling the vault), and a strike
/// refuses the period's deposits unless the asset is at par then, unpriced included (SEC-139)
/// (`DepositsRefusedOffPeg`, then `DepositsRefused`: each refunded on cancellation). Not checked:
/// redemptions (a direct redemption in an asset off its peg is paid in it at par: the redeemer's
/// loss, never the fund's; the desk routes to pegged assets only).
///
/// Parties (SEC-32, SEC-33): wherever the party who gives the shares, or the money for them,
/// differs from the party who ends up with them — `requestDeposit` (owner -> controller),
/// `requestRedeem` (owner -> controller, who may cancel the escrow to itself), `deposit`/`mint`
/// (controller -> receiver), `cancelRedeemRequest` (controller -> receiver), `instantDeposit`
/// (payer -> receiver) — the share token must allow a transfer between them now
/// (`detectTransferRestriction(from, to, 0)`), else `PairNotCompliant(from, to, reasonCode)`: no
/// request is an escrow hop around a rule a direct transfer meets. Not checked pairwise: payouts in
/// the asset (redemption claims, instant redemptions, deposit cancellations), and the rules that
/// depend on an amount (limits, holdings), which the real transfer or mint meets.
/// Freezes (SEC-123, ISecurityToken's freeze rule): every claim (`deposit`, `mint`, `withdraw`,
/// `redeem`) and cancellation needs its controller verified in the share's registry and frozen
/// neither there (a sanctions freeze) nor on the share token, and pays no receiver frozen by
/// either (an instant redemption: its owner and receiver likewise), else `ControllerNotVerified` /
/// `WalletFrozen(wallet)`: a frozen controller's claims and pending requests wait, whole, until the
/// freeze is lifted; nothing is paid to an accomplice.
///
/// Supply room (SEC-35): the share token mints at most 2^96 - 1 base units. A strike whose
/// period's deposit shares exceed the room left (that cap less the supply, the fee shares owed and
/// the struck deposit shares not yet claimed) refuses them (`DepositsRefused`): none of the
/// period's deposits is claimable, each is refunded by `cancelDepositRequest` at any time (its
/// assets held meanwhile in `reservedAssets`, never free cash), and its controller's next request
/// waits for that (`PendingInEarlierPeriod`). Instant subscriptions (`SupplyRoomExceeded`) and the
/// management fee (capped: the recipient bears it) stay within the room. Warning: mints outside
/// this vault (another vault of the share class, an income declaration, an agent) are not
/// counted: they can take the room a struck claim needs, which then waits (`SupplyCapExceeded`)
/// for burns to free it.
///
/// Claims and their `max*` views (SEC-40): `maxDeposit`, `maxMint`, `maxWithdraw`, `maxRedeem`
/// (controller) are the controller's claimable amounts, exactly what `deposit`, `mint`, `withdraw`
/// and `redeem` accept (one unit more: `ExceedsClaimable`). Redemption claims are paid from cash
/// reserved at their strike (rounded up), never from free cash, so a vault short of cash never
/// overstates them; deposit claims fit the supply room (above). They are 0 while the controller
/// may not claim (frozen by the registry or on the share token, or not verified: SEC-123). Not
/// reflected: the share engine's refusal of a mint to the receiver (a capped controller's shares
/// wait, claimable), nor a frozen receiver (`WalletFrozen`).
///
/// Clocks (SEC-36, SEC-37): cut-offs and the fee clock are 40 bits (to the year 36812) and the
/// open period's number 24 bits; a strike whose next cut-off would pass 2^40 - 1, or that would
/// open period 2^24 - 1, sets the cut-off 2^40 - 1 (never reached: that period's requests stay
/// cancellable). A strike never reverts for a clock.
///
/// Minimums (SEC-126, SEC-132): the share engine's `InvestmentMinimums` are in the instrument's
/// currency with 18 decimals, the vault valuing its asset at par (`assets x 10^(18 - decimals)`),
/// so one table serves every vault of a desk whatever its asset's decimals. A subscription
/// (`requestDeposit` for its controller, `instantDeposit` for its receiver) is initial while the
/// controller's subscriptions in this vault (requests less cancellations, and instant ones) are
/// below the initial minimum, and must bring them to it; later ones meet the subsequent minimum.
/// Holding shares (1 wei given by anyone) makes nothing subsequent. Per vault: a desk investor's
/// first subscription in another asset's vault is initial there. An instant subscription leans on
/// no request its receiver can still cancel (pending, or refused at its strike: SEC-136): a
/// pending request, anyone's for that controller, counts for it only once struck.
/// @dev Warning: a request still leans on the controller's own pending request (one position: a
/// cancellation takes both back); nothing re-checks the minimum when a request is cancelled.
///
/// Requests are aggregated per controller (ERC-7540 `requestId` 0): a controller has at most one
/// pending deposit and one pending redemption, each in one period. A new request first settles
/// the controller's earlier one (the struck part becomes claimable, O(1)) and then adds to what
/// is still pending, in the same period. After the cut-off of a period in which the controller
/// still has something pending, a new request (which would join the next period) reverts
/// `PendingInEarlierPeriod`: it waits for the strike.
///
/// Rounding never favours the investor: shares and assets paid round down, shares carried round
/// down for the investor (the difference stays in the queue and is served, unowned), cash
/// reserved for redemptions rounds up; so the claims never exceed what the vault holds for them
/// (`reservedAssets() >=` the sum of claimable assets) and each investor receives at most its exact
/// entitlement at the struck NAVs.
///
/// Cash. The vault's balance of `asset()` is: pending deposits (investors' until their strike),
/// reserved cash (claimable redemptions, never leaves but to a claim), and free cash (the fund's).
/// FUND_MANAGER moves free cash to the custodian GOVERNOR set (`investCash`); anyone brings it
/// back (`returnCash`).
///
/// @dev Role mapping (deploy step keepers/lifecycle/fund_deploy.py): `strike` -> NAV_AGENT;
/// `investCash` -> FUND_MANAGER; `setGate`, `setDealingInterval`, `setCustodian`,
/// `setInstantLimit` -> GOVERNOR. `accrueFees`, `collectFees` are anyone's (they pay only the
/// schedule's recipient).
/// ERC-165: ERC-7540 operator (0xe3bc4e65), asynchronous deposit (0xce3bbe50), asynchronous
/// redemption (0x620ee8e4), ERC-7575 vault (0x2f0a18c5) and ERC-165 itself.
/// Deviations from ERC-7540, on purpose:
/// - `requestRedeem` from an address that is neither the owner nor its operator reverts
///   `NotOwnerOrOperator`, even with an ERC-20 allowance over the owner's shares: an ERC-3643
///   token gives a third party no way to spend an allowance through the vault. The owner approves
///   the VAULT on the share token (`approve(vault, shares)`), and the escrow is that owner -> vault
///   transfer, checked by the engine; an allowance to anyone else is not looked at.
/// - The `preview*` functions revert (`AsyncFlow`), as ERC-7540 requires for asynchronous flows.
/// - Cancellation (not in ERC-7540) is synchronous: `cancelDepositRequest` / `cancelRedeemRequest`
///   return the pending part at once, before the cut-off of its period, or once the instrument is
///   wound up (matured, closed: `IFundNavSource.isWoundUp`). A suspension does not open it (SEC-134):
///   after the cut-off the period's NAV may be reported, and a request cancelled then would be a
///   free option on it; a suspended period is struck when dealing resumes.
/// Warning: the vault's identity must be an escrow of the share's engine (the deploy routine sets
/// it, SEC-122); without it the engine's identity rules bind the escrow as one holder (a holding
/// cap then refuses every redemption request once the queue reaches it). The rules of the parties
/// still apply: an owner's send into the escrow meets its own lock-up, limits and remaining
/// minimum, and a cancellation's return meets the receiver's caps.
/// Warning: the vault assumes it alone moves its escrow. A token agent's forced transfer or burn of
/// the vault's shares, or a freeze of its wallet or identity (powers the vault does not hold; an
/// issuer's agent or the sanctions keeper may), leaves the queue unbacked or immovable: requests,
/// cancellations and the strike's burn then revert until it is undone.
/// Warning: the asset must be a plain ERC-20 (no fee on transfer, no rebasing); the vault keeps
/// pending and reserved amounts by count and reads its balance for the free cash.
/// Fees (the protocol's FeeSchedule, `feeSchedule()`, GOVERNOR's and timelocked there). Every fee
/// is the schedule's `charge` for the investor's identity, in assets, rounded up, and is held by
/// the vault for the schedule's recipient until anyone calls `collectFees` (owed shares minted to
/// the recipient through the engine, held assets sent to it):
/// - subscription: charged at the claim (`deposit`/`mint`) on the assets claimed; the fee's part
///   of the claimed shares (rounded up) is owed to the recipient, the receiver gets the rest (the
///   `Deposit` event and the return value are the receiver's net shares; `mint(shares)` takes
///   `shares` of the claim, gross);
/// - redemption: charged at the claim (`redeem`/`withdraw`) on the assets claimed; the reserve
///   pays the fee into the held assets and the rest to the receiver (`Withdraw` event and the
///   return of `redeem`: net assets; `withdraw(assets)` takes `assets` of the claim, gross);
/// - management: `managementBps` a year of the shares outstanding (below: the share supply, the
///   shares owed to the recipient and the struck deposit shares not yet claimed, SEC-180; in a
///   desk every vault's, `IFundNavSource.unmintedSharesBesides`, SEC-181), accrued per second as
///   new shares owed to the recipient (`f / (1 - f)` of the base, so the recipient holds `f` of
///   the fund after the mint): at every strike (on the shares before its burn and its deposits;
///   a desk accrues its vaults before it strikes any), before every instant deal (in the class's
///   management vault, SEC-187) and on `accrueFees` (anyone; the schedule calls it as it writes a
///   change),
///   at the rate the vault cached at its last `accrueFees` (the schedule's rate since then). The
///   clock moves by the seconds the fee shares pay for (to the nearest second, SEC-232), not to
///   now: the fraction of a share unit left is charged with the next accrual; a fee that rounds
///   to 0 shares, or one for less than `MIN_BILLED` (10 minutes) since the clock, is not minted
///   and leaves the clock where it was (SEC-133). So frequent accruals (anyone's, timed as they
///   like) never round a small or low-decimal fund's fee away nor raise it: each mint is off by
///   at most half a second's fee in 10 minutes (it forfeited up to a unit each, half the fee of
///   a 0-decimal class accrued when its fee neared 2 units). The clock moves to now when the rate
///   changes, past `MAX_ACCRUAL` (the time beyond is not charged), and
///   at every accrual while no share is outstanding (SEC-135: the first investors never pay for
///   the months the vault was empty, before its first strike or after a full redemption; a struck
///   claim left unclaimed is outstanding, SEC-180). When the vault's own strike or instant deal
///   changes the base from `b0` to `b1`, the seconds not yet charged
///   are carried onto the new base (the clock set to `now - ceil(elapsed x b0 / b1)`, never
///   further back than it was; SEC-185, SEC-188): the fee owed for them, below one share unit, is
///   kept and not charged on the shares that come after it (an emptied fund's rounding dust never
///   charges its empty months to the next investor; tiny deals do not forfeit the fee; a
///   shrinking base forgoes the sub-unit fee of the shares that left).
///   The desk's accrual before its strike moves the clock to now (the class's base changes in
///   several vaults; below one share unit a strike is forfeited), unless the clock is less than
///   10 minutes old (SEC-233: nothing is then minted, and the seconds stay to be charged).
///   Warning: a class whose fee between two desk strikes is below one unit (a small 0-decimal
///   class, or desk strikes 10 to 15 minutes apart) so pays no management fee. Round trips in the
///   fee vault (an instant deposit then redemption) carry the clock without minting: repeated,
///   they can keep it under 10 minutes old, bounded by the instant limit per period. A desk
///   vault's instant deal has the fee vault accrue first (anyone's accrual: clock kept, no
///   carry). Warning: so an instant subscription in another vault of the desk pays for the fee
///   vault's seconds not yet charged (those of a fee below one unit or under 10 minutes, or the
///   fraction left by its last mint), at most the time since the desk's last strike (one dealing
///   interval): about `d / b` units, or 10 minutes' fee on `d`, for a subscription of `d` on a
///   base of `b`; a redemption escapes as much.
/// The vault caches its schedule's management rate and whether it has any dealing fee or tier
/// (`IFeeSchedule.accrualTermsOf`); without either it does not call the schedule when it deals.
/// Fee assets held are not free cash (`freeCash`, the strike's cash bound, `investCash`).
/// Shares outstanding (for a NAV): `share().totalSupply()` + `heldFees().shares` (owed, not yet
/// minted) + the struck deposit shares not yet claimed (`unclaimedShares()`: the sum of
/// `PeriodStruck.depositShares` less the sum of `Deposit.shares` and `SubscriptionFeeHeld.shares`);
/// in a desk, the supply plus every vault's owed and unclaimed shares.
///
/// Instant liquidity (the Ondo / BUIDL facility pattern): while the open period's cut-off has
/// not passed, the instrument deals and a NAV was struck, anyone subscribes (`instantDeposit`) or
/// an owner redeems (`instantRedeem`) at once at the LAST STRUCK NAV, up to `instantLimit` assets
/// per period in each direction (gross of fees; GOVERNOR sets it, 0 closes the facility):
/// - `instantDeposit(assets, receiver)`: the caller pays `assets`; the instant subscription fee
///   (`subscriptionBps + instantBps`) is held for the recipient; `receiver` (the subscription
///   minimums apply to it) is minted what the rest buys, rounded down, through the engine; the
///   cash is the fund's free cash at once.
/// - `instantRedeem(shares, receiver, owner)`: the owner's shares are escrowed (a rule-checked
///   transfer) and burned; their value at the last NAV (rounded down) comes out of FREE cash (the
///   buffer; pending deposits, reserved and fee cash never pay it); the instant redemption fee
///   (`redemptionBps + instantBps` plus `urgencyBps` x the period's redemption limit utilisation,
///   its mean over this redemption: (before + after) / 2, rounded up, SEC-127, so a redemption
///   split in pieces pays what it pays whole) is held, the rest paid to `receiver`.
/// Income (SEC-121): for a share class paying its dividend in new shares (an IncomeShareToken),
/// the instant NAV is the last struck one times the income index at that strike over the index
/// now (rounded up to buy, down to sell): a declaration adds shares, not assets, so shares bought
/// just before it and sold just after return what they cost, not a day's dividend. The vault
/// keeps the index at each strike (one slot); a share without an index deals at the last NAV.
/// Warning: the NAV agent reports the period's NAV after the day's declaration: a declaration
/// between the report and the strike leaves that NAV before it until the next strike.
/// Both go through the FeeSchedule's tiers and volumes like the dealing fees.
/// NOT in this contract (extension points, issue 17's later parts): several settlement assets
/// (ERC-7575: one FundVault per asset over the same share token; the gate is per vault), dividends
/// and coupons (the share token's income index), maturity (the registry's status: `isDealing`
/// false stops requests and strikes; wound up, `isWoundUp`, it opens cancellation after a cut-off).
interface IFundVault is IERC7575, IERC7540Operator, IERC7540Deposit, IERC7540Redeem, IERC165, IFeeAccruer {
    // ------------------------------------------------------------ errors
    /// @notice `sender` is neither `controller` nor an operator `controller` approved.
    error NotControllerOrOperator(address sender, address controller);
    /// @notice `sender` is neither `owner` nor an operator `owner` approved.
    error NotOwnerOrOperator(address sender, address owner);
    /// @notice `setOperator` naming the caller itself.
    error SelfOperator(address controller);
    /// @notice The NAV source says the instrument does not deal now (suspended, matured, closed).
    error NotDealing(uint256 instrumentId);
    /// @notice The controller of a deposit request is not a verified investor of the registry.
    error ControllerNotVerified(address controller);
    /// @notice A subscription (a deposit request, an instant subscription for `controller`, its
    /// receiver) below its jurisdiction's minimum (the share engine's table), both in the
    /// instrument's currency with 18 decimals (SEC-126; the asset counted at par): `initial` while
    /// the controller's subscriptions here (requested less cancelled, and instant) are below the
    /// initial minimum, `value18` then being those subscriptions with this one (SEC-132: initial on
    /// what it subscribed, not on what it holds; for an instant subscription, less a request the
    /// controller can still cancel, SEC-136); else this subscription's value against the
    /// subsequent minimum.
    error BelowMinimumInvestment(address controller, uint256 value18, uint256 minimum18, bool initial);
    /// @notice A deposit path (request, instant subscription) in an asset the NAV source does not
    /// take at par now (SEC-120): off its peg (`price18`, `deviationBps` from par), unpriced (0),
    /// unpegged or unlisted.
    error AssetDepegged(address asset, uint256 price18, uint256 deviationBps);
    /// @notice `wallet`, the controller of a claim or a cancellation (or the owner of an instant
    /// redemption), or the receiver it would pay, is frozen: on the share token or under the
    /// identity registry's sanctions freeze (SEC-123). The claim stays, claimable once lifted.
    error WalletFrozen(address wallet);
    error ZeroAmount();
    /// @notice A pending amount or a period total would exceed its storage width (2^96 - 1).
    error AmountTooLarge(uint256 amount, uint256 max);
    /// @notice `controller` still has a request pending in `pendingPeriod` (not struck) and this
    /// request would join `requestPeriod` (the cut-off has passed): wait for the strike.
    error PendingInEarlierPeriod(address controller, uint256 pendingPeriod, uint256 requestPeriod);
    /// @notice Nothing pending to cancel.
    error NothingPending(address controller);
    /// @notice The pending request belongs to `period`, whose cut-off has passed: it will be struck.
    error CutoffPassed(uint256 period, uint256 cutoff);
    /// @notice `strike()` before the period's cut-off.
    error StrikeBeforeCutoff(uint256 period, uint256 cutoff, uint256 timestamp);
    /// @notice `strike(expected)`: the NAV was computed with `expected` income declarations of the
    /// share, which has `declarations` now (SEC-183): compute the NAV again.
    error DeclarationsChanged(uint256 expected, uint256 declarations);
    /// @notice The NAV source returned 0 or more than `max` (2^96 - 1).
    error NavOutOfRange(uint256 nav18, uint256 max);
    /// @notice A claim of more than the controller's claimable amount.
    error ExceedsClaimable(address controller, uint256 requested, uint256 claimable);
    /// @notice `preview*` on an asynchronous flow (ERC-7540: MUST revert).
    error AsyncFlow();
    error GateOutOfRange(uint256 gateBps, uint256 max);
    error IntervalOutOfRange(uint256 interval, uint256 min, uint256 max);
    /// @notice `investCash` of more than the free cash.
    error InsufficientFreeCash(uint256 requested, uint256 free);
    /// @notice `investCash` while GOVERNOR has set no custodian.
    error NoCustodian();
    error ZeroAddress();
    /// @notice Instant dealing before the first strike (no NAV to deal at).
    error NoStruckNav();
    /// @notice An instant subscription or redemption of `requested` assets (gross) beyond what
    /// is left of the period's limit in its direction, `available`.
    error InstantLimitExceeded(uint256 requested, uint256 available);
    /// @notice `collectFees` while the fee schedule names no recipient.
    error NoFeeRecipient();
    /// @notice A token's `decimals()` above 18: amounts are 96 bits, sized for 18 decimals (SEC-39).
    error UnsupportedDecimals(address token, uint8 decimals);
    /// @notice `from` gives the shares (or the money for them) and `to` would end up with them,
    /// and the share token would refuse `from` a transfer to `to` (`reasonCode`, its
    /// `detectTransferRestriction`): a request naming another controller, a claim or a
    /// cancellation naming another receiver, an instant subscription for another receiver.
    error PairNotCompliant(address from, address to, uint8 reasonCode);
    /// @notice An instant subscription of `shares` beyond what the share token can still mint
    /// beyond what the vault has promised (`room`: its supply cap less the supply, the fee
    /// shares owed and the struck deposit shares not yet claimed).
    error SupplyRoomExceeded(uint256 shares, uint256 room);

    // ------------------------------------------------------------ events
    /// @notice Period `period` struck at `nav18`: `depositAssets` subscribed for `depositShares`
    /// (sum before per-investor rounding), `fulfilledShares` of `pendingShares` redeemed (burned)
    /// for `reservedAssets`, the rest carried; the next period's cut-off is `nextCutoff`.
    event PeriodStruck(
        uint256 indexed period,
        uint256 nav18,
        uint256 depositAssets,
        uint256 depositShares,
        uint256 pendingShares,
        uint256 fulfilledShares,
        uint256 reservedAssets,
        uint256 nextCutoff
    );
    /// @notice The strike of `period` refused its deposits, `assets` for `shares` at its NAV: more
    /// than the share token could still mint beyond what the vault has promised (`room`). Each
    /// request of the period is refunded on `cancelDepositRequest` (any time; none is claimable),
    /// and `PeriodStruck` reports no deposits.
    event DepositsRefused(uint256 indexed period, uint256 assets, uint256 shares, uint256 room);
    /// @notice The strike of `period` refused its deposits (`DepositsRefused` follows) because the
    /// vault's `asset` is not at par now (its usable price `price18` beyond its threshold, an
    /// unpegged type, or unpriced: `price18` 0, e.g. the router's Deviation or OutOfBounds in a
    /// fast depeg, or a stale feed): a deposit requested while the asset was at par is not struck
    /// after it left its peg (SEC-120, SEC-139: unpriced is refused, never struck at par).
    event DepositsRefusedOffPeg(uint256 indexed period, address asset, uint256 price18);
    /// @notice The strike of `period` burned `shares` the vault held beyond its escrow: the income
    /// an IncomeShareToken paid on escrowed shares (and any shares sent to the vault), owned by no
    /// investor; their value stays in the fund, for the remaining holders.
    event EscrowIncomeBurned(uint256 indexed period, uint256 shares);
    event DepositRequestCancelled(address indexed controller, address indexed receiver, address sender, uint256 assets);
    event RedeemRequestCancelled(address indexed controller, address indexed receiver, address sender, uint256 shares);
    event GateSet(uint256 previousBps, uint256 nextBps);
    event DealingIntervalSet(uint256 previous, uint256 next);
    event CustodianSet(address previous, address next);
    /// @notice Free cash sent to the custodian; `freeCashAfter` is what is left free.
    event CashInvested(address indexed custodian, uint256 assets, uint256 freeCashAfter);
    event CashReturned(address indexed from, uint256 assets);
    event InstantLimitSet(uint256 previous, uint256 next);
    /// @notice `sender` paid `assets` (gross) for `receiver`'s `shares` at `nav18`, `fee` held.
    event InstantDeposit(
        address indexed sender, address indexed receiver, uint256 assets, uint256 fee, uint256 shares, uint256 nav18
    );
    /// @notice `owner`'s `shares` redeemed at `nav18` for `assets` (gross), `fee` held, the rest
    /// paid to `receiver`.
    event InstantRedeem(
        address indexed sender,
        address indexed receiver,
        address indexed owner,
        uint256 shares,
        uint256 assets,
        uint256 fee,
        uint256 nav18
    );
    /// @notice A deposit claim of `controller` paid its subscription fee (`assets`, as charged) as
    /// `shares` of the claimed shares, now owed to the recipient (the `Deposit` event has the rest).
    event SubscriptionFeeHeld(address indexed controller, uint256 assets, uint256 shares);
    /// @notice Management fee `shares` owed to the recipient, accrued up to `accruedAt`.
    event ManagementFeeAccrued(uint256 shares, uint256 accruedAt);
    /// @notice The fees held (`shares` owed, `assets`) paid to `recipient`.
    event FeesCollected(address indexed recipient, uint256 shares, uint256 assets);

    // ------------------------------------------------------------ deployment
    /// @notice Writes a new vault's storage, once, from its proxy's constructor (the vault runs behind
    /// a GovernedProxy: issue 34): its AccessManager `authority`, period 1's cut-off `firstCutoff`
    /// (in the future, below the year 36812), the dealing interval (1 hour..366 days), the
    /// redemption gate (1..10,000 bps), the management fee's clock and terms (the fee schedule's for
    /// this address, now) and the start's NAV of 1. Emits GateSet and DealingIntervalSet.
    /// Reverts `InitializeOutsideConstruction` on any account with code (a deployed proxy, the
    /// implementation), `CutoffPassed(1, firstCutoff)`, `IntervalOutOfRange`, `GateOutOfRange`.
    /// @dev Runs in the FundAdmin module. NOT checked: that the proxy's constructor calls it (a
    /// proxy without it has no authority, and every restricted function reverts).
    function initialize(address authority, uint256 firstCutoff, uint32 interval, uint16 gateBps) external;

    // ------------------------------------------------------------ governance (GOVERNOR)
    /// @notice Sets the redemption gate: at most `gateBps` / 10,000 of the share supply is redeemed
    /// per period (10,000: no gate). From the next strike. Bounds: 1..10,000.
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function setGate(uint16 gateBps) external;

    /// @notice Sets the spacing of cut-offs, applied from the cut-off the next strike sets.
    /// Bounds: MIN_DEALING_INTERVAL..MAX_DEALING_INTERVAL.
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function setDealingInterval(uint32 interval) external;

    /// @notice Sets where `investCash` sends free cash (zero: nowhere, investing stops).
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function setCustodian(address custodian) external;

    /// @notice Sets the instant liquidity limit: at most `assets` (gross of fees) of instant
    /// subscriptions, and as much of instant redemptions, per dealing period. 0 closes the
    /// facility. Applies at once, to what the open period has used already.
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function setInstantLimit(uint96 assets) external;

    // ------------------------------------------------------------ NAV agent (NAV_AGENT)
    /// @notice Strikes the current period (see the contract notice); reverts `StrikeBeforeCutoff`
    /// before its cut-off and whatever the NAV source reverts with (not dealing, no price).
    /// @dev Cost independent of the number of pending requests (a fixed set of slots).
    /// @return period The period struck.
    /// @return nav18 The NAV it was struck at.
    /// @dev `strike(declarations)` at the share's declaration count now. Warning: so it does not
    /// check which declarations the NAV includes beyond the NAV source's time test (SEC-137: a NAV
    /// reported before the share's last declaration is refused); a NAV computed before a
    /// declaration and reported after it passes. A NAV agent strikes with `strike(declarations)`.
    /// Each form checks its own selector's role (SEC-186; the deploy routine wires both to
    /// NAV_AGENT), so GOVERNOR can withhold the unbound one, and an AccessManager `execute` or a
    /// scheduled operation of either runs as named.
    function strike() external returns (uint256 period, uint256 nav18);

    /// @notice `strike()` bound to the NAV's inputs (SEC-183): `declarations` is the share's income
    /// declaration count (`IIncomeShareToken.incomeIndex`'s second value; 0 for a share without
    /// an index) the NAV agent read with the share supply its NAV divides by. Reverts
    /// `DeclarationsChanged` unless the share has exactly as many now: a declaration since (in
    /// flight when the NAV was computed, or landing between the report and the strike) changed
    /// the supply, and the NAV is computed again. Chosen over the time test alone, which passes a
    /// NAV computed before a declaration and reported after it; kept beside it (SEC-137).
    /// @dev Not checked: that the NAV was computed at all from that supply (the agent's word).
    function strike(uint256 declarations) external returns (uint256 period, uint256 nav18);

    // ------------------------------------------------------------ issuer (FUND_MANAGER)
    /// @notice Sends `assets` of free cash (not pending, not reserved) to the custodian.
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function investCash(uint256 assets) external;

    /// @notice Brings `assets` back from the caller (it approved the vault); they become free cash.
    /// @dev Runs in the FundAdmin module, after the vault's checks (the vault's size budget).
    function returnCash(uint256 assets) external;

    // ------------------------------------------------------------ fees (anyone)
    /// @notice Pays the fees held (owed shares minted, assets sent) to the schedule's recipient;
    /// reverts `NoFeeRecipient` without one. The management fee is paid as accrued so far (at the
    /// last strike or `accrueFees`: call it first to collect up to now).
    /// @dev The mint passes the engine: a recipient it refuses stops the collection (the fees
    /// stay held).
    /// Runs in the FundAdmin module (the vault's size budget).
    function collectFees() external returns (uint256 shares, uint256 assets);

    // ------------------------------------------------------------ instant liquidity
    /// @notice Subscribes `assets` from the caller at once at the last struck NAV (priced for the
    /// income declared since, SEC-121), less the instant subscription fee, for `receiver` (see the
    /// notice). Reverts `CutoffPassed` between the cut-off and its strike, `NoStruckNav` before
    /// the first strike, `NotDealing`, `AssetDepegged` (SEC-120), `InstantLimitExceeded`, the
    /// minimums' `BelowMinimumInvestment` / `ControllerNotVerified`, and whatever the engine
    /// refuses the mint with. The class's management fee is accrued first, in its management
    /// vault (SEC-187): the supply it moves pays for the time before it and not after.
    /// @return shares Minted to `receiver` (rounded down).
    function instantDeposit(uint256 assets, address receiver) external returns (uint256 shares);

    /// @notice Redeems `owner`'s `shares` at once at the last struck NAV from the free cash, less
    /// the instant redemption fee with its urgency premium, paid to `receiver` (the caller is the
    /// owner or its operator). Reverts as `instantDeposit` (not `AssetDepegged` nor the minimums),
    /// `WalletFrozen` for a frozen owner or receiver (SEC-123), and `InsufficientFreeCash(gross,
    /// free)` when the free cash cannot pay the gross value. Accrues the management fee first, as
    /// `instantDeposit`.
    /// @return assets Paid to `receiver` (net of the fee).
    function instantRedeem(uint256 shares, address receiver, address owner) external returns (uint256 assets);

    // ------------------------------------------------------------ investors
    /// @notice Cancels `controller`'s pending deposit and sends its assets to `receiver`, before
    /// the cut-off of its period (any time once the instrument is wound up, SEC-134, or once its
    /// strike refused it: `DepositsRefused`, a refund from the reserve). The controller verified
    /// and unfrozen, the receiver unfrozen (SEC-123: `WalletFrozen`, `ControllerNotVerified`).
    /// @dev Runs in the FundInstant module (the vault's size budget).
    /// @return assets The assets returned (all of the pending deposit).
    function cancelDepositRequest(address controller, address receiver) external returns (uint256 assets);

    /// @notice Cancels what is still pending of `controller`'s redemption (its struck part stays
    /// claimable) and transfers those shares to `receiver` (a rule-checked transfer from the vault;
    /// `receiver` one `controller` may transfer to, `PairNotCompliant`), before the cut-off of the
    /// period it is pending in (any time once the instrument is wound up, SEC-134). The controller
    /// verified and unfrozen, the receiver unfrozen (SEC-123).
    /// @dev Runs in the FundInstant module (the vault's size budget).
    /// @return shares The shares returned.
    function cancelRedeemRequest(address controller, address receiver) external returns (uint256 shares);

    // ------------------------------------------------------------ views
    /// @notice The NAV source and the instrument this vault deals in.
    function navSource() external view returns (IFundNavSource source, uint256 instrumentId);

    /// @notice The open period and its totals.
    /// @return period The period accepting requests until `cutoff` (then struck).
    /// @return cutoff Its cut-off (unix seconds).
    /// @return depositAssets Assets pending for `period`.
    /// @return redeemShares Shares pending for `period`, carried ones included.
    /// @return lateDepositAssets Assets requested after `cutoff`, for `period + 1`.
    /// @return lateRedeemShares Shares requested after `cutoff`, for `period + 1`.
    function dealing()
        external
        view
        returns (
            uint256 period,
            uint256 cutoff,
            uint256 depositAssets,
            uint256 redeemShares,
            uint256 lateDepositAssets,
            uint256 lateRedeemShares
        );

    /// @notice What the strike of `period` recorded (zeros before it): its NAV and the redemption
    /// queue's running product `c` (fixed point, 2^127 at an era's start), running sum `a`, era and
    /// scale after it.
    function strikeOf(uint256 period)
        external
        view
        returns (uint256 nav18, uint256 c, uint256 a, uint256 era, uint256 scale);

    /// @notice Assets held for claimable redemptions (>= the sum of every controller's
    /// `maxWithdraw`) and for refused deposits until refunded (SEC-35).
    function reservedAssets() external view returns (uint256);

    /// @notice The fund's cash in the vault: its balance less pending deposits and reserved cash.
    function freeCash() external view returns (uint256);

    /// @notice The protocol's fee schedule this vault charges through.
    function feeSchedule() external view returns (IFeeSchedule);

    /// @notice Fees held for the recipient as `collectFees` would pay them now: shares owed
    /// (management fee accrued up to `accruedAt`, the management clock) and assets held.
    function heldFees() external view returns (uint256 shares, uint256 assets, uint256 accruedAt);

    /// @notice The deposit shares struck and not yet claimed (minted only on a claim): part of the
    /// shares outstanding, and of the management fee's base (SEC-180).
    function unclaimedShares() external view returns (uint256);

    /// @notice The instant limit per period and what the open period used of it, per direction.
    function instantLiquidity() external view returns (uint256 limit, uint256 subscribed, uint256 redeemed);

    function gateBps() external view returns (uint256);
    function dealingInterval() external view returns (uint256);
    /// @notice The modules this vault's code runs by DELEGATECALL (Dispatch): instant dealing
    /// (FundInstant) and governance, cash and fees (FundAdmin). Immutables of the implementation: an
    /// upgrade of the vault replaces them too, so a proposed implementation's are read before it
    /// runs (the console's governance page flags a module no deployment recorded).
    function modules() external view returns (address instant, address admin);
    function custodian() external view returns (address);
}
