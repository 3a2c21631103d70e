"""`quantera analytics metrics` (ANL-10): the metrics of a returns CSV as JSON, one-line errors."""

import json

import numpy as np
import pandas as pd
import pytest

from keepers.analytics import performance
from keepers.cli import main


@pytest.fixture
def returns_csv(tmp_path):
    rng = np.random.default_rng(4)
    market = rng.normal(0.0004, 0.01, 250)
    frame = pd.DataFrame(
        {
            "date": pd.bdate_range("2021-01-01", periods=250).date,
            "spx": market,
            "fund": 0.9 * market + rng.normal(0.0002, 0.004, 250),
            "steady": np.full(250, 0.0001),
        }
    )
    path = tmp_path / "returns.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_anl_10__metrics_json__each_asset_as_the_library_computes_it(returns_csv, capsys):
    path, frame = returns_csv
    args = ["analytics", "metrics", "--returns", str(path), "--benchmark", "spx", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["periods"], data["benchmark"], sorted(data["assets"])) == (
        250,
        "spx",
        ["fund", "steady"],
    )
    expected = performance(frame["fund"].to_numpy(), frame["spx"].to_numpy()).row()
    assert data["assets"]["fund"] == pytest.approx(expected, rel=1e-12)
    # Constant returns: no dispersion, so no Sharpe or Sortino ratio (null, not Infinity).
    assert data["assets"]["steady"]["sortino"] is None
    assert data["assets"]["steady"]["max_drawdown"] == 0.0


def test_anl_10__bad_input__one_line_error_nonzero(returns_csv, tmp_path, capsys):
    path, _ = returns_csv
    nan_file = tmp_path / "nan.csv"
    nan_file.write_text("date,a\n2021-01-01,0.01\n2021-01-02,\n2021-01-03,0.02\n")
    short_file = tmp_path / "short.csv"
    short_file.write_text("date,a,b\n2021-01-01,0.01,0.02\n2021-01-02,-1.5,0.01\n")
    cases = [
        (["--returns", str(path), "--benchmark", "ndx"], "no column 'ndx' (columns: spx, fund"),
        (["--returns", str(nan_file)], "missing value (NaN) in column 'a', data row 2"),
        (["--returns", str(short_file)], "a return of -100 % or less cannot be compounded"),
    ]
    for args, message in cases:
        assert main(["analytics", "metrics", *args]) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
