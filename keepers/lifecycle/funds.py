"""The funds of a deployment as the NAV agent keeper and `quantera fund` see them: found in the
instrument registry (an instrument whose fund is a FundVault dealing in it), with their state,
holdings and investors' positions read from the chain. Reads only: nothing here sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepers.core.errors import QuanteraError
from keepers.core.logs import fetch_logs
from keepers.lifecycle.fees import FeesDue
from keepers.lifecycle.instruments import InstrumentStatus
from keepers.lifecycle.nav import CLAIMED, FEE_HELD, INVESTED, RETURNED, STRUCK, Holdings

ZERO_ADDRESS = "0x" + "00" * 20
REGISTRY = "InstrumentRegistry"
# The funds are read from the registry again every this many blocks (an issuer may name a new
# fund without registering an instrument) and whenever its instrument count changes.
DISCOVERY_BLOCKS = 50
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
    SecurityToken), the settlement asset (an ERC-20), the router pricing both."""

    instrument_id: int
    registry: Any
    vault: Any
    share: Any
    asset: Any
    router: Any

    @property
    def address(self) -> str:
        return self.vault.address

    def feed(self) -> Any:
        """The share's primary price feed on the router (a ReporterPriceFeed on local chains)."""
        from ape import project

        return project.ReporterPriceFeed.at(self.router.feedOf(self.share.address)[0])


def registry_of(record) -> Any:
    from ape import project

    return project.InstrumentRegistry.at(record.address_of(REGISTRY))


def fund_of(registry, instrument_id: int) -> Fund | None:
    """The instrument's fund, if the registry names one and it is a FundVault dealing in it."""
    from ape import project
    from ape.exceptions import ApeException

    address = str(registry.stateOf(instrument_id)[3])
    if address.lower() == ZERO_ADDRESS:
        return None
    vault = project.FundVault.at(address)
    try:
        source, dealt = vault.navSource()
    except (ApeException, ValueError):  # no code, or not a FundVault
        return None
    if str(source).lower() != registry.address.lower() or int(dealt) != instrument_id:
        return None
    return Fund(
        instrument_id,
        registry,
        vault,
        project.SecurityToken.at(vault.share()),
        project.LocalStablecoin.at(vault.asset()),  # ERC-20 views only
        project.OracleRouter.at(registry.oracle()),
    )


def discover_funds(registry) -> list[Fund]:
    """Every instrument's fund (instrument ids 1 .. instrumentCount: one read each)."""
    funds = []
    for instrument_id in range(1, int(registry.instrumentCount()) + 1):
        fund = fund_of(registry, instrument_id)
        if fund is not None:
            funds.append(fund)
    return funds


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


def resolve_fund(registry, reference: str | None) -> Fund:
    """The fund named by `reference`: an instrument id, an ISIN or a vault address; without one,
    the deployment's only fund."""
    if reference is None:
        funds = discover_funds(registry)
        if len(funds) != 1:
            listed = ", ".join(f"{f.instrument_id}: {f.address}" for f in funds) or "none"
            raise QuanteraError(f"name the fund with --fund (funds: {listed})")
        return funds[0]
    text = reference.strip()
    if text.isdigit():
        instrument_id = int(text)
    elif text.startswith("0x") and len(text) == 42:
        for fund in discover_funds(registry):
            if fund.address.lower() == text.lower():
                return fund
        raise QuanteraError(f"{text} is not the fund of any instrument")
    else:
        instrument_id = int(registry.idOfIsin(text.upper().encode("ascii").ljust(12, b"\0")))
        if instrument_id == 0:
            raise QuanteraError(f"no instrument with ISIN {text}")
    if not 1 <= instrument_id <= int(registry.instrumentCount()):
        raise QuanteraError(f"no instrument {instrument_id}")
    fund = fund_of(registry, instrument_id)
    if fund is None:
        raise QuanteraError(f"instrument {instrument_id} has no FundVault dealing in it")
    return fund


def fee_schedule(fund: Fund) -> Any:
    from ape import project

    return project.FeeSchedule.at(fund.vault.feeSchedule())


