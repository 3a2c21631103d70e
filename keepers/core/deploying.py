"""The context every domain's deploy steps run in: who sends, what is recorded, and how a step
deploys a contract so that a rerun never deploys it twice.

One way to build the system: `scripts/deploy.py` (any network, a record file), the contract test
fixtures and the benchmarks (a local chain, a record in memory) and the demo (through the deploy
script) all run the same steps of `keepers/<domain>/deploy.py` in a `Deployment`. The authority
(role grants, function wiring, acting under a role) is the access domain's (`keepers.access`).

A step reads the chain before it sends: what is recorded (with code on chain) is skipped, and a
deployment is recorded as pending, with the nonce its transaction uses, before it is sent, so a run
killed at any point completes on a rerun from the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keepers.core.artifacts import project_at
from keepers.core.deployments import DeploymentRecord, PendingDeployment, save

# A state-changing action a step takes once the deployment has decided it is needed:
# (what it does, in words for the operator; the call that does it).
Step = tuple[str, Callable[[], Any]]

ZERO_ADDRESS = "0x" + "00" * 20
#: A contract behind a GovernedProxy is recorded twice: its proxy under its name (what every other
#: contract, keeper and the console use) and its code under the name and this suffix.
IMPLEMENTATION = ".implementation"


def implementation_name(name: str) -> str:
    """The record name of the code behind the proxy recorded as `name`."""
    return name + IMPLEMENTATION


def is_implementation(name: str) -> bool:
    """Whether the record name `name` is a proxy's code (never the contract others use)."""
    return name.endswith(IMPLEMENTATION)


#: The longest ERC-20 name or symbol a contract behind a proxy keeps as an immutable of its code
#: (OpenZeppelin ShortStrings: a LendingPool's, a PortfolioVault's shares).
MAX_SHORT_STRING_BYTES = 31


def require_short_string(label: str, text: str, owner: str) -> None:
    """ValueError (one line, before anything is sent) when `text` is longer than a ShortString."""
    size = len(text.encode())
    if size > MAX_SHORT_STRING_BYTES:
        raise ValueError(
            f"{label} {text!r} is {size} bytes: at most {MAX_SHORT_STRING_BYTES} (an immutable "
            f"of the {owner}'s code); pass a shorter one"
        )


def build_name(contract_type: str, *labels: str) -> str:
    """The record name of a module deployed once per build (no state of its own: PoolLosses,
    FundInstant, TokenAdmin, IncomeShareLogic): `<contract_type>[.<label>...].<first 8 hex digits
    of the keccak of its init code>`, so a contract added after a new build gets that build's
    module, and a recorded module of another build (whose layout may differ) is never reused."""
    from ape import project
    from eth_utils import keccak

    code = project.get_contract(contract_type).contract_type.deployment_bytecode.bytecode
    return ".".join((contract_type, *labels, keccak(hexstr=code).hex()[:8]))


def _silent(_: str) -> None:
    return None


