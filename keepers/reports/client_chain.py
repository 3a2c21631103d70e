"""The client report's chain reads. A client's portfolio is its share of a PortfolioVault (the
investor's vault shares over the supply, or the whole vault when no investor is named) — every
position at the OracleRouter's price —, and the shares it holds of the lifecycle funds the
instrument registry lists (at the fund's last struck NAV), with the fees it was charged
(`FeeCharged`), the fund's management fee rate and the income its share class paid it. The return
history is the assets' daily price history (arch.data, `keepers.vault.history`) weighted by the
current holdings — money-market and T-bill fund shares follow the T-bill series —, as the report
states. Everything read becomes plain data (`VaultRead`, `FundRead`) before
`keepers.reports.client` computes and renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from keepers.core.artifacts import project_at
from keepers.core.errors import QuanteraError
from keepers.core.tokens import erc20_at
from keepers.core.units import PRICE_STATUS, USABLE_PRICE_STATUS, WAD
from keepers.reports.client import ClientReport, FeeIncome, Holding, ReportError, client_report
from keepers.reports.pdf import DataStamp

FEE_KINDS = ("subscription", "redemption", "instant subscription", "instant redemption")
# InstrumentKind (keepers.lifecycle) -> the price series of keepers.vault its shares follow.
FUND_SERIES = {"money_market_fund": "tbill", "treasury_bill": "tbill"}
DEFAULT_VAULT = "PortfolioVault"
REGISTRY = "InstrumentRegistry"
DEFAULT_BENCHMARK = "QSPX=60,QTF=40"  # a 60/40 of the S&P 500 fund and T-bills
DEFAULT_FROM, DEFAULT_TO = "2014-01-01", "2018-12-31"  # arch.data's last five years
SOURCE = (
    "Hypothetical, not the portfolio's realised NAV: the current holdings' weights applied to the "
    "daily price history of the series each asset follows (arch.data via keepers.vault: S&P 500, "
    "Nasdaq and WTI closes; a T-bill fund accruing French's risk-free rate, which money-market "
    "and T-bill fund shares follow too), rebalanced monthly."
)


@dataclass(frozen=True)
class PositionRead:
    """One listed asset of the vault: its balance (base units) and its router price (18 dp)."""

    address: str
    symbol: str
    decimals: int
    balance: int
    price18: int
    status: int


@dataclass(frozen=True)
class VaultRead:
    """A vault's positions, its share supply and the client's shares (None: the whole vault)."""

    vault: str
    name: str
    positions: tuple[PositionRead, ...]
    share_supply: int
    share_decimals: int
    client_shares: int | None
    dealing_fee_bps: int

    @property
    def client_fraction(self) -> float:
        if self.client_shares is None:
            return 1.0
        return self.client_shares / self.share_supply if self.share_supply else 0.0


@dataclass(frozen=True)
class FundRead:
    """The client's shares of one fund at its last struck NAV (18 dp, in the settlement
    currency), the fees it was charged (FeeKind name -> settlement asset base units), the
    management fee rate, and the income its share class paid it (paid, pending shares; None:
    the share class pays none)."""

    instrument_id: int
    kind: str
    symbol: str
    shares: int
    share_decimals: int
    nav18: int
    asset_symbol: str
    asset_decimals: int
    fees_paid: tuple[tuple[str, int, int], ...]  # (kind, fee, charges)
    management_bps: int
    income: tuple[int, int] | None


def parse_benchmark(text: str) -> dict[str, float]:
    """'QSPX=60,QTF=40' (percent of each asset) as fractions summing to 1."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        symbol, _, value = part.partition("=")
        try:
            weights[symbol.strip()] = float(value) / 100.0
        except ValueError:
            raise ReportError(f"benchmark: {part!r} is not SYMBOL=PERCENT") from None
    total = sum(weights.values())
    if not weights or abs(total - 1.0) > 1e-9 or min(weights.values()) < 0:
        raise ReportError(f"benchmark: {text!r} must be SYMBOL=PERCENT,... summing to 100")
    return weights


def vault_holdings(read: VaultRead, classes: Mapping[str, str]) -> list[Holding]:
    """The client's part of each position at its router price; `classes`: symbol -> asset class
    (an asset the portfolio definition does not name is 'other')."""
    rows = []
    for p in read.positions:
        quantity = p.balance / 10**p.decimals * read.client_fraction
        if p.status >= USABLE_PRICE_STATUS and quantity > 0:
            raise ReportError(f"no price for {p.symbol} ({p.address}): {PRICE_STATUS[p.status]}")
        rows.append(Holding(p.symbol, classes.get(p.symbol, "other"), quantity, p.price18 / WAD))
    return rows


