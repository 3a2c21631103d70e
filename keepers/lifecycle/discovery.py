"""Where a deployment's instruments and funds are, read over the one read protocol
(keepers.core.reads) so that the console's funds page and a keeper find the same funds: every
instrument of each registry (its terms and state), the fund the registry names for it — a FundDesk
with its vaults, or a FundVault — and a note's BondServicer.

A fund is the instrument's only when its own `navSource()` names that registry and instrument: a
registry entry pointing at a contract that deals in another instrument, or at no fund contract,
shows no fund. The keepers' funds (`funds.discover_funds`, `funds.fund_of`) are this discovery
over ape's provider: one rule for the console and the keepers.

`contract_at(abi_name, address)` gives the transport's contract (the console's web3 contract, an
ape instance for a keeper). Bounded: `max_instruments` per registry, MAX_VAULTS per desk; four
reads per registry (more where a probe reverts: its batch is read again call by call). A registry
that does not answer, or an instrument whose terms do not read, loses its own rows only.

NOT checked here: that a registry is one the operator trusts (the caller picks the registries:
the deployment record's, and those behind the funds its keepers handle)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from keepers.core.deploying import is_implementation
from keepers.core.reads import ReadFailure
from keepers.lifecycle.instruments import InstrumentTerms

ZERO = "0x" + "00" * 20
REGISTRY = "InstrumentRegistry"
MAX_VAULTS = 16  # FundDesk.MAX_VAULTS: a desk listing more is no desk of ours
#: The instruments of a registry an operator is shown, at most.
MAX_INSTRUMENTS = 100
#: The funds named in the keeper store whose registries an operator is shown, at most.
MAX_STORE_FUNDS = 50
#: Instruments and funds are looked for again every this many blocks (terms are fixed once an
#: instrument is active; an issuer may name a new fund without registering an instrument).
DISCOVERY_BLOCKS = 50
ContractAt = Callable[[str, str], Any]


def recorded_registries(contracts: Mapping[str, str]) -> list[str]:
    """The instrument registries a deployment record names (`InstrumentRegistry`,
    `InstrumentRegistry.<label>`), by name; never a proxy's code (`<name>.implementation`: no
    registry anyone uses, and its empty storage)."""
    return [
        address
        for name, address in sorted(contracts.items())
        if name.split(".")[0] == REGISTRY and not is_implementation(name)
    ]


@dataclass(frozen=True)
class InstrumentParts:
    """An instrument of a registry with its fund's contracts (None / empty when it has none)."""

    registry: str
    id: int
    terms: InstrumentTerms
    state: tuple
    fund: str | None
    desk: str | None
    vaults: list[str]
    servicer: str | None


def registries_behind(reads: Any, contract_at: ContractAt, funds: Sequence[str]) -> list[str]:
    """The registries that `funds` (vaults or desks) deal in, each once, in the order of `funds`:
    a fund's NAV source when it is a registry (it answers `instrumentCount()`), or, when it is a
    desk (a desk's vault, as the fee keeper records a desk fund), the desk's own NAV source. A
    fund that does not answer `navSource()` names none."""
    sources: list[str] = []
    for answer in reads.views(
        [(contract_at("FundVault", fund), "navSource", ()) for fund in funds], allow_failure=True
    ):
        if not isinstance(answer, ReadFailure) and _nonzero(answer[0]):
            source = to_checksum_address(answer[0])
            sources += [] if source in sources else [source]
    probes = reads.views(
        [
            call
            for source in sources
            for call in (
                (contract_at(REGISTRY, source), "instrumentCount", ()),
                (contract_at("FundDesk", source), "navSource", ()),
            )
        ],
        allow_failure=True,
    )
    found: list[str] = []
    for k, source in enumerate(sources):
        count, desk_source = probes[2 * k : 2 * k + 2]
        if not isinstance(count, ReadFailure):
            registry = source
        elif not isinstance(desk_source, ReadFailure) and _nonzero(desk_source[0]):
            registry = to_checksum_address(desk_source[0])  # one step: a desk's registry
        else:
            continue
        found += [] if registry in found else [registry]
    return found


#: The registries an operator is shown, at most (the record's and those behind its keepers' funds).
MAX_REGISTRIES = 8


def known_registries(
    reads: Any, contract_at: ContractAt, recorded: Sequence[str], kept_funds: Sequence[str]
) -> list[str]:
    """The registries a deployment's operators see, for the console and `quantera` alike: the
    deployment record's (`recorded`), then those behind the funds its keepers handled
    (`kept_funds`, from the keeper store: a fund the demo or an issuer built beside the record),
    each once, at most MAX_REGISTRIES."""
    found = list(dict.fromkeys(to_checksum_address(r) for r in recorded))
    found += [r for r in registries_behind(reads, contract_at, kept_funds) if r not in found]
    return found[:MAX_REGISTRIES]


def deployment_instruments(
    reads: Any,
    contract_at: ContractAt,
    recorded: Sequence[str],
    kept_funds: Sequence[str],
    block: int | str = "latest",
) -> list[InstrumentParts]:
    """Every instrument an operator of a deployment sees, with its fund: those of the registries
    `known_registries` finds (the record's, then those behind the keepers' funds), at most
    MAX_INSTRUMENTS each (the console's funds page and `quantera` alike)."""
    registries = known_registries(reads, contract_at, recorded, kept_funds)
    return discover_instruments(reads, contract_at, registries, MAX_INSTRUMENTS, block)


