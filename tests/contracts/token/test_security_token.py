"""CMP-2, CMP-3, CMP-6, CMP-7, CMP-9, CMP-10, SEC-11: token roles, agent capabilities, freezes,
forced transfers, recovery, ERC-3643 ABI."""

import json
from pathlib import Path

import ape
import pytest
from token_helpers import bare_token

from compliance_fixtures import (
    ACCREDITED,
    BURN,
    DE,
    FREEZE,
    MINT,
    PAUSE,
    UNIT,
    US,
    admin_module,
)

ZERO = "0x0000000000000000000000000000000000000000"
TREX = Path("node_modules/@tokenysolutions/t-rex/artifacts/contracts")


@pytest.fixture
def funded(onboard, investors, token, agent):
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, ACCREDITED)
    token.mint(alice, 100 * UNIT, sender=agent)
    return alice, bob, carol


def signatures(abi: list[dict], kind: str) -> set[tuple]:
    def canonical(param):
        return param["type"]

    return {
        (
            e["name"],
            tuple(canonical(i) for i in e["inputs"]),
            tuple(canonical(o) for o in e.get("outputs", []))
            if kind == "function"
            else tuple(i.get("indexed", False) for i in e["inputs"]),
        )
        for e in abi
        if e["type"] == kind
    }


@pytest.mark.parametrize(
    "artifact,contract_name",
    [
        ("token/IToken.sol/IToken.json", "SecurityToken"),
        ("registry/interface/IIdentityRegistry.sol/IIdentityRegistry.json", "IdentityRegistry"),
        ("compliance/modular/IModularCompliance.sol/IModularCompliance.json", "ComplianceEngine"),
    ],
)
def test_abi__erc3643_reference__every_function_and_event_present_unchanged(
    project, artifact, contract_name
):
    reference = json.loads((TREX / artifact).read_text())["abi"]
    ours = [
        json.loads(item.model_dump_json(by_alias=True))
        for item in getattr(project, contract_name).contract_type.abi
    ]
    assert len(signatures(reference, "function")) >= 12
    for kind in ("function", "event"):
        missing = signatures(reference, kind) - signatures(ours, kind)
        assert not missing, f"{contract_name} lacks ERC-3643 {kind}s: {sorted(missing)}"


def test_constructor__starts_paused_with_registry_and_compliance(token, stack):
    _, registry, engine, _ = stack
    assert token.identityRegistry() == registry.address and token.compliance() == engine.address
    assert engine.getTokenBound() == token.address
    assert token.decimals() == 18 and token.version() == "1.0.0"


def test_agent_capabilities__freezer__can_freeze_but_not_unfreeze_mint_or_pause(
    funded, token, freezer
):
    alice, _, _ = funded
    receipt = token.setAddressFrozen(alice, True, sender=freezer)
    assert [
        (log.userAddress, log.isFrozen, log.owner)
        for log in receipt.decode_logs(token.AddressFrozen)
    ] == [(alice.address, True, freezer.address)]
    assert token.isFrozen(alice)
    for call, capability in (
        (lambda: token.setAddressFrozen(alice, False, sender=freezer), 8),
        (lambda: token.mint(alice, 1, sender=freezer), MINT),
        (lambda: token.pause(sender=freezer), PAUSE),
        (lambda: token.burn(alice, 1, sender=freezer), BURN),
    ):
        with ape.reverts(token.MissingCapability, agent=freezer, capability=capability):
            call()


def test_agent_capabilities__set_and_remove__emit_previous_and_next(token, governor, outsider):
    receipt = token.setAgentCapabilities(outsider, MINT | FREEZE, sender=governor)
    [log] = receipt.decode_logs(token.AgentCapabilitiesSet)
    assert (log.agent, log.previous, log.next) == (outsider.address, 0, MINT | FREEZE)
    assert token.isAgent(outsider) and token.agentCapabilities(outsider) == MINT | FREEZE
    token.removeAgent(outsider, sender=governor)
    assert not token.isAgent(outsider)