def fund_holdings(funds: list[FundRead]) -> list[Holding]:
    return [
        Holding(f.symbol, f.kind, f.shares / 10**f.share_decimals, f.nav18 / WAD) for f in funds
    ]


def fees_and_income(read: VaultRead | None, funds: list[FundRead]) -> list[FeeIncome]:
    lines = []
    if read is not None:
        detail = "on every deposit and redemption, kept by the fund for the remaining holders"
        lines.append(FeeIncome(f"{read.name}: dealing fee", read.dealing_fee_bps, "bps", detail))
    for f in funds:
        for kind, fee, charges in f.fees_paid:
            detail = f"{charges} charge{'s' if charges != 1 else ''}"
            amount = fee / 10**f.asset_decimals
            lines.append(FeeIncome(f"{f.symbol}: {kind} fees paid", amount, f.asset_symbol, detail))
        detail = "a year of the fund's value, accrued in new shares owed to the fee recipient"
        lines.append(FeeIncome(f"{f.symbol}: management fee", f.management_bps, "bps", detail))
        if f.income is None:
            continue
        for label, shares in zip(("income paid", "income pending"), f.income):
            units = shares / 10**f.share_decimals
            worth = f"worth {units * f.nav18 / WAD:,.2f} at the last NAV"
            lines.append(FeeIncome(f"{f.symbol}: {label}", units, f"{f.symbol} shares", worth))
    return lines


def daily_returns(series: Mapping[str, str], start: str, end: str) -> pd.DataFrame:
    """Daily returns in [start, end] of each symbol's price series (`series`: symbol -> one of
    keepers.vault's series), from keepers.vault's history."""
    from keepers.vault import history, load_portfolio

    portfolio = load_portfolio()
    prices = history(portfolio).loc[start:end]
    if len(prices) < 3:
        raise ReportError(f"the price history has {len(prices)} days in {start} to {end}")
    columns = {a.series: prices[a.symbol] for a in portfolio.assets}
    table = pd.DataFrame({symbol: columns[name] for symbol, name in series.items()})
    return table.pct_change().iloc[1:]


def read_vault(address: str, investor: str | None) -> VaultRead:
    """The vault's positions, prices and shares on the connected network, at the head."""

    vault = project_at("PortfolioVault", address)
    router = project_at("OracleRouter", vault.oracle())
    assets, balances = vault.positions()
    positions = []
    for asset, balance in zip(assets, balances):
        token = erc20_at(asset)
        status, price18, _ = router.priceOf(asset)
        symbol, decimals = token.symbol(), int(token.decimals())
        positions.append(
            PositionRead(str(asset), symbol, decimals, int(balance), int(price18), int(status))
        )
    return VaultRead(
        vault=str(vault.address),
        name=vault.name(),
        positions=tuple(positions),
        share_supply=int(vault.totalSupply()),
        share_decimals=int(vault.decimals()),
        client_shares=None if investor is None else int(vault.balanceOf(investor)),
        dealing_fee_bps=int(vault.dealingFeeBps()),
    )


