"""Helpers shared by the console's tests (tests/keepers/console/): its browser tests', and
`served` for the tests that need the app behind a real server (an event loop that one request
could hold)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


def as_of_block(page, w3) -> int:
    """The block a (frozen) page says it shows, once the chain has mined past it: a loaded anvil
    can answer a read at its head block from the block it is mining as it answers (that block's
    state and time: one more second of interest on a pool's debt), so the test's own reads at the
    page's block wait until that block is no longer the head."""
    block = int(page.locator("[data-testid=as-of]").get_attribute("data-block"))
    wait_for(lambda: w3.eth.block_number > block or None, f"the chain to move past block {block}")
    return block


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


@contextmanager
def served(app) -> Iterator[str]:
    """`app` served by uvicorn on 127.0.0.1 (a port of its own) until the block ends."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or None, "the console to serve")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


def propose_demo_upgrade(
    chain_reads, new_code: str, sender: str, proxy: str | None = None
) -> tuple[str, str, tuple]:
    """`proxy` (default: a new GovernedProxy the demo's UpgradeAuthority administers, over the
    record's OracleRouter code, deployed by `sender`: a proxy no deployment recorded, so each call
    proposes anew and a veto bars nothing another test proposes)
    and its move to `new_code` proposed by an UPGRADER of the demo: (proxy, upgrade id, the
    arguments)."""
    import json

    from keepers.access import ROLE_IDS
    from keepers.core.artifacts import BUILD_MANIFEST

    w3 = chain_reads.w3
    manager = chain_reads.contract("QuanteraAccessManager")
    authority = chain_reads.contract("UpgradeAuthority")
    upgrader = next(
        account
        for account in w3.eth.accounts[:10]
        if manager.functions.hasRole(ROLE_IDS["UPGRADER"], account).call()[0]
    )
    if proxy is None:
        built = json.loads(BUILD_MANIFEST.read_text())["contractTypes"]["GovernedProxy"]
        bytecode = built["deploymentBytecode"]["bytecode"]
        factory = w3.eth.contract(abi=built["abi"], bytecode=bytecode)
        router = chain_reads.record["contracts"]["OracleRouter"]
        tx = factory.constructor(router, authority.address, b"").transact({"from": sender})
        proxy = w3.eth.wait_for_transaction_receipt(tx).contractAddress
    arguments = (proxy, new_code, b"")
    tx = authority.functions.propose(*arguments).transact({"from": upgrader})
    w3.eth.wait_for_transaction_receipt(tx)
    return proxy, "0x" + authority.functions.upgradeId(*arguments).call().hex(), arguments