def test_owner_functions__agent_or_outsider__unauthorized(token, agent, outsider):
    with ape.reverts(token.AccessManagedUnauthorized, caller=agent):
        token.addAgent(outsider, sender=agent)
    with ape.reverts(token.AccessManagedUnauthorized, caller=outsider):
        token.setName("x", sender=outsider)


def test_pause__transfers_refused_code_1__mint_still_works(funded, token, agent):
    alice, bob, _ = funded
    token.pause(sender=agent)
    assert token.detectTransferRestriction(alice, bob, UNIT) == 1
    with ape.reverts(token.TransferNotCompliant, reasonCode=1):
        token.transfer(bob, UNIT, sender=alice)
    token.unpause(sender=agent)
    token.transfer(bob, UNIT, sender=alice)


def test_frozen_wallets__codes_2_and_3(funded, token, freezer, agent):
    alice, bob, _ = funded
    token.setAddressFrozen(bob, True, sender=freezer)
    with ape.reverts(token.TransferNotCompliant, reasonCode=3):
        token.transfer(bob, UNIT, sender=alice)
    token.setAddressFrozen(bob, False, sender=agent)
    token.setAddressFrozen(alice, True, sender=freezer)
    with ape.reverts(token.TransferNotCompliant, reasonCode=2):
        token.transfer(bob, UNIT, sender=alice)


def test_partial_freeze__only_unfrozen_amount_moves__code_4(funded, token, freezer, agent):
    alice, bob, _ = funded
    token.freezePartialTokens(alice, 70 * UNIT, sender=freezer)
    assert token.getFrozenTokens(alice) == 70 * UNIT
    with ape.reverts(token.TransferNotCompliant, reasonCode=4):
        token.transfer(bob, 31 * UNIT, sender=alice)
    token.transfer(bob, 30 * UNIT, sender=alice)
    with ape.reverts(
        token.FrozenAmountExceedsBalance, wallet=alice, balance=70 * UNIT, frozenAfter=71 * UNIT
    ):
        token.freezePartialTokens(alice, 1 * UNIT, sender=freezer)
    with ape.reverts(token.UnfreezeExceedsFrozen):
        token.unfreezePartialTokens(alice, 71 * UNIT, sender=agent)


def test_forced_transfer__frozen_tokens__moves_them_unfreezing_as_needed(
    funded, token, freezer, agent
):
    alice, bob, _ = funded
    token.setAddressFrozen(alice, True, sender=freezer)
    token.freezePartialTokens(alice, 90 * UNIT, sender=freezer)
    receipt = token.forcedTransfer(alice, bob, 95 * UNIT, sender=agent)
    assert [log.amount for log in receipt.decode_logs(token.TokensUnfrozen)] == [85 * UNIT]
    assert [(log.agent, log.amount) for log in receipt.decode_logs(token.ForcedTransfer)] == [
        (agent.address, 95 * UNIT)
    ]
    assert token.balanceOf(bob) == 95 * UNIT and token.getFrozenTokens(alice) == 5 * UNIT


def test_forced_transfer__unverified_recipient__code_6(funded, token, agent):
    alice, _, carol = funded
    with ape.reverts(token.TransferNotCompliant, reasonCode=6):
        token.forcedTransfer(alice, carol, UNIT, sender=agent)


def test_recovery__new_wallet_of_same_identity__moves_balance_and_freeze_state(
    funded, token, agent, freezer, onboard, registry, accounts
):
    alice, _, _ = funded
    identity = registry.identity(alice)
    new_wallet = accounts[9]
    onboard(new_wallet, US, ACCREDITED, identity=identity)
    token.freezePartialTokens(alice, 10 * UNIT, sender=freezer)
    receipt = token.recoveryAddress(alice, new_wallet, identity, sender=agent)
    assert [
        (log.lostWallet, log.newWallet, log.investorOnchainID)
        for log in receipt.decode_logs(token.RecoverySuccess)
    ] == [(alice.address, new_wallet.address, identity)]
    assert (
        token.balanceOf(new_wallet) == 100 * UNIT and token.getFrozenTokens(new_wallet) == 10 * UNIT
    )
    assert token.balanceOf(alice) == 0 and token.isFrozen(alice)


