"""KPR-24 (issue 33 §5): a running keeper's metrics, scraped over HTTP as Prometheus would, move
when the chain moves. Each keeper runs as a real silverback process on a deployed anvil with
QUANTERA_METRICS_PORT (and QUANTERA_LOG_FORMAT=json): the screening keeper decides and freezes a
listed wallet registered on chain, and its cycles, block, decisions and sent transactions show it;
the risk keeper shows each feed's age, last move and router status, and a report moves them."""

import json
import os
import signal
import socket
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import BIN, wait_for
from keepers.core.artifacts import project_at
from keepers.core.deployments import load, record_path
from keepers.demo.processes import ProcessGroup

LISTED = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"  # sample entry 90001 (test account 18)
FAR_FUTURE = 2**40 - 1
COMPLIANCE_KEEPER, RISK_KEEPER, PRICE_REPORTER = 6, 7, 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(port: int) -> dict[str, float]:
    """Every sample of the keeper's /metrics, by name and labels (`name{k=v,...}`); {} while the
    keeper does not answer yet."""
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    except OSError:
        return {}
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return samples


def _keeper(tmp_path, url: str, entry: str, signer: int, **extra: str):
    """(network choice, metrics port, environment, argv) of a keeper process on the test's anvil
    (`url`), its store in `tmp_path`, signing with test account `signer`, serving its metrics."""
    port = _free_port()
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(tmp_path),
        QUANTERA_DB_URL=f"sqlite:///{tmp_path / 'keeper.sqlite'}",
        SILVERBACK_SIGNER_ALIAS=f"TEST::{signer}",
        QUANTERA_METRICS_PORT=str(port),
        **extra,
    )
    network = f"ethereum:local:{url}"
    return network, port, env, [str(BIN / "silverback"), "run", entry, "--network", network]


def test_kpr_24__running_keeper__metrics_move_with_the_chain(deployed_anvil, tmp_path):
    from ape import accounts, chain, networks, project

    network, port, env, argv = _keeper(
        tmp_path,
        deployed_anvil,
        "keepers.compliance.bot:bot",
        COMPLIANCE_KEEPER,
        QUANTERA_LOG_FORMAT="json",
    )
    cycles = "quantera_keeper_cycles_total{keeper=screening}"
    last_block = "quantera_keeper_last_block{keeper=screening}"
    group = ProcessGroup(tmp_path)
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        try:
            bot = group.start("screening", argv, env=env)
            log = tmp_path / "screening.log"

            # A first block cycle (the keeper serves from its start; cycles come with blocks).
            def mined() -> bool:
                chain.provider.make_request("evm_mine", [])
                return _scrape(port).get(cycles, 0) >= 1

            wait_for(mined, "a first cycle in the metrics", log)
            before = _scrape(port)
            assert before["quantera_sanctions_list_entries{keeper=screening}"] >= 1
            loaded = before["quantera_sanctions_list_loaded_timestamp_seconds{keeper=screening}"]
            assert abs(loaded - time.time()) < 600
            assert before.get("quantera_sanctions_decisions_total{keeper=screening}", 0) == 0
            assert before["quantera_keeper_blocks_behind{keeper=screening}"] >= 0

            # The chain moves: a listed wallet is registered; the keeper decides and freezes it.
            registry.registerInvestor(
                LISTED, "0x" + "0e" * 20, 756, 4, FAR_FUTURE, sender=accounts.test_accounts[3]
            )
            wait_for(lambda: registry.isFrozen(LISTED), "the keeper's freeze", log)
            # The freeze is on chain once mined; the keeper counts it once its receipt is back (a
            # moment later on a busy machine): waited for, not assumed.
            sent = "quantera_keeper_transactions_sent_total{keeper=screening}"
            wait_for(
                lambda: (
                    _scrape(port).get(last_block, 0) > before[last_block]
                    and _scrape(port).get(sent, 0) >= 1
                ),
                "the keeper's block and its freeze in the metrics",
                log,
            )
            after = _scrape(port)
            assert after[cycles] > before[cycles]
            assert after["quantera_sanctions_decisions_total{keeper=screening}"] == 1
            assert after[sent] >= 1
            assert after[last_block] >= chain.blocks.height - 5
            group.stop(bot, signal.SIGINT)
        finally:
            group.stop_all()
    # Structured logs: the keeper's log lines include JSON objects naming it.
    entries = []
    for line in log.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    assert any(e.get("keeper") == "screening" and e.get("level") for e in entries), log.read_text()[
        -2000:
    ]


