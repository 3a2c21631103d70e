"""RPC to a node on this machine without requests' per-request environment scan.

requests (web3's HTTP transport, so ape's and silverback's) re-reads the proxy settings from the
environment on every request: `Session.merge_environment_settings` walks `os.environ` twice
(`get_environ_proxies`, then `proxy_bypass`). Against a local anvil, where a request is a few
hundred microseconds of work, that walk was 17% of a contract-test process's CPU (py-spy over
`tests/contracts/prime/test_prime_broker_stateful.py`; benchmarks/test_cpu.md).

`skip_environment_for_loopback()` makes requests skip that scan for plain-HTTP URLs whose host is
a loopback address (127.0.0.0/8, ::1, localhost): a proxy in front of a node on this machine is
never wanted, and a CA bundle does not apply to plain HTTP. Every other URL — a remote RPC endpoint
behind a corporate proxy, HTTPS — goes through requests' own code unchanged. Idempotent; installed
by `keepers.core` on import, so every process that talks to a chain through the keepers has it.

`post_loopback_over_http_client()` goes one step further for the same URLs: web3's JSON-RPC POSTs
to a loopback node are sent over the standard library's `http.client`, one kept-alive connection
per thread and endpoint, instead of through requests and urllib3. Against a local anvil a request
through requests costs about 0.58 ms of CPU and through `http.client` about 0.10 ms (3,000
`eth_blockNumber` each way); a contract-test process sends about 500 requests a second, so that
was about a fifth of its CPU (benchmarks/test_cpu.md). The answers are the same bytes; failures
raise requests' own exceptions (`ConnectionError`, `ConnectTimeout`, `ReadTimeout`, `HTTPError`
with a `Response` carrying the status and body), which web3, ape and the keepers already handle.
A connection the node closed while idle is noticed before reuse (a non-blocking peek) and
replaced, as urllib3 does; the transport never sends a request twice. Streaming requests and
every other URL go through requests unchanged.

`poll_loopback_receipts_quickly()`: web3 waits for a receipt by asking once, then every 100 ms.
anvil mines an automined transaction just after `eth_sendRawTransaction` answers, so a client
that asks fast enough (as it does over `http.client`) finds no receipt on its first try and sleeps
100 ms a transaction: a whole deployment's worth of sleeps (11 s more wall for the keeper tests'
`deploy_state`). Against a loopback node the first 100 ms are polled at 1, 2, 4, ... 32 ms
instead (never past the timeout), then web3's own wait takes over with what is left of it, and a
wait that runs out says the timeout asked for, as web3's does."""

from __future__ import annotations

import functools
import http.client
import ipaddress
import os
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict

_MARK = "_quantera_loopback"
# web3's own default when a provider names none (web3._utils.http.DEFAULT_HTTP_TIMEOUT).
DEFAULT_TIMEOUT_S = 30.0


@functools.lru_cache(maxsize=64)
def is_loopback_http(url: str) -> bool:
    """Whether `url` is plain HTTP to a loopback host (asked on every request: cached by URL)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def skip_environment_for_loopback() -> None:
    """Installs the loopback shortcut on `requests.Session` (once)."""
    session = requests.Session
    original = session.merge_environment_settings
    if getattr(original, _MARK, False):
        return

    def merge_environment_settings(
        self: requests.Session, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if not is_loopback_http(url):
            return original(self, url, proxies, stream, verify, cert)
        # requests' own merge with `trust_env` off: the session's settings, no environment.
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    setattr(merge_environment_settings, _MARK, True)
    session.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign]


#: Kept-alive connections a thread keeps (its most recent endpoints); older ones are closed.
MAX_CONNECTIONS_PER_THREAD = 8


class _Connections(threading.local):
    """This thread's kept-alive connections by endpoint, newest last, and the process they were
    opened in: a forked child closes its copies and opens its own."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.by_endpoint: dict[tuple[str, int], http.client.HTTPConnection] = {}


_CONNECTIONS = _Connections()


def _timeouts(timeout: Any) -> tuple[float | None, float | None] | None:
    """requests' `timeout` (None, one number, or a (connect, read) pair) as (connect, read);
    None for any other form (urllib3's Timeout, a list), which goes to requests."""
    if timeout is None or isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return timeout, timeout
    if isinstance(timeout, tuple) and len(timeout) == 2:
        if all(t is None or isinstance(t, (int, float)) for t in timeout):
            return timeout[0], timeout[1]
    return None


