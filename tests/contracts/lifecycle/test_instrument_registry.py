"""LCY-11 to LCY-15: the instrument registry — terms and their rules, issuers and their operators'
delegations with an expiry, the status moves each party may make, and NAV strikes bounded in age
and move, checkpointed by block (navAt). The status machine's every move is also driven at random
against a model in test_registry_stateful.py."""

import ape
import pytest
from ape.utils.abi import Struct
from eth_abi import decode
from eth_utils import keccak

from fast_reverts import revert_data
from keepers.lifecycle import (
    OPERATIONS,
    CallTerms,
    CouponTerms,
    InstrumentKind,
    InstrumentStatus,
)
from lifecycle_fixtures import DAY, YEAR, fund_terms, note_terms

ZERO = "0x" + "00" * 20
ACTIVATE, SUSPEND, STRIKE, CALL = (OPERATIONS[k] for k in ("ACTIVATE", "SUSPEND", "STRIKE", "CALL"))
REGISTERED, ACTIVE, SUSPENDED, MATURED, CLOSED = (
    InstrumentStatus.REGISTERED,
    InstrumentStatus.ACTIVE,
    InstrumentStatus.SUSPENDED,
    InstrumentStatus.MATURED,
    InstrumentStatus.CLOSED,
)
FEED_UNIT = 10**8  # the fixture's feeds: 8 decimals


def register(stack, issuer, terms) -> int:
    receipt = stack.registry.register(terms.as_tuple(), sender=issuer)
    return receipt.decode_logs(stack.registry.InstrumentRegistered)[0].id


def plain(value):
    """A struct read from chain (or a terms tuple) as nested lists of ints and bytes."""
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (list, tuple, Struct)):  # ape's structs index like tuples
        return [plain(v) for v in value]
    return int(value)


def status_moves(receipt, registry):
    return [
        (log.previous, log.next, log.by.lower())
        for log in receipt.decode_logs(registry.StatusChanged)
    ]


# ------------------------------------------------------------------ registration (LCY-11)


def test_register__note_with_real_identifiers__terms_stored_and_logged(lifecycle, issuer, chain):
    registry = lifecycle.registry
    terms = note_terms(lifecycle, chain.pending_timestamp)
    receipt = registry.register(terms.as_tuple(), sender=issuer)
    [logged] = receipt.decode_logs(registry.InstrumentRegistered)
    assert logged.id == 1 and logged.issuer == issuer.address
    assert plain(logged.terms) == plain(terms.as_tuple())
    assert status_moves(receipt, registry) == [(0, REGISTERED, issuer.address.lower())]
    assert plain(registry.termsOf(1)) == plain(terms.as_tuple())
    state = registry.stateOf(1)
    assert (state.issuer, state.status, state.guardianHold, state.fund, state.calledAt) == (
        issuer.address,
        REGISTERED,
        False,
        ZERO,
        0,
    )
    assert (state.maxNavMoveBps, state.maxNavAge, state.lastStrikeAt) == (
        registry.DEFAULT_MAX_NAV_MOVE_BPS(),
        registry.DEFAULT_MAX_NAV_AGE(),
        0,
    )
    assert registry.instrumentCount() == 1
    assert registry.idOfIsin(terms.isin.encode()) == 1
    assert registry.idOfShareToken(terms.share_token) == 1


def test_register__each_kind_with_its_own_terms__accepted(lifecycle, issuer, chain):
    """A money-market share class without maturity, a T-bill, a floating-rate note (monthly, a
    negative spread) and a fixed-coupon note, side by side."""
    now, shares, usdc = chain.pending_timestamp, lifecycle.shares, lifecycle.tokens["USDC"]
    fund = fund_terms(lifecycle, now)
    bill = note_terms(
        lifecycle,
        now,
        kind=InstrumentKind.TREASURY_BILL,
        isin="US5949181045",
        cusip="594918104",
        share_token=shares["QBILL"].address,
        coupon=CouponTerms(),
        call=CallTerms(),
    )
    frn = note_terms(
        lifecycle,
        now,
        kind=InstrumentKind.FLOATING_RATE_NOTE,
        isin="GB0002634946",
        cusip="",
        share_token=shares["QFRN"].address,
        settlement_assets=[usdc.address],
        coupon=CouponTerms(
            floating_index=1, spread_bps=-25, frequency=12, record_date_offset_days=27
        ),
        call=CallTerms(),
    )
    note = note_terms(lifecycle, now)
    ids = [register(lifecycle, issuer, t) for t in (fund, bill, frn, note)]
    assert ids == [1, 2, 3, 4]
    assert lifecycle.registry.termsOf(1).maturityDate == 0
    assert plain(lifecycle.registry.termsOf(3)) == plain(frn.as_tuple())


