// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice What a fee is charged on. Instant kinds add the instant-liquidity fee to the base fee of
/// their direction; an instant redemption adds the urgency premium as well.
enum FeeKind {
    /// A subscription at the struck NAV (ERC-7540 request): `subscriptionBps`.
    Subscription,
    /// A redemption at the struck NAV: `redemptionBps`.
    Redemption,
    /// A subscription at the last struck NAV from the liquidity buffer: `subscriptionBps + instantBps`.
    InstantSubscription,
    /// A redemption at the last struck NAV from the liquidity buffer: `redemptionBps + instantBps`
    /// plus `urgencyBps` times the buffer's utilisation.
    InstantRedemption
}

/// @notice A volume tier: from `minVolume` of cumulative dealing (the fund's primary asset's base
/// units) an identity's dealing fees are cut by `discountBps` of themselves.
struct FeeTier {
    uint96 minVolume;
    uint16 discountBps;
}

/// @notice A fund's fee schedule (the product plan's DynamicFeeStructure), as GOVERNOR sets it.
/// Every rate is bounded by its `MAX_*` constant.
struct FeeTerms {
    /// Of the assets subscribed (ERC-7540 and instant).
    uint16 subscriptionBps;
    /// Of the assets redeemed (ERC-7540 and instant).
    uint16 redemptionBps;
    /// The instant-liquidity fee, on top of the base fee of an instant subscription or redemption.
    uint16 instantBps;
    /// The urgency premium of an instant redemption at full utilisation of the period's instant
    /// capacity (linear in the utilisation; see `fee`).
    uint16 urgencyBps;
    /// The management fee per year (365 days) of the fund's shares, accrued per second.
    uint16 managementBps;
    /// Receives the fees (the fund collects them to it: `IFundVault.collectFees`). A holder the
    /// share's compliance engine admits (fees in shares are minted to it).
    address recipient;
    /// At most `MAX_TIERS`, `minVolume` strictly increasing and above 0, `discountBps` non-decreasing,
    /// 1 to `MAX_TIER_DISCOUNT_BPS`. Below the first tier: no discount.
    FeeTier[] tiers;
}

/// @title IFeeSchedule
/// @notice The protocol's fee schedules, one per fund vault: subscription, redemption and
/// instant-liquidity fees with volume tiers per investor identity and an urgency premium, and a
/// management fee accruing per second. GOVERNOR sets a schedule (timelocked by the AccessManager's
/// execution delay on GOVERNOR), every rate within the protocol's maximums, each change logged with
/// the previous and the new terms. A vault asks for its fees as it deals (`charge`), which also
/// adds the dealing to the investor identity's cumulative volume (the tiers' measure).
///
/// Fee maths (all integers, rounded up: a fee never favours the investor):
///     rate      = kindBps * 10^4 + (InstantRedemption ? urgencyBps * min(utilisationBps, 10^4) : 0)
///     fee       = ceil(amount * rate * (10^4 - discountBps) / 10^12)
/// where `kindBps` is the kind's base fee (see `FeeKind`) and `discountBps` the tier of the
/// identity's volume BEFORE this dealing (the dealing that crosses a threshold pays the old tier).
/// The management fee, over `elapsed` seconds (at most `MAX_ACCRUAL`) on `base` shares outstanding:
///     f         = managementBps * elapsed / (10^4 * 365 days)
///     shares    = floor(base * f / (1 - f))
/// so that the shares minted to the recipient are exactly `f` of the fund after minting (rounded
/// down: the recipient, not the investors, bears the rounding).
/// @dev Role mapping (keepers/access/protocol.py): `setFeeSchedule` -> GOVERNOR (timelocked).
/// `charge` is open to anyone and writes only the caller's ledger: a vault charges itself; nobody
/// can touch another vault's volumes. The identity is the protocol IdentityRegistry's identity of
/// the investor's wallet (two wallets of one identity share one volume); an unregistered wallet
/// counts as its own identity.
/// Warning: NOT checked here: that `amount` is what the vault really dealt, that `utilisationBps`
/// is the buffer's real utilisation, or that a vault uses the fee it is told: the vault's job.
/// Volumes are per vault and never decrease (a redemption adds to it like a subscription). A
/// schedule change does not reprice requests already struck; it applies to fees charged after it
/// (the vault charges at the claim, see IFundVault). As the change is written the vault accrues
/// the management fee at the old rate (`IFeeAccruer.accrueFees` on the vault) and caches the new
/// terms, so the new rate applies from that second on. Volumes count the dealing of a vault while
/// its schedule has a dealing fee or tiers (otherwise the vault does not call `charge`).
/// One management fee per share class (SEC-138): a vault accrues its management fee on its share's
/// whole supply, so only one vault of a share (of a FundDesk, or any two vaults minting one share)
/// may have a non-zero `managementBps` (`ManagementFeeOnAnotherVault`); a schedule with one needs
/// a FundVault (`NotAFundVault`: its `share()` is read when the schedule is set). Chosen over
/// dividing the fee among the vaults: the class's NAV and fee recipient stay one ledger.
/// Warning: the share a vault reports is trusted (the vault is the protocol's, by its deploy
/// routine); a schedule written before this rule existed is not re-checked.
interface IFeeSchedule {
    /// @notice Which bounded field of `FeeTerms` a refusal is about.
    enum FeeField {
        Subscription,
        Redemption,
        Instant,
        Urgency,
        Management
    }

