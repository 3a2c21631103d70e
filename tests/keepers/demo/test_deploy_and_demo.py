"""FND-7, FND-9, LIQ-15: the real deploy script is re-runnable (venues wired and seeded too); the
demo exits 0 and leaves no process.

These run the real `ape run` commands on anvils of their own (like `make demo`); the bounded demo
is the session's served one (served_demo.py), shared with the console's browser tests.
"""

import datetime as dt
import json
import os
import re
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest

from conftest import BIN, SUBPROCESS_TIMEOUT_SECONDS, deployed_all, run_ape
from keepers.demo.processes import rpc
from keepers.demo.stage import PROGRESS_FILE
from route_cli_checks import check_route_quote
from served_demo import REUSE_ENV


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """One `deploy all` on a private anvil, shared by the tests below (each full deployment costs
    about a minute of CPU on this machine): they read it first and replace it last."""
    folder = tmp_path_factory.mktemp("deployed")
    with deployed_all(folder) as (url, network):
        yield SimpleNamespace(
            url=url,
            network=network,
            folder=folder,
            record=json.loads((folder / "ethereum-local.json").read_text()),
        )


def test_deploy_show_and_route_quote__json__print_what_deploy_wrote_and_a_plan(deployed):
    """FND-7 (show) and LIQ-14 (`quantera route quote` on the deployed venues), one deployment."""
    shown = run_ape(["deploy", "show", "--network", deployed.network, "--json"], deployed.folder)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout[shown.stdout.index("{") :]) == deployed.record
    check_route_quote(deployed.network, deployed.folder)


def test_con_89__route_quote_read_directly__the_plan_ape_s_reads_give(deployed, monkeypatch):
    """CON-89 (helper-88 F4): the router over a node read directly plans what it plans over ape's
    provider: the same legs, predictions, best single source and path, and the same swap
    calldata but for the deadline's seconds (each counts from its own pending time)."""
    from ape import networks
    from web3 import Web3

    from keepers.core.artifacts import project_abis
    from keepers.core.deployments import load
    from keepers.core.views import DirectView
    from keepers.liquidity.cli import _plan

    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(deployed.folder))
    record = load(deployed.folder / "ethereum-local.json")
    taker = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    direct = DirectView(Web3(Web3.HTTPProvider(deployed.url)), project_abis())
    for token_in, token_out, amount in (("USDC", "QSPX", "25000"), ("QSPX", "USDC", "100")):
        args = (record, token_in, token_out, amount, taker, None, 3_000.0, 50, 50)
        read, _, _ = _plan(*args, view=direct)
        with networks.parse_network_choice(deployed.network):
            through_ape, _, _ = _plan(*args)
        a, b = read.as_dict(), through_ape.as_dict()
        for key in ("legs", "predicted_out", "best_single_source", "path", "arbitrage"):
            assert a[key] == b[key], key
        assert len(a["calldata"]) == len(b["calldata"]) and a["calldata"][:10] == b["calldata"][:10]


def test_deploy__run_twice__second_run_sends_nothing_and_record_is_unchanged(deployed):
    """Runs after the show test (file order): its `--fresh` run replaces the shared deployment."""
    network, record_file, record = (
        deployed.network,
        deployed.folder / "ethereum-local.json",
        deployed.record,
    )
    assert record["chain_id"] == 1337 and record["block"] >= 1
    address = record["contracts"]["QuanteraAccessManager"]
    assert rpc(deployed.url, "eth_getCode", [address, "latest"]) not in ("0x", "")
    nonce_before = rpc(deployed.url, "eth_getTransactionCount", [first_test_account(), "latest"])

    second = run_ape(["deploy", "all", "--network", network], deployed.folder)
    assert second.returncode == 0, second.stderr
    assert "QuanteraAccessManager already at" in second.stdout
    assert (
        rpc(deployed.url, "eth_getTransactionCount", [first_test_account(), "latest"])
        == nonce_before
    )
    assert json.loads(record_file.read_text()) == record

    fresh = run_ape(
        ["deploy", "all", "--network", network, "--fresh", "--no-liquidity"], deployed.folder
    )
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(record_file.read_text())["contracts"]["QuanteraAccessManager"] != address


