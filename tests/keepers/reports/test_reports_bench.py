"""RPT-7: the committed record of `scripts/bench_reports.py` (`make bench`): read, not timed."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_reports  # noqa: E402  (scripts/ is not a package)


def test_rpt_7__benchmark_record__each_pdf_report_under_five_seconds():
    record = json.loads((ROOT / "benchmarks" / "reports.json").read_text())
    client = record[bench_reports.CLIENT_KEY]
    compliance = record[bench_reports.COMPLIANCE_KEY]
    assert client["assets"] == 5 and client["trading_days"] > 1_000 and client["pages"] >= 2
    assert compliance["transactions"] == 1_201 and compliance["pages"] >= 40
    for entry in (client, compliance):
        assert entry["runs"] >= 5 and entry["goal_s"] == 5.0
        assert entry["median_s"] < 5.0 and entry["first_call_s"] < 5.0 and entry["within_goal"]
