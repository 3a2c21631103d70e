"""The funds of a deployment as the NAV agent keeper and `quantera fund` see them: found in the
instrument registry (an instrument whose fund is a FundVault dealing in it, or a FundDesk over one
FundVault per settlement asset), with their state, holdings and investors' positions read from the
chain. Reads only: nothing here sends.

The readers take the command's view (keepers.core.views: ape's provider for the keepers, a node
read directly for `quantera`'s read commands); without one, ape's connected provider."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import function_signature_to_4byte_selector

from keepers.core.artifacts import project_at
from keepers.core.errors import QuanteraError
from keepers.core.views import ChainView, view_or_ape
from keepers.lifecycle.discovery import (
    DISCOVERY_BLOCKS,
    MAX_STORE_FUNDS,
    InstrumentParts,
    discover_instruments,
    known_registries,
    recorded_registries,
)
from keepers.lifecycle.fees import FeesDue
from keepers.lifecycle.instruments import InstrumentStatus, InstrumentTerms
from keepers.lifecycle.nav import (
    CLAIMED,
    FEE_HELD,
    INVESTED,
    RETURNED,
    STRUCK,
    Flow,
    Holdings,
    VaultHoldings,
)

INCOME_INDEX_SELECTOR = function_signature_to_4byte_selector("incomeIndex()")
REGISTRY = "InstrumentRegistry"
# The FundVault events the NAV ledger keeps (keepers/lifecycle/nav.py), by flow kind.
FLOW_EVENTS = {
    "CashInvested": INVESTED,
    "CashReturned": RETURNED,
    "PeriodStruck": STRUCK,
    "Deposit": CLAIMED,
    "SubscriptionFeeHeld": FEE_HELD,
}
# An investor's history: the events naming it as controller (the argument that does).
POSITION_EVENTS = {
    "DepositRequest": "controller",
    "RedeemRequest": "controller",
    "DepositRequestCancelled": "controller",
    "RedeemRequestCancelled": "controller",
    "Deposit": "sender",
    "Withdraw": "owner",
}


@dataclass
class Fund:
    """A FundVault and what it deals in: the registry's instrument, the share token (a
    SecurityToken), the settlement asset (an ERC-20), the router pricing both. A share class in
    several assets is a FundDesk (`desk`) over `members`, its (vault, asset) pairs in the desk's
    order; `vault` and `asset` are then its first (the vaults share their cut-offs: the first is
    the period clock), and the desk is what is struck."""

    instrument_id: int
    registry: Any
    vault: Any
    share: Any
    asset: Any
    router: Any
    desk: Any = None
    members: tuple = ()

    @property
    def address(self) -> str:
        """The fund's address: the desk's, else the vault's (the keeper store's key)."""
        return (self.desk or self.vault).address

    @property
    def strike_target(self) -> Any:
        """What the NAV agent strikes: the desk (every due vault at one NAV), else the vault."""
        return self.desk or self.vault

    def parts(self) -> list[tuple[Any, Any]]:
        """Every (vault, asset) of the fund."""
        return list(self.members) or [(self.vault, self.asset)]

    def feed(self) -> Any:
        """The share's primary price feed on the router (a ReporterPriceFeed on local chains)."""
        from ape import project

        return project.ReporterPriceFeed.at(self.router.feedOf(self.share.address)[0])


def registry_of(record) -> Any:

    return project_at("InstrumentRegistry", record.address_of(REGISTRY))


def fund_of(registry, instrument_id: int, view: ChainView | None = None) -> Fund | None:
    """The instrument's fund, if the registry names one that deals in it (the discovery rule of
    keepers.lifecycle.discovery, the console's too)."""
    found = [f for f in _funds(registry, instrument_id, view) if f.instrument_id == instrument_id]
    return found[0] if found else None


def discover_funds(registry, view: ChainView | None = None) -> list[Fund]:
    """Every instrument's fund, found by the discovery rule (keepers.lifecycle.discovery) over
    ape's provider: a FundVault whose NAV source names the registry and the instrument, or a
    FundDesk that does, with the vaults it lists whose own NAV source names the desk."""
    return _funds(registry, int(registry.instrumentCount()), view)


def _funds(registry, max_instruments: int, view: ChainView | None = None) -> list[Fund]:
    """The funds of the registry's instruments 1 .. max_instruments."""
    view = view_or_ape(view)
    parts = discover_instruments(view.reads, view.at, [registry.address], max_instruments)
    found = [p for p in parts if p.fund is not None]
    if not found:
        return []
    router = view.at("OracleRouter", registry.oracle())
    return [_fund(registry, router, p, view) for p in found]