def read_funds(registry: Any, investor: str, start: int, stop: int) -> list[FundRead]:
    """The funds of the registry `investor` holds shares of, with its fees in blocks
    [start, stop] and its income (at the head)."""
    from ape import project
    from ape.exceptions import ApeException

    from keepers.core.logs import fetch_logs
    from keepers.lifecycle import InstrumentKind, discover_funds

    reads = []
    for fund in discover_funds(registry):
        shares = int(fund.share.balanceOf(investor))
        if shares == 0:
            continue
        vaults = {v.address.lower() for v, _ in fund.parts()}
        schedule = project_at("FeeSchedule", fund.vault.feeSchedule())
        paid: dict[str, list[int]] = {}
        for log in fetch_logs(schedule.address, [schedule.FeeCharged.abi], start, stop):
            args = log.event_arguments
            mine = str(args["investor"]).lower() == investor.lower()
            if mine and str(args["vault"]).lower() in vaults:
                total = paid.setdefault(FEE_KINDS[int(args["kind"])], [0, 0])
                total[0] += int(args["fee"])
                total[1] += 1
        try:
            paid_shares, pending, _ = project.IncomeShareToken.at(
                fund.share.address
            ).incomeAccountOf(investor)
            income: tuple[int, int] | None = (int(paid_shares), int(pending))
        except (ApeException, ValueError):  # a plain SecurityToken: no income accounts
            income = None
        kind = InstrumentKind(int(registry.termsOf(fund.instrument_id).kind))
        reads.append(
            FundRead(
                instrument_id=fund.instrument_id,
                kind=kind.name.lower(),
                symbol=fund.share.symbol(),
                shares=shares,
                share_decimals=int(fund.share.decimals()),
                nav18=int(registry.latestNav(fund.instrument_id)[0]),
                asset_symbol=fund.asset.symbol(),
                asset_decimals=int(fund.asset.decimals()),
                fees_paid=tuple((k, v[0], v[1]) for k, v in sorted(paid.items())),
                management_bps=int(schedule.accrualTermsOf(fund.vault.address)[0]),
                income=income,
            )
        )
    return reads


def client_report_at_head(
    network: str,
    record: Any,
    vault_ref: str | None,
    investor: str | None,
    benchmark: str = DEFAULT_BENCHMARK,
    start: str = DEFAULT_FROM,
    end: str = DEFAULT_TO,
) -> ClientReport:
    """The client report of `investor` (its share of the vault and its fund shares; None: the
    whole vault) from the network ape is connected to (`record`: its deployment record; `network`
    names it on the report) at its head, with the return history of [start, end]."""
    from ape import chain

    from keepers.vault import load_portfolio

    weights = parse_benchmark(benchmark)
    head = chain.blocks.head
    block, timestamp = int(head.number), int(head.timestamp)
    address = vault_ref if vault_ref and vault_ref.startswith("0x") else None
    if address is None and (vault_ref or DEFAULT_VAULT) in record.contracts:
        address = record.address_of(vault_ref or DEFAULT_VAULT)
    elif address is None and vault_ref is not None:
        raise QuanteraError(f"no contract {vault_ref!r} in the deployment record")
    read = None if address is None else read_vault(address, investor)
    funds = []
    if investor is not None and REGISTRY in record.contracts:
        from keepers.lifecycle import registry_of

        funds = read_funds(registry_of(record), investor, record.block or 0, block)
    if read is not None and read.client_shares == 0:
        read = None  # an investor outside the vault: its funds only
    if read is None and not funds:
        where = "the vault" if address is None else address
        raise QuanteraError(f"{investor or 'the client'} holds no shares of {where} nor of a fund")

    portfolio = load_portfolio()
    classes = {a.symbol: a.asset_class for a in portfolio.assets}
    series = {a.symbol: a.series for a in portfolio.assets}
    held = vault_holdings(read, classes) if read is not None else []
    held += fund_holdings(funds)
    symbols = {h.symbol for h in held}
    for symbol in weights:  # a benchmark asset the client does not hold: weight 0 in the analysis
        if symbol not in symbols and symbol in classes:
            held.append(Holding(symbol, classes[symbol], 0.0, 0.0))
    wanted = {h.symbol: series.get(h.symbol) for h in held}
    wanted.update({f.symbol: FUND_SERIES.get(f.kind) for f in funds})
    missing = sorted(s for s, name in wanted.items() if name is None)
    if missing:
        raise ReportError(f"no price history for {', '.join(missing)}")
    returns = daily_returns(wanted, start, end)

    client = investor or f"{read.name} (the whole vault)"  # type: ignore[union-attr]
    parts = []
    if read is not None:
        parts.append(f"{read.name} {read.vault}")
        if read.client_shares is not None:
            units = read.client_shares / 10**read.share_decimals
            parts[-1] += f" ({units:,.4f} shares, {read.client_fraction:.4%} of the vault)"
    parts += [f"fund {f.symbol} (instrument {f.instrument_id}, {f.kind})" for f in funds]
    notes = tuple(
        f"{f.symbol}: the fund has struck no NAV yet; its shares are valued at 0."
        for f in funds
        if f.nav18 == 0
    )
    return client_report(
        client,
        "; ".join(parts),
        DataStamp(network, block, timestamp),
        held,
        returns,
        weights,
        SOURCE,
        fees_and_income(read, funds),
        notes,
    )
