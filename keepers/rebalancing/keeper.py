"""The signal keeper's cycle on a chain: signal → intent → the contract's own preview → send only
when the benefit beats the cost → record the prediction, the intent and the outcome.

Bounded by construction: the keeper's key is only an authorised intent signer; the AutoRebalancer
checks every bound (targets, trade size, slippage, loss budget, cooldown, base fee) and the
RiskEngine checks the result, so a compromised or buggy keeper can at worst send intents the
strategy allows. Restart-safe: an intent is stored `signed` before it is sent, and while it can
still execute (deadline not passed) the keeper re-sends that same intent instead of signing another
for the nonce; an intent recorded executed whose nonce the chain has not spent (its block orphaned
by a reorganisation) is re-opened and sent again the same way. Transport failures are retried; a
revert is recorded with its reason, not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ape.exceptions import ContractLogicError
from eth_utils import keccak

from keepers.core.errors import QuanteraError
from keepers.core.retries import with_retries
from keepers.core.tokens import token_decimals
from keepers.core.units import BPS
from keepers.liquidity import decode_route, encode_legs
from keepers.rebalancing import store as rebalancing_store
from keepers.rebalancing.cycle import Market, SignalResult, build_intent, compute_signal, fit_bounds
from keepers.rebalancing.intent import RebalanceIntent
from keepers.rebalancing.model import TrainedSelector

USD = 10**18


class TradeUnfillable(Exception):
    """No route meets a planned trade's oracle-derived minimum output (the venues are too shallow
    for the trade at the strategy's slippage): sending would only revert."""


@dataclass
class KeeperConfig:
    deadline_seconds: int = 900
    # Value of one unit of tracking error: the benefit counted for moving `x` bps of NAV closer to
    # target is `x / 10,000 * NAV * benefit_per_tracking_error` (the expected cost of staying off
    # it).
    benefit_per_tracking_error: float = 0.05
    eth_usd: float = 3_000.0  # to price the gas estimate (a feed on live networks)


def _field(struct, name: str, index: int):
    """A field of an ABI struct as ape returns it (an object, or a plain tuple inside a tuple)."""
    return getattr(struct, name) if hasattr(struct, name) else struct[index]


def _error_abi(selector: bytes):
    """The ABI of the custom error with this selector, from any contract a rebalance calls."""
    from ape import project

    for contract in (
        "AutoRebalancer",
        "PortfolioVault",
        "RiskEngine",
        "LiquidityAggregator",
        "SecurityToken",
        "OracleRouter",
        "NavVenue",
        "RfqVenue",
    ):
        for error in getattr(project, contract).contract_type.errors:
            if keccak(text=error.selector)[:4] == selector[:4]:
                return error
    return None


IS_VENUE_SELECTOR = keccak(text="isVenue(address)")[:4]


def basket_venue(routes: list) -> str | None:
    """The venue of a plan whose every route is one leg of one hop through the same venue (the NAV
    desk, when the router quotes only it), else None."""
    if not routes or any(len(legs) != 1 or len(legs[0][1]) != 1 for legs in routes):
        return None
    venues = {str(legs[0][1][0][0]).lower() for legs in routes}
    return venues.pop() if len(venues) == 1 else None


def wire_routes(chain, portfolio: str, routes: list) -> list[bytes]:
    """`rebalance`'s `routes`: the packed legs of each trade, or — when every trade goes through one
    venue the vault allows itself (`isVenue`: the deployment allows the NAV desk) — that venue's
    20-byte address alone, so the AutoRebalancer settles the plan as one netted basket there
    (`IPortfolioVault.tradeBasket`, `INavVenue.swapBasket`: one cash transfer, one vault call)."""
    venue = basket_venue(routes)
    if venue is not None:
        call = {
            "to": portfolio,
            "data": "0x" + (IS_VENUE_SELECTOR + bytes(12) + bytes.fromhex(venue[2:])).hex(),
        }
        answer = with_retries(lambda: chain.provider.web3.eth.call(call))
        if int.from_bytes(bytes(answer)[-32:] or b"\x00", "big") == 1:
            return [bytes.fromhex(venue[2:])]
    return [encode_legs(legs) for legs in routes]


def _describe_revert(data: bytes) -> str:
    """`Name(field=value, ...)` for revert data of a known custom error."""
    from eth_abi import decode

    error = _error_abi(data[:4])
    if error is None:
        return "0x" + data[:4].hex()
    try:
        values = decode([i.canonical_type for i in error.inputs], data[4:])
    except Exception:  # noqa: BLE001 - malformed data: the name alone
        return error.name
    return f"{error.name}(" + ", ".join(f"{i.name}={v}" for i, v in zip(error.inputs, values)) + ")"