def _bad_terms(stack, now):
    """(case, terms, error name, error fields) — one broken rule each."""
    note = note_terms(stack, now)
    issue, maturity = note.issue_date, note.maturity_date
    coupon = note.coupon
    usdc, tdep = stack.tokens["USDC"].address, stack.tokens["TDEP"].address
    mmf = fund_terms(stack, now)
    frn_coupon = CouponTerms(floating_index=1, spread_bps=100, frequency=4)

    def nt(**kw):
        return note_terms(stack, now, **kw)

    def with_coupon(**kw):
        return nt(coupon=CouponTerms(**{**coupon.__dict__, **kw}))

    spread = 5_001
    return [
        ("zero face value", nt(face_value=0), "InvalidTerms", ("faceValue", 0)),
        ("issue not midnight", nt(issue_date=issue + 1), "InvalidTerms", ("issueDate", issue + 1)),
        ("maturity at issue", nt(maturity_date=issue), "InvalidTerms", ("maturityDate", issue)),
        ("note without maturity", nt(maturity_date=0), "InvalidTerms", ("maturityDate", 0)),
        (
            "maturity passed",
            nt(issue_date=issue - 2 * YEAR, maturity_date=issue - YEAR, call=CallTerms()),
            "InvalidTerms",
            ("maturityDate", issue - YEAR),
        ),
        ("frequency 3", with_coupon(frequency=3), "InvalidTerms", ("frequency", 3)),
        ("fixed rate 0", with_coupon(fixed_rate_bps=0), "InvalidTerms", ("fixedRateBps", 0)),
        (
            "fixed rate over 100%",
            with_coupon(fixed_rate_bps=10_001),
            "InvalidTerms",
            ("fixedRateBps", 10_001),
        ),
        (
            "fixed note with index",
            with_coupon(floating_index=1),
            "InvalidTerms",
            ("floatingIndex", 1),
        ),
        (
            "bill with coupon",
            nt(kind=InstrumentKind.TREASURY_BILL, call=CallTerms()),
            "InvalidTerms",
            ("frequency", 2),
        ),
        (
            "frn without index",
            nt(
                kind=InstrumentKind.FLOATING_RATE_NOTE,
                coupon=CouponTerms(spread_bps=100, frequency=4),
            ),
            "InvalidTerms",
            ("floatingIndex", 0),
        ),
        (
            "frn spread too wide",
            nt(
                kind=InstrumentKind.FLOATING_RATE_NOTE,
                coupon=CouponTerms(**{**frn_coupon.__dict__, "spread_bps": -spread}),
            ),
            "InvalidTerms",
            ("spreadBps", 2**16 - spread),
        ),
        (
            "record date 31 days",
            with_coupon(record_date_offset_days=31),
            "InvalidTerms",
            ("recordDateOffsetDays", 31),
        ),
        (
            "monthly record date 28 days",
            with_coupon(frequency=12, record_date_offset_days=28),
            "InvalidTerms",
            ("recordDateOffsetDays", 28),
        ),
        (
            "first call at issue",
            nt(call=CallTerms(True, issue, 10_100)),
            "InvalidTerms",
            ("firstCallDate", issue),
        ),
        (
            "first call at maturity",
            nt(call=CallTerms(True, maturity, 10_100)),
            "InvalidTerms",
            ("firstCallDate", maturity),
        ),
        (
            "call below par",
            nt(call=CallTerms(True, issue + YEAR, 9_999)),
            "InvalidTerms",
            ("callPriceBps", 9_999),
        ),
        (
            "call above twice par",
            nt(call=CallTerms(True, issue + YEAR, 20_001)),
            "InvalidTerms",
            ("callPriceBps", 20_001),
        ),
        (
            "not callable with a price",
            nt(call=CallTerms(False, 0, 10_000)),
            "InvalidTerms",
            ("callPriceBps", 10_000),
        ),
        (
            "callable fund",
            fund_terms(
                stack, now, maturity_date=maturity, call=CallTerms(True, issue + YEAR, 10_000)
            ),
            "InvalidTerms",
            ("callable", 1),
        ),
        (
            "fund with a coupon",
            fund_terms(stack, now, coupon=coupon),
            "InvalidTerms",
            ("frequency", 2),
        ),
        ("no settlement asset", nt(settlement_assets=[]), "InvalidTerms", ("settlementAssets", 0)),
        (
            "nine settlement assets",
            nt(settlement_assets=[usdc] * 9),
            "TooManySettlementAssets",
            (9, 8),
        ),
        (
            "unlisted settlement asset",
            nt(settlement_assets=[usdc, note.share_token]),
            "SettlementAssetNotListed",
            (note.share_token,),
        ),
        (
            "duplicate settlement asset",
            nt(settlement_assets=[usdc, tdep, usdc]),
            "DuplicateSettlementAsset",
            (usdc,),
        ),
        ("share token without code", nt(share_token=ZERO), "NotASecurityToken", (ZERO,)),
        (
            "share token not a security",
            nt(share_token=usdc),
            "NotASecurityToken",
            (usdc,),
        ),
        ("mmf ok but", mmf, None, None),
    ]