    /// @notice `field`'s rate `bps` is above its maximum `maxBps`.
    error FeeAboveMaximum(FeeField field, uint256 bps, uint256 maxBps);
    /// @notice `field` would rise from `previousBps` to `bps`, more than `maxIncreaseBps` in one change.
    error FeeIncreaseTooLarge(FeeField field, uint256 previousBps, uint256 bps, uint256 maxIncreaseBps);
    /// @notice More tiers than `MAX_TIERS`.
    error TooManyTiers(uint256 count, uint256 max);
    /// @notice Tier `index` starts at `minVolume`, not above the previous tier's `previousMinVolume`
    /// (0 for the first: a tier starts above 0).
    error TiersNotIncreasing(uint256 index, uint256 minVolume, uint256 previousMinVolume);
    /// @notice Tier `index` discounts `discountBps`, below the previous tier's `minBps` or above
    /// `maxBps` (`MAX_TIER_DISCOUNT_BPS`); a tier discounts at least 1 bps.
    error TierDiscountOutOfBounds(uint256 index, uint256 discountBps, uint256 minBps, uint256 maxBps);
    /// @notice A schedule with a fee but no recipient.
    error NoRecipient(address vault);
    /// @notice A management fee for `vault` while `charging`, another vault of its share class
    /// (`share`), has one: each vault accrues on the class's whole supply, so a class has one
    /// management-fee vault (SEC-138). Set the fee to 0 there first.
    error ManagementFeeOnAnotherVault(address share, address vault, address charging);
    /// @notice A management fee for `vault`, which does not answer `share()` (no FundVault).
    error NotAFundVault(address vault);

    /// @notice `share`'s management-fee vault changed from `previous` to `next` (0: none).
    event ManagementVaultSet(address indexed share, address previous, address next);
    /// @notice `vault`'s schedule replaced (`previous` all zeros for a first schedule).
    event FeeScheduleSet(address indexed vault, FeeTerms previous, FeeTerms next);
    /// @notice `vault` charged `fee` of `amount` to `investor` (of `identity`), whose cumulative
    /// volume is now `volume`; `discountBps` is the tier discount applied.
    event FeeCharged(
        address indexed vault,
        address indexed identity,
        address investor,
        FeeKind kind,
        uint256 amount,
        uint256 fee,
        uint256 discountBps,
        uint256 volume
    );

    // ------------------------------------------------------------ GOVERNOR
    /// @notice Replaces `vault`'s fee schedule. Every rate at most its maximum
    /// (`FeeAboveMaximum(field, bps, max)`) and at most `MAX_FEE_INCREASE_BPS` above its previous
    /// value (`FeeIncreaseTooLarge`; lowering is unbounded), tiers as `FeeTerms` says (`TooManyTiers`,
    /// `TiersNotIncreasing`, `TierDiscountOutOfBounds`), a recipient if any rate is not 0
    /// (`NoRecipient`). Then calls `vault.accrueFees()` when `vault` has code: the vault accrues
    /// the management fee up to now at the rate it had cached (the old one) and caches the new
    /// terms (`accrualTermsOf`).
    function setFeeSchedule(address vault, FeeTerms calldata terms) external;

    // ------------------------------------------------------------ vaults
    /// @notice The fee the caller (a vault) charges `investor` on `amount` of `kind`, at the
    /// caller's schedule and the tier of the investor identity's volume before it; adds `amount`
    /// to that volume. Emits `FeeCharged`.
    /// @param utilisationBps The caller's instant capacity utilisation (read for `InstantRedemption`
    /// only): a FundVault passes its mean over the redemption, (before + after) / 2 (SEC-127), so
    /// the linear premium is its integral and splitting a redemption saves nothing.
    /// @return fee In the units of `amount`, rounded up, at most `amount`.
    function charge(FeeKind kind, address investor, uint256 amount, uint256 utilisationBps)
        external
        returns (uint256 fee);

    // ------------------------------------------------------------ views
    /// @notice What `charge` would return for `vault` now (the volume unchanged).
    function previewFee(address vault, FeeKind kind, address investor, uint256 amount, uint256 utilisationBps)
        external
        view
        returns (uint256 fee);

    /// @notice Management fee shares owed on `base` shares after `elapsed` seconds (see the notice).
    function managementFeeShares(address vault, uint256 base, uint256 elapsed) external view returns (uint256);

    /// @notice The vault of `share` whose schedule has a management fee (0: none; SEC-138).
    function managementVaultOf(address share) external view returns (address vault);

    /// @notice What `vault` caches of its schedule (on `accrueFees`, which `setFeeSchedule` calls
    /// after writing): the management rate, and whether it charges dealing fees or has tiers (a
    /// vault whose schedule has neither does not call `charge`: its dealing adds to no volume).
    function accrualTermsOf(address vault) external view returns (uint256 managementBps, bool charges);

    /// @notice `vault`'s schedule (all zeros and no tiers when none was set).
    function termsOf(address vault) external view returns (FeeTerms memory);

    /// @notice Where `vault`'s fees go.
    function recipientOf(address vault) external view returns (address);

    /// @notice `identity`'s cumulative dealing volume at `vault` (primary asset base units).
    function volumeOf(address vault, address identity) external view returns (uint256);

    /// @notice The identity fees of `investor` are tiered by (its registry identity, or itself).
    function identityOf(address investor) external view returns (address);

    /// @notice The tier discount `investor` deals at now at `vault`.
    function discountOf(address vault, address investor) external view returns (uint256 discountBps);
}

/// @title IFeeAccruer
/// @notice What a fee schedule change asks of a vault: accrue its management fee up to now.
interface IFeeAccruer {
    /// @notice Accrues the management fee up to now at the cached rate, then caches the schedule's
    /// current terms (idempotent within a block; anyone may call). A fee rounding to 0 leaves the
    /// clock (SEC-133): the next accrual charges those seconds; a new rate starts from now. With no
    /// shares and none owed the clock moves to now (SEC-135: the empty time is nobody's).
    function accrueFees() external;
}
