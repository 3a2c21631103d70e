"""Submission through a private transaction endpoint (issue 5, MEV protection): the keeper signs
locally and sends `eth_sendRawTransaction` to the configured URL only; off by default."""

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from isolation import isolated
from keepers.liquidity.submit import PRIVATE_RPC_ENV, private_rpc, send


class _Relay(BaseHTTPRequestHandler):
    """A stand-in private endpoint: records each method and relays it to the test chain."""

    seen: list[str] = []
    upstream = ""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Relay.seen.append(json.loads(body)["method"])
        request = urllib.request.Request(
            _Relay.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def test_private_rpc__off_by_default_and_used_only_when_configured(liquidity, chain, monkeypatch):
    monkeypatch.delenv(PRIVATE_RPC_ENV, raising=False)
    assert private_rpc(None) is None
    monkeypatch.setenv(PRIVATE_RPC_ENV, "http://relay.example")
    assert private_rpc(None) == "http://relay.example" and private_rpc("http://cli") == "http://cli"

    _Relay.seen, _Relay.upstream = [], chain.provider.uri
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Relay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    usdc, trader, spender = liquidity.tokens["USDC"], liquidity.trader, liquidity.aggregator
    try:
        with isolated(chain):
            receipt = send(
                trader,
                usdc.approve,
                spender.address,
                1_234,
                private_url=f"http://127.0.0.1:{server.server_port}",
            )
            assert receipt.status == 1 and usdc.allowance(trader, spender) == 1_234
            assert _Relay.seen == ["eth_sendRawTransaction"]
            send(trader, usdc.approve, spender.address, 0)  # no private URL: the public provider
            assert (
                _Relay.seen == ["eth_sendRawTransaction"] and usdc.allowance(trader, spender) == 0
            )
    finally:
        server.shutdown()
