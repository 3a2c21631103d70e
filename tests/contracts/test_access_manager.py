"""FND-5, FND-6: the protocol authority's role vocabulary and timelock."""

import ape
from conftest import ADMIN, GOVERNOR, GOVERNOR_DELAY, GUARDIAN, OPERATOR

LABELS = ["ADMIN", "GOVERNOR", "GUARDIAN", "OPERATOR", "RISK_KEEPER", "COMPLIANCE_KEEPER",
          "PRICE_REPORTER", "EXECUTOR"]


def test_constructor__labels_every_role_and_makes_guardian_their_guardian(chain, project, deployer):
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    receipt = chain.get_receipt(manager.txn_hash)
    labels = {int(log.roleId): log.label for log in receipt.decode_logs(manager.RoleLabel)}
    assert labels == dict(enumerate(LABELS))
    for role in range(1, len(LABELS)):
        assert manager.getRoleGuardian(role) == GUARDIAN
    assert manager.hasRole(ADMIN, deployer)[0]
    assert manager.GUARDIAN_ROLE() == GUARDIAN and manager.GOVERNOR_ROLE() == GOVERNOR


def test_constructor__zero_admin__reverts_with_context(project, deployer):
    with ape.reverts(project.QuanteraAccessManager.AccessManagerInvalidInitialAdmin,
                     initialAdmin="0x0000000000000000000000000000000000000000"):
        deployer.deploy(project.QuanteraAccessManager, "0x0000000000000000000000000000000000000000")


def test_governor_call__before_delay__reverts_not_ready_then_executes(chain, manager, governor, deployer, outsider):
    # The governor administers OPERATOR, so OPERATOR grants carry the governor's execution delay.
    manager.setRoleAdmin(OPERATOR, GOVERNOR, sender=deployer)
    data = manager.grantRole.encode_input(OPERATOR, outsider, 0)
    with chain.isolate():
        with ape.reverts(manager.AccessManagerNotScheduled):
            manager.grantRole(OPERATOR, outsider, 0, sender=governor)
        receipt = manager.schedule(manager, data, 0, sender=governor)
        op_id = receipt.decode_logs(manager.OperationScheduled)[0].operationId
        with ape.reverts(manager.AccessManagerNotReady, operationId=op_id):
            manager.execute(manager, data, sender=governor)
        chain.pending_timestamp += GOVERNOR_DELAY
        manager.execute(manager, data, sender=governor)
        assert manager.hasRole(OPERATOR, outsider)[0]


def test_guardian__scheduled_governor_operation__can_cancel_it(chain, manager, governor, guardian, deployer, outsider):
    manager.setRoleAdmin(OPERATOR, GOVERNOR, sender=deployer)
    data = manager.grantRole.encode_input(OPERATOR, outsider, 0)
    with chain.isolate():
        manager.schedule(manager, data, 0, sender=governor)
        receipt = manager.cancel(governor, manager, data, sender=guardian)
        assert len(receipt.decode_logs(manager.OperationCanceled)) == 1
        chain.pending_timestamp += GOVERNOR_DELAY
        with ape.reverts(manager.AccessManagerNotScheduled):
            manager.execute(manager, data, sender=governor)
        assert not manager.hasRole(OPERATOR, outsider)[0]


def test_outsider__admin_function__reverts_unauthorized(manager, outsider):
    with ape.reverts(manager.AccessManagerUnauthorizedAccount, msgsender=outsider, roleId=ADMIN):
        manager.grantRole(OPERATOR, outsider, 0, sender=outsider)
