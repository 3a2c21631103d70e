"""UPG-10: the token family's balance code is fixed by a new token beside the old one, every holding
moved over at the same address, whole, with its freezes (contracts/token/TokenMigrator.sol,
keepers/compliance/migration.py), on the compliance stack the deploy script builds."""

import dataclasses
import importlib.util
from pathlib import Path

import ape
import pytest
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

from compliance_fixtures import (
    ACCREDITED,
    DE,
    FAR_FUTURE,
    OPEN_COUNTRIES,
    UNIT,
    US,
    open_jurisdiction,
)
from keepers.access.roles import ROLE_IDS
from keepers.compliance import deploy_security
from keepers.compliance.migration import (
    deploy_token_migration,
    end_token_migration,
    holders_of,
    migrate_holders,
    migrator_name,
)
from keepers.compliance.migration_view import NEW_TOKEN_CAPABILITIES, OLD_TOKEN_CAPABILITIES

OLD = "SecurityToken"  # the stack's token, QTB27
ZERO = "0x0000000000000000000000000000000000000000"
NOT_COMPLIANT = function_signature_to_4byte_selector(
    "TransferNotCompliant(address,address,uint256,uint8)"
)
RECIPIENT_FROZEN = 3


@pytest.fixture(scope="module")
def migration(stack_deployment, agent, freezer):
    """The fix of QTB27 (`SecurityToken.QTB27V2`, its own engine on the same registry, open in the
    same countries) and the migrator between them, deployed by the domain's routine."""
    d = stack_deployment.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", OLD
    )
    old = d.at(OLD)
    new = deploy_security(
        d,
        ".QTB27V2",
        "Quantera T-Bill 2027",
        "QTB27",
        agent=agent.address,
        freezer=freezer.address,
        jurisdictions=[(country, open_jurisdiction()) for country in OPEN_COUNTRIES],
    )
    migrator = deploy_token_migration(d, OLD, new)
    return old, new, migrator, d


@pytest.fixture
def holdings(migration, onboard, investors, agent, freezer, registry):
    """alice 100 (30 of them frozen), bob 50 on a wallet the token froze, carol nothing."""
    old, _, _, _ = migration
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, ACCREDITED)
    onboard(carol, US, ACCREDITED)
    old.mint(alice, 100 * UNIT, sender=agent)
    old.mint(bob, 50 * UNIT, sender=agent)
    old.freezePartialTokens(alice, 30 * UNIT, sender=freezer)
    old.setAddressFrozen(bob, True, sender=freezer)
    return alice, bob, carol


def test_upg_10__deployed__capabilities_and_wiring_are_the_migrations_only(
    migration, stack, operator, outsider, agent
):
    old, new, migrator, d = migration
    assert d.address(migrator_name(OLD)) == migrator.address
    assert old.agentCapabilities(migrator) == OLD_TOKEN_CAPABILITIES  # BURN only
    assert new.agentCapabilities(migrator) == NEW_TOKEN_CAPABILITIES  # MINT and FREEZE only
    assert (migrator.OLD_TOKEN(), migrator.NEW_TOKEN()) == (old.address, new.address)
    manager = stack[0]
    selector = migrator.migrate.as_transaction([], sender=operator).data[
        :4
    ]  # the OPERATOR's, nobody else's
    assert manager.canCall(operator, migrator, selector)[0]
    assert not manager.canCall(outsider, migrator, selector)[0]
    assert not manager.canCall(agent, migrator, selector)[0]


