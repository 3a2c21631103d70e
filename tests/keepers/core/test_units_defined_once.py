"""Issue 32 §2: the shared units are defined once, in keepers/core/units.py (the Solidity side:
contracts/libraries/Constants.sol); every other module imports them. A second definition is how a
page and a keeper came to disagree on a scale."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UNITS = ("BPS", "WAD", "FEED_DECIMALS")


def test_units__defined_in_core_units_only():
    definitions = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in (ROOT / "keepers").rglob("*.py")
        for name in UNITS
        if re.search(rf"^\s*{name}\s*(:\s*\w+\s*)?=", path.read_text(), re.M)
    }
    assert definitions == {("keepers/core/units.py", name) for name in UNITS}