def first_test_account() -> str:
    return "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def assert_nothing_left(demo_stdout: str) -> None:
    """The demo's anvil no longer answers and no process it started (each keeper ran against that
    anvil's URL) is left. Checked by the URL, not by counting anvils: the contract suite starts and
    stops its own beside this one."""
    url = re.search(r"anvil on (http://127\.0\.0\.1:\d+)", demo_stdout).group(1)
    try:
        rpc(url, "eth_chainId", timeout=5.0)
        raise AssertionError(f"the demo's anvil still answers on {url}")
    except OSError:
        pass
    assert subprocess.run(["pgrep", "-f", url], capture_output=True, text=True).stdout == ""


def test_demo__bounded_blocks__exits_zero_all_checks_pass_and_leaves_no_process(served_demo):
    """The session's one demo (`ape run demo --blocks 5 --serve`, served_demo.py), left up for the
    console's browser tests, which run before this file: its summary was printed before it served,
    and it is stopped here (SIGTERM, as an operator's Ctrl-C): exit 0, every process gone. One
    demo run for both costs about 200 s of CPU less than a second run of its own."""
    if served_demo.proc is None:
        pytest.skip(f"{REUSE_ENV}: a demo served elsewhere is neither checked nor stopped here")
    code, stdout, stderr = served_demo.stop()
    assert code == 0, stdout[-3000:] + stderr[-3000:]
    # 29 checks: the arbitrage keeper's (LIQ-21) joined the 28 of stop 52.
    assert "FAIL" not in stdout and stdout.count("pass") == 29
    # No revert trace of ape's among the tables (an expected revert is the demo's to report).
    assert "reverted without message" not in stdout and "-> <?>" not in stdout
    assert "serving" in stdout and not served_demo.demo_file.exists()
    assert_nothing_left(stdout)
    run = served_demo.workdir / "run"  # the demo's --dir
    assert (run / "keeper.sqlite").is_file()
    # Its last step, as written for the waiter that tells a slow demo from a hung one (served.py).
    assert (run / PROGRESS_FILE).read_text() == "serve"
    # Every keeper's per-block figures are scalars silverback records (a list was refused, with a
    # pydantic warning each block of the governance keeper's log).
    for log in run.glob("*-keeper.log"):
        assert "Cannot convert datapoint" not in log.read_text(), log.name
    report = (run / "rebalancing-report" / "report.md").read_text()
    assert "rebalance (" in report and "VaR exceptions:" in report
    assert all(
        (run / "rebalancing-report" / f"{p}.png").stat().st_size > 1_000
        for p in ("nav", "weights", "var", "gas")
    )
    check_lifecycle_report(json.loads((run / "lifecycle-report.json").read_text()))
    check_prime_report(json.loads((run / "prime-report.json").read_text()))


