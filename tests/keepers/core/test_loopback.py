"""FND-18: requests skips its per-request environment scan for plain HTTP to a loopback node, and
only there; FND-22: web3's JSON-RPC to a loopback node goes over `http.client` on a kept-alive
connection, with requests' own exceptions (keepers/core/loopback.py)."""

from __future__ import annotations

import http.server
import io
import json
import multiprocessing
import os
import resource
import socket
import threading
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from web3 import Web3
from web3._utils.http_session_manager import HTTPSessionManager
from web3.eth import Eth
from web3.exceptions import TimeExhausted
from web3.providers.auto import AutoProvider

import keepers.core  # noqa: F401  (installs the shortcut, as every keeper process does)
from keepers.core.loopback import (
    _CONNECTIONS,
    MAX_CONNECTIONS_PER_THREAD,
    is_loopback_http,
    poll_loopback_receipts_quickly,
    post_loopback_over_http_client,
    post_over_http_client,
    quick_receipt_sleeps,
    skip_environment_for_loopback,
)

PROXY = "http://proxy.example:3128"


@pytest.mark.parametrize(
    "url, loopback",
    [
        ("http://127.0.0.1:8545", True),
        ("http://127.9.9.9:1", True),
        ("http://localhost:8545/rpc", True),
        ("http://[::1]:8545", True),
        ("https://127.0.0.1:8545", False),  # TLS: a CA bundle may apply
        ("http://10.0.0.5:8545", False),
        ("http://rpc.example.com", False),
        ("ws://127.0.0.1:8546", False),
        ("not a url", False),
    ],
)
def test_is_loopback_http__plain_http_to_this_machine_only(url, loopback):
    assert is_loopback_http(url) is loopback


def test_merge_environment_settings__loopback_skips_the_environment_remote_keeps_it(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = requests.Session()
    session.proxies = {"ftp": "http://session-proxy:1"}  # the session's own settings still merge
    local = session.merge_environment_settings("http://127.0.0.1:8545", {}, None, None, None)
    assert local["proxies"] == {"ftp": "http://session-proxy:1"}
    assert local["verify"] is True and local["stream"] is False
    remote = session.merge_environment_settings("http://rpc.example.com", {}, None, None, None)
    assert remote["proxies"]["http"] == PROXY
    tls = session.merge_environment_settings("https://127.0.0.1:8545", {}, None, None, None)
    assert tls["proxies"]["https"] == PROXY  # not plain HTTP: requests' own code


def test_skip_environment_for_loopback__installed_once():
    installed = requests.Session.merge_environment_settings
    skip_environment_for_loopback()
    skip_environment_for_loopback()
    assert requests.Session.merge_environment_settings is installed


# ------------------------------------------------------------------ FND-22: http.client transport


TX_HASH = "0x" + "ab" * 32
RECEIPT = {"transactionHash": TX_HASH, "blockNumber": "0x5", "status": "0x1", "logs": []}


class _Node(http.server.BaseHTTPRequestHandler):
    """A JSON-RPC endpoint for the transport tests: answers `{"id", "result": <the body's method>}`
    on a kept-alive HTTP/1.1 connection; the method names a behaviour."""

    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[tuple[str, int]]] = set()
    requests: ClassVar[list[dict]] = []
    pending_polls: ClassVar[int] = 0

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        # headers and body are two writes: without this, Nagle and the client's delayed ACK
        # hold the body 40 ms (anvil answers in one write)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.connections.add(self.client_address)
        self.requests.append({"body": body, "headers": dict(self.headers)})
        method = body["method"]
        if method == "slow":
            time.sleep(1.0)
        status = {"fail": 500, "redirect": 307}.get(method, 200)
        result: Any = method
        if method == "eth_getTransactionReceipt":
            # null until the node has "mined" it, after `pending_polls` asks
            polls = sum(r["body"]["method"] == method for r in self.requests)
            result = None if polls <= self.pending_polls else RECEIPT
        payload = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": result}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if method == "redirect":
            self.send_header("Location", "http://127.0.0.1:1/")
        self.send_header("Content-Length", str(len(payload) + (50 if method == "truncated" else 0)))
        self.end_headers()
        self.wfile.write(payload)
        if method in ("close_after", "truncated"):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the node drops the idle connection
            self.close_connection = True


def _serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def node():
    _Node.connections = set()
    _Node.requests = []
    _Node.pending_polls = 0
    server, url = _serve()
    yield url
    server.shutdown()
    server.server_close()