def test_register__each_broken_rule__refused_with_its_field_and_value(lifecycle, issuer, chain):
    registry = lifecycle.registry
    errors = {e.name: e for e in registry.contract_type.errors}
    for case, terms, name, fields in _bad_terms(lifecycle, chain.pending_timestamp):
        if name is None:
            continue
        data = revert_data(chain, registry.register, terms.as_tuple(), sender=issuer)
        abi = errors[name]
        assert data[:4] == keccak(text=abi.selector)[:4], (case, data[:4].hex())
        values = decode([i.canonical_type for i in abi.inputs], data[4:])
        expected = tuple(
            v.lower() if isinstance(v, str) and v.startswith("0x") else v for v in fields
        )
        got = tuple(v.lower() if isinstance(v, str) and v.startswith("0x") else v for v in values)
        assert got == expected, (case, got, expected)
    assert lifecycle.registry.instrumentCount() == 0


def test_register__isin_or_share_token_taken__refused_naming_the_holder(lifecycle, issuer, chain):
    registry, now = lifecycle.registry, chain.pending_timestamp
    register(lifecycle, issuer, note_terms(lifecycle, now))
    same_isin = fund_terms(lifecycle, now, isin=note_terms(lifecycle, now).isin)
    with ape.reverts(registry.IsinTaken, id=1):
        registry.register(same_isin.as_tuple(), sender=issuer)
    same_token = fund_terms(lifecycle, now, share_token=lifecycle.shares["QTN28"].address)
    with ape.reverts(registry.ShareTokenTaken, shareToken=lifecycle.shares["QTN28"].address, id=1):
        registry.register(same_token.as_tuple(), sender=issuer)


def test_register__issuer_not_approved__refused(lifecycle, outsider, governor, issuer, chain):
    registry, terms = lifecycle.registry, note_terms(lifecycle, chain.pending_timestamp)
    with ape.reverts(registry.IssuerNotApproved, issuer=outsider.address):
        registry.register(terms.as_tuple(), sender=outsider)
    registry.setIssuer(issuer, False, sender=governor)
    with ape.reverts(registry.IssuerNotApproved, issuer=issuer.address):
        registry.register(terms.as_tuple(), sender=issuer)


