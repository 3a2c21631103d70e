"""LCY-30: the FundVault deals at the InstrumentRegistry's NAV — the real registry, not the test
double, is the vault's NAV source (IFundNavSource): an issuer registers a money-market share class,
activates it and names the vault its fund; a subscription is struck at the registry's checkpointed
NAV (the OracleRouter's price of the share, within the instrument's move and age bounds), whose
checkpoint any later block reads back (`navAt`); a suspended instrument takes no request and no
strike, and a NAV move beyond the registry's bound stops the strike."""

import ape
import pytest

from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US
from keepers.access import renounce_temporary_roles
from keepers.lifecycle import deploy_fund_vault, next_cutoff
from lifecycle_fixtures import fund_terms

DAY = 86_400
USD_UNIT, SHARE_UNIT = 10**6, 10**18


@pytest.fixture
def dealing(chain, accounts, lifecycle, issuer, operator, reporter):
    """The QMMF share class registered, active, with its FundVault (daily cut-offs, settling in
    USDC) as its fund; one verified investor funded with $1,000,000."""
    registry, share, usdc = lifecycle.registry, lifecycle.shares["QMMF"], lifecycle.tokens["USDC"]
    now = chain.pending_timestamp
    tx = registry.register(fund_terms(lifecycle, now).as_tuple(), sender=issuer)
    instrument = tx.return_value
    registry.activate(instrument, sender=issuer)
    # Deployed inside the test (ape reverts it after): a deployment of its own on the stack's.
    d = lifecycle.d.scoped("QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry")
    nav_agent = accounts.generate_test_account()
    chain.provider.set_balance(nav_agent.address, 10**21)
    vault = deploy_fund_vault(
        d,
        share,
        usdc,
        registry,
        instrument,
        identity="0x" + "f6" * 20,
        first_cutoff=next_cutoff(chain.blocks.head.timestamp, DAY) + DAY,
        nav_agent=nav_agent.address,
    )
    renounce_temporary_roles(d)
    registry.setFund(instrument, vault, sender=issuer)
    investor = accounts.generate_test_account()
    chain.provider.set_balance(investor.address, 10**21)
    d.at("IdentityRegistry").registerInvestor(
        investor, "0x" + "f5" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
    )
    usdc.mint(investor, 1_000_000 * USD_UNIT, sender=operator)
    usdc.approve(vault, 2**256 - 1, sender=investor)
    return registry, instrument, vault, share, investor, nav_agent


def report(lifecycle, reporter, price):
    """The share's NAV at `price`, and USDC's feed at $1.00 again: a strike deals only in an
    asset its NAV source prices at par now (SEC-139), and the cut-off is days after the deploy's
    report."""
    lifecycle.feeds["QMMF"].report(lifecycle.answer(price), sender=reporter)
    lifecycle.feeds["USDC"].report(lifecycle.answer(1.0), sender=reporter)


def test_strike__registry_nav_source__shares_at_the_checkpointed_nav_readable_by_block(
    chain, lifecycle, reporter, dealing
):
    registry, instrument, vault, share, investor, nav_agent = dealing
    vault.requestDeposit(100_000 * USD_UNIT, investor, investor, sender=investor)
    chain.pending_timestamp = max(chain.pending_timestamp, vault.dealing()[1])
    report(lifecycle, reporter, 1.01)  # within the registry's 200 bps move of the $1.00 opening
    tx = vault.strike(sender=nav_agent)
    nav = 101 * 10**16
    [struck] = tx.decode_logs(registry.NavStruck)
    # Struck by the vault itself (the instrument's fund), from no previous NAV.
    assert (struck.id, struck.previous, struck.next, struck.by) == (
        instrument,
        0,
        nav,
        vault.address,
    )
    assert tx.return_value[1] == nav
    assert registry.navAt(instrument, tx.block_number) == nav
    assert tuple(registry.latestNav(instrument))[:2] == (nav, tx.block_number)
    # The claim mints assets / NAV shares (6-decimal USDC, 18-decimal shares), rounded down.
    expected = 100_000 * USD_UNIT * 10**12 * 10**18 // nav
    assert vault.claimableDepositRequest(0, investor) == 100_000 * USD_UNIT
    vault.deposit(100_000 * USD_UNIT, investor, investor, sender=investor)
    assert share.balanceOf(investor) == expected
    # A later block still reads the strike's NAV at its block.
    chain.mine(3)
    assert registry.navAt(instrument, tx.block_number) == nav


def test_strike__instrument_suspended__no_request_and_no_strike(
    chain, lifecycle, reporter, guardian, dealing
):
    registry, instrument, vault, share, investor, nav_agent = dealing
    vault.requestDeposit(10_000 * USD_UNIT, investor, investor, sender=investor)
    registry.guardianSuspend(instrument, sender=guardian)
    assert not registry.isDealing(instrument)
    with ape.reverts(vault.NotDealing, instrumentId=instrument):
        vault.requestDeposit(10_000 * USD_UNIT, investor, investor, sender=investor)
    chain.pending_timestamp = max(chain.pending_timestamp, vault.dealing()[1])
    report(lifecycle, reporter, 1.0)
    # The registry refuses the strike (the vault asks it for the NAV): status 3 is Suspended.
    with ape.reverts(registry.InstrumentNotActive, id=instrument, status=3):
        vault.strike(sender=nav_agent)
    # Nothing was struck: the request is still pending, its assets with the vault.
    assert vault.pendingDepositRequest(0, investor) == 10_000 * USD_UNIT
    assert share.balanceOf(investor) == 0


def test_strike__nav_move_beyond_the_registry_bound__refused_with_its_numbers(
    chain, lifecycle, reporter, dealing
):
    registry, instrument, vault, share, investor, nav_agent = dealing
    vault.requestDeposit(10_000 * USD_UNIT, investor, investor, sender=investor)
    chain.pending_timestamp = max(chain.pending_timestamp, vault.dealing()[1])
    report(lifecycle, reporter, 1.0)
    vault.strike(sender=nav_agent)
    chain.pending_timestamp = max(chain.pending_timestamp, vault.dealing()[1])
    report(lifecycle, reporter, 1.05)  # 500 bps: beyond the default 200 bps per strike
    with ape.reverts(
        registry.NavMoveTooLarge, id=instrument, previous=10**18, next=105 * 10**16, maxBps=200
    ):
        vault.strike(sender=nav_agent)
