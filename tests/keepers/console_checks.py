"""Helpers shared by the console's browser tests (tests/keepers/console/)."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import wait_for

SCREENSHOTS = Path(os.environ.get("QUANTERA_SCREENSHOTS", "reports/console"))


def open_page(page, console_url: str, slug: str) -> None:
    """Navigates to a console page and waits until its live feed is connected."""
    response = page.goto(f"{console_url}/{slug}")
    assert response is not None and response.ok, f"/{slug}: {response and response.status}"
    feed = page.locator("#feed")
    wait_for(lambda: feed.inner_text() == "live" or None, f"/{slug}'s live feed")


def live_text(page) -> str:
    return page.locator("#live").inner_text()


def frozen(page):
    """A copy of the live part as it is now, to read one block's figures from: a new block may
    swap #live between two reads (the copy's id is `frozen`)."""
    page.evaluate(
        "() => { document.getElementById('frozen')?.remove();"
        " const c = document.getElementById('live').cloneNode(true);"
        " c.id = 'frozen'; document.body.appendChild(c); }"
    )
    return page.locator("#frozen")


def load_seconds(page) -> float:
    """The page's load time as the browser measured it (navigation start to load end)."""
    return page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return (n.loadEventEnd - n.startTime) / 1000; }"
    )


def screenshot(page, name: str) -> Path:
    """A screenshot of the window the test saw (1400x1000), for the README
    (reports/console/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def fresh_address(w3, salt: str) -> str:
    """An address no test used before on this chain (from the head block and `salt`), so a test
    re-run against a reused demo never meets its own earlier operation."""
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(keccak(text=f"{salt}:{w3.eth.block_number}")[:20])