def test_amend_terms__while_registered_only__replaced_logged_old_identifiers_freed(
    lifecycle, issuer, issuer_operator, chain
):
    """The one path that changes terms: the issuer's, before activation."""
    registry, now = lifecycle.registry, chain.pending_timestamp
    first = note_terms(lifecycle, now)
    register(lifecycle, issuer, first)
    amended = note_terms(
        lifecycle, now, isin="US5949181045", cusip="", share_token=lifecycle.shares["QBILL"].address
    )
    with ape.reverts(registry.NotIssuer, id=1, caller=issuer_operator.address):
        registry.amendTerms(1, amended.as_tuple(), sender=issuer_operator)
    receipt = registry.amendTerms(1, amended.as_tuple(), sender=issuer)
    [log] = receipt.decode_logs(registry.TermsAmended)
    assert plain(log.previous) == plain(first.as_tuple())
    assert plain(log.next) == plain(amended.as_tuple())
    assert plain(registry.termsOf(1)) == plain(amended.as_tuple())
    assert (
        registry.idOfIsin(first.isin.encode()) == 0
        and registry.idOfShareToken(first.share_token) == 0
    )
    assert registry.idOfIsin(b"US5949181045") == 1
    # The freed ISIN and token can be registered again.
    assert register(lifecycle, issuer, first) == 2
    registry.activate(1, sender=issuer)
    with ape.reverts(registry.TermsLocked, id=1, status=ACTIVE):
        registry.amendTerms(1, amended.as_tuple(), sender=issuer)


# ------------------------------------------------------------------ issuers and operators (LCY-12)


def test_set_issuer__governor_only__logged_previous_and_new(
    lifecycle, governor, outsider, guardian
):
    registry = lifecycle.registry
    with ape.reverts(registry.AccessManagedUnauthorized, caller=outsider.address):
        registry.setIssuer(outsider, True, sender=outsider)
    with ape.reverts(registry.AccessManagedUnauthorized, caller=guardian.address):
        registry.setIssuer(outsider, True, sender=guardian)
    receipt = registry.setIssuer(outsider, True, sender=governor)
    [log] = receipt.decode_logs(registry.IssuerSet)
    assert (log.issuer, log.previous, log.next) == (outsider.address, False, True)
    assert registry.isIssuer(outsider)
    [log] = registry.setIssuer(outsider, False, sender=governor).decode_logs(registry.IssuerSet)
    assert (log.previous, log.next) == (True, False) and not registry.isIssuer(outsider)


def test_set_operator__bounds__unknown_bits_and_expiries_refused_changes_logged(
    lifecycle, issuer, issuer_operator, outsider, chain
):
    registry = lifecycle.registry
    now = chain.pending_timestamp
    max_period = registry.MAX_DELEGATION_PERIOD()
    with ape.reverts(registry.UnknownOperations, operations=64):
        registry.setOperator(issuer_operator, 64, now + DAY, sender=issuer)
    with ape.reverts(registry.InvalidExpiry):
        registry.setOperator(issuer_operator, ACTIVATE, now - 1, sender=issuer)
    with ape.reverts(registry.InvalidExpiry):
        registry.setOperator(issuer_operator, ACTIVATE, now + max_period + 60, sender=issuer)
    with ape.reverts(registry.InvalidExpiry, expiry=5, maxExpiry=0):
        registry.setOperator(issuer_operator, 0, 5, sender=issuer)
    with ape.reverts(registry.IssuerNotApproved, issuer=outsider.address):
        registry.setOperator(issuer_operator, ACTIVATE, now + DAY, sender=outsider)
    receipt = registry.setOperator(issuer_operator, ACTIVATE | STRIKE, now + DAY, sender=issuer)
    [log] = receipt.decode_logs(registry.OperatorSet)
    assert (log.issuer, log.operator) == (issuer.address, issuer_operator.address)
    assert (log.previousOperations, log.nextOperations) == (0, ACTIVATE | STRIKE)
    assert (log.previousExpiry, log.nextExpiry) == (0, now + DAY)
    assert registry.delegationOf(issuer, issuer_operator) == (ACTIVATE | STRIKE, now + DAY)
    [log] = registry.setOperator(issuer_operator, 0, 0, sender=issuer).decode_logs(
        registry.OperatorSet
    )
    assert (log.previousOperations, log.nextOperations, log.previousExpiry, log.nextExpiry) == (
        ACTIVATE | STRIKE,
        0,
        now + DAY,
        0,
    )


