"""RPT-6: `quantera report client|compliance --pdf|--json` on a real deployment (one `deploy all` on
a private anvil for the module): the PDFs show what the chain holds, asserted against chain reads
and against `quantera compliance report`; bad input is one line on stderr and a non-zero exit."""

import json
import re
from types import SimpleNamespace

import pytest

from conftest import deployed_all
from keepers.core.artifacts import project_at
from keepers.reports.compliance_pdf import amount, country
from keepers.reports.pdf import pct, usd
from pdf_text import flat, pdf_pages

OPERATOR, AGENT, KEEPER, ALICE, BOB = 3, 5, 6, 12, 13
US, UK, FAR_FUTURE = 840, 826, 2**40 - 1
USDC = 10**6
WAD = 10**18


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """`deploy all`, then: Alice (US) and Bob (UK) verified; QTF minted to Alice, 400 sent on to
    Bob, Bob frozen (the compliance report's rows); Alice deposits 600,000 USDC and Bob 300,000
    in the PortfolioVault, which then receives 2,000 QTF (a T-bill position)."""
    from ape import accounts, networks, project

    from keepers.core.deployments import load, record_path

    folder = tmp_path_factory.mktemp("reports")
    with deployed_all(folder) as (_, network):
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(folder))
            with networks.parse_network_choice(network):
                record = load(record_path("ethereum:local", folder))
                at = lambda kind, name: getattr(project, kind).at(record.address_of(name))  # noqa: E731
                registry = at("IdentityRegistry", "IdentityRegistry")
                token = at("SecurityToken", "SecurityToken")
                vault = at("PortfolioVault", "PortfolioVault")
                operator, agent, keeper = (
                    accounts.test_accounts[i] for i in (OPERATOR, AGENT, KEEPER)
                )
                alice, bob = accounts.test_accounts[ALICE], accounts.test_accounts[BOB]
                registry.registerInvestor(
                    alice, "0x" + "a1" * 20, US, 4, FAR_FUTURE, sender=operator
                )
                registry.registerInvestor(bob, "0x" + "b1" * 20, UK, 4, FAR_FUTURE, sender=operator)
                if token.paused():
                    token.unpause(sender=agent)
                token.mint(alice, 1_000 * WAD, sender=agent)
                token.transfer(bob, 400 * WAD, sender=alice)
                usdc = project.LocalStablecoin.at(vault.asset())
                for investor, dollars in ((alice, 600_000), (bob, 300_000)):
                    usdc.mint(investor, dollars * USDC, sender=operator)
                    usdc.approve(vault, dollars * USDC, sender=investor)
                    vault.deposit(dollars * USDC, investor, sender=investor)
                token.mint(vault, 2_000 * WAD, sender=agent)
                token.setAddressFrozen(bob, True, sender=keeper)
            yield SimpleNamespace(network=network, alice=alice.address, bob=bob.address)


def run(capsys, *args):
    """`quantera ...` in process: (exit code, stdout from its JSON on — ape may log a line
    before it —, the last stderr line)."""
    from keepers.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out[out.find("{") :], (err.strip().splitlines() or [""])[-1]


def assert_stamp(text: str, network: str) -> None:
    """The footer's block (anvil mines on a timer: the head of the command's run) has the time
    the footer says, on the chain."""
    from ape import chain, networks

    from keepers.reports.pdf import utc

    block = int(re.search(r"Data: \S+, block (\d+) at", text).group(1))
    with networks.parse_network_choice(network):
        timestamp = int(chain.blocks[block].timestamp)
    assert f"Data: {network}, block {block} at {utc(timestamp)}" in text


def test_rpt_6__report_client_pdf__holdings_as_the_chain_holds_them(deployed, tmp_path, capsys):
    from ape import project

    from keepers.core.chain import connected

    pdf = tmp_path / "client.pdf"
    net = ["--network", deployed.network, "--investor", deployed.alice]
    code, out, err = run(capsys, "report", "client", *net, "--pdf", str(pdf))
    assert code == 0, err
    code, out, err = run(capsys, "report", "client", *net, "--json")
    assert code == 0, err
    data = json.loads(out)
    text = flat(pdf_pages(pdf.read_bytes()))
    with connected(deployed.network) as record:
        vault = project_at("PortfolioVault", record.address_of("PortfolioVault"))
        router = project.OracleRouter.at(vault.oracle())
        shares, supply = int(vault.balanceOf(deployed.alice)), int(vault.totalSupply())
        worth = int(vault.convertToAssets(shares)) / USDC
        assets, balances = vault.positions()
        expected = {}
        for asset, balance in zip(assets, balances):
            token = project.LocalStablecoin.at(asset)
            price = int(router.priceOf(asset)[1]) / WAD
            quantity = int(balance) / 10 ** int(token.decimals()) * shares / supply
            expected[token.symbol()] = (quantity, price)
    assert set(expected) == {"USDC", "QTF", "QSPX", "QNDX", "QOIL"}
    assert expected["QTF"][0] == pytest.approx(2_000 * 2 / 3, rel=1e-3)  # Alice's 2/3 of it
    rows = {h["symbol"]: h for h in data["holdings"]}
    for symbol, (quantity, price) in expected.items():
        assert rows[symbol]["quantity"] == pytest.approx(quantity, rel=1e-12)
        assert rows[symbol]["price_usd"] == price
        value = quantity * price
        if quantity > 0:  # the PDF lists the positions held (the JSON every listed asset)
            assert f"{symbol} " in text and f"{quantity:,.4f} {usd(price)} {usd(value)}" in text
    # The total is what the vault itself says Alice's shares are worth (its NAV at the same
    # prices, less the rounding of its share conversion).
    assert data["total_value_usd"] == pytest.approx(worth, rel=1e-6)
    assert f"Total {usd(data['total_value_usd'])} 100.00%" in text
    assert data["stamp"]["network"] == deployed.network
    assert_stamp(text, deployed.network)
    assert "Benchmark: QTF 40%, QSPX 60%" in text
    assert (
        "Return series: Hypothetical, not the portfolio's realised NAV: the current holdings'"
        in text
    )
    totals = data["attribution_totals"]
    active = (
        data["metrics"]["portfolio"]["total_return"] - data["metrics"]["benchmark"]["total_return"]
    )
    assert totals["excess_return"] == pytest.approx(active, abs=1e-12)
    assert f"Active return (portfolio - benchmark) {pct(active)}" in text
    assert "dealing fee 10 bps on every deposit and redemption" in text


