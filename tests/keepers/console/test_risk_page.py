"""CON-10..CON-13: the risk page against the served demo, in a real browser: what it shows is what
the RiskEngine, the RiskLens, the PortfolioVault and the OracleRouter hold (read directly, at the
block the page says it shows), it updates live, and its actions refuse bad input and prepare the
engine's own calls."""

from __future__ import annotations

import json

import pytest

from conftest import wait_for
from console_checks import as_of_block, frozen, load_seconds, open_page, screenshot
from keepers.console.actions import batch_calldata
from keepers.risk import load_scenarios
from keepers.vault import LIMIT_FIELDS

GOVERNOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # test account 2, the demo's GOVERNOR
GUARDIAN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # test account 1, the demo's GUARDIAN
DONOR = "0x09DB0a93B389bEF724429898f539AEB7ac2Dd55f"  # the demo's RFQ market maker: holds USDC
BPS = 10_000
WAD = 10**18


def _portfolio(root, address: str):
    section = root.locator(f"[data-testid=portfolio][data-portfolio='{address}']")
    assert section.count() == 1, f"no portfolio section for {address}"
    return section


def _expected_level(value_bps: float, limit_bps: int) -> str:
    """The page's colour rule (docs/specs.md CON-10): bad beyond the limit, warn from 80 %."""
    if limit_bps == 0:
        return "ok"
    if value_bps > limit_bps:
        return "bad"
    return "warn" if value_bps >= 0.8 * limit_bps else "ok"


