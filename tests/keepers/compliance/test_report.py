"""CMP-13: the regulatory report, rebuilt from chain events (pure part, then the CLI on a real
deployment)."""

import csv
import json

from conftest import run_quantera
from keepers.compliance.report import build_report

A, B, C = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
IA, IB = "0x" + "1a" * 20, "0x" + "1b" * 20
ZERO = "0x" + "00" * 20


def ev(event, block, **args):
    return {
        "event": event,
        "block": block,
        "timestamp": 1_000 + block,
        "tx": f"0x{block:02x}",
        "log_index": 0,
        **args,
    }


EVENTS = [
    ev("IdentityRegistered", 1, investorAddress=A, identity=IA),
    ev("InvestorProfileSet", 1, identity=IA, next={"country": 840}),
    ev("IdentityRegistered", 2, investorAddress=B, identity=IB),
    ev("InvestorProfileSet", 2, identity=IB, next={"country": 276}),
    ev("IdentityRegistered", 3, investorAddress=C, identity=IB),
    ev("Transfer", 4, **{"from": ZERO, "to": A, "value": 100}),
    ev("Transfer", 5, **{"from": A, "to": B, "value": 30}),
    ev("AddressFrozen", 6, userAddress=B, isFrozen=True, owner=C),
    ev("ForcedTransfer", 7, agent=C, **{"from": B, "to": C, "amount": 30}),
    ev("Transfer", 7, **{"from": B, "to": C, "value": 30}),
    ev("Transfer", 8, **{"from": A, "to": ZERO, "value": 70}),
]


def test_build_report__period_and_jurisdiction__classified_and_counted_at_period_end():
    report = build_report(EVENTS, period_start=1_005, period_end=1_007)
    assert [
        (t["type"], t["amount"], t["from_country"], t["to_country"]) for t in report.transactions
    ] == [("transfer", 30, 840, 276), ("forced-transfer", 30, 276, 276)]
    assert [(f["type"], f["wallet"]) for f in report.freezes] == [("AddressFrozen", B)]
    # At the end of block 7: A holds 70 (US); IB's two wallets hold 30 in total (DE): one holder.
    assert report.holders == [
        {"country": 276, "holders": 1, "balance": 30},
        {"country": 840, "holders": 1, "balance": 70},
    ]
    us_only = build_report(EVENTS, 1_000, 1_100, jurisdiction=840)
    assert [t["type"] for t in us_only.transactions] == ["mint", "transfer", "burn"]
    assert us_only.holders == [] and us_only.total_supply == 30


def test_report_cli__real_deployment__csv_and_json_match_the_chain(deployed_anvil, tmp_path):
    from ape import accounts, networks, project

    from keepers.core.deployments import load, record_path

    network = f"ethereum:local:{deployed_anvil}"
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        token = project.SecurityToken.at(record.address_of("SecurityToken"))
        operator, agent, keeper = (accounts.test_accounts[i] for i in (3, 5, 6))
        alice, bob = accounts.test_accounts[12], accounts.test_accounts[13]
        registry.registerInvestor(alice, "0x" + "a1" * 20, 840, 2, 2**40 - 1, sender=operator)
        registry.registerInvestor(bob, "0x" + "b1" * 20, 826, 3, 2**40 - 1, sender=operator)
        token.unpause(sender=agent)
        token.mint(alice, 1_000, sender=agent)
        token.transfer(bob, 400, sender=alice)
        token.setAddressFrozen(bob, True, sender=keeper)
        supply = token.totalSupply()
        # The deploy script also seeded the local venues (verified US venue identities) with QTF.
        venue_holders = sum(
            1
            for name, address in record.contracts.items()
            if name.startswith(("UniswapV2Pair", "NavVenue")) and token.balanceOf(address) > 0
        )

    out = tmp_path / "report"
    result = run_quantera(
        [
            "compliance",
            "report",
            "--from",
            "2000-01-01",
            "--to",
            "2100-12-31",
            "--network",
            network,
            "--out",
            str(out),
            "--json",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout[result.stdout.index("{") :])
    investors = {alice.address.lower(), bob.address.lower()}
    ours = [
        t
        for t in data["transactions"]
        if {str(t.get("to", "")).lower(), str(t.get("from", "")).lower()} & investors
    ]
    assert [(t["type"], t["amount"]) for t in ours] == [("mint", 1_000), ("transfer", 400)]
    assert data["holders"] == [
        {"country": 826, "holders": 1, "balance": 400},
        {"country": 840, "holders": 1 + venue_holders, "balance": supply - 400},
    ]
    with (out / "freezes.csv").open() as handle:
        [freeze] = list(csv.DictReader(handle))
    assert (freeze["type"], freeze["wallet"], freeze["country"]) == (
        "AddressFrozen",
        bob.address,
        "826",
    )

    bad = run_quantera(
        ["compliance", "report", "--from", "yesterday", "--to", "2100-01-01", "--network", network],
        tmp_path,
    )
    assert (
        bad.returncode == 1
        and bad.stderr.strip() == "error: not a date (YYYY-MM-DD) or unix time: 'yesterday'"
    )