def _fund(registry, router, parts: InstrumentParts, view: ChainView) -> Fund:
    """The Fund of an instrument discovery found a fund for (its contracts as the view's)."""
    if parts.desk is None:
        vault = view.at("FundVault", parts.fund)
        return Fund(
            parts.id,
            registry,
            vault,
            view.at("SecurityToken", vault.share()),
            view.erc20(vault.asset()),
            router,
        )
    desk = view.at("FundDesk", parts.desk)
    vaults = [view.at("FundVault", address) for address in parts.vaults]
    members = tuple((vault, view.erc20(vault.asset())) for vault in vaults)
    return Fund(
        parts.id,
        registry,
        members[0][0],
        view.at("SecurityToken", desk.share()),
        members[0][1],
        router,
        desk=desk,
        members=members,
    )


class FundList:
    """A keeper's view of the deployment's funds (`discover_funds`), read again when the
    registry's instrument count changes and every DISCOVERY_BLOCKS blocks."""

    def __init__(self, registry):
        self.registry = registry
        self._funds: list[Fund] = []
        self._count = -1
        self._found_at = -(10**9)

    def at(self, head: int) -> list[Fund]:
        count = int(self.registry.instrumentCount())
        if count != self._count or head >= self._found_at + DISCOVERY_BLOCKS:
            self._funds, self._count, self._found_at = discover_funds(self.registry), count, head
        return self._funds


def registries_of(record, engine: Any = None, view: ChainView | None = None) -> list[Any]:
    """Every instrument registry an operator sees on this deployment, as ape contracts: the
    record's, then those behind the funds its keepers handled (`engine`, the keeper store, when
    given), by `known_registries`, the console's rule: so `quantera instrument|fund` reach every
    fund and instrument the console shows, a fund stack built beside the record (the demo's
    lifecycle act) included. Raises QuanteraError when there is none."""
    from keepers.lifecycle.store import kept_funds

    view = view_or_ape(view)
    recorded = recorded_registries(record.contracts)
    funds = [] if engine is None else kept_funds(engine, view.chain_id, MAX_STORE_FUNDS)
    found = known_registries(view.reads, view.at, recorded, funds)
    if not found:
        raise QuanteraError(
            "no instrument registry: the deployment record names none and its keepers "
            "handled no fund"
        )
    return [view.at(REGISTRY, address) for address in found]


def locate_instrument(registries: list[Any], reference: str) -> tuple[Any, int]:
    """(registry, id) of the instrument `reference` names: an ISIN (12 letters and digits), or an
    id, which must then be one registry's only (ids restart at 1 in each registry)."""
    text = reference.strip().upper()
    if text.isdigit():
        number = int(text)
        holding = [r for r in registries if 1 <= number <= int(r.instrumentCount())]
        if len(holding) > 1:
            raise QuanteraError(
                f"instrument {number} is in {len(holding)} registries "
                f"({', '.join(r.address for r in holding)}): name it by its ISIN"
            )
        if not holding:
            raise QuanteraError(f"no instrument {number}")
        return holding[0], number
    if not re.fullmatch(r"[A-Z0-9]{12}", text):
        raise QuanteraError(
            f"{reference.strip()!r} is neither an instrument id nor an ISIN (12 letters and digits)"
        )
    key = text.encode("ascii")
    hits = [(r, int(r.idOfIsin(key))) for r in registries]
    hits = [(r, number) for r, number in hits if number != 0]
    if len(hits) > 1:
        raise QuanteraError(
            f"ISIN {text} is registered in {len(hits)} registries "
            f"({', '.join(r.address for r, _ in hits)})"
        )
    if not hits:
        raise QuanteraError(f"no instrument with ISIN {text}")
    return hits[0]


