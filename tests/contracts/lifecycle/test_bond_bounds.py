"""A note's servicing over its whole life at the registry's largest terms (security findings
SEC-30, SEC-38): the coupon index sized for every instrument the registry accepts (face value,
rate, term, the payment asset's decimals), checked on chain at the largest accepted note and
over the whole term space in tests/keepers/lifecycle/test_servicing_bounds.py; the servicer bound
only to the token its deployer names."""

import datetime as dt

import ape
from eth_utils import keccak

from bond_fixtures import mint_to_new_holders
from fast_reverts import attempt
from isolation import isolated
from keepers.access import renounce_temporary_roles
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    MAX_COUPON_BPS,
    MAX_FACE_VALUE,
    MAX_TERM_DAYS,
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentTerms,
    SettlementAssetType,
    deploy_bond_share_token,
    list_settlement_assets,
    servicing_bounds,
    set_token_issuer,
)
from keepers.lifecycle.schedule import CouponSchedule, from_timestamp, to_timestamp
from keepers.risk import deploy_feeds, feed_config, set_feeds
from lifecycle_fixtures import note_terms

DAY = 86_400
UNIT18 = 10**18
HOLDINGS = {"alice": 600, "bob": 400}
BIND_TOKEN = keccak(text="bindToken()")[:4]  # main's open binding


def eighteen_decimal_asset(project, lifecycle, symbol):
    """An 18-decimal settlement asset (a reserve-backed stablecoin at $1.00), priced by the
    OracleRouter and listed in SettlementAssets by the lifecycle domain's deploy steps."""
    d = lifecycle.d.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "OracleRouter", "SettlementAssets"
    )
    token = d.sender.deploy(project.DecimalsToken, f"{symbol} (18 decimals)", symbol, 18)
    feeds = deploy_feeds(d, {symbol: 10**FEED_DECIMALS})
    set_feeds(d, lifecycle.router, {symbol: (token.address, feed_config(feeds[symbol].address))})
    config = (SettlementAssetType.RESERVE_BACKED, 10_000, 4, 100)
    list_settlement_assets(d, lifecycle.assets, {symbol: (token.address, config)})
    renounce_temporary_roles(d)
    return token


def serviced_note(chain, accounts, lifecycle, issuer, agent, operator, asset, symbol, **terms):
    """A BondShareToken paying in `asset` with its BondServicer (the deploy step), the note
    registered on `terms` over note_terms, active, servicing started; alice 600 and bob 400
    notes. Returns (token, servicer, instrument id, registered terms)."""
    d = lifecycle.d.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
    )
    token = deploy_bond_share_token(
        d,
        f"Quantera Note {symbol}",
        symbol,
        agent=agent.address,
        instruments=lifecycle.registry,
        payment_asset=asset,
        jurisdictions=[(840, (True, 1, 0, 0, 0))],
    )
    set_token_issuer(d, [token], issuer.address)
    renounce_temporary_roles(d)
    token.unpause(sender=agent)
    servicer = d.at("BondServicer", f"BondServicer.{symbol}")
    registration = note_terms(lifecycle, chain.pending_timestamp, share_token=token.address)
    registration = type(registration)(**{**registration.__dict__, **terms})
    instrument = lifecycle.registry.register(registration.as_tuple(), sender=issuer).return_value
    lifecycle.registry.activate(instrument, sender=issuer)
    holders = mint_to_new_holders(chain, accounts, d, token, HOLDINGS, "d1", agent, operator)
    servicer.startServicing(sender=issuer)
    return token, servicer, instrument, lifecycle.registry.termsOf(instrument), holders


def record_dates(terms) -> list[int]:
    """Each coupon's record date (QuantLib's schedule of the terms, less the offset)."""
    schedule = CouponSchedule(
        from_timestamp(terms.issueDate),
        from_timestamp(terms.maturityDate),
        terms.coupon.frequency,
        0,
        terms.coupon.dayCount,
        terms.coupon.roll,
    )
    offset = terms.coupon.recordDateOffsetDays * DAY
    return [to_timestamp(p.end) - offset for p in schedule.periods()]


