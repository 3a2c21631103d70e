"""The whole rebalancing loop on anvil (issue 6's integration test): deploy → train a small model
on real history → signal → previewRebalance → sign → relay → AutoRebalancer → aggregator on the
real venues → RiskEngine check → events and keeper store; then the keeper's restart rule (a signed
intent still live is re-sent, never replaced) and its cooldown decision (RBL-12)."""

import os

import pytest
from signal_chain import invest, open_signal_chain, publish_model, signal_keeper

from conftest import BIN, wait_for
from keepers.core import store
from keepers.core.deployments import load, record_path
from keepers.demo.processes import ProcessGroup
from keepers.rebalancing import store as rebalancing_store

USDC_UNIT, UNIT = 10**6, 10**18
DEPOSIT_USD = 200_000  # small against the seeded pools: every trade fills within 1.5% of the oracle
SIGNAL_KEEPER, OPERATOR, AGENT, RISK_KEEPER, INVESTOR = 22, 3, 5, 7, 19


@pytest.fixture(scope="module")
def small_model():
    """A small selector trained on the real history (fast: the loop, not the model, is under
    test)."""
    from keepers.rebalancing.cycle import load_market
    from keepers.rebalancing.model import build_dataset, fit_selector

    market = load_market()
    dataset = build_dataset(market.prices, market.risky, market.tbill, market.limits)
    return market, fit_selector(dataset, epochs=2, hidden=(16, 8, 4))