def test_delegation__until_expiry_then_refused_naming_operator_operation_and_expiry(
    lifecycle, issuer, issuer_operator, chain
):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    expiry = chain.pending_timestamp + 10 * DAY
    registry.setOperator(issuer_operator, ACTIVATE | SUSPEND, expiry, sender=issuer)
    assert registry.canAct(id_, issuer_operator, ACTIVATE) and registry.canAct(id_, issuer, CALL)
    assert not registry.canAct(id_, issuer_operator, CALL)
    # Not delegated: CALL (its own expiry is reported, the delegation being alive).
    registry.activate(id_, sender=issuer_operator)
    with ape.reverts(
        registry.OperationNotDelegated,
        id=id_,
        operator=issuer_operator.address,
        operation=CALL,
        expiry=expiry,
    ):
        registry.exerciseCall(id_, sender=issuer_operator)
    registry.suspend(id_, sender=issuer_operator)
    # Expired: from the expiry itself on (exclusive).
    chain.pending_timestamp = expiry
    chain.mine()
    assert not registry.canAct(id_, issuer_operator, ACTIVATE)
    with ape.reverts(
        registry.OperationNotDelegated,
        id=id_,
        operator=issuer_operator.address,
        operation=ACTIVATE,
        expiry=expiry,
    ):
        registry.activate(id_, sender=issuer_operator)
    registry.activate(id_, sender=issuer)  # the issuer itself never expires


def test_delegation__revoked__refused_with_expiry_zero(lifecycle, issuer, issuer_operator, chain):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    registry.setOperator(issuer_operator, ACTIVATE, chain.pending_timestamp + DAY, sender=issuer)
    registry.setOperator(issuer_operator, 0, 0, sender=issuer)
    with ape.reverts(
        registry.OperationNotDelegated,
        id=id_,
        operator=issuer_operator.address,
        operation=ACTIVATE,
        expiry=0,
    ):
        registry.activate(id_, sender=issuer_operator)


def test_revoked_issuer__its_and_its_operators_powers_gone__back_on_reapproval(
    lifecycle, issuer, issuer_operator, fund_contract, governor, chain
):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    registry.setOperator(
        issuer_operator, ACTIVATE | STRIKE, chain.pending_timestamp + DAY, sender=issuer
    )
    registry.setFund(id_, fund_contract, sender=issuer)
    registry.setIssuer(issuer, False, sender=governor)
    for sender in (issuer, issuer_operator):
        with ape.reverts(registry.IssuerNotApproved, issuer=issuer.address):
            registry.activate(id_, sender=sender)
    assert not registry.canAct(id_, issuer, ACTIVATE)
    assert not registry.canAct(id_, issuer_operator, ACTIVATE)
    # Revoking its operators stays possible; granting does not.
    with ape.reverts(registry.IssuerNotApproved, issuer=issuer.address):
        registry.setOperator(fund_contract, STRIKE, chain.pending_timestamp + DAY, sender=issuer)
    registry.setIssuer(issuer, True, sender=governor)
    registry.activate(id_, sender=issuer_operator)
    registry.setIssuer(issuer, False, sender=governor)
    # The fund's strikes are the issuer's power too.
    with ape.reverts(registry.IssuerNotApproved, issuer=issuer.address):
        registry.strikeNav(id_, sender=fund_contract)


# ------------------------------------------------------------------ status moves (LCY-13)


def test_status__full_life__each_move_by_its_party_logged_previous_next_by(
    lifecycle, issuer, issuer_operator, guardian, governor, outsider, chain
):
    registry = lifecycle.registry
    terms = note_terms(lifecycle, chain.pending_timestamp)
    id_ = register(lifecycle, issuer, terms)
    registry.setOperator(
        issuer_operator, ACTIVATE | SUSPEND, chain.pending_timestamp + 300 * DAY, sender=issuer
    )

    def move(method, sender, expected):
        receipt = getattr(registry, method)(id_, sender=sender)
        assert status_moves(receipt, registry) == expected, method
        return receipt

    who = {a: a.address.lower() for a in (issuer, issuer_operator, guardian, governor, outsider)}
    move("activate", issuer_operator, [(REGISTERED, ACTIVE, who[issuer_operator])])
    move("suspend", issuer, [(ACTIVE, SUSPENDED, who[issuer])])
    move("activate", issuer_operator, [(SUSPENDED, ACTIVE, who[issuer_operator])])
    receipt = move("guardianSuspend", guardian, [(ACTIVE, SUSPENDED, who[guardian])])
    [hold] = receipt.decode_logs(registry.GuardianHoldSet)
    assert (hold.previous, hold.next, hold.by) == (False, True, guardian.address)
    # The guardian's hold: neither the issuer nor its operator lifts it.
    for sender in (issuer, issuer_operator):
        with ape.reverts(registry.GuardianHold, id=id_):
            registry.activate(id_, sender=sender)
    receipt = move("resume", governor, [(SUSPENDED, ACTIVE, who[governor])])
    [hold] = receipt.decode_logs(registry.GuardianHoldSet)
    assert (hold.previous, hold.next) == (True, False)
    with ape.reverts(registry.MaturityNotReached, id=id_, maturityDate=terms.maturity_date):
        registry.mature(id_, sender=outsider)
    chain.pending_timestamp = terms.maturity_date
    move("mature", outsider, [(ACTIVE, MATURED, who[outsider])])
    with ape.reverts(registry.NotIssuer, id=id_, caller=issuer_operator.address):
        registry.close(id_, sender=issuer_operator)
    move("close", issuer, [(MATURED, CLOSED, who[issuer])])
    with ape.reverts(registry.IllegalStatusMove, id=id_, **{"from": CLOSED}, to=ACTIVE):
        registry.activate(id_, sender=issuer)


