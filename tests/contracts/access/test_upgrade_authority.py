"""UPG-2, UPG-3 (issue 34 §2): holders are protected from the upgrade itself. A GovernedProxy's code
is replaced only by the UpgradeAuthority's `upgrade`, an UPGRADER call under the role's execution
delay: scheduled first (AccessManager's `OperationScheduled` announces the proxy, the new
implementation and the time), executed after, the proxy's storage kept. The GUARDIAN cancels a
scheduled upgrade for good and can never upgrade; nobody else can either: not by the authority,
not by the ProxyAdmin, not by the proxy's own `upgradeToAndCall`, and the authority cannot take
over a proxy it does not administer. Each attempt is performed here, and each fails."""

from __future__ import annotations

import ape
import pytest
from eth_abi import decode
from eth_utils import to_checksum_address

from conftest import GOVERNOR_DELAY
from keepers.access import (
    UPGRADE_AUTHORITY,
    admin_of,
    deploy_access,
    deploy_governed,
    implementation_of,
    upgrade_call,
)
from keepers.core.deploying import Deployment

UPGRADE_DELAY = 7 * 86_400
UPGRADER = 11
HOLDER = "0x000000000000000000000000000000000000bEEF"
#: OpenZeppelin 5's ProxyAdmin, as much of it as an attacker calls.
PROXY_ADMIN_ABI = [
    {
        "type": "function",
        "name": "upgradeAndCall",
        "stateMutability": "payable",
        "inputs": [
            {"name": "proxy", "type": "address"},
            {"name": "implementation", "type": "address"},
            {"name": "data", "type": "bytes"},
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "owner",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "address"}],
    },
    {
        "type": "error",
        "name": "OwnableUnauthorizedAccount",
        "inputs": [{"name": "account", "type": "address"}],
    },
]
TRANSPARENT_PROXY_ABI = [
    {
        "type": "function",
        "name": "upgradeToAndCall",
        "stateMutability": "payable",
        "inputs": [
            {"name": "newImplementation", "type": "address"},
            {"name": "data", "type": "bytes"},
        ],
        "outputs": [],
    }
]


@pytest.fixture
def governed(project, deployer, guardian, governor):
    """The access domain as `deploy all` makes it (the governor also UPGRADER, a week's delay),
    and a stateful probe behind a GovernedProxy with a holder's balance and a clock written."""
    d = Deployment.in_memory(deployer)
    manager = deploy_access(
        d,
        {"GUARDIAN": guardian, "GOVERNOR": governor, "UPGRADER": governor},
        GOVERNOR_DELAY,
        UPGRADE_DELAY,
    )
    probe = deploy_governed(d, "Probe", "UpgradeProbeV1")
    probe.credit(HOLDER, 1_000, sender=deployer)
    probe.tick(2**32 - 1, sender=deployer)
    v2 = deployer.deploy(project.UpgradeProbeV2)
    return d, manager, d.at(UPGRADE_AUTHORITY), probe, v2


def test_upg_2__upgrade__runs_only_after_the_announced_delay_and_keeps_the_storage(
    chain, governed, governor
):
    d, manager, authority, probe, v2 = governed
    v1 = implementation_of(probe)
    target, data = upgrade_call(d, probe, v2)
    # Not without scheduling it first.
    with ape.reverts(manager.AccessManagerNotScheduled):
        authority.upgrade(*_arguments(data), sender=governor)
    receipt = manager.schedule(target, data, 0, sender=governor)
    (announced,) = receipt.decode_logs(manager.OperationScheduled)
    # The announcement names the authority, the proxy and the new code, and when it may run.
    assert announced.target == authority.address and bytes(announced.data) == data
    proxy_named, implementation_named = _arguments(data)[1:3]
    assert (proxy_named, implementation_named) == (probe.address, v2.address)
    assert announced.schedule == chain.blocks.head.timestamp + UPGRADE_DELAY
    chain.pending_timestamp += UPGRADE_DELAY - 60
    with ape.reverts(manager.AccessManagerNotReady, operationId=announced.operationId):
        manager.execute(target, data, sender=governor)
    assert probe.version() == 1
    chain.pending_timestamp += 60
    receipt = manager.execute(target, data, sender=governor)
    assert [
        (log.proxy, log.implementation) for log in receipt.decode_logs(authority.ProxyUpgraded)
    ] == [(probe.address, v2.address)]
    assert implementation_of(probe) == v2.address != v1
    assert probe.version() == 2
    assert probe.balanceOf(HOLDER) == 1_000 and probe.clock() == 2**32 - 1


