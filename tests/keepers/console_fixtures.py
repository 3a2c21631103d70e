"""Fixtures of the console's browser tests (import them in a test module): the console against
the served demo, one server and one browser for the session.

The browser is Debian's chromium driven by Playwright (its own browser download is impossible
here). Without /usr/bin/chromium the browser tests are skipped with a loud reason; `make test`
installs it first when run as root with apt-get (CI).
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import BIN, wait_for

CHROMIUM = Path(os.environ.get("QUANTERA_CHROMIUM", "/usr/bin/chromium"))
CONSOLE_LINE = re.compile(r"console: (http://127\.0\.0\.1:\d+)/")


@pytest.fixture(scope="session")
def console_url(served_demo, tmp_path_factory):
    """`quantera console --port 0` on the served demo (found by default, as an operator would)."""
    log = tmp_path_factory.mktemp("console") / "console.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(BIN / "quantera"), "console", "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=served_demo.env,
        )

    def running() -> None:
        if proc.poll() is not None:
            raise AssertionError(
                f"quantera console exited with {proc.returncode}:\n{log.read_text()}"
            )

    def listening() -> str | None:
        running()
        found = CONSOLE_LINE.search(log.read_text())
        return found.group(1) if found else None

    def serving(url: str) -> bool | None:
        """The app answers: its start (the event index's first sync over the demo's history, a
        minute or more under `make test`'s load) is over, so a page's first load times the page,
        not the sync (a request sent earlier waits in the listen backlog)."""
        running()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=60) as response:
                return response.status == 200 or None
        except (OSError, urllib.error.URLError):
            return None

    try:
        url = wait_for(listening, "the console to listen", log)
        wait_for(lambda: serving(url), "the console to finish its start (/health)", log)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"BROWSER TESTS SKIPPED: no {CHROMIUM} (apt-get install chromium; `make test` does it "
            "when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def chain_reads(served_demo):
    """Direct chain reads for assertions (web3 on the demo's RPC, the compiled ABIs): what the
    pages show is checked against these, never against the console's own output."""
    from web3 import Web3

    from keepers.console.source import abi_name, load_abis

    w3 = Web3(Web3.HTTPProvider(served_demo.running.rpc_url))
    abis = load_abis()
    record = served_demo.record

    def contract(name: str, address: str | None = None, abi: str | None = None):
        return w3.eth.contract(
            address=Web3.to_checksum_address(address or record["contracts"][name]),
            abi=abis[abi or abi_name(name)],
        )

    return SimpleNamespace(w3=w3, record=record, contract=contract)
