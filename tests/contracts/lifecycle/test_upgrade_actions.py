"""UPG-6 (issue 34 §4): an upgrade is prepared as a Safe batch, like every console action, by the
governance page's forms and `ape run upgrade` (both keepers/console/upgrades.py). A proposal is
prepared only once the new contract's storage layout runs on the deployed version's and the code at
the implementation is this build's with the arguments given; the run carries exactly the proposed
arguments, read from the chain, and only once its notice has run out; the veto only for a GUARDIAN
member (the authority checks it itself). Each batch is sent here as the Safe would send it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import ADMIN
from keepers.access import UPGRADE_AUTHORITY, grant_calls, implementation_of, send_to_manager
from keepers.console import describe
from keepers.console.actions import ActionInputError, prepare, safe_batch
from keepers.console.source import ChainSource, load_abis
from keepers.console.upgrades import (
    authority_events,
    propose_calls,
    run_calls,
    upgrade_rows,
    veto_calls,
)
from keepers.core.deploying import is_implementation


def _send(chain, prepared, sender) -> None:
    for p in prepared:
        assert p.route == "direct"
        sender.transfer(p.to, 0, data=bytes.fromhex(p.data[2:]))


def _rows(source) -> list[dict]:
    """The governance page's upgrade rows (and the script's status) at the chain's head."""
    return upgrade_rows(
        source,
        authority_events(source),
        source.head(),
        source.block_time(),
        describe.for_source(source),
    )


@pytest.fixture
def upgradable(chain, project, bond, governor, deployer):
    d = bond.lifecycle.d
    assert d.at("QuanteraAccessManager").hasRole(ADMIN, deployer)[0]
    send_to_manager(d, grant_calls(d, "UPGRADER", governor.address))
    # The note's own deployment record (the fixture's scoped one): the proxy and its code.
    name = "BondServicer.QTN28S"
    record = replace(
        d.record,
        contracts={
            **d.record.contracts,
            name: bond.servicer.address,
            "BondShareToken.QTN28S": bond.token.address,
            f"{name}.implementation": implementation_of(bond.servicer),
        },
    )
    source = ChainSource(chain.provider.web3, record, load_abis())
    # The fix, built from this build by any account (an implementation holds no rights).
    args = [bond.lifecycle.registry.address, bond.usdc.address, bond.token.address]
    fixed = project.BondServicer.deploy(*args, sender=deployer)
    return d, source, name, d.at(UPGRADE_AUTHORITY), args, fixed


def test_upg_6__proposal_checked_then_prepared__run_only_as_proposed__veto_for_the_guardian(
    chain, project, bond, upgradable, deployer, governor, guardian, outsider
):
    d, source, name, authority, args, fixed = upgradable
    old_code = implementation_of(bond.servicer)

    # Refused before anything is prepared: code that is not this build's with these arguments,
    # another contract's layout on this storage, and a contract upgraded by no proxy.
    with pytest.raises(ActionInputError, match="is not this build's BondServicer"):
        propose_calls(source, name, "BondServicer", fixed.address, [args[0], args[1], args[0]])
    with pytest.raises(ActionInputError, match="cannot run on BondServicer's deployed storage"):
        other = deployer.deploy(project.UpgradeProbeV1)
        propose_calls(source, name, "UpgradeProbeV1", other.address, [])
    # This build's code, byte for byte, but built on a registry the deployment never made (an
    # attacker's read of 8b9768b): the new code would run with it. Refused.
    foreign = project.BondServicer.deploy(outsider, args[1], args[2], sender=deployer)
    with pytest.raises(ActionInputError, match="constructor argument instruments_ is 0x"):
        propose_calls(source, name, "BondServicer", foreign.address, [outsider.address, *args[1:]])
    with pytest.raises(ActionInputError, match="no such proxy"):
        propose_calls(source, "BondShareToken.QTN28S", "BondShareToken", fixed.address, [])

    calls = propose_calls(source, name, "BondServicer", fixed.address, args)
    with pytest.raises(ActionInputError, match="may not call propose"):
        prepare(source, outsider.address, calls)
    prepared = prepare(source, governor.address, calls)
    batch = safe_batch(source.chain_id, governor.address, prepared, "propose", "")
    assert [t["to"] for t in batch["transactions"]] == [authority.address]
    _send(chain, prepared, governor)
    upgrade_id = authority.upgradeId(bond.servicer, fixed, b"")
    hex_id = "0x" + bytes(upgrade_id).hex()

    # The page's row (and the script's status): pending, nothing to flag.
    rows = _rows(source)
    assert [(r["upgrade_id"], r["proxy"], r["implementation"]) for r in rows] == [
        (hex_id, bond.servicer.address, fixed.address)
    ]
    assert rows[0]["code_warnings"] == ["code no deployment recorded"]

    with pytest.raises(ActionInputError, match="may run from"):
        run_calls(source, hex_id)
    with pytest.raises(ActionInputError, match="may not call veto"):
        prepare(source, governor.address, veto_calls(source, hex_id))
    chain.mine(timestamp=chain.blocks.head.timestamp + authority.NOTICE())
    calls = run_calls(source, hex_id)
    assert calls[0].args == (bond.servicer.address, fixed.address, b"")
    _send(chain, prepare(source, governor.address, calls), governor)
    assert implementation_of(bond.servicer) == fixed.address != old_code
    with pytest.raises(ActionInputError, match="is not pending"):
        run_calls(source, hex_id)