def test_upg_10__every_holding_moved_whole__freezes_kept__supply_conserved(
    migration, holdings, agent, operator, stack_deployment
):
    old, new, migrator, _ = migration
    alice, bob, carol = holdings
    supply = old.totalSupply()
    old.pause(sender=agent)
    holders = holders_of(old, stack_deployment.record.block or 0)
    assert holders == [alice.address, bob.address]  # carol was never credited

    outcome = migrate_holders(migrator, [*holders, carol.address], operator)

    assert outcome.moved == [alice.address, bob.address] and outcome.refused == []
    assert (new.balanceOf(alice), new.balanceOf(bob), new.balanceOf(carol)) == (
        100 * UNIT,
        50 * UNIT,
        0,
    )
    assert new.getFrozenTokens(alice) == 30 * UNIT and not new.isFrozen(alice)
    assert new.isFrozen(bob) and new.getFrozenTokens(bob) == 0
    assert old.balanceOf(alice) == old.balanceOf(bob) == 0
    assert old.totalSupply() == migrator.remaining() == 0 and new.totalSupply() == supply
    # The new engine counts the same holders (its caps apply from the first holding moved).
    assert new.compliance() != old.compliance()

    # Again: nothing moves twice.
    again = migrate_holders(migrator, holders, operator)
    assert again.moved == [] and new.totalSupply() == supply

    # The holders trade on the new token once the issuer opens it: the freezes hold there.
    new.unpause(sender=agent)
    with ape.reverts(new.TransferNotCompliant):
        new.transfer(carol, 80 * UNIT, sender=alice)  # 30 of alice's 100 are frozen
    new.transfer(carol, 70 * UNIT, sender=alice)
    with ape.reverts(new.TransferNotCompliant):
        new.transfer(carol, 1, sender=bob)  # bob's wallet is frozen there too
    assert new.balanceOf(carol) == 70 * UNIT


def test_upg_10__holding_the_new_token_refuses__left_whole__the_batch_goes_on(
    migration, holdings, agent, operator, freezer, registry
):
    """A holder under a sanctions freeze (the identity registry's: every security) cannot be
    credited on the new token: the holding stays whole on the old one, reported, and moves once
    the freeze is lifted."""
    old, new, migrator, _ = migration
    alice, bob, _ = holdings
    registry.freeze(alice, sender=freezer)
    old.pause(sender=agent)

    receipt = migrator.migrate([alice, bob], sender=operator)

    [refused] = receipt.decode_logs(migrator.MigrationRefused)
    assert refused.holder == alice.address and refused.amount == 100 * UNIT
    # The new token's refusal, as its mint says it: the wallet is frozen (code 3, SEC-68).
    assert refused.reason[:4] == NOT_COMPLIANT
    assert decode(["address", "address", "uint256", "uint8"], refused.reason[4:]) == (
        ZERO,
        alice.address.lower(),
        100 * UNIT,
        RECIPIENT_FROZEN,
    )
    assert old.balanceOf(alice) == 100 * UNIT and old.getFrozenTokens(alice) == 30 * UNIT
    assert new.balanceOf(alice) == 0 and new.balanceOf(bob) == 50 * UNIT
    assert migrator.remaining() == 100 * UNIT

    registry.unfreeze(alice, sender=operator)
    assert migrate_holders(migrator, [alice.address], operator).moved == [alice.address]
    assert new.balanceOf(alice) == 100 * UNIT and migrator.remaining() == 0


def test_upg_10__a_holder_moves_its_own_holding_without_the_issuer(migration, holdings, agent):
    old, new, migrator, _ = migration
    alice, _, carol = holdings
    old.pause(sender=agent)
    migrator.migrateSelf(sender=alice)
    assert (old.balanceOf(alice), new.balanceOf(alice)) == (0, 100 * UNIT)
    assert new.getFrozenTokens(alice) == 30 * UNIT
    with ape.reverts(migrator.NothingToMigrate, holder=carol.address):
        migrator.migrateSelf(sender=carol)
    with ape.reverts(migrator.NothingToMigrate, holder=alice.address):
        migrator.migrateSelf(sender=alice)  # once