def resolve_fund(
    registries: list[Any], reference: str | None, view: ChainView | None = None
) -> Fund:
    """The fund named by `reference` in any of `registries`: an instrument id, an ISIN or the
    fund's address (a desk's or a vault's); without one, the deployment's only fund."""
    if reference is None:
        funds = [f for registry in registries for f in discover_funds(registry, view)]
        if len(funds) != 1:
            listed = ", ".join(f"{_label(f)}: {f.address}" for f in funds) or "none"
            raise QuanteraError(f"name the fund with --fund (funds: {listed})")
        return funds[0]
    text = reference.strip()
    if text.startswith("0x") and len(text) == 42:
        for registry in registries:
            for fund in discover_funds(registry, view):
                if text.lower() in {fund.address.lower(), fund.vault.address.lower()}:
                    return fund
        raise QuanteraError(f"{text} is not the fund of any instrument")
    registry, instrument_id = locate_instrument(registries, text)
    fund = fund_of(registry, instrument_id, view)
    if fund is None:
        raise QuanteraError(f"instrument {instrument_id} has no FundVault dealing in it")
    return fund


def _label(fund: Fund) -> str:
    """How an operator names a fund: its instrument's ISIN (ids repeat across registries)."""
    return InstrumentTerms.from_chain(fund.registry.termsOf(fund.instrument_id)).isin


def income_index(share: Any) -> tuple[int, int, int] | None:
    """The share's `incomeIndex()` (index, declarations, last declaration's time), or None when it
    pays no income (a plain SecurityToken: probed with a bare eth_call, so nothing is traced)."""
    from ape import chain
    from ape.exceptions import ApeException

    call = {"to": share.address, "data": "0x" + INCOME_INDEX_SELECTOR.hex()}
    try:
        answer = chain.provider.make_request("eth_call", [call, "latest"])
    except (ApeException, ValueError):  # reverted: no such function
        return None
    raw = bytes.fromhex(answer[2:]) if isinstance(answer, str) else bytes(answer or b"")
    if len(raw) != 96:
        return None
    return tuple(int.from_bytes(raw[i : i + 32], "big") for i in range(0, 96, 32))


def declaration_count(share: Any) -> int:
    """The share's income declarations so far (0 for a share without income): what a NAV read
    with the supply is bound to at the strike (`strike(declarations)`, SEC-183)."""
    index = income_index(share)
    return 0 if index is None else index[1]


def fee_schedule(fund: Fund) -> Any:

    return project_at("FeeSchedule", fund.vault.feeSchedule())


#: FeeMath.MIN_BILLED: a management accrual mints nothing for less time since the vault's clock.
MIN_BILLED_SECONDS = 600


def fees_due(fund: Fund, schedule: Any, at: int, vault: Any = None) -> FeesDue:
    """The vault's fees (`vault`: one of a desk fund's; default the fund's) as `collectFees` would
    pay them after `accrueFees` at time `at`. The management fee's base is the vault's (FundVault
    `_accrued`): the shares outstanding, i.e. the supply, the shares owed, the struck deposit
    shares not yet claimed (SEC-180) and, in a desk, the other vaults' owed and unclaimed shares
    (`unmintedSharesBesides`, SEC-181)."""
    vault = vault or fund.vault
    owed, assets, accrued_at = (int(v) for v in vault.heldFees())
    elapsed = max(at - accrued_at, 0)
    accruing = 0
    # Nothing is minted for less than FeeMath.MIN_BILLED since the clock (SEC-232).
    if elapsed >= MIN_BILLED_SECONDS:
        base = int(fund.share.totalSupply()) + owed + int(vault.unclaimedShares())
        if fund.desk is not None:
            base += int(fund.desk.unmintedSharesBesides(fund.instrument_id, vault.address))
        accruing = int(schedule.managementFeeShares(vault.address, base, elapsed))
    return FeesDue(at, owed, assets, accruing, accrued_at, str(schedule.recipientOf(vault)))


def escrow_income(share: Any, vault: Any) -> int:
    """The shares `vault` holds beyond the redemptions it escrows (open period and late): with an
    IncomeShareToken, the income declared on escrowed shares. Owned by no investor, the strike
    burns them (IFundVault `EscrowIncomeBurned`), so the NAV does not count them."""
    dealing = vault.dealing()
    escrowed = int(dealing[3]) + int(dealing[5])
    return max(int(share.balanceOf(vault.address)) - escrowed, 0)