def test_guardian_suspend__issuer_suspended__becomes_a_hold_without_status_change(
    lifecycle, issuer, guardian, governor, chain
):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    registry.activate(id_, sender=issuer)
    registry.suspend(id_, sender=issuer)
    receipt = registry.guardianSuspend(id_, sender=guardian)
    assert status_moves(receipt, registry) == []
    assert [(log.previous, log.next) for log in receipt.decode_logs(registry.GuardianHoldSet)] == [
        (False, True)
    ]
    assert registry.stateOf(id_).guardianHold
    with ape.reverts(registry.GuardianHold, id=id_):
        registry.activate(id_, sender=issuer)
    with ape.reverts(registry.IllegalStatusMove, id=id_, **{"from": SUSPENDED}, to=SUSPENDED):
        registry.guardianSuspend(id_, sender=guardian)
    registry.resume(id_, sender=governor)
    assert registry.statusOf(id_) == ACTIVE and not registry.stateOf(id_).guardianHold


def test_restricted_moves__only_their_role(lifecycle, issuer, guardian, governor, outsider, chain):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    registry.activate(id_, sender=issuer)
    for sender in (issuer, outsider, governor):
        with ape.reverts(registry.AccessManagedUnauthorized, caller=sender.address):
            registry.guardianSuspend(id_, sender=sender)
    registry.suspend(id_, sender=issuer)
    for sender in (issuer, outsider, guardian):
        with ape.reverts(registry.AccessManagedUnauthorized, caller=sender.address):
            registry.resume(id_, sender=sender)
    with ape.reverts(registry.AccessManagedUnauthorized, caller=issuer.address):
        registry.setNavBounds(id_, 100, 3_600, sender=issuer)


def test_exercise_call__callable_from_first_call_date_only__matures_at_call_price(
    lifecycle, issuer, issuer_operator, chain
):
    registry = lifecycle.registry
    terms = note_terms(lifecycle, chain.pending_timestamp)
    id_ = register(lifecycle, issuer, terms)
    registry.activate(id_, sender=issuer)
    first_call = terms.call.first_call_date
    with ape.reverts(registry.CallNotAllowed, id=id_, callable=True, firstCallDate=first_call):
        registry.exerciseCall(id_, sender=issuer)
    registry.setOperator(issuer_operator, CALL, first_call + DAY, sender=issuer)
    chain.pending_timestamp = first_call
    receipt = registry.exerciseCall(id_, sender=issuer_operator)
    assert status_moves(receipt, registry) == [(ACTIVE, MATURED, issuer_operator.address.lower())]
    [called] = receipt.decode_logs(registry.Called)
    assert called.callPriceBps == 10_100 and registry.stateOf(id_).calledAt == receipt.timestamp
    # Not callable: a fund's share class (and a note without call terms).
    fund_id = register(lifecycle, issuer, fund_terms(lifecycle, chain.pending_timestamp))
    registry.activate(fund_id, sender=issuer)
    with ape.reverts(registry.CallNotAllowed, id=fund_id, callable=False, firstCallDate=0):
        registry.exerciseCall(fund_id, sender=issuer)
    # An open-ended share class never reaches a maturity.
    with ape.reverts(registry.MaturityNotReached, id=fund_id, maturityDate=0):
        registry.mature(fund_id, sender=issuer)