def check_prime_report(report: dict) -> None:
    """DEMO-4, the prime act (issue 19 item 9): the broker, its margin module and the USDC pool
    `deploy all` recorded; four institutions opened at their target
    ratios on 3 October 2008; the week's S&P 500 closes margin-call the macro fund on the 9th
    (124.50%) and, with no top-up, its grace period of a day passes and the keeper liquidates half
    its debt on the 10th, taking QSPX worth the repayment plus the 5% bonus at that day's close;
    the multi-strategy fund, called on the 10th (124.17%), tops up to initial margin and its call
    clears; the conservative books are never called; no bad debt; the events agree with the
    report (the act's own check)."""
    from keepers.prime import model
    from keepers.vault import history, load_portfolio

    assert {"PrimeBroker", "LendingPool.USDC"} <= set(report["recorded"])
    # The broker's modules, each under its build's name (`build_name`, prime-views F2).
    for module in ("PrimeMargin", "PrimeLiquidation", "PrimeViews"):
        assert any(name.startswith(f"{module}.") for name in report["recorded"]), module
    assert report["broker"] == report["recorded"]["PrimeBroker"]
    assert report["on_chain"] and report["bad_debt"] == 0
    accounts = {a["name"]: a for a in report["accounts"]}
    opening = {n: a["opening_ratio_bps"] for n, a in accounts.items()}
    targets = {
        "Harbor pension plan": 25_000,
        "Ashford insurer": 20_000,
        "Meridian macro fund": 15_050,
        "Calder multi-strategy fund": 15_050,
    }
    # Each borrowed to its target (rounded down), the ratio checked in the borrow's block.
    assert all(targets[n] - 2 <= opening[n] <= targets[n] for n in targets), opening
    # Interest and the seconds between blocks move a ratio by a basis point or two.
    expected = {
        "Harbor pension plan": [24_805, 24_527, 24_473, 24_130, 24_079],
        "Ashford insurer": [19_795, 19_533, 19_496, 19_265, 19_274],
        "Meridian macro fund": [14_468, 13_635, 13_479, 12_450, 12_302],
        "Calder multi-strategy fund": [14_449, 13_615, 13_470, 12_518, 12_417],
    }
    for name, ratios in expected.items():
        got = list(accounts[name]["ratios_bps"].values())
        assert all(abs(g - e) <= 2 for g, e in zip(got, ratios, strict=True)), (name, got)
    assert report["calls"] == 2 and report["liquidations"] == 1
    meridian, calder = accounts["Meridian macro fund"], accounts["Calder multi-strategy fund"]
    assert [c["day"] for c in meridian["calls"]] == ["2008-10-09"]
    assert [c["day"] for c in calder["calls"]] == ["2008-10-10"]
    (liquidation,) = meridian["liquidations"]
    assert liquidation["day"] == "2008-10-10" and liquidation["collateral"] == "QSPX"
    # Half the debt (the close factor) with four days' interest; QSPX at the 10 October close.
    borrowed = meridian["borrowed_usdc"]
    assert borrowed // 2 < liquidation["repaid_usdc"] < borrowed // 2 + 1_000 * 10**6
    close = int(round(float(history(load_portfolio()).loc["2008-10-10", "QSPX"]) * 10**8))
    quote = model.quote(
        liquidation["repaid_usdc"],
        model.Holding(0, 2 * liquidation["repaid_usdc"], 10**18, 6, 0),
        model.Holding(2_000 * 10**18, 0, close * 10**10, 18, 10_000),
        liquidation["ratio_before_bps"],
        500,
    )
    assert (liquidation["seized"], quote.bonus_bps) == (quote.seized, 500)
    assert liquidation["ratio_after_bps"] > liquidation["ratio_before_bps"]
    assert report["liquidator_seized"]["QSPX"] == liquidation["seized"]
    assert not any(accounts[n]["calls"] for n in ("Harbor pension plan", "Ashford insurer"))
    # The top-up: the call's shortfall to initial margin, in USDC; the account back at 150%.
    (top_up,) = calder["top_ups_usdc"]
    assert top_up * 10**12 >= calder["calls"][0]["shortfall_usd"]
    assert calder["ratio_end_bps"] >= 15_000 and meridian["ratio_end_bps"] > 14_900
    days = report["pool_days"]
    assert days["2008-10-10"]["total_debt_usdc"] < days["2008-10-09"]["total_debt_usdc"]
    assert days["2008-10-10"]["utilisation_bps"] < days["2008-10-09"]["utilisation_bps"]


