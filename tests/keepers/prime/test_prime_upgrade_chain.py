"""UPG-8 (issue 34 §1, the prime book): on the deployment `ape run deploy all` builds (the one
`make demo` runs; the session's saved state in an anvil of this module's own), with a lender's
deposit, margin accounts open with debt and the margin keeper running, the UPGRADER moves the
PrimeBroker to new code (its liquidation module replaced: a defect fixed there) and the USDC
LendingPool to new code (its bad-debt module replaced), each prepared by the operators' path
(`ape run upgrade` / the governance page: keepers/console/upgrades.py) and run after the
authority's notice. Every account, position, debt, share and listing is what it was at the same
second; the keeper built before the upgrade goes on without a restart and liquidates an account on
the new code; the lender leaves with what the pool owes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils import to_checksum_address

import test_margin_chain
from keepers.access import UPGRADE_AUTHORITY, implementation_of
from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.demo.processes import stop_mining
from test_margin_chain import (
    AGENT,
    BOOK_ID,
    CLI_ID,
    INSTITUTIONAL,
    KEEPER,
    LENDER,
    NEVER,
    OPERATOR,
    PRICE_REPORTER,
    US,
    WHOLE,
    PrimeChain,
)

#: The margin tests' chain fixture (the saved deployment in an anvil), a chain of this module's own.
prime_chain = test_margin_chain.prime_chain

#: deploy all's GOVERNOR, which holds UPGRADER (the local default: test account 2).
GOVERNOR = 2
DRILL_CLIENT = 18
DRILL_ID = "0x" + "d1" * 20


def _send(prepared, sender) -> None:
    """Each prepared call as the Safe would make it (the UPGRADER's calls are direct: no delay)."""
    for p in prepared:
        assert p.route == "direct", p.route
        sender.transfer(p.to, 0, data=bytes.fromhex(p.data[2:]))


def _book(c: PrimeChain, pool) -> dict:
    """Everything the broker and the pool answer about the book, every account and the lender."""
    broker, views = c.broker, c.margin
    assets = [str(a) for a in views.assets()]
    accounts = {}
    for identity in (DRILL_ID, BOOK_ID, CLI_ID):
        accounts[identity] = {
            "open": broker.isOpen(identity),
            "health": tuple(views.health(identity)) if broker.isOpen(identity) else None,
            "line": tuple(views.creditLineOf(identity)),
            "liquidations": broker.liquidationCount(identity),
            "balances": [broker.balanceOf(identity, a) for a in assets],
            "assigned": [broker.assignedDebtOf(identity, a) for a in assets],
            "carried": [broker.carriedDebtOf(identity, a) for a in assets],
            "pool_debt": pool.debtOf(identity, 0),
            "loss": tuple(pool.lossOf(identity)),
        }
    lender = c.acct[LENDER]
    return {
        "accounts": accounts,
        "listings": [
            (tuple(views.collateralOf(a)), str(views.poolOf(a)), tuple(views.incomeOf(a)))
            for a in assets
        ],
        "totals": [broker.totalCollateral(a) for a in assets],
        "held": [c.tokens["USDC"].balanceOf(broker)],
        "tier": tuple(views.tierOf(0)),
        "broker_authority": broker.authority(),
        "halted": broker.bookHalted(),
        "pool": tuple(pool.state()),
        "model": tuple(pool.rateModel()),
        "shares": (pool.balanceOf(lender), pool.totalSupply(), pool.totalAssets()),
        "lender_max": (pool.maxWithdraw(lender), pool.maxRedeem(lender)),
        "pool_terms": (pool.name(), pool.symbol(), pool.broker(), pool.shareCompliance()),
        "pool_authority": pool.authority(),
        "pool_cash": c.tokens["USDC"].balanceOf(pool),
    }


def _refresh_prices(c: PrimeChain) -> None:
    """Every recorded price feed reports its answer again (after the notice, none is stale)."""
    reporter = c.acct[PRICE_REPORTER]
    for name in c.record.contracts:
        if name.startswith("PriceFeed."):
            feed = c.deployment.at("ReporterPriceFeed", name)
            feed.report(feed.latestRoundData()[1], sender=reporter)


def _open_drill_account(c: PrimeChain) -> None:
    """A third institution: 100 QSPX posted against a USDC loan at about 155%."""
    client = c.acct[DRILL_CLIENT]
    registry = c.deployment.at("IdentityRegistry")
    registry.registerInvestor(client, DRILL_ID, US, INSTITUTIONAL, NEVER, sender=c.acct[OPERATOR])
    c.tokens["QSPX"].mint(client, 100 * WHOLE, sender=c.acct[AGENT])
    test_margin_chain.open_at_155(c, client, DRILL_ID)


def test_upg_8__prime__broker_and_pool_upgraded_under_an_open_book__keeper_liquidates_on(
    prime_chain,
):
    from ape import chain, project

    from keepers.console import describe
    from keepers.console.actions import ActionInputError, prepare
    from keepers.console.source import ChainSource, load_abis
    from keepers.console.upgrades import authority_events, propose_calls, run_calls, upgrade_rows
    from keepers.prime.keeper import Head, MarginKeeper

    c = prime_chain
    d, broker = c.deployment, c.broker
    pool = project_at("LendingPool", c.record.address_of("LendingPool.USDC"))
    authority = d.at(UPGRADE_AUTHORITY)
    governor, deployer = c.acct[GOVERNOR], c.acct[0]
    _open_drill_account(c)
    assert int(c.margin.health(DRILL_ID).ratioBps) >= 15_000
    # The keeper, built once and never restarted: a cycle before the upgrade leaves the account.
    keeper = MarginKeeper(
        store.open_store(f"sqlite:///{c.folder / 'drill.sqlite'}"), c.record, c.acct[KEEPER]
    )
    head = chain.blocks.head
    first = keeper.cycle(Head(head.number, head.timestamp))
    assert to_checksum_address(DRILL_ID) not in first.get("outcomes", {})

    # The fix: new code for each, built from this build by any account (code holds no rights),
    # each with a new module, recorded (the record names every address the new code is built on).
    registry, oracle, aggregator = broker.registry(), broker.oracle(), broker.aggregator()
    liquidation = deployer.deploy(project.PrimeLiquidation, registry, oracle, aggregator)
    losses = deployer.deploy(project.PoolLosses)
    broker_args = [
        registry,
        oracle,
        aggregator,
        broker.marginModule(),
        liquidation.address,
        broker.viewsModule(),
        broker.riskEngine(),
    ]
    pool_args = [pool.asset(), pool.name(), pool.symbol(), registry, broker.address, losses.address]
    broker_code = deployer.deploy(project.PrimeBroker, *broker_args)
    pool_code = deployer.deploy(project.LendingPool, *pool_args)
    record = replace(
        c.record,
        contracts={
            **c.record.contracts,
            "PrimeLiquidation.fix": liquidation.address,
            "PoolLosses.fix": losses.address,
        },
    )
    source = ChainSource(chain.provider.web3, record, load_abis())
    # An attacker's read (helper-106, M1): an upgrade replaces what the code is built on with the
    # code. New code on a proxy's own code (empty storage: the broker's halts never set), or a pool
    # on another asset, passed the checks (this build's code, recorded addresses). Refused: only a
    # module may change; and the page says what changed when such a proposal reaches the chain.
    stray_engine = [*broker_args[:6], c.record.address_of("RiskEngine.implementation")]
    stray_broker = deployer.deploy(project.PrimeBroker, *stray_engine)
    with pytest.raises(ActionInputError, match="riskEngine_ is 0x.*RiskEngine.implementation"):
        propose_calls(source, "PrimeBroker", "PrimeBroker", stray_broker.address, stray_engine)
    qspx = c.tokens["QSPX"].address
    other_asset = [qspx, *pool_args[1:]]
    stray_pool = deployer.deploy(project.LendingPool, *other_asset)
    with pytest.raises(ActionInputError, match=f"asset\\(\\) {qspx}, where the code it runs has"):
        propose_calls(source, "LendingPool.USDC", "LendingPool", stray_pool.address, other_asset)
    # A second read (helper-107 L-1): a module getter took any recorded contract (the registry's
    # validator: any contract answering its settlement list, the registry itself). The new module
    # must be recorded as the old one's type.
    registry_args = [oracle, c.record.address_of("InstrumentRegistry")]
    stray_registry = deployer.deploy(project.InstrumentRegistry, *registry_args)
    with pytest.raises(
        ActionInputError,
        match=r"validator\(\) 0x\w+: 0x\w+ is InstrumentRegistry, not a TermsValidator",
    ):
        propose_calls(
            source,
            "InstrumentRegistry",
            "InstrumentRegistry",
            stray_registry.address,
            registry_args,
        )
    authority.propose(pool, stray_pool, b"", sender=governor)  # straight to the chain
    [row] = [
        r
        for r in upgrade_rows(
            source,
            authority_events(source),
            chain.blocks.head.number,
            chain.blocks.head.timestamp,
            describe.for_source(source),
        )
        if r["implementation"] == stray_pool.address
    ]
    assert (
        f"built on asset() {qspx}, where the code it runs has {pool.asset()}"
        in row["code_warnings"]
    )
    proposals = propose_calls(
        source, "PrimeBroker", "PrimeBroker", broker_code.address, broker_args
    ) + propose_calls(source, "LendingPool.USDC", "LendingPool", pool_code.address, pool_args)
    _send(prepare(source, governor.address, proposals), governor)
    ids = [
        "0x" + bytes(authority.upgradeId(proxy, code, b"")).hex()
        for proxy, code in ((broker, broker_code), (pool, pool_code))
    ]

    # The notice: a week in which the book lives on (prices reported, the keeper cycling).
    chain.provider.make_request("evm_increaseTime", [authority.NOTICE()])
    chain.provider.make_request("evm_mine", [])
    _refresh_prices(c)
    head = chain.blocks.head
    keeper.cycle(Head(head.number, head.timestamp))
    # The chain mines a block a second besides each transaction: from here a block per
    # transaction only, so the book is read and both upgrades run at one second (nothing accrues
    # in between) and what the keeper sends is mined at once.
    # stop_mining returns once no block came for 2 s: a block anvil had scheduled can still be
    # mined after interval mining stops, and `before` would then mix two blocks (helper-115).
    stop_mining(chain.provider.uri)
    chain.provider.make_request("evm_setAutomine", [True])
    head = chain.blocks.head
    before = _book(c, pool)
    assert before["accounts"][DRILL_ID]["pool_debt"] > 0 and before["shares"][0] > 0
    runs = prepare(source, governor.address, [call for i in ids for call in run_calls(source, i)])
    for p in runs:
        chain.provider.make_request("evm_setNextBlockTimestamp", [head.timestamp])
        _send([p], governor)
    assert chain.blocks.head.timestamp == head.timestamp
    assert implementation_of(broker) == broker_code.address
    assert implementation_of(pool) == pool_code.address
    assert broker.liquidationModule() == liquidation.address
    assert pool.lossesModule() == losses.address
    assert _book(c, pool) == before

    # The keeper goes on: a price fall makes the account liquidatable; the same keeper object,
    # never restarted, liquidates it on the new code.
    qspx_price = c.price("QSPX")
    ratio = int(c.margin.health(DRILL_ID).ratioBps)
    c.report("QSPX", qspx_price * 10_400 / ratio)
    assert c.margin.health(DRILL_ID).liquidatable
    debt = pool.debtOf(DRILL_ID, 0)
    head = chain.blocks.head
    cycle = keeper.cycle(Head(head.number, head.timestamp))
    assert cycle["liquidations"] >= 1, cycle
    liquidated = [
        log
        for log in broker.Liquidated.range(head.number, chain.blocks.head.number + 1)
        if str(log.account).lower() == DRILL_ID
    ]
    assert len(liquidated) == 1 and broker.liquidationCount(DRILL_ID) == 1
    repaid = liquidated[0].repaid
    assert debt // 2 <= repaid <= debt // 2 + debt // 10**4  # the close factor, on the new code
    assert pool.debtOf(DRILL_ID, 0) < debt

    # The lender leaves with what the pool owes (its cash allowing), on the new pool code.
    lender = c.acct[LENDER]
    owed = pool.maxWithdraw(lender)
    assert owed > 0
    held = c.tokens["USDC"].balanceOf(lender)
    pool.withdraw(owed, lender, lender, sender=lender)
    assert c.tokens["USDC"].balanceOf(lender) - held == owed
    c.report("QSPX", qspx_price)