def test_rpt_6__report_compliance_pdf__the_rows_of_compliance_report(deployed, tmp_path, capsys):
    period = ["--from", "2000-01-01", "--to", "2100-12-31", "--network", deployed.network]
    code, out, err = run(capsys, "compliance", "report", *period, "--json")
    assert code == 0, err
    existing = json.loads(out)
    code, out, err = run(capsys, "report", "compliance", *period, "--json")
    assert code == 0, err
    # The same report (the head, read last, moves on: anvil mines on a timer).
    ignored = ("block", "block_timestamp")
    same = {k: v for k, v in json.loads(out).items() if k not in ignored}
    assert same == {k: v for k, v in existing.items() if k not in ignored}
    pdf = tmp_path / "compliance.pdf"
    code, out, err = run(capsys, "report", "compliance", *period, "--pdf", str(pdf))
    assert code == 0, err
    text = flat(pdf_pages(pdf.read_bytes()))
    names = {US: "United States", UK: "United Kingdom"}
    # Amounts in whole units with the token's symbol (issue 33 §2); the JSON keeps base units.
    assert existing["token_decimals"] == 18 and existing["token_symbol"]

    def whole(value: int) -> str:
        return amount(value, existing["token_decimals"], existing["token_symbol"])

    ours = [t for t in existing["transactions"] if deployed.alice in (t["from"], t["to"])]
    assert [(t["type"], t["amount"]) for t in ours] == [
        ("mint", 1_000 * WAD),
        ("transfer", 400 * WAD),
    ]
    for t in existing["transactions"]:
        sides = f"{country(t['from_country'], names)} {country(t['to_country'], names)}"
        cells = f"{t['type']} {t['from']} {t['to']} {whole(t['amount'])} {sides} {t['tx']}"
        assert cells in text, cells
    [freeze] = existing["freezes"]
    assert freeze["wallet"] == deployed.bob
    assert f"AddressFrozen yes {deployed.bob}" in text and freeze["tx"] in text
    for h in existing["holders"]:
        assert f"{country(h['country'], names)} {h['holders']} {whole(h['balance'])}" in text
    assert f"total supply at period end: {whole(existing['total_supply'])}." in text
    # The record's contracts among the rows are named (the PortfolioVault holds the token).
    assert "Named addresses" in text and "PortfolioVault" in text
    assert f"Token: {existing['token']}." in text
    assert_stamp(text, deployed.network)
    # The CLI's own table (issue 33 §2): countries by name, balances in whole units.
    from keepers.cli import main

    assert main(["compliance", "report", *period]) == 0
    table = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for h in existing["holders"]:
        if h["country"] is not None:
            row = f"{h['country']} {names[h['country']]} {h['holders']:,} {whole(h['balance'])}"
            assert row in table, (row, table)


CLIENT = ["report", "client"]
COMPLIANCE = ["report", "compliance"]
BAD_INPUT = [
    ([*CLIENT, "--json", "--pdf", "x.pdf"], "give one of --pdf FILE or --json"),
    ([*CLIENT, "--benchmark", "QSPX=70,QTF=40", "--json"], "summing to 100"),
    ([*CLIENT, "--benchmark", "QGLD=100", "--json"], "benchmark assets not among the holdings"),
    ([*CLIENT, "--investor", "0x" + "99" * 20, "--json"], "holds no shares of"),
    ([*CLIENT, "--from", "2030-01-01", "--to", "2031-01-01", "--json"], "has 0 days"),
    (
        [*COMPLIANCE, "--from", "2020-02-01", "--to", "2020-01-01", "--json"],
        # Dates as given, not unix seconds (issue 33 §4).
        "--to (2020-01-01T23:59:59Z) is before --from (2020-02-01T00:00:00Z)",
    ),
    (
        [*COMPLIANCE, "--from", "2020-01-01", "--to", "2021-01-01", "--pdf", "/no/x.pdf"],
        "no folder",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_rpt_6__report_cli__bad_input__one_line_error_nonzero(deployed, capsys, args, message):
    code, _, err = run(capsys, *args, "--network", deployed.network)
    assert code != 0 and err.startswith("error: ") and message in err, err