def test_sec_30__ten_year_note_in_an_18_decimal_asset__records_every_coupon_and_redeems(
    chain, accounts, project, lifecycle, issuer, agent, operator
):
    """The red team's note: face 1,000, 5% semi-annual, ten years, paid in an 18-decimal asset.
    Its 20 coupons raise the index to 20 x 25e36 = 5e38, past 128 bits at the 14th (main: the
    recording reverted `SafeCastOverflowedUintDowncast`, every transfer `BalancesFixed` from that
    record date on, and redemption never started). Every coupon is recorded, the holders are paid
    each coupon and, at maturity, face value."""
    with isolated(chain):
        asset = eighteen_decimal_asset(project, lifecycle, "USD18")
        # ten years to the day: twenty full semi-annual periods (no stub)
        start = dt.datetime.fromtimestamp(chain.pending_timestamp - 30 * DAY, dt.UTC).date()
        start = start.replace(day=min(start.day, 28))
        issue, maturity = to_timestamp(start), to_timestamp(start.replace(year=start.year + 10))
        token, servicer, instrument, terms, holders = serviced_note(
            chain,
            accounts,
            lifecycle,
            issuer,
            agent,
            operator,
            asset,
            "QTN36",
            face_value=1_000 * UNIT18,
            coupon=CouponTerms(
                fixed_rate_bps=500,
                frequency=2,
                day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
                record_date_offset_days=1,
            ),
            issue_date=issue,
            maturity_date=maturity,
            call=CallTerms(False, 0, 0),
            settlement_assets=[asset.address],
        )
        per_coupon = 25 * UNIT18  # 1,000 x 5% / 2 per note, 30/360 full periods
        asset.mint(issuer, 1_000 * 20 * per_coupon + 1_000 * 1_000 * UNIT18, sender=issuer)
        asset.approve(servicer, 2**256 - 1, sender=issuer)
        servicer.fundCoupons(1_000 * 20 * per_coupon, sender=issuer)
        dates = record_dates(terms)
        assert len(dates) == 20
        for number, record_date in enumerate(dates, start=1):
            chain.pending_timestamp = max(chain.pending_timestamp, record_date)
            tx = servicer.recordCoupon(number, sender=issuer)
            event = tx.decode_logs(servicer.CouponRecorded)[0]
            assert event.couponPerShare == per_coupon * UNIT18
        index, last, next_record, redeeming = servicer.servicing()
        assert (index, last, next_record, redeeming) == (
            20 * per_coupon * UNIT18,
            20,
            terms.maturityDate,
            False,
        )
        assert index > 2**128  # the old field's width
        chain.pending_timestamp = max(chain.pending_timestamp, terms.maturityDate)
        lifecycle.registry.mature(instrument, sender=issuer)
        servicer.fundRedemption(1_000 * 1_000 * UNIT18, sender=issuer)
        servicer.startRedemption(0, sender=issuer)
        for label, notes in HOLDINGS.items():
            holder = holders[label]
            before = asset.balanceOf(holder)
            servicer.redeem(holder, sender=issuer)
            # each note: 20 coupons of 25 and 1,000 of face
            assert asset.balanceOf(holder) - before == notes * (20 * per_coupon + 1_000 * UNIT18)


