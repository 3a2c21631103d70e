"""CON-40..CON-43: the funds page against the served demo, in a real browser: instruments, struck
NAVs, the dealing queue, the gate, income and maturities as the chain holds them; a redemption
request appears live; the strike action is checked as the chain checks it and prepared for the NAV
agent's Safe."""

from __future__ import annotations

import json

from conftest import wait_for
from console_checks import load_seconds, open_page, screenshot
from keepers.console.actions import batch_calldata, checksum

INSURER = "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097"  # test account 14: a QMMF holder (demo)
NAV_AGENT = "0xBcd4042DE499D14e55001CcbB24a551F3b954096"  # test account 10: the fund's NAV agent
SHARE_ABI = "SecurityToken"  # the share's ERC-20 surface (an IncomeShareToken is one)


def _fund_contracts(browser_page, chain_reads):
    """The instrument, the registry and the fund card the page shows, checked against the
    registry: the fund shown is the one the registry names."""
    row = browser_page.locator("[data-testid=instruments] tbody tr[data-id]").first
    registry = chain_reads.contract(None, row.get_attribute("data-registry"), "InstrumentRegistry")
    instrument = int(row.get_attribute("data-id"))
    card = browser_page.locator("[data-testid=fund]").first
    fund = card.get_attribute("data-fund")
    assert registry.functions.stateOf(instrument).call()[3] == fund
    return registry, instrument, card, fund


def test_funds__shows_the_instruments_navs_queue_and_income_the_chain_holds(
    browser_page, console_url, chain_reads
):
    """CON-40: every instrument's status and latest NAV are the registry's; each struck period's
    NAV is the vault's PeriodStruck; the queue and the gate are the vaults' views; income declared
    is the share's IncomeDeclared total and its declaration count the share's index; each maturity
    is the terms'."""
    open_page(browser_page, console_url, "funds")
    seconds = load_seconds(browser_page)
    print(f"funds page load: {seconds:.2f} s")
    rows = browser_page.locator("[data-testid=instruments] tbody tr[data-id]")
    assert rows.count() >= 2  # the demo's money-market fund and its note
    for k in range(rows.count()):
        row = rows.nth(k)
        registry = chain_reads.contract(
            None, row.get_attribute("data-registry"), "InstrumentRegistry"
        )
        instrument = int(row.get_attribute("data-id"))
        nav, _, _ = registry.functions.latestNav(instrument).call()
        assert int(row.locator("[data-col=nav]").get_attribute("data-nav18")) == nav
        status = registry.functions.statusOf(instrument).call()
        names = {2: "active", 3: "suspended", 4: "matured", 5: "closed", 1: "registered"}
        assert row.locator("[data-col=status]").inner_text() == names[status]

    registry, instrument, card, fund = _fund_contracts(browser_page, chain_reads)
    desk = chain_reads.contract(None, fund, "FundDesk")
    vaults = desk.functions.vaults().call()
    clock = chain_reads.contract(None, vaults[0], "FundVault")
    struck = clock.events.PeriodStruck().get_logs(from_block=chain_reads.record["block"])
    assert len(struck) >= 9  # the demo's nine weekly cut-offs
    periods = card.locator("[data-testid=periods] tbody tr[data-period]")
    assert periods.count() == min(len(struck), 12)
    by_period = {log.args.period: log.args.nav18 for log in struck}
    for k in range(periods.count()):
        row = periods.nth(k)
        nav18 = int(row.locator("[data-col=nav]").get_attribute("data-nav18"))
        assert nav18 == by_period[int(row.get_attribute("data-period"))]
    chart = json.loads(card.locator("[data-testid=nav-chart]").get_attribute("data-chart"))
    assert chart["data"][0]["y"] == [log.args.nav18 / 10**18 for log in struck]
    drawn = card.locator("[data-testid=nav-chart] .main-svg")
    wait_for(lambda: drawn.count() >= 1 or None, "Plotly to draw the NAV chart")

    for address in vaults:
        vault = chain_reads.contract(None, address, "FundVault")
        period, _, deposits, redeems, late_deposits, late_redeems = vault.functions.dealing().call()
        queue = card.locator(f"[data-testid=queue] tr[data-vault='{address}']")
        assert int(queue.locator("[data-col=period]").inner_text()) == period
        assert int(queue.locator("[data-col=deposits]").get_attribute("data-raw")) == deposits
        assert int(queue.locator("[data-col=redemptions]").get_attribute("data-raw")) == redeems
        late = queue.locator("[data-col=late-redemptions]").get_attribute("data-raw")
        assert int(late) == late_redeems
        gate = card.locator(f"[data-testid=gate] tr[data-vault='{address}']")
        assert gate.locator("[data-col=gate-bps]").inner_text() == (
            f"{vault.functions.gateBps().call() / 100} %"
        )
        owed, _, _ = vault.functions.heldFees().call()
        assert int(gate.locator("[data-col=fees-owed]").get_attribute("data-raw")) == owed

    share_address = registry.functions.termsOf(instrument).call()[4]
    share = chain_reads.contract(None, share_address, "IncomeShareToken")
    declared = share.events.IncomeDeclared().get_logs(from_block=chain_reads.record["block"])
    income = card.locator("[data-testid=income]")
    assert (
        int(income.locator("[data-col=declarations]").inner_text())
        == (share.functions.incomeIndex().call()[1])
    )
    assert int(income.locator("[data-col=declared]").get_attribute("data-raw")) == sum(
        log.args.shares for log in declared
    )

    maturities = browser_page.locator("[data-testid=maturities] tbody tr[data-id]")
    assert maturities.count() >= 1  # the demo's note
    for k in range(maturities.count()):
        row = maturities.nth(k)
        terms = registry.functions.termsOf(int(row.get_attribute("data-id"))).call()
        assert int(row.get_attribute("data-maturity")) == terms[9]
    screenshot(browser_page, "funds")