def test_recovery__wallet_of_another_identity__reverts(funded, token, agent, registry):
    alice, bob, _ = funded
    with ape.reverts(token.RecoveryIdentityMismatch):
        token.recoveryAddress(alice, bob, registry.identity(alice), sender=agent)


def test_recovery__to_the_same_wallet__refused_balance_kept(funded, token, agent, registry):
    """SEC-11 (attacker's read, info): `recoveryAddress(w, w, id)` credited w with its own balance,
    then wiped the lost wallet's record, which was w: the balance was destroyed while supply and
    the engine's ledger kept it."""
    alice, _, _ = funded
    with ape.reverts(token.RecoveryToSameWallet, wallet=alice.address):
        token.recoveryAddress(alice, alice, registry.identity(alice), sender=agent)
    assert token.balanceOf(alice) == 100 * UNIT


def test_burn__frozen_tokens__burns_and_updates_supply_and_ledger(
    funded, token, agent, freezer, stack, registry
):
    alice, _, _ = funded
    engine = stack[2]
    token.freezePartialTokens(alice, 100 * UNIT, sender=freezer)
    token.burn(alice, 100 * UNIT, sender=agent)
    assert token.totalSupply() == 0 and token.getFrozenTokens(alice) == 0
    assert engine.ledgerOf(registry.identity(alice)).balance == 0
    assert engine.holderCounts() == (0, 0, 0)


def test_batches__length_mismatch_and_bound__revert_with_context(token, agent, investors):
    alice, bob, _ = investors
    with ape.reverts(token.LengthMismatch, expected=2, actual=1):
        token.batchMint([alice, bob], [1], sender=agent)
    with ape.reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchMint([alice] * 101, [1] * 101, sender=agent)


def test_transfer_from__allowance__spent_and_checked(funded, token):
    alice, bob, _ = funded
    token.approve(bob, 10 * UNIT, sender=alice)
    with ape.reverts(
        token.ERC20InsufficientAllowance, spender=bob, allowance=10 * UNIT, needed=11 * UNIT
    ):
        token.transferFrom(alice, bob, 11 * UNIT, sender=bob)
    token.transferFrom(alice, bob, 10 * UNIT, sender=bob)
    assert token.allowance(alice, bob) == 0 and token.balanceOf(bob) == 10 * UNIT


def test_engine_binding__one_token_fixed_at_construction__cannot_be_rebound_or_unbound(
    stack, governor, outsider
):
    _, _, engine, token = stack
    assert engine.getTokenBound() == token.address
    with ape.reverts(engine.TokenAlreadyBound, boundToken=token):
        engine.bindToken(token, sender=governor)
    with ape.reverts(engine.OnlyBoundToken, caller=outsider, boundToken=token):
        engine.bindToken(outsider, sender=governor)
    with ape.reverts(engine.TokenBindingImmutable):
        engine.unbindToken(token, sender=governor)
    with ape.reverts(engine.OnlyBoundToken, caller=outsider):
        engine.checkAndRecordMint(outsider, 1, sender=outsider)


def test_token_without_engine__transfer__reverts_compliance_not_set(
    project, deployer, stack, stack_deployment, investors
):
    bare = bare_token(project, deployer, stack, admin_module(stack_deployment))
    assert bare.compliance() == ZERO
    with ape.reverts(bare.ComplianceNotSet):
        bare.transfer(investors[1], 0, sender=investors[0])


# ==================================================================== FND-21 the admin module


def admin_argument(put, wallet):
    """A value the token would accept for this input: the wallet, 1 unit, a flag, a string."""
    if put.type == "address":
        return wallet.address
    if put.type == "address[]":
        return [wallet.address]
    if put.type == "bool":
        return True
    if put.type == "bool[]":
        return [True]
    if put.type == "uint256[]":
        return [UNIT]
    if put.type == "string":
        return "X"
    return 1


