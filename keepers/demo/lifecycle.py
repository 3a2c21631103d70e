"""Lifecycle part of the demo (issue 17 item 9): a T-bill money-market fund through the autumn of
2008, on the demo's anvil.

The fund is built by the domains' own deploy steps, as `scripts/deploy.py`'s `deploy_protocol` runs
them (access, the identity registry, the share class as a SecurityToken with its compliance engine,
two settlement assets and their feeds, the lifecycle's settlement assets and instrument registry,
the FundDesk and its FundVaults): a stack of its own, with its own authority, because the protocol
`deploy all` put on the chain has handed ADMIN to timelocked governance (wiring a new vault there is
a scheduled operation per call). The share class is registered in the InstrumentRegistry as a
money-market fund and activated; the desk is its fund, its vaults dealing weekly, each with a 10%
redemption gate.

The NAV agent is the lifecycle keeper's own cycle (`keepers.lifecycle.keeper.LifecycleKeeper`, in
process, its store the demo's): at each cut-off it values the vaults' free cash and the custodian
account (T-bills growing at Kenneth French's one-month T-bill rate, `keepers.lifecycle.rates`, read
as 2008: chain time shifted back to 25 August 2008 at the start), reports the NAV and strikes the
desk (every vault at that NAV).

Weekly cut-offs from 1 September to 27 October 2008: three institutions subscribe (USDC or TDUSD)
before the first; the fund manager keeps a 20% liquidity sleeve (in USDC) and sends the rest to the
custodian; in
Lehman week (requests on 16 September, the day the Reserve Primary Fund broke the buck) they ask to
redeem 2,600,000 shares; the gate serves at most 10% of the shares a period, each request the same
fraction (the vault's fulfilment ratio), the rest carried; the manager recalls cash from the
custodian to meet it.

The share class is an IncomeShareToken: its daily dividend is paid in new shares (BUIDL / BENJI),
declared by the same keeper's declaring path (`keepers.lifecycle.declaring`: the short rate of the
window since the previous declaration on the whole supply, numbered, never twice) every business
day of the act (Monday to Friday: the chain's schedules roll over weekends only, with no holiday
calendar), from the first claim of shares to the last cut-off; the holders claim their income at
the end (`settleIncome`) and the act checks that what was paid is what was declared, less the
token's documented dust. The dividend pays the rate on every share while the 20% cash sleeve earns
nothing, so the NAV per share drifts a little below $1.00 until the run has spent the sleeve; the
fund's return is the NAV times the income index.

Two settlement assets, through a FundDesk (LCY-70..77): the share class is dealt in USDC (a
reserve-backed stablecoin) and TDUSD (a bank's tokenized deposit), each listed in SettlementAssets
with its type, risk weight and preference rank (`SETTLEMENT_ASSETS`: the deposit token is
preferred for payouts), one FundVault per asset under one desk, the desk the instrument's fund of
record. Each investor subscribes in its asset through the desk (`INVESTORS`); the manager buys
T-bills with every deposit token and keeps the fund's cash sleeve in USDC. The Lehman-week run is
requested through the desk with each investor's accepted set (`ACCEPTS`): the desk routes it to
the most preferred accepted asset whose vault holds the cash for it (its free cash covers the
shares at its last NAV), so the preferred deposit token, fully invested, is passed over for USDC
(the fallback); the act checks each routing against the rule recomputed from chain reads before
the request (`Routing`). The keeper strikes the desk: both vaults at one NAV. Flows per asset
(`AssetFlows`) are read back from the vaults' events.

After the fund, the act runs a two-year note (keepers/demo/note.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from keepers.core.artifacts import project_at
from keepers.demo.actions import ActionLog
from keepers.demo.note import NoteResult, exercise_note

SECTION = "lifecycle"
DAY, WEEK = 86_400, 7 * 86_400
USDC, WAD, INDEX_ONE = 10**6, 10**18, 10**27
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
RUN_DAY_OFFSET = DAY + 12 * 3_600  # ... at noon on Tuesday 16 September
BUSINESS_DAYS = 5  # the keeper's cycles: the cut-off Monday and the four days after it
CYCLE_AFTER_SECONDS = 60  # each cycle a minute after midnight (the cut-off), chain time
# The settlement assets the share class accepts, in the desk's vault order (a vault's index is its
# bit in an accepted set): symbol -> (token name, SettlementAssetConfig as (type, risk weight bps,
# preference rank: the lower the more preferred for payouts, depeg threshold bps)).
SETTLEMENT_ASSETS = {
    "USDC": ("USD Coin (local)", ("RESERVE_BACKED", 10_000, 3, 100)),
    "TDUSD": ("Bank deposit token (local)", ("TOKENIZED_DEPOSIT", 2_000, 1, 100)),
}
# Where the manager keeps the fund's cash sleeve (the other assets all buy T-bills).
SLEEVE_ASSET = "USDC"
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
# name, test account, settlement asset, amount subscribed (whole units), shares requested in the
# Lehman-week run (whole shares)
INVESTORS = (
    ("pension fund", 12, "USDC", 5_000_000, 2_000_000),
    ("corporate treasury", 13, "TDUSD", 3_000_000, 600_000),
    ("insurer", 14, "USDC", 2_000_000, 0),
)
# The settlement assets each investor in the run accepts its redemption in (its accepted set).
ACCEPTS = {"pension fund": ("USDC", "TDUSD"), "corporate treasury": ("TDUSD", "USDC")}


@dataclass
class Strike:
    """One struck period as the report shows it."""

    period: int
    history_date: str
    nav18: int
    yield_bps: float  # the fund's return (NAV x income index) since the previous strike, annual
    rf_monthly_pct: str  # French's RF of the month (% per month)
    rf_yield_bps: float  # the same period's T-bill growth, annualised
    subscribed_usdc: int
    redeem_pending_shares: int
    redeem_fulfilled_shares: int
    free_cash_usdc: int  # after the period's claims (and, at the first, the T-bill purchase)
    custodian_usdc: int  # principal at the custodian: sent, less returned (it accrues RF besides)
    served_ratio: dict[str, float]  # per investor in the run: claimable / requested so far
    supply_before_shares: int  # the share supply the gate applied to (escrowed shares included)
    at: int = 0  # chain time of the strike's block
    income_index: int = INDEX_ONE  # the share's income index at the strike (1e27 at the start)
    dividend_yield_bps: float = 0.0  # the index's growth since the previous strike, annualised
    # The income the escrow earned that this strike burned (EscrowIncomeBurned), and the NAV's
    # rise it brings the holders who remain (its share of the supply after it), annualised.
    escrow_income_burned_shares: int = 0
    escrow_uplift_bps: float = 0.0
    dividend_shares: int = 0  # shares declared as income since the previous strike
    redeemed: dict[str, tuple[int, int]] = field(default_factory=dict)  # name: (shares, paid)
    # Per settlement asset (its vault's PeriodStruck): assets subscribed, shares redeemed.
    subscribed: dict[str, int] = field(default_factory=dict)
    fulfilled: dict[str, int] = field(default_factory=dict)


@dataclass
class Routing:
    """A run request made through the desk: the routing rule recomputed from chain reads just
    before it, and where the desk sent it (its `RedeemRouted` event)."""

    name: str
    shares: int
    accepted: list[str]  # the investor's accepted set, as symbols
    mask: int  # ... as the desk's bitmask (bit i: the asset of `vaults()[i]`)
    # per accepted asset: its rank, its vault's free cash, the shares' value at its last NAV
    # (`convertToAssets`), its peg
    candidates: dict[str, dict[str, int | bool]]
    expected: str  # the most preferred accepted, pegged asset whose vault's free cash covers it
    routed: str  # the asset of the vault `RedeemRouted` names
    vault: str
    paid: dict[str, int] = field(default_factory=dict)  # its claims, per asset (balance changes)

    @property
    def fallback(self) -> bool:
        """Routed past the investor's most preferred accepted asset (which lacked the cash)."""
        best = min(self.candidates, key=lambda a: self.candidates[a]["rank"])
        return self.routed != best