def test_upg_3__guardian__cancels_a_scheduled_upgrade_for_good_and_never_upgrades(
    chain, governed, governor, guardian
):
    d, manager, authority, probe, v2 = governed
    target, data = upgrade_call(d, probe, v2)
    with ape.reverts(authority.AccessManagedUnauthorized, caller=guardian):
        authority.upgrade(*_arguments(data), sender=guardian)
    with ape.reverts(manager.AccessManagerUnauthorizedCall):
        manager.schedule(target, data, 0, sender=guardian)
    manager.schedule(target, data, 0, sender=governor)
    receipt = manager.cancel(governor, target, data, sender=guardian)
    assert len(receipt.decode_logs(manager.OperationCanceled)) == 1
    chain.pending_timestamp += UPGRADE_DELAY
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.execute(target, data, sender=governor)
    assert probe.version() == 1 and implementation_of(probe) != v2.address


def test_upg_3__nobody_but_the_authority__upgrades_a_proxy(
    project, governed, guardian, governor, outsider, deployer
):
    d, manager, authority, probe, v2 = governed
    admin = ape.Contract(admin_of(probe), abi=PROXY_ADMIN_ABI)
    assert admin.owner() == authority.address
    before = implementation_of(probe)
    # The ProxyAdmin obeys its owner only: the deployer, the governor and the guardian alike.
    for caller in (deployer, governor, guardian, outsider):
        with ape.reverts(admin.OwnableUnauthorizedAccount, account=caller):
            admin.upgradeAndCall(probe.address, v2.address, b"", sender=caller)
    # The proxy's own upgrade function answers its admin only; anyone else's call goes to the
    # implementation, which has no such function.
    proxy = ape.Contract(probe.address, abi=TRANSPARENT_PROXY_ABI)
    with ape.reverts():
        proxy.upgradeToAndCall(v2.address, b"", sender=outsider)
    assert implementation_of(probe) == before and probe.version() == 1


def test_upg_3__authority__cannot_take_a_proxy_it_does_not_administer_nor_install_no_code(
    chain, project, governed, governor, outsider
):
    d, manager, authority, probe, v2 = governed
    # A proxy whose admin is someone else's: the authority's upgrade of it reverts (that
    # ProxyAdmin obeys its owner only).
    foreign = outsider.deploy(project.GovernedProxy, v2.address, outsider.address, b"")
    foreign_admin = admin_of(foreign)
    calldata = authority.upgrade.encode_input(foreign_admin, foreign.address, v2.address, b"")
    manager.schedule(authority.address, calldata, 0, sender=governor)
    chain.pending_timestamp += UPGRADE_DELAY
    admin = ape.Contract(foreign_admin, abi=PROXY_ADMIN_ABI)
    with ape.reverts(admin.OwnableUnauthorizedAccount, account=authority.address):
        manager.execute(authority.address, calldata, sender=governor)
    # An implementation without code would brick the proxy: refused.
    target, data = upgrade_call(d, probe, outsider.address)
    manager.schedule(target, data, 0, sender=governor)
    chain.pending_timestamp += UPGRADE_DELAY
    with ape.reverts(authority.NotAContract, implementation=outsider.address):
        manager.execute(target, data, sender=governor)
    assert probe.version() == 1


def _arguments(data: bytes) -> tuple:
    """`upgrade`'s arguments decoded from its calldata (addresses checksummed)."""
    admin, proxy, implementation, call = decode(
        ["address", "address", "address", "bytes"], data[4:]
    )
    return (*map(to_checksum_address, (admin, proxy, implementation)), call)


def test_upg_5__admin__cannot_shorten_the_upgraders_notice(chain, governed, deployer, outsider):
    """ADMIN (here the deployer, without a delay) could once re-wire `upgrade` to a role of no
    delay, or grant UPGRADER afresh, and so cut the week's notice to its own delay (found by the
    session's own read of the change, before its attacker's review). The access deploy step sets
    the UPGRADER's grant delay and the UpgradeAuthority's admin delay to the upgrade delay: once
    AccessManager's minimum setback has passed, a new UPGRADER is no member before a week, and a
    re-wiring of the authority must wait as long as an upgrade."""
    d, manager, authority, probe, v2 = governed
    assert manager.getRoleGrantDelay(UPGRADER) == 0  # a new delay takes effect after a setback
    chain.pending_timestamp += manager.minSetback()
    chain.mine()
    assert manager.getRoleGrantDelay(UPGRADER) == UPGRADE_DELAY
    assert manager.getTargetAdminDelay(authority) == UPGRADE_DELAY
    manager.grantRole(UPGRADER, outsider, 0, sender=deployer)
    assert manager.hasRole(UPGRADER, outsider)[0] is False
    target, data = upgrade_call(d, probe, v2)
    with ape.reverts(authority.AccessManagedUnauthorized, caller=outsider):
        authority.upgrade(*_arguments(data), sender=outsider)
    selector = authority.upgrade.encode_input(*_arguments(data))[:4]
    public = manager.PUBLIC_ROLE()
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.setTargetFunctionRole(authority, [selector], public, sender=deployer)
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.setTargetClosed(authority, False, sender=deployer)
    assert manager.getTargetFunctionRole(authority, selector) == UPGRADER
    assert probe.version() == 1