def test_fnd_21__admin_module__runs_only_on_a_tokens_storage(
    funded, project, token, governor, agent, stack_deployment
):
    """The functions that move no balance run in `TokenAdmin` (FND-21): called directly, every
    one reverts `DirectCall`, even from the token's GOVERNOR and its agent holding every
    capability, and the token is untouched; through the token the same code runs on the token's
    storage, with the token's checks (the role, the capability)."""
    alice = funded[0]
    module = project.TokenAdmin.at(admin_module(stack_deployment))
    assert module.address != token.address and project.provider.get_code(module.address)
    state = (token.name(), token.paused(), token.isFrozen(alice), token.getFrozenTokens(alice))
    names = set()
    for method in module.contract_type.mutable_methods:
        if method.name == "setAuthority":  # AccessManaged's, for the slot: the authority's alone
            continue
        args = [admin_argument(put, alice) for put in method.inputs]
        for caller in (governor, agent):
            with ape.reverts(module.DirectCall):
                getattr(module, method.name)(*args, sender=caller)
        names.add(method.name)
    assert names == {
        "setName", "setSymbol", "setOnchainID", "setIdentityRegistry", "setCompliance",
        "addAgent", "removeAgent", "setAgentCapabilities", "pause", "unpause",
        "setAddressFrozen", "freezePartialTokens", "unfreezePartialTokens",
        "batchSetAddressFrozen", "batchFreezePartialTokens", "batchUnfreezePartialTokens",
    }  # fmt: skip
    assert (
        token.name(),
        token.paused(),
        token.isFrozen(alice),
        token.getFrozenTokens(alice),
    ) == state
    # Through the token: the module's code on the token's storage, with the token's checks.
    with ape.reverts(token.MissingCapability, agent=alice.address, capability=FREEZE):
        token.freezePartialTokens(alice, UNIT, sender=alice)
    with ape.reverts(token.AccessManagedUnauthorized, caller=agent.address):
        token.setName("Renamed", sender=agent)
    tx = token.freezePartialTokens(alice, UNIT, sender=agent)
    assert token.getFrozenTokens(alice) == UNIT
    assert [e.event_name for e in tx.events] == ["TokensFrozen"]
    assert tx.events[0].contract_address == token.address


def test_fnd_21__a_token_built_on_no_module_or_another_module__refused(
    project, deployer, stack, stack_deployment, token, investors
):
    """The token's constructor checks its admin module (`Dispatch._requireModule`): an address
    without code (a DELEGATECALL to it succeeds and does nothing: a pause or a freeze would be
    lost silently) or a module of another layout (the income class's) is refused."""
    expected = project.TokenAdmin.at(admin_module(stack_deployment)).moduleId()
    other = deployer.deploy(project.IncomeShareLogic)
    for wrong in (investors[0].address, other.address):
        with ape.reverts(token.ModuleMismatch, module=wrong, expected=expected):
            bare_token(project, deployer, stack, wrong)


def test_fnd_21__admin_module__a_delayed_governor_call__scheduled_then_executed(
    chain, accounts, stack, token, deployer
):
    """`restricted` runs in the module on the token's context (round 14 I-1): a GOVERNOR holding
    the role with an execution delay is refused until it schedules the call; the manager then
    executes it on the token, whose stub runs the module, which consumes the scheduled operation
    (AccessManaged's flag in the token's slot 0, read back through the token's
    `isConsumingScheduledOp`)."""
    manager = stack[0]
    slow = accounts.generate_test_account()
    chain.provider.set_balance(slow.address, 10**21)
    manager.grantRole(1, slow, 3_600, sender=deployer)  # GOVERNOR with a one-hour delay
    data = token.setName.encode_input("Renamed")
    with ape.reverts(manager.AccessManagerNotScheduled):
        token.setName("Renamed", sender=slow)
    manager.schedule(token, data, 0, sender=slow)
    chain.pending_timestamp += 3_600
    tx = manager.execute(token, data, sender=slow)
    assert token.name() == "Renamed"
    assert len(tx.decode_logs(token.UpdatedTokenInformation)) == 1
    assert bytes(token.isConsumingScheduledOp()) == bytes(4)  # the flag is cleared after
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.execute(token, data, sender=slow)  # consumed once