@dataclass
class AssetFlows:
    """One settlement asset's flows over the act: what the act sent, and chain reads of its vault
    (its events)."""

    token: str
    vault: str
    asset_type: str
    risk_weight_bps: int
    rank: int
    subscribed: int  # what the investors subscribing in it requested (the act's amounts)
    received: int  # the vault's PeriodStruck.depositAssets, summed (chain)
    redeemed_shares: int  # the vault's PeriodStruck.fulfilledShares, summed (chain)
    paid: int  # the vault's Withdraw.assets, summed (chain)
    paid_to_investors: int  # the investors' balance changes at their redemption claims
    invested: int  # sent to the custodian (InvestedCash-free: the act's amounts)
    returned: int  # returned by the custodian


@dataclass
class Declaration:
    """One daily dividend as the token recorded it (`IncomeDeclared`) and the keeper computed it."""

    number: int
    history_date: str
    at: int  # chain time of its block
    shares: int
    supply_before: int
    start: int  # the accrual window (chain time), from the keeper store's row
    end: int
    status: str  # the keeper store's


@dataclass
class Income:
    """The dividends at the end of the act, after every holder claimed: from chain reads."""

    declared_shares: int  # sum of IncomeDeclared.shares
    paid_shares: dict[str, int]  # per holder: paid balance less its principal (the vault too)
    unpaid_shares: int  # totalSupply - sum of the holders' paid balances: the dust
    dust_bound: int  # the token's documented bound: a unit per holder per declaration, and one
    total_supply: int
    index: int
    growth: str  # the index's growth from the first declaration to the last (Decimal as text)
    rf_growth: str  # French's RF over the same windows
    weekdays: list[str]  # the history dates (Monday..Friday) the act expected a declaration on

    @property
    def paid_total(self) -> int:
        return sum(self.paid_shares.values())