def holdings(fund: Fund, valued_at: int) -> tuple[Holdings, dict]:
    """The vault's holdings now (`valued_at`: the head's time) and what they were read from."""
    status, price18, updated_at = fund.router.priceOf(fund.asset.address)
    nav18, _, _ = fund.registry.latestNav(fund.instrument_id)
    due = fees_due(fund, fee_schedule(fund), valued_at)
    read = Holdings(
        valued_at=valued_at,
        free_cash=int(fund.vault.freeCash()),
        asset_price18=int(price18),
        asset_decimals=int(fund.asset.decimals()),
        share_supply=int(fund.share.totalSupply()),
        share_decimals=int(fund.share.decimals()),
        previous_nav18=int(nav18),
        fee_shares=due.shares,
        escrow_income=escrow_income(fund.share, fund.vault),
    )
    return read, {
        "asset_price_status": int(status),
        "asset_price_updated_at": int(updated_at),
        "fee_shares_owed": due.owed_shares,
        "fee_shares_accruing": due.accruing_shares,
    }


def vault_holdings(
    fund: Fund, flows: dict[str, list[Flow]], valued_at: int
) -> tuple[list[VaultHoldings], dict[str, dict]]:
    """Each vault's free cash, its asset's router price and its fee shares owed and accruing at
    `valued_at`, with its flows (`flows`: vault address -> NAV-ledger flows), and what they were
    read as (vault address -> asset, price status and update time, fee shares)."""
    schedule = fee_schedule(fund)
    parts, read = [], {}
    for vault, asset in fund.parts():
        status, price18, updated_at = fund.router.priceOf(asset.address)
        due = fees_due(fund, schedule, valued_at, vault)
        parts.append(
            VaultHoldings(
                int(vault.freeCash()),
                int(price18),
                int(asset.decimals()),
                tuple(flows.get(vault.address, ())),
                due.shares,
                escrow_income(fund.share, vault),
            )
        )
        read[vault.address] = {
            "asset": asset.address,
            "asset_price_status": int(status),
            "asset_price_updated_at": int(updated_at),
            "fee_shares_owed": due.owed_shares,
            "fee_shares_accruing": due.accruing_shares,
        }
    return parts, read


def fund_status(fund: Fund) -> dict:
    """The open period, its cut-off and queue, the gate, the reserve, the free cash, and the
    instrument's last NAV; a fund in several settlement assets adds each vault's (`vaults`; the
    top level is then its first vault's, the desk's address as `vault`)."""
    nav18, nav_block, nav_time = fund.registry.latestNav(fund.instrument_id)
    status = InstrumentStatus(int(fund.registry.statusOf(fund.instrument_id)))
    data = {
        "instrument_id": fund.instrument_id,
        "vault": fund.address,
        "share": fund.share.address,
        "asset": fund.asset.address,
        "status": status.name.lower(),
        **_vault_status(fund.vault),
        "share_supply": str(int(fund.share.totalSupply())),
        "nav18": str(int(nav18)),
        "nav_block": int(nav_block),
        "nav_time": int(nav_time),
    }
    if fund.desk is not None:
        data["vaults"] = [
            {"vault": v.address, "asset": a.address, **_vault_status(v)} for v, a in fund.parts()
        ]
    return data


def pending_requests(
    fund: Any, decimals_of: Callable[[str], int] | None = None
) -> list[tuple[str, float, float]]:
    """(vault, pending deposit assets, pending redeem shares) of each vault of the fund in its open
    period, in whole units (one `dealing()` read a vault; decimals from `decimals_of`, by default
    the keepers' per-chain cache, `keepers.core.tokens.token_decimals`)."""
    if decimals_of is None:
        from keepers.core.tokens import token_decimals as decimals_of
    rows = []
    for vault, asset in fund.parts():
        _, _, deposits, redemptions, _, _ = vault.dealing()
        assets = int(deposits) / 10 ** decimals_of(asset.address)
        shares = int(redemptions) / 10 ** decimals_of(fund.share.address)
        rows.append((vault.address, assets, shares))
    return rows


def _vault_status(vault: Any) -> dict:
    period, cutoff, deposits, redemptions, late_deposits, late_redemptions = vault.dealing()
    return {
        "period": int(period),
        "cutoff": int(cutoff),
        "pending_deposit_assets": str(int(deposits)),
        "pending_redeem_shares": str(int(redemptions)),
        "late_deposit_assets": str(int(late_deposits)),
        "late_redeem_shares": str(int(late_redemptions)),
        "gate_bps": int(vault.gateBps()),
        "dealing_interval": int(vault.dealingInterval()),
        "reserved_assets": str(int(vault.reservedAssets())),
        "free_cash": str(int(vault.freeCash())),
        "custodian": str(vault.custodian()),
    }


