"""CON-1..CON-4: the console against the served demo, in a real browser: the governance page
shows what the AccessManager holds, updates live, prepares Safe batches and refuses bad input."""

from __future__ import annotations

import json

from conftest import wait_for
from console_checks import fresh_address, open_page, propose_demo_upgrade, screenshot
from keepers.access import ROLE_IDS
from keepers.console.actions import batch_calldata, checksum

GOVERNANCE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # test account 4, the demo's ADMIN
OUTSIDER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"  # test account 6: no ADMIN role
GUARDIAN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # test account 1, the demo's GUARDIAN


def _schedule_guardian_grant(chain_reads, salt: str) -> tuple[str, str, str]:
    """A timelocked GUARDIAN grant to a fresh address (ADMIN has a delay in the demo), scheduled
    by GOVERNANCE and not executed: (grantee, the grant's calldata, the operation id)."""
    manager = chain_reads.contract("QuanteraAccessManager")
    grantee = fresh_address(chain_reads.w3, salt)
    data = manager.encode_abi("grantRole", [ROLE_IDS["GUARDIAN"], grantee, 0])
    tx = manager.functions.schedule(manager.address, data, 0).transact({"from": GOVERNANCE})
    chain_reads.w3.eth.wait_for_transaction_receipt(tx)
    operation = manager.functions.hashOperation(GOVERNANCE, manager.address, data).call()
    return grantee, data, "0x" + operation.hex()


def test_governance__roles_match_the_access_manager(browser_page, console_url, chain_reads):
    """CON-1: every holder shown holds the role on chain, and every role id shown exists."""
    open_page(browser_page, console_url, "governance")
    manager = chain_reads.contract("QuanteraAccessManager")
    rows = browser_page.locator("[data-testid=roles] tbody tr")
    assert rows.count() >= 3
    shown = {}
    for k in range(rows.count()):
        row = rows.nth(k)
        role = row.get_attribute("data-role")
        holders = [c.inner_text() for c in row.locator("code").all()]
        shown[role] = holders
        for holder in holders:
            is_member, _ = manager.functions.hasRole(ROLE_IDS[role], holder).call()
            assert is_member, f"{holder} shown as {role} but does not hold it"
    assert GOVERNANCE in shown["ADMIN"]
    screenshot(browser_page, "governance")
    assert manager.functions.hasRole(ROLE_IDS["ADMIN"], GOVERNANCE).call()[0]


def test_governance__a_scheduled_operation_appears_live_with_its_eta(
    browser_page, console_url, chain_reads
):
    """CON-2: an operation scheduled on chain appears without a reload, with the chain's ETA."""
    open_page(browser_page, console_url, "governance")
    refreshed = browser_page.locator("#live").get_attribute("data-refreshed")
    manager = chain_reads.contract("QuanteraAccessManager")
    # A timelocked grant (ADMIN has a delay in the demo): scheduled, not executed.
    _, _, operation = _schedule_guardian_grant(chain_reads, "CON-2")
    eta = manager.functions.getSchedule(operation).call()
    assert eta > 0
    row = browser_page.locator(f"[data-testid=pending] tr[data-operation='{operation}']")
    wait_for(lambda: row.count() == 1 or None, "the scheduled operation to appear on the page")
    assert (
        browser_page.locator("#live").get_attribute("data-refreshed") != refreshed
    )  # swapped live
    from keepers.console.app import _fmt_time

    assert _fmt_time(eta) in row.inner_text()
    # and the audit log has the event, exportable as CSV with the same row
    csv = browser_page.request.get(
        f"{console_url}/governance/audit.csv?event=OperationScheduled"
    ).text()
    assert operation in csv


def test_governance__bad_input_is_refused_with_a_message(browser_page, console_url):
    """CON-3: a bad address or an unknown function is refused next to the form; nothing is
    prepared."""
    open_page(browser_page, console_url, "governance")
    form = browser_page.locator("[data-testid=action-governance-call]")
    form.locator("input[name=safe]").fill("not-an-address")
    form.locator("input[name=contract]").fill("QuanteraAccessManager")
    form.locator("input[name=function]").fill("grantRole")
    form.locator("input[name=args]").fill(json.dumps([2, OUTSIDER, 0]))
    form.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-governance-call]")
    wait_for(lambda: error.inner_text() or None, "the refusal message")
    assert error.inner_text() == "Safe address: 'not-an-address' is not an address"
    assert browser_page.locator("[data-testid=result-governance-call]").inner_text() == ""

    form.locator("input[name=safe]").fill(GOVERNANCE)
    form.locator("input[name=function]").fill("noSuchFunction")
    form.locator("button[type=submit]").click()
    wait_for(lambda: "noSuchFunction" in error.inner_text() or None, "the unknown-function message")