def test_unknown_instrument__refused(lifecycle, issuer, governor):
    registry = lifecycle.registry
    with ape.reverts(registry.UnknownInstrument, id=7):
        registry.activate(7, sender=issuer)
    with ape.reverts(registry.UnknownInstrument, id=7):
        registry.resume(7, sender=governor)
    assert registry.statusOf(7) == 0 and not registry.canAct(7, issuer, ACTIVATE)


# ------------------------------------------------------------------ NAV (LCY-14, LCY-15)


@pytest.fixture
def active_note(lifecycle, issuer, chain):
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    lifecycle.registry.activate(id_, sender=issuer)
    return id_


def report(stack, symbol, price, reporter):
    return stack.feeds[symbol].report(stack.answer(price), sender=reporter)


def test_strike_nav__moves_within_the_bound__checkpointed_inclusive_bound(
    lifecycle, active_note, issuer, reporter
):
    registry = lifecycle.registry
    first = registry.strikeNav(active_note, sender=issuer)
    [log] = first.decode_logs(registry.NavStruck)
    assert (log.previous, log.next, log.by) == (0, 100 * 10**18, issuer.address)
    assert registry.latestNav(active_note) == (100 * 10**18, first.block_number, first.timestamp)
    report(lifecycle, "QTN28", 102.0, reporter)  # +2.00%: exactly the default 200 bps
    second = registry.strikeNav(active_note, sender=issuer)
    [log] = second.decode_logs(registry.NavStruck)
    assert (log.previous, log.next) == (100 * 10**18, 102 * 10**18)
    report(lifecycle, "QTN28", 99.96, reporter)  # -2.00%: within
    registry.strikeNav(active_note, sender=issuer)
    assert registry.navCheckpointCount(active_note) == 3
    assert registry.stateOf(active_note).lastStrikeAt == registry.latestNav(active_note)[2]


def test_strike_nav__move_above_the_bound__refused_with_the_numbers(
    lifecycle, active_note, issuer, governor, reporter
):
    registry = lifecycle.registry
    registry.strikeNav(active_note, sender=issuer)
    report(lifecycle, "QTN28", 102.01, reporter)
    with ape.reverts(
        registry.NavMoveTooLarge,
        id=active_note,
        previous=100 * 10**18,
        next=10201 * 10**16,
        maxBps=200,
    ):
        registry.strikeNav(active_note, sender=issuer)
    # GOVERNOR widens the bound (within the protocol's): the move passes.
    receipt = registry.setNavBounds(active_note, 500, 3_600, sender=governor)
    [log] = receipt.decode_logs(registry.NavBoundsSet)
    assert (log.previousMaxMoveBps, log.nextMaxMoveBps) == (200, 500)
    assert (log.previousMaxAge, log.nextMaxAge) == (86_400, 3_600)
    registry.strikeNav(active_note, sender=issuer)
    assert registry.latestNav(active_note)[0] == 10201 * 10**16


def test_set_nav_bounds__outside_protocol_bounds__refused(lifecycle, active_note, governor):
    registry = lifecycle.registry
    for move, age in ((0, 3_600), (5_001, 3_600), (100, 59), (100, 7 * 86_400 + 1)):
        with ape.reverts(
            registry.NavBoundsOutOfRange, id=active_note, maxNavMoveBps=move, maxNavAge=age
        ):
            registry.setNavBounds(active_note, move, age, sender=governor)
    registry.setNavBounds(active_note, 5_000, 7 * 86_400, sender=governor)
    registry.setNavBounds(active_note, 1, 60, sender=governor)


def test_strike_nav__stale_or_unpriced__refused(
    lifecycle, active_note, issuer, governor, reporter, chain
):
    registry = lifecycle.registry
    registry.setNavBounds(active_note, 200, 3_600, sender=governor)
    reported = report(lifecycle, "QTN28", 100.0, reporter).timestamp
    chain.pending_timestamp = reported + 3_601
    with ape.reverts(registry.StaleNav, id=active_note, updatedAt=reported, maxNavAge=3_600):
        registry.strikeNav(active_note, sender=issuer)
    # Beyond the feed's heartbeat the router gives no price at all.
    chain.pending_timestamp = reported + 86_401
    with ape.reverts(
        registry.NavUnavailable,
        id=active_note,
        shareToken=lifecycle.shares["QTN28"].address,
        status=6,  # PriceStatus.Stale
    ):
        registry.strikeNav(active_note, sender=issuer)


