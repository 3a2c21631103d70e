"""FND-5, FND-6: the protocol authority's role vocabulary and timelock."""

import ape
import pytest

from conftest import ADMIN, GOVERNOR, GOVERNOR_DELAY, GUARDIAN, OPERATOR
from keepers.access.roles import ROLE_NAMES


def test_constructor__labels_every_role_and_makes_guardian_their_guardian(chain, project, deployer):
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    receipt = chain.get_receipt(manager.txn_hash)
    labels = {int(log.roleId): log.label for log in receipt.decode_logs(manager.RoleLabel)}
    assert labels == ROLE_NAMES  # the Python mirror (keepers/access/roles.py) matches Roles.sol
    for role in range(1, len(ROLE_NAMES)):
        assert manager.getRoleGuardian(role) == GUARDIAN
    assert manager.hasRole(ADMIN, deployer)[0]
    assert manager.GUARDIAN_ROLE() == GUARDIAN and manager.GOVERNOR_ROLE() == GOVERNOR


def test_constructor__zero_admin__reverts_with_context(project, deployer):
    with ape.reverts(
        project.QuanteraAccessManager.AccessManagerInvalidInitialAdmin,
        initialAdmin="0x0000000000000000000000000000000000000000",
    ):
        deployer.deploy(project.QuanteraAccessManager, "0x0000000000000000000000000000000000000000")


@pytest.fixture
def target(project, deployer, manager):
    """A managed contract whose setter belongs to the GOVERNOR role."""
    target = deployer.deploy(project.ManagedTarget, manager)
    manager.setTargetFunctionRole(
        target, [target.setParameter.encode_input(0)[:4]], GOVERNOR, sender=deployer
    )
    return target


def test_governor_call__before_delay__reverts_not_ready_then_executes(
    chain, manager, target, governor
):
    data = target.setParameter.encode_input(42)
    with ape.reverts(manager.AccessManagerNotScheduled):
        target.setParameter(42, sender=governor)
    receipt = manager.schedule(target, data, 0, sender=governor)
    op_id = receipt.decode_logs(manager.OperationScheduled)[0].operationId
    with ape.reverts(manager.AccessManagerNotReady, operationId=op_id):
        manager.execute(target, data, sender=governor)
    chain.pending_timestamp += GOVERNOR_DELAY
    receipt = manager.execute(target, data, sender=governor)
    assert target.parameter() == 42
    assert [(log.previous, log.next) for log in receipt.decode_logs(target.ParameterSet)] == [
        (0, 42)
    ]


def test_guardian__scheduled_governor_operation__cancels_it_for_good(
    chain, manager, target, governor, guardian
):
    data = target.setParameter.encode_input(7)
    manager.schedule(target, data, 0, sender=governor)
    receipt = manager.cancel(governor, target, data, sender=guardian)
    assert len(receipt.decode_logs(manager.OperationCanceled)) == 1
    chain.pending_timestamp += GOVERNOR_DELAY
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.execute(target, data, sender=governor)
    assert target.parameter() == 0


def test_guardian__scheduled_admin_operation__cannot_cancel_it(
    manager, governor, guardian, deployer, outsider
):
    # OZ allows no guardian for ADMIN_ROLE (documented in IQuanteraAccessManager).
    manager.setRoleAdmin(OPERATOR, GOVERNOR, sender=deployer)
    data = manager.grantRole.encode_input(OPERATOR, outsider, 0)
    manager.schedule(manager, data, 0, sender=governor)
    with ape.reverts(manager.AccessManagerUnauthorizedCancel, msgsender=guardian, caller=governor):
        manager.cancel(governor, manager, data, sender=guardian)


def test_guardian__protocol_function__cannot_call_it(target, guardian):
    with ape.reverts(target.AccessManagedUnauthorized, caller=guardian):
        target.setParameter(1, sender=guardian)


def test_outsider__admin_function__reverts_unauthorized(manager, outsider):
    with ape.reverts(manager.AccessManagerUnauthorizedAccount, msgsender=outsider, roleId=ADMIN):
        manager.grantRole(OPERATOR, outsider, 0, sender=outsider)
