"""Issue 32 §2: the shared units are defined once, in keepers/core/units.py (the Solidity side:
contracts/libraries/Constants.sol); every other module imports them. A second definition is how a
page and a keeper came to disagree on a scale."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UNITS = ("BPS", "WAD", "FEED_DECIMALS", "PRICE_STATUS", "USABLE_PRICE_STATUS")


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


def test_keepers__read_an_erc20_with_openzeppelins_abi__the_test_double_only_where_it_mints():
    """Issue 32 §2 (token metadata in core): a keeper reads any ERC-20 through
    keepers.core.tokens.erc20_at (OpenZeppelin's IERC20Metadata), not the LocalStablecoin test
    double's ABI; the double's own ABI stays where its `mint` is called (local funding in the
    rebalancing deploy step, the demo: keepers/demo)."""
    from keepers.core.tokens import ERC20, erc20_at

    users = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "keepers").rglob("*.py")
        if "LocalStablecoin.at(" in path.read_text() and "demo" not in path.parts
    }
    assert users == {"keepers/rebalancing/deploy.py"}
    token = erc20_at("0x" + "12" * 20)
    assert token.contract_type.name == ERC20
    assert {"symbol", "decimals", "approve", "balanceOf"} <= {
        m.name for m in token.contract_type.abi if m.type == "function"
    }


def test_format_units__exact_whole_units_with_separators():
    """Issue 33 §2: amounts a person reads are whole units, exact (no float), grouped, with no
    trailing zeros."""
    from keepers.core.units import format_units

    assert format_units(250_000 * 10**18 + 5, 18) == "250,000.000000000000000005"
    assert format_units(1_500_000, 6) == "1.5"
    assert format_units(10**40, 18) == "10,000,000,000,000,000,000,000"
    assert format_units(0, 6) == "0" and format_units(123, 0) == "123"
    assert format_units(-1_500_000, 6) == "-1.5"


def test_format_amount__whole_units_with_the_symbol_or_base_units_said_so():
    """The one formatter of a token amount a person reads (the describer, the compliance page and
    the regulator's PDF): exact whole units with the symbol, or base units said so."""
    from keepers.core.units import format_amount

    assert format_amount(250_000 * 10**18 + 5, 18, "QSPX") == "250,000.000000000000000005 QSPX"
    assert format_amount(1_500_000, 6, "USDC") == "1.5 USDC"
    assert format_amount(1_000_000, None, None) == "1,000,000 base units"


def test_human_duration__the_largest_two_units():
    """One reading of a duration (the risk page's feed age, the prime page's time left, the
    describer's delays): the largest two units present."""
    from keepers.core.units import human_duration

    assert [human_duration(s) for s in (45, 3_660, 86_401, 90_000, -3)] == [
        "45 s",
        "1 h 1 min",
        "1 d 1 s",
        "1 d 1 h",
        "0 s",
    ]