def check_lifecycle_report(report: dict) -> None:
    """The lifecycle act (issue 17 item 9): nine weekly cut-offs of autumn 2008 struck by the NAV
    agent keeper; the fund returned French's one-month T-bill rate (Sept 0.15%, Oct 0.08% a
    month), paid as a daily dividend in new shares declared by the keeper every business day; the
    Lehman-week run queued behind the 10% gate and served pro rata over the next periods; then a
    two-year note whose four coupons the keeper recorded, redeemed at face at maturity."""
    strikes = report["strikes"]
    assert [s["history_date"] for s in strikes] == [
        "2008-09-01",
        "2008-09-08",
        "2008-09-15",
        "2008-09-22",
        "2008-09-29",
        "2008-10-06",
        "2008-10-13",
        "2008-10-20",
        "2008-10-27",
    ]
    assert report["keeper_statuses"] == ["confirmed"] * 9
    # Three subscriptions struck at the opening $1.00: 10,000,000 USDC.
    assert strikes[0]["nav18"] == 10**18 and strikes[0]["subscribed_usdc"] == 10_000_000 * 10**6
    assert [s["rf_monthly_pct"] for s in strikes] == ["0.15"] * 5 + ["0.08"] * 4
    # The income is paid in shares: the NAV holds at $1.00 (within 10 bp: the cash sleeve earns
    # nothing while the dividend pays the rate on every share); the return is NAV x index.
    assert all(abs(s["nav18"] - 10**18) <= 10**15 for s in strikes)
    values = [s["nav18"] * s["income_index"] for s in strikes]
    assert all(b > a for a, b in zip(values, values[1:]))
    # Free cash earns nothing: the fund's return is at most the T-bill rate's, plus the income the
    # escrow earned and the strike burned (LCY-92: it goes to the holders who remain); 80%
    # invested in September, fully invested once the run took the sleeve: then the rate's, within
    # 1%.
    assert sum(s["escrow_income_burned_shares"] for s in strikes) > 0  # the run's queue earned
    for s in strikes[1:]:
        assert 0 < s["yield_bps"] <= s["rf_yield_bps"] * 1.001 + s["escrow_uplift_bps"]
        assert s["dividend_shares"] > 0 and s["income_index"] > strikes[0]["income_index"]
    assert 0.79 < strikes[1]["yield_bps"] / strikes[1]["rf_yield_bps"] < 0.81
    assert abs(strikes[-1]["yield_bps"] / strikes[-1]["rf_yield_bps"] - 1) < 0.01
    assert strikes[-1]["yield_bps"] < 0.6 * strikes[1]["rf_yield_bps"]  # October's lower rate
    # The run: 2,000,000 + 600,000 shares requested in Lehman week (16 September).
    requested = report["run_requested"]
    assert requested == {"pension fund": 2_000_000 * 10**18, "corporate treasury": 600_000 * 10**18}
    queue = [(s["redeem_pending_shares"], s["redeem_fulfilled_shares"]) for s in strikes]
    assert queue[:3] == [(0, 0)] * 3
    # Gated twice at 10% of the supply (escrow and declared income included), the rest carried,
    # then all served.
    gate = [s["supply_before_shares"] // 10 for s in strikes]
    assert queue[3] == (2_600_000 * 10**18, gate[3])
    assert queue[4] == (2_600_000 * 10**18 - gate[3], gate[4])
    assert queue[5][0] == queue[5][1] == 2_600_000 * 10**18 - gate[3] - gate[4] > 0
    assert all(p == f == 0 for p, f in queue[6:])
    for s in strikes[3:]:
        assert s["redeem_fulfilled_shares"] * 10_000 <= s["supply_before_shares"] * 1_000
        ratios = list(s["served_ratio"].values())
        assert len(ratios) == 2 and max(ratios) - min(ratios) < 1e-9  # pro rata
    assert [round(s["served_ratio"]["pension fund"], 6) for s in strikes[3:6]] == [
        round(gate[3] / (2_600_000 * 10**18), 6),
        round((gate[3] + gate[4]) / (2_600_000 * 10**18), 6),
        1.0,
    ]
    # Paid in cash at each strike's NAV (rounded down), all of each request in the end.
    for s in strikes:
        for shares, paid in s["redeemed"].values():
            assert 0 <= shares * s["nav18"] // 10**30 - paid <= 1
    for name, shares in requested.items():
        claimed = sum(s["redeemed"][name][0] for s in strikes if name in s["redeemed"])
        paid = sum(s["redeemed"][name][1] for s in strikes if name in s["redeemed"])
        assert claimed == shares and paid == report["run_paid_usdc"][name]
    check_settlement_assets(report)
    check_dividends(report)
    check_note(report["note"])


def check_settlement_assets(report: dict) -> None:
    """The fund dealt in two settlement assets through one FundDesk (LCY-70..77): USDC (reserve-
    backed, rank 3) and TDUSD (a tokenized deposit, rank 1: preferred for payouts). Each vault
    received its investors' subscriptions (its PeriodStruck events) and paid what they were paid
    (its Withdraw events); the run's requests, accepting both, passed the preferred TDUSD (fully
    invested: no free cash) for USDC, as the rule recomputed before each request says."""
    flows, routings = report["flows"], report["routings"]
    assert list(report["vaults"]) == list(flows) == ["USDC", "TDUSD"]
    assert report["desk"] not in report["vaults"].values()
    m = 10**6
    assert {a: (f["asset_type"], f["risk_weight_bps"], f["rank"]) for a, f in flows.items()} == {
        "USDC": ("RESERVE_BACKED", 10_000, 3),
        "TDUSD": ("TOKENIZED_DEPOSIT", 2_000, 1),
    }
    assert {a: (f["subscribed"], f["received"]) for a, f in flows.items()} == {
        "USDC": (7_000_000 * m, 7_000_000 * m),
        "TDUSD": (3_000_000 * m, 3_000_000 * m),
    }
    assert report["strikes"][0]["subscribed"] == {"USDC": 7_000_000 * m, "TDUSD": 3_000_000 * m}
    # The sleeve (20% of the fund) kept in USDC, every deposit token in T-bills.
    assert (flows["USDC"]["invested"], flows["TDUSD"]["invested"]) == (5_000_000 * m, 3_000_000 * m)
    for f in flows.values():
        assert f["paid"] == f["paid_to_investors"]
    assert flows["TDUSD"]["paid"] == flows["TDUSD"]["redeemed_shares"] == 0
    assert flows["USDC"]["paid"] == sum(report["run_paid_usdc"].values())
    assert flows["USDC"]["redeemed_shares"] == 2_600_000 * 10**18
    assert [r["name"] for r in routings] == ["pension fund", "corporate treasury"]
    for r in routings:
        candidates = r["candidates"]
        assert set(candidates) == {"USDC", "TDUSD"} and r["mask"] == 0b11
        assert candidates["TDUSD"]["free_cash"] < candidates["TDUSD"]["needed"]  # fully invested
        assert candidates["USDC"]["free_cash"] >= candidates["USDC"]["needed"] > 0
        assert r["expected"] == r["routed"] == "USDC" and r["vault"] == report["vaults"]["USDC"]
        assert r["paid"] == {"USDC": report["run_paid_usdc"][r["name"]]}


def check_dividends(report: dict) -> None:
    """A dividend a business day from 2 September (the day after the first claims) to the last
    cut-off, numbered once each, windows end to end; paid = declared less the token's dust; the
    dividends compounded at French's RF (the insurer, who never redeemed, grew by it)."""
    declarations, income = report["declarations"], report["income"]
    days = [d["history_date"] for d in declarations]
    assert days[0] == "2008-09-02" and days[-1] == "2008-10-27" and len(days) == 40
    assert all(dt.date.fromisoformat(day).weekday() < 5 for day in days)
    assert len(set(days)) == len(days) and days == income["weekdays"]
    assert [d["number"] for d in declarations] == list(range(1, 41))
    assert all(d["status"] == "confirmed" for d in declarations)
    assert all(a["end"] == b["start"] for a, b in zip(declarations, declarations[1:]))
    declared = sum(d["shares"] for d in declarations)
    paid = sum(income["paid_shares"].values())
    assert income["declared_shares"] == declared
    assert declared - paid == income["unpaid_shares"]
    assert 0 <= income["unpaid_shares"] <= income["dust_bound"] == 5 * 40
    growth = Decimal(income["growth"])
    assert abs(growth / Decimal(income["rf_growth"]) - 1) < Decimal("1e-9")
    insurer = Decimal(income["paid_shares"]["insurer"]) / (2_000_000 * 10**18)
    assert abs(insurer / (growth - 1) - 1) < Decimal("1e-9")
    # escrowed shares earn for the vault the run was routed to
    assert income["paid_shares"]["the USDC vault (escrow)"] > 0


def check_note(note: dict) -> None:
    """The two-year 3% semi-annual 30/360 note: a valid ISIN; four coupons recorded by the keeper
    on their record dates at QuantLib's amounts, each holder of record paid its notes x the
    coupon (the pension fund sold 5,000 notes to the insurer after the first); redeemed at face."""
    from keepers.lifecycle import is_valid_isin

    assert is_valid_isin(note["isin"]) and note["isin"].startswith("US00QNOTE10")
    coupons = note["coupons"]
    assert [c["number"] for c in coupons] == [1, 2, 3, 4] and note["keeper_recorded"] == [
        1,
        2,
        3,
        4,
    ]
    first = {"pension fund": 20_000, "corporate treasury": 10_000, "insurer": 30_000}
    later = {"pension fund": 15_000, "corporate treasury": 10_000, "insurer": 35_000}
    for c in coupons:
        assert c["recorded_by"] == note["keeper"] and not c["defaulted"]
        assert c["refused_before_recording"].startswith("refused: BalancesFixed")
        record = dt.date.fromisoformat(c["record_date"])
        assert record == dt.date.fromisoformat(c["payment_date"]) - dt.timedelta(days=1)
        assert dt.date.fromisoformat(c["payment_date"]).weekday() < 5  # rolled off weekends
        assert 176 <= c["days"] <= 184
        assert c["amount_per_note"] == 3 * 10**18 * c["days"] // 360  # 3% of 100, 30/360
        assert c["coupon_per_share"] == c["amount_per_note"] * 10**6  # in USDC, at par
        holders = first if c["number"] == 1 else later
        assert c["holders_of_record"] == {n: v * 10**18 for n, v in holders.items()}
        assert c["paid"] == {n: v * c["coupon_per_share"] // 10**18 for n, v in holders.items()}
    assert sum(c["days"] for c in coupons) in range(718, 723)
    assert note["redemption_shortfall"] == 0
    assert note["redemption_price"] == 100 * 10**24
    assert note["redeemed"] == {n: v * 100 * 10**6 for n, v in later.items()}


def test_demo__failing_step__one_line_names_it_exits_nonzero_and_leaves_no_process(tmp_path):
    """DEMO-2: an operator's wrong sanctions-list path makes the screening keeper exit at start,
    every time: the supervisor gives up after its restarts and the demo says so in one line. The
    compliance act alone (DEMO-5): the screening keeper is the one keeper it starts."""
    env = dict(os.environ, QUANTERA_SANCTIONS_LIST=str(tmp_path / "no-such-list.csv"))
    demo = subprocess.run(
        [
            str(BIN / "ape"),
            "run",
            "demo",
            "--act",
            "compliance",
            "--blocks",
            "5",
            "--dir",
            str(tmp_path / "demo"),
        ],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        env=env,
    )
    assert demo.returncode == 1, demo.stdout[-3000:] + demo.stderr[-3000:]
    [line] = [line for line in demo.stderr.splitlines() if line.startswith("demo failed")]
    assert line.startswith(
        "demo failed at step 'start the keepers': QuanteraError: screening-keeper exited with"
    )
    assert f"logs in {tmp_path / 'demo'}" in line
    assert "Traceback" not in demo.stdout + demo.stderr
    assert "acts: compliance" in demo.stdout
    assert not (tmp_path / "demo" / "governance-keeper.log").exists()
    assert "cannot read sanctions list" in (tmp_path / "demo" / "screening-keeper.log").read_text()
    assert (tmp_path / "demo" / "demo-error.log").read_text().startswith("Traceback")
    assert_nothing_left(demo.stdout)