def fees_due(fund: Fund, schedule: Any, at: int) -> FeesDue:
    """The vault's fees as `collectFees` would pay them after `accrueFees` at time `at`."""
    owed, assets, accrued_at = (int(v) for v in fund.vault.heldFees())
    elapsed = max(at - accrued_at, 0)
    accruing = 0
    if elapsed:
        base = int(fund.share.totalSupply()) + owed
        accruing = int(schedule.managementFeeShares(fund.vault.address, base, elapsed))
    return FeesDue(at, owed, assets, accruing, accrued_at, str(schedule.recipientOf(fund.vault)))


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
    )
    return read, {
        "asset_price_status": int(status),
        "asset_price_updated_at": int(updated_at),
        "fee_shares_owed": due.owed_shares,
        "fee_shares_accruing": due.accruing_shares,
    }


def fund_status(fund: Fund) -> dict:
    """The open period, its cut-off and queue, the gate, the reserve, the free cash, and the
    instrument's last NAV."""
    period, cutoff, deposits, redemptions, late_deposits, late_redemptions = fund.vault.dealing()
    nav18, nav_block, nav_time = fund.registry.latestNav(fund.instrument_id)
    status = InstrumentStatus(int(fund.registry.statusOf(fund.instrument_id)))
    return {
        "instrument_id": fund.instrument_id,
        "vault": fund.address,
        "share": fund.share.address,
        "asset": fund.asset.address,
        "status": status.name.lower(),
        "period": int(period),
        "cutoff": int(cutoff),
        "pending_deposit_assets": str(int(deposits)),
        "pending_redeem_shares": str(int(redemptions)),
        "late_deposit_assets": str(int(late_deposits)),
        "late_redeem_shares": str(int(late_redemptions)),
        "gate_bps": int(fund.vault.gateBps()),
        "dealing_interval": int(fund.vault.dealingInterval()),
        "reserved_assets": str(int(fund.vault.reservedAssets())),
        "free_cash": str(int(fund.vault.freeCash())),
        "custodian": str(fund.vault.custodian()),
        "share_supply": str(int(fund.share.totalSupply())),
        "nav18": str(int(nav18)),
        "nav_block": int(nav_block),
        "nav_time": int(nav_time),
    }


def position(fund: Fund, account: str, from_block: int, to_block: int) -> dict:
    """An investor's pending and claimable requests, its shares, and its history from the vault's
    events in blocks [from_block, to_block]."""
    vault = fund.vault
    history = []
    abis = [getattr(vault, name).abi for name in POSITION_EVENTS]
    for log in fetch_logs(vault.address, abis, from_block, to_block):
        if str(log.event_arguments[POSITION_EVENTS[log.event_name]]).lower() != account.lower():
            continue
        history.append(
            {
                "event": log.event_name,
                "block": int(log.block_number),
                "tx": _hex(log.transaction_hash),
                **{k: str(v) for k, v in log.event_arguments.items()},
            }
        )
    return {
        "account": account,
        "vault": vault.address,
        "pending_deposit_assets": str(int(vault.pendingDepositRequest(0, account))),
        "claimable_deposit_assets": str(int(vault.claimableDepositRequest(0, account))),
        "claimable_deposit_shares": str(int(vault.maxMint(account))),
        "pending_redeem_shares": str(int(vault.pendingRedeemRequest(0, account))),
        "claimable_redeem_shares": str(int(vault.claimableRedeemRequest(0, account))),
        "claimable_redeem_assets": str(int(vault.maxWithdraw(account))),
        "shares": str(int(fund.share.balanceOf(account))),
        "history": history,
    }


def coupon_fixings(servicer: Any, instrument_id: int, start: int, stop: int) -> dict[int, int]:
    """The floating coupons `servicer` (a BondServicer) fixed for `instrument_id` in blocks
    [start, stop]: coupon number -> the rate of its `CouponFixed` (WAD). Each number is fixed
    once: at its recording, or the last one at `startRedemption` after a call (a refused fixing
    reverts, emitting nothing)."""
    fixings = {}
    for log in fetch_logs(servicer.address, [servicer.CouponFixed.abi], start, stop):
        args = log.event_arguments
        if int(args["instrumentId"]) == instrument_id:
            fixings[int(args["number"])] = int(args["rateWad"])
    return fixings


def flow_rows(fund: Fund, chain_id: int, start: int, stop: int) -> list[dict]:
    """The vault's NAV-ledger events in blocks [start, stop] as keeper-store rows."""
    from ape import chain

    vault, times, rows = fund.vault, {}, []
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
