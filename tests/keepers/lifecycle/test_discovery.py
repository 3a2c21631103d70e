"""keepers.lifecycle.discovery without a chain: the instruments of a registry with their funds as
the console's funds page and the keepers find them over the read protocol; a registry entry that
points at a fund dealing in another instrument shows no fund (a view that tells the truth), a desk
brings its vaults, a probe that reverts is an answer (no servicer, not a desk), and the count is
bounded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from eth_utils import to_checksum_address

from keepers.core.reads import ReadFailure
from keepers.lifecycle import discovery

REGISTRY = to_checksum_address("0x" + "1" * 40)
VAULT = to_checksum_address("0x" + "a" * 40)
DESK = to_checksum_address("0x" + "d" * 40)
DESK_VAULTS = [to_checksum_address("0x" + "b" * 40), to_checksum_address("0x" + "c" * 40)]
# A fund of instrument 1, named by the registry for instrument 3.
OTHER_VAULT = to_checksum_address("0x" + "e" * 40)
SERVICER = to_checksum_address("0x" + "5" * 40)
# Instrument 4's desk, an issuer's own: it claims instrument 4 and lists instrument 2's vaults.
ROGUE_DESK = to_checksum_address("0x" + "4" * 40)
ZERO = "0x" + "0" * 40


def share(k: int) -> str:
    return to_checksum_address("0x" + f"{k:040x}")


def failure() -> ReadFailure:
    return ReadFailure("reverted")


class Chain:
    """Answers (abi, address, view, args) as a registry with three instruments would: 1 dealt by a
    vault, 2 by a desk of two vaults (and serviced), 3 naming instrument 1's vault."""

    def __init__(self, count: int = 3, rogue_vaults: list[str] | None = None):
        self.count = count
        self.rogue_vaults = rogue_vaults or []
        self.reads: list[int] = []

    def answer(self, abi, address, view, args):
        fund_of = {1: VAULT, 2: DESK, 3: OTHER_VAULT, 4: ROGUE_DESK}
        if (abi, view) == ("InstrumentRegistry", "instrumentCount"):
            return self.count if address == REGISTRY else failure()
        if (abi, view) == ("InstrumentRegistry", "termsOf"):
            return ("terms", share(args[0]))
        if (abi, view) == ("InstrumentRegistry", "stateOf"):
            return (0, 0, 0, fund_of.get(args[0], ZERO))
        if view == "vaults":
            if address == ROGUE_DESK:
                return self.rogue_vaults
            return DESK_VAULTS if address == DESK else failure()
        if view == "navSource":
            if address in DESK_VAULTS:  # a desk's vault deals in its desk's instrument
                return (DESK, 2)
            if address in self.rogue_vaults:  # another issuer's vault: its own desk
                return (DESK, 2)
            if address == ROGUE_DESK:
                return (REGISTRY, 4)
            dealt = {VAULT: 1, DESK: 2, OTHER_VAULT: 1}.get(address)
            return failure() if dealt is None else (REGISTRY, dealt)
        if view == "servicer":
            return {share(1): ZERO, share(2): SERVICER}.get(address, failure())
        raise AssertionError((abi, address, view, args))

    def views(self, calls, block="latest", blocks=None, allow_failure=False):
        self.reads.append(len(calls))
        results = [self.answer(c.abi, c.address, view, args) for c, view, args in calls]
        if not allow_failure and any(isinstance(r, ReadFailure) for r in results):
            raise AssertionError("a failure where none is allowed")
        return results


def contract_at(abi: str, address: str):
    return SimpleNamespace(abi=abi, address=address)


@pytest.fixture(autouse=True)
def terms_by_share(monkeypatch):
    """Terms decoded to what discovery reads of them (the share token)."""
    decoded = SimpleNamespace(from_chain=lambda value: SimpleNamespace(share_token=value[1]))
    monkeypatch.setattr(discovery, "InstrumentTerms", decoded)


def test_discover__vault_desk_and_a_misnamed_fund__each_as_the_chain_holds_it():
    chain = Chain()
    parts = discovery.discover_instruments(chain, contract_at, [REGISTRY], max_instruments=10)
    by_id = {p.id: p for p in parts}
    assert [p.id for p in parts] == [1, 2, 3]
    assert (by_id[1].fund, by_id[1].desk, by_id[1].vaults) == (VAULT, None, [VAULT])
    assert by_id[1].servicer is None  # the zero address: no servicer
    assert (by_id[2].fund, by_id[2].desk, by_id[2].vaults) == (DESK, DESK, DESK_VAULTS)
    assert by_id[2].servicer == SERVICER
    # The registry names, for instrument 3, a vault whose NAV source is instrument 1: no fund.
    assert (by_id[3].fund, by_id[3].desk, by_id[3].vaults) == (None, None, [])
    assert by_id[3].servicer is None  # a share without `servicer()`: the probe's revert
    # The count, the terms and states, the probes, the desk's vaults' NAV sources: four reads.
    assert chain.reads == [1, 6, 9, 2]


def test_discover__more_instruments_than_the_bound__the_first_ones_only():
    chain = Chain(count=10_000)
    parts = discovery.discover_instruments(chain, contract_at, [REGISTRY], max_instruments=2)
    assert [p.id for p in parts] == [1, 2]
    assert chain.reads == [1, 4, 6, 2]  # count, terms and states, probes, the desk's vaults


def test_registries_behind__each_once_a_fund_without_nav_source_names_none():
    chain = Chain()
    funds = [VAULT, DESK, to_checksum_address("0x" + "9" * 40), OTHER_VAULT]
    assert discovery.registries_behind(chain, contract_at, funds) == [REGISTRY]


def test_registries_behind__a_desk_s_vault__the_desk_followed_to_its_registry():
    """The review's M-1 (findings/funds-discovery.md): the fee keeper records a desk fund under its
    first vault, whose NAV source is the desk: the desk is no registry (its instrumentCount
    reverts and failed the whole page); its own NAV source is."""
    chain = Chain()
    assert discovery.registries_behind(chain, contract_at, [DESK_VAULTS[0]]) == [REGISTRY]


def test_discover__a_registry_that_fails__loses_its_own_rows_only():
    """The review's L-1: one registry that reverts does not fail the others."""
    other = to_checksum_address("0x" + "2" * 40)  # answers nothing
    parts = discovery.discover_instruments(Chain(), contract_at, [other, REGISTRY], 10)
    assert [p.id for p in parts] == [1, 2, 3]


def test_discover__a_desk_listing_another_fund_s_vaults__shows_only_vaults_that_deal_with_it():
    """The review's M-2: a desk's vaults are taken only where each names the desk and the
    instrument as its NAV source (a desk listing another issuer's vault would have it shown, and
    struck, under its own instrument), and at most FundDesk.MAX_VAULTS of them."""
    chain = Chain(count=4, rogue_vaults=list(DESK_VAULTS))
    by_id = {p.id: p for p in discovery.discover_instruments(chain, contract_at, [REGISTRY], 10)}
    assert by_id[2].vaults == DESK_VAULTS  # the real desk keeps its vaults
    assert (by_id[4].fund, by_id[4].desk, by_id[4].vaults) == (None, None, [])
    many = [to_checksum_address("0x" + f"{k + 1:040x}") for k in range(10_000)]
    chain = Chain(count=4, rogue_vaults=many)
    by_id = {p.id: p for p in discovery.discover_instruments(chain, contract_at, [REGISTRY], 10)}
    assert (by_id[4].fund, by_id[4].vaults) == (None, [])
    assert max(chain.reads) <= 200  # no read over the listed thousands