def test_signal_loop__train_signal_sign_relay_execute_risk_check(
    deployed_anvil, tmp_path, monkeypatch, small_model
):
    from ape import accounts, chain, networks, project

    from keepers.rebalancing.cycle import build_intent, compute_signal
    from keepers.vault import load_portfolio

    market, selector = small_model
    network = f"ethereum:local:{deployed_anvil}"
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(tmp_path))
    db_url = f"sqlite:///{tmp_path / 'keeper.sqlite'}"
    db = store.open_store(db_url)
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        c = open_signal_chain(record)
        at = c.at
        vault, risk, router = c.vault, c.risk, c.router
        rebalancer, aggregator = c.rebalancer, c.aggregator
        acct = {
            i: accounts.test_accounts[i]
            for i in (SIGNAL_KEEPER, OPERATOR, AGENT, RISK_KEEPER, INVESTOR)
        }
        tokens, vault_address = list(vault.assets()), vault.address
        invest(c, acct[INVESTOR], acct[OPERATOR], acct[AGENT], DEPOSIT_USD)
        # The risk keeper's part: a model update from the same history, then a sync of the prices.
        portfolio = load_portfolio()
        published = publish_model(chain, c, db, portfolio, market, acct[RISK_KEEPER])
        assert published.get("published"), published
        risk.sync(vault, sender=acct[RISK_KEEPER])

        signer = acct[SIGNAL_KEEPER]
        keeper = signal_keeper(chain, c, db, market, selector, signer)
        assert at("RebalancerLens", "RebalancerLens").shouldRebalance(rebalancer, vault)[0]
        outcome = keeper.run()
        assert outcome["decision"] == "executed", outcome
        assert outcome["trades"] >= 3 and outcome["nonce"] == 0
        [intent_row] = rebalancing_store.intents(db, chain.chain_id, vault.address)
        assert intent_row.status == "executed" and intent_row.loss_usd == outcome["loss_usd"]
        receipt = chain.provider.get_receipt(intent_row.tx_hash)
        names = [log.event_name for log in receipt.events]
        assert names.count("Traded") == outcome["trades"] == names.count("RouteExecuted")
        assert names[-1] == "Rebalanced"
        held = list(vault.holdings())
        assert sum(1 for h in held[1:] if h > 0) >= 3
        assert all(project.SecurityToken.at(t).balanceOf(aggregator) == 0 for t in tokens[1:])
        # The weights now match the signal's targets within the plan's bounds; nothing past a cap.
        result = compute_signal(market, selector)
        values = [
            h * router.price(t) // (10 ** (6 if i == 0 else 18))
            for i, (h, t) in enumerate(zip(held, tokens))
        ]
        weights = [v * 10_000 // sum(values) for v in values]
        caps = [a.max_weight_bps for a in portfolio.assets]
        assert all(w <= cap for w, cap in zip(weights, caps)), (weights, caps)
        # Towards the targets, never past them (a few bps of rounding and price improvement aside).
        assert all(w <= t + 25 for w, t in zip(weights[1:], result.target_bps[1:])), (
            weights,
            result.target_bps,
        )
        assert weights[0] >= result.target_bps[0] - 25, (weights, result.target_bps)

        # Right after: the cooldown; the keeper records its decision and signs nothing.
        outcome = keeper.run()
        assert outcome["decision"] == "skipped: CooldownActive", outcome
        assert len(rebalancing_store.intents(db, chain.chain_id, vault.address)) == 1
        predictions = rebalancing_store.predictions(db, chain.chain_id, vault.address)
        assert [p.decision.split(":")[0] for p in predictions] == ["sent", "skipped"]
        assert predictions[0].realised_return is not None and predictions[1].realised_return is None

        # A crash after signing, before sending: the restarted keeper sends that very intent.
        chain.provider.make_request("evm_increaseTime", [3_601])
        chain.provider.make_request("evm_mine", [])
        risk.sync(vault, sender=acct[RISK_KEEPER])
        nonce = at("RebalancerLens", "RebalancerLens").stateOf(rebalancer, vault)[0]
        shifted = result.__class__(
            result.signal,
            result.as_of,
            (2_000, 6_000, 1_000, 500, 500),
            result.signal_hash,
            result.model_version,
        )
        assets_units = [10**6] + [10**18] * 4
        signed = build_intent(
            shifted,
            [int(h) for h in vault.holdings()],
            [int(router.price(t)) for t in tokens],
            assets_units,
            nonce=nonce,
            strategy_id=at("RebalancerLens", "RebalancerLens").strategyOf(rebalancer, vault)[1],
            portfolio=vault.address,
            verifying_contract=rebalancer.address,
            chain_id=chain.chain_id,
            key=None,
            deadline=chain.blocks.head.timestamp + 900,
            max_slippage_bps=150,
            max_trade_bps=2_500,
            sign=keeper.sign,
        )
        lens = at("RebalancerLens", "RebalancerLens")
        preview = lens.previewRebalance(rebalancer, signed.intent.as_tuple())
        routes, _ = keeper._routes(
            preview, tokens, [int(router.price(t)) for t in tokens], assets_units, 150
        )
        i = signed.intent
        row = {
            "portfolio": i.portfolio,
            "strategy_id": i.strategy_id,
            "target_weights_bps": list(i.target_weights_bps),
            "max_slippage_bps": i.max_slippage_bps,
            "nonce": i.nonce,
            "deadline": i.deadline,
            "model_version": i.model_version.hex(),
            "signal_hash": i.signal_hash.hex(),
        }
        digest = "0x" + signed.digest.hex()
        rebalancing_store.record_intent(
            db,
            {
                "chain_id": chain.chain_id,
                "portfolio": vault.address,
                "nonce": nonce,
                "digest": digest,
                "deadline": i.deadline,
                "intent": row,
                "signature": signed.signature.hex(),
                "routes": routes,
                "created_at": chain.blocks.head.timestamp,
                "status": "signed",
            },
        )
        with pytest.raises(ValueError, match="live intent"):  # never two live intents for one nonce
            rebalancing_store.record_intent(
                db,
                {
                    "chain_id": chain.chain_id,
                    "portfolio": vault.address,
                    "nonce": nonce,
                    "digest": "0x" + "ab" * 32,
                    "deadline": i.deadline,
                    "intent": row,
                    "signature": "00",
                    "routes": routes,
                    "created_at": chain.blocks.head.timestamp,
                    "status": "signed",
                },
            )
        outcome = keeper.run()
        assert outcome["decision"] == "executed" and outcome["nonce"] == nonce, outcome
        rows = rebalancing_store.intents(db, chain.chain_id, vault.address)
        assert [(r.digest, r.status) for r in rows][1:] == [(digest, "executed")]
        assert list(at("RebalancerLens", "RebalancerLens").stateOf(rebalancer, vault)[3]) == [
            2_000,
            6_000,
            1_000,
            500,
            500,
        ]

    # The silverback bot itself (same store): its startup cycle meets the cooldown and records it.
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(tmp_path),
        QUANTERA_DB_URL=db_url,
        SILVERBACK_SIGNER_ALIAS=f"TEST::{SIGNAL_KEEPER}",
        QUANTERA_SIGNAL_MODEL=str(tmp_path / "none.npz"),
    )
    group = ProcessGroup(tmp_path)
    try:
        group.start(
            "signal",
            [str(BIN / "silverback"), "run", "keepers.rebalancing.bot:bot", "--network", network],
            env=env,
        )
        wait_for(
            lambda: len(rebalancing_store.predictions(db, 1337, vault_address)) >= 3,
            "the bot's startup prediction",
            tmp_path / "signal.log",
        )
        # The startup cycle's row is the third (the bot's hourly cron may add one more when the
        # wall clock crosses an hour meanwhile: helper-115).
        rows = rebalancing_store.predictions(db, 1337, vault_address)
        assert 3 <= len(rows) <= 4, (tmp_path / "signal.log").read_text()[-3000:]
        # no model file: rule-based
        assert rows[2].decision == "skipped: CooldownActive" and rows[2].fallback
        assert rows[2].reason == "no trained model"
    finally:
        group.stop_all()
