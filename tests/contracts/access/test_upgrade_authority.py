"""UPG-2, UPG-3, UPG-5 (issue 34 §2): holders are protected from the upgrade itself. A
GovernedProxy's code is replaced only by the UpgradeAuthority's `upgrade`, run no sooner than the
authority's immutable notice after the UPGRADER proposed it (`UpgradeProposed` announces the
proxy, the new implementation, the calldata and the time), the proxy's storage kept. The GUARDIAN
vetoes a proposal for good and can never upgrade; nobody else can either: not by the authority,
not by the ProxyAdmin, not by the proxy's own `upgradeToAndCall`; the authority cannot take over a
proxy it does not administer; and ADMIN, whatever it grants or re-wires, cannot shorten the notice.
Each attempt is performed here, and each fails."""

from __future__ import annotations

import ape
import pytest
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from conftest import GOVERNOR_DELAY
from keepers.access import (
    MIN_UPGRADE_DELAY,
    UPGRADE_AUTHORITY,
    admin_of,
    deploy_access,
    deploy_governed,
    implementation_of,
    upgrade_arguments,
)
from keepers.core.deploying import Deployment
from keepers.core.deployments import DeploymentError

UPGRADE_DELAY = 7 * 86_400
GRACE = 14 * 86_400
UPGRADER = 11
PENDING, VETOED, DONE, EXPIRED = 1, 2, 3, 4
ZERO_ADDRESS = "0x" + "0" * 40
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
    """The access domain as `deploy all` makes it (the governor also UPGRADER, a week's notice),
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


def test_upg_2__upgrade__runs_only_after_the_announced_notice_and_keeps_the_storage(
    chain, governed, governor
):
    d, manager, authority, probe, v2 = governed
    v1 = implementation_of(probe)
    arguments = upgrade_arguments(probe, v2)
    # Not without proposing it first.
    upgrade_id = authority.upgradeId(*arguments)
    with ape.reverts(authority.UpgradeNotPending, id=upgrade_id, status=0):
        authority.upgrade(*arguments, sender=governor)
    receipt = authority.propose(*arguments, sender=governor)
    (announced,) = receipt.decode_logs(authority.UpgradeProposed)
    # The announcement names the proxy, its admin, the new code and its hash, the calldata, and
    # when it may run.
    eta = chain.blocks.head.timestamp + UPGRADE_DELAY
    assert (announced.id, announced.proxy, announced.implementation) == (
        upgrade_id,
        probe.address,
        v2.address,
    )
    codehash = keccak(bytes(chain.provider.get_code(v2.address)))
    assert (announced.admin, bytes(announced.codehash)) == (admin_of(probe), codehash)
    assert authority.adminOf(probe) == admin_of(probe)
    assert (bytes(announced.data), announced.eta) == (b"", eta)
    assert authority.proposal(upgrade_id) == (PENDING, eta)
    with ape.reverts(authority.UpgradeAlreadyPending, id=upgrade_id, eta=eta):
        authority.propose(*arguments, sender=governor)
    chain.pending_timestamp = eta - 1
    with ape.reverts(authority.UpgradeNotReady, id=upgrade_id, eta=eta):
        authority.upgrade(*arguments, sender=governor)
    assert probe.version() == 1
    chain.pending_timestamp = eta
    receipt = authority.upgrade(*arguments, sender=governor)
    assert [
        (log.id, log.proxy, log.implementation)
        for log in receipt.decode_logs(authority.ProxyUpgraded)
    ] == [(upgrade_id, probe.address, v2.address)]
    assert implementation_of(probe) == v2.address != v1
    assert probe.version() == 2
    assert probe.balanceOf(HOLDER) == 1_000 and probe.clock() == 2**32 - 1
    # Run once: the same call again is not pending.
    with ape.reverts(authority.UpgradeNotPending, id=upgrade_id, status=DONE):
        authority.upgrade(*arguments, sender=governor)


def test_upg_2__proposal_left_past_its_window__expires_and_needs_a_full_notice_again(
    chain, governed, governor
):
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    authority.propose(*arguments, sender=governor)
    upgrade_id, (_, eta) = (
        authority.upgradeId(*arguments),
        authority.proposal(authority.upgradeId(*arguments)),
    )
    chain.pending_timestamp = eta + GRACE + 1
    with ape.reverts(authority.UpgradeExpired, id=upgrade_id, deadline=eta + GRACE):
        authority.upgrade(*arguments, sender=governor)
    authority.propose(*arguments, sender=governor)
    (_, again) = authority.proposal(upgrade_id)
    assert again == chain.blocks.head.timestamp + UPGRADE_DELAY
    with ape.reverts(authority.UpgradeNotReady, id=upgrade_id, eta=again):
        authority.upgrade(*arguments, sender=governor)
    assert probe.version() == 1


def test_upg_3__guardian__vetoes_a_proposed_upgrade_for_good_and_never_upgrades(
    chain, governed, governor, guardian, outsider
):
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    upgrade_id = authority.upgradeId(*arguments)
    for call in (authority.propose, authority.upgrade):
        with ape.reverts(authority.AccessManagedUnauthorized, caller=guardian):
            call(*arguments, sender=guardian)
    authority.propose(*arguments, sender=governor)
    for caller in (governor, outsider):
        with ape.reverts(authority.NotGuardian, caller=caller):
            authority.veto(upgrade_id, sender=caller)
    receipt = authority.veto(upgrade_id, sender=guardian)
    codehash = keccak(bytes(chain.provider.get_code(v2.address)))
    assert [
        (log.id, log.proxy, bytes(log.codehash), log.guardian)
        for log in receipt.decode_logs(authority.UpgradeVetoedBy)
    ] == [(upgrade_id, probe.address, codehash, guardian.address)]
    chain.pending_timestamp += UPGRADE_DELAY
    with ape.reverts(authority.UpgradeNotPending, id=upgrade_id, status=VETOED):
        authority.upgrade(*arguments, sender=governor)
    # For good: neither the same upgrade, nor the same code with other calldata (a trailing byte
    # the code ignores), nor the same code deployed again can be proposed for this proxy.
    with ape.reverts(authority.UpgradeVetoed, proxy=probe.address, codehash=codehash):
        authority.propose(*arguments, sender=governor)
    with ape.reverts(authority.UpgradeVetoed, proxy=probe.address, codehash=codehash):
        authority.propose(probe.address, v2.address, b"\x00", sender=governor)
    again = governor.deploy(ape.project.UpgradeProbeV2)
    with ape.reverts(authority.UpgradeVetoed, proxy=probe.address, codehash=codehash):
        authority.propose(*upgrade_arguments(probe, again), sender=governor)
    assert probe.version() == 1 and implementation_of(probe) != v2.address


def test_upg_3__guardian__vetoes_whatever_admin_closes_rewires_or_delays(
    chain, governed, deployer, governor, guardian
):
    """An attacker's read: ADMIN could switch the veto off by re-wiring it, closing the
    authority, or giving the guardian a huge execution delay (a longer delay applies at once),
    then let an upgrade run unvetoed. The authority admits any GUARDIAN member itself."""
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    authority.propose(*arguments, sender=governor)
    manager.grantRole(2, guardian, 2**32 - 1, sender=deployer)
    manager.setTargetClosed(authority, True, sender=deployer)  # in the first days: at once
    receipt = authority.veto(authority.upgradeId(*arguments), sender=guardian)
    assert len(receipt.decode_logs(authority.UpgradeVetoedBy)) == 1


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
    # A proxy whose admin is someone else's: refused when proposed.
    foreign = outsider.deploy(project.GovernedProxy, v2.address, outsider.address, b"")
    with ape.reverts(
        authority.NotAdministered,
        proxy=foreign.address,
        admin=admin_of(foreign),
        owner=outsider.address,
    ):
        authority.propose(*upgrade_arguments(foreign, v2), sender=governor)
    # An implementation without code would brick the proxy: refused when proposed.
    with ape.reverts(authority.NotAContract, account=outsider.address):
        authority.propose(*upgrade_arguments(probe, outsider), sender=governor)
    assert probe.version() == 1


def test_upg_3__no_notice_started_for_a_proxy_not_yet_deployed(
    chain, project, governed, governor, deployer
):
    """An attacker's read: the UPGRADER could propose an upgrade of the address where the next
    instrument's proxy will be deployed, and run it the moment that proxy appears, its holders
    never warned. A proposal needs the proxy there, and administered by the authority."""
    d, manager, authority, probe, v2 = governed
    predicted = deployer.get_deployment_address()
    with ape.reverts(authority.NotAContract, account=predicted):
        authority.propose(predicted, v2.address, b"", sender=governor)
    # A contract that is not a GovernedProxy has no ProxyAdmin where the authority looks.
    with ape.reverts(authority.NotAdministered, proxy=v2.address, owner=ZERO_ADDRESS):
        authority.propose(v2.address, v2.address, b"", sender=governor)


def test_upg_3__code_changed_at_the_proposed_address__is_not_the_proposal(
    chain, project, governed, governor
):
    """An attacker's read: the implementation was named by address only; code put there after
    the proposal (a metamorphic contract) would have run unannounced. The id holds the code
    hash: other code at the address is no proposal."""
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    proposed = authority.upgradeId(*arguments)
    authority.propose(*arguments, sender=governor)
    chain.pending_timestamp += UPGRADE_DELAY
    chain.provider.set_code(v2.address, chain.provider.get_code(authority.address))
    changed = authority.upgradeId(*arguments)
    assert changed != proposed
    with ape.reverts(authority.UpgradeNotPending, id=changed, status=0):
        authority.upgrade(*arguments, sender=governor)
    assert probe.version() == 1


def test_upg_3__admin_of__is_the_proxys_own_admin_whatever_its_admin_slot_says(chain, governed):
    """The deploy record and `ape run upgrade` name a proxy's ProxyAdmin by where its constructor
    created it; the ERC-1967 admin slot, which an implementation can write, is not read."""
    d, manager, authority, probe, v2 = governed
    admin = ape.Contract(admin_of(probe), abi=PROXY_ADMIN_ABI)
    assert admin.owner() == authority.address
    admin_slot = 0xB53127684A568B3173AE13B9F8A6016E243E63B6E8EE1178D6A717850B5D6103
    chain.provider.set_storage(probe.address, admin_slot, b"\x00" * 12 + bytes.fromhex("bEEF" * 10))
    assert admin_of(probe) == admin.address


def test_upg_5__admin__cannot_shorten_the_notice(
    chain, project, governed, deployer, governor, outsider
):
    """ADMIN (here the deployer, without a delay) could once, in the five days before
    AccessManager's setback lets the access step's guards apply, grant UPGRADER at no delay and
    upgrade at once; and, after them, re-grant the governor at no execution delay (found by the
    attacker's read of the first version, where the notice was the role's execution delay; each
    of these failed first). The notice is now the authority's own: whatever ADMIN grants or
    re-wires, an upgrade runs only NOTICE after it was proposed."""
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    upgrade_id = authority.upgradeId(*arguments)
    # In the first days: a fresh UPGRADER at no delay, and `upgrade` re-wired to anyone.
    manager.grantRole(UPGRADER, outsider, 0, sender=deployer)
    with ape.reverts(authority.UpgradeNotPending, id=upgrade_id, status=0):
        authority.upgrade(*arguments, sender=outsider)
    selector = authority.upgrade.encode_input(*arguments)[:4]
    manager.setTargetFunctionRole(authority, [selector], manager.PUBLIC_ROLE(), sender=deployer)
    authority.propose(*arguments, sender=outsider)
    with ape.reverts(authority.UpgradeNotReady, id=upgrade_id):
        authority.upgrade(*arguments, sender=outsider)
    # After the setback: the governor re-granted at no execution delay still waits the notice.
    chain.pending_timestamp += manager.minSetback()
    chain.mine()
    manager.grantRole(UPGRADER, governor, 0, sender=deployer)
    chain.pending_timestamp += UPGRADE_DELAY - manager.minSetback() - 60
    with ape.reverts(authority.UpgradeNotReady, id=upgrade_id):
        authority.upgrade(*arguments, sender=governor)
    assert probe.version() == 1
    # The guards of the access step apply once the setback has passed: a new UPGRADER is no
    # member for a week, and re-wiring the authority must wait as long.
    assert manager.getRoleGrantDelay(UPGRADER) == UPGRADE_DELAY
    assert manager.getTargetAdminDelay(authority) == UPGRADE_DELAY
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.setTargetClosed(authority, False, sender=deployer)
    # The notice cannot be set below the floor, nor changed: it is immutable.
    assert authority.NOTICE() == UPGRADE_DELAY and authority.MIN_NOTICE() == MIN_UPGRADE_DELAY
    with ape.reverts(
        authority.NoticeTooShort, notice=MIN_UPGRADE_DELAY - 1, minimum=MIN_UPGRADE_DELAY
    ):
        deployer.deploy(project.UpgradeAuthority, manager.address, MIN_UPGRADE_DELAY - 1)


def test_upg_5__rerun_asking_another_notice__stops_before_any_transaction(governed, governor):
    """The notice of a deployment never changes: a rerun of the access step asking for another
    stops with one line, and sends nothing."""
    d, manager, authority, probe, v2 = governed
    sent = d.sender.nonce
    with pytest.raises(DeploymentError, match=r"upgrade notice is 604800s .* cannot change it"):
        deploy_access(d, {"UPGRADER": governor}, GOVERNOR_DELAY, 3 * 86_400)
    assert d.sender.nonce == sent and authority.NOTICE() == UPGRADE_DELAY


def test_upg_3__veto__also_bars_a_pending_sibling_of_the_same_code(
    chain, governed, governor, guardian
):
    """A third attacker's read: the UPGRADER proposes the same code twice (other calldata, a
    trailing byte its code ignores); the GUARDIAN vetoes one, the other ran. A veto bars the
    code for the proxy, pending proposals included."""
    d, manager, authority, probe, v2 = governed
    first, sibling = upgrade_arguments(probe, v2), upgrade_arguments(probe, v2, b"\x00")
    for arguments in (first, sibling):
        authority.propose(*arguments, sender=governor)
    authority.veto(authority.upgradeId(*first), sender=guardian)
    sibling_id = authority.upgradeId(*sibling)
    assert authority.proposal(sibling_id)[0] == VETOED  # the console drops it too
    chain.pending_timestamp += UPGRADE_DELAY
    codehash = keccak(bytes(chain.provider.get_code(v2.address)))
    with ape.reverts(authority.UpgradeVetoed, proxy=probe.address, codehash=codehash):
        authority.upgrade(*sibling, sender=governor)
    assert probe.version() == 1


def test_upg_3__an_eip7702_delegated_account__is_no_implementation(
    chain, governed, governor, outsider
):
    """A third attacker's read: an EOA delegated by EIP-7702 has 23 bytes of code (0xef0100 and
    its target) whose hash never changes while the account re-delegates at will: the code the
    proxy would run could change, unannounced, at any time. Refused."""
    d, manager, authority, probe, v2 = governed
    delegated = to_checksum_address("0x" + "00" * 18 + "d7" + "02")
    chain.provider.set_code(delegated, bytes.fromhex("ef0100") + bytes.fromhex(v2.address[2:]))
    with ape.reverts(authority.DelegatedAccount, implementation=delegated):
        authority.propose(probe.address, delegated, b"", sender=governor)


def test_upg_3__veto__is_the_current_authoritys_guardian_not_a_former_ones(
    project, governed, deployer, governor, guardian, outsider
):
    """A fourth attacker's read: the veto asked the AccessManager the authority was built with,
    while propose and upgrade asked its current one; after ADMIN re-pointed it (a key rotation,
    or a new manager), the former manager's guardians (a leaked key, say) vetoed every upgrade
    for good and nobody could revoke them. One authority decides both."""
    d, manager, authority, probe, v2 = governed
    successor = deployer.deploy(project.QuanteraAccessManager, deployer)
    successor.grantRole(2, outsider, 0, sender=deployer)
    successor.grantRole(UPGRADER, governor, 0, sender=deployer)
    selectors = [
        function_signature_to_4byte_selector(f"{name}(address,address,bytes)")
        for name in ("propose", "upgrade")
    ]
    successor.setTargetFunctionRole(authority, selectors, UPGRADER, sender=deployer)
    manager.updateAuthority(authority, successor, sender=deployer)
    arguments = upgrade_arguments(probe, v2)
    authority.propose(*arguments, sender=governor)
    upgrade_id = authority.upgradeId(*arguments)
    with ape.reverts(authority.NotGuardian, caller=guardian):
        authority.veto(upgrade_id, sender=guardian)
    receipt = authority.veto(upgrade_id, sender=outsider)
    assert [log.guardian for log in receipt.decode_logs(authority.UpgradeVetoedBy)] == [
        outsider.address
    ]


def test_upg_3__veto_of_a_proposal_past_its_window__refused_and_bars_nothing(
    chain, governed, governor, guardian
):
    """A fourth attacker's read: a veto of a proposal whose window had closed (which can no
    longer run) barred its code for the proxy for good, a stale sibling of code proposed since
    included. Refused: propose it again, then veto it."""
    d, manager, authority, probe, v2 = governed
    stale, current = upgrade_arguments(probe, v2, b"\x00"), upgrade_arguments(probe, v2)
    authority.propose(*stale, sender=governor)
    stale_id = authority.upgradeId(*stale)
    (_, eta) = authority.proposal(stale_id)
    chain.pending_timestamp = eta + GRACE + 1
    authority.propose(*current, sender=governor)
    with ape.reverts(authority.UpgradeExpired, id=stale_id, deadline=eta + GRACE):
        authority.veto(stale_id, sender=guardian)
    (_, current_eta) = authority.proposal(authority.upgradeId(*current))
    chain.pending_timestamp = current_eta
    authority.upgrade(*current, sender=governor)
    assert probe.version() == 2


def test_upg_3__vetoed_sibling__said_before_the_clock(chain, governed, governor, guardian):
    """A fourth attacker's read (information): before its eta, a sibling of vetoed code answered
    UpgradeNotReady, as if it would run later. A veto is final, and said first."""
    d, manager, authority, probe, v2 = governed
    first, sibling = upgrade_arguments(probe, v2), upgrade_arguments(probe, v2, b"\x00")
    for arguments in (first, sibling):
        authority.propose(*arguments, sender=governor)
    authority.veto(authority.upgradeId(*first), sender=guardian)
    codehash = keccak(bytes(chain.provider.get_code(v2.address)))
    with ape.reverts(authority.UpgradeVetoed, proxy=probe.address, codehash=codehash):
        authority.upgrade(*sibling, sender=governor)


def test_upg_3__an_implementation_created_in_the_proposing_transaction__refused(
    project, governed, deployer
):
    """A fifth attacker's read: code created and proposed in one transaction can still destroy
    itself in it (EIP-6780) and come back later, by CREATE2, at the same address: as the
    announced code at `upgrade` (the hash matches), then as other code, which the proxy runs
    with no proposal. The implementation must predate the proposing transaction."""
    d, manager, authority, probe, v2 = governed
    factory = deployer.deploy(project.SameTransactionDeployer)
    manager.grantRole(UPGRADER, factory, 0, sender=deployer)
    init = project.UpgradeProbeV2.contract_type.deployment_bytecode.bytecode
    created = to_checksum_address(
        keccak(b"\xd6\x94" + bytes.fromhex(factory.address[2:]) + b"\x01")[12:]
    )
    with ape.reverts(factory.ImplementationNotSettled, implementation=created):
        factory.deployAndPropose(authority, init, probe, sender=deployer)


def test_upg_3__proposal_past_its_window__reported_expired(chain, governed, governor):
    """A fifth attacker's read (information): `proposal` said Pending for a proposal whose window
    had closed, which can neither run nor be vetoed; monitors took it for live."""
    d, manager, authority, probe, v2 = governed
    arguments = upgrade_arguments(probe, v2)
    authority.propose(*arguments, sender=governor)
    upgrade_id = authority.upgradeId(*arguments)
    (_, eta) = authority.proposal(upgrade_id)
    chain.mine(timestamp=eta + GRACE)
    assert authority.proposal(upgrade_id) == (PENDING, eta)
    chain.mine(timestamp=eta + GRACE + 1)
    assert authority.proposal(upgrade_id) == (EXPIRED, eta)