def test_funds__a_redemption_request_appears_live(browser_page, console_url, chain_reads):
    """CON-41: a redemption request sent on chain (1 share, a holder of the demo's fund) appears
    in the queue without a reload, as the vault's `dealing()` holds it."""
    open_page(browser_page, console_url, "funds")
    _, _, card, fund = _fund_contracts(browser_page, chain_reads)
    address = chain_reads.contract(None, fund, "FundDesk").functions.vaults().call()[0]
    vault = chain_reads.contract(None, address, "FundVault")
    share = chain_reads.contract(None, vault.functions.share().call(), SHARE_ABI)
    w3 = chain_reads.w3
    one = 10**18
    assert share.functions.balanceOf(INSURER).call() >= one
    w3.eth.wait_for_transaction_receipt(
        share.functions.approve(address, one).transact({"from": INSURER})
    )
    tx = vault.functions.requestRedeem(one, INSURER, INSURER).transact({"from": INSURER})
    assert w3.eth.wait_for_transaction_receipt(tx).status == 1
    _, _, _, redeems, _, late_redeems = vault.functions.dealing().call()
    queue = card.locator(f"[data-testid=queue] tr[data-vault='{address}']")

    def shown() -> bool | None:
        pending = int(queue.locator("[data-col=redemptions]").get_attribute("data-raw"))
        late = int(queue.locator("[data-col=late-redemptions]").get_attribute("data-raw"))
        return (pending, late) == (redeems, late_redeems) or None

    wait_for(shown, "the redemption request in the queue")
    assert redeems + late_redeems >= one


def test_funds__strike_input_is_checked_as_the_chain_checks_it(
    browser_page, console_url, chain_reads
):
    """CON-42: a period that is not the open one, a NAV that is not a number and a NAV beyond
    the registry's move bound are refused with one-line messages; nothing is prepared."""
    open_page(browser_page, console_url, "funds")
    registry, instrument, _, fund = _fund_contracts(browser_page, chain_reads)
    clock = chain_reads.contract(
        None, chain_reads.contract(None, fund, "FundDesk").functions.vaults().call()[0], "FundVault"
    )
    period = clock.functions.dealing().call()[0]
    form = browser_page.locator("[data-testid=action-funds-strike]")
    error = browser_page.locator("[data-testid=error-funds-strike]")

    def refused(period_text: str, nav: str) -> str:
        form.locator("input[name=safe]").fill(NAV_AGENT)
        form.locator("input[name=fund]").fill(fund)
        form.locator("input[name=period]").fill(period_text)
        form.locator("input[name=nav]").fill(nav)
        browser_page.evaluate(
            "() => document.querySelector('[data-testid=error-funds-strike]').textContent = ''"
        )
        form.locator("button[type=submit]").click()
        wait_for(lambda: error.inner_text() or None, "the refusal message")
        assert browser_page.locator("[data-testid=result-funds-strike]").inner_text() == ""
        return error.inner_text()

    assert refused(str(period + 1), "1.0") == (
        f"Period: {period + 1} is not the fund's open period ({period})"
    )
    assert refused(str(period), "one dollar") == "NAV: 'one dollar' is not a number (e.g. 1.0002)"
    last, _, _ = registry.functions.latestNav(instrument).call()
    max_bps = registry.functions.stateOf(instrument).call()[5]
    far = last * (10_000 + 2 * max_bps) // 10_000
    message = refused(str(period), str(far / 10**18))
    assert message.startswith("NAV: ") and f"above the registry's {max_bps} bps bound" in message


