"""The note of the demo's lifecycle act (issue 17 item 9): a two-year 3% semi-annual note (30/360,
modified following) issued to the fund's three institutions right after the fund's autumn of
2008, paying its four coupons to the holders of record and redeemed at face value at maturity.

Built by the lifecycle domain's deploy step (`deploy_bond_share_token`: a BondShareToken and its
BondServicer paying in USDC) on the fund's stack (same authority, identity registry, instrument
registry and issuer), registered with an ISIN whose check digit `isin_check_digit` computes (the
registry checks it again), activated, serviced. The issuer delegates DECLARE to the NAV agent
keeper (at most a year: renewed after each coupon), so the keeper records each coupon on
its record date. The issuer funds each coupon before its record date and the redemption before
maturity.

Chain time moves through the two years by the demo's chain helpers (`evm_setNextBlockTimestamp`,
never a sleep): to each record date, where a transfer is refused (balances are fixed until the
coupon is recorded) and the keeper's coupon step (`LifecycleKeeper.record_coupons`: the coupons of
QuantLib's schedule whose record date came, stored, then recorded on the servicer) records it; to
each payment date, where the holders claim; to maturity, where anyone matures the instrument and
starts the redemption and each holder redeems. The keeper runs its coupon step here, not its whole
cycle: the fund's act is over (its cycle would strike a period and declare a dividend two years
late, on the fund the report has already read).

Between the first and second coupons the pension fund sells notes to the insurer: the holders of
record of the later coupons are not those of the first.

Dates are the chain's: the fund's read as 2008 through the short rate's shift, but a fixed coupon
needs no rate, and the registry, DayCount.sol and QuantLib's schedule all work on chain time (the
weekends they roll over are the chain dates')."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from keepers.demo.actions import ActionLog

SECTION = "note"
DAY, USDC = 86_400, 10**6
WHOLE, SCALE = 10**18, 10**36
FACE_USD = 100  # face value per note
RATE_BPS, FREQUENCY, MONTHS = 300, 2, 24
RECORD_OFFSET_DAYS = 1
ISIN_BODY = "US00QNOTE10"  # the check digit is computed (`isin_check_digit`)
SYMBOL = "QN10"
DELEGATION_SECONDS = 365 * DAY  # the registry's MAX_DELEGATION_PERIOD is 366 days
TRADE_AFTER_COUPON, TRADE_NOTES = 1, 5_000  # pension fund -> insurer, after coupon 1
ISSUER_TREASURY_USD = 1_000_000  # the issuer's own cash, beside the issue's proceeds
# name, notes bought at issue (whole notes, at face)
BUYERS = (("pension fund", 20_000), ("corporate treasury", 10_000), ("insurer", 30_000))


@dataclass
class NoteCoupon:
    number: int
    record_date: str
    payment_date: str
    days: int  # 30/360 days of its accrual period
    amount_per_note: int  # the coupon scheduler's (QuantLib), 18-decimal USD per note
    coupon_per_share: int  # the servicer's CouponRecorded.couponPerShare (scaled by SCALE)
    recorded_by: str  # CouponRecorded.by
    recorded_at: int  # chain time of the recording
    refused_before_recording: str  # the transfer tried on the record date, before the keeper
    holders_of_record: dict[str, int] = field(default_factory=dict)  # notes (base units)
    paid: dict[str, int] = field(default_factory=dict)  # USDC claimed per holder
    defaulted: bool = False


@dataclass
class NoteResult:
    isin: str
    instrument_id: int
    token: str
    servicer: str
    issue_date: str
    maturity_date: str
    keeper: str  # the NAV agent keeper's address (its DECLARE delegation records the coupons)
    coupons: list[NoteCoupon] = field(default_factory=list)
    redeemed: dict[str, int] = field(default_factory=dict)  # USDC redemption per holder
    redeemed_notes: dict[str, int] = field(default_factory=dict)  # notes held at maturity
    redemption_price: int = 0  # per whole note, scaled by SCALE
    redemption_shortfall: int = 0
    funded_coupons_usdc: int = 0
    keeper_recorded: list[int] = field(default_factory=list)  # coupon numbers it reported

    @property
    def coupons_on_schedule(self) -> bool:
        """Four coupons, recorded in order by the keeper on their record dates (before their
        payment dates), each the QuantLib schedule's amount, each holder of record paid exactly
        its notes x the coupon (rounded down), none short."""
        return (
            [c.number for c in self.coupons] == [1, 2, 3, 4]
            and self.keeper_recorded == [1, 2, 3, 4]
            and all(
                c.recorded_by.lower() == self.keeper.lower()
                and _date(c.recorded_at) == c.record_date < c.payment_date
                and c.coupon_per_share == c.amount_per_note * USDC
                and not c.defaulted
                and c.refused_before_recording.startswith("refused: BalancesFixed")
                and c.paid
                == {n: b * c.coupon_per_share // SCALE for n, b in c.holders_of_record.items()}
                for c in self.coupons
            )
        )

    @property
    def holders_changed(self) -> bool:
        """The trade moved notes between two coupons' holders of record."""
        first, last = self.coupons[0].holders_of_record, self.coupons[-1].holders_of_record
        return first != last and sum(first.values()) == sum(last.values())

    @property
    def redeemed_at_face(self) -> bool:
        """At maturity every holder was paid its notes x face value from the issuer's pool,
        nothing short."""
        return (
            self.redemption_price == FACE_USD * WHOLE * USDC
            and self.redemption_shortfall == 0
            and self.redeemed
            == {n: b * FACE_USD * USDC // WHOLE for n, b in self.redeemed_notes.items()}
            and sum(self.redeemed_notes.values()) == sum(n for _, n in BUYERS) * WHOLE
        )

    def as_json(self) -> dict:
        return asdict(self)


def _refusal(servicer, send) -> str:
    """The outcome of a balance change the servicer refuses: the token calls it with a low-level
    call and bubbles its revert data, so its error is decoded with the servicer's ABI."""
    from ape.exceptions import ContractLogicError
    from eth_abi import decode
    from eth_utils import function_signature_to_4byte_selector

    try:
        send()
    except ContractLogicError as err:
        data = err.revert_message if isinstance(err.revert_message, str) else ""
        selector = function_signature_to_4byte_selector("BalancesFixed(uint256,uint256)")
        if data.startswith("0x" + selector.hex()):
            number, since = decode(["uint256", "uint256"], bytes.fromhex(data[10:]))
            return f"refused: BalancesFixed(couponNumber={number}, since={_date(since)})"
        return f"refused: {type(err).__name__} {data[:66]}"
    return "not refused"


def _date(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()


def _midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def exercise_note(
    log: ActionLog, d, registry, usdc, keeper, people: dict, jurisdictions, set_time, head_now
) -> NoteResult:
    """Issues, services and redeems the note (see the module notice) on the fund's stack `d`:
    `people` the accounts by role ("issuer", "agent", "NAV agent", "operator") and by buyer name
    (`BUYERS`), `keeper` the act's LifecycleKeeper (its signer the NAV agent), `set_time` and
    `head_now` the act's chain-time helpers."""
    from ape import chain

    from keepers.access import renounce_temporary_roles
    from keepers.lifecycle import (
        OPERATIONS,
        BusinessDayConvention,
        CouponTerms,
        DayCountConvention,
        InstrumentKind,
        InstrumentTerms,
        add_months,
        all_coupons,
        day_count,
        deploy_bond_share_token,
        from_timestamp,
        isin_check_digit,
        set_token_issuer,
        to_timestamp,
        utc_midnight,
    )

    def act(who, what, send):
        return log.act(SECTION, who, what, send)

    issuer, agent, nav_agent, operator = (
        people[r] for r in ("issuer", "agent", "NAV agent", "operator")
    )
    wallets = {name: people[name] for name, _ in BUYERS}
    isin = ISIN_BODY + str(isin_check_digit(ISIN_BODY))
    token = deploy_bond_share_token(
        d,
        f"Quantera {RATE_BPS / 100:g}% Note",
        SYMBOL,
        agent=agent.address,
        instruments=registry,
        payment_asset=usdc,
        jurisdictions=jurisdictions,
    )
    set_token_issuer(d, [token], issuer.address)  # the issuer registers its token (SEC-130)
    renounce_temporary_roles(d)
    servicer = d.at("BondServicer", f"BondServicer.{SYMBOL}")
    token.unpause(sender=agent)
    issue = utc_midnight(int(chain.blocks.head.timestamp)) + DAY
    maturity = to_timestamp(add_months(from_timestamp(issue), MONTHS))
    terms = InstrumentTerms(
        kind=InstrumentKind.FIXED_COUPON_NOTE,
        isin=isin,
        share_token=token.address,
        settlement_assets=[usdc.address],
        face_value=FACE_USD * WHOLE,
        coupon=CouponTerms(
            fixed_rate_bps=RATE_BPS,
            frequency=FREQUENCY,
            day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
            roll=BusinessDayConvention.MODIFIED_FOLLOWING,
            record_date_offset_days=RECORD_OFFSET_DAYS,
        ),
        issue_date=issue,
        maturity_date=maturity,
    )
    instrument = int(registry.register(terms.as_tuple(), sender=issuer).return_value)
    result = NoteResult(
        isin,
        instrument,
        token.address,
        servicer.address,
        _date(issue),
        _date(maturity),
        nav_agent.address,
    )
    log.record(
        SECTION,
        "issuer",
        f"register the note {isin} (instrument {instrument}): {RATE_BPS / 100:g}% semi-annual, "
        f"30/360, {_date(issue)} to {_date(maturity)}, paid in USDC by a BondServicer",
        "ok",
    )
    act("issuer", "activate the note", lambda: registry.activate(instrument, sender=issuer))
    delegate = lambda: registry.setOperator(  # noqa: E731
        nav_agent,
        OPERATIONS["DECLARE"],
        int(chain.blocks.head.timestamp) + DELEGATION_SECONDS,
        sender=issuer,
    )
    act("issuer", "delegate DECLARE to the NAV agent keeper for a year", delegate)
    act(
        "issuer",
        "start servicing (fix the first record date)",
        lambda: servicer.startServicing(sender=issuer),
    )
    usdc.approve(servicer, 2**256 - 1, sender=issuer)
    usdc.mint(issuer, ISSUER_TREASURY_USD * USDC, sender=operator)  # the coupons' funding
    set_time(issue)
    for name, notes in BUYERS:
        wallet = wallets[name]
        usdc.mint(wallet, notes * FACE_USD * USDC, sender=operator)
        usdc.transfer(issuer, notes * FACE_USD * USDC, sender=wallet)
        act(
            "issuer's agent",
            f"issue {notes:,} notes to the {name} (paid {notes * FACE_USD:,} USDC)",
            lambda w=wallet, n=notes: token.mint(w, n * WHOLE, sender=agent),
        )

    coupons = all_coupons(terms)
    seller, buyer = wallets["pension fund"], wallets["insurer"]
    for coupon in coupons:
        supply = int(token.totalSupply())
        due = -(-supply * coupon.amount_per_unit * USDC // SCALE)
        result.funded_coupons_usdc += due
        act(
            "issuer",
            f"fund coupon {coupon.number} ({due / USDC:,.2f} USDC)",
            lambda a=due: servicer.fundCoupons(a, sender=issuer),
        )
        record_at = _midnight(coupon.record_date)
        set_time(record_at)
        refusal = _refusal(servicer, lambda: token.transfer(buyer, WHOLE, sender=seller))
        log.record(
            SECTION,
            "pension fund",
            f"transfer a note on coupon {coupon.number}'s record date, before its recording",
            refusal,
        )
        holders = {name: int(token.balanceOf(w)) for name, w in wallets.items()}
        before = chain.blocks.head.number
        keeper.record_coupons(head_now())
        result.keeper_recorded += [n for i, n in keeper.on_chain if i == instrument]
        recorded = [
            e
            for e in servicer.CouponRecorded.range(before, chain.blocks.head.number + 1)
            if int(e.number) == coupon.number
        ]
        defaulted = list(servicer.Defaulted.range(before, chain.blocks.head.number + 1))
        if not recorded:
            log.record(SECTION, "NAV agent", f"record coupon {coupon.number}", "not recorded")
            break
        event = recorded[0]
        log.record(
            SECTION,
            "NAV agent",
            f"record coupon {coupon.number} on its record date {coupon.record_date} "
            f"({int(event.couponPerShare) * WHOLE // SCALE / USDC:,.6f} USDC a note)",
            "ok",
        )
        set_time(max(_midnight(coupon.payment_date), int(chain.blocks.head.timestamp) + 1))
        paid = {}
        for name, wallet in wallets.items():
            before_usdc = int(usdc.balanceOf(wallet))
            servicer.claimCoupons(wallet, sender=wallet)
            paid[name] = int(usdc.balanceOf(wallet)) - before_usdc
        result.coupons.append(
            NoteCoupon(
                number=coupon.number,
                record_date=coupon.record_date.isoformat(),
                payment_date=coupon.payment_date.isoformat(),
                days=day_count(
                    DayCountConvention.THIRTY_360_BOND_BASIS,
                    coupon.accrual_start,
                    coupon.payment_date,
                ),
                amount_per_note=int(coupon.amount_per_unit),
                coupon_per_share=int(event.couponPerShare),
                recorded_by=str(event.by),
                recorded_at=int(chain.provider.get_block(event.block_number).timestamp),
                refused_before_recording=refusal,
                holders_of_record=holders,
                paid=paid,
                defaulted=bool(defaulted),
            )
        )
        if coupon.number == TRADE_AFTER_COUPON:
            act(
                "pension fund",
                f"sell {TRADE_NOTES:,} notes to the insurer",
                lambda: token.transfer(buyer, TRADE_NOTES * WHOLE, sender=seller),
            )
        if coupon.number < len(coupons):  # a year ahead covers the next record date, rolled
            act("issuer", "renew the keeper's DECLARE delegation for a year", delegate)

    supply = int(token.totalSupply())
    act(
        "issuer",
        f"fund the redemption at face ({supply * FACE_USD // WHOLE:,} USDC)",
        lambda: servicer.fundRedemption(supply * FACE_USD * USDC // WHOLE, sender=issuer),
    )
    set_time(maturity)
    holder = wallets["insurer"]
    act(
        "insurer",
        "mature the note (anyone, at maturity)",
        lambda: registry.mature(instrument, sender=holder),
    )
    act(
        "insurer",
        "start the redemption (anyone)",
        lambda: servicer.startRedemption(0, sender=holder),
    )
    for name, wallet in wallets.items():
        result.redeemed_notes[name] = int(token.balanceOf(wallet))
        before_usdc = int(usdc.balanceOf(wallet))
        act(name, "redeem its notes at face", lambda w=wallet: servicer.redeem(w, sender=w))
        result.redeemed[name] = int(usdc.balanceOf(wallet)) - before_usdc
    price, _, _, _, shortfall = (int(v) for v in servicer.redemptionPool())
    result.redemption_price, result.redemption_shortfall = price, shortfall
    return result