def test_governance__prepares_a_safe_batch_routed_through_the_timelock(
    browser_page, console_url, chain_reads
):
    """CON-4: a grant by a role with a delay is prepared as `schedule` on the AccessManager, in
    the Safe Transaction Builder format with the app's checksum; the batch signed locally
    (`quantera console sign` semantics) schedules exactly that call."""
    open_page(browser_page, console_url, "governance")
    form = browser_page.locator("[data-testid=action-governance-call]")
    form.locator("input[name=safe]").fill(GOVERNANCE)
    form.locator("input[name=contract]").fill("QuanteraAccessManager")
    form.locator("input[name=function]").fill("grantRole")
    form.locator("input[name=args]").fill(json.dumps([ROLE_IDS["OPERATOR"], OUTSIDER, 0]))
    form.locator("button[type=submit]").click()
    pre = browser_page.locator("[data-testid=result-governance-call] pre")
    wait_for(lambda: pre.count() == 1 or None, "the prepared batch")
    batch = json.loads(pre.inner_text())
    assert batch["chainId"] == str(chain_reads.w3.eth.chain_id)
    assert batch["meta"]["createdFromSafeAddress"] == GOVERNANCE
    assert batch["meta"]["checksum"] == checksum(batch)
    [(to, data)] = batch_calldata(batch)
    manager = chain_reads.contract("QuanteraAccessManager")
    assert to == manager.address
    fn, args = manager.decode_function_input(data)
    assert fn.fn_name == "schedule"
    inner = manager.encode_abi("grantRole", [ROLE_IDS["OPERATOR"], OUTSIDER, 0])
    assert args["target"] == manager.address and "0x" + args["data"].hex() == inner
    assert (
        "scheduled (delay"
        in browser_page.locator("[data-testid=result-governance-call] li").inner_text()
    )


def test_governance__audit_log_and_pending__decoded_and_named(
    browser_page, console_url, chain_reads
):
    """CON-83 (issue 33 §2): a scheduled operation reads as a Safe shows it: the caller by the
    roles it holds, the target by its record name, the call decoded (`grantRole(roleId=2
    (GUARDIAN), account=…, executionDelay=0)`); its audit row shows the same with the schedule
    in ISO 8601, the raw arguments kept in the JSON API beside `shown`; a role holder that is a
    contract of the record is named."""
    manager = chain_reads.contract("QuanteraAccessManager")
    grantee, data, operation = _schedule_guardian_grant(chain_reads, "CON-83")
    open_page(browser_page, console_url, "governance")
    row = browser_page.locator(f"[data-testid=pending] tr[data-operation='{operation}']")
    wait_for(lambda: row.count() == 1 or None, "the scheduled operation")
    call = row.locator("[data-testid=pending-call]").inner_text()
    assert call == (f"grantRole(roleId=2 (GUARDIAN), account={grantee}, executionDelay=0)"), call
    assert f"{GOVERNANCE} (ADMIN" in row.inner_text()
    assert f"{manager.address} (QuanteraAccessManager)" in row.inner_text()

    api = browser_page.request.get(
        f"{console_url}/api/governance/audit?event=OperationScheduled&q={operation}"
    ).json()
    [entry] = api["rows"]
    assert entry["args"]["data"] == data  # raw, exact
    assert f"data=grantRole(roleId=2 (GUARDIAN), account={grantee}" in entry["shown"]
    from keepers.core.units import iso_utc

    eta = manager.functions.getSchedule(operation).call()
    assert f"schedule={iso_utc(eta)}," in entry["shown"]  # ISO 8601, not seconds
    csv = browser_page.request.get(
        f"{console_url}/governance/audit.csv?event=OperationScheduled&q=grantRole"
    ).text()
    assert operation in csv  # the text filter matches the scheduled call's function name too
    assert f"data=grantRole(roleId=2 (GUARDIAN), account={grantee}" in csv  # `shown` column
    # Contracts holding roles are named after the record (the rebalancer holds EXECUTOR).
    names = browser_page.locator("[data-testid=roles] .name").all_inner_texts()
    assert "AutoRebalancer" in names, names