def test_upg_10__attacks__unpaused_outsider_direct_step_oversized_batch__refused(
    migration, holdings, agent, operator, outsider
):
    """Balances that could still move, a caller without OPERATOR, the step called directly (it
    would skip the pause check and the batch's catch) and a batch past its bound: each refused,
    nothing moved."""
    old, new, migrator, _ = migration
    alice, bob, _ = holdings
    with ape.reverts(migrator.OldTokenNotPaused, oldToken=old.address):
        migrator.migrate([alice], sender=operator)
    with ape.reverts(migrator.OldTokenNotPaused, oldToken=old.address):
        migrator.migrateSelf(sender=alice)
    old.pause(sender=agent)
    with ape.reverts(migrator.AccessManagedUnauthorized):
        migrator.migrate([alice], sender=outsider)
    for caller in (outsider, operator, alice):
        with ape.reverts(migrator.OnlySelf, caller=caller.address):
            migrator.migrateOne(alice, sender=caller)
    limit = migrator.MAX_HOLDERS()
    with ape.reverts(migrator.TooManyHolders, count=limit + 1, maxHolders=limit):
        migrator.migrate([alice.address] * (limit + 1), sender=operator)
    assert old.balanceOf(alice) == 100 * UNIT and new.totalSupply() == 0
    # A holder listed twice moves once.
    migrator.migrate([alice, alice, bob], sender=operator)
    assert new.balanceOf(alice) == 100 * UNIT and new.totalSupply() == 150 * UNIT


def test_upg_10__constructor__same_token_or_other_decimals__refused(
    migration, deployer, project, stack
):
    old, _, _, _ = migration
    manager = stack[0]
    with ape.reverts(project.TokenMigrator.TokensMismatch):
        deployer.deploy(project.TokenMigrator, manager, old, old)


def contract_holding(old, new, registry, operator, agent) -> str:
    """A contract (the new engine stands in for a vault) verified and holding 5 of the old token."""
    holder_contract = new.compliance()
    registry.registerInvestor(
        holder_contract, "0x" + "1c" * 20, US, ACCREDITED, FAR_FUTURE, sender=operator
    )
    old.mint(holder_contract, 5 * UNIT, sender=agent)
    return holder_contract


def test_upg_10__routine__a_contract_holder_is_kept_back_unless_named(
    migration, holdings, agent, operator, registry, stack_deployment
):
    """helper-112 M4: a contract holding the token (a vault, a broker's collateral, a pool) counts
    the old token's address in its code; moved by a sweep of every holder, its new tokens would sit
    where its code never looks. The routine keeps back every holder with code (an EIP-7702
    delegated wallet is a wallet), and moves one only when the issuer names it."""
    old, new, migrator, _ = migration
    alice, bob, _ = holdings
    holder_contract = contract_holding(old, new, registry, operator, agent)
    old.pause(sender=agent)
    holders = holders_of(old, stack_deployment.record.block or 0)
    assert holder_contract in holders

    outcome = migrate_holders(migrator, holders, operator)

    assert outcome.kept == [holder_contract] and outcome.moved == [alice.address, bob.address]
    assert old.balanceOf(holder_contract) == 5 * UNIT and new.balanceOf(holder_contract) == 0
    named = migrate_holders(migrator, holders, operator, move_contracts=[holder_contract])
    assert named.moved == [holder_contract] and new.balanceOf(holder_contract) == 5 * UNIT


def test_upg_10__routine__addresses_in_any_case__reported_as_moved(
    migration, holdings, agent, operator
):
    """helper-112 L3: the routine's report compared the caller's strings with the log's checksummed
    addresses: holders given in lower case moved, and were reported as not moved."""
    old, new, migrator, _ = migration
    alice, bob, _ = holdings
    old.pause(sender=agent)
    outcome = migrate_holders(migrator, [alice.address.lower(), bob.address.lower()], operator)
    assert outcome.moved == [alice.address, bob.address]
    assert new.balanceOf(alice) == 100 * UNIT


def test_upg_10__ended__the_migrator_can_move_nothing_more(
    migration, holdings, agent, operator, stack
):
    """helper-112 L4: the migrator kept BURN on the old token and MINT on the new one for good; a
    holding the old token's agents made later could still be turned into the new token. Ended, it
    holds no capability and every later holding is refused, left whole."""
    old, new, migrator, d = migration
    alice, bob, carol = holdings
    old.pause(sender=agent)
    migrate_holders(migrator, [alice.address, bob.address], operator)
    end_token_migration(d, OLD)
    assert old.agentCapabilities(migrator) == new.agentCapabilities(migrator) == 0
    # helper-113: the routine held GOVERNOR for its steps and kept it.
    assert not stack[0].hasRole(ROLE_IDS["GOVERNOR"], d.sender.address)[0]
    old.mint(carol, 7 * UNIT, sender=agent)  # later, on the old token
    outcome = migrate_holders(migrator, [carol.address], operator)
    assert outcome.refused == [carol.address] and old.balanceOf(carol) == 7 * UNIT
    assert new.totalSupply() == 150 * UNIT


