"""The token family's migration path (UPG-10; interfaces/ITokenMigrator.sol): a defect in a
token's balance code is fixed by a new token deployed beside it (`deploy_security`), and the
issuer's agent moves every holding over at the same address through a `TokenMigrator`.

- `deploy_token_migration`: the migrator (`TokenMigrator.<old record name>` in the record), its
  `migrate` wired to OPERATOR, and the capabilities it needs (BURN on the old token, MINT and
  FREEZE on the new one), GOVERNOR's: sent when the deployer still holds ADMIN, else left to
  governance (a timelocked batch).
- `end_token_migration`: the migrator's capabilities taken back on both tokens once it is done.
- `holders_of`: every wallet the old token's `Transfer` log ever credited that holds some now
  (the issuer's list; nothing on chain keeps one: no loop over holders is paid by transfers).
- `migrate_holders`: the listed holders in batches of `MAX_HOLDERS`, the old token paused first
  by its agent; a holding the new token refuses stays whole on the old one and is reported. A
  holder that is a contract (a vault, a broker, a pool: its code names the old token) is kept
  back unless named, and moves with its own fix (ITokenMigrator's warning), as do those in `keep`.
- `read_migration`: the one reader of a migration, over any reads protocol (the operators'
  `ape run migrate_token status` through `migration_status`, the console's governance page):
  every figure of one block; `migrate_batches`: the OPERATOR's `migrate` calls for what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from keepers.access import as_role, is_admin, renounce_temporary_roles, wire
from keepers.compliance.deploy import capability_step
from keepers.compliance.migration_view import (
    NEW_TOKEN_CAPABILITIES,
    OLD_TOKEN_CAPABILITIES,
    MigrationStatus,
    read_migration,
    runs_code,
    to_move,
)
from keepers.core.artifacts import project_at
from keepers.core.deploying import ZERO_ADDRESS, Deployment
from keepers.core.logs import fetch_logs
from keepers.core.reads import ApeReads


def migrator_name(old_token_name: str) -> str:
    """The record name of the migrator from the token recorded as `old_token_name`."""
    return f"TokenMigrator.{old_token_name}"


def deploy_token_migration(d: Deployment, old_token_name: str, new_token: Any) -> Any:
    """The migrator from the recorded token `old_token_name` to `new_token`, wired, with its
    capabilities on both tokens (GOVERNOR's: sent when the sender is still ADMIN). Returns it."""
    manager, old_token = d.at("QuanteraAccessManager"), d.at("SecurityToken", old_token_name)
    migrator = d.deploy_contract(
        migrator_name(old_token_name), "TokenMigrator", manager, old_token, new_token
    )
    if not is_admin(d, f"{old_token_name}'s migration wiring and capabilities"):
        return migrator
    steps = capability_step(
        d,
        old_token,
        migrator,
        OLD_TOKEN_CAPABILITIES,
        f"let the migrator burn {old_token.symbol()}",
    ) + capability_step(
        d,
        new_token,
        migrator,
        NEW_TOKEN_CAPABILITIES,
        f"let the migrator mint and freeze {new_token.symbol()}",
    )
    wire(d, [(migrator, "TokenMigrator")])
    as_role(d, "GOVERNOR", steps)
    return migrator


def end_token_migration(d: Deployment, old_token_name: str) -> None:
    """Takes the migrator's capabilities back on both of its tokens, read from the migrator itself
    (GOVERNOR's; helper-112 L4, helper-113): once the issuer's batches are done, no later balance
    of the old token can turn into the new one through it. Sent when the sender is still ADMIN
    (the GOVERNOR it holds for the steps renounced after them), else left to governance. What is
    still on the old token stays there, with the old token's agents' paths."""
    migrator = d.at("TokenMigrator", migrator_name(old_token_name))
    if not is_admin(d, f"{old_token_name}'s migration end"):
        return
    tokens = [
        project_at("SecurityToken", migrator.OLD_TOKEN()),
        project_at("SecurityToken", migrator.NEW_TOKEN()),
    ]
    steps = [
        step
        for token in tokens
        for step in capability_step(
            d, token, migrator, 0, f"take the migrator's capabilities on {token.symbol()} back"
        )
    ]
    as_role(d, "GOVERNOR", steps)
    renounce_temporary_roles(d)


def credited_by_log(token: Any, from_block: int, to_block: int) -> list[str]:
    """Every wallet the `Transfer` log of `token` (an ape contract) credited in
    [from_block, to_block], in the order first credited (the issuer's list of holders: nothing on
    chain keeps one)."""
    credited: dict[str, None] = {}
    for log in fetch_logs(token.address, [token.Transfer.abi], from_block, to_block):
        to = str(log.event_arguments["to"])
        if to != ZERO_ADDRESS:
            credited.setdefault(to_checksum_address(to), None)
    return list(credited)


def holders_of(token: Any, from_block: int, to_block: int | None = None) -> list[str]:
    """The wallets holding `token` at `to_block` (default: the head) among those its `Transfer`
    log credited in [from_block, to_block], in the order first credited. The balances are read at
    that one block, in JSON-RPC batches (helper-114 L3: a call a holder, each at `latest`)."""
    from ape import chain

    stop = int(chain.blocks.head.number) if to_block is None else to_block
    wallets = credited_by_log(token, from_block, stop)
    balances = ApeReads().views([(token, "balanceOf", [w]) for w in wallets], block=stop)
    return [w for w, balance in zip(wallets, balances, strict=True) if balance > 0]


def is_contract(address: str, block: int | str = "latest") -> bool:
    """Whether `address` runs code of its own at `block` (`runs_code`)."""
    from ape import chain

    return runs_code(chain.provider.get_code(address, block_id=block))


@dataclass
class MigrationOutcome:
    """What `migrate_holders` did: holders moved, refused by the new token (still whole on the old
    one), and kept back (contracts not named to move, and `keep`), each in the order given, as
    checksummed addresses."""

    moved: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def migrate_holders(
    migrator: Any,
    holders: Sequence[str],
    operator: Any,
    keep: Iterable[str] = (),
    move_contracts: Iterable[str] = (),
) -> MigrationOutcome:
    """Moves `holders` in batches of the migrator's `MAX_HOLDERS`, as `operator` (OPERATOR), but
    those in `keep` and every holder that is a contract unless `move_contracts` names it: a
    contract built on the old token (a vault's listed asset, a broker's collateral, a pool) keeps
    counting the old token's address, so it moves with its own fix (helper-112 M4). The old token
    must be paused (its agent's or the GUARDIAN's act, refused here otherwise:
    `OldTokenNotPaused`). A holder already moved is skipped by the contract: a rerun after an
    interruption moves only what is left (each batch is sent again, and costs a read a holder)."""
    outcome = MigrationOutcome()
    todo, outcome.kept = to_move(holders, keep, move_contracts, is_contract)
    size = int(migrator.MAX_HOLDERS())
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        receipt = migrator.migrate(batch, sender=operator)
        moved = {to_checksum_address(log.holder) for log in receipt.decode_logs(migrator.Migrated)}
        refused = {
            to_checksum_address(log.holder)
            for log in receipt.decode_logs(migrator.MigrationRefused)
        }
        outcome.moved += [h for h in batch if h in moved]
        outcome.refused += [h for h in batch if h in refused]
    return outcome


def migration_status(
    migrator: Any, from_block: int, to_block: int | None = None
) -> MigrationStatus:
    """The migration through `migrator` (an ape contract) at `to_block` (default: the head), its
    holders those the old token's `Transfer` log credited in [from_block, to_block]
    (`read_migration` over ape's provider: the operators' script)."""
    from ape import chain

    block = int(chain.blocks.head.number) if to_block is None else to_block
    return read_migration(
        ApeReads(),
        migrator,
        project_at,
        lambda old, stop: credited_by_log(old, from_block, stop),
        block,
    )
