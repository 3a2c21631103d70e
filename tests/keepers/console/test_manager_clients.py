"""CON-95: the manager page's and `quantera manager`'s client portfolios are the record's
PortfolioVault proxies, never their code. Since UPG-9 every PortfolioVault runs behind a
GovernedProxy, whose implementation the record names `<name>.implementation`: a client listed or
chosen by that name would be read (and rebalanced) on the implementation's empty storage."""

from __future__ import annotations

import pytest

from keepers.console.pages.manager import client_vaults, parse_clients
from keepers.console.source import ChainSource, ConsoleError
from keepers.core.deployments import DeploymentRecord
from keepers.core.errors import QuanteraError
from keepers.rebalancing.manager_cli import _portfolios

PROXIES = {
    "PortfolioVault": "0x" + "11" * 20,
    "PortfolioVault.client-000": "0x" + "22" * 20,
    "PortfolioVault.client-001": "0x" + "33" * 20,
}
CODE = {
    "PortfolioVault.implementation": "0x" + "aa" * 20,
    "PortfolioVault.client-000.implementation": "0x" + "bb" * 20,
    "PortfolioVault.client-001.implementation": "0x" + "cc" * 20,
}


@pytest.fixture
def record() -> DeploymentRecord:
    return DeploymentRecord("ethereum:local", 1337, 0, {**PROXIES, **CODE})


def test_con_95__page_lists_each_portfolio_proxy_never_its_code(record):
    source = ChainSource(None, record, {})
    assert {n: a.lower() for n, a in client_vaults(source).items()} == PROXIES
    assert [a.lower() for a in parse_clients(source, "client-000, PortfolioVault.client-001")] == [
        PROXIES["PortfolioVault.client-000"],
        PROXIES["PortfolioVault.client-001"],
    ]
    for name in (
        "client-000.implementation",
        "PortfolioVault.implementation",
        CODE["PortfolioVault.client-001.implementation"],
    ):
        with pytest.raises(ConsoleError, match="is not a client portfolio"):
            parse_clients(source, name)


def test_con_95__cli_takes_each_client_proxy_never_its_code(record):
    assert sorted(_portfolios(record, (), True)) == sorted(
        PROXIES[n] for n in PROXIES if n != "PortfolioVault"
    )
    assert _portfolios(record, ("client-001",), False) == [PROXIES["PortfolioVault.client-001"]]
    with pytest.raises(QuanteraError, match="neither an address nor a recorded portfolio"):
        _portfolios(record, ("client-001.implementation",), False)


def test_con_95__refusals_watch_each_portfolio_proxy_never_its_code(record):
    from keepers.console.refusals import RefusalScanner
    from keepers.console.source import load_abis

    abis = load_abis()
    scanner = RefusalScanner(ChainSource(None, record, {"PortfolioVault": abis["PortfolioVault"]}))
    assert sorted(scanner.watched.values()) == sorted(PROXIES)


def test_con_95__cli_refuses_a_portfolios_code_by_address(record):
    """An attacker's read (helper-109 L2): an address went straight through, so a client's code
    (its storage empty: no positions, every trade refused) could be assigned and rebalanced."""
    code = CODE["PortfolioVault.client-000.implementation"]
    with pytest.raises(QuanteraError, match=r"client-000\.implementation\) is no portfolio"):
        _portfolios(record, (code,), False)
    assert _portfolios(record, (PROXIES["PortfolioVault.client-000"],), False) == [
        PROXIES["PortfolioVault.client-000"]
    ]


def test_con_95__cli_takes_only_a_recorded_portfolio_by_address(record):
    """An attacker's read (helper-110, of the mend above): an address without `0x` skipped the
    refusal of the recorded code, and code no record names (what an upgrade put behind a proxy)
    was never refused. An address is taken only as a recorded PortfolioVault proxy."""
    code = CODE["PortfolioVault.client-000.implementation"]
    for value in (code[2:], code.upper().replace("0X", "0x"), "0x" + "dd" * 20):
        with pytest.raises(QuanteraError, match="is no portfolio the deployment records"):
            _portfolios(record, (value,), False)
    proxy = PROXIES["PortfolioVault.client-001"]
    assert _portfolios(record, (proxy[2:],), False) == [proxy]