def position(fund: Fund, account: str, from_block: int, to_block: int) -> dict:
    """An investor's pending and claimable requests, its shares, and its history from the vault's
    events in blocks [from_block, to_block]; a fund in several settlement assets adds each
    vault's requests (`vaults`) and its history spans them all (each entry names its vault)."""
    from keepers.core.logs import fetch_logs

    desk = fund.desk is not None
    history = []
    for vault, _ in fund.parts():
        abis = [getattr(vault, name).abi for name in POSITION_EVENTS]
        for log in fetch_logs(vault.address, abis, from_block, to_block):
            if str(log.event_arguments[POSITION_EVENTS[log.event_name]]).lower() != account.lower():
                continue
            history.append(
                {
                    "event": log.event_name,
                    "block": int(log.block_number),
                    "tx": _hex(log.transaction_hash),
                    **({"vault": vault.address} if desk else {}),
                    **{k: str(v) for k, v in log.event_arguments.items()},
                }
            )
    return {**holding(fund, account), "history": sorted(history, key=lambda h: h["block"])}


def holding(fund: Fund, account: str) -> dict:
    """An investor's pending and claimable requests and its shares, from views only (no events:
    what `quantera fund position` shows); a fund in several settlement assets adds each vault's
    requests (`vaults`)."""
    data = {
        "account": account,
        "vault": fund.vault.address,
        **_vault_position(fund.vault, account),
        "shares": str(int(fund.share.balanceOf(account))),
    }
    if fund.desk is not None:
        data["vaults"] = [
            {"vault": v.address, "asset": a.address, **_vault_position(v, account)}
            for v, a in fund.parts()
        ]
    return data


def booked_period(vault: Any, block_number: int, timestamp: int) -> int:
    """The dealing period FundVault books a request mined in block `block_number` at `timestamp`
    for, by its rule (`_requestPeriod`): the open period, or the next one once the open period's
    cut-off has come (timestamp >= cut-off), the open period read as the block found it."""
    period, cutoff = (int(x) for x in vault.dealing(block_id=block_number - 1)[:2])
    return period + 1 if timestamp >= cutoff else period


def _vault_position(vault: Any, account: str) -> dict:
    return {
        "pending_deposit_assets": str(int(vault.pendingDepositRequest(0, account))),
        "claimable_deposit_assets": str(int(vault.claimableDepositRequest(0, account))),
        "claimable_deposit_shares": str(int(vault.maxMint(account))),
        "pending_redeem_shares": str(int(vault.pendingRedeemRequest(0, account))),
        "claimable_redeem_shares": str(int(vault.claimableRedeemRequest(0, account))),
        "claimable_redeem_assets": str(int(vault.maxWithdraw(account))),
    }


def coupon_fixings(servicer: Any, instrument_id: int, start: int, stop: int) -> dict[int, int]:
    """The floating coupons `servicer` (a BondServicer) fixed for `instrument_id` in blocks
    [start, stop]: coupon number -> the rate of its `CouponFixed` (WAD). Each number is fixed
    once: at its recording, or the last one at `startRedemption` after a call (a refused fixing
    reverts, emitting nothing)."""
    from keepers.core.logs import fetch_logs

    fixings = {}
    for log in fetch_logs(servicer.address, [servicer.CouponFixed.abi], start, stop):
        args = log.event_arguments
        if int(args["instrumentId"]) == instrument_id:
            fixings[int(args["number"])] = int(args["rateWad"])
    return fixings


def flow_rows(vault: Any, chain_id: int, start: int, stop: int) -> list[dict]:
    """A vault's NAV-ledger events in blocks [start, stop] as keeper-store rows."""
    from ape import chain

    from keepers.core.logs import fetch_logs

    times, rows = {}, []
    abis = [getattr(vault, name).abi for name in FLOW_EVENTS]
    for log in fetch_logs(vault.address, abis, start, stop):
        kind, args = FLOW_EVENTS[log.event_name], log.event_arguments
        number = int(log.block_number)
        if number not in times:
            times[number] = int(chain.provider.get_block(number).timestamp)
        assets = args["depositAssets"] if kind == STRUCK else args["assets"]
        shares = args["depositShares"] if kind == STRUCK else args.get("shares", 0)
        rows.append(
            {
                "chain_id": chain_id,
                "vault": vault.address,
                "block_number": number,
                "timestamp": times[number],
                "tx_hash": _hex(log.transaction_hash),
                "log_index": int(log.log_index),
                "kind": kind,
                "assets": str(int(assets)),
                "shares": str(int(shares)),
            }
        )
    return rows


def _hex(value) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()
