"""Where a deployment's instruments and funds are, read over the one read protocol
(keepers.core.reads) so that the console's funds page and a keeper find the same funds: every
instrument of each registry (its terms and state), the fund the registry names for it — a FundDesk
with its vaults, or a FundVault — and a note's BondServicer.

A fund is the instrument's only when its own `navSource()` names that registry and instrument (as
`funds.fund_of` checks for the keepers): a registry entry pointing at a contract that deals in
another instrument, or at no fund contract, shows no fund.

`contract_at(abi_name, address)` gives the transport's contract (the console's web3 contract, an
ape instance for a keeper). Bounded: `max_instruments` per registry; three reads per registry, in
batches of the protocol's size.

NOT checked here: that a registry is one the operator trusts (the caller picks the registries:
the deployment record's, and those behind the funds its keepers handle)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from keepers.core.reads import ReadFailure
from keepers.lifecycle.instruments import InstrumentTerms

ZERO = "0x" + "00" * 20
REGISTRY = "InstrumentRegistry"
ContractAt = Callable[[str, str], Any]


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
    """The registries that `funds` (vaults or desks) name as their NAV source, each once, in the
    order of `funds`; a fund that does not answer `navSource()` names none."""
    calls = [(contract_at("FundVault", fund), "navSource", ()) for fund in funds]
    found: list[str] = []
    for answer in reads.views(calls, allow_failure=True):
        if isinstance(answer, ReadFailure):
            continue
        registry = to_checksum_address(answer[0])
        if registry != to_checksum_address(ZERO) and registry not in found:
            found.append(registry)
    return found


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
        registry = contract_at(REGISTRY, address)
        (count,) = reads.views([(registry, "instrumentCount", ())], block)
        ids = range(1, min(int(count), max_instruments) + 1)
        read = reads.views(
            [(registry, view, (i,)) for i in ids for view in ("termsOf", "stateOf")], block
        )
        terms = [InstrumentTerms.from_chain(read[2 * k]) for k in range(len(ids))]
        states = [tuple(read[2 * k + 1]) for k in range(len(ids))]
        funds = [to_checksum_address(state[3]) for state in states]
        probes = reads.views(
            [
                call
                for fund, kept in zip(funds, terms, strict=True)
                for call in (
                    (contract_at("FundDesk", fund), "vaults", ()),
                    (contract_at("FundDesk", fund), "navSource", ()),
                    (contract_at("BondShareToken", kept.share_token), "servicer", ()),
                )
            ],
            block,
            allow_failure=True,
        )
        for k, instrument_id in enumerate(ids):
            vaults, source, servicer = probes[3 * k : 3 * k + 3]
            fund, desk, members = _fund(address, instrument_id, funds[k], vaults, source)
            parts.append(
                InstrumentParts(
                    address,
                    instrument_id,
                    terms[k],
                    states[k],
                    fund,
                    desk,
                    members,
                    _address_or_none(servicer),
                )
            )
    return parts


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
    if not vaults:  # a desk with no vault yet deals in nothing
        return None, None, []
    return fund, fund, [to_checksum_address(v) for v in vaults]


def _address_or_none(answer: Any) -> str | None:
    if isinstance(answer, ReadFailure) or to_checksum_address(answer) == to_checksum_address(ZERO):
        return None
    return to_checksum_address(answer)