def test_upg_10__operators_status_and_batch__what_is_left_and_the_operators_calls(
    migration, holdings, agent, operator, outsider, registry, stack_deployment
):
    """The operators' path (`ape run migrate_token status|batch`): the status reads what is left on
    the old token, holding by holding with its freezes and whether it is a contract; the batch is
    the OPERATOR's `migrate` calls for every wallet left, refused in one line while the old token
    is unpaused, for a named contract that holds nothing, and for a Safe that may not call it;
    once moved, the status shows nothing left and the new token's supply."""
    from ape import chain

    from keepers.compliance.migration import migration_status
    from keepers.compliance.migration_view import MigrationInputError, migrate_batches
    from keepers.console.actions import ActionInputError, prepare
    from keepers.console.source import ChainSource, load_abis

    script = importlib.util.spec_from_file_location(
        "migrate_token_script", Path(__file__).parents[3] / "scripts/migrate_token.py"
    )
    migrate_token = importlib.util.module_from_spec(script)
    script.loader.exec_module(migrate_token)

    old, new, migrator, d = migration
    alice, bob, _ = holdings
    holder_contract = contract_holding(old, new, registry, operator, agent)
    start = stack_deployment.record.block or 0

    st = migration_status(migrator, start)
    rows = {h.holder: h for h in st.holders}
    assert list(rows) == [alice.address, bob.address, holder_contract]
    assert (rows[alice.address].amount, rows[alice.address].frozen_tokens) == (
        100 * UNIT,
        30 * UNIT,
    )
    assert rows[bob.address].wallet_frozen and not rows[alice.address].wallet_frozen
    assert rows[holder_contract].contract and not rows[alice.address].contract
    assert st.can_burn_old and st.can_mint_new and st.old_supply == 155 * UNIT
    assert (st.symbol, st.new_supply, st.max_holders) == ("QTB27", 0, 50)
    with pytest.raises(MigrationInputError, match="not paused"):
        migrate_batches(st)

    old.pause(sender=agent)
    st = migration_status(migrator, start)
    assert migrate_batches(st) == [[alice.address, bob.address]]  # the contract kept back
    assert migrate_batches(st, keep=[bob.address.lower()]) == [[alice.address]]
    assert migrate_batches(st, move_contracts=[holder_contract]) == [
        [alice.address, bob.address, holder_contract]
    ]
    with pytest.raises(MigrationInputError, match="not holders of the old token"):
        migrate_batches(st, move_contracts=[outsider.address])

    source = ChainSource(chain.provider.web3, d.record, load_abis(), None, "ethereum:local")
    calls = migrate_token.migration_calls(migrator_name(OLD), migrate_batches(st))
    [prepared] = prepare(source, operator.address, calls)
    assert prepared.to == migrator.address and prepared.route == "direct"
    with pytest.raises(ActionInputError, match="may not call migrate"):
        prepare(source, outsider.address, calls)

    # The batch sent as prepared (the operator's Safe would): nothing left but the contract.
    w3 = chain.provider.web3
    sent = w3.eth.send_transaction(
        {"from": operator.address, "to": prepared.to, "data": prepared.data}
    )
    assert w3.eth.wait_for_transaction_receipt(sent)["status"] == 1
    after = migration_status(migrator, start)
    assert [h.holder for h in after.holders] == [holder_contract]
    assert after.new_supply == 150 * UNIT and new.balanceOf(alice) == 100 * UNIT


