"""CMP-12: onboarding file parsing and planning: bad rows reported with line numbers, good rows
kept."""

import json

from keepers.compliance.onboarding import (
    OnChainInvestor,
    identity_for_reference,
    parse_kyc_file,
    plan,
)

NOW = 1_800_000_000
WALLET_A = "0x" + "a1" * 20
WALLET_B = "0x" + "b2" * 20


def write(tmp_path, rows):
    path = tmp_path / "kyc.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def good(wallet=WALLET_A, **kw):
    row = {
        "wallet": wallet,
        "country": 840,
        "investor_class": "accredited",
        "expiry": "2030-01-01",
        "provider_reference": "kyc-1",
    }
    row.update(kw)
    return row


def test_parse__mixed_file__good_rows_kept_bad_rows_reported_by_line(tmp_path):
    path = write(
        tmp_path,
        [
            good(),
            "{not json",
            good(WALLET_B, investor_class="gold"),
            good(WALLET_B, expiry="2001-01-01"),
            "",
            good(WALLET_B, country="XX"),
            good(),  # duplicate wallet
            good(WALLET_B, provider_reference="kyc-1", expiry=NOW + 10),
        ],
    )
    records, errors = parse_kyc_file(path, NOW)
    assert [r.line for r in records] == [1, 8]
    assert [e.line for e in errors] == [2, 3, 4, 6, 7]
    assert (
        "gold" in errors[1].error and "expired" in errors[2].error and "line 1" in errors[4].error
    )
    # Issue 33 §2: the dates a person reads are ISO 8601 UTC, the chain's time beside them.
    assert errors[2].error.startswith("KYC already expired at 2001-01-01T00:00:00Z (chain time ")
    # Same provider reference -> same identity: both wallets share one identity's limits.
    assert records[0].identity == records[1].identity == identity_for_reference("kyc-1")
    assert records[0].investor_class == 2 and records[1].expiry == NOW + 10


def test_plan__states__register_update_unchanged_or_error(tmp_path):
    [record], _ = parse_kyc_file(write(tmp_path, [good()]), NOW)
    fresh = OnChainInvestor(None, 0, 0, 0, 0)
    assert plan(record, fresh) == "register"
    same = OnChainInvestor(record.identity, 1, 840, record.investor_class, record.expiry)
    assert plan(record, same) == "unchanged"
    assert (
        plan(record, OnChainInvestor(record.identity, 1, 840, 1, record.expiry)) == "update-profile"
    )
    assert plan(record, OnChainInvestor("0x" + "99" * 20, 1, 840, 2, 0)).startswith(
        "error: wallet is registered"
    )
    assert plan(record, OnChainInvestor(None, 2, 276, 2, 0)).startswith("error: identity's country")
