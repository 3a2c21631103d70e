"""A token migration as the chain shows it (UPG-10; interfaces/ITokenMigrator.sol): the one
reader of a migration (`read_migration`) over any reads protocol (keepers.core.reads) — the
operators' `ape run migrate_token status` through `keepers.compliance.migration.migration_status`,
and the console's governance page over its own web3 — and the OPERATOR's `migrate` calls for what
it shows (`migrate_batches`). Imports no ape: the console loads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from keepers.compliance.capabilities import AgentCapability
from keepers.core.code import delegate_of
from keepers.core.errors import QuanteraError
from keepers.core.reads import ReadFailure

#: What the migrator may do on each token (and nothing else).
OLD_TOKEN_CAPABILITIES = int(AgentCapability.BURN)
NEW_TOKEN_CAPABILITIES = int(AgentCapability.MINT | AgentCapability.FREEZE)


class MigrationInputError(QuanteraError):
    """A migration batch that cannot be prepared (the old token not paused, the migrator without
    its capabilities, a named contract that holds nothing); the message says which."""


#: A contract factory: (contract type, address) -> a contract the reads protocol takes.
ContractAt = Callable[[str, str], Any]


def runs_code(code: bytes) -> bool:
    """Whether an account with `code` runs code of its own (an EIP-7702 delegated wallet does
    not: its key holds the holding)."""
    code = bytes(code)
    return bool(code) and delegate_of(code) is None


#: The token classes whose balance changes call code of their own first (coupons or income settled
#: holder by holder on a burn), each told by a view only it answers. Their holdings migrate with
#: their servicer's and vault's fix (ITokenMigrator's warning), never by `migrate`'s batches
#: (helper-114 L2).
BALANCE_HOOKED_CLASSES = (("BondShareToken", "servicer"), ("IncomeShareToken", "incomeIndex"))


def balance_hooked_class(
    token_address: str,
    block: int | str,
    reads: Any,
    contract_at: ContractAt,
) -> str | None:
    """The class of BALANCE_HOOKED_CLASSES the token at `token_address` is, read from its answers
    at `block` through `reads` (a reads protocol: keepers.core.reads) and `contract_at`, or None
    for a security token whose balances move alone."""
    calls = [(contract_at(name, token_address), view, []) for name, view in BALANCE_HOOKED_CLASSES]
    answers = reads.views(calls, block=block, allow_failure=True)
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
    new_symbol: str = ""  # the new token's own symbol (its decimals are the old one's)
    # Wallets credited but not read (past `read_migration`'s `max_wallets`): what they hold is in
    # `unlisted`, so the migration does not read as done.
    wallets_unread: int = 0

    @property
    def unlisted(self) -> int:
        """The old token's supply the listed holdings do not account for (0 when every holder was
        found): holders credited before the first block read, or a log the provider cut short.
        Not 0, the migration is not done, whatever the list says (helper-114 M3)."""
        return self.old_supply - sum(h.amount for h in self.holders)


def read_migration(
    reads: Any,
    migrator: Any,
    contract_at: ContractAt,
    credited: Callable[[Any, int], list[str]],
    block: int,
    max_wallets: int | None = None,
) -> MigrationStatus:
    """The migration through `migrator` as the chain says at `block`, every figure at that one
    block, in JSON-RPC batches: its tokens' state and class, its capabilities and the wallets
    `credited(old_token, block)` lists that hold some of the old token there, each with its
    freezes and whether it runs code. The one reader of a migration: `reads` is a reads protocol
    (keepers.core.reads: ApeReads for the operators' script, the console's Web3Reads),
    `contract_at(type, address)` its contracts, `credited` its list of holders (the script's the
    Transfer log, the console's its event index).

    Bounded: no wallet is read once the old token's supply is 0 (nothing can be left), and at
    most `max_wallets` of them (the first credited; None: all): the rest are counted in
    `wallets_unread`, what they hold in `unlisted` (helper-117 L1: a page read every wallet ever
    credited, at every block)."""
    old_address, new_address, max_holders = reads.views(
        [(migrator, "OLD_TOKEN", []), (migrator, "NEW_TOKEN", []), (migrator, "MAX_HOLDERS", [])],
        block=block,
    )
    old = contract_at("SecurityToken", old_address)
    new = contract_at("SecurityToken", new_address)
    figures = reads.views(
        [
            (old, "symbol", []),
            (new, "symbol", []),
            (old, "decimals", []),
            (old, "paused", []),
            (old, "totalSupply", []),
            (new, "totalSupply", []),
            (old, "agentCapabilities", [migrator.address]),
            (new, "agentCapabilities", [migrator.address]),
        ],
        block=block,
    )
    symbol, new_symbol, decimals, paused, old_supply, new_supply, on_old, on_new = figures
    wallets = (
        list(dict.fromkeys(to_checksum_address(w) for w in credited(old, block)))
        if old_supply
        else []
    )
    unread = max(len(wallets) - max_wallets, 0) if max_wallets is not None else 0
    wallets = wallets[: len(wallets) - unread]
    per_wallet = ("balanceOf", "getFrozenTokens", "isFrozen")
    answers = reads.views([(old, v, [w]) for w in wallets for v in per_wallet], block=block)
    held = [
        (wallet, *answers[3 * k : 3 * k + 3])
        for k, wallet in enumerate(wallets)
        if answers[3 * k] > 0
    ]
    codes = reads.codes([wallet for wallet, *_ in held], block=block)
    rows = tuple(
        HolderRow(wallet, int(amount), int(frozen), bool(wallet_frozen), runs_code(code))
        for (wallet, amount, frozen, wallet_frozen), code in zip(held, codes, strict=True)
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
        balance_hooked=balance_hooked_class(old_address, block, reads, contract_at),
        new_symbol=str(new_symbol),
        wallets_unread=unread,
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