def test_governance__a_refused_call_names_who_may_make_it(browser_page, console_url, chain_reads):
    """CON-85 (issue 33 §3, "who may act"): a call the Safe may not make is refused naming the
    role the governing AccessManager requires for it, that manager, and the accounts holding the
    role (confirmed by `hasRole`), so that nobody has to read the deploy code to find them."""
    manager = chain_reads.contract("QuanteraAccessManager")
    open_page(browser_page, console_url, "governance")
    form = browser_page.locator("[data-testid=action-governance-call]")
    form.locator("input[name=safe]").fill(OUTSIDER)
    form.locator("input[name=contract]").fill("LiquidityAggregator")
    form.locator("input[name=function]").fill("pauseVenue")
    venue = chain_reads.record["contracts"]["UniswapV2Pair.A.QNDX-USDC"]
    form.locator("input[name=args]").fill(json.dumps([venue]))
    form.locator("button[type=submit]").click()
    error = browser_page.locator("[data-testid=error-governance-call]")
    wait_for(lambda: error.inner_text() or None, "the refusal")
    text = error.inner_text()
    aggregator = chain_reads.contract("LiquidityAggregator")
    selector = aggregator.encode_abi("pauseVenue", [venue])[:10]
    role = manager.functions.getTargetFunctionRole(aggregator.address, selector).call()
    assert text.startswith(f"{OUTSIDER} may not call pauseVenue on LiquidityAggregator: ")
    assert f"it needs {[k for k, v in ROLE_IDS.items() if v == role][0]} ({role})" in text
    assert f"{manager.address} (QuanteraAccessManager)" in text
    holders = text.split("held by ", 1)[1]
    named = [h.split(" ")[0] for h in holders.split(", ")]
    assert named and all(manager.functions.hasRole(role, h).call()[0] for h in named), text
    # The demo's GUARDIAN (test account 1) holds it: named among them.
    assert manager.functions.hasRole(role, GUARDIAN).call()[0]
    assert GUARDIAN in named, text
    assert browser_page.locator("[data-testid=result-governance-call]").inner_text() == ""


def test_governance__a_proposed_upgrade_shows_with_its_eta_until_the_guardian_vetoes_it(
    browser_page, console_url, chain_reads
):
    """CON-93 (issue 34 §2): an upgrade proposed to the UpgradeAuthority appears on the page
    without a reload: the proxy and the new code by their addresses and record names, the chain's
    ETA (its `proposal` view) and when its window closes; vetoed by the GUARDIAN, it leaves the
    page."""
    authority = chain_reads.contract("UpgradeAuthority")
    contracts = chain_reads.record["contracts"]
    open_page(browser_page, console_url, "governance")
    # Moved to the RiskEngine's code: the page names it.
    code = contracts["RiskEngine.implementation"]
    proxy, upgrade_id, _ = propose_demo_upgrade(chain_reads, code, OUTSIDER)
    status, eta = authority.functions.proposal(upgrade_id).call()
    assert status == 1 and eta > 0
    row = browser_page.locator(f"[data-testid=upgrades] tr[data-upgrade='{upgrade_id}']")
    wait_for(lambda: row.count() == 1 or None, "the proposed upgrade to appear on the page")
    from keepers.console.app import _fmt_time

    text = row.inner_text()
    assert proxy in text and f"{code} (RiskEngine.implementation)" in text, text
    # A proxy the record does not name, and code recorded for another contract than this proxy:
    # both flagged (its immutables are another instance's).
    warnings = row.locator("[data-testid=upgrade-code-warning]")
    assert warnings.all_inner_texts() == [
        "a proxy no deployment recorded",
        "code recorded as RiskEngine.implementation",
    ]
    grace = authority.functions.GRACE().call()
    assert _fmt_time(eta) in text and _fmt_time(eta + grace) in text, text
    tx = authority.functions.veto(upgrade_id).transact({"from": GUARDIAN})
    chain_reads.w3.eth.wait_for_transaction_receipt(tx)
    wait_for(lambda: row.count() == 0 or None, "the vetoed upgrade to leave the page")
    # CON-94: new code nobody recorded, which forwards elsewhere (an ERC-1167 clone of the
    # RiskEngine: its hash is fixed, what it runs is not), is flagged twice.
    runtime = (
        bytes.fromhex("363d3d373d3d3d363d73")
        + bytes.fromhex(contracts["RiskEngine"][2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )
    tx = chain_reads.w3.eth.send_transaction(
        {"from": OUTSIDER, "data": bytes.fromhex("3d602d80600a3d3981f3") + runtime}
    )
    clone = chain_reads.w3.eth.wait_for_transaction_receipt(tx).contractAddress
    assert bytes(chain_reads.w3.eth.get_code(clone)) == runtime
    _, upgrade_id, _ = propose_demo_upgrade(chain_reads, clone, OUTSIDER, proxy)
    row = browser_page.locator(f"[data-testid=upgrades] tr[data-upgrade='{upgrade_id}']")
    wait_for(lambda: row.count() == 1 or None, "the clone's upgrade to appear on the page")
    assert row.locator("[data-testid=upgrade-code-warning]").all_inner_texts() == [
        "a proxy no deployment recorded",
        "code no deployment recorded",
        f"forwards: an ERC-1167 clone of {contracts['RiskEngine']}",
    ]
    tx = authority.functions.veto(upgrade_id).transact({"from": GUARDIAN})
    chain_reads.w3.eth.wait_for_transaction_receipt(tx)
