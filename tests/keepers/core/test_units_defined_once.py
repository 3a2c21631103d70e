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


def test_console__reads_any_erc20_with_openzeppelins_abi__never_a_test_doubles():
    """Issue 32 §2: the console read every ERC-20 with the `LocalStablecoin` test double's ABI. It
    now uses OpenZeppelin's compiled IERC20Metadata (keepers.core.tokens.ERC20), which
    `ChainSource.contract` loads on first use; a record name `LocalStablecoin.<symbol>` is still a
    name."""
    from keepers.console.source import ChainSource
    from keepers.core.tokens import ERC20, erc20_abi

    uses = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "keepers" / "console").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if '"LocalStablecoin"' in line
    ]
    assert uses == []
    names = {entry.get("name") for entry in erc20_abi()}
    assert {"symbol", "decimals", "totalSupply", "balanceOf", "Transfer"} <= names

    class Eth:
        @staticmethod
        def contract(address, abi):
            return address, abi

    class W3:
        eth = Eth()

    source = ChainSource(W3(), record=None, abis={})  # no compiled ABI at all
    address = "0x" + "12" * 20
    assert source.contract("", address, abi_of=ERC20)[1] == erc20_abi()