def discover_instruments(
    reads: Any,
    contract_at: ContractAt,
    registries: Sequence[str],
    max_instruments: int,
    block: int | str = "latest",
) -> list[InstrumentParts]:
    """Every instrument (1 .. min(instrumentCount, max_instruments)) of each registry, with its
    fund's contracts, as of `block`."""
    parts: list[InstrumentParts] = []
    for address in registries:
        parts += _registry_parts(reads, contract_at, address, max_instruments, block)
    return parts


def _registry_parts(
    reads: Any, contract_at: ContractAt, address: str, max_instruments: int, block: int | str
) -> list[InstrumentParts]:
    """One registry's instruments; a registry that does not answer, or an instrument whose terms
    or state do not read, loses its own rows only."""
    registry = contract_at(REGISTRY, address)
    (count,) = reads.views([(registry, "instrumentCount", ())], block, allow_failure=True)
    if isinstance(count, ReadFailure):
        return []
    ids = range(1, min(int(count), max_instruments) + 1)
    read = reads.views(
        [(registry, view, (i,)) for i in ids for view in ("termsOf", "stateOf")],
        block,
        allow_failure=True,
    )
    listed = []
    for k, instrument_id in enumerate(ids):
        terms = _terms(read[2 * k])
        if terms is not None and not isinstance(read[2 * k + 1], ReadFailure):
            listed.append((instrument_id, terms, tuple(read[2 * k + 1])))
    funds = [to_checksum_address(state[3]) for _, _, state in listed]
    probes = reads.views(
        [
            call
            for fund, (_, terms, _) in zip(funds, listed, strict=True)
            for call in (
                (contract_at("FundDesk", fund), "vaults", ()),
                (contract_at("FundDesk", fund), "navSource", ()),
                (contract_at("BondShareToken", terms.share_token), "servicer", ()),
            )
        ],
        block,
        allow_failure=True,
    )
    claims = [
        _fund(address, instrument_id, funds[k], *probes[3 * k : 3 * k + 2])
        for k, (instrument_id, _, _) in enumerate(listed)
    ]
    members = _desk_vaults(reads, contract_at, claims, [i for i, _, _ in listed], block)
    return [
        InstrumentParts(
            address,
            instrument_id,
            terms,
            state,
            fund if vaults else None,
            desk if vaults else None,
            vaults,
            _address_or_none(probes[3 * k + 2]),
        )
        for k, ((instrument_id, terms, state), (fund, desk, _), vaults) in enumerate(
            zip(listed, claims, members, strict=True)
        )
    ]


def _terms(answer: Any) -> InstrumentTerms | None:
    if isinstance(answer, ReadFailure):
        return None
    try:
        return InstrumentTerms.from_chain(answer)
    except Exception:  # noqa: BLE001 - terms that do not decode are no instrument to show
        return None


def _desk_vaults(
    reads: Any,
    contract_at: ContractAt,
    claims: list[tuple[str | None, str | None, list[str]]],
    ids: list[int],
    block: int | str,
) -> list[list[str]]:
    """Each claim's vaults: a desk's only where the vault's own NAV source names the desk and the
    instrument (a desk may list any address), in one read for every desk."""
    calls = [
        (contract_at("FundVault", vault), "navSource", ())
        for _, desk, vaults in claims
        if desk is not None
        for vault in vaults
    ]
    answers = iter(reads.views(calls, block, allow_failure=True) if calls else [])
    members = []
    for (_, desk, vaults), instrument_id in zip(claims, ids, strict=True):
        if desk is None:
            members.append(vaults)
            continue
        members.append(
            [
                vault
                for vault, source in zip(vaults, [next(answers) for _ in vaults], strict=True)
                if not isinstance(source, ReadFailure)
                and to_checksum_address(source[0]) == desk
                and int(source[1]) == instrument_id
            ]
        )
    return members


def _fund(
    registry: str, instrument_id: int, fund: str, vaults: Any, source: Any
) -> tuple[str | None, str | None, list[str]]:
    """(fund, desk, vaults) of the registry's entry: a desk answers `vaults()` (at least one), a
    vault does not; either must name (registry, instrument) as its NAV source."""
    if fund == to_checksum_address(ZERO) or isinstance(source, ReadFailure):
        return None, None, []
    if to_checksum_address(source[0]) != to_checksum_address(registry):
        return None, None, []
    if int(source[1]) != instrument_id:
        return None, None, []
    if isinstance(vaults, ReadFailure):
        return fund, None, [fund]
    if not vaults or len(vaults) > MAX_VAULTS:  # a desk with no vault yet deals in nothing
        return None, None, []
    return fund, fund, [to_checksum_address(v) for v in vaults]


def _nonzero(address: Any) -> bool:
    return to_checksum_address(address) != to_checksum_address(ZERO)


def _address_or_none(answer: Any) -> str | None:
    if isinstance(answer, ReadFailure) or to_checksum_address(answer) == to_checksum_address(ZERO):
        return None
    return to_checksum_address(answer)