def _post(url: str, method: str, timeout: Any = 5.0) -> bytes:
    data = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": []}).encode()
    pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return post_over_http_client(url, data, {"Content-Type": "application/json"}, pair)


def test_fnd_22__web3_to_a_loopback_node__same_answers_one_kept_alive_connection(node):
    w3 = Web3(Web3.HTTPProvider(node))
    answers = [w3.provider.make_request("eth_chainId", []) for _ in range(20)]
    assert all(answer["result"] == "eth_chainId" for answer in answers)
    assert len(_Node.requests) == 20  # each sent once
    assert len(_Node.connections) == 1  # and all on one connection
    assert not w3.provider._request_session_manager.session_cache  # no requests session made
    # web3's own headers reach the node (the transport passes them through)
    headers = _Node.requests[0]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("web3.py/")
    # the same bytes requests would have returned
    data = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "x", "params": []}).encode()
    via_requests = requests.post(node, data=data, headers={"Content-Type": "application/json"})
    assert _post(node, "x") == via_requests.content


def test_fnd_22__the_node_drops_an_idle_connection__a_new_one_nothing_sent_twice(node):
    assert json.loads(_post(node, "close_after"))["result"] == "close_after"
    time.sleep(0.2)  # the node's close reaches this side
    assert json.loads(_post(node, "after"))["result"] == "after"
    assert [r["body"]["method"] for r in _Node.requests] == ["close_after", "after"]
    assert len(_Node.connections) == 2


def test_fnd_22__http_error__requests_http_error_with_status_and_body(node):
    with pytest.raises(requests.HTTPError) as raised:
        _post(node, "fail")
    assert raised.value.response.status_code == 500
    assert raised.value.response.json()["result"] == "fail"  # what ape reads from it
    assert json.loads(_post(node, "next"))["result"] == "next"  # and the transport goes on


def test_fnd_22__read_timeout__requests_timeout_then_a_fresh_connection(node):
    with pytest.raises(requests.Timeout):
        _post(node, "slow", timeout=0.2)
    assert json.loads(_post(node, "next"))["result"] == "next"


def test_fnd_22__nothing_listening__requests_connection_error_as_before():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(requests.exceptions.ConnectionError):
        _post(url, "eth_chainId")
    # through web3 the error is the one keepers.core.chain and ape already handle
    w3 = Web3(Web3.HTTPProvider(url, exception_retry_configuration=None))
    with pytest.raises(requests.exceptions.RequestException):
        _ = w3.eth.chain_id


def test_fnd_22__threads__each_its_own_connection(node):
    def work():
        for _ in range(5):
            _post(node, "t")

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_Node.requests) == 15
    assert len(_Node.connections) == 3


def test_fnd_22__remote_https_streaming_credentials_or_options__through_requests_unchanged(
    monkeypatch,
):
    seen = []

    def fake_post(url, data, headers, timeout):
        seen.append(url)
        return b"{}"

    monkeypatch.setattr("keepers.core.loopback.post_over_http_client", fake_post)
    manager = HTTPSessionManager()
    sent = []

    def fake_session_post(self, url, *args, **kwargs):
        sent.append(url)
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"result": 1}'
        response._content_consumed = True
        response.raw = io.BytesIO()
        return response

    monkeypatch.setattr(requests.Session, "post", fake_session_post)
    for url in ("http://rpc.example.com", "https://127.0.0.1:8545", "http://u:p@127.0.0.1:8545"):
        assert manager.make_post_request(url, b"{}") == b'{"result": 1}'
    assert manager.make_post_request("http://127.0.0.1:8545", b"{}", stream=True)
    assert manager.make_post_request("http://127.0.0.1:8545", b"{}", auth=("u", "p"))
    assert sent == [
        "http://rpc.example.com",
        "https://127.0.0.1:8545",
        "http://u:p@127.0.0.1:8545",  # credentials in the URL: requests sends them
        "http://127.0.0.1:8545",  # streaming
        "http://127.0.0.1:8545",  # an option of requests' own
    ]
    # that manager made a requests session (for the streaming call): it keeps requests; a
    # manager without one takes the direct path
    assert HTTPSessionManager().make_post_request("http://127.0.0.1:8545", b"{}") == b"{}"
    assert seen == ["http://127.0.0.1:8545"]


def test_fnd_22__installed_once():
    installed = HTTPSessionManager.make_post_request
    post_loopback_over_http_client()
    post_loopback_over_http_client()
    assert HTTPSessionManager.make_post_request is installed