def test_sec_31__the_largest_accepted_note__every_coupon_recorded_on_chain(
    chain, accounts, project, lifecycle, issuer, agent, operator
):
    """The corner of the registry's term space on chain: face 1e9 a share, 100% a year, annual,
    ACT/360 (the largest year fraction), 100 years, paid in an 18-decimal asset. Its 100 or 101
    coupons (36,525 days from an issue date 30 days before today: a one-day stub first or not,
    by the leap days the century holds from that date) take the index to about 1e47 (2^157: the
    field is 192 bits), exactly what `coupons.servicing_bounds` computes; the holder is paid
    every coupon and face value."""
    with isolated(chain):
        asset = eighteen_decimal_asset(project, lifecycle, "USD18M")
        issue = (chain.pending_timestamp // DAY) * DAY - 30 * DAY
        token, servicer, instrument, terms, holders = serviced_note(
            chain,
            accounts,
            lifecycle,
            issuer,
            agent,
            operator,
            asset,
            "QTNMAX",
            face_value=MAX_FACE_VALUE,
            coupon=CouponTerms(
                fixed_rate_bps=MAX_COUPON_BPS,
                frequency=1,
                day_count=DayCountConvention.ACTUAL_360,
                roll=BusinessDayConvention.FOLLOWING,
            ),
            issue_date=issue,
            maturity_date=issue + MAX_TERM_DAYS * DAY,
            call=CallTerms(False, 0, 0),
            settlement_assets=[asset.address],
        )
        expected = servicing_bounds(InstrumentTerms.from_chain(terms), 18)
        notes = sum(HOLDINGS.values())
        paid_coupons = notes * expected.coupon_index // 10**18
        asset.mint(issuer, 2 * paid_coupons + notes * expected.redemption_price, sender=issuer)
        asset.approve(servicer, 2**256 - 1, sender=issuer)
        servicer.fundCoupons(2 * paid_coupons, sender=issuer)
        dates = record_dates(terms)
        assert len(dates) in (100, 101)  # by the calendar: 100 from an issue on 31 October 2026
        for number, record_date in enumerate(dates, start=1):
            chain.pending_timestamp = max(chain.pending_timestamp, record_date)
            servicer.recordCoupon(number, sender=issuer)
        index = servicer.servicing()[0]
        assert index == expected.coupon_index and 2**156 < index < 2**157
        chain.pending_timestamp = max(chain.pending_timestamp, terms.maturityDate)
        lifecycle.registry.mature(instrument, sender=issuer)
        servicer.fundRedemption(notes * expected.redemption_price // 10**18, sender=issuer)
        servicer.startRedemption(0, sender=issuer)
        for label, whole in HOLDINGS.items():
            holder = holders[label]
            before = asset.balanceOf(holder)
            servicer.redeem(holder, sender=issuer)
            owed = (
                whole * UNIT18 * index // 10**36
                + whole * UNIT18 * expected.redemption_price // 10**36
            )
            assert asset.balanceOf(holder) - before == owed


def test_sec_38__bind_servicer__a_front_runner_between_the_deploy_transactions__cannot_stop_it(
    chain, accounts, monkeypatch, lifecycle, agent, outsider
):
    """The deploy routine (`deploy_bond_share_token`) sends the servicer, then the token. Between
    the two, anyone could call the servicer's `bindToken()` first (main: the front-runner was bound
    and the token's constructor reverted `TokenAlreadyBound`: a denial of service on every
    deployment). The servicer is bound at construction to the address the deployer's next
    transaction creates: the front-runner's call reverts, the deployment completes, and the hook
    answers the token only."""
    import keepers.compliance

    real_deploy_security = keepers.compliance.deploy_security
    attempts = []

    def front_run_then_deploy(d, *args, **kwargs):
        servicer = d.address("BondServicer.QTNFR")
        try:
            outsider.transfer(servicer, 0, data=BIND_TOKEN)  # bindToken() from anyone
            attempts.append("bound")
        except Exception:
            attempts.append("refused")
        return real_deploy_security(d, *args, **kwargs)

    monkeypatch.setattr(keepers.compliance, "deploy_security", front_run_then_deploy)
    with isolated(chain):
        d = lifecycle.d.scoped(
            "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
        )
        token = deploy_bond_share_token(
            d,
            "Quantera Note (front-run)",
            "QTNFR",
            agent=agent.address,
            instruments=lifecycle.registry,
            payment_asset=lifecycle.tokens["USDC"],
            jurisdictions=[(840, (True, 1, 0, 0, 0))],
        )
        renounce_temporary_roles(d)
        servicer = d.at("BondServicer", "BondServicer.QTNFR")
        assert attempts == ["refused"]
        assert servicer.token() == token.address
        assert token.servicer() == servicer.address
        with ape.reverts(servicer.OnlyToken, caller=outsider.address, token=token.address):
            servicer.beforeBalanceChange(0, outsider, outsider, 0, sender=outsider)


def test_sec_39__terms_the_servicer_cannot_serve__refused_at_registration(
    chain, lifecycle, issuer, agent
):
    """Maturities had no upper bound: a note maturing after 2200 (DayCount's domain) registered
    and activated, and its servicing could never start (main: `startServicing` reverted
    `DateOutOfRange`). The registry refuses a term beyond `MAX_TERM_DAYS` or a maturity beyond
    the schedule's domain, and a face value above `MAX_FACE_VALUE` (the bounds the coupon index
    is sized for)."""
    registry, validator = lifecycle.registry, lifecycle.validator
    now = chain.pending_timestamp
    issue = (now // DAY) * DAY - 30 * DAY
    usdc = lifecycle.tokens["USDC"]
    too_late = 7_289_654_400  # 2201-01-01
    with isolated(chain):
        d = lifecycle.d.scoped(
            "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
        )
        token = deploy_bond_share_token(
            d,
            "Quantera Note 2201",
            "QTN2201",
            agent=agent.address,
            instruments=registry,
            payment_asset=usdc,
            jurisdictions=[(840, (True, 1, 0, 0, 0))],
        )
        set_token_issuer(d, [token], issuer.address)
        renounce_temporary_roles(d)
        terms = note_terms(lifecycle, now, share_token=token.address, maturity_date=too_late)
        refused = attempt(chain, registry.register, terms.as_tuple(), sender=issuer)
        if refused is None:
            instrument = registry.idOfShareToken(token)
            registry.activate(instrument, sender=issuer)
            servicer = d.at("BondServicer", "BondServicer.QTN2201")
            started = attempt(chain, servicer.startServicing, sender=issuer)
            raise AssertionError(f"a note maturing in 2201 registered and active: {started}")
    assert refused[0] == "InvalidTerms" and refused[1]["field"] == "maturityDate"
    max_term = validator.MAX_TERM_DAYS() * DAY
    for maturity, accepted in ((issue + max_term, True), (issue + max_term + DAY, False)):
        terms = note_terms(lifecycle, now, maturity_date=maturity)
        try:
            validator.validate(terms.as_tuple())
            assert accepted
        except ape.exceptions.ContractLogicError as err:
            assert not accepted, err
    # issue and maturity rolling to one day (a Saturday and the Sunday after it, Following): no
    # coupon period, the schedule DayCount refuses at startServicing
    saturday = now // DAY * DAY + DAY * 30
    saturday += ((5 - (saturday // DAY + 3) % 7) % 7) * DAY  # 1970-01-01 was a Thursday
    empty = note_terms(
        lifecycle,
        now,
        issue_date=saturday,
        maturity_date=saturday + DAY,
        call=CallTerms(False, 0, 0),
        coupon=CouponTerms(
            fixed_rate_bps=425,
            frequency=2,
            day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
            roll=BusinessDayConvention.FOLLOWING,
        ),
    )
    with ape.reverts(validator.InvalidTerms, field="maturityDate", value=saturday + DAY):
        validator.validate(empty.as_tuple())
    max_face = validator.MAX_FACE_VALUE()
    validator.validate(note_terms(lifecycle, now, face_value=max_face).as_tuple())
    with ape.reverts(validator.InvalidTerms, field="faceValue", value=max_face + 1):
        validator.validate(note_terms(lifecycle, now, face_value=max_face + 1).as_tuple())


def test_sec_39__assets_above_18_decimals__refused_where_amounts_are_sized(
    chain, project, lifecycle, fund_stack
):
    """A 36-decimal asset left a fund 2^96 base units = 7.9e-8 of a unit per request, and a
    note's coupon index 36 more decimals (main: listed, and the vault and the servicer took it).
    Amounts are sized for 18 decimals: SettlementAssets, the FundVault and the BondServicer
    refuse more (`UnsupportedDecimals`)."""
    d = lifecycle.d.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "OracleRouter", "SettlementAssets"
    )
    token = d.sender.deploy(project.DecimalsToken, "Wide (36 decimals)", "W36", 36)
    feeds = deploy_feeds(d, {"W36": 10**FEED_DECIMALS})
    set_feeds(d, lifecycle.router, {"W36": (token.address, feed_config(feeds["W36"].address))})
    renounce_temporary_roles(d)
    config = (SettlementAssetType.RESERVE_BACKED, 10_000, 5, 100)
    listed = attempt(chain, lifecycle.assets.listAsset, token, config, sender=fund_stack.governor)
    assert listed == ("UnsupportedDecimals", {"asset": token.address, "decimals": 36})
    with ape.reverts():
        lifecycle.d.sender.deploy(project.BondServicer, lifecycle.registry, token, token)
    fund = fund_stack
    with ape.reverts():
        fund.deployment.sender.deploy(
            project.FundVault,
            fund.share,
            token,
            fund.nav_source,
            17,
            fund.vault.feeSchedule(),
            fund.vault.address,  # any module: the asset's 36 decimals are refused first
            fund.vault.address,
        )


def test_sec_38__deploy_routine_rerun__completes_or_refuses_a_stale_prediction(
    chain, monkeypatch, lifecycle, agent
):
    """A deploy killed between the servicer and its token completes on a rerun (the token takes
    the address the servicer names); if the deployer's nonce moved meanwhile, the rerun refuses the
    recorded servicer (`DeploymentError`) instead of deploying a token it does not serve."""
    import keepers.compliance
    from keepers.core.deployments import DeploymentError

    real_deploy_security = keepers.compliance.deploy_security

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    def deploy(d, symbol):
        return deploy_bond_share_token(
            d,
            f"Quantera Note ({symbol})",
            symbol,
            agent=agent.address,
            instruments=lifecycle.registry,
            payment_asset=lifecycle.tokens["USDC"],
            jurisdictions=[(840, (True, 1, 0, 0, 0))],
        )

    with isolated(chain):
        for symbol, nonce_moves in (("QTNRR", False), ("QTNRS", True)):
            d = lifecycle.d.scoped(
                "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
            )
            monkeypatch.setattr(keepers.compliance, "deploy_security", killed)
            try:
                deploy(d, symbol)
            except KeyboardInterrupt:
                pass
            monkeypatch.setattr(keepers.compliance, "deploy_security", real_deploy_security)
            servicer = d.at("BondServicer", f"BondServicer.{symbol}")
            if nonce_moves:
                d.sender.transfer(d.sender, 0)  # another transaction takes the predicted nonce
                try:
                    deploy(d, symbol)
                    raise AssertionError("a token was deployed that its servicer does not serve")
                except DeploymentError as err:
                    assert "remove BondServicer.QTNRS" in str(err)
            else:
                token = deploy(d, symbol)
                assert servicer.token() == token.address == d.address(f"BondShareToken.{symbol}")
        renounce_temporary_roles(d)