def _idle_and_open(sock: socket.socket) -> bool:
    """Whether a kept-alive socket is still open with nothing unasked-for on it: a peek that
    would block. Read as ready (the node closed it, or sent bytes no request asked for), it is
    replaced before sending, as urllib3 does. A peek, not select(): select refuses descriptors
    past 1023."""
    sock.settimeout(0)  # non-blocking: with a timeout set, Python would wait for data instead
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False  # b"" (closed by the node) or bytes no request asked for


def _connection(host: str, port: int, connect_timeout: float | None) -> http.client.HTTPConnection:
    """This thread's open connection to host:port; a new one if it has none or the node closed
    it. At most MAX_CONNECTIONS_PER_THREAD are kept, the least recently used closed first."""
    if _CONNECTIONS.pid != os.getpid():
        for inherited in _CONNECTIONS.by_endpoint.values():
            inherited.close()  # the child's copy of the descriptor; the parent's stays open
        _CONNECTIONS.by_endpoint.clear()
        _CONNECTIONS.pid = os.getpid()
    key = (host, port)
    conn = _CONNECTIONS.by_endpoint.pop(key, None)
    if conn is not None and conn.sock is not None and not _idle_and_open(conn.sock):
        conn.close()
        conn = None
    if conn is None:
        conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
    _CONNECTIONS.by_endpoint[key] = conn  # the newest last
    while len(_CONNECTIONS.by_endpoint) > MAX_CONNECTIONS_PER_THREAD:
        oldest = next(iter(_CONNECTIONS.by_endpoint))
        _CONNECTIONS.by_endpoint.pop(oldest).close()
    return conn


def _drop(host: str, port: int) -> None:
    conn = _CONNECTIONS.by_endpoint.pop((host, port), None)
    if conn is not None:
        conn.close()


def _http_error(url: str, response: http.client.HTTPResponse, body: bytes, why: str) -> None:
    """Raises requests' HTTPError with a `Response` holding the status, headers and body."""
    failed = requests.Response()
    failed.status_code = response.status
    failed.reason = response.reason
    failed.url = url
    failed.headers = CaseInsensitiveDict(response.getheaders())
    failed._content = body
    if why:
        raise requests.HTTPError(f"{response.status} {why} for url: {url}", response=failed)
    failed.raise_for_status()


@functools.lru_cache(maxsize=64)
def loopback_target(url: str) -> tuple[str, int, str] | None:
    """(host, port, path) of a loopback plain-HTTP URL without credentials and with a valid port;
    None for any other (an out-of-range port goes to requests, which refuses it with its own
    InvalidURL). Parsed once per URL: it is asked on every request."""
    if not is_loopback_http(url):
        return None
    parts = urlsplit(url)
    try:
        port = parts.port or 80
    except ValueError:
        return None
    if parts.username is not None:
        return None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.hostname or "localhost", port, path


def post_over_http_client(
    url: str, data: bytes, headers: dict[str, str], timeout: tuple[float | None, float | None]
) -> bytes:
    """POSTs `data` to the loopback `url` on this thread's kept-alive connection; the body, or
    requests' exception for what went wrong. `timeout` is (connect, read). Any failure, an
    interrupt included, closes the connection: a half-read answer is never read as the next
    request's."""
    target = loopback_target(url)
    if target is None:
        raise ValueError(f"{url}: not a plain-HTTP loopback URL")
    host, port, path = target
    connect_timeout, read_timeout = timeout
    conn = _connection(host, port, connect_timeout)
    try:
        if conn.sock is None:
            try:
                conn.connect()
            except TimeoutError as err:
                raise requests.exceptions.ConnectTimeout(f"{url}: {err}") from err
        conn.sock.settimeout(read_timeout)
        conn.request("POST", path, body=data, headers=headers)
        response = conn.getresponse()
        body = response.read()
    except BaseException as err:
        _drop(host, port)
        if isinstance(err, requests.exceptions.RequestException):
            raise
        if isinstance(err, TimeoutError):
            raise requests.exceptions.ReadTimeout(f"{url}: {err}") from err
        if isinstance(err, http.client.IncompleteRead):
            # what requests raises for a body cut short (web3 does not retry it)
            raise requests.exceptions.ChunkedEncodingError(f"{url}: {err!r}") from err
        if isinstance(err, (OSError, http.client.HTTPException)):
            raise requests.exceptions.ConnectionError(f"{url}: {err!r}") from err
        raise  # an interrupt, or a bug: as it is
    if response.will_close:
        _drop(host, port)
    if 300 <= response.status < 400:
        # requests would follow it (a POST's 301/302 as a GET); a JSON-RPC node does not
        # redirect, and following could send the request twice: refused, as an HTTP error
        _http_error(url, response, body, "redirect not followed for a node on this machine")
    if response.status >= 400:
        _http_error(url, response, body, "")
    return body