@dataclass
class Deployment:
    """A deployment in progress on the connected chain.

    `record` names every contract deployed so far; with a `path` it is saved after each deployment
    (the deploy script), without one it lives in memory (test fixtures, benchmarks). On a live
    network (`is_local` false) every state-changing action asks for confirmation unless
    `assume_yes`. `standing_roles` are the roles the sender is meant to keep: any other it holds
    was granted for the deployment and is renounced at its end
    (`keepers.access.renounce_temporary_roles`).
    """

    sender: Any
    record: DeploymentRecord
    path: Path | None = None
    is_local: bool = True
    assume_yes: bool = True
    echo: Callable[[str], None] = _silent
    standing_roles: frozenset[str] = frozenset({"ADMIN"})
    # Contract instances by record name, so a step's reads go to the same objects (no re-lookup).
    #: (record name, contract type) -> the contract instance: a proxy's address is read both as
    #: GovernedProxy (its deployment) and as the contract it runs.
    _contracts: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from keepers.core.ape_config import cache_network_config

        cache_network_config()  # ape's network settings once per content (FND-23)

    @classmethod
    def in_memory(
        cls, sender: Any, echo: Callable[[str], None] = _silent, **kwargs: Any
    ) -> Deployment:
        """A deployment on the connected local chain whose record is not saved (fixtures,
        benchmarks)."""
        from ape import chain

        return cls(
            sender=sender,
            record=DeploymentRecord(network="ethereum:local", chain_id=chain.chain_id),
            echo=echo,
            **kwargs,
        )

    def scoped(self, *names: str) -> Deployment:
        """A new in-memory deployment by the same sender whose record starts with `names` of this
        one's (a fixture building a second stack on the first one's authority and registry), each
        with its code when it runs behind a GovernedProxy (`<name>.implementation`: the record of a
        proxy is both, which the deploy routines check)."""
        child = Deployment(
            sender=self.sender,
            record=DeploymentRecord(network=self.record.network, chain_id=self.record.chain_id),
            is_local=self.is_local,
            assume_yes=self.assume_yes,
            echo=self.echo,
            standing_roles=self.standing_roles,
        )
        names = [
            *names,
            *(implementation_name(n) for n in names if self.has(implementation_name(n))),
        ]
        child.record.contracts.update({name: self.address(name) for name in names})
        return child

    # ------------------------------------------------------------------ the record

    def save(self) -> None:
        if self.path is not None:
            save(self.record, self.path)

    def has(self, name: str) -> bool:
        return name in self.record.contracts

    def address(self, name: str) -> str:
        """The recorded address of `name` (DeploymentError naming what is recorded if absent)."""
        return self.record.address_of(name)

    def at(self, contract_type: str, name: str | None = None) -> Any:
        """The project contract `contract_type` at the recorded address of `name` (default: the
        type's own name, or a record name whose first part is the type)."""

        name = name or contract_type
        # A record name alone (`SecurityToken.QTN28`) names its type first (the record's rule).
        contract_type = contract_type.split(".")[0]
        address = self.address(name)
        cached = self._contracts.get((name, contract_type))
        if cached is None or cached.address != address:
            cached = self._contracts[name, contract_type] = project_at(contract_type, address)
        return cached

    def confirm(self, action: str) -> None:
        """Asks the operator before a state-changing action on a live network, unless
        `assume_yes`."""
        if self.is_local or self.assume_yes:
            return
        import click

        click.confirm(f"{action} from {self.sender.address}?", abort=True)

    def settled(self, name: str) -> bool:
        """Whether `deploy(name, ...)` would send nothing: the record has `name` with code on
        chain, or names it pending with what its nonce created there to adopt. A routine passing a
        dispatcher its modules deploys them only when the dispatcher is not settled (a settled one
        keeps the modules it was built on, and a module deployed for it would serve nothing)."""
        from ape import chain

        existing = self.record.contracts.get(name)
        return bool(existing and chain.provider.get_code(existing)) or self._adoptable(name)

    def _adoptable(self, name: str) -> bool:
        """The pending `name`'s nonce has been used (the chain's count is past it) and there is
        code at the address it creates, which is then `name` — unless the record names that
        address already: a rerun (after a rebuild, say) deployed another contract at that nonce
        first, and `name` was never sent (the admin modules' attacker's read, L-1)."""
        from ape import chain

        pending = self.record.pending.get(name)
        taken = {str(address).lower() for address in self.record.contracts.values()}
        return bool(
            pending
            and chain.provider.get_nonce(self.sender.address) > pending.nonce
            and chain.provider.get_code(pending.address)
            and str(pending.address).lower() not in taken
        )

    def deploy(self, name: str, factory: Callable[[], Any]) -> str:
        """Deploys `name` with `factory` unless the record has it (with code on chain), and returns
        its address. The record names it as pending, with the nonce its transaction will use,
        before sending, and as deployed right after; a rerun after an interruption in between
        adopts what that nonce created, unless the record names it already (another contract of
        the rerun took the nonce: `name` is then deployed afresh). The caller has waited for the
        sender's transactions in flight (the deploy script's `await_in_flight`), so the nonce read
        here is final."""
        from ape import chain

        existing = self.record.contracts.get(name)
        if existing and chain.provider.get_code(existing):
            self.echo(f"  = {name} already at {existing}")
            return existing
        adopt = self._adoptable(name)
        pending = self.record.pending.pop(name, None)
        if adopt:
            self.record.contracts[name] = pending.address
            self.save()
            self.echo(f"  = {name} found at {pending.address} (deployed by an interrupted run)")
            return pending.address
        self.confirm(f"Deploy {name}")
        nonce = chain.provider.get_nonce(self.sender.address)
        # at or before the first deployment: keepers read logs from it
        if self.record.block is None:
            self.record.block = chain.blocks.head.number
        self.record.pending[name] = PendingDeployment(
            nonce, self.sender.get_deployment_address(nonce)
        )
        self.save()
        try:
            contract = factory()
        except Exception:
            # Refused before anything was sent (the node's estimate of a reverting constructor):
            # the nonce is still free, so the pending entry would name whatever a later deploy
            # puts there, and a rerun would adopt it as `name` (round 13 R3). With a transaction
            # of that nonce in flight or mined, the entry stays (a rerun adopts what it created).
            if self._sent_count() == nonce:
                del self.record.pending[name]
                self.save()
            raise
        del self.record.pending[name]
        self.record.contracts[name] = contract.address
        self.save()
        self.echo(f"  + {name} deployed at {contract.address}")
        return contract.address

    def _sent_count(self) -> int:
        """The sender's transaction count, those in the node's pool included."""
        from ape import chain

        return chain.provider.web3.eth.get_transaction_count(self.sender.address, "pending")

    def deploy_contract(self, name: str, contract_type: str, *args: Any) -> Any:
        """`deploy` of the project contract `contract_type` with constructor `args`, as a contract
        instance (recorded under `name`)."""
        from ape import project

        container = getattr(project, contract_type)
        self.deploy(name, lambda: self.sender.deploy(container, *args))
        return self.at(contract_type, name)

    def run(self, steps: list[Step]) -> None:
        """Sends each step as the sender, confirming each on a live network."""
        for description, send in steps:
            self.confirm(description[:1].upper() + description[1:])
            send()
            self.echo(f"  + {description}")

    # ------------------------------------------------------------------ local chains

    def signer(self, address: str) -> Any:
        """The local test account of `address` (a market maker's own approvals on a local chain)."""
        from ape import accounts

        for account in accounts.test_accounts:
            if account.address.lower() == str(address).lower():
                return account
        raise LookupError(f"{address} is not a local test account")
