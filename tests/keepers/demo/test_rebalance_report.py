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


def _series(gas):
    return RebalanceSeries(
        dates=[f"2009-03-{d:02d}" for d in range(2, 12)],
        nav=[1.0] * 10,
        benchmark=[1.0] * 10,
        weights={"USDC": [1.0] + [0.2] * 9, "QTF": [0.0] + [0.5] * 9, "QSPX": [0.0] + [0.3] * 9},
        var=[None] * 10,
        pnl=[0.0] * 10,
        gas=gas,
    )


def test_report__gas_chart__the_bound_drawn_and_thousands_separated():
    """Issue 33 §3: the gas chart draws the product plan's 500,000 bound per rebalance and labels
    its axis with thousands separators."""
    import matplotlib.pyplot as plt

    from keepers.demo.rebalance_report import REBALANCE_GAS_BOUND, gas_figure

    fig = gas_figure(_series([("rebalance (4 trades)", 605_198), ("sync", 90_000)]))
    [ax] = fig.axes
    bounds = [line for line in ax.lines if "bound" in line.get_label()]
    assert [line.get_xdata()[0] for line in bounds] == [REBALANCE_GAS_BOUND] == [500_000]
    assert "500,000" in bounds[0].get_label()
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("," in t for t in shown) and all(t.replace(",", "").isdigit() for t in shown)
    plt.close(fig)


def test_report__weights_chart__legend_beside_the_data():
    """Issue 33 §3: the weights chart's legend sits right of the plot, not over the stack."""
    import matplotlib.pyplot as plt

    from keepers.demo.rebalance_report import weights_figure

    fig = weights_figure(_series([]))
    [ax] = fig.axes
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert legend.x0 >= plot.x1  # beside, not over
    assert legend.x1 <= fig.bbox.x1  # and inside the image
    plt.close(fig)
