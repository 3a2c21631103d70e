"""FND-18: requests skips its per-request environment scan for plain HTTP to a loopback node, and
only there (keepers/core/loopback.py)."""

from __future__ import annotations

import pytest
import requests

import keepers.core  # noqa: F401  (installs the shortcut, as every keeper process does)
from keepers.core.loopback import is_loopback_http, skip_environment_for_loopback

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
