"""CON-7: every console page loads in under 2 seconds in chromium, as `make bench` measured it
(scripts/bench_console.py writes benchmarks/console_pages.json; this test times nothing)."""

import json
from pathlib import Path

from keepers.console.pages import all_pages

RECORD = Path("benchmarks") / "console_pages.json"


def test_con_7__bench_record__every_page_loads_under_two_seconds():
    record = json.loads(RECORD.read_text())
    for page in all_pages():
        entry = record[f"console.page_load.{page.slug}"]
        assert entry["runs"] >= 5 and entry["goal_s"] == 1.0
        assert entry["median_s"] < 1.0 and entry["within_goal"]
