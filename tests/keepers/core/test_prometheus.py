"""KPR-20..23 (issue 33 §5): the keepers' and the console's Prometheus metrics, without a chain.
The running keeper's scrape is tests/keepers/compliance/test_screening_metrics.py."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from ape.exceptions import ContractLogicError
from prometheus_client.parser import text_string_to_metric_families

from keepers.compliance.screening import RefreshingList
from keepers.console.observe import route_label
from keepers.core import metrics
from keepers.core.errors import QuanteraError
from keepers.core.retries import with_retries
from keepers.risk.feed_health import move_bps


def sample(name: str, **labels: str) -> float | None:
    """The value of one series of the registry, None if it has none."""
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def test_kpr_20__observed_cycle__counted_timed_and_placed_against_the_head():
    head = {"height": 110}
    handler = metrics.observed("kpr20", head=lambda: head["height"])(
        lambda block: {"skipped": True} if block.number == 0 else {"new": 1}
    )
    assert handler(SimpleNamespace(number=100)) == {"new": 1}
    assert sample("quantera_keeper_cycles_total", keeper="kpr20") == 1
    assert sample("quantera_keeper_last_block", keeper="kpr20") == 100
    assert sample("quantera_keeper_blocks_behind", keeper="kpr20") == 10
    assert sample("quantera_keeper_cycle_seconds_count", keeper="kpr20") == 1
    assert sample("quantera_keeper_last_cycle_timestamp_seconds", keeper="kpr20") > 1.7e9
    # Skipped (another worker held the lock): not a cycle, the block not processed.
    handler(SimpleNamespace(number=0))
    assert sample("quantera_keeper_cycles_skipped_total", keeper="kpr20") == 1
    assert sample("quantera_keeper_last_block", keeper="kpr20") == 100


def test_kpr_20__failing_cycle__counted_by_exception_and_raised():
    def broken(block):
        raise TimeoutError("node")

    handler = metrics.observed("kpr20b", head=lambda: 1)(broken)
    with pytest.raises(TimeoutError):
        handler(SimpleNamespace(number=1))
    assert sample("quantera_keeper_cycle_errors_total", keeper="kpr20b", error="TimeoutError") == 1
    assert sample("quantera_keeper_cycles_total", keeper="kpr20b") is None


def test_kpr_20__head_unreadable__the_cycle_still_answers():
    def head():
        raise ConnectionError("down")

    handler = metrics.observed("kpr20c", head=head)(lambda block: {"ok": 1})
    assert handler(SimpleNamespace(number=5)) == {"ok": 1}
    assert sample("quantera_keeper_last_block", keeper="kpr20c") == 5


def test_kpr_21__transactions__sent_and_failed_by_reason():
    keeper = metrics.keeper_name()
    sent_before = sample("quantera_keeper_transactions_sent_total", keeper=keeper) or 0
    assert with_retries(lambda: SimpleNamespace(txn_hash="0x01")).txn_hash == "0x01"
    assert sample("quantera_keeper_transactions_sent_total", keeper=keeper) == sent_before + 1

    def revert():
        raise ContractLogicError("StaleLiquidation(account)")

    with pytest.raises(ContractLogicError):
        with_retries(revert)
    reason = "StaleLiquidation"
    assert sample("quantera_keeper_transactions_failed_total", keeper=keeper, reason=reason) == 1

    def down():
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        with_retries(down, attempts=2, base_delay=0)
    transport = "transport: ConnectionError"
    assert sample("quantera_keeper_transactions_failed_total", keeper=keeper, reason=transport) == 1
    # A read through with_retries (no receipt) is not a transaction sent.
    with_retries(lambda: 42)
    assert sample("quantera_keeper_transactions_sent_total", keeper=keeper) == sent_before + 1


def test_kpr_21__failure_reason__bounded():
    long = ContractLogicError("x" * 500)
    assert len(metrics.reason_of(long)) == metrics.MAX_REASON
    # Amounts and addresses in a revert string make no new series.
    a = ContractLogicError(
        "Insufficient balance 1200 for 0xdD2FD4581271e230360230F9337D5c0430Bf44C0"
    )
    b = ContractLogicError("Insufficient balance 7 for 0x7F367cC41522cE07553e823bf3be79A889DEbe1B")
    assert metrics.reason_of(a) == metrics.reason_of(b) == "Insufficient balance # for #"
    assert metrics.reason_of(ContractLogicError("PaymentAboveTrade: 5 > 3")) == "PaymentAboveTrade"


def test_kpr_22__served_on_the_port__and_a_taken_port_is_one_warning(monkeypatch, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(metrics._state, "served", None)
    monkeypatch.setenv(metrics.PORT_ENV, str(port))
    assert metrics.serve_from_env("kpr22") == port
    assert metrics.serving() and metrics.keeper_name() == "kpr22"
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert "quantera_keeper_cycles_total" in body
    # Serving starts the keeper's last-cycle clock (no cycle yet is a stall, not an absence).
    assert sample("quantera_keeper_last_cycle_timestamp_seconds", keeper="kpr22") > 1.7e9
    # A DNS-rebinding page names its own host: refused.
    rebound = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Host": "attacker.example"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebound, timeout=5)
    assert refused.value.code == 400
    # A second process asking for the same port runs on unobserved, with one warning.
    monkeypatch.setitem(metrics._state, "served", None)
    with caplog.at_level(logging.WARNING, logger="quantera"):
        assert metrics.serve_from_env("kpr22") is None
    assert "metrics not served" in caplog.text and not metrics.serving()
    monkeypatch.setitem(metrics._state, "keeper", "cli")


def test_kpr_22__unset_port__nothing_served(monkeypatch):
    monkeypatch.setitem(metrics._state, "served", None)
    monkeypatch.delenv(metrics.PORT_ENV, raising=False)
    assert metrics.serve_from_env("cli") is None and not metrics.serving()


def test_kpr_23__json_logs__one_object_a_line(monkeypatch):
    record = logging.LogRecord(
        "quantera", logging.WARNING, __file__, 1, "feed %s stale", ("QTF",), None
    )
    entry = json.loads(metrics.JsonFormatter().format(record))
    assert entry["level"] == "warning" and entry["message"] == "feed QTF stale"
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert entry["keeper"] == metrics.keeper_name()
    secret = logging.LogRecord(
        "ape", logging.ERROR, __file__, 1, "node https://u:p@node.example/v3/KEY1 gone", (), None
    )
    assert "KEY1" not in metrics.JsonFormatter().format(secret)
    monkeypatch.delenv(metrics.LOG_FORMAT_ENV, raising=False)
    assert metrics.configure_logging() is False


def test_kpr_21__feed_move__whole_bps_rounded_down_and_none_without_a_previous_answer():
    assert move_bps(10_100, 10_000) == 100
    assert move_bps(9_899, 10_000) == 101
    assert move_bps(10_000_999, 10_000_000) == 0
    assert move_bps(5, 0) == 0


def _write(path, rows: int) -> None:
    header = (
        '{n},"NAME {n}","-0- ","SDGT","","","","","","","",'
        '"Digital Currency Address - ETH 0x{a};"\n'
    )
    path.write_text("".join(header.format(n=90_000 + i, a=f"{i + 1:040x}") for i in range(rows)))


def test_kpr_22__sanctions_list__read_again_when_due_and_a_failed_read_keeps_the_list(tmp_path):
    source = tmp_path / "sdn.csv"
    _write(source, 1)
    lists = RefreshingList(str(source), interval=60, now=1_000)
    assert len(lists.current.by_address) == 1 and lists.loaded_at == 1_000
    _write(source, 3)
    assert lists.refresh(1_030) is False  # not due
    assert len(lists.current.by_address) == 1
    assert lists.refresh(1_060) is True and len(lists.current.by_address) == 3
    assert lists.loaded_at == 1_060
    assert lists.refresh(1_120) is False  # due, read, same version
    assert lists.loaded_at == 1_120
    source.unlink()
    with pytest.raises(QuanteraError):
        lists.refresh(1_180)
    assert lists.failures == 1 and lists.loaded_at == 1_120 and len(lists.current.by_address) == 3
    assert lists.refresh(1_200) is False  # tried at 1_180: not asked again before 1_240
    # A list that lost more than half its addresses (a truncated or emptied download) is refused.
    source.write_text("")
    with pytest.raises(QuanteraError, match="refused"):
        lists.refresh(1_240)
    _write(source, 1)
    with pytest.raises(QuanteraError, match="refused"):
        lists.refresh(1_300)
    assert lists.failures == 3 and len(lists.current.by_address) == 3
    _write(source, 2)  # two of three kept: a real delisting, accepted
    assert lists.refresh(1_360) is True and len(lists.current.by_address) == 2
    for interval in (0, -1, float("nan"), float("inf"), 86_401):
        with pytest.raises(QuanteraError, match="interval"):
            RefreshingList(str(source), interval=interval, now=0)
    source.write_text("")
    with pytest.raises(QuanteraError, match="no address"):
        RefreshingList(str(source), interval=60, now=0)


def test_kpr_22__sanctions_list__only_https_or_loopback_http_and_any_failure_one_error(tmp_path):
    from keepers.compliance.screening import load_sanctions

    with pytest.raises(QuanteraError, match="only https"):
        load_sanctions("http://lists.example/sdn.csv")
    with pytest.raises(QuanteraError, match="only https"):
        load_sanctions("file:///etc/passwd")
    # A CSV the reader cannot parse (a field over its size limit) is the list not read.
    bad = tmp_path / "bad.csv"
    bad.write_text('1,"' + "x" * 200_000 + '"\n')
    with pytest.raises(QuanteraError, match="cannot read sanctions list"):
        load_sanctions(str(bad))


def test_kpr_22__console_route_labels__bounded():
    from keepers.console.observe import method_label

    assert method_label("get") == "GET" and method_label("X" * 16_000) == "other"
    known = frozenset({"risk", "api", "metrics"})
    assert route_label("/", known) == "/"
    assert route_label("/risk", known) == "/risk"
    assert route_label("/api/risk", known) == "/api"
    assert route_label("/wp-admin/x", known) == "other"
    assert route_label("/" + "a" * 1000, known) == "other"


def test_kpr_21__domain_figures__feeds_pending_requests_and_margin():
    from keepers.lifecycle.funds import pending_requests
    from keepers.prime.metrics import export_metrics
    from keepers.risk.feed_health import feed_health

    class Feed:
        def latestRoundData(self):  # noqa: N802 - the feed's ABI
            return (7, 101_000_000, 0, 1_000, 7)

        def getRoundData(self, round_id):  # noqa: N802
            assert round_id == 6
            return (6, 100_000_000, 0, 900, 6)

    class Router:
        def priceOf(self, token):  # noqa: N802
            return (2, 10**18, 1_000)

    health = feed_health(Feed(), Router(), "0xtoken", block_time=1_600)
    assert (health.age_seconds, health.last_move_bps, health.status) == (600, 100, 2)
    assert health.deviation_bps is None  # not asked: no secondary read

    # Issue 33 §5, "feed deviation": the primary (8 decimals, 1.01) against the router's
    # secondary (18 decimals, 1.00): 100 bps of the smaller, as the router measures it.
    class Secondary:
        def latestRoundData(self):  # noqa: N802
            return (3, 10**18, 0, 1_500, 3)

        def decimals(self):
            return 18

    class CrossChecked(Router):
        def feedOf(self, token):  # noqa: N802 - FeedConfig in its field order
            return ("0xprimary", 3_600, "0x" + "5e" * 20, 3_600, 250, 0, 10**30)

    Feed.decimals = lambda self: 8
    health = feed_health(Feed(), CrossChecked(), "0xtoken", 1_600, lambda a: Secondary())
    assert (health.deviation_bps, health.max_deviation_bps) == (100, 250)

    class Alone(Router):
        def feedOf(self, token):  # noqa: N802
            return ("0xprimary", 3_600, "0x" + "00" * 20, 0, 0, 0, 10**30)

    assert feed_health(Feed(), Alone(), "0xtoken", 1_600, lambda a: 1 / 0).deviation_bps is None

    usdc, share = SimpleNamespace(address="0xusdc"), SimpleNamespace(address="0xshare")

    class Vault:
        address = "0xvault"

        def dealing(self):
            return (3, 0, 2_500_000_000, 4 * 10**18, 0, 0)

    fund = SimpleNamespace(parts=lambda: [(Vault(), usdc)], share=share)
    asked: list[str] = []

    def decimals_of(token: str) -> int:  # the keepers' cache (token_decimals) by default
        asked.append(token)
        return {"0xusdc": 6, "0xshare": 18}[token]

    assert pending_requests(fund, decimals_of) == [("0xvault", 2_500.0, 4.0)]
    assert asked == ["0xusdc", "0xshare"]  # each token's decimals, by address

    export_metrics(
        {
            "calls_open": 2,
            "below_maintenance": 3,
            "liquidatable": 1,
            "confirmed": 1,
            "reverted": 2,
            "outcomes": {
                "0xa": {"liquidation": {"action": "failed"}},
                "0xc": {"liquidation": {"action": "liquidated"}},
                "0xb": {"margin_call": {}},
            },
        },
        "kpr21",
    )
    assert sample("quantera_prime_margin_calls_open", keeper="kpr21") == 2
    assert sample("quantera_prime_accounts_below_maintenance", keeper="kpr21") == 3
    assert sample("quantera_prime_accounts_liquidatable", keeper="kpr21") == 1
    for outcome, count in (("refused", 1), ("sent", 1), ("confirmed", 1), ("reverted", 2)):
        assert sample("quantera_prime_liquidations_total", keeper="kpr21", outcome=outcome) == count
    export_metrics({"skipped": True}, "kpr21")
    assert sample("quantera_prime_margin_calls_open", keeper="kpr21") == 2
    # A process that is not the margin keeper exports none of its gauges (no phantom zeros).
    assert sample("quantera_prime_margin_calls_open", keeper="prime") is None


def test_kpr_21__metrics_read_failure__counted_never_raised(caplog):
    def broken():
        raise ConnectionError("https://node.example/v3/SECRETKEY down")

    with caplog.at_level(logging.WARNING, logger="quantera"):
        metrics.guarded("kpr21g", broken)
    assert sample("quantera_keeper_metric_read_errors_total", keeper="kpr21g") == 1
    assert "SECRETKEY" not in caplog.text and "node.example" in caplog.text


def test_kpr_20__every_keeper__its_block_handler_observed():
    """Every keeper module (one that builds a `keeper_bot`) decorates its block handler with
    `metrics.observed` under its own name: a new keeper cannot be started unwatched."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "keepers"
    keepers = {}
    for path in root.rglob("*.py"):
        text = path.read_text()
        found = re.search(r'^bot = keeper_bot\("([a-z-]+)"\)', text, re.M)
        if found:
            keepers[path.relative_to(root).as_posix()] = (found.group(1), text)
    assert len(keepers) >= 7, sorted(keepers)
    for path, (name, text) in keepers.items():
        assert f'@bot.on_(chain.blocks)\n@observed("{name}")\n' in text, path
        # Every cron task too (the signal keeper's hourly run and weekly retraining).
        for cron in re.findall(r"^@bot\.cron\([^)]*\)\n(.*)$", text, re.M):
            assert cron == f'@observed("{name}")', (path, cron)


def test_kpr_20__cron_task__counted_without_a_block():
    handler = metrics.observed("kpr20cron", head=lambda: 1)(lambda now: {"retrained": True})
    assert handler("2029-01-01T03:00:00Z") == {"retrained": True}
    assert sample("quantera_keeper_cycles_total", keeper="kpr20cron") == 1
    assert sample("quantera_keeper_last_cycle_timestamp_seconds", keeper="kpr20cron") > 1.7e9
    assert sample("quantera_keeper_last_block", keeper="kpr20cron") is None