def test_funds__strike_prepared_for_the_nav_agent(browser_page, console_url, chain_reads):
    """CON-43: a strike at the last NAV is prepared as two direct calls for the NAV agent: the
    share feed's `report` of that NAV and the desk's `strike`; the report succeeds when the Safe
    simulates it (eth_call: nothing is sent)."""
    open_page(browser_page, console_url, "funds")
    registry, instrument, _, fund = _fund_contracts(browser_page, chain_reads)
    desk = chain_reads.contract(None, fund, "FundDesk")
    period, cutoff, *_ = (
        chain_reads.contract(None, desk.functions.vaults().call()[0], "FundVault")
        .functions.dealing()
        .call()
    )
    assert cutoff <= chain_reads.w3.eth.get_block("latest")["timestamp"]  # due (the demo ended)
    last, _, _ = registry.functions.latestNav(instrument).call()
    form = browser_page.locator("[data-testid=action-funds-strike]")
    form.locator("input[name=safe]").fill(NAV_AGENT)
    form.locator("input[name=fund]").fill(fund)
    form.locator("input[name=period]").fill(str(period))
    form.locator("input[name=nav]").fill(str(last / 10**18))
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-funds-strike] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared strike")
    batch = json.loads(pre.inner_text())
    assert batch["meta"]["checksum"] == checksum(batch)
    (feed_to, report), (desk_to, strike) = batch_calldata(batch)
    router = chain_reads.contract(None, registry.functions.oracle().call(), "OracleRouter")
    share = registry.functions.termsOf(instrument).call()[4]
    feed = chain_reads.contract(None, router.functions.feedOf(share).call()[0], "ReporterPriceFeed")
    assert feed_to == feed.address and desk_to == desk.address
    fn, args = feed.decode_function_input(report)
    decimals = feed.functions.decimals().call()
    assert fn.fn_name == "report" and args["answer"] == last // 10 ** (18 - decimals)
    assert desk.decode_function_input(strike)[0].fn_name == "strike"
    chain_reads.w3.eth.call({"from": NAV_AGENT, "to": feed_to, "data": report})
    routes = browser_page.locator("[data-testid=result-funds-strike] li")
    assert routes.count() == 2 and all("direct" in r.inner_text() for r in routes.all())


def test_funds__who_may_strike__shown_before_anything_is_prepared(
    browser_page, console_url, chain_reads
):
    """CON-91 (issue 33 §3, "who may act"): beside the strike form, before anything is filled in,
    each fund's NAV report and strike name the role they need, the AccessManager that governs
    that fund (a fund stack may have its own) and the accounts holding the role there: the
    demo's NAV agent among the strike's holders."""
    open_page(browser_page, console_url, "funds")
    lines = browser_page.locator("[data-testid=who-funds-strike]").all_inner_texts()
    strikes = [line for line in lines if "'s strike needs NAV_AGENT" in line]
    reports = [line for line in lines if "'s NAV report needs PRICE_REPORTER" in line]
    assert strikes and reports, lines
    assert any(NAV_AGENT in line.split("held by ", 1)[-1] for line in strikes), strikes
    assert all("AccessManager 0x" in line for line in strikes + reports), lines
    # The risk page's actions say it of the record's own manager.
    open_page(browser_page, console_url, "risk")
    halt = browser_page.locator("[data-testid=who-risk-halt]").all_inner_texts()
    assert halt and halt[0].startswith("Who may act: RiskEngine.halt needs GUARDIAN"), halt
    assert "(QuanteraAccessManager)" in halt[0]
