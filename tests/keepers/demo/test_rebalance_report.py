"""The demo's rebalancing report: every plot written as a PNG, exceptions counted against the VaR
published before them, returns and gas in the markdown."""

from keepers.demo.rebalance_report import RebalanceSeries, exceptions, write_report


def test_report__plots_exceptions_and_figures(tmp_path):
    series = RebalanceSeries(
        dates=[f"2009-03-{d:02d}" for d in range(2, 12)],
        nav=[1, 1.01, 0.99, 1.0, 1.02, 1.03, 1.01, 1.04, 1.05, 1.06],
        benchmark=[1, 1.0, 0.98, 0.99, 1.0, 1.02, 1.0, 1.02, 1.03, 1.03],
        weights={"USDC": [1.0] + [0.2] * 9, "QTF": [0.0] + [0.5] * 9, "QSPX": [0.0] + [0.3] * 9},
        var=[None, 0.015, 0.015, 0.01, 0.012, 0.012, 0.01, 0.01, 0.011, 0.011],
        pnl=[0.0, 0.01, -0.0198, 0.0101, 0.02, 0.0098, -0.0194, 0.0297, 0.0096, 0.0095],
        gas=[("rebalance (3 trades)", 650_000), ("risk model update", 240_000)],
        notes=["note: replay"],
    )
    assert exceptions(series) == [2, 6]  # -1.98% < -1.5% and -1.94% < -1.0%; day 0 has no VaR
    path = write_report(series, tmp_path / "report")
    text = path.read_text()
    for png in ("nav.png", "weights.png", "var.png", "gas.png"):
        assert (tmp_path / "report" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({png})" in text
    assert "+6.00%" in text and "+3.00%" in text and "2 of 9 days" in text and "650,000" in text
