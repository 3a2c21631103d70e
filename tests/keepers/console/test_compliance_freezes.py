"""CON-92's hardening (helper-90's attacker read of the fund share tokens' freezes on the compliance
page): a fund's share token is a contract its issuer chose, so what it answers, how many freeze
events it emits and what its registry calls it must neither take the page down, nor cost
unbounded reads, nor hide the record's own freezes, nor pass for another token. The chain is
replaced by the page's one read (`batch_call`), answering per (token, view, wallet)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from keepers.console.actions import ActionInputError
from keepers.console.calls import CallFailure
from keepers.console.index import ChainEvent
from keepers.console.pages import compliance, funds
from keepers.console.source import ConsoleError

RECORD_TOKEN = "0x" + "11" * 20
FUND_TOKEN = "0x" + "22" * 20
OTHER_FUND_TOKEN = "0x" + "33" * 20
FREEZE_ABI = [{"type": "function", "name": n} for n in compliance.FREEZE_VIEWS]


def _source() -> Any:
    """A deployment whose record holds one token with freezes (SecurityToken)."""
    from eth_utils import to_checksum_address

    record = SimpleNamespace(contracts={"SecurityToken": RECORD_TOKEN}, block=0)
    abis = {"SecurityToken": FREEZE_ABI, "IncomeShareToken": FREEZE_ABI}
    return SimpleNamespace(
        record=record,
        abis=abis,
        has=lambda name: name in record.contracts,
        address=lambda name: to_checksum_address(record.contracts[name]),
        contract=lambda abi, address=None: SimpleNamespace(
            abi=abi, address=to_checksum_address(address or record.contracts[abi])
        ),
        w3=SimpleNamespace(eth=SimpleNamespace(block_number=1_000)),
    )


def _instrument(token: str, isin: str = "US00QMMF0086") -> dict[str, Any]:
    return {"terms": SimpleNamespace(share_token=token, isin=isin)}


class _Chain:
    """`batch_call`'s stand-in: frozen wallets per token, tokens that fail, reads counted."""

    def __init__(self, frozen: dict[str, set[str]], failing: set[str] = frozenset()):
        from eth_utils import to_checksum_address

        self.frozen = {to_checksum_address(t): w for t, w in frozen.items()}
        self.failing = {to_checksum_address(t) for t in failing}
        self.partial: dict[tuple[str, str], int] = {}
        self.reads = 0

    def __call__(self, source, calls, block="latest", allow_failure=False, limit=None):
        answers = []
        for contract, view, args in calls:
            self.reads += 1
            if contract.address in self.failing:
                if not allow_failure:
                    raise ConsoleError(f"{view} reverted")
                answers.append(CallFailure(f"{view} reverted"))
            elif view == "isFrozen":
                answers.append(args[0] in self.frozen.get(contract.address, set()))
            elif view == "getFrozenTokens":
                answers.append(self.partial.get((contract.address, args[0]), 0))
            else:
                answers.append(18)
        return answers


def _events(token: str, wallets: list[str], first_block: int) -> list[ChainEvent]:
    return [
        ChainEvent(
            block_number=first_block + k,
            log_index=0,
            block_time=0,
            tx_hash="0x" + "ee" * 32,
            contract="x",
            address=token,
            event="AddressFrozen",
            args={"userAddress": wallet, "isFrozen": True, "owner": "0x" + "99" * 20},
        )
        for k, wallet in enumerate(wallets)
    ]


class _Index:
    def __init__(self, events: list[ChainEvent]):
        self._events = events

    def events(self, names, until_block):
        return [e for e in self._events if e.event in names and e.block_number <= until_block]


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setattr(compliance, "_symbol", lambda source, address: "QMMF")
    monkeypatch.setattr(compliance, "_token_amount", lambda source, address, amount: str(amount))
    return _source()


def _wallets(n: int, offset: int = 0) -> list[str]:
    from eth_utils import to_checksum_address

    return [to_checksum_address(f"0x{k + offset:040x}") for k in range(1, n + 1)]


