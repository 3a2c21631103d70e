"""Contracts behind a GovernedProxy (issue 34; which domains: docs/architecture.md "Upgrades"): the
implementation recorded as `<name>.implementation`, the proxy as `<name>` (what every other
contract, keeper and the console use). Its ProxyAdmin — owned by the deployment's UpgradeAuthority
— is the contract the proxy's constructor created (`admin_of`), not what the proxy's ERC-1967
admin slot says: an implementation can write that slot, never the proxy's immutable admin.

An upgrade is two UPGRADER calls on the UpgradeAuthority (IUpgradeAuthority): `propose`, which
announces it, then `upgrade` once the authority's immutable notice has run out; the GUARDIAN may
`veto` it in between. `upgrade_arguments` builds the arguments both take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eth_utils import is_address, keccak, to_canonical_address, to_checksum_address

from keepers.access.deploy import MANAGER, UPGRADE_AUTHORITY, _address
from keepers.core.code import delegate_of
from keepers.core.deploying import Deployment, implementation_name
from keepers.core.deployments import DeploymentError

#: ERC-1967's implementation slot: keccak256("eip1967.proxy.implementation") - 1.
IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC
#: ERC-1967's beacon slot: keccak256("eip1967.proxy.beacon") - 1.
BEACON_SLOT = 0xA3F0AD74E5423AEBFD80D3EF4346578335A9A72AEAEE59FF6CB3582B35133D50
#: An ERC-1167 minimal proxy's code up to its target (and ERC-7511's PUSH0 form).
CLONE_PREFIXES = (bytes.fromhex("363d3d373d3d3d363d73"), bytes.fromhex("365f5f375f5f365f73"))
PROXY = "GovernedProxy"


def deploy_governed(
    d: Deployment,
    name: str,
    contract_type: str,
    *args: Any,
    init: bytes | Callable[[Any], bytes] = b"",
    expect: Mapping[str, str] | None = None,
) -> Any:
    """`contract_type` built with `args` as the implementation, behind a GovernedProxy called with
    `init` at construction (when not empty: the proxy's own storage is what the implementation's
    constructor never wrote: a ManagedInit contract's `initialize`; a callable is given the
    implementation and returns that call's data). Returns the contract at the proxy's address. A
    rerun finds both. `expect`: getter -> address (or text: a share's name) the implementation must
    answer (what it is built on), checked before the proxy is sent: recorded code from an
    interrupted run, built on other contracts or terms, is refused (DeploymentError) rather than
    put behind the proxy."""
    refuse_unproxied_record(d, name)
    from ape import project

    implementation = d.deploy_contract(implementation_name(name), contract_type, *args)
    for getter, wanted in (expect or {}).items():
        found, want = str(getattr(implementation, getter)()), _address(wanted)
        if (found.lower() != want.lower()) if is_address(want) else (found != want):
            raise DeploymentError(
                f"{implementation_name(name)} at {implementation.address} answers {getter}() "
                f"{found}, not {want}: code recorded for other contracts or terms; remove it "
                "from the record to deploy anew"
            )
    data = init(implementation) if callable(init) else init
    authority = d.address(UPGRADE_AUTHORITY)
    # The proxy's address is only ever read as `contract_type` (never as GovernedProxy: ape keeps
    # one type per address, and receipts of calls to it decode by that type).
    proxy = project.get_contract(PROXY)
    d.deploy(name, lambda: d.sender.deploy(proxy, implementation.address, authority, data))
    return d.at(contract_type, name)


def refuse_unproxied_record(d: Deployment, name: str) -> None:
    """DeploymentError when the record names `name` (recorded, or pending from an interrupted run)
    but not its code (`<name>.implementation`, recorded or pending): a contract deployed before
    it ran behind a GovernedProxy. Deploying now would record new code beside a contract that runs
    its own (attacker's reads of the deploy routines). Call it before anything is sent."""
    code = implementation_name(name)
    if (d.has(name) or name in d.record.pending) and not (d.has(code) or code in d.record.pending):
        where = d.address(name) if d.has(name) else "(pending)"
        raise DeploymentError(
            f"{name} is recorded at {where} with no {code}: it was deployed before it ran behind "
            "a GovernedProxy; move what it holds to a new one (docs/architecture.md, Upgrades) "
            "or remove it from the record to deploy anew"
        )


def deploy_managed(
    d: Deployment,
    name: str,
    contract_type: str,
    *args: Any,
    expect: Mapping[str, str] | None = None,
) -> Any:
    """`deploy_governed` of an AuthorityInit contract (contracts/access/ManagedInit.sol): the
    proxy's constructor sets its authority, the deployment's AccessManager (`initialize`)."""
    authority = d.address(MANAGER)
    return deploy_governed(
        d,
        name,
        contract_type,
        *args,
        init=lambda code: code.initialize.encode_input(authority),
        expect=expect,
    )


def implementation_of(proxy: Any) -> str:
    """The implementation a proxy runs (its ERC-1967 slot, which the proxy itself reads)."""
    from ape import chain

    word = chain.provider.get_storage(_address(proxy), IMPLEMENTATION_SLOT)
    return to_checksum_address(bytes(word)[-20:])


def admin_of(proxy: Any) -> str:
    """A GovernedProxy's ProxyAdmin: the first contract its constructor created, at CREATE's
    address for (proxy, nonce 1) — keccak256(rlp([proxy, 1])), whose RLP is 0xd6 0x94, the 20
    bytes, 0x01. OpenZeppelin 5's proxy keeps that admin immutable and answers only it."""
    encoded = b"\xd6\x94" + to_canonical_address(_address(proxy)) + b"\x01"
    return to_checksum_address(keccak(encoded)[12:])


def forwarding(code: bytes, implementation_word: bytes, beacon_word: bytes) -> str | None:
    """Why code proposed as an implementation does not run itself, or None: no code; an EIP-7702
    delegated account, an ERC-1167 clone (either form), or a proxy by its ERC-1967 implementation
    or beacon slot (`*_word`: those slots of the proposed address), each with where it forwards.
    What this cannot see: code forwarding any other way (a hand-written proxy keeping its target
    elsewhere) — the announced code is to be read."""
    if not code:
        return "no code"
    if (delegate := delegate_of(code)) is not None:
        return f"an EIP-7702 delegated account (to {delegate})"
    for prefix in CLONE_PREFIXES:
        if code.startswith(prefix) and len(code) >= len(prefix) + 20:
            target = code[len(prefix) : len(prefix) + 20]
            return f"an ERC-1167 clone of {to_checksum_address(target)}"
    for word, kind in ((implementation_word, "implementation"), (beacon_word, "beacon")):
        if any(bytes(word)):
            return f"a proxy (its ERC-1967 {kind}: {to_checksum_address(bytes(word)[-20:])})"
    return None


def upgrade_arguments(proxy: Any, implementation: Any, data: bytes = b"") -> tuple:
    """`propose`'s and `upgrade`'s arguments moving `proxy` to `implementation` (then calling it
    with `data`): (proxy, implementation, data). The authority derives the ProxyAdmin itself
    (`adminOf`, the same address as `admin_of`)."""
    return (_address(proxy), _address(implementation), bytes(data))
