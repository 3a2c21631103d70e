"""`quantera route quote` against a real deployment (called from test_deploy_and_demo.py)
(docs/specs.md LIQ-14): one call quotes every source, the RFQ maker's signed quote included; bad
input is a one-line error."""

import json

from conftest import run_quantera


def check_route_quote(network, tmp_path):
    """Run by test_deploy_and_demo.py on its deployment (one deploy for both)."""
    base = ["route", "quote", "--network", network, "--token-in", "USDC", "--token-out", "QSPX"]
    taker = (
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"  # test account 7: the maker's quote names it
    )
    quoted = run_quantera(
        [*base, "--amount", "2500000", "--rfq-maker", "TEST::20", "--taker", taker, "--json"],
        tmp_path,
    )
    assert quoted.returncode == 0, quoted.stderr
    plan = json.loads(quoted.stdout[quoted.stdout.index("{") :])
    assert int(plan["predicted_out"]) >= int(plan["best_single_source"]["amount_out"]) > 0
    assert sum(int(leg["amount_in"]) for leg in plan["legs"]) == 2_500_000 * 10**6
    assert {leg["source"] for leg in plan["legs"]} >= {"RfqVenue"}
    assert plan["arbitrage"] is None
    # Beside the raw base units, what a person reads: whole units and the symbol (issue 33 §2).
    assert plan["display"]["amount_in"] == "2,500,000 USDC"
    assert plan["display"]["predicted_out"].endswith(" QSPX")
    # swap(route) for the aggregator
    assert plan["calldata"].startswith("0x") and len(plan["calldata"]) > 10

    # Without an RFQ maker the quote reads the node directly (CON-89): no ape, the same kind of
    # plan, its calldata the same swap function's.
    import os

    from conftest import run_quantera_watching_imports

    env = {**os.environ, "QUANTERA_DEPLOYMENTS_DIR": str(tmp_path)}
    direct, imported_ape = run_quantera_watching_imports(
        # A taker in lower case, as ape's `.call(sender=)` takes it (helper-88 F2).
        [*base, "--amount", "25000", "--taker", taker.lower(), "--json"],
        env,
    )
    assert direct.returncode == 0 and not imported_ape, direct.stderr
    direct_plan = json.loads(direct.stdout)
    assert sum(int(leg["amount_in"]) for leg in direct_plan["legs"]) == 25_000 * 10**6
    assert int(direct_plan["predicted_out"]) > 0 and direct_plan["legs"]
    assert direct_plan["calldata"][:10] == plan["calldata"][:10]

    for args, message in (
        ([*base, "--amount", "lots"], "error: --amount 'lots' is not a number"),
        # More than exists (a quote of 1e40 used to run the venues out of gas).
        ([*base, "--amount", "1e40"], "error: --amount 1e40 is more than all of USDC"),
        ([*base[:5], "DOGE", *base[6:], "--amount", "1"], "error: unknown token 'DOGE'"),
        (
            [*base, "--amount", "1", "--rfq-maker", "TEST::20"],
            "error: --rfq-maker quotes a named taker: give --taker",
        ),
    ):
        failed = run_quantera(args, tmp_path)
        assert failed.returncode == 1 and "Traceback" not in failed.stderr
        assert failed.stderr.strip().splitlines()[-1].startswith(message)