def test_f1__discovery_or_a_share_token_that_fails__the_record_s_freezes_still_shown(
    page, monkeypatch
):
    """F1: a discovered registry whose reads revert, or a share token whose `isFrozen` reverts,
    failed the whole page (and the record token's unfreeze). Now the discovery's failure is said
    and the record's tokens remain; a failing share token is counted as unread."""

    def broken(source, head):
        raise ConsoleError("stateOf reverted")

    monkeypatch.setattr(funds, "discovered", broken)
    found = compliance.fund_discovery(page, 100)
    assert found.instruments == [] and "stateOf reverted" in found.error
    assert set(compliance.freezable_tokens(page, found.instruments)) == {"SecurityToken"}

    [record_wallet] = _wallets(1)
    fund_wallets = _wallets(3, offset=100)
    chain = _Chain({RECORD_TOKEN: {record_wallet}}, failing={FUND_TOKEN})
    monkeypatch.setattr(compliance, "batch_call", chain)
    tokens = compliance.freezable_tokens(page, [_instrument(FUND_TOKEN)])
    index = _Index(
        _events(RECORD_TOKEN, [record_wallet], 10) + _events(FUND_TOKEN, fund_wallets, 11)
    )
    shown = compliance.token_freezes(page, [index], 1_000, tokens)
    assert [(r["token"], r["wallet"]) for r in shown["rows"]] == [("SecurityToken", record_wallet)]
    assert shown["unread"] == 3


def test_f1_f7__the_record_token_s_unfreeze_needs_no_discovery__a_silent_token_refused_in_a_line(
    page, monkeypatch
):
    """F1: "Lift a token's freeze" of the record's SecurityToken ran the funds' discovery and
    failed with it. F7: a share token that does not answer was a 500; now a refusal naming it."""
    monkeypatch.setattr(funds, "discovered", lambda source, head: pytest.fail("discovery run"))
    [wallet] = _wallets(1)
    monkeypatch.setattr(compliance, "batch_call", _Chain({RECORD_TOKEN: {wallet}}))
    form = {"wallet": wallet, "token": "SecurityToken", "what": "wallet freeze", "amount": "all"}
    [call] = compliance._token_unfreeze(page, form)
    assert (call.contract, call.function, call.address) == (
        "SecurityToken",
        "setAddressFrozen",
        None,
    )

    monkeypatch.setattr(funds, "discovered", lambda source, head: [_instrument(FUND_TOKEN)])
    monkeypatch.setattr(compliance, "batch_call", _Chain({}, failing={FUND_TOKEN}))
    with pytest.raises(ActionInputError, match="did not answer isFrozen"):
        compliance._token_unfreeze(page, {**form, "token": FUND_TOKEN})


def test_f2_f3__a_share_token_s_flood__bounded_reads__the_record_s_freeze_still_shown(
    page, monkeypatch
):
    """F2: every (token, wallet) pair a freeze event ever named was read on every page read: a
    share token emitting 5,000 freeze events cost 10,000 calls. F3: one cut of 200 rows over all
    tokens let 201 share-token freezes push the record's freezes off the table. Now a share
    token's newest MAX_FUND_TOKEN_PAIRS pairs are read (the rest counted as unread) and each
    token's rows are cut on their own."""
    [record_wallet] = _wallets(1)
    flood = _wallets(5_000, offset=1_000)
    chain = _Chain({RECORD_TOKEN: {record_wallet}, FUND_TOKEN: set(flood)})
    monkeypatch.setattr(compliance, "batch_call", chain)
    tokens = compliance.freezable_tokens(page, [_instrument(FUND_TOKEN)])
    index = _Index(_events(RECORD_TOKEN, [record_wallet], 10) + _events(FUND_TOKEN, flood, 11))
    shown = compliance.token_freezes(page, [index], 10_000, tokens)
    assert chain.reads == 2 * (compliance.MAX_FUND_TOKEN_PAIRS + 1)
    assert shown["unread"] == 5_000 - compliance.MAX_FUND_TOKEN_PAIRS
    assert ("SecurityToken", record_wallet) in [(r["token"], r["wallet"]) for r in shown["rows"]]
    # The newest of the flood are the ones read and shown, newest first.
    fund_rows = [r["wallet"] for r in shown["rows"] if r["token"] != "SecurityToken"]
    assert fund_rows == flood[::-1][: compliance.MAX_FUND_TOKEN_PAIRS]


