"""Contracts behind a GovernedProxy (issue 34; which domains: docs/architecture.md "Upgrades"): the
implementation recorded as `<name>.implementation`, the proxy as `<name>` (what every other
contract, keeper and the console use), its ProxyAdmin — owned by the deployment's UpgradeAuthority
— read from the proxy's ERC-1967 admin slot. An upgrade is the UPGRADER's `upgrade` call on the
UpgradeAuthority: `upgrade_call` builds it, for AccessManager's `schedule` now and `execute` after
the delay.
"""

from __future__ import annotations

from typing import Any

from keepers.access.deploy import UPGRADE_AUTHORITY, _address
from keepers.core.deploying import Deployment

#: ERC-1967's slots: keccak256("eip1967.proxy.implementation") - 1, keccak256("eip1967.proxy.admin")
#: - 1.
IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC
ADMIN_SLOT = 0xB53127684A568B3173AE13B9F8A6016E243E63B6E8EE1178D6A717850B5D6103
PROXY = "GovernedProxy"


def deploy_governed(
    d: Deployment, name: str, contract_type: str, *args: Any, init: bytes = b""
) -> Any:
    """`contract_type` built with `args` as the implementation, behind a GovernedProxy called with
    `init` at construction (when not empty: the proxy's own storage is what the implementation's
    constructor never wrote). Returns the contract at the proxy's address. A rerun finds both."""
    implementation = d.deploy_contract(f"{name}.implementation", contract_type, *args)
    d.deploy_contract(name, PROXY, implementation.address, d.address(UPGRADE_AUTHORITY), init)
    return d.at(contract_type, name)


def implementation_of(proxy: Any) -> str:
    """The implementation a proxy runs (its ERC-1967 slot)."""
    return _address_in(proxy, IMPLEMENTATION_SLOT)


def admin_of(proxy: Any) -> str:
    """A proxy's ProxyAdmin (its ERC-1967 admin slot)."""
    return _address_in(proxy, ADMIN_SLOT)


def upgrade_call(
    d: Deployment, proxy: Any, implementation: Any, data: bytes = b""
) -> tuple[str, bytes]:
    """(target, calldata) of the UPGRADER's call moving `proxy` to `implementation` (then calling
    it with `data`): schedule it on the AccessManager, execute it after the UPGRADER's delay."""
    authority = d.at(UPGRADE_AUTHORITY)
    calldata = authority.upgrade.encode_input(
        admin_of(proxy), _address(proxy), _address(implementation), data
    )
    return authority.address, bytes(calldata)


def _address_in(proxy: Any, slot: int) -> str:
    from ape import chain
    from eth_utils import to_checksum_address

    word = chain.provider.get_storage(_address(proxy), slot)
    return to_checksum_address(bytes(word)[-20:])