def test_strike_nav__fund_issuer_and_strike_operators_only__while_active(
    lifecycle, issuer, issuer_operator, fund_contract, outsider, chain
):
    registry = lifecycle.registry
    id_ = register(lifecycle, issuer, note_terms(lifecycle, chain.pending_timestamp))
    with ape.reverts(registry.InstrumentNotActive, id=id_, status=REGISTERED):
        registry.strikeNav(id_, sender=issuer)
    registry.activate(id_, sender=issuer)
    for sender in (outsider, fund_contract, issuer_operator):
        with ape.reverts(
            registry.OperationNotDelegated, id=id_, operator=sender.address, operation=STRIKE
        ):
            registry.strikeNav(id_, sender=sender)
    [log] = registry.setFund(id_, fund_contract, sender=issuer).decode_logs(registry.FundSet)
    assert (log.previous, log.next) == (ZERO, fund_contract.address)
    registry.strikeNav(id_, sender=fund_contract)
    registry.setOperator(issuer_operator, STRIKE, chain.pending_timestamp + DAY, sender=issuer)
    registry.strikeNav(id_, sender=issuer_operator)
    registry.suspend(id_, sender=issuer)
    with ape.reverts(registry.InstrumentNotActive, id=id_, status=SUSPENDED):
        registry.strikeNav(id_, sender=fund_contract)
    with ape.reverts(registry.NotIssuer):
        registry.setFund(id_, outsider, sender=issuer_operator)


def test_nav_at__several_strikes__the_nav_in_force_at_every_past_block(
    lifecycle, active_note, issuer, reporter, chain
):
    registry = lifecycle.registry
    start = chain.blocks.head.number
    struck = []  # (block, nav)
    for price in (100.0, 101.5, 100.2, 101.0):
        report(lifecycle, "QTN28", price, reporter)
        chain.mine(3)
        receipt = registry.strikeNav(active_note, sender=issuer)
        struck.append((receipt.block_number, int(round(price * 10**8)) * 10**10))
    chain.mine(2)
    head = chain.blocks.head.number
    for block in range(start, head + 1):
        in_force = [nav for at, nav in struck if at <= block]
        assert registry.navAt(active_note, block) == (in_force[-1] if in_force else 0), block
    assert registry.navAt(active_note, struck[0][0] - 1) == 0
    assert registry.latestNav(active_note)[:2] == (struck[-1][1], struck[-1][0])
    assert registry.navCheckpointCount(active_note) == 4
    with ape.reverts(registry.FutureBlock):
        registry.navAt(active_note, head + 10)


def test_strike_nav__twice_in_one_block__the_second_replaces_the_first(
    lifecycle, active_note, issuer, reporter, chain
):
    registry = lifecycle.registry
    registry.strikeNav(active_note, sender=issuer)
    web3 = chain.provider.web3
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        report_data = lifecycle.feeds["QTN28"].report.encode_input(lifecycle.answer(101.0))
        strike_data = registry.strikeNav.encode_input(active_note)
        hashes = [
            web3.eth.send_transaction(
                {"from": sender.address, "to": to, "data": data, "gas": 500_000}
            )
            for sender, to, data in (
                (issuer, registry.address, strike_data),
                (reporter, lifecycle.feeds["QTN28"].address, report_data),
                (issuer, registry.address, strike_data),
            )
        ]
        chain.provider.make_request("evm_mine", [])
    finally:
        chain.provider.make_request("evm_setAutomine", [True])
    receipts = [web3.eth.get_transaction_receipt(h) for h in hashes]
    assert all(r["status"] == 1 for r in receipts)
    assert len({r["blockNumber"] for r in receipts}) == 1
    block = receipts[0]["blockNumber"]
    assert registry.navAt(active_note, block) == 101 * 10**18
    assert registry.navCheckpointCount(active_note) == 2  # the first strike's, and this block's