def test_risk__figures_match_the_engine_lens_vault_and_oracle(
    browser_page, console_url, chain_reads, record_property
):
    """CON-10: holdings, prices, NAV, weights, VaR/ES against limits with their colour, drawdown
    against the caps, halted, the keeper's last publication and its age, the correlation heatmap
    and the stress losses are the chain's, read at the block the page shows."""
    open_page(browser_page, console_url, "risk")
    load = load_seconds(browser_page)
    record_property("risk_page_load_seconds", load)
    print(f"risk page load: {load:.3f} s")
    vault = chain_reads.contract("PortfolioVault")
    engine = chain_reads.contract("RiskEngine")
    lens = chain_reads.contract("RiskLens")
    oracle = chain_reads.contract("OracleRouter")
    heatmap = browser_page.locator(
        f"[data-portfolio='{vault.address}'] [data-testid=correlation-heatmap]"
    )
    wait_for(lambda: heatmap.locator("svg.main-svg").count() > 0 or None, "the heatmap drawn")
    page = frozen(browser_page)
    block = as_of_block(page, chain_reads.w3)
    at = {"block_identifier": block}
    section = _portfolio(page, vault.address)

    tokens, held = vault.functions.positions().call(**at)
    _, _, snapshot = engine.functions.priceSnapshot(vault.address).call(**at)
    rows = section.locator("[data-testid=assets] tbody tr")
    assert rows.count() == len(tokens)
    nav18 = 0
    values = []
    for k, (token, amount) in enumerate(zip(tokens, held, strict=True)):
        row = section.locator(f"[data-testid=assets] tr[data-token='{token}']")
        assert int(row.get_attribute("data-holding")) == amount
        status, price18, _ = oracle.functions.priceOf(token).call(**at)
        expected_price = price18 if status in (0, 1, 2) and price18 else snapshot[k]
        assert int(row.get_attribute("data-price18")) == expected_price
        decimals = (
            chain_reads.contract("LocalStablecoin", token, "LocalStablecoin")
            .functions.decimals()
            .call()
        )
        values.append(amount * expected_price // 10**decimals)
        nav18 += values[-1]
    assert int(section.locator("[data-testid=nav]").get_attribute("data-usd18")) == nav18
    for token, value in zip(tokens, values, strict=True):
        row = section.locator(f"[data-testid=assets] tr[data-token='{token}']")
        assert float(row.get_attribute("data-weight-bps")) == pytest.approx(value * BPS / nav18)

    limits = dict(
        zip(LIMIT_FIELDS, lens.functions.limitsOf(engine.address, vault.address).call(**at)[0])
    )
    var95, var99, es = lens.functions.portfolioRisk(engine.address, vault.address, held).call(**at)
    for k, (wad, field) in enumerate(
        ((var95, "maxVar95Bps"), (var99, "maxVar99Bps"), (es, "maxEsBps"))
    ):
        row = section.locator(f"[data-testid=risk-{k}]")
        value_bps = float(row.get_attribute("data-value-bps"))
        assert value_bps == pytest.approx(wad * BPS / WAD)
        assert int(row.get_attribute("data-limit-bps")) == limits[field]
        cell = row.locator("td")
        assert cell.get_attribute("data-level") == _expected_level(value_bps, limits[field])
        assert _expected_level(value_bps, limits[field]) in cell.get_attribute("class")

    synced = engine.events.Synced.get_logs(from_block=chain_reads.record["block"], to_block=block)
    last = [e for e in synced if e.args.portfolio == vault.address][-1]
    drawdown = section.locator("[data-testid=drawdown]")
    assert int(drawdown.get_attribute("data-drawdown-bps")) == last.args.drawdownBps
    assert int(drawdown.get_attribute("data-hard-cap-bps")) == limits["hardDrawdownBps"]

    halted = engine.functions.isHalted(vault.address).call(**at)
    assert section.locator("[data-testid=halted]").inner_text() == (
        "HALTED" if halted else "trading"
    )
    _, update_id, _, published_at = engine.functions.metricsOf(vault.address).call(**at)
    publication = section.locator("[data-testid=publication]")
    assert int(publication.get_attribute("data-update-id")) == update_id
    assert int(publication.get_attribute("data-published-at")) == published_at
    chain_time = chain_reads.w3.eth.get_block(block)["timestamp"]
    assert int(publication.get_attribute("data-age-seconds")) == chain_time - published_at

    _, correlations, _, _ = lens.functions.modelInputsOf(engine.address, vault.address).call(**at)
    chart = section.locator("[data-testid=correlation-heatmap]")
    z = json.loads(chart.get_attribute("data-chart"))["data"][0]["z"]
    assert z[0][1] == correlations[0] / BPS and z[1][0] == correlations[0] / BPS
    assert z[len(tokens) - 2][len(tokens) - 1] == correlations[-1] / BPS

    _, asset_risk = lens.functions.limitsOf(engine.address, vault.address).call(**at)
    scenarios = load_scenarios()
    classes = [scenarios.asset_classes[a[1]] for a in asset_risk]
    for scenario in scenarios.scenarios:
        expected = sum(
            value / nav18 * scenario.losses_pct[cls] * 100
            for value, cls in zip(values, classes, strict=True)
        )
        row = section.locator(f"[data-testid=stress] tr[data-scenario='{scenario.name}']")
        assert float(row.get_attribute("data-file-loss-bps")) == pytest.approx(expected)
    screenshot(browser_page, "risk")


def test_risk__a_holding_change_appears_live(browser_page, console_url, chain_reads):
    """CON-11: a token sent to the vault (one unit of USDC, its settlement asset) moves the
    page's holding and NAV without a reload."""
    open_page(browser_page, console_url, "risk")
    vault = chain_reads.contract("PortfolioVault")
    tokens, _ = vault.functions.positions().call()
    cash = chain_reads.contract("LocalStablecoin", tokens[0], "LocalStablecoin")
    refreshed = browser_page.locator("#live").get_attribute("data-refreshed")
    tx = cash.functions.transfer(vault.address, 1).transact({"from": DONOR})
    receipt = chain_reads.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt.status == 1
    after = cash.functions.balanceOf(vault.address).call(block_identifier=receipt.blockNumber)

    def shown() -> bool | None:
        block = int(browser_page.locator("[data-testid=as-of]").get_attribute("data-block"))
        return block >= receipt.blockNumber or None

    wait_for(shown, "the page to show the transfer's block")
    page = frozen(browser_page)
    block = as_of_block(page, chain_reads.w3)
    row = page.locator(
        f"[data-portfolio='{vault.address}'] [data-testid=assets] tr[data-token='{tokens[0]}']"
    )
    holding = int(row.get_attribute("data-holding"))
    assert holding == cash.functions.balanceOf(vault.address).call(block_identifier=block)
    assert holding >= after
    assert browser_page.locator("#live").get_attribute("data-refreshed") != refreshed


def test_risk__bad_limits_are_refused_with_a_message(browser_page, console_url, chain_reads):
    """CON-12: a limit the engine would refuse, a value out of the field's range and a portfolio
    the engine does not know are refused next to the form, naming the field; nothing is
    prepared."""
    open_page(browser_page, console_url, "risk")
    vault = chain_reads.contract("PortfolioVault")
    form = browser_page.locator("[data-testid=action-risk-set-limit]")
    error = browser_page.locator("[data-testid=error-risk-set-limit]")
    result = browser_page.locator("[data-testid=result-risk-set-limit]")

    def submit(portfolio: str, limit: str, value: str, expected: str) -> None:
        form.locator("input[name=safe]").fill(GOVERNOR)
        form.locator("input[name=portfolio]").fill(portfolio)
        form.locator("select[name=limit]").select_option(limit)
        form.locator("input[name=value]").fill(value)
        form.locator("button[type=submit]").click()
        wait_for(lambda: expected in error.inner_text() or None, f"the refusal {expected!r}")
        assert result.inner_text() == ""

    submit(vault.address, "minLiquidBps", "12000", "Value: minLiquidBps must be at most 10,000")
    submit(vault.address, "hardDrawdownBps", "500", "hard cap must be at least the soft cap")
    submit(vault.address, "maxModelAge", "0", "Value: maxModelAge must not be 0")
    submit(vault.address, "maxVar99Bps", "-5", "Value: must not be negative")
    submit(GUARDIAN, "maxVar99Bps", "310", "is not configured on the RiskEngine")


def test_risk__set_limit_and_halt_prepare_the_engines_calls(browser_page, console_url, chain_reads):
    """CON-13: setting one limit prepares the engine's `configure` with the portfolio's assets and
    every other limit unchanged, scheduled behind the GOVERNOR's delay; a halt is the GUARDIAN's
    direct `halt`; resuming a portfolio that is not halted is refused."""
    open_page(browser_page, console_url, "risk")
    vault = chain_reads.contract("PortfolioVault")
    engine = chain_reads.contract("RiskEngine")
    lens = chain_reads.contract("RiskLens")
    manager = chain_reads.contract("QuanteraAccessManager")
    limits, assets = lens.functions.limitsOf(engine.address, vault.address).call()
    form = browser_page.locator("[data-testid=action-risk-set-limit]")
    form.locator("input[name=safe]").fill(GOVERNOR)
    form.locator("input[name=portfolio]").fill(vault.address)
    form.locator("select[name=limit]").select_option("maxVar99Bps")
    new_value = limits[LIMIT_FIELDS.index("maxVar99Bps")] + 10
    form.locator("input[name=value]").fill(str(new_value))
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-risk-set-limit] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared configure batch")
    [(to, data)] = batch_calldata(json.loads(pre.inner_text()))
    assert to == manager.address
    fn, args = manager.decode_function_input(data)
    assert fn.fn_name == "schedule" and args["target"] == engine.address
    inner, inner_args = engine.decode_function_input(args["data"])
    assert inner.fn_name == "configure" and inner_args["portfolio"] == vault.address
    assert [tuple(a.values()) for a in inner_args["assets"]] == [tuple(a) for a in assets]
    expected = dict(zip(LIMIT_FIELDS, limits, strict=True))
    expected["maxVar99Bps"] = new_value
    expected["maxClassWeightBps"] = list(expected["maxClassWeightBps"])
    assert {
        **inner_args["limits"],
        "maxClassWeightBps": list(inner_args["limits"]["maxClassWeightBps"]),
    } == expected
    _, delay = manager.functions.canCall(GOVERNOR, engine.address, bytes(args["data"][:4])).call()
    assert (
        f"scheduled (delay {delay} s)"
        in browser_page.locator("[data-testid=result-risk-set-limit] li").inner_text()
    )

    halt = browser_page.locator("[data-testid=action-risk-halt]")
    halt.locator("input[name=safe]").fill(GUARDIAN)
    halt.locator("input[name=portfolio]").fill(vault.address)
    halted = engine.functions.isHalted(vault.address).call()
    halt.locator("select[name=operation]").select_option("resume" if halted else "halt")
    halt.locator("button[type=submit]").click()
    if halted:  # another session halted it: resuming is the GOVERNOR's, refused to the guardian
        error = browser_page.locator("[data-testid=error-risk-halt]")
        wait_for(lambda: error.inner_text() or None, "the refusal")
        return
    halt_pre = browser_page.locator("[data-testid=result-risk-halt] pre")
    wait_for(lambda: halt_pre.count() == 1 or None, "the prepared halt batch")
    [(to, data)] = batch_calldata(json.loads(halt_pre.inner_text()))
    fn, args = engine.decode_function_input(data)
    assert to == engine.address and fn.fn_name == "halt" and args["subject"] == vault.address

    halt.locator("select[name=operation]").select_option("resume")
    halt.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-risk-halt]")
    wait_for(lambda: "is not halted" in error.inner_text() or None, "the not-halted refusal")


