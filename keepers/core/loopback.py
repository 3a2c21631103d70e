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
by `keepers.core` on import, so every process that talks to a chain through the keepers has it."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting

_MARK = "_quantera_loopback"


def is_loopback_http(url: str) -> bool:
    """Whether `url` is plain HTTP to a loopback host."""
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