@dataclass
class LifecycleResult:
    vault: str
    share: str
    instrument_id: int
    shift_days: int
    strikes: list[Strike] = field(default_factory=list)
    run_requested: dict[str, int] = field(default_factory=dict)  # shares, per investor
    run_paid_usdc: dict[str, int] = field(default_factory=dict)
    keeper_statuses: list[str] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    income: Income | None = None
    holders: dict[str, str] = field(default_factory=dict)  # the share's holders: name, address
    note: NoteResult | None = None  # the two-year note after the fund (keepers/demo/note.py)
    desk: str = ""  # the FundDesk, the instrument's fund of record
    vaults: dict[str, str] = field(default_factory=dict)  # settlement asset: its vault
    flows: dict[str, AssetFlows] = field(default_factory=dict)
    routings: list[Routing] = field(default_factory=list)

    @property
    def flows_match(self) -> bool:
        """Dealt in every settlement asset: each vault received what its investors subscribed,
        and paid (its Withdraw events) what the investors got in its asset."""
        flows = list(self.flows.values())
        return (
            len(flows) == len(self.vaults) >= 2
            and all(f.subscribed == f.received > 0 for f in flows)
            and all(f.paid == f.paid_to_investors for f in flows)
            and sum(f.paid for f in flows) == sum(self.run_paid_usdc.values())
        )

    @property
    def routed_by_rule(self) -> bool:
        """Every run request went where the routing rule says (the most preferred accepted asset
        whose vault held the cash) and was paid in that asset only, in full."""
        return bool(self.routings) and all(
            r.routed == r.expected
            and set(r.paid) == {r.routed}
            and r.paid[r.routed] == self.run_paid_usdc.get(r.name)
            for r in self.routings
        )

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
    def paid_at_nav(self) -> bool:
        """Every redemption claim paid its shares at its period's NAV (rounded down, a unit)."""
        claims = [(s.nav18, *r) for s in self.strikes for r in s.redeemed.values()]
        return bool(claims) and all(
            0 <= shares * nav18 // WAD // 10**12 - paid <= 1 for nav18, shares, paid in claims
        )

    @property
    def nav_follows_rate(self) -> bool:
        """The fund's return (NAV x income index) rose at every strike, never faster than the
        T-bill rate (free cash earns nothing) plus the escrow's burned income (the income of the
        shares queued for redemption goes to the holders who remain: `escrow_uplift_bps`), and
        its yield fell with the rate: September's (RF
        0.15% a month) above October's (0.08%), which, fully invested after the run, is the
        rate's within 1%; the NAV itself stayed within 10 bp of $1.00 (the income is paid in
        shares)."""
        moves = self.strikes[1:]
        if not moves:
            return False
        values = [s.nav18 * s.income_index for s in self.strikes]
        september = [s.yield_bps for s in moves if s.history_date < "2008-10-01"]
        october = [s.yield_bps for s in moves if s.history_date >= "2008-10-08"]
        return (
            all(b > a for a, b in zip(values, values[1:]))
            and all(s.yield_bps <= s.rf_yield_bps * 1.001 + s.escrow_uplift_bps for s in moves)
            and bool(september)
            and bool(october)
            and min(september) > max(october)
            and all(abs(s.yield_bps - s.rf_yield_bps) <= s.rf_yield_bps / 100 for s in moves[-2:])
            and all(abs(s.nav18 - WAD) * 10_000 <= WAD * 10 for s in self.strikes)
        )

    @property
    def within_gate(self) -> bool:
        """No strike redeemed more than the gate's share of the shares before it."""
        return all(
            s.redeem_fulfilled_shares * 10_000 <= s.supply_before_shares * GATE_BPS
            for s in self.strikes
        )

    @property
    def declared_daily(self) -> bool:
        """One declaration a business day (Monday to Friday) from the first claim of shares to
        the last cut-off, numbered 1, 2, ... each once, confirmed in the keeper store, each window
        starting where the previous one ended."""
        got = self.declarations
        return (
            self.income is not None
            and [d.history_date for d in got] == self.income.weekdays
            and [d.number for d in got] == list(range(1, len(got) + 1))
            and all(d.status == "confirmed" for d in got)
            and all(a.end == b.start for a, b in zip(got, got[1:]))
        )

    @property
    def income_exact(self) -> bool:
        """What the holders were paid is what was declared, less dust within the token's bound
        (never more), and the dividends compounded at French's RF over their windows (1e-9)."""
        income = self.income
        if income is None or not self.declarations:
            return False
        unpaid = income.declared_shares - income.paid_total
        return (
            income.declared_shares == sum(d.shares for d in self.declarations)
            and unpaid == income.unpaid_shares
            and 0 <= unpaid <= income.dust_bound
            and abs(Decimal(income.growth) / Decimal(income.rf_growth) - 1) < Decimal("1e-9")
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
    """The fund's stack (see the module notice). Returns (the desk, vaults by settlement asset,
    share, tokens by symbol, feeds by symbol, registry, instrument id)."""
    from keepers.access import (
        as_role,
        deploy_access,
        grant_calls,
        renounce_temporary_roles,
        send_to_manager,
    )
    from keepers.compliance import deploy_registry
    from keepers.core.units import FEED_DECIMALS
    from keepers.lifecycle import (
        InstrumentKind,
        InstrumentTerms,
        SettlementAssetType,
        approve_issuers,
        declarer_steps,
        deploy_fund_desk,
        deploy_income_share_token,
        deploy_lifecycle,
        list_settlement_assets,
        set_token_issuer,
    )
    from keepers.risk import deploy_feeds, feed_config, set_feeds
    from keepers.vault import deploy_stablecoin

    deploy_access(d, {"GOVERNOR": acct[GOVERNOR].address, "OPERATOR": acct[OPERATOR].address})
    identities = deploy_registry(d)
    share = deploy_income_share_token(
        d,
        "Quantera Treasury Money Market",
        "QMMF",
        agent=acct[AGENT].address,
        jurisdictions=OPEN_US,
    )
    tokens = {
        symbol: deploy_stablecoin(d, symbol, name)
        for symbol, (name, _) in SETTLEMENT_ASSETS.items()
    }
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", acct[NAV_AGENT].address))
    one = 10**FEED_DECIMALS
    feeds = deploy_feeds(d, {"QMMF": one, **{symbol: one for symbol in SETTLEMENT_ASSETS}})
    registry = deploy_lifecycle(d)
    set_feeds(
        d,
        d.at("OracleRouter"),
        {
            "QMMF": (share, feed_config(feeds["QMMF"].address)),
            **{s: (tokens[s], feed_config(feeds[s].address)) for s in SETTLEMENT_ASSETS},
        },
    )
    list_settlement_assets(
        d,
        d.at("SettlementAssets"),
        {
            s: (tokens[s].address, (SettlementAssetType[kind], *config))
            for s, (_, (kind, *config)) in SETTLEMENT_ASSETS.items()
        },
    )
    approve_issuers(d, registry, {"the fund's issuer": acct[ISSUER].address})
    # The issuer is an agent of its share class (PAUSE, UNPAUSE): it may register it (SEC-130).
    set_token_issuer(d, [share], acct[ISSUER].address)
    terms = InstrumentTerms(
        kind=InstrumentKind.MONEY_MARKET_FUND,
        isin=ISIN,
        share_token=share.address,
        settlement_assets=[tokens[s].address for s in SETTLEMENT_ASSETS],
        issue_date=day0 - DAY,
    )
    instrument = registry.register(terms.as_tuple(), sender=acct[ISSUER]).return_value
    registry.activate(instrument, sender=acct[ISSUER])
    # One vault per settlement asset under one desk, which strikes them all at one NAV.
    desk, vaults = deploy_fund_desk(
        d,
        share,
        d.at("SettlementAssets"),
        registry,
        instrument,
        {s: tokens[s] for s in SETTLEMENT_ASSETS},
        identities={s: f"0x{0xF700 + n:040x}" for n, s in enumerate(SETTLEMENT_ASSETS)},
        nav_agent=acct[NAV_AGENT].address,
        first_cutoff=day0 + WEEK,
        dealing_interval=WEEK,
        gate_bps=GATE_BPS,
        fund_manager=acct[MANAGER].address,
        custodian=acct[CUSTODIAN].address,
    )
    # The NAV agent declares the daily dividend: a declarer of the share (SEC-129: the DECLARE
    # capability, which mints nothing beyond the declarations' bounds; no MINT).
    as_role(d, "GOVERNOR", declarer_steps(d, share, acct[NAV_AGENT].address))
    renounce_temporary_roles(d)
    registry.setFund(instrument, desk, sender=acct[ISSUER])
    share.unpause(sender=acct[AGENT])
    identities.batchRegisterIdentity(
        [acct[i].address for _, i, *_ in INVESTORS],
        [f"0x{0xF1F0 + i:040x}" for _, i, *_ in INVESTORS],
        [US] * len(INVESTORS),
        sender=acct[OPERATOR],
    )
    return desk, vaults, share, tokens, feeds, registry, instrument


def _weekdays(first: dt.date, last: dt.date) -> list[str]:
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day.isoformat() for day in days if day.weekday() < 5]