@dataclass
class SignalKeeper:
    chain: object
    rebalancer: object
    rebalancer_lens: object  # the deployment's RebalancerLens: the strategy in force
    vault: object
    router: object
    aggregator: object
    db: object
    market: Callable[[], Market]
    selector: TrainedSelector | None
    sign: Callable[[RebalanceIntent], tuple[bytes, bytes]]  # (digest, 65-byte signature)
    signer_address: str
    relayer: object | None
    config: KeeperConfig
    split_router: object | None = None  # keepers.liquidity.Router: split each trade across venues

    def run(self) -> dict:
        chain_id, portfolio = self.chain.chain_id, self.vault.address
        now = self.chain.blocks.head.timestamp
        nonce, _, _, _ = self.rebalancer_lens.stateOf(self.rebalancer, portfolio)
        rebalancing_store.reopen_orphaned_intents(self.db, chain_id, portfolio, nonce, now)
        live = rebalancing_store.live_intent(self.db, chain_id, portfolio, nonce, now)
        if live is not None:  # restart: finish what was signed, never sign a rival
            return self._send(live.digest, live.intent, bytes.fromhex(live.signature), live.routes)
        config, strategy_id, paused = self.rebalancer_lens.strategyOf(self.rebalancer, portfolio)
        market = self.market()
        result = compute_signal(market, self.selector)
        symbols = [a.symbol for a in market.portfolio.assets]
        bounded = fit_bounds(
            result.target_bps,
            [int(x) for x in _field(config, "minWeightBps", 0)],
            [int(x) for x in _field(config, "maxWeightBps", 1)],
            symbols.index(market.tbill),
        )
        result = replace(result, target_bps=bounded)
        share_price = self._share_price()
        if paused:
            return self._record(result, share_price, "skipped: strategy paused")
        assets = list(self.vault.assets())
        holdings = [int(h) for h in self.vault.holdings()]
        prices = [int(self.router.price(a)) for a in assets]
        units = [10 ** token_decimals(a) for a in assets]
        slippage = int(_field(config, "maxSlippageBps", 4))
        signed = build_intent(
            result,
            holdings,
            prices,
            units,
            nonce=nonce,
            strategy_id=strategy_id,
            portfolio=portfolio,
            verifying_contract=self.rebalancer.address,
            chain_id=chain_id,
            key=None,
            deadline=now + self.config.deadline_seconds,
            max_slippage_bps=slippage,
            max_trade_bps=int(_field(config, "maxTradeBps", 3)),
            sign=self.sign,
        )
        preview = self.rebalancer_lens.previewRebalance(self.rebalancer, signed.intent.as_tuple())
        blocker = bytes(preview.blocker)
        if blocker != b"\x00" * 4:
            error = _error_abi(blocker)
            return self._record(
                result, share_price, f"skipped: {error.name if error else '0x' + blocker.hex()}"
            )
        try:
            routes, expected_cost = self._routes(preview, assets, prices, units, slippage)
        except TradeUnfillable as err:
            return self._record(result, share_price, f"skipped: {err}")
        nav = int(preview.nav) / USD
        benefit = (
            (int(preview.trackingErrorBeforeBps) - int(preview.trackingErrorAfterBps))
            / BPS
            * nav
            * self.config.benefit_per_tracking_error
        )
        gas_usd = (
            int(preview.gasEstimate) * self.chain.blocks.head.base_fee / 1e18 * self.config.eth_usd
        )
        cost = expected_cost + gas_usd
        if benefit <= cost:
            return self._record(
                result, share_price, f"skipped: benefit {benefit:,.2f} <= cost {cost:,.2f} USD"
            )
        if self.relayer is None:
            return self._record(result, share_price, "skipped: no relayer account")
        intent = signed.intent
        row = intent.as_row()
        digest = "0x" + signed.digest.hex()
        rebalancing_store.record_intent(
            self.db,
            {
                "chain_id": chain_id,
                "portfolio": portfolio,
                "nonce": nonce,
                "digest": digest,
                "deadline": intent.deadline,
                "intent": row,
                "signature": signed.signature.hex(),
                "routes": routes,
                "created_at": now,
                "status": "signed",
            },
        )
        self._record(result, share_price, f"sent: benefit {benefit:,.2f} > cost {cost:,.2f} USD")
        return self._send(digest, row, signed.signature, routes)

    # ------------------------------------------------------------------ internals

    def _share_price(self) -> float:
        share_unit = 10 ** int(self.vault.decimals())
        return int(self.vault.convertToAssets(share_unit)) / 10 ** token_decimals(
            self.vault.asset()
        )

    def _record(self, result: SignalResult, share_price: float, decision: str) -> dict:
        s = result.signal
        rebalancing_store.record_prediction(
            self.db,
            {
                "chain_id": self.chain.chain_id,
                "portfolio": self.vault.address,
                "computed_at": self.chain.blocks.head.timestamp,
                "as_of": result.as_of,
                "strategy": s.strategy,
                "fallback": s.fallback,
                "reason": s.reason[:128],
                "model_version": s.model_version,
                "probabilities": s.probabilities,
                "target_bps": list(result.target_bps),
                "share_price": share_price,
                "decision": decision[:256],
            },
        )
        return {"decision": decision, "strategy": s.strategy, "fallback": s.fallback}

    def _routes(self, preview, assets, prices, units, slippage) -> tuple[list, float]:
        """Each planned trade split across the aggregator's venues by the smart order router (or,
        without one, through the venue quoting the most), and the expected slippage cost in USD
        against oracle prices. Raises TradeUnfillable when a trade's best output misses its
        minimum."""
        routes, cost = [], 0.0
        deadline = self.chain.blocks.head.timestamp + self.config.deadline_seconds
        for k, trade in enumerate(preview.trades):
            sell, buy, amount = int(trade.sellIndex), int(trade.buyIndex), int(trade.sellAmount)
            if self.split_router is not None:
                try:
                    plan = self.split_router.plan(
                        assets[sell], assets[buy], amount, self.vault.address, deadline
                    )
                except QuanteraError as err:  # no venue quotes the pair at this size
                    raise TradeUnfillable(f"trade {k}: {err}") from None
                legs = [
                    [int(a), [[h[0], h[1], "0x" + bytes(h[2]).hex()] for h in hops]]
                    for a, hops in decode_route(plan.route).legs
                ]
                predicted = plan.predicted_out
            else:
                venues, outs = self.aggregator.quote.call(assets[sell], assets[buy], [amount], [])
                best = max(range(len(venues)), key=lambda i: int(outs[i][0]))
                legs, predicted = [[1, [[venues[best], assets[buy], "0x"]]]], int(outs[best][0])
            if predicted < int(trade.minBuyAmount):
                raise TradeUnfillable(
                    f"trade {k} ({amount} of asset {sell} -> {buy}): best output {predicted} "
                    f"below the oracle minimum {int(trade.minBuyAmount)} at {slippage} bps"
                )
            routes.append(legs)
            cost += max(0.0, int(trade.value) / USD - predicted * prices[buy] / units[buy] / USD)
        return routes, cost

    def _simulate(self, args: tuple) -> str | None:
        """The custom error `rebalance(*args)` reverts with now (by eth_call), or None if it passes.
        A raw call: the error may come from the vault, the risk engine, the aggregator or a
        token."""
        relayer = getattr(self.relayer, "address", self.signer_address)
        call = {
            "from": relayer,
            "to": self.rebalancer.address,
            "data": self.rebalancer.rebalance.encode_input(*args),
        }
        try:
            with_retries(lambda: self.chain.provider.web3.eth.call(call))
        except Exception as err:  # noqa: BLE001 - a revert carries its data; anything else is re-raised
            data = getattr(err, "data", None)
            if not isinstance(data, (str, bytes)):
                raise
            raw = bytes.fromhex(data[2:]) if isinstance(data, str) else data
            return _describe_revert(raw)
        return None

    def _send(self, digest: str, row: dict, signature: bytes, routes: list) -> dict:
        intent = RebalanceIntent.from_row(row)
        args = (
            intent.as_tuple(),
            [self.signer_address],
            [signature],
            wire_routes(self.chain, intent.portfolio, routes),
        )
        refusal = self._simulate(args)
        if refusal is not None:  # never send a transaction the chain would revert
            status = "expired" if refusal.startswith("IntentExpired") else "failed"
            rebalancing_store.set_intent_status(
                self.db, digest, status, note=f"simulation: {refusal}"
            )
            return {"decision": f"{status}: {refusal} (not sent)"}
        try:
            receipt = with_retries(lambda: self.rebalancer.rebalance(*args, sender=self.relayer))
        except ContractLogicError as err:
            reason = (
                type(err).__name__ if type(err).__name__ != "ContractLogicError" else str(err)[:200]
            )
            status = "expired" if "IntentExpired" in reason else "failed"
            rebalancing_store.set_intent_status(self.db, digest, status, note=reason)
            return {"decision": f"{status}: {reason}"}
        event = next(log for log in receipt.events if log.event_name == "Rebalanced")
        loss = int(event.loss) / USD
        rebalancing_store.set_intent_status(
            self.db, digest, "executed", tx_hash=str(receipt.txn_hash), loss_usd=loss
        )
        return {
            "decision": "executed",
            "nonce": int(event.nonce),
            "trades": int(event.trades),
            "loss_usd": loss,
            "gas_used": receipt.gas_used,
        }
