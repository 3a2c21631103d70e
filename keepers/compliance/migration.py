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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from keepers.access import as_role, is_admin, renounce_temporary_roles, wire
from keepers.compliance.capabilities import AgentCapability
from keepers.compliance.deploy import capability_step
from keepers.core.artifacts import project_at
from keepers.core.code import delegate_of
from keepers.core.deploying import ZERO_ADDRESS, Deployment
from keepers.core.errors import QuanteraError
from keepers.core.logs import fetch_logs
from keepers.core.reads import ApeReads, ReadFailure

#: What the migrator may do on each token (and nothing else).
OLD_TOKEN_CAPABILITIES = int(AgentCapability.BURN)
NEW_TOKEN_CAPABILITIES = int(AgentCapability.MINT | AgentCapability.FREEZE)


class MigrationInputError(QuanteraError):
    """A migration batch that cannot be prepared (the old token not paused, the migrator without
    its capabilities, a named contract that holds nothing); the message says which."""


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


def holders_of(token: Any, from_block: int, to_block: int | None = None) -> list[str]:
    """The wallets holding `token` at `to_block` (default: the head) among those its `Transfer`
    log credited in [from_block, to_block], in the order first credited. The balances are read at
    that one block, in JSON-RPC batches (helper-114 L3: a call a holder, each at `latest`)."""
    from ape import chain

    stop = int(chain.blocks.head.number) if to_block is None else to_block
    credited: dict[str, None] = {}
    for log in fetch_logs(token.address, [token.Transfer.abi], from_block, stop):
        to = str(log.event_arguments["to"])
        if to != ZERO_ADDRESS:
            credited.setdefault(to, None)
    wallets = list(credited)
    balances = ApeReads().views([(token, "balanceOf", [w]) for w in wallets], block=stop)
    return [w for w, balance in zip(wallets, balances, strict=True) if balance > 0]


def runs_code(code: bytes) -> bool:
    """Whether an account with `code` runs code of its own (an EIP-7702 delegated wallet does
    not: its key holds the holding)."""
    code = bytes(code)
    return bool(code) and delegate_of(code) is None


def is_contract(address: str, block: int | str = "latest") -> bool:
    """Whether `address` runs code of its own at `block` (`runs_code`)."""
    from ape import chain

    return runs_code(chain.provider.get_code(address, block_id=block))


#: The token classes whose balance changes call code of their own first (coupons or income settled
#: holder by holder on a burn), each told by a view only it answers. Their holdings migrate with
#: their servicer's and vault's fix (ITokenMigrator's warning), never by `migrate`'s batches
#: (helper-114 L2).
BALANCE_HOOKED_CLASSES = (("BondShareToken", "servicer"), ("IncomeShareToken", "incomeIndex"))


def balance_hooked_class(token_address: str, block: int | str = "latest") -> str | None:
    """The class of BALANCE_HOOKED_CLASSES the token at `token_address` is, read from its answers
    at `block`, or None for a security token whose balances move alone."""
    calls = [(project_at(name, token_address), view, []) for name, view in BALANCE_HOOKED_CLASSES]
    answers = ApeReads().views(calls, block=block, allow_failure=True)
    for (name, _), answer in zip(BALANCE_HOOKED_CLASSES, answers, strict=True):
        if not isinstance(answer, ReadFailure):
            return name
    return None


def to_move(
    holders: Iterable[str],
    keep: Iterable[str],
    move_contracts: Iterable[str],
    contract: Callable[[str], bool],
) -> tuple[list[str], list[str]]:
    """`holders` (any case, each once, in order) split into those a batch moves and those kept
    back: those in `keep`, and every holder `contract` says runs code unless `move_contracts`
    names it (a contract built on the old token moves with its own fix: helper-112 M4). Asked of
    a holder only when neither list decides it."""
    kept = {to_checksum_address(k) for k in keep}
    named = {to_checksum_address(c) for c in move_contracts}
    todo: list[str] = []
    back: list[str] = []
    for holder in dict.fromkeys(to_checksum_address(h) for h in holders):
        if holder in kept or (holder not in named and contract(holder)):
            back.append(holder)
        else:
            todo.append(holder)
    return todo, back


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


@dataclass(frozen=True)
class HolderRow:
    """One holding still on the old token: its wallet, amount (base units), part frozen, whether
    the wallet is frozen there, and whether it runs code of its own (kept back until named)."""

    holder: str
    amount: int
    frozen_tokens: int
    wallet_frozen: bool
    contract: bool


@dataclass(frozen=True)
class MigrationStatus:
    """Where a token migration stands, as the operator reads it before a batch (`ape run
    migrate_token status`): the migrator and its tokens, whether the old one is paused (the
    migrator refuses to move otherwise), what each token's supply is, the capabilities the
    migrator holds on each (none once ended), and every holding left on the old token, all read
    at one block."""

    migrator: str
    old_token: str
    new_token: str
    symbol: str
    decimals: int
    old_paused: bool
    old_supply: int
    new_supply: int
    can_burn_old: bool
    can_mint_new: bool
    max_holders: int
    holders: tuple[HolderRow, ...]
    block: int = 0  # the block every figure above was read at
    # The old token's class when its balance changes settle accruals first (BALANCE_HOOKED_CLASSES:
    # never migrated by batches), else None.
    balance_hooked: str | None = None

    @property
    def unlisted(self) -> int:
        """The old token's supply the listed holdings do not account for (0 when every holder was
        found): holders credited before the first block read, or a log the provider cut short.
        Not 0, the migration is not done, whatever the list says (helper-114 M3)."""
        return self.old_supply - sum(h.amount for h in self.holders)