def test_upg_10__helper_114__batch_bounded__supply_not_listed_said__a_kept_typo_refused(
    migration, holdings, agent, operator, outsider, stack_deployment
):
    """helper-114's read of the operators' path: M2 every `migrate` call went into one Safe
    transaction (50 holders a call, ~150,000 gas each: past the block's gas limit from a few hundred
    holders) — a batch now holds at most `max_calls`, and the next `status` and `batch` take the
    rest; M3 a status that found no holder (a `--from-block` past the mints) said nothing was left
    while the old token still had supply — what the listed holdings do not account for is said;
    M4 a mistyped `--keep` was ignored and the holding moved — it is refused, as a named
    contract that holds nothing is."""
    from ape import chain

    from keepers.compliance.migration import migration_status
    from keepers.compliance.migration_view import MigrationInputError, migrate_batches

    old, _, migrator, _ = migration
    alice, bob, _ = holdings
    old.pause(sender=agent)
    start = stack_deployment.record.block or 0

    st = migration_status(migrator, start)
    assert st.unlisted == 0
    late = migration_status(migrator, chain.blocks.head.number + 1)
    assert late.holders == () and late.unlisted == late.old_supply == 150 * UNIT

    with pytest.raises(MigrationInputError, match="not holders of the old token"):
        migrate_batches(st, keep=[outsider.address])
    assert migrate_batches(st, max_calls=1) == [[alice.address, bob.address]]
    small = dataclasses.replace(st, max_holders=1)  # 1 holder a call, as 50 of 51 would
    assert migrate_batches(small, max_calls=1) == [[alice.address]]
    assert migrate_batches(small, max_calls=2) == [[alice.address], [bob.address]]


def test_upg_10__helper_114_l2_l3__status_of_one_block__hooked_classes_refused(
    migration, holdings, agent, operator, stack_deployment
):
    """helper-114 L3: the status read each holder's figures one call at a time, each at `latest`
    (holders, balances and supplies of different blocks while a batch lands) — now every figure is
    of one block, `to_block` or the head: a status of the block before a batch still shows what
    it moved. L2: a status of an income or coupon class (its balance changes settle accruals
    first) is refused by the batch, whatever else it says."""
    from ape import chain

    from keepers.compliance.migration import migration_status
    from keepers.compliance.migration_view import MigrationInputError, migrate_batches

    old, new, migrator, _ = migration
    alice, bob, _ = holdings
    old.pause(sender=agent)
    start = stack_deployment.record.block or 0
    before = int(chain.blocks.head.number)
    migrator.migrate([alice, bob], sender=operator)

    then = migration_status(migrator, start, before)
    assert then.block == before and then.old_paused and then.balance_hooked is None
    assert [(h.holder, h.amount) for h in then.holders] == [
        (alice.address, 100 * UNIT),
        (bob.address, 50 * UNIT),
    ]
    assert (then.old_supply, then.new_supply, then.unlisted) == (150 * UNIT, 0, 0)
    now = migration_status(migrator, start)
    assert now.holders == () and (now.old_supply, now.new_supply) == (0, 150 * UNIT)

    for hooked in ("BondShareToken", "IncomeShareToken"):
        with pytest.raises(MigrationInputError, match=f"is a {hooked}"):
            migrate_batches(dataclasses.replace(then, balance_hooked=hooked))
    assert migrate_batches(then) == [[alice.address, bob.address]]