def test_risk__portfolio_picker__offers_the_engines_portfolios(
    browser_page, console_url, chain_reads
):
    """Issue 33 §3: the portfolio is picked, not pasted: each form's portfolio field offers the
    portfolios the page shows (the RiskEngine's configured ones), labelled by name; the funds
    page offers its funds' desks by ISIN the same way."""
    engine = chain_reads.contract("RiskEngine")
    logs = engine.events.PortfolioConfigured().get_logs(from_block=chain_reads.record["block"])
    configured = {log.args.portfolio for log in logs}
    open_page(browser_page, console_url, "risk")
    for action in ("risk-set-limit", "risk-halt"):
        options = browser_page.locator(f"datalist#picks-{action}-portfolio option")
        assert options.count() >= 1
        for k in range(options.count()):
            portfolio = options.nth(k).get_attribute("value")
            assert portfolio in configured, portfolio
            assert options.nth(k).get_attribute("label")
        field = browser_page.locator(f"[data-testid=picker-{action}-portfolio]")
        assert field.get_attribute("list") == f"picks-{action}-portfolio"
    open_page(browser_page, console_url, "funds")
    desks = browser_page.locator("datalist#picks-funds-strike-fund option")
    assert desks.count() >= 1
    for k in range(desks.count()):
        assert desks.nth(k).get_attribute("label").startswith("US")  # an ISIN
        desk = desks.nth(k).get_attribute("value")
        assert chain_reads.w3.eth.get_code(desk), desk  # a deployed desk, never "None"