def migration_status(
    migrator: Any, from_block: int, to_block: int | None = None
) -> MigrationStatus:
    """The migration through `migrator` read from the chain at `to_block` (default: the head), every
    figure at that one block, in JSON-RPC batches: its tokens' state and class, its capabilities
    and the holders the old token's `Transfer` log credited in [from_block, to_block] that hold
    some there (`holders_of`), each with its freezes and whether it runs code."""
    from ape import chain

    block = int(chain.blocks.head.number) if to_block is None else to_block
    reads = ApeReads()
    [old_address, new_address] = reads.views(
        [(migrator, "OLD_TOKEN", []), (migrator, "NEW_TOKEN", [])], block=block
    )
    old = project_at("SecurityToken", old_address)
    new = project_at("SecurityToken", new_address)
    holders = holders_of(old, from_block, block)
    per_holder = ("balanceOf", "getFrozenTokens", "isFrozen")
    answers = reads.views([(old, v, [h]) for h in holders for v in per_holder], block=block)
    codes = reads.codes(holders, block=block)
    rows = tuple(
        HolderRow(
            holder=holder,
            amount=int(answers[3 * k]),
            frozen_tokens=int(answers[3 * k + 1]),
            wallet_frozen=bool(answers[3 * k + 2]),
            contract=runs_code(codes[k]),
        )
        for k, holder in enumerate(holders)
    )
    symbol, decimals, paused, old_supply, new_supply, on_old, on_new, max_holders = reads.views(
        [
            (old, "symbol", []),
            (old, "decimals", []),
            (old, "paused", []),
            (old, "totalSupply", []),
            (new, "totalSupply", []),
            (old, "agentCapabilities", [migrator.address]),
            (new, "agentCapabilities", [migrator.address]),
            (migrator, "MAX_HOLDERS", []),
        ],
        block=block,
    )
    return MigrationStatus(
        migrator=to_checksum_address(migrator.address),
        old_token=old_address,
        new_token=new_address,
        symbol=str(symbol),
        decimals=int(decimals),
        old_paused=bool(paused),
        old_supply=int(old_supply),
        new_supply=int(new_supply),
        can_burn_old=int(on_old) & OLD_TOKEN_CAPABILITIES == OLD_TOKEN_CAPABILITIES,
        can_mint_new=int(on_new) & NEW_TOKEN_CAPABILITIES == NEW_TOKEN_CAPABILITIES,
        max_holders=int(max_holders),
        holders=rows,
        block=block,
        balance_hooked=balance_hooked_class(old_address, block),
    )


#: `migrate` calls in one Safe transaction by default: one call moves up to the migrator's
#: MAX_HOLDERS holdings, each a burn and a compliance-checked mint, so a handful of calls would
#: pass a block's gas limit (helper-114 M2); the next `batch` takes the holders left.
CALLS_PER_BATCH = 1


def migrate_batches(
    status: MigrationStatus,
    keep: Iterable[str] = (),
    move_contracts: Iterable[str] = (),
    max_calls: int = CALLS_PER_BATCH,
) -> list[list[str]]:
    """The holder lists of the `migrate` calls that move what `status` shows left, at most the
    migrator's MAX_HOLDERS each: every wallet but those in `keep`, and the contracts
    `move_contracts` names (each named holder, kept or moved, must hold some of the old token: a
    name that does not is refused, as a typo would be; helper-114 M4), at most `max_calls` calls:
    the holders past them are the next batch's, once this one ran.
    Refused (MigrationInputError, one line) while the old token is not paused or the migrator
    cannot burn and mint: every call would revert."""
    if not status.old_paused:
        raise MigrationInputError(
            f"the old token {status.old_token} ({status.symbol}) is not paused: pause it first "
            "(its PAUSE agent or the GUARDIAN); the migrator refuses to move otherwise"
        )
    if not (status.can_burn_old and status.can_mint_new):
        raise MigrationInputError(
            f"the migrator {status.migrator} lacks its capabilities (BURN on the old token: "
            f"{status.can_burn_old}, MINT and FREEZE on the new one: {status.can_mint_new}): "
            "ended, or never given them"
        )
    if status.balance_hooked:
        raise MigrationInputError(
            f"the old token {status.old_token} ({status.symbol}) is a {status.balance_hooked}: "
            "its balance changes settle what each holding is owed first, so its holdings move "
            "with its servicer's and vault's fix, not by migrate's batches (ITokenMigrator)"
        )
    if max_calls < 1:
        raise MigrationInputError(f"a batch holds at least one call, not {max_calls}")
    keep, move_contracts = tuple(keep), tuple(move_contracts)
    named = {to_checksum_address(a) for a in (*keep, *move_contracts)}
    if unknown := sorted(named - {h.holder for h in status.holders}):
        raise MigrationInputError(f"not holders of the old token: {', '.join(unknown)}")
    contract = {h.holder: h.contract for h in status.holders}
    todo, _ = to_move(contract, keep, move_contracts, contract.__getitem__)
    size = status.max_holders
    return [todo[i : i + size] for i in range(0, len(todo), size)][:max_calls]
