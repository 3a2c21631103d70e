"""Lifecycle part of the demo (issue 17 item 9): a T-bill money-market fund through the autumn of
2008, on the demo's anvil.

The fund is built by the domains' own deploy steps, as `scripts/deploy.py`'s `deploy_protocol`
runs them (access, the identity registry, the share class as a SecurityToken with its compliance
engine, a settlement stablecoin and its feeds, the lifecycle's settlement assets and instrument
registry, the FundVault): a stack of its own, with its own authority, because the protocol `deploy
all` put on the chain has handed ADMIN to timelocked governance (wiring a new vault there is a
scheduled operation per call). The share class is registered in the InstrumentRegistry as a
money-market fund and activated; the vault is its fund, dealing weekly, with a 10% redemption gate.

The NAV agent is the lifecycle keeper's own cycle (`keepers.lifecycle.keeper.LifecycleKeeper`, in
process, its store the demo's): at each cut-off it values the vault's free cash and the custodian
account (T-bills growing at Kenneth French's one-month T-bill rate, `keepers.lifecycle.rates`, read
as 2008: chain time shifted back to 25 August 2008 at the start), reports the NAV and strikes.

Weekly cut-offs from 1 September to 27 October 2008: three institutions subscribe in USDC before
the first; the fund manager keeps a 20% liquidity sleeve and sends the rest to the custodian; in
Lehman week (requests on 16 September, the day the Reserve Primary Fund broke the buck) they ask to
redeem 25% of the fund; the gate serves at most 10% of the shares a period, each request the same
fraction (the vault's fulfilment ratio), the rest carried; the manager recalls cash from the
custodian to meet it. Not shown: a second settlement asset (a FundVault deals in one asset and the
NAV model values one vault's holdings against the whole share supply, so two vaults over one share
class would each misprice it); daily dividends in new shares (the share class accumulates: the
income is in the NAV; the IncomeShareToken is not exercised here) and the two-year note with its
coupons (the BondServicer is not exercised here): see docs/lifecycle.md.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from keepers.demo.actions import ActionLog

SECTION = "lifecycle"
DAY, WEEK = 86_400, 7 * 86_400
USDC, WAD = 10**6, 10**18
US, INSTITUTIONAL, FAR_FUTURE = 840, 4, 2**40 - 1
OPEN_US = [(US, (True, 1, 0, 0, 0))]
ISIN = "US00QMMF0086"  # a valid ISO 6166 check digit (checked by the registry)
GATE_BPS = 1_000  # at most 10% of the shares redeemed per period
SLEEVE_BPS = 2_000  # the cash the manager keeps in the vault; the rest buys T-bills
RECALL_MARGIN_BPS = 10  # recalled above the queue's value at the last NAV: the next is higher
# Chain day 0 of the act reads as this day of history (Monday 25 August 2008).
HISTORY_START = dt.date(2008, 8, 25)
PERIODS = 9  # weekly cut-offs 1 September .. 27 October 2008
RUN_AFTER_PERIOD = 3  # the run's requests come after the 15 September cut-off (Lehman week)
RUN_DAY_OFFSET = DAY  # ... on 16 September
# Roles of the fund's own stack (test accounts; none is a background keeper's).
DEPLOYER, GOVERNOR, OPERATOR, AGENT, ISSUER, NAV_AGENT, MANAGER, CUSTODIAN = (
    0,
    2,
    3,
    5,
    9,
    10,
    11,
    19,
)
# name, test account, USDC subscribed, share of the holding redeemed in the run (bps)
INVESTORS = (
    ("pension fund", 12, 5_000_000, 4_000),
    ("corporate treasury", 13, 3_000_000, 2_000),
    ("insurer", 14, 2_000_000, 0),
)


@dataclass
class Strike:
    """One struck period as the report shows it."""

    period: int
    history_date: str
    nav18: int
    yield_bps: float  # annualised from the NAV's move since the previous strike
    rf_monthly_pct: str  # French's RF of the month (% per month)
    rf_yield_bps: float  # the same period's T-bill growth, annualised
    subscribed_usdc: int
    redeem_pending_shares: int
    redeem_fulfilled_shares: int
    free_cash_usdc: int  # after the period's claims (and, at the first, the T-bill purchase)
    custodian_usdc: int  # principal at the custodian: sent, less returned (it accrues RF besides)
    served_ratio: dict[str, float]  # per investor in the run: claimable / requested so far
    supply_before_shares: int  # the share supply the gate applied to (escrowed shares included)


@dataclass
class LifecycleResult:
    vault: str
    instrument_id: int
    shift_days: int
    strikes: list[Strike] = field(default_factory=list)
    run_requested: dict[str, int] = field(default_factory=dict)  # shares, per investor
    run_paid_usdc: dict[str, int] = field(default_factory=dict)
    keeper_statuses: list[str] = field(default_factory=list)

    @property
    def gated_periods(self) -> list[Strike]:
        """Strikes whose queue was larger than what the gate let through."""
        return [s for s in self.strikes if s.redeem_fulfilled_shares < s.redeem_pending_shares]

    @property
    def pro_rata(self) -> bool:
        """Every strike served each request of the run the same fraction (1e-9), and all of it
        in the end."""
        for strike in self.strikes:
            ratios = list(strike.served_ratio.values())
            if ratios and max(ratios) - min(ratios) > 1e-9:
                return False
        last = self.strikes[-1].served_ratio if self.strikes else {}
        return bool(last) and all(r == 1.0 for r in last.values())

    @property
    def nav_follows_rate(self) -> bool:
        """The NAV rose at every strike, never faster than the T-bill rate (free cash earns
        nothing), and its yield fell with the rate: September's (RF 0.15% a month) above
        October's (0.08%), which, fully invested after the run, is the rate's within 1%."""
        moves = self.strikes[1:]
        if not moves:
            return False
        navs = [s.nav18 for s in self.strikes]
        september = [s.yield_bps for s in moves if s.history_date < "2008-10-01"]
        october = [s.yield_bps for s in moves if s.history_date >= "2008-10-08"]
        return (
            all(b > a for a, b in zip(navs, navs[1:]))
            and all(s.yield_bps <= s.rf_yield_bps * 1.001 for s in moves)
            and bool(september)
            and bool(october)
            and min(september) > max(october)
            and all(abs(s.yield_bps - s.rf_yield_bps) <= s.rf_yield_bps / 100 for s in moves[-2:])
        )

    @property
    def within_gate(self) -> bool:
        """No strike redeemed more than the gate's share of the shares before it."""
        return all(
            s.redeem_fulfilled_shares * 10_000 <= s.supply_before_shares * GATE_BPS
            for s in self.strikes
        )

    def write_report(self, path: Path) -> Path:
        """The act's figures as JSON (amounts as integers in base units)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {**asdict(self), "gate_bps": GATE_BPS, "isin": ISIN}
        path.write_text(json.dumps(body, indent=1, default=str))
        return path


def _history_shift(chain_day0: int) -> int:
    """Days between chain day 0 and `HISTORY_START`, so the rates read 2008."""
    start = calendar.timegm(HISTORY_START.timetuple())
    return (chain_day0 - start) // DAY


def _history_date(timestamp: int, shift_days: int) -> str:
    return dt.datetime.fromtimestamp(timestamp - shift_days * DAY, dt.UTC).date().isoformat()


def _build(d, acct, day0: int):
    """The fund's stack (see the module notice). Returns (vault, share, usdc, feed, registry,
    instrument id)."""
    from keepers.access import deploy_access, grant_calls, renounce_temporary_roles, send_to_manager
    from keepers.compliance import deploy_registry, deploy_security
    from keepers.core.units import FEED_DECIMALS
    from keepers.lifecycle import (
        InstrumentKind,
        InstrumentTerms,
        SettlementAssetType,
        approve_issuers,
        deploy_fund_vault,
        deploy_lifecycle,
        list_settlement_assets,
    )
    from keepers.risk import deploy_feeds, feed_config, set_feeds
    from keepers.vault import deploy_stablecoin

    deploy_access(d, {"GOVERNOR": acct[GOVERNOR].address, "OPERATOR": acct[OPERATOR].address})
    identities = deploy_registry(d)
    share = deploy_security(
        d,
        ".QMMF",
        "Quantera Treasury Money Market",
        "QMMF",
        agent=acct[AGENT].address,
        jurisdictions=OPEN_US,
    )
    usdc = deploy_stablecoin(d, "USDC")
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", acct[NAV_AGENT].address))
    one = 10**FEED_DECIMALS
    feeds = deploy_feeds(d, {"QMMF": one, "USDC": one})
    registry = deploy_lifecycle(d)
    set_feeds(
        d,
        d.at("OracleRouter"),
        {
            "QMMF": (share, feed_config(feeds["QMMF"].address)),
            "USDC": (usdc, feed_config(feeds["USDC"].address)),
        },
    )
    list_settlement_assets(
        d,
        d.at("SettlementAssets"),
        {"USDC": (usdc.address, (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100))},
    )
    approve_issuers(d, registry, {"the fund's issuer": acct[ISSUER].address})
    terms = InstrumentTerms(
        kind=InstrumentKind.MONEY_MARKET_FUND,
        isin=ISIN,
        share_token=share.address,
        settlement_assets=[usdc.address],
        issue_date=day0 - DAY,
    )
    instrument = registry.register(terms.as_tuple(), sender=acct[ISSUER]).return_value
    registry.activate(instrument, sender=acct[ISSUER])
    vault = deploy_fund_vault(
        d,
        share,
        usdc,
        registry,
        instrument,
        identity="0x" + "f7" * 20,
        first_cutoff=day0 + WEEK,
        dealing_interval=WEEK,
        gate_bps=GATE_BPS,
        nav_agent=acct[NAV_AGENT].address,
        fund_manager=acct[MANAGER].address,
        custodian=acct[CUSTODIAN].address,
    )
    renounce_temporary_roles(d)
    registry.setFund(instrument, vault, sender=acct[ISSUER])
    share.unpause(sender=acct[AGENT])
    identities.batchRegisterIdentity(
        [acct[i].address for _, i, _, _ in INVESTORS],
        [f"0x{0xF1F0 + i:040x}" for _, i, _, _ in INVESTORS],
        [US] * len(INVESTORS),
        sender=acct[OPERATOR],
    )
    return vault, share, usdc, feeds["USDC"], registry, instrument


def exercise_lifecycle(log: ActionLog, rpc_url: str, rpc, db_url: str) -> LifecycleResult:
    """Builds the fund, then runs its `PERIODS` weekly cut-offs (see the module notice): chain
    time set explicitly before each strike, the keeper's cycle strikes, every investor claims."""
    from ape import accounts, chain

    from keepers.core import store
    from keepers.core.deploying import Deployment
    from keepers.core.units import FEED_DECIMALS
    from keepers.lifecycle import Head, LifecycleKeeper, french_rf

    acct = {i: accounts.test_accounts[i] for i in range(24)}
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731

    def set_time(timestamp: int) -> None:
        head = chain.blocks.head.timestamp
        rpc(rpc_url, "evm_setNextBlockTimestamp", [max(timestamp, head + 1)])
        rpc(rpc_url, "evm_mine")

    head = chain.blocks.head
    day0 = (int(head.timestamp) // DAY + 1) * DAY
    d = Deployment.in_memory(acct[DEPLOYER])
    d.record.block = int(head.number)
    vault, share, usdc, usdc_feed, registry, instrument = _build(d, acct, day0)
    shift = _history_shift(day0)
    rates = french_rf(shift_days=shift)
    result = LifecycleResult(vault.address, int(instrument), shift)
    keeper = LifecycleKeeper(store.open_store(db_url), d.record, registry, rates, acct[NAV_AGENT])
    log.record(
        SECTION,
        "deployer",
        f"deploy the fund (instrument {instrument}, ISIN {ISIN}), weekly dealing, "
        f"{GATE_BPS // 100}% gate",
        "ok",
    )

    set_time(day0)  # 25 August 2008
    wallets = {name: acct[i] for name, i, _, _ in INVESTORS}
    for name, _, amount, _ in INVESTORS:
        wallet = wallets[name]
        usdc.mint(wallet, amount * USDC, sender=acct[OPERATOR])
        usdc.approve(vault, 2**256 - 1, sender=wallet)
        act(
            name,
            f"subscribe {amount:,} USDC",
            lambda w=wallet, a=amount: vault.requestDeposit(a * USDC, w, w, sender=w),
        )
    usdc.approve(vault, 2**256 - 1, sender=acct[CUSTODIAN])

    previous_nav18, previous_at, custodian = 0, 0, 0
    for k in range(1, PERIODS + 1):
        period, cutoff, deposit_assets, redeem_shares, *_ = (int(v) for v in vault.dealing())
        if redeem_shares:
            # The manager recalls from the custodian what the gate may pay, if the vault lacks it.
            nav18 = int(registry.latestNav(instrument)[0])
            gate_usdc = int(share.totalSupply()) * GATE_BPS // 10_000 * nav18 // WAD // 10**12
            need = min(redeem_shares * nav18 // WAD // 10**12, gate_usdc)
            need += need * RECALL_MARGIN_BPS // 10_000  # the strike's NAV is a little higher
            short = need - int(vault.freeCash())
            if short > 0:
                custodian -= short
                act(
                    "custodian",
                    f"return {short / USDC:,.0f} USDC to the vault to meet the gate",
                    lambda s=short: vault.returnCash(s, sender=acct[CUSTODIAN]),
                )
        supply_before = int(share.totalSupply())
        set_time(cutoff + 60)
        usdc_feed.report(10**FEED_DECIMALS, sender=acct[NAV_AGENT])  # a day's heartbeat
        block = chain.blocks.head
        outcome = keeper.cycle(Head(int(block.number), int(block.timestamp)))
        step = outcome["outcomes"].get(vault.address, {})
        if step.get("status") == "sent":
            # Broadcast, not yet in a block (the chain mines at its next block, however busy the
            # machine): wait for the receipt, then let the keeper's next cycle reconcile its row.
            row = store.nav_strike(keeper.db, keeper.chain_id, vault.address, period)
            chain.provider.web3.eth.wait_for_transaction_receipt(row.tx_hash, timeout=300)
            head = chain.blocks.head
            keeper.cycle(Head(int(head.number), int(head.timestamp)))
            row = store.nav_strike(keeper.db, keeper.chain_id, vault.address, period)
            step = {**step, "status": row.status}
        result.keeper_statuses.append(str(step.get("status") or step.get("action")))
        struck = [
            log_
            for log_ in vault.PeriodStruck.range(int(block.number), chain.blocks.head.number + 1)
            if int(log_.period) == period
        ]
        if not struck:
            log.record(SECTION, "NAV agent", f"strike period {period}", f"not struck: {step}")
            break
        event = struck[0]
        nav18 = int(event.nav18)
        at = int(chain.provider.get_block(event.block_number).timestamp)
        days = (at - previous_at) / DAY if previous_at else 0
        fund_yield = (nav18 / previous_nav18 - 1) * 365 / days * 10_000 if days else 0.0
        rf_yield = float(rates.growth(previous_at, at) - 1) * 365 / days * 10_000 if days else 0.0
        quote = rates.quote(dt.datetime.fromtimestamp(at - shift * DAY, dt.UTC).timetuple()[:2])
        # Claims: subscriptions as shares, redemptions as cash (each at the period's NAV).
        for wallet in wallets.values():
            assets = int(vault.maxDeposit(wallet))
            if assets:
                vault.deposit(assets, wallet, sender=wallet)
        served = {}
        for name, requested in result.run_requested.items():
            wallet = wallets[name]
            claimable = int(vault.maxRedeem(wallet))
            served[name] = (requested - int(vault.pendingRedeemRequest(0, wallet))) / requested
            if claimable:
                before = int(usdc.balanceOf(wallet))
                vault.redeem(claimable, wallet, wallet, sender=wallet)
                paid = int(usdc.balanceOf(wallet)) - before
                result.run_paid_usdc[name] = result.run_paid_usdc.get(name, 0) + paid
        if k == 1:
            invest = int(vault.freeCash()) * (10_000 - SLEEVE_BPS) // 10_000
            custodian += invest
            act(
                "fund manager",
                f"buy T-bills: send {invest / USDC:,.0f} USDC to the custodian",
                lambda i=invest: vault.investCash(i, sender=acct[MANAGER]),
            )
        result.strikes.append(
            Strike(
                period=period,
                history_date=_history_date(at, shift),
                nav18=nav18,
                yield_bps=fund_yield,
                rf_monthly_pct=f"{quote.monthly * 100:.2f}",
                rf_yield_bps=rf_yield,
                subscribed_usdc=int(event.depositAssets),
                redeem_pending_shares=int(event.pendingShares),
                redeem_fulfilled_shares=int(event.fulfilledShares),
                free_cash_usdc=int(vault.freeCash()),
                custodian_usdc=custodian,
                served_ratio=served,
                supply_before_shares=supply_before,
            )
        )
        previous_nav18, previous_at = nav18, at
        if k == RUN_AFTER_PERIOD:
            set_time(int(vault.dealing()[1]) - WEEK + RUN_DAY_OFFSET)  # Tuesday 16 September
            for name, _, _, run_bps in INVESTORS:
                if not run_bps:
                    continue
                wallet = wallets[name]
                shares = int(share.balanceOf(wallet)) * run_bps // 10_000
                share.approve(vault, shares, sender=wallet)
                if act(
                    name,
                    f"request to redeem {run_bps // 100}% of its shares "
                    f"({shares / WAD:,.0f}) in Lehman week",
                    lambda w=wallet, s=shares: vault.requestRedeem(s, w, w, sender=w),
                ):
                    result.run_requested[name] = shares
    return result