def _receipt_polls() -> int:
    return sum(r["body"]["method"] == "eth_getTransactionReceipt" for r in _Node.requests)


def test_fnd_22__receipt_not_mined_yet__polled_at_1_2_4_ms_not_100(node, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("keepers.core.loopback._sleep", slept.append)
    _Node.pending_polls = 3
    receipt = Web3(Web3.HTTPProvider(node)).eth.wait_for_transaction_receipt(TX_HASH)
    assert receipt["blockNumber"] == 5 and receipt["status"] == 1
    assert _receipt_polls() == 4
    assert slept == [0.001, 0.002, 0.004]  # web3 alone: one 0.1 s sleep after each null


@pytest.mark.parametrize("timeout", [0.3, 0.05, 0.0])
def test_fnd_22__receipt_never_mined__quick_then_web3_s_wait__time_exhausted_says_the_timeout(
    node, monkeypatch, timeout
):
    slept: list[float] = []
    monkeypatch.setattr("keepers.core.loopback._sleep", slept.append)
    _Node.pending_polls = 10**6
    with pytest.raises(TimeExhausted, match=f"after {timeout} seconds"):
        Web3(Web3.HTTPProvider(node)).eth.wait_for_transaction_receipt(TX_HASH, timeout=timeout)
    # the quick polls never sleep past the timeout, nor past web3's first 100 ms (the asks'
    # own time counts: on a slow machine the schedule stops early)
    assert slept == quick_receipt_sleeps(timeout)[: len(slept)]
    assert sum(slept) <= min(timeout, 0.1) + 1e-9
    assert _receipt_polls() >= len(slept) + 1


@pytest.mark.parametrize("timeout", [0.0, 0.0005, 0.05, 0.1, 0.3, 120])
def test_fnd_22__quick_receipt_sleeps__1_2_4_ms_summing_to_the_timeout_or_100_ms(timeout):
    sleeps = quick_receipt_sleeps(timeout)
    assert sleeps == sorted(sleeps) or len(sleeps) > 1 and sleeps[:-1] == sorted(sleeps[:-1])
    assert abs(sum(sleeps) - min(timeout, 0.1)) < 1e-9
    assert all(s > 0 for s in sleeps)


def test_fnd_22__receipt_wait_without_a_timeout__web3_s_own(node, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("keepers.core.loopback._sleep", slept.append)
    _Node.pending_polls = 1
    w3 = Web3(Web3.HTTPProvider(node))
    assert w3.eth.wait_for_transaction_receipt(TX_HASH, timeout=None)["status"] == 1
    assert slept == []  # web3's wait, not the quick polls (it used to raise TypeError)


def test_fnd_22__receipt_on_a_remote_node_or_a_chosen_latency__web3_s_own_wait(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("keepers.core.loopback.time.sleep", slept.append)

    class Node(Web3.HTTPProvider):
        """Answers a receipt on every second ask, without a network."""

        asked = 0

        def make_request(self, method, params):
            Node.asked += 1
            result = RECEIPT if Node.asked % 2 == 0 else None
            return {"jsonrpc": "2.0", "id": 1, "result": result}

    remote = Web3(Node("http://rpc.example.com"))
    assert remote.eth.wait_for_transaction_receipt(TX_HASH)["status"] == 1
    local = Web3(Node("http://127.0.0.1:1"))
    assert local.eth.wait_for_transaction_receipt(TX_HASH, poll_latency=0.5)["status"] == 1
    assert slept == [0.1, 0.5]  # web3's own polls, at web3's or the caller's interval


def test_fnd_22__receipt_through_web3_s_auto_provider__its_active_node_s_url(node, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("keepers.core.loopback._sleep", slept.append)
    _Node.pending_polls = 1
    auto = AutoProvider(potential_providers=[lambda: Web3.HTTPProvider(node)])
    w3 = Web3(auto)
    w3.provider.make_request("web3_clientVersion", [])  # ape's provider has answered by then
    assert w3.eth.wait_for_transaction_receipt(TX_HASH)["status"] == 1
    assert slept == [0.001]  # ape's node providers wrap theirs in an AutoProvider


def test_fnd_22__receipt_polling_installed_once():
    installed = Eth.wait_for_transaction_receipt
    poll_loopback_receipts_quickly()
    assert Eth.wait_for_transaction_receipt is installed


def test_fnd_22__descriptors_past_1023__a_kept_connection_still_reused(node):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1_200
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    read_end, write_end = os.pipe()
    held = []
    try:
        while not held or held[-1] < 1_100:  # the next socket's descriptor is above 1023
            held.append(os.dup(read_end))
        assert json.loads(_post(node, "first"))["result"] == "first"
        assert json.loads(_post(node, "second"))["result"] == "second"  # select() raised here
        assert len(_Node.connections) == 1
    finally:
        for fd in (*held, read_end, write_end):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_fnd_22__interrupted_while_reading__the_next_request_reads_its_own_answer(
    node, monkeypatch
):
    original_read = http.client.HTTPResponse.read
    interrupted = []

    def read_then_interrupt(self, *args):
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt  # Ctrl-C, or the demo's SIGTERM handler, mid-answer
        return original_read(self, *args)

    monkeypatch.setattr(http.client.HTTPResponse, "read", read_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _post(node, "first")
    assert json.loads(_post(node, "second"))["result"] == "second"
    assert [r["body"]["method"] for r in _Node.requests] == ["first", "second"]


def test_fnd_22__forked_child__closes_its_copies_opens_its_own_the_parent_s_untouched(node):
    assert json.loads(_post(node, "parent"))["result"] == "parent"
    inherited = next(iter(_CONNECTIONS.by_endpoint.values()))
    context = multiprocessing.get_context("fork")
    answers = context.Queue()

    def child():
        answer = json.loads(_post(node, "child"))["result"]
        own = next(iter(_CONNECTIONS.by_endpoint.values()))
        answers.put((answer, inherited.sock is None, own is not inherited))

    process = context.Process(target=child)
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert answers.get(timeout=5) == ("child", True, True)  # its copy closed, its own opened
    assert inherited.sock is not None  # the parent's connection is still open
    assert json.loads(_post(node, "parent again"))["result"] == "parent again"
    assert len(_Node.connections) == 2  # the parent's, kept; the child's own


def test_fnd_22__port_out_of_range__requests_invalid_url_as_before():
    w3 = Web3(Web3.HTTPProvider("http://127.0.0.1:99999", exception_retry_configuration=None))
    with pytest.raises(requests.exceptions.InvalidURL):
        w3.provider.make_request("eth_chainId", [])


def test_fnd_22__many_endpoints__a_thread_keeps_its_8_newest_connections():
    servers = [_serve() for _ in range(MAX_CONNECTIONS_PER_THREAD + 3)]
    try:
        for _, url in servers:
            assert json.loads(_post(url, "x"))["result"] == "x"
        kept = _CONNECTIONS.by_endpoint
        assert len(kept) == MAX_CONNECTIONS_PER_THREAD
        newest = {urlsplit(url).port for _, url in servers[-MAX_CONNECTIONS_PER_THREAD:]}
        assert {port for _, port in kept} == newest
    finally:
        for server, _ in servers:
            server.shutdown()
            server.server_close()


def test_fnd_22__redirect__an_http_error_not_followed(node):
    with pytest.raises(requests.HTTPError, match="redirect not followed") as raised:
        _post(node, "redirect")
    assert raised.value.response.status_code == 307
    assert [r["body"]["method"] for r in _Node.requests] == ["redirect"]  # sent once


def test_fnd_22__body_cut_short__requests_chunked_encoding_error_as_before(node):
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _post(node, "truncated")
    assert json.loads(_post(node, "next"))["result"] == "next"


def test_fnd_22__connect_timeout__requests_connect_timeout(node, monkeypatch):
    def timing_out(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", timing_out)
    with pytest.raises(requests.exceptions.ConnectTimeout):
        _post("http://127.0.0.1:9", "x")


def test_fnd_22__a_session_given_or_a_timeout_of_another_form__through_requests(node, monkeypatch):
    direct = []
    monkeypatch.setattr(
        "keepers.core.loopback.post_over_http_client",
        lambda *args: direct.append(args) or b'{"jsonrpc": "2.0", "id": 1, "result": "direct"}',
    )
    given = Web3(Web3.HTTPProvider(node, session=requests.Session()))
    assert given.provider.make_request("given", [])["result"] == "given"
    odd = Web3(Web3.HTTPProvider(node, request_kwargs={"timeout": urllib3.Timeout(5)}))
    assert odd.provider.make_request("odd", [])["result"] == "odd"
    unbounded = Web3(Web3.HTTPProvider(node, request_kwargs={"timeout": None}))
    assert unbounded.provider.make_request("unbounded", [])["result"] == "direct"
    assert [r["body"]["method"] for r in _Node.requests] == ["given", "odd"]
    assert len(direct) == 1 and direct[0][3] == (None, None)  # no timeout: http.client's too
