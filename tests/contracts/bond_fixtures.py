"""A note's share token with its servicer (issue 17 item 6) as deployed: the BondShareToken and
its BondServicer by the lifecycle domain's deploy step (keepers/lifecycle/deploy.py
`deploy_bond_share_token`) on the lifecycle stack (lifecycle_fixtures: the instrument registry,
the settlement assets, an approved issuer), the note registered on note_terms and active."""

from dataclasses import replace
from decimal import Decimal

import pytest

from compliance_fixtures import ACCREDITED, FAR_FUTURE, US
from isolation import isolated
from keepers.access import renounce_temporary_roles
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    FLOATING_INDEXES,
    InstrumentKind,
    deploy_bond_share_token,
    set_token_issuer,
    wire_rate_index,
)
from keepers.lifecycle.schedule import CouponSchedule, day_count, from_timestamp, to_timestamp
from lifecycle_fixtures import note_terms

DAY = 86_400
SHARE_UNIT, USD_UNIT = 10**18, 10**6
SCALE = 10**36
FACE = 100 * 10**18  # note_terms: 100 per share, 18 decimals
RATE_BPS = 425
HOLDINGS = {"alice": 600, "bob": 400}  # whole shares


class Bond:
    def __init__(self, chain, lifecycle, token, servicer, instrument, holders, usdc, issuer):
        self.chain, self.lifecycle, self.token, self.servicer = chain, lifecycle, token, servicer
        self.instrument, self.holders, self.usdc, self.issuer = instrument, holders, usdc, issuer
        self.terms = lifecycle.registry.termsOf(instrument)

    def period(self, number):
        """Coupon `number`'s (start, end) timestamps: QuantLib's schedule of the terms."""
        t = self.terms
        schedule = CouponSchedule(
            from_timestamp(t.issueDate),
            from_timestamp(t.maturityDate),
            t.coupon.frequency,
            Decimal(RATE_BPS) / 10_000,
            t.coupon.dayCount,
            t.coupon.roll,
        )
        p = schedule.periods()[number - 1]
        return to_timestamp(p.start), to_timestamp(p.end)

    def coupon_per_share(self, number) -> int:
        """floor(face x rate x days / 360 / 1e18) x 1e6: payment-asset units x 1e18 per share."""
        start, end = self.period(number)
        days = day_count(self.terms.coupon.dayCount, from_timestamp(start), from_timestamp(end))
        return FACE * RATE_BPS * 10**14 * days // (360 * 10**18) * USD_UNIT

    def at(self, timestamp):
        self.chain.pending_timestamp = max(self.chain.pending_timestamp, int(timestamp))


def serviced_token(d, lifecycle, agent, name, symbol, issuer=None):
    """A BondShareToken paying in USDC and its BondServicer by the deploy step (`issuer`, when
    given, its agent: it may register it, SEC-130), the deployer's temporary roles renounced,
    unpaused; (token, servicer)."""
    token = deploy_bond_share_token(
        d,
        name,
        symbol,
        agent=agent.address,
        instruments=lifecycle.registry,
        payment_asset=lifecycle.tokens["USDC"],
        jurisdictions=[(US, (True, 1, 0, 0, 0))],
    )
    if issuer is not None:
        set_token_issuer(d, [token], issuer.address)
    renounce_temporary_roles(d)
    token.unpause(sender=agent)
    return token, d.at("BondServicer", f"BondServicer.{symbol}")


def mint_to_new_holders(chain, accounts, d, token, holdings, tag, agent, operator) -> dict:
    """New funded wallets, each registered as a US accredited investor (identity `tag` + label)
    and minted its whole shares of `holdings` (label -> shares); label -> wallet."""
    holders = {}
    for label, whole in holdings.items():
        wallet = accounts.generate_test_account()
        chain.provider.set_balance(wallet.address, 10**21)
        d.at("IdentityRegistry").registerInvestor(
            wallet,
            "0x" + (tag + label.encode().hex()).rjust(40, "0"),
            US,
            ACCREDITED,
            FAR_FUTURE,
            sender=operator,
        )
        token.mint(wallet, whole * SHARE_UNIT, sender=agent)
        holders[label] = wallet
    return holders


@pytest.fixture
def bond(chain, accounts, lifecycle, issuer, agent, operator):
    """A two-year 4.25% semi-annual note (note_terms) whose share token is a BondShareToken paying
    in USDC, registered and active, servicing started; alice 600 and bob 400 shares, carol
    verified with none; the issuer
    holding $1,000,000 USDC approved to the servicer."""
    yield from _serviced_note(chain, accounts, lifecycle, issuer, agent, operator, floating=False)


@pytest.fixture
def floating_bond(chain, accounts, project, lifecycle, issuer, agent, operator):
    """The `bond` fixture's note as a floating-rate note on SOFR + 15 bps (same schedule: four
    semi-annual coupons), its index feed a SettableFeed (`bond.feed`, answering 5%) wired into the
    OracleRouter by `wire_rate_index`."""
    yield from _serviced_note(
        chain, accounts, lifecycle, issuer, agent, operator, floating=True, project=project
    )


def _serviced_note(chain, accounts, lifecycle, issuer, agent, operator, floating, project=None):
    with isolated(chain):
        usdc = lifecycle.tokens["USDC"]
        d = lifecycle.d.scoped(
            "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
        )
        feed = None
        if floating:
            feed = project.SettableFeed.deploy(FEED_DECIMALS, 5 * 10**6, sender=issuer)
            wire_rate_index(d, "SOFR", feed=feed)
        token, servicer = serviced_token(
            d, lifecycle, agent, "Quantera Note 2028 (serviced)", "QTN28S", issuer=issuer
        )
        now = chain.pending_timestamp
        terms = note_terms(lifecycle, now, share_token=token.address)
        if floating:
            terms = replace(
                terms,
                kind=InstrumentKind.FLOATING_RATE_NOTE,
                coupon=replace(
                    terms.coupon,
                    fixed_rate_bps=0,
                    floating_index=FLOATING_INDEXES["SOFR"],
                    spread_bps=15,
                ),
            )
        instrument = lifecycle.registry.register(terms.as_tuple(), sender=issuer).return_value
        lifecycle.registry.activate(instrument, sender=issuer)
        holders = mint_to_new_holders(chain, accounts, d, token, HOLDINGS, "b0", agent, operator)
        carol = accounts.generate_test_account()  # verified, holding nothing yet
        chain.provider.set_balance(carol.address, 10**21)
        d.at("IdentityRegistry").registerInvestor(
            carol, "0x" + "c4" * 20, US, ACCREDITED, FAR_FUTURE, sender=operator
        )
        usdc.mint(issuer, 1_000_000 * USD_UNIT, sender=operator)
        usdc.approve(servicer, 2**256 - 1, sender=issuer)
        servicer.startServicing(sender=issuer)
        bond = Bond(chain, lifecycle, token, servicer, instrument, holders, usdc, issuer)
        bond.carol, bond.feed = carol, feed
        yield bond
