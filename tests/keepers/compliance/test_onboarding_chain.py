"""CMP-12: `quantera compliance onboard` against a real deployment: idempotent, bad rows skipped by
line."""

import json
from datetime import date, timedelta

from conftest import run_quantera

WALLETS = ["0x" + f"{i:02x}" * 20 for i in (0xA1, 0xA2, 0xA3)]

# Five years ahead of today, so the test does not expire with the calendar.
EXPIRY = (date.today() + timedelta(days=5 * 365)).isoformat()


def test_onboard__file_with_bad_rows__good_rows_registered_once_bad_rows_reported(
    deployed_anvil, tmp_path
):
    network = f"ethereum:local:{deployed_anvil}"
    kyc = tmp_path / "kyc.jsonl"
    kyc.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "wallet": WALLETS[0],
                        "country": 840,
                        "investor_class": "accredited",
                        "expiry": EXPIRY,
                        "provider_reference": "applicant-1",
                    }
                ),
                json.dumps(
                    {
                        "wallet": WALLETS[1],
                        "country": 840,
                        "investor_class": "platinum",
                        "expiry": EXPIRY,
                        "provider_reference": "applicant-2",
                    }
                ),
                json.dumps(
                    {
                        "wallet": WALLETS[2],
                        "country": 840,
                        "investor_class": "qualified",
                        "expiry": EXPIRY,
                        "provider_reference": "applicant-1",
                    }
                ),
            ]
        )
        + "\n"
    )
    args = [
        "compliance",
        "onboard",
        "--file",
        str(kyc),
        "--network",
        network,
        "--account",
        "TEST::3",
        "--json",
    ]

    first = run_quantera(args, tmp_path)
    assert first.returncode == 1
    assert first.stderr.strip().splitlines()[-1] == "error: 1 row(s) rejected: line(s) 2"
    rows = json.loads(first.stdout[first.stdout.index("{") :])["rows"]
    assert [(r["line"], r["outcome"]) for r in rows][0] == (1, "register")
    assert rows[1]["line"] == 2 and "platinum" in rows[1]["outcome"]
    # Same applicant: the second wallet joins the same identity, whose class becomes the latest
    # KYC's.
    assert rows[2]["outcome"] == "register" and rows[2]["identity"] == rows[0]["identity"]

    second = run_quantera(args, tmp_path)
    rows = json.loads(second.stdout[second.stdout.index("{") :])["rows"]
    assert [r["outcome"] for r in rows if r["line"] != 2] == ["unchanged", "unchanged"]
