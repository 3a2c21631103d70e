"""CON-60..CON-64: the asset manager page against the served demo, in a real browser: portfolios as
the AutoRebalancer holds them, the book written from the page (a model defined and assigned,
shown live with the drift the chain's positions and prices give), bad input refused, the bulk
rebalance replaced by its CLI command without the operator's opt-in and started from the page with
it (progress and outcome shown live), client PDF reports.

The served demo ends in 2029 (its lifecycle act warps time), so its oracle answers are stale: the
module first re-stamps each feed's *current* answer as the demo's price reporter (test account 8;
the answers, hence every valuation, unchanged) so that positions can be valued."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest

from conftest import BIN, wait_for
from console_checks import fresh_address, load_seconds, open_page, screenshot
from console_fixtures import CONSOLE_LINE
from keepers.core.deploying import is_implementation

BPS = 10_000
USABLE_PRICE_STATUS = 3  # IOracleRouter.PriceStatus: Ok, PrimaryOnly, Fallback
PRICE_REPORTER = 8  # the demo's PRICE_REPORTER (no delay)
SIGNAL_KEEPER = "TEST::22"  # the demo's intent signer and bound relayer of its PortfolioVault
SKIPS = ("DriftBelowThreshold", "CooldownActive", "StrategyPaused", "NothingToTrade")


@pytest.fixture(scope="module", autouse=True)
def fresh_prices(chain_reads):
    """Each feed of the fund vault's assets re-stamped with its current answer when stale."""
    router = chain_reads.contract("OracleRouter")
    vault = chain_reads.contract("PortfolioVault")
    reporter = chain_reads.w3.eth.accounts[PRICE_REPORTER]
    for asset in vault.functions.assets().call():
        if router.functions.priceOf(asset).call()[0] < USABLE_PRICE_STATUS:
            continue
        feed = chain_reads.contract(
            "", router.functions.feedOf(asset).call()[0], "ReporterPriceFeed"
        )
        answer = feed.functions.latestRoundData().call()[1]
        tx = feed.functions.report(answer).transact({"from": reporter})
        chain_reads.w3.eth.wait_for_transaction_receipt(tx)
        assert router.functions.priceOf(asset).call()[0] < USABLE_PRICE_STATUS


