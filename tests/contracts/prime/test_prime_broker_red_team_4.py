"""The prime broker against an outside red team's fourth read (atk-prime3, SEC-167): SEC-164's
per-swap check passed a liquidatable account's rotation of its collateral when the account's own
RFQ maker delivered a little more than the oracle value. The attack runs on the deployed stack
(broker_fixtures, the fixtures of test_prime_broker_red_team_3.py); the same prices, haircuts and
tier."""

from __future__ import annotations

import pytest

from broker_fixtures import BORROW, CLIENT_ID, SWAP, UNIT, act
from fast_reverts import attempt
from keepers.prime.book import PrimeBook
from keepers.prime.margin import choose_liquidation
from test_prime_broker_red_team_3 import post, rfq_route


@pytest.fixture
def p(prime_stack):
    return prime_stack


def liquidatable_qspx_book(p, qspx_usd=34):
    """The red team's B1 book: 2,000 QSPX posted, 60,000 USDC borrowed, QSPX at 34 (104%)."""
    usdc, qspx = p.tokens["USDC"], p.tokens["QSPX"]
    p.fund(p.client, "QSPX", 2_000 * UNIT["QSPX"])
    post(p, p.client, qspx, 2_000 * UNIT["QSPX"])
    p.broker.execute(
        CLIENT_ID, [act(BORROW, usdc, 60_000 * UNIT["USDC"], p.client)], sender=p.client
    )
    p.set_price("QSPX", qspx_usd)
    assert p.margin.health(CLIENT_ID).liquidatable


def rotation(p, chain, token_out, amount_out):
    """The account's own second wallet quotes 2,000 QSPX for `amount_out` of `token_out`."""
    own, symbol = p.client2, str(token_out.symbol())
    p.fund(own, symbol, amount_out)
    token_out.approve(p.venues["RfqVenue"], amount_out, sender=own)
    return rfq_route(p, chain, own, p.tokens["QSPX"], token_out, 2_000 * UNIT["QSPX"], amount_out)


def test_sec_167__own_maker_overpays__rotation_of_a_liquidatable_account_refused(p, chain):
    """B1: the account's own RFQ maker delivered 850.2 QCORP (68,016 USD) for its 2,000 QSPX
    (68,000 USD at oracle): the swap itself raised the ratio (10,426 to 10,429 bps), so the
    liquidatable account rotated all of its QSPX into QCORP and the keeper's liquidation naming
    QSPX reverted InsufficientBalance. Now the swap is judged with what it bought valued at no more
    than the oracle value of what it sold: the 16 USD over it raise nothing, and the rotation is
    refused."""
    qspx, qcorp = p.tokens["QSPX"], p.tokens["QCORP"]
    liquidatable_qspx_book(p)
    ratio = p.margin.health(CLIENT_ID).ratioBps
    over = rotation(p, chain, qcorp, 850 * UNIT["QCORP"] + UNIT["QCORP"] // 5)
    refused = attempt(chain, p.broker.execute, CLIENT_ID, [act(SWAP, data=over)], sender=p.client)
    assert refused is not None and refused[0] == "InitialMarginBreached", refused
    assert refused[1]["account"] == CLIENT_ID and refused[1]["ratioBps"] > ratio
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 2_000 * UNIT["QSPX"]
    assert p.broker.balanceOf(CLIENT_ID, qcorp) == 0


def test_sec_167__rotation_at_oracle_into_a_lower_haircut__passes__keeper_seizes_what_is_held(
    p, chain
):
    """What stays allowed: a rotation at the oracle price into an asset of a lower haircut (QSPX,
    8%, into T-bills, 1.6%) is de-risking, and raises the ratio without any overpayment. The
    margin keeper reads the holdings again before it liquidates: it names the T-bills, which the
    broker's preview seizes."""
    qspx, qtb, usdc = p.tokens["QSPX"], p.tokens["QTB"], p.tokens["USDC"]
    liquidatable_qspx_book(p, 33)  # 101%: still liquidatable in T-bills (108%)
    ratio = p.margin.health(CLIENT_ID).ratioBps
    at_oracle = rotation(p, chain, qtb, 660 * UNIT["QTB"])  # 66,000 USD
    refused = attempt(
        chain, p.broker.execute, CLIENT_ID, [act(SWAP, data=at_oracle)], sender=p.client
    )
    assert refused is None
    h = p.margin.health(CLIENT_ID)
    assert h.ratioBps > ratio and h.liquidatable
    assert p.broker.balanceOf(CLIENT_ID, qspx) == 0
    book = PrimeBook(p.broker.address)
    choice = choose_liquidation(book.holdings(CLIENT_ID), h.ratioBps, book.mark(CLIENT_ID).tier)
    assert choice.collateral_asset == qtb.address and choice.debt_asset == usdc.address
    repaid, seized, _, _ = p.margin.previewLiquidation(CLIENT_ID, usdc, choice.repay, qtb)
    assert (repaid, seized) == (choice.repaid, choice.seized)