def test_kpr_24__risk_keeper__feed_metrics_follow_a_report(deployed_anvil, tmp_path):
    from ape import accounts, chain, networks, project

    network, port, env, argv = _keeper(
        tmp_path, deployed_anvil, "keepers.risk.bot:bot", RISK_KEEPER
    )
    group = ProcessGroup(tmp_path)
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        vault = project_at("PortfolioVault", record.address_of("PortfolioVault"))
        router = project.OracleRouter.at(record.address_of("OracleRouter"))
        token = vault.assets()[1]
        symbol = project.SecurityToken.at(token).symbol()
        feed = project.ReporterPriceFeed.at(router.feedOf(token).primary)
        move = f"quantera_feed_last_move_bps{{asset={symbol}}}"
        try:
            group.start("risk", argv, env=env)
            log = tmp_path / "risk.log"

            def cycled() -> bool:
                chain.provider.make_request("evm_mine", [])
                return move in _scrape(port)

            wait_for(cycled, "the risk keeper's feed metrics", log)
            first = _scrape(port)
            assert first[f"quantera_feed_status{{asset={symbol}}}"] == 0  # Ok
            assert first[f"quantera_feed_age_seconds{{asset={symbol}}}"] >= 0
            # A report 1% above the last answer: the next cycle's move is that in whole bps
            # (rounded down), and the feed is younger than one not reported since the deployment.
            last = int(feed.latestRoundData()[1])
            answer = last * 101 // 100
            feed.report(answer, sender=accounts.test_accounts[PRICE_REPORTER])
            expected = (answer - last) * 10_000 // last
            assert expected in (99, 100)

            cycles = "quantera_keeper_cycles_total{keeper=risk}"

            def moved() -> bool:
                chain.provider.make_request("evm_mine", [])
                now = _scrape(port)  # the gauges are set in the cycle, the count after it
                return now.get(move) == expected and now.get(cycles, 0) > first.get(cycles, 0)

            wait_for(moved, "the feed's move in the metrics", log)
            after = _scrape(port)
            other = project.SecurityToken.at(vault.assets()[2]).symbol()
            assert (
                after[f"quantera_feed_age_seconds{{asset={symbol}}}"]
                < after[f"quantera_feed_age_seconds{{asset={other}}}"]
            )
            assert after["quantera_keeper_cycles_total{keeper=risk}"] > first.get(
                "quantera_keeper_cycles_total{keeper=risk}", 0
            )
        finally:
            group.stop_all()


def test_kpr_24__arbitrage_keeper__pool_gap_follows_a_report_then_closes(deployed_anvil, tmp_path):
    """LIQ-21's keeper as its silverback bot: a report moves QSPX 5% down, the bot trades the
    QSPX/USDC pairs back inside their band, and its pool-gap gauges show it."""
    from ape import accounts, chain, networks, project

    from keepers.core.tokens import erc20_at
    from keepers.liquidity import token_addresses

    desk_index, operator, agent = 21, 3, 5
    network, port, env, argv = _keeper(
        tmp_path,
        deployed_anvil,
        "keepers.liquidity.bot:bot",
        desk_index,
        QUANTERA_ARB_MIN_GAIN_USD="0",
    )
    gap = "quantera_pool_gap_bps{keeper=arbitrage,pool=UniswapV2Pair.A.QSPX-USDC}"
    group = ProcessGroup(tmp_path)
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        test = accounts.test_accounts
        tokens = token_addresses(record)
        desk = test[desk_index]
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        registry.registerInvestor(desk, "0x" + "a9" * 20, 840, 4, FAR_FUTURE, sender=test[operator])
        for symbol in ("QSPX", "QNDX", "QOIL"):  # open for trading (the pairs' other legs too)
            token = project.SecurityToken.at(tokens[symbol])
            if token.paused():
                token.unpause(sender=test[agent])
        project.SecurityToken.at(tokens["QSPX"]).mint(desk, 5_000 * 10**18, sender=test[agent])
        oracle = project.OracleRouter.at(record.address_of("OracleRouter"))
        cycles = "quantera_keeper_cycles_total{keeper=arbitrage}"
        try:
            bot = group.start("arbitrage", argv, env=env)
            log = tmp_path / "arbitrage.log"

            def seen() -> bool:
                chain.provider.make_request("evm_mine", [])
                return _scrape(port).get(cycles, 0) >= 1 and gap in _scrape(port)

            wait_for(seen, "the arbitrage keeper's first block cycle", log)
            assert abs(_scrape(port)[gap]) < 50  # seeded at the oracle's price
            held = int(erc20_at(tokens["QSPX"]).balanceOf(desk))
            feed = project.ReporterPriceFeed.at(oracle.feedOf(tokens["QSPX"]).primary)
            feed.report(int(int(feed.latestRoundData()[1]) * 0.95), sender=test[PRICE_REPORTER])
            # A cycle that started after the report has ended once the count is two past this.
            reported = _scrape(port)[cycles]

            def closed() -> bool:
                chain.provider.make_request("evm_mine", [])
                now = _scrape(port)
                return (
                    now.get(cycles, 0) >= reported + 2
                    and int(erc20_at(tokens["QSPX"]).balanceOf(desk)) < held
                    and abs(now.get(gap, 1e9)) <= 30.1 + 25 + 1
                )

            wait_for(closed, "the keeper's QSPX sale and the gap back in band", log)
            after = _scrape(port)
            assert after["quantera_keeper_transactions_sent_total{keeper=arbitrage}"] >= 2
            failed = {k: v for k, v in after.items() if "transactions_failed_total" in k}
            assert all(v == 0 for v in failed.values()), (failed, log.read_text()[-3000:])
            group.stop(bot, signal.SIGINT)
        finally:
            group.stop_all()
