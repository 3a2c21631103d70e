"""A FundVault over a share class paying its dividends in new shares (IncomeShareToken): the income
declared on shares escrowed for pending redemptions leaves the supply at the strike (LCY-92), so
after a strike the vault holds only what its requests are owed, the holders' shares sum to the
supply, the NAV per share of the holders who remain is not diluted, and the NAV agent's share
count (keepers/lifecycle/nav.py) is the supply after the strike."""

from fractions import Fraction

import pytest

from fund_fixtures import INCOME_VAULT_IDENTITY, SHARE_UNIT, USD_UNIT, identity_for
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle.funds import escrow_income
from keepers.lifecycle.nav import Holdings, compute_nav

DECLARATION_INTERVAL = 12 * 3_600
# Each declaration: 0.4% of the supply in new shares (the token's bound is 0.5%).
DECLARATION_BPS = 40


@pytest.fixture
def fund(income_fund_stack):
    return income_fund_stack


def subscribe(chain, fund, amounts: dict):
    """Each investor of `amounts` (whole dollars) subscribes and claims its shares at $1.00."""
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.requestDeposit(amount * USD_UNIT, wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    for label, amount in amounts.items():
        wallet = fund.investors[label]
        fund.vault.deposit(amount * USD_UNIT, wallet, sender=wallet)


def declare(chain, fund, count: int):
    """`count` declarations of DECLARATION_BPS of the supply, 12 h apart (before the cut-off)."""
    for _ in range(count):
        _, number, last = fund.share.incomeIndex()
        if number:
            chain.pending_timestamp = max(chain.pending_timestamp, last + DECLARATION_INTERVAL)
        shares = fund.share.totalSupply() * DECLARATION_BPS // 10_000
        fund.share.declareIncome(number + 1, shares, sender=fund.agent)


def escrowed(fund) -> int:
    """The shares the vault's requests are owed: pending in the open period and late."""
    dealing = fund.vault.dealing()
    return dealing[3] + dealing[5]


def value_per_share(fund) -> Fraction:
    """The fund's cash (its free cash: no custodian here) per share of the supply, in dollars."""
    return Fraction(fund.vault.freeCash(), USD_UNIT) / Fraction(
        fund.share.totalSupply(), SHARE_UNIT
    )


def keeper_nav18(fund, chain) -> int:
    """The NAV agent's NAV (keepers/lifecycle/nav.py) of the vault's holdings now: no custodian
    flows, the stablecoin at $1.00."""
    holdings = Holdings(
        valued_at=chain.blocks.head.timestamp,
        free_cash=int(fund.vault.freeCash()),
        asset_price18=10**18,
        asset_decimals=6,
        share_supply=int(fund.share.totalSupply()),
        share_decimals=18,
        previous_nav18=10**18,
        escrow_income=escrow_income(fund.share, fund.vault),
    )
    return compute_nav(holdings, [], rates=None).nav18


@pytest.mark.parametrize("gate_bps", [10_000, 2_000], ids=["ungated", "gated-carry"])
def test_strike__dividends_while_redemption_pending__escrow_income_burned_nav_not_diluted(
    chain, fund, gate_bps
):
    subscribe(chain, fund, {"alice": 1_000_000, "bob": 500_000, "carol": 250_000})
    if gate_bps != 10_000:
        fund.vault.setGate(gate_bps, sender=fund.governor)
    alice, bob, carol = (fund.investors[label] for label in ("alice", "bob", "carol"))
    fund.vault.requestRedeem(400_000 * SHARE_UNIT, alice, alice, sender=alice)
    fund.vault.requestRedeem(100_000 * SHARE_UNIT, carol, carol, sender=carol)
    pending = escrowed(fund)
    index_before = fund.share.incomeIndex()[0]
    declare(chain, fund, 2)
    index_after = fund.share.incomeIndex()[0]
    # The escrow earned its share of both declarations: income owned by no investor.
    income = fund.share.balanceOf(fund.vault) - pending
    assert income == pending * index_after // index_before - pending > 0
    assert escrow_income(fund.share, fund.vault) == income

    # The NAV agent's NAV counts the supply without that income; struck at it (the feed's 8
    # decimals, rounded down), the holders who remain keep their value per share.
    nav18 = keeper_nav18(fund, chain)
    price = Fraction(nav18 // 10 ** (18 - FEED_DECIMALS), 10**FEED_DECIMALS)
    tx = fund.strike(chain, price)

    struck = tx.decode_logs(fund.vault.PeriodStruck)[0]
    carried = struck.pendingShares - struck.fulfilledShares
    assert (carried == 0) == (gate_bps == 10_000)
    # After the strike the vault holds exactly what its requests are owed: the carried shares.
    assert fund.share.balanceOf(fund.vault) == escrowed(fund) == carried
    assert escrow_income(fund.share, fund.vault) == 0
    events = tx.decode_logs(fund.vault.EscrowIncomeBurned)
    assert [(e.period, e.shares) for e in events] == [(2, income)]
    # The holders' shares (the vault's escrow among them) sum to the supply, up to the income's
    # dust (rounded down, one unit per holder per declaration at most).
    holders = [*fund.investors.values(), fund.vault]
    held = sum(fund.share.balanceOf(wallet) for wallet in holders)
    supply = fund.share.totalSupply()
    assert 0 <= supply - held <= 2 * len(holders)
    # The compliance engine's ledger follows: the vault's identity holds its paid balance.
    paid_vault = fund.share.incomeAccountOf(fund.vault)[0]
    assert fund.engine.ledgerOf(INCOME_VAULT_IDENTITY).balance == paid_vault
    assert fund.engine.ledgerOf(identity_for("bob")).balance == (fund.share.incomeAccountOf(bob)[0])
    # The NAV per share after the strike (cash left over the supply left) is the NAV struck, to
    # the feed's precision: nobody's shares were diluted by the escrow's income.
    after = value_per_share(fund)
    assert abs(after - price) / price < Fraction(1, 10**7)
    # And the NAV agent's next NAV agrees (its share count is the supply).
    assert abs(Fraction(keeper_nav18(fund, chain), 10**18) - after) < Fraction(1, 10**15)


def test_strike__cancelled_request_earned_income__burned_at_next_strike(chain, fund):
    subscribe(chain, fund, {"bob": 500_000, "dave": 100_000})
    bob = fund.investors["bob"]
    fund.vault.requestRedeem(200_000 * SHARE_UNIT, bob, bob, sender=bob)
    declare(chain, fund, 1)
    income = fund.share.balanceOf(fund.vault) - escrowed(fund)
    assert income > 0
    # The cancellation returns the request's shares; the income earned on them stays behind.
    fund.vault.cancelRedeemRequest(bob, bob, sender=bob)
    assert fund.share.balanceOf(fund.vault) == income
    assert escrowed(fund) == 0

    tx = fund.strike(chain, 1)

    assert fund.share.balanceOf(fund.vault) == 0
    assert [e.shares for e in tx.decode_logs(fund.vault.EscrowIncomeBurned)] == [income]


def test_gas__strike_burning_escrow_income__within_25000_of_the_same_strike_without(chain, fund):
    """The burn of the escrow's income costs a bounded amount whatever the number of requests:
    the token's payment of the vault's income (one account word, the engine's `created`) and a
    larger burn amount, on top of the strike's one balance read."""
    subscribe(chain, fund, {"alice": 1_000_000, "bob": 500_000})
    alice = fund.investors["alice"]
    fund.vault.requestRedeem(100_000 * SHARE_UNIT, alice, alice, sender=alice)
    baseline = chain.snapshot()
    without = fund.strike(chain, 1)
    assert not without.decode_logs(fund.vault.EscrowIncomeBurned)
    chain.restore(baseline)
    declare(chain, fund, 1)
    burning = fund.strike(chain, 1)
    assert burning.decode_logs(fund.vault.EscrowIncomeBurned)
    print(f"strike {without.gas_used:,} gas; burning escrow income {burning.gas_used:,} gas")
    assert 0 < burning.gas_used - without.gas_used < 25_000