def test_upg_10__console__the_governance_page_shows_a_migration_as_the_operators_status_does(
    migration, holdings, agent, operator, registry, stack_deployment
):
    """The console's governance page shows every recorded migration through the one reader the
    operators' `ape run migrate_token status` uses (`read_migration`), its holders found from the
    console's own event index: both tokens, paused or not, the migrator's capabilities, what is
    left holding by holding; a batch later, what it moved is gone, and once every holding moved,
    done. A migrator whose tokens cannot be read is a row with its error, not a failed page."""
    from ape import chain

    from keepers.compliance.migration import migration_status
    from keepers.console import describe
    from keepers.console.app import templates
    from keepers.console.index import EventIndex
    from keepers.console.pages import governance
    from keepers.console.source import ChainSource, load_abis

    old, new, migrator, d = migration
    alice, bob, _ = holdings
    holder_contract = contract_holding(old, new, registry, operator, agent)
    source = ChainSource(chain.provider.web3, d.record, load_abis(), None, "ethereum:local")
    start = stack_deployment.record.block or 0

    def page() -> tuple[dict, str]:
        head = int(chain.blocks.head.number)
        index = EventIndex(source)
        index.sync(head)
        [row] = governance.token_migrations(source, index, head, describe.for_source(source))
        template = templates().get_template("governance.html")  # the page's live part
        live = template.new_context({"data": {"migrations": [row]}})
        html = "".join(template.blocks["live"](live))
        return row, html

    row, html = page()
    st = migration_status(migrator, start)
    assert (row["name"], row["address"]) == (migrator_name(OLD), migrator.address)
    assert (row["old_token"], row["new_token"]) == (old.address, new.address)
    assert not row["old_paused"] and row["can_burn_old"] and row["can_mint_new"]
    assert (row["old_supply"], row["new_supply"]) == ("155 QTB27", "0 QTB27")
    assert row["holders_left"] == len(st.holders) == 3 and row["contracts_left"] == 1
    assert [h["holder"] for h in row["holders"]] == [alice.address, bob.address, holder_contract]
    assert row["holders"][0]["frozen"] == "30 QTB27" and row["holders"][1]["wallet_frozen"]
    assert row["unlisted"] is None and not row["done"] and row["balance_hooked"] is None
    assert 'data-testid="migration-unpaused"' in html and alice.address in html

    old.pause(sender=agent)
    migrator.migrate([alice, bob], sender=operator)
    row, html = page()
    assert row["old_paused"] and row["holders_left"] == 1 and row["new_supply"] == "150 QTB27"
    assert [h["holder"] for h in row["holders"]] == [holder_contract]
    migrator.migrate([holder_contract], sender=operator)
    row, html = page()
    assert row["done"] and row["old_supply"] == "0 QTB27" and 'data-testid="migration-done"' in html

    broken = dataclasses.replace(  # a migrator recorded where no code is
        d.record, contracts={**d.record.contracts, "TokenMigrator.Broken": alice.address}
    )
    source = ChainSource(chain.provider.web3, broken, load_abis(), None, "ethereum:local")
    head = int(chain.blocks.head.number)
    index = EventIndex(source)
    index.sync(head)
    rows = governance.token_migrations(source, index, head, describe.for_source(source))
    assert [r["name"] for r in rows] == ["TokenMigrator.Broken", migrator_name(OLD)]
    assert rows[0]["error"] and rows[1]["done"]


def test_upg_10__helper_117__reads_bounded__addresses_any_case__nothing_read_once_done(
    migration, holdings, agent, operator
):
    """helper-117 L1, L4: the console's row read every wallet the old token ever credited, three
    calls each, at every block, and kept doing so once the migration was done; a holder listed in
    lower case could not be found by the batch. The reader now reads at most `max_wallets`
    wallets (the rest counted, their holdings in the supply not listed: never done), none once
    the old supply is 0, and takes each wallet once, checksummed, whatever its case."""
    from ape import chain

    from keepers.compliance.migration_view import migrate_batches, read_migration
    from keepers.core.artifacts import project_at
    from keepers.core.reads import ApeReads

    old, _, migrator, _ = migration
    alice, bob, _ = holdings
    asked: list[int] = []

    def credited(token, stop):
        asked.append(stop)
        return [alice.address.lower(), bob.address.lower(), alice.address]

    def read(**bounds):
        return read_migration(
            ApeReads(), migrator, project_at, credited, int(chain.blocks.head.number), **bounds
        )

    part = read(max_wallets=1)
    assert [h.holder for h in part.holders] == [alice.address] and part.wallets_unread == 1
    assert part.unlisted == 50 * UNIT and part.new_symbol == "QTB27"
    full = read()
    assert [h.holder for h in full.holders] == [alice.address, bob.address]
    assert (full.unlisted, full.wallets_unread) == (0, 0)

    old.pause(sender=agent)
    assert migrate_batches(read(), keep=[bob.address.lower()]) == [[alice.address]]
    migrator.migrate([alice, bob], sender=operator)
    asked.clear()
    done = read()
    assert asked == [] and done.holders == () and (done.old_supply, done.unlisted) == (0, 0)