@pytest.fixture(scope="module")
def signing_console(served_demo, tmp_path_factory):
    """`quantera console --signer TEST::22 --relayer TEST::22`: the operator's opt-in."""
    log = tmp_path_factory.mktemp("manager-console") / "console.log"
    argv = [str(BIN / "quantera"), "console", "--port", "0"]
    argv += ["--signer", SIGNAL_KEEPER, "--relayer", SIGNAL_KEEPER]
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=served_demo.env)

    def listening() -> str | None:
        if proc.poll() is not None:
            raise AssertionError(f"the console exited with {proc.returncode}:\n{log.read_text()}")
        found = CONSOLE_LINE.search(log.read_text())
        return found.group(1) if found else None

    def serving(url: str) -> str | None:
        try:  # the socket is bound before the event index's first sync; it answers after
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                return url if response.status == 200 else None
        except OSError:
            return None

    try:
        url = wait_for(listening, "the signing console to listen", log)
        yield wait_for(lambda: serving(url), "the signing console to serve", log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _chain_state(chain_reads, vault: str) -> dict:
    """A portfolio's positions at the router's prices, read directly (not through the console)."""
    router = chain_reads.contract("OracleRouter")
    contract = chain_reads.contract("PortfolioVault", vault)
    assets, held = contract.functions.positions().call()
    values, priced, symbols = [], True, []
    for asset, amount in zip(assets, held):
        token = chain_reads.contract("LocalStablecoin", asset)
        status, price18, _ = router.functions.priceOf(asset).call()
        priced &= status < USABLE_PRICE_STATUS
        values.append(amount * price18 / 10 ** token.functions.decimals().call() / 1e18)
        symbols.append(token.functions.symbol().call())
    return {"assets": assets, "symbols": symbols, "values": values, "priced": priced}


def _submit(page, form: str, values: dict[str, str]) -> None:
    box = page.locator(f"[data-testid=form-{form}]")
    for name, value in values.items():
        box.locator(f"input[name={name}]").fill(value)
    box.locator("button[type=submit]").click()


def test_manager__portfolios_match_the_rebalancer(browser_page, console_url, chain_reads):
    """CON-60: every PortfolioVault of the record is listed with the strategy id, pause and nonce
    the AutoRebalancer holds for it, and an unusable oracle price is shown, not valued."""
    open_page(browser_page, console_url, "manager")
    print(f"manager page load: {load_seconds(browser_page):.2f} s")
    rebalancer = chain_reads.contract("AutoRebalancer")
    lens = chain_reads.contract("RebalancerLens")
    vaults = {  # the proxies, never their code (UPG-9)
        n: a
        for n, a in chain_reads.record["contracts"].items()
        if n.startswith("PortfolioVault") and not is_implementation(n)
    }
    rows = browser_page.locator("[data-testid=clients] tbody tr")
    assert rows.count() == len(vaults) >= 1
    for k in range(rows.count()):
        row = rows.nth(k)
        vault = row.get_attribute("data-vault")
        assert vaults[row.get_attribute("data-name")] == vault
        _, strategy_id, paused = lens.functions.strategyOf(rebalancer.address, vault).call()
        nonce = lens.functions.stateOf(rebalancer.address, vault).call()[0]
        text = row.inner_text()
        assert f"#{strategy_id}" in text and f"nonce {nonce}" in text
        assert ("paused" in text) == paused
        state = _chain_state(chain_reads, vault)
        assert ("price unavailable" in text) == (not state["priced"])
    screenshot(browser_page, "manager")


def test_manager__a_model_assigned_from_the_page_shows_the_chains_drift(
    browser_page, console_url, chain_reads
):
    """CON-61: a model defined and assigned from the page appears on the open page without a
    reload, in the book's history, and the client's drift shown is max |weight - target| of its
    positions at the router's prices (none when a price is unusable)."""
    open_page(browser_page, console_url, "manager")
    vault = chain_reads.record["contracts"]["PortfolioVault"]
    state = _chain_state(chain_reads, vault)
    name = "con61-" + fresh_address(chain_reads.w3, "CON-61")[2:10].lower()
    targets = [BPS // len(state["assets"])] * len(state["assets"])
    targets[0] += BPS - sum(targets)
    weights = ",".join(f"{s}={t}" for s, t in zip(state["symbols"], targets))
    _submit(browser_page, "models", {"name": name, "weights": weights})
    model_row = browser_page.locator(f"[data-testid=models] tr[data-model='{name}']")
    wait_for(lambda: model_row.count() == 1 or None, "the new model on the page")
    assert browser_page.locator("[data-testid=result-models]").inner_text() == (
        f"model {name} v1 defined"
    )
    _submit(browser_page, "assign", {"model": name, "clients": "PortfolioVault"})
    row = browser_page.locator(f"[data-testid=clients] tr[data-vault='{vault}']")
    wait_for(
        lambda: row.locator("[data-testid=model]").inner_text() == name or None,
        "the assignment on the page",
    )
    assert f"{vault} follows {name}" in browser_page.locator("[data-testid=history]").inner_text()
    shown = row.locator("[data-testid=drift]").get_attribute("data-bps")
    nav = sum(state["values"])
    assert state["priced"] and nav > 0
    drift = max(abs(v / nav * BPS - t) for v, t in zip(state["values"], targets))
    assert abs(float(shown) - drift) < 0.01


def test_manager__bad_book_entries_are_refused_with_a_message(browser_page, console_url):
    """CON-62: weights not summing to 10,000 bps, an unknown asset, an unknown client or model are
    refused next to the form in one line; nothing is written."""
    open_page(browser_page, console_url, "manager")
    error = browser_page.locator("[data-testid=error-models]")
    _submit(browser_page, "models", {"name": "con62-bad", "weights": "USDC=5000,QTF=4000"})
    wait_for(lambda: error.inner_text() or None, "the refusal of the bad weights")
    assert error.inner_text() == "Weights: they sum to 9,000 bps, not 10,000"
    _submit(browser_page, "models", {"name": "con62-bad", "weights": "USDC=5000,NOPE=5000"})
    wait_for(lambda: "NOPE" in error.inner_text() or None, "the refusal of the unknown asset")
    assert error.inner_text().startswith("Weights: unknown asset 'NOPE' (known: USDC")
    assert browser_page.locator("[data-testid=models] tr[data-model='con62-bad']").count() == 0
    assign_error = browser_page.locator("[data-testid=error-assign]")
    _submit(browser_page, "assign", {"model": "con62-bad", "clients": "client-999"})
    wait_for(lambda: assign_error.inner_text() or None, "the refusal of the unknown client")
    assert assign_error.inner_text() == (
        "Clients: 'client-999' is not a client portfolio of the deployment"
    )


def test_manager__without_the_opt_in_the_rebalance_is_the_cli_command(browser_page, console_url):
    """CON-63: a console started without --signer/--relayer shows the `quantera manager
    rebalance` command instead of the button, and refuses a start posted anyway."""
    open_page(browser_page, console_url, "manager")
    command = browser_page.locator("[data-testid=rebalance-command]").inner_text()
    assert "quantera manager rebalance --model MODEL --signer ALIAS --relayer ALIAS" in command
    assert browser_page.locator("[data-testid=form-rebalance] button").count() == 0
    followed = browser_page.locator("[data-testid=models] tr[data-model]:not([data-clients='0'])")
    wait_for(lambda: followed.count() >= 1 or None, "a followed model (CON-61 assigns one)")
    token = browser_page.locator("meta[name=quantera-token]").get_attribute("content")
    response = browser_page.request.post(
        f"{console_url}/manager/rebalance",
        data={"model": followed.first.get_attribute("data-model")},
        headers={"X-Quantera-Token": token, "Origin": console_url},
    )
    assert response.status == 403
    assert "this console does not sign" in response.json()["error"]


def test_manager__client_report_link_answers_a_pdf(browser_page, console_url, chain_reads):
    """CON-64: each client's report link answers the keepers.reports client PDF (its render time is
    benchmarked by RPT-7, not timed here: a test must not depend on the machine's load)."""
    open_page(browser_page, console_url, "manager")
    vault = chain_reads.record["contracts"]["PortfolioVault"]
    link = browser_page.locator(f"tr[data-vault='{vault}'] [data-testid=report]")
    assert link.get_attribute("href") == f"/manager/report/{vault}.pdf"
    response = browser_page.request.get(f"{console_url}/manager/report/{vault}.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"


def test_manager__bulk_rebalance_from_the_page_shows_progress_live(
    browser_page, signing_console, chain_reads
):
    """CON-65: with the opt-in, "Rebalance all clients" of a model runs once in the console: the
    open page shows done/total and the client's outcome as it is known, then the run's outcome
    recorded in the store. The model is the vault's own current weights, so the contract's
    preview skips it (nothing is sent: the AutoRebalancer's nonce is unchanged)."""
    vault = chain_reads.record["contracts"]["PortfolioVault"]
    rebalancer = chain_reads.contract("AutoRebalancer")
    lens = chain_reads.contract("RebalancerLens")
    nonce = lens.functions.stateOf(rebalancer.address, vault).call()[0]
    state = _chain_state(chain_reads, vault)
    nav = sum(state["values"])
    targets = [round(v / nav * BPS) for v in state["values"]]
    targets[targets.index(max(targets))] += BPS - sum(targets)
    name = "con65-" + fresh_address(chain_reads.w3, "CON-65")[2:10].lower()
    open_page(browser_page, signing_console, "manager")
    weights = ",".join(f"{s}={t}" for s, t in zip(state["symbols"], targets))
    _submit(browser_page, "models", {"name": name, "weights": weights})
    wait_for(
        lambda: (
            browser_page.locator(f"[data-testid=models] tr[data-model='{name}']").count() or None
        ),
        "the model on the page",
    )
    _submit(browser_page, "assign", {"model": name, "clients": "PortfolioVault"})
    result = browser_page.locator("[data-testid=result-assign]")
    wait_for(lambda: result.inner_text() or None, "the assignment")
    _submit(browser_page, "rebalance", {"model": name})
    outcome = browser_page.locator(f"[data-testid=progress-list] li[data-portfolio='{vault}']")
    wait_for(lambda: outcome.count() == 1 or None, "the client's outcome shown live")
    assert outcome.get_attribute("data-status") == "skipped"
    assert outcome.inner_text().split("(", 1)[1].startswith(SKIPS)
    count = browser_page.locator("[data-testid=progress-count]")
    wait_for(lambda: count.get_attribute("data-finished") or None, "the run to finish")
    assert count.inner_text().startswith(f"{name}: done 1/1 — 0 rebalanced, 1 skipped, 0 failed")
    recorded = browser_page.locator(f"[data-testid=outcomes] tr[data-portfolio='{vault}']")
    wait_for(
        lambda: name in browser_page.locator("[data-testid=last-run]").inner_text() or None,
        "the recorded run on the page",
    )
    assert recorded.get_attribute("data-status") == "skipped"
    assert lens.functions.stateOf(rebalancer.address, vault).call()[0] == nonce
