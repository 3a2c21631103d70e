"""Bulk rebalancing: every client portfolio following one model portfolio, rebalanced in one
operator action. For each client: its positions and strategy are read, the model's targets fitted to
the strategy's bounds, the RebalancerLens's `previewRebalance` (the rebalancer's own code) decides
(skip within the drift threshold, during the cooldown, while paused, with nothing to trade), the
intent is signed and stored `signed` (the signal keeper's restart guard,
`keepers.rebalancing.store.record_intent`), and the signed intents are relayed in batches through
`AutoRebalancer.rebalanceBatch` (RBL-15): a client whose rebalance reverts is reported by
`RebalanceFailed` with its reason and the others execute. Each client's outcome (rebalanced /
skipped / failed, reason, nonce, transaction, gas, drift before and after) is stored
(`bulk_outcomes`), reported to `on_progress(done, total, outcome)` as it is known, and returned.

Routing: each (sold, bought) pair is quoted once per run by the aggregator for the pair's total
over all clients, and every trade of that pair goes through the venue that fills that total best
(or through `venue` when given): the clients' flows hit the same venues, so the whole flow is what
the choice must fill. Each trade's oracle-derived minimum output is still enforced on chain.

Idempotent: a re-run finds each rebalanced client's nonce spent and its cooldown running (skipped,
nothing signed); an intent signed but not executed (a crash before sending) is re-sent as it was
while its deadline allows, never replaced by a rival for the nonce. A batch re-sent after a
transport failure cannot execute an intent twice (its nonce is spent: the item fails).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from ape.exceptions import ContractLogicError
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from keepers.core.errors import QuanteraError
from keepers.core.waiting import wait_until
from keepers.rebalancing import store as rebalancing_store
from keepers.rebalancing.cycle import fit_bounds
from keepers.rebalancing.intent import RebalanceIntent
from keepers.rebalancing.keeper import _describe_revert, _error_abi, _field, wire_routes
from keepers.rebalancing.models import (
    ModelPortfolio,
    client_drifts,
    clients_of,
    get_model,
    read_positions,
    read_prices,
    target_bps,
)

MAX_BATCH = 32  # AutoRebalancer's bound on one rebalanceBatch
# Gas budget per batch item (a rebalance: the contract's GAS_BASE, and per trade through the
# aggregator with security tokens' compliance checks, with room). Unused gas is not charged; the
# budget only sizes batches against the block gas limit.
ITEM_BASE_GAS = 300_000
ITEM_GAS_PER_TRADE = 250_000
BLOCK_GAS_SHARE = 0.9
# Blockers that mean "nothing to do now" (skipped); any other blocker is a failure, not sent.
SKIPS = {"DriftBelowThreshold", "CooldownActive", "StrategyPaused", "NothingToTrade"}
USD = 10**18
RECEIPT_TIMEOUT_SECONDS = 300.0  # a hang guard: a local batch lands in well under a second
REBALANCE_FAILED_TOPIC = keccak(text="RebalanceFailed(address,uint256,bytes)")
REBALANCED_TOPIC = keccak(
    text="Rebalanced(address,uint256,uint256,bytes32,bytes32,address,uint256,uint256,uint256,uint256)"
)

ProgressCallback = Callable[[int, int, "ClientOutcome"], None]


@dataclass(frozen=True)
class ClientOutcome:
    portfolio: str
    status: str  # rebalanced | skipped | failed
    reason: str | None = None
    nonce: int | None = None
    digest: str | None = None
    tx_hash: str | None = None
    gas_used: int | None = None  # the batch's gas over its items
    drift_before_bps: int | None = None
    drift_after_bps: int | None = None
    trades: int = 0


@dataclass(frozen=True)
class BulkReport:
    run_id: str
    model: str
    outcomes: list[ClientOutcome]
    batches: list[str] = field(default_factory=list)  # transaction hashes
    seconds: float = 0.0
    phases_s: dict[str, float] = field(default_factory=dict)  # where the time went

    def counts(self) -> dict[str, int]:
        counts = {"rebalanced": 0, "skipped": 0, "failed": 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "counts": self.counts(),
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "phases_s": {k: round(v, 3) for k, v in self.phases_s.items()},
            "outcomes": [asdict(o) for o in self.outcomes],
        }


@dataclass
class _Pending:
    """A client whose signed intent is to be relayed."""

    portfolio: str
    digest: str
    intent: dict  # the stored row (keepers.rebalancing.store.SignalIntent.intent)
    signature: bytes
    routes: list
    trades: int
    drift_before_bps: int | None


@dataclass
class BulkRebalance:
    chain: object
    rebalancer: object
    lens: object  # RebalancerLens
    aggregator: object
    router: object  # OracleRouter
    db: object
    vault_at: Callable[[str], object]
    sign: Callable[[RebalanceIntent], tuple[bytes, bytes]]
    signer_address: str
    relayer: object
    venue: str | None = None  # route every trade through this venue (else the best per pair)
    deadline_seconds: int = 900
    batch_size: int = MAX_BATCH

    def run(self, model_name: str, on_progress: ProgressCallback | None = None) -> BulkReport:
        started = time.perf_counter()
        chain_id = self.chain.chain_id
        model = get_model(self.db, chain_id, model_name)
        clients = clients_of(self.db, chain_id, model_name)
        if not clients:
            raise QuanteraError(f"no client portfolio follows model {model_name!r}")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise QuanteraError(f"batch size must be 1 to {MAX_BATCH}, not {self.batch_size}")
        run_id = str(uuid.uuid4())
        phases: dict[str, float] = {}
        mark = time.perf_counter()

        def phase(name: str) -> None:
            nonlocal mark
            phases[name] = time.perf_counter() - mark
            mark = time.perf_counter()

        vaults = [self.vault_at(p) for p in clients]
        positions = read_positions(vaults)
        prices = read_prices(self.router, [a for listed in positions.assets for a in listed])
        drifts = client_drifts(positions, prices, model, strict=False)
        phase("read_positions")
        outcomes: dict[str, ClientOutcome] = {}
        done = 0

        def settle(outcome: ClientOutcome) -> None:
            nonlocal done
            outcomes[outcome.portfolio] = outcome
            done += 1
            if on_progress is not None:
                on_progress(done, len(clients), outcome)

        now = self.chain.blocks.head.timestamp
        pending: list[_Pending] = []
        trades_by_client: dict[str, list] = {}
        for i, portfolio in enumerate(clients):
            drift = None if math.isnan(drifts[i]) else int(drifts[i])
            decided = self._prepare(
                model, portfolio, positions.assets[i], drift, now, pending, trades_by_client
            )
            if decided is not None:
                settle(decided)
        phase("preview_and_sign")
        self._route(pending, trades_by_client)
        phase("route_and_store_intents")
        batches = self._relay_all(self._chunks(pending), settle) if pending else []
        phase("relay")
        self._drift_after(model, clients, outcomes, prices)
        phase("drift_after")
        report = BulkReport(
            run_id,
            model_name,
            [outcomes[p] for p in clients],
            batches,
            time.perf_counter() - started,
            phases,
        )
        rebalancing_store.record_bulk_outcomes(
            self.db,
            [
                {
                    "run_id": run_id,
                    "chain_id": chain_id,
                    "model": model_name,
                    "recorded_at": now,
                    **{k: v for k, v in asdict(o).items() if k != "trades"},
                }
                for o in report.outcomes
            ],
        )
        return report

    # ------------------------------------------------------------------ planning

    def _prepare(
        self,
        model: ModelPortfolio,
        portfolio: str,
        assets: list[str],
        drift: int | None,
        now: int,
        pending: list[_Pending],
        trades_by_client: dict[str, list],
    ) -> ClientOutcome | None:
        """Queues the client's signed intent in `pending`, or returns its outcome (skipped or
        failed, nothing sent)."""
        chain_id = self.chain.chain_id
        nonce = int(self.lens.stateOf(self.rebalancer, portfolio)[0])
        rebalancing_store.reopen_orphaned_intents(self.db, chain_id, portfolio, nonce, now)
        live = rebalancing_store.live_intent(self.db, chain_id, portfolio, nonce, now)
        if live is not None:  # signed by an interrupted run: relay that one, never a rival
            pending.append(
                _Pending(
                    portfolio,
                    live.digest,
                    live.intent,
                    bytes.fromhex(live.signature),
                    live.routes,
                    len(live.routes),
                    drift,
                )
            )
            return None
        config, strategy_id, paused = self.lens.strategyOf(self.rebalancer, portfolio)
        base = {"portfolio": portfolio, "nonce": nonce, "drift_before_bps": drift}
        if int(strategy_id) == 0:
            return ClientOutcome(
                status="failed", reason="no strategy on the AutoRebalancer", **base
            )
        try:
            targets = fit_bounds(
                tuple(target_bps(model, assets)),
                [int(x) for x in _field(config, "minWeightBps", 0)],
                [int(x) for x in _field(config, "maxWeightBps", 1)],
                0,
            )
        except (QuanteraError, ValueError) as err:
            return ClientOutcome(status="failed", reason=str(err)[:256], **base)
        intent = RebalanceIntent(
            portfolio,
            int(strategy_id),
            targets,
            int(_field(config, "maxSlippageBps", 4)),
            nonce,
            now + self.deadline_seconds,
            hashlib.sha256(f"model:{model.name}:v{model.version}".encode()).digest(),
            keccak(json.dumps(model.weights_bps, sort_keys=True).encode()),
        )
        try:
            preview = self.lens.previewRebalance(self.rebalancer, intent.as_tuple())
        except ContractLogicError as err:  # a malformed intent or a missing price
            return ClientOutcome(status="failed", reason=f"preview: {err}"[:256], **base)
        blocker = bytes(preview.blocker)
        if blocker != b"\x00" * 4:
            error = _error_abi(blocker)
            name = error.name if error else "0x" + blocker.hex()
            status = "skipped" if name in SKIPS else "failed"
            detail = (
                f"{name} (drift {int(preview.driftBps)} bps)"
                if name == "DriftBelowThreshold"
                else name
            )
            return ClientOutcome(status=status, reason=detail, **base)
        digest, signature = self.sign(intent)
        trades = [
            (str(assets[int(t.sellIndex)]), str(assets[int(t.buyIndex)]), int(t.sellAmount))
            for t in preview.trades
        ]
        trades_by_client[portfolio] = trades
        row = intent.as_row()
        pending.append(
            _Pending(portfolio, "0x" + digest.hex(), row, signature, [], len(trades), drift)
        )
        return None

    def _route(self, pending: list[_Pending], trades_by_client: dict[str, list]) -> None:
        """Each new intent's legs (one venue per trade, chosen per pair over the whole flow), then
        the intent is stored `signed` with them before anything is sent."""
        totals: dict[tuple[str, str], int] = {}
        for trades in trades_by_client.values():
            for sell, buy, amount in trades:
                totals[(sell, buy)] = totals.get((sell, buy), 0) + amount
        venues = {
            pair: self.venue or self._best_venue(*pair, total) for pair, total in totals.items()
        }
        chain_id = self.chain.chain_id
        now = self.chain.blocks.head.timestamp
        for item in pending:
            trades = trades_by_client.get(item.portfolio)
            if trades is None:
                continue  # re-sent as stored
            item.routes = [[[1, [[venues[(sell, buy)], buy, "0x"]]]] for sell, buy, _ in trades]
            rebalancing_store.record_intent(
                self.db,
                {
                    "chain_id": chain_id,
                    "portfolio": item.portfolio,
                    "nonce": item.intent["nonce"],
                    "digest": item.digest,
                    "deadline": item.intent["deadline"],
                    "intent": item.intent,
                    "signature": item.signature.hex(),
                    "routes": item.routes,
                    "created_at": now,
                    "status": "signed",
                },
            )

    def _best_venue(self, sell: str, buy: str, total: int) -> str:
        venues, outs = self.aggregator.quote.call(sell, buy, [total], [])
        best = max(range(len(venues)), key=lambda i: int(outs[i][0]), default=None)
        if best is None or int(outs[best][0]) == 0:
            raise QuanteraError(f"no venue quotes {sell} -> {buy} for {total}")
        return str(venues[best])

    # ------------------------------------------------------------------ relaying

    def _item_gas(self, item: _Pending) -> int:
        return ITEM_BASE_GAS + ITEM_GAS_PER_TRADE * item.trades

    def _chunks(self, pending: list[_Pending]) -> list[list[_Pending]]:
        """Batches of at most `batch_size` items whose gas budgets fit a share of a block."""
        limit = int(self.chain.blocks.head.gas_limit * BLOCK_GAS_SHARE)
        chunks: list[list[_Pending]] = []
        current: list[_Pending] = []
        for item in pending:
            gas = sum(self._item_gas(i) for i in current) + self._item_gas(item)
            if current and (len(current) == self.batch_size or gas > limit):
                chunks.append(current)
                current = []
            current.append(item)
        if current:
            chunks.append(current)
        return chunks

    def _calldata(self, item: _Pending) -> bytes:
        intent = RebalanceIntent.from_row(item.intent)
        return bytes(
            self.rebalancer.rebalance.encode_input(
                intent.as_tuple(),
                [self.signer_address],
                [item.signature],
                wire_routes(self.chain, item.portfolio, item.routes),
            )
        )

    def _relay_all(
        self, chunks: list[list[_Pending]], settle: Callable[[ClientOutcome], None]
    ) -> list[str]:
        """Signs one `rebalanceBatch` transaction per chunk with consecutive nonces, broadcasts
        them all, then waits for every receipt and settles each client from its events (pipelined:
        the node executes batch k while batch k + 1 is on its way)."""
        web3 = self.chain.provider.web3
        nonce = int(web3.eth.get_transaction_count(self.relayer.address, "pending"))
        block_gas = int(self.chain.blocks.head.gas_limit)
        sent = []
        for offset, chunk in enumerate(chunks):
            gas = min(int(sum(self._item_gas(i) for i in chunk) * 64 / 63) + 100_000, block_gas)
            txn = self.rebalancer.rebalanceBatch.as_transaction(
                [self._calldata(item) for item in chunk],
                sender=self.relayer,
                gas=gas,
                nonce=nonce + offset,
            )
            signed = self.relayer.sign_transaction(txn)
            if signed is None:
                raise QuanteraError(f"{self.relayer.address} refused to sign the batch")
            raw = bytes(signed.serialize_transaction())
            sent.append("0x" + bytes(web3.eth.send_raw_transaction(raw)).hex())
        for tx_hash, chunk in zip(sent, chunks):
            receipt = wait_until(
                lambda h=tx_hash: _receipt(web3, h),
                f"the receipt of bulk rebalance batch {tx_hash}",
                RECEIPT_TIMEOUT_SECONDS,
                poll=0.05,
            )
            self._settle_batch(tx_hash, receipt, chunk, settle)
        return sent

    def _settle_batch(
        self, tx_hash: str, receipt, chunk: list[_Pending], settle: Callable[[ClientOutcome], None]
    ) -> None:
        """Each item's outcome from the batch's logs: `RebalanceFailed(portfolio, index, reason)`,
        else `Rebalanced(portfolio, ...)`. A reverted batch (it should not: only a malformed or
        oversized batch reverts) fails every item."""
        failed: dict[int, str] = {}
        losses: dict[str, int] = {}
        if int(receipt["status"]) != 1:
            failed = dict.fromkeys(range(len(chunk)), "batch transaction reverted")
        for log in receipt["logs"]:
            if str(log["address"]).lower() != self.rebalancer.address.lower():
                continue
            topics = [bytes(t) for t in log["topics"]]
            if topics[0] == REBALANCE_FAILED_TOPIC:
                (reason,) = decode(["bytes"], bytes(log["data"]))
                failed[int.from_bytes(topics[2], "big")] = (
                    _describe_revert(reason) if reason else "out of gas (empty revert)"
                )
            elif topics[0] == REBALANCED_TOPIC:
                portfolio = to_checksum_address(topics[1][12:])
                losses[portfolio] = int.from_bytes(bytes(log["data"])[-32:], "big")
        share = int(receipt["gasUsed"]) // len(chunk)
        for index, item in enumerate(chunk):
            base = {
                "portfolio": item.portfolio,
                "nonce": item.intent["nonce"],
                "digest": item.digest,
                "tx_hash": tx_hash,
                "gas_used": share,
                "drift_before_bps": item.drift_before_bps,
                "trades": item.trades,
            }
            if index not in failed and item.portfolio in losses:
                loss_usd = losses[item.portfolio] / USD
                rebalancing_store.set_intent_status(
                    self.db, item.digest, "executed", tx_hash=tx_hash, loss_usd=loss_usd
                )
                settle(ClientOutcome(status="rebalanced", **base))
            else:
                reason = failed.get(index, "no Rebalanced event")[:256]
                status = "expired" if reason.startswith("IntentExpired") else "failed"
                rebalancing_store.set_intent_status(
                    self.db, item.digest, status, tx_hash=tx_hash, note=reason
                )
                settle(ClientOutcome(status="failed", reason=reason, **base))

    def _drift_after(
        self, model: ModelPortfolio, clients: Sequence[str], outcomes: dict, prices: dict
    ) -> None:
        """Each client's drift after the run at the same oracle prices as before: the rebalanced
        ones' positions re-read (one numpy pass), the others' unchanged."""
        traded = [p for p in clients if outcomes[p].status == "rebalanced"]
        after = dict.fromkeys(clients)
        if traded:
            positions = read_positions([self.vault_at(p) for p in traded])
            drifts = client_drifts(positions, prices, model, strict=False)
            after.update(zip(traded, (None if math.isnan(d) else int(d) for d in drifts)))
        for portfolio in clients:
            outcome = outcomes[portfolio]
            drift = after[portfolio] if portfolio in traded else outcome.drift_before_bps
            outcomes[portfolio] = ClientOutcome(**{**asdict(outcome), "drift_after_bps": drift})


def _receipt(web3, tx_hash: str):
    """The transaction's receipt, or None while it is pending."""
    from web3.exceptions import TransactionNotFound

    try:
        return web3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def bulk_rebalance(
    model: str, *, on_progress: ProgressCallback | None = None, **parts
) -> BulkReport:
    """Rebalances every client of `model` (`BulkRebalance(**parts).run(model, on_progress)`)."""
    return BulkRebalance(**parts).run(model, on_progress)