def exercise_lifecycle(log: ActionLog, rpc_url: str, rpc, db_url: str) -> LifecycleResult:
    """Builds the fund, then runs its `PERIODS` weekly cut-offs (see the module notice): chain
    time set explicitly before each of the keeper's cycles (the strike on the cut-off Monday, the
    dividend every business day), every investor claims after each strike."""
    from ape import accounts, chain

    from keepers.core import store
    from keepers.core.deploying import Deployment
    from keepers.core.units import FEED_DECIMALS
    from keepers.lifecycle import (
        Head,
        LifecycleKeeper,
        french_rf,
        income_declaration,
        nav_strike,
    )

    acct = {i: accounts.test_accounts[i] for i in range(24)}
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731

    def set_time(timestamp: int) -> None:
        head = chain.blocks.head.timestamp
        rpc(rpc_url, "evm_setNextBlockTimestamp", [max(timestamp, head + 1)])
        rpc(rpc_url, "evm_mine")

    def head_now() -> Head:
        block = chain.blocks.head
        return Head(int(block.number), int(block.timestamp))

    head = chain.blocks.head
    day0 = (int(head.timestamp) // DAY + 1) * DAY
    d = Deployment.in_memory(acct[DEPLOYER])
    d.record.block = int(head.number)
    desk, vaults, share, tokens, feeds, registry, instrument = _build(d, acct, day0)
    vault, usdc = vaults[SLEEVE_ASSET], tokens["USDC"]  # the sleeve's vault: the run's escrow
    shift = _history_shift(day0)
    rates = french_rf(shift_days=shift)
    result = LifecycleResult(vault.address, share.address, int(instrument), shift)
    result.desk, result.vaults = desk.address, {a: v.address for a, v in vaults.items()}
    keeper = LifecycleKeeper(store.open_store(db_url), d.record, registry, rates, acct[NAV_AGENT])

    def cycle() -> dict:
        """One keeper cycle at the head; what it sent and the chain has not mined yet (the
        demo's anvil mines at its next block, however busy the machine) is waited for by its
        receipt and reconciled by a second cycle, so no day's declaration waits on the next.
        The desk is the fund: the keeper strikes it (every vault at one NAV)."""
        outcome = keeper.cycle(head_now())
        sent = []
        strike = outcome["outcomes"].get(desk.address, {})
        if strike.get("status") == "sent":
            sent.append(nav_strike(keeper.db, keeper.chain_id, desk.address, strike["period"]))
        declared = outcome["declarations"].get(desk.address, {})
        if declared.get("status") == "sent":
            sent.append(
                income_declaration(keeper.db, keeper.chain_id, share.address, declared["number"])
            )
        if sent:
            for row in sent:
                chain.provider.web3.eth.wait_for_transaction_receipt(row.tx_hash, timeout=300)
            keeper.cycle(head_now())
            if strike.get("status") == "sent":
                row = nav_strike(keeper.db, keeper.chain_id, desk.address, strike["period"])
                outcome["outcomes"][desk.address] = {**strike, "status": row.status}
        return outcome

    log.record(
        SECTION,
        "deployer",
        f"deploy the fund (instrument {instrument}, ISIN {ISIN}, share class paying its "
        f"dividend in new shares), a FundDesk dealing in {' and '.join(SETTLEMENT_ASSETS)} "
        f"(one vault each, preferred for payouts: {_preference(SETTLEMENT_ASSETS)}), weekly "
        f"dealing, {GATE_BPS // 100}% gate",
        "ok",
    )

    set_time(day0)  # 25 August 2008

    def heartbeat() -> None:
        """Each asset's price at par, now (the desk checks the peg; the NAV values each)."""
        for asset in vaults:
            feeds[asset].report(10**FEED_DECIMALS, sender=acct[NAV_AGENT])

    heartbeat()
    wallets = {name: acct[i] for name, i, *_ in INVESTORS}
    principal = dict.fromkeys(wallets, 0)  # shares claimed less shares sent to the escrow
    for name, _, asset, amount, _ in INVESTORS:
        wallet, token = wallets[name], tokens[asset]
        token.mint(wallet, amount * USDC, sender=acct[OPERATOR])
        token.approve(vaults[asset], 2**256 - 1, sender=wallet)
        vaults[asset].setOperator(desk, True, sender=wallet)  # ERC-7540: the desk requests
        act(
            name,
            f"subscribe {amount:,} {asset} through the desk",
            lambda w=wallet, a=amount, t=token: desk.requestDeposit(t, a * USDC, w, sender=w),
        )
    for asset, v in vaults.items():
        tokens[asset].approve(v, 2**256 - 1, sender=acct[CUSTODIAN])
    invested = dict.fromkeys(vaults, 0)
    returned = dict.fromkeys(vaults, 0)

    def recall(short: int, why: str) -> None:
        """The custodian returns `short` USDC to the sleeve's vault (T-bills sold)."""
        nonlocal custodian
        custodian -= short
        returned[SLEEVE_ASSET] += short
        act(
            "custodian",
            f"return {short / USDC:,.0f} {SLEEVE_ASSET} to its vault {why}",
            lambda: vault.returnCash(short, sender=acct[CUSTODIAN]),
        )

    previous_nav18, previous_at, previous_index, custodian = 0, 0, INDEX_ONE, 0
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
                recall(short, "to meet the gate")
        supply_before = int(share.totalSupply())
        set_time(cutoff + CYCLE_AFTER_SECONDS)
        heartbeat()
        block = chain.blocks.head
        # The index at the strike (the cycle's declaration, if any, comes after its strike).
        index = int(share.incomeIndex()[0])
        outcome = cycle()
        step = outcome["outcomes"].get(desk.address, {})
        result.keeper_statuses.append(str(step.get("status") or step.get("action")))
        events = {
            asset: [
                e
                for e in v.PeriodStruck.range(int(block.number), chain.blocks.head.number + 1)
                if int(e.period) == period
            ]
            for asset, v in vaults.items()
        }
        if not all(events.values()):
            log.record(SECTION, "NAV agent", f"strike period {period}", f"not struck: {step}")
            break
        struck = {asset: found[0] for asset, found in events.items()}
        if len({int(e.nav18) for e in struck.values()}) != 1:
            log.record(SECTION, "NAV agent", f"strike period {period}", "vaults at two NAVs")
            break
        event = struck[SLEEVE_ASSET]
        nav18 = int(event.nav18)
        at = int(chain.provider.get_block(event.block_number).timestamp)
        days = (at - previous_at) / DAY if previous_at else 0
        growth = nav18 * index / (previous_nav18 * previous_index) if previous_nav18 else 1
        fund_yield = (growth - 1) * 365 / days * 10_000 if days else 0.0
        dividend_yield = (index / previous_index - 1) * 365 / days * 10_000 if days else 0.0
        rf_yield = float(rates.growth(previous_at, at) - 1) * 365 / days * 10_000 if days else 0.0
        burned = sum(
            int(e.shares)
            for v in vaults.values()
            for e in v.EscrowIncomeBurned.range(event.block_number, event.block_number + 1)
            if int(e.period) == period
        )
        uplift = burned / (supply_before - burned) * 365 / days * 10_000 if days else 0.0
        quote = rates.quote(dt.datetime.fromtimestamp(at - shift * DAY, dt.UTC).timetuple()[:2])
        # Claims: subscriptions as shares, redemptions as cash (each at the period's NAV), each on
        # the vault its request was made on: the investor's asset's, the routed one's (no other
        # vault pays anything: `flows_match` compares every vault's Withdraw events).
        for name, _, asset, *_ in INVESTORS:
            wallet, v = wallets[name], vaults[asset]
            assets = int(v.maxDeposit(wallet))
            if assets:
                before = int(share.balanceOf(wallet))
                v.deposit(assets, wallet, sender=wallet)
                principal[name] += int(share.balanceOf(wallet)) - before
        served, redeemed = {}, {}
        for routing in result.routings:
            name, asset = routing.name, routing.routed
            wallet, v, requested = wallets[name], vaults[asset], result.run_requested[name]
            served[name] = (requested - int(v.pendingRedeemRequest(0, wallet))) / requested
            claimable = int(v.maxRedeem(wallet))
            if claimable:
                before = int(tokens[asset].balanceOf(wallet))
                v.redeem(claimable, wallet, wallet, sender=wallet)
                paid = int(tokens[asset].balanceOf(wallet)) - before
                redeemed[name] = (claimable, paid)
                result.run_paid_usdc[name] = result.run_paid_usdc.get(name, 0) + paid
                routing.paid[asset] = routing.paid.get(asset, 0) + paid
        if k == 1:
            # The sleeve is kept in USDC; every other asset buys T-bills in full.
            sleeve = sum(int(v.freeCash()) for v in vaults.values()) * SLEEVE_BPS // 10_000
            for asset, v in vaults.items():
                amount = int(v.freeCash()) - (sleeve if asset == SLEEVE_ASSET else 0)
                custodian += amount
                invested[asset] += amount
                act(
                    "fund manager",
                    f"buy T-bills: send {amount / USDC:,.0f} {asset} to the custodian",
                    lambda i=amount, v=v: v.investCash(i, sender=acct[MANAGER]),
                )
        result.strikes.append(
            Strike(
                period=period,
                history_date=_history_date(at, shift),
                nav18=nav18,
                yield_bps=fund_yield,
                rf_monthly_pct=f"{quote.monthly * 100:.2f}",
                rf_yield_bps=rf_yield,
                subscribed_usdc=sum(int(e.depositAssets) for e in struck.values()),
                redeem_pending_shares=sum(int(e.pendingShares) for e in struck.values()),
                redeem_fulfilled_shares=sum(int(e.fulfilledShares) for e in struck.values()),
                free_cash_usdc=sum(int(v.freeCash()) for v in vaults.values()),
                custodian_usdc=custodian,
                served_ratio=served,
                supply_before_shares=supply_before,
                at=at,
                income_index=index,
                dividend_yield_bps=dividend_yield,
                escrow_income_burned_shares=burned,
                escrow_uplift_bps=uplift,
                redeemed=redeemed,
                subscribed={a: int(e.depositAssets) for a, e in struck.items()},
                fulfilled={a: int(e.fulfilledShares) for a, e in struck.items()},
            )
        )
        previous_nav18, previous_at, previous_index = nav18, at, index
        if k == PERIODS:
            break
        # The business days after the cut-off: the keeper's cycle declares each day's dividend.
        for offset in range(1, BUSINESS_DAYS):
            set_time(cutoff + offset * DAY + CYCLE_AFTER_SECONDS)
            cycle()
            if k == RUN_AFTER_PERIOD and offset == 1:
                set_time(cutoff + RUN_DAY_OFFSET)  # Tuesday 16 September, noon
                heartbeat()
                # The institutions have called: the manager sells T-bills so that the sleeve's
                # vault holds the run's value at the last NAV (the desk pays only from a vault
                # that does).
                nav18 = int(registry.latestNav(instrument)[0])
                run = sum(s for *_, s in INVESTORS) * WAD * nav18 // WAD // 10**12
                short = run + run * RECALL_MARGIN_BPS // 10_000 - int(vault.freeCash())
                if short > 0:
                    recall(short, "ahead of the run the institutions announced")
                _run(act, share, desk, vaults, tokens, wallets, principal, result)
    _settle_income(
        act, share, vaults, wallets, principal, keeper, rates, shift, result, acct[MANAGER]
    )
    result.flows = _flows(vaults, tokens, INVESTORS, invested, returned, result)
    people = {
        "issuer": acct[ISSUER],
        "agent": acct[AGENT],
        "NAV agent": acct[NAV_AGENT],
        "operator": acct[OPERATOR],
        **wallets,
    }
    result.note = exercise_note(log, d, registry, usdc, keeper, people, OPEN_US, set_time, head_now)
    return result


def _preference(assets) -> str:
    """The assets by preference for payouts (rank, then vault order), as text."""
    order = sorted(assets, key=lambda a: (SETTLEMENT_ASSETS[a][1][2], list(assets).index(a)))
    return " > ".join(order)


def _expected_route(desk, vaults, tokens, shares: int, accepted) -> tuple[str, dict]:
    """The routing rule (IFundDesk) recomputed from chain reads: among the accepted assets
    whose price is on its peg and whose vault's free cash covers `shares` at its last NAV (a
    value above zero), the
    lowest SettlementAssets rank (ties: the lower vault index). Returns (the asset or "", the
    candidates' reads)."""
    assets = desk.settlementAssets()

    registry = project_at("SettlementAssets", assets)
    order = list(vaults)
    candidates = {}
    for asset in accepted:
        v = vaults[asset]
        config, _ = registry.configOf(tokens[asset])
        candidates[asset] = {
            "rank": int(config[2]),
            "free_cash": int(v.freeCash()),
            "needed": int(v.convertToAssets(shares)),
            "depegged": bool(registry.pegOf(tokens[asset])[2]),
        }
    ok = [
        a for a, c in candidates.items() if not c["depegged"] and 0 < c["needed"] <= c["free_cash"]
    ]
    best = min(ok, key=lambda a: (candidates[a]["rank"], order.index(a)), default="")
    return best, candidates


def _run(act, share, desk, vaults, tokens, wallets, principal, result: LifecycleResult) -> None:
    """Lehman week: two institutions ask to redeem (see `INVESTORS`) through the desk, each with
    its accepted set (`ACCEPTS`); the rule each routing should follow is read from the chain
    just before it, and the routing from the desk's `RedeemRouted` event."""
    order = list(vaults)
    for name, _, _, _, run_shares in INVESTORS:
        if not run_shares:
            continue
        wallet, shares = wallets[name], run_shares * WAD
        accepted = list(ACCEPTS[name])
        mask = sum(1 << order.index(a) for a in accepted)
        expected, candidates = _expected_route(desk, vaults, tokens, shares, accepted)
        if expected:  # the vault the rule names takes the shares into its escrow
            target = vaults[expected]
            share.approve(target, shares, sender=wallet)
            if not target.isOperator(wallet, desk):
                target.setOperator(desk, True, sender=wallet)
        receipt = act(
            name,
            f"request to redeem {run_shares:,} shares in Lehman week through the desk, "
            f"accepting {' or '.join(accepted)}",
            lambda w=wallet, s=shares, m=mask: desk.requestRedeem(s, w, m, sender=w),
        )
        if receipt:
            [routed] = receipt.decode_logs(desk.RedeemRouted)
            asset = next(a for a, v in vaults.items() if v.address == routed.vault)
            result.run_requested[name] = shares
            principal[name] -= shares
            result.routings.append(
                Routing(name, shares, accepted, mask, candidates, expected, asset, routed.vault)
            )


def _flows(vaults, tokens, investors, invested, returned, result) -> dict[str, AssetFlows]:
    """Each asset's flows: the act's amounts against its vault's events (chain reads)."""
    from ape import chain

    end = chain.blocks.head.number + 1
    flows = {}
    for asset, v in vaults.items():
        struck = list(v.PeriodStruck.range(0, end))
        withdrawn = list(v.Withdraw.range(0, end))
        kind, risk_weight, rank, _ = SETTLEMENT_ASSETS[asset][1]
        flows[asset] = AssetFlows(
            token=tokens[asset].address,
            vault=v.address,
            asset_type=kind,
            risk_weight_bps=risk_weight,
            rank=rank,
            subscribed=sum(a * USDC for _, _, s, a, _ in investors if s == asset),
            received=sum(int(e.depositAssets) for e in struck),
            redeemed_shares=sum(int(e.fulfilledShares) for e in struck),
            paid=sum(int(e.assets) for e in withdrawn),
            paid_to_investors=sum(r.paid.get(asset, 0) for r in result.routings),
            invested=invested[asset],
            returned=returned[asset],
        )
    return flows


def _settle_income(act, share, vaults, wallets, principal, keeper, rates, shift, result, manager):
    """The end of the act: every holder (the vaults the run's requests were routed to too: the
    escrow earned on the shares it held) claims its dividends; the declarations, what was paid and
    the dust, from chain reads and the keeper store."""
    from ape import chain

    from keepers.lifecycle import income_declarations

    for name, wallet in wallets.items():
        act(
            name,
            "claim its dividends (settleIncome)",
            lambda w=wallet: share.settleIncome(w, "0x" + "00" * 20, 2**256 - 1, sender=w),
        )
    escrows = {f"the {r.routed} vault (escrow)": vaults[r.routed] for r in result.routings}
    for name, vault in escrows.items():
        act(
            "fund manager",
            f"settle the dividends of {name} (on the escrowed shares: the escrow earns them)",
            lambda v=vault: share.settleIncome(v, "0x" + "00" * 20, 2**256 - 1, sender=manager),
        )
    rows = {r.number: r for r in income_declarations(keeper.db, keeper.chain_id, share.address)}
    events = list(share.IncomeDeclared.range(0, chain.blocks.head.number + 1))
    growth = Decimal(1)
    for e in events:
        number, row = int(e.number), rows.get(int(e.number))
        at = int(chain.provider.get_block(e.block_number).timestamp)
        result.declarations.append(
            Declaration(
                number=number,
                history_date=_history_date(at, shift),
                at=at,
                shares=int(e.shares),
                supply_before=int(e.supplyBefore),
                start=row.start if row else 0,
                end=row.end if row else 0,
                status=row.status if row else "not in the store",
            )
        )
        growth *= 1 + Decimal(int(e.shares)) / int(e.supplyBefore)
    # The dividends in each strike's index: declared after the previous strike, before this one
    # (a cut-off's own declaration follows its strike in the keeper's cycle).
    for previous, strike in zip(result.strikes, result.strikes[1:]):
        strike.dividend_shares = sum(
            d.shares for d in result.declarations if previous.at < d.at < strike.at
        )
    holders = {**wallets, **escrows}
    result.holders = {name: str(getattr(w, "address", w)) for name, w in holders.items()}
    # Every escrowed share was burned, and with them, at each strike, the income the escrow earned
    # (`EscrowIncomeBurned`): paid to the vault, then burned, counted in its paid shares.
    head = chain.blocks.head.number + 1
    principal = {
        **principal,
        **{
            name: -sum(int(e.shares) for e in escrow.EscrowIncomeBurned.range(0, head))
            for name, escrow in escrows.items()
        },
    }
    paid_balances = {name: int(share.incomeAccountOf(w)[0]) for name, w in holders.items()}
    supply = int(share.totalSupply())
    declarations = len(events)
    first = result.declarations[0] if result.declarations else None
    last = result.declarations[-1] if result.declarations else None
    result.income = Income(
        declared_shares=sum(int(e.shares) for e in events),
        paid_shares={n: paid_balances[n] - principal[n] for n in holders},
        unpaid_shares=supply - sum(paid_balances.values()),
        dust_bound=(len(holders) + 1) * declarations,
        total_supply=supply,
        index=int(share.incomeIndex()[0]),
        growth=str(growth),
        rf_growth=str(rates.growth(first.start, last.end) if first and last else Decimal(1)),
        weekdays=_weekdays(
            dt.date.fromisoformat(result.strikes[0].history_date) + dt.timedelta(days=1),
            dt.date.fromisoformat(result.strikes[-1].history_date),
        )
        if result.strikes
        else [],
    )