#: The request options the `http.client` path honours; any other goes to requests.
_PLAIN_KWARGS = frozenset({"headers", "timeout", "stream"})


def post_loopback_over_http_client() -> None:
    """Sends web3's non-streaming POSTs to loopback plain-HTTP URLs over `http.client` (once)."""
    from web3._utils.http_session_manager import HTTPSessionManager

    original = HTTPSessionManager.make_post_request
    if getattr(original, _MARK, False):
        return

    def make_post_request(
        self: HTTPSessionManager, endpoint_uri: Any, data: Any, **kwargs: Any
    ) -> bytes:
        timeout = _timeouts(kwargs.get("timeout", DEFAULT_TIMEOUT_S))
        if (
            kwargs.get("stream")
            or timeout is None
            or not isinstance(data, bytes)
            or not set(kwargs) <= _PLAIN_KWARGS
            or getattr(self, "_explicit_session", None) is not None
            or self.session_cache
            or loopback_target(str(endpoint_uri)) is None
        ):
            # streaming, a timeout of another form, requests' own options (auth, proxies, ...),
            # a session the caller gave the provider (or one made for any of these: that
            # provider then stays on requests, only slower), credentials in the URL (requests
            # sends them as basic auth) or a port out of range: requests, as before
            return original(self, endpoint_uri, data, **kwargs)
        headers = dict(kwargs.get("headers") or {})
        return post_over_http_client(str(endpoint_uri), data, headers, timeout)

    setattr(make_post_request, _MARK, True)
    HTTPSessionManager.make_post_request = make_post_request  # type: ignore[method-assign]


#: web3's default receipt poll interval, the one the quick polls stand in for at first.
WEB3_RECEIPT_POLL_S = 0.1
#: The quick polls' sleeps: 1, 2, 4, ... ms, summing to web3's first interval.
QUICK_RECEIPT_SLEEPS_S = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.037)


def quick_receipt_sleeps(timeout: float) -> list[float]:
    """The quick polls' sleeps for a wait of `timeout` seconds: never more than it, in all."""
    sleeps, left = [], min(WEB3_RECEIPT_POLL_S, timeout)
    for sleep in QUICK_RECEIPT_SLEEPS_S:
        if left <= 0:
            break
        sleeps.append(round(min(sleep, left), 6))
        left -= sleep
    return sleeps


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _endpoint_uri(provider: Any) -> Any:
    """The provider's URL; through web3's AutoProvider (ape's node providers), its active one's."""
    uri = getattr(provider, "endpoint_uri", None)
    if uri is None:
        uri = getattr(getattr(provider, "_active_provider", None), "endpoint_uri", None)
    return uri


def poll_loopback_receipts_quickly() -> None:
    """Makes web3's receipt wait poll a loopback node quickly for its first 100 ms (once)."""
    from hexbytes import HexBytes
    from web3.eth import Eth
    from web3.exceptions import TimeExhausted, TransactionIndexingInProgress, TransactionNotFound

    original = Eth.wait_for_transaction_receipt
    if getattr(original, _MARK, False):
        return

    def wait_for_transaction_receipt(
        self: Eth,
        transaction_hash: Any,
        timeout: float = 120,
        poll_latency: float = WEB3_RECEIPT_POLL_S,
    ) -> Any:
        uri = _endpoint_uri(self.w3.provider)
        if (
            timeout is None
            or poll_latency != WEB3_RECEIPT_POLL_S
            or uri is None
            or not is_loopback_http(str(uri))
        ):
            return original(self, transaction_hash, timeout, poll_latency)
        started = time.monotonic()
        for sleep in [*quick_receipt_sleeps(timeout), None]:
            try:
                return self.get_transaction_receipt(transaction_hash)
            except (TransactionNotFound, TransactionIndexingInProgress):
                pass
            if sleep is None or time.monotonic() - started + sleep > timeout:
                break
            _sleep(sleep)
        # web3's own wait for the rest of the timeout (the quick phase's asks counted in it)
        left = max(timeout - (time.monotonic() - started), 0.0)
        try:
            return original(self, transaction_hash, left, poll_latency)
        except TimeExhausted:
            raise TimeExhausted(
                f"Transaction {HexBytes(transaction_hash)!r} is not in the chain "
                f"after {timeout} seconds"
            ) from None

    setattr(wait_for_transaction_receipt, _MARK, True)
    Eth.wait_for_transaction_receipt = wait_for_transaction_receipt  # type: ignore[method-assign]