def test_upg_6__veto_prepared_for_a_guardian_member_only(
    chain, project, bond, upgradable, deployer, governor, guardian, outsider
):
    d, source, name, authority, args, fixed = upgradable
    calls = propose_calls(source, name, "BondServicer", fixed.address, args)
    _send(chain, prepare(source, governor.address, calls), governor)
    hex_id = "0x" + bytes(authority.upgradeId(bond.servicer, fixed, b"")).hex()
    with pytest.raises(ActionInputError, match=r"needs GUARDIAN \(2\)"):
        prepare(source, outsider.address, veto_calls(source, hex_id))
    _send(chain, prepare(source, guardian.address, veto_calls(source, hex_id)), guardian)
    assert authority.proposal(hex_id)[0] == 2
    with pytest.raises(ActionInputError, match="is not pending"):
        veto_calls(source, hex_id)


def test_upg_6__desk_code_on_another_instrument__refused_and_said(
    chain, project, desk_stack, deployer, governor
):
    """An attacker's read (helper-107 M-2): a getter answering an address with more beside it
    (FundDesk's `navSource()`: the source and the instrument id) was not compared, so desk code
    built for another instrument passed, and after the upgrade every vault's dealing reverted
    `UnknownInstrument`. Compared now: refused by the operators' path, said by the page."""
    from desk_fixtures import DESK_INSTRUMENT_ID

    s, d = desk_stack, desk_stack.deployment
    record = replace(
        d.record, contracts={**d.record.contracts, "FundNavDouble": s.nav_source.address}
    )
    source = ChainSource(chain.provider.web3, record, load_abis())
    args = [s.share.address, s.assets.address, s.nav_source.address, DESK_INSTRUMENT_ID + 1]
    code = project.FundDesk.deploy(*args, sender=deployer)
    with pytest.raises(ActionInputError, match=r"navSource\(\) \(0x[0-9a-fA-F]{40}, 72\), where"):
        propose_calls(source, "FundDesk", "FundDesk", code.address, args)
    # This build's desk on the same terms is a fix it takes.
    same = project.FundDesk.deploy(*args[:3], DESK_INSTRUMENT_ID, sender=deployer)
    assert propose_calls(source, "FundDesk", "FundDesk", same.address, [*args[:3], 71])


def test_upg_6__desk_vault_recorded_as_a_fund_vault__its_fix_checked_as_one(
    chain, project, desk_stack, deployer, governor
):
    """An attacker's read (helper-108, Medium): a desk's vaults were recorded as `FundDesk.<label>`,
    which the record-name rule types as a FundDesk, so `ape run upgrade` of a desk vault compared
    FundDesk's storage layout with FundVault's and refused every fix, and the page compared a desk
    vault's proposals with the desk's getters. A desk vault is recorded under a FundVault name: its
    fix on the same terms is proposed, code on another asset refused, and the page says only that
    the new code is unrecorded."""
    s, d = desk_stack, desk_stack.deployment
    label, vault = next(iter(s.vaults.items()))
    names = [
        n
        for n, a in d.record.contracts.items()
        if a.lower() == vault.address.lower() and not is_implementation(n)
    ]
    assert len(names) == 1, names
    name = names[0]
    assert name.split(".", 1)[0] == "FundVault", name
    source = ChainSource(chain.provider.web3, d.record, load_abis())
    instant, admin = vault.modules()
    terms = [vault.share(), vault.asset(), vault.navSource()[0], vault.navSource()[1]]
    args = [*terms, vault.feeSchedule(), instant, admin]
    fixed = project.FundVault.deploy(*args, sender=deployer)
    calls = propose_calls(source, name, "FundVault", fixed.address, args)
    assert calls and calls[0].args[:2] == (vault.address, fixed.address)
    # This build's vault on another of the desk's assets (with that vault's recorded modules, which
    # are bound to its asset): not what this vault is built on.
    other = next(v for v in s.vaults.values() if v.address != vault.address)
    moved = [args[0], other.asset(), *args[2:5], *other.modules()]
    foreign = project.FundVault.deploy(*moved, sender=deployer)
    with pytest.raises(ActionInputError, match=r"asset\(\)"):
        propose_calls(source, name, "FundVault", foreign.address, moved)
    send_to_manager(d, grant_calls(d, "UPGRADER", governor.address))
    _send(chain, prepare(source, governor.address, calls), governor)
    rows = _rows(source)
    row = next(r for r in rows if r["proxy"] == vault.address)
    assert row["code_warnings"] == ["code no deployment recorded"], (label, row)