def test_f4__two_share_tokens_with_one_symbol_and_isin__told_apart_by_address(page):
    """F4: two registries may list different share tokens with the same symbol and ISIN (a kept
    fund's registry validates none): the labels were identical. Now each label carries its
    token's address, and an ISIN that is not one is not shown as one."""
    tokens = compliance.freezable_tokens(
        page,
        [
            _instrument(FUND_TOKEN),
            _instrument(OTHER_FUND_TOKEN),
            _instrument("0x" + "44" * 20, isin="US\x1b[2JHACK"),
        ],
    )
    labels = [t.label for t in tokens.values() if not t.recorded]
    assert len(set(labels)) == 3
    from eth_utils import to_checksum_address

    for token in (FUND_TOKEN, OTHER_FUND_TOKEN):
        assert to_checksum_address(token) in tokens[to_checksum_address(token)].label
    assert "\x1b" not in labels[2] and "no valid ISIN" in labels[2]


def test_f6__who_may_lift_a_token_s_freeze_names_the_token_s_own_authority(page):
    """F6: the line said GOVERNOR grants capabilities, wrong for a fund stack's own manager."""
    [line] = compliance.TOKEN_UNFREEZE.who(page)
    assert "authority()" in line and "a fund stack's own manager" in line


def test_f8__a_page_a_block_behind_an_action__no_second_discovery(monkeypatch):
    """F8: an action's latest block recorded as the discovery's head made the next page read (its
    index head a block behind) discover everything again."""
    calls: list[int] = []
    state: dict = {}  # the page's kept state, this test's own (not the console's global one)
    monkeypatch.setattr(funds, "kept", lambda source, name, make: state.setdefault(name, make()))
    monkeypatch.setattr(funds, "_instruments", lambda source: calls.append(1) or [])
    monkeypatch.setattr(funds, "batch_call", lambda source, calls, **kw: [])  # states: none
    source = SimpleNamespace()
    funds.discovered(source, 200)
    funds.discovered(source, 199)
    funds.discovered(source, 230)
    assert len(calls) == 1
    funds.discovered(source, 250)  # DISCOVERY_BLOCKS later: read again
    funds.discovered(source, 100)  # a chain whose head fell by as much: read again
    assert len(calls) == 3


def test_record_token__every_pair_read__its_newest_rows_cut_and_counted__parts_in_units(
    page, monkeypatch
):
    """A record token's pairs are all read (its freezes are the deployment's agents'), its newest
    MAX_FROZEN_SHOWN rows shown and the rest counted in `more`; a frozen part is a row of its own,
    beside the wallet freeze of the same wallet."""
    from eth_utils import to_checksum_address

    wallets = _wallets(compliance.MAX_FROZEN_SHOWN + 5)
    chain = _Chain({RECORD_TOKEN: set(wallets)})
    chain.partial[(to_checksum_address(RECORD_TOKEN), wallets[-1])] = 7
    monkeypatch.setattr(compliance, "batch_call", chain)
    tokens = compliance.freezable_tokens(page, [])
    shown = compliance.token_freezes(
        page, [_Index(_events(RECORD_TOKEN, wallets, 10))], 10**6, tokens
    )
    assert chain.reads == 2 * len(wallets)
    assert len(shown["rows"]) == compliance.MAX_FROZEN_SHOWN
    assert shown["more"] == len(wallets) + 1 - compliance.MAX_FROZEN_SHOWN and shown["unread"] == 0
    newest = [r for r in shown["rows"] if r["wallet"] == wallets[-1]]
    assert {(r["kind"], r["amount"]) for r in newest} == {("token", None), ("partial", 7)}


def test_unfreeze_by_address__discovery_failed__the_refusal_says_why(page, monkeypatch):
    """helper-92: with the funds' discovery failing, a share token given by address was refused
    as "not a token with freezes"; the refusal now says what could not be read."""

    def broken(source, head):
        raise ConsoleError("stateOf reverted")

    monkeypatch.setattr(funds, "discovered", broken)
    [wallet] = _wallets(1)
    form = {"wallet": wallet, "token": FUND_TOKEN, "what": "wallet freeze", "amount": "all"}
    with pytest.raises(ActionInputError, match="could not be read: stateOf reverted"):
        compliance._token_unfreeze(page, form)
