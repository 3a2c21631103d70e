"""The margin keeper and an account whose only asset is a matured note's redemption claim (the
red team's L1 and K1, atk-prime3): the claim has no balance (`balanceOf` 0) and the keeper's model
does not see it, but the broker settles it and values it; before SEC-192 it refused a write-off
beside it when the note's feed was stale, and since SEC-190 a write-off assigns the debt to it.
keepers/prime/keeper.py's `_settle_income` and `_terms` decide; the chain is stubbed as in
test_margin_sales.py (the book's reads, the broker's `claimIncome`, the preview the broker serves)
and the broker's refusal is the one it gave on the real stack
(`tests/contracts/prime/test_prime_broker_red_team_3.py`'s `matured` book, the note's feed stale:
`WriteOffUnpriced(account, note)`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ape.exceptions import ContractLogicError

from keepers.prime import keeper as keeper_module
from keepers.prime import model
from keepers.prime.keeper import Head, MarginKeeper
from keepers.prime.margin import Health, Mark, Tier

USDC, LUSDC, NOTE = ("0x" + c * 40 for c in "125")
ACCOUNT = "0x" + "c1" * 20
USD = 10**18
TIER = Tier(15_000, 12_500, 11_000, 5_000, 500, 86_400)
COUPONS = 1  # IPrimeBroker's IncomeKind.Coupons


def claim_only_book(note_price18):
    """The red team's B2/B4 account after its cash was seized: 33,750 USDC owed, no balance at
    all; its 600 notes retired into a claim on their redemption (not a balance)."""
    return {
        USDC: model.Holding(0, 33_750 * 10**6, USD, 6, 0),
        LUSDC: model.Holding(0, 0, USD, 6, 0),
        NOTE: model.Holding(0, 0, note_price18, 18, 2_000),
    }


def keeper_over(holdings, owed=None, refusal=None):
    """A MarginKeeper whose chain is stubbed: the book answers from `holdings`, `incomeOwed` from
    `owed` (asset -> units), the broker's preview reverts with `refusal` (None: it accepts).
    Returns (keeper, sent): `sent` lists the `claimIncome` calls (account, asset)."""
    sent: list[tuple[str, str]] = []

    def preview(account, debt, repay, collateral):
        if refusal is not None:
            raise ContractLogicError(refusal)
        return (0, 0, 0, 0)

    keeper = MarginKeeper.__new__(MarginKeeper)
    keeper.take, keeper.signer = False, SimpleNamespace(address="0x" + "ee" * 20)
    keeper.book = SimpleNamespace(
        holdings=lambda account: holdings,
        income_kind=lambda asset: COUPONS if asset == NOTE else 0,
        margin=SimpleNamespace(
            previewLiquidation=preview,
            incomeOwed=lambda account, asset: (owed or {}).get(asset, 0),
        ),
    )
    keeper.broker = SimpleNamespace(
        address="0x" + "bb" * 20,
        claimIncome=lambda account, asset, **kw: sent.append((account, asset)),
    )
    return keeper, sent


@pytest.fixture(autouse=True)
def no_chain_nonce(monkeypatch):
    monkeypatch.setattr(keeper_module, "next_nonce", lambda signer: 0)


def test_sec_168__claim_only_account__a_top_up_owed__keeper_settles_it():
    """L1 (a): the keeper settled only assets with a balance, so the cash an issuer's late top-up
    owes a claim-only account (`incomeOwed` > 0) was never credited and never liquidated: the
    lenders' recovery waited for someone's `claimIncome` by hand. Now the keeper settles every
    income-bearing asset the account holds or is owed income on, as the broker's own
    liquidation does (the claim's bit is a held asset)."""
    keeper, sent = keeper_over(claim_only_book(40 * USD), owed={NOTE: 9_000 * 10**6})
    assert keeper._settle_income(ACCOUNT) == 1
    assert sent == [(ACCOUNT, NOTE)]
    # Nothing owed and nothing held: nothing sent.
    idle, sent = keeper_over(claim_only_book(40 * USD))
    assert idle._settle_income(ACCOUNT) == 0 and sent == []


def test_sec_169__claim_only_account__note_feed_stale__no_write_off_proposed__one_line_why():
    """K1: the claim-only account's note feed stops after maturity. The keeper reads balance 0 and
    price 0 (its model sees no claim) and proposed the write-off the broker refuses
    (`WriteOffUnpriced`: the claim's value is not known to be dust), again every
    RETRY_AFTER_BLOCKS. Now it previews a write-off before proposing it and says in one line why
    there is none."""
    holdings = claim_only_book(0)
    refusal = f"WriteOffUnpriced(account={ACCOUNT}, asset={NOTE})"
    keeper, _ = keeper_over(holdings, refusal=refusal)
    health = Health(0, 0, 33_750 * USD, 33_750 * USD, 0, 0, 0, True)
    terms = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert terms == f"no write-off: the broker refuses it ({refusal})"
    # The broker accepts it (the claim is dust): proposed, nothing repaid.
    accepted, _ = keeper_over(holdings)
    choice, method, route = accepted._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1))
    assert (choice.repaid, choice.write_off, method, route) == (0, True, "take", b"")


def test_sec_196__assigned_debt__nothing_to_seize_one_line_why__then_recovered_from_the_cash():
    """SEC-190 in the keeper: the account's 33,750 USDC were written off beside its claim and
    assigned to it (`Holding.assigned`). With nothing to seize the keeper proposes no write-off
    (it was made) and says why in one line; once the redemption is credited (59,842 LUSDC) it
    recovers all of it against the cash, whatever the ratio."""
    assigned = 33_750 * 10**6
    holdings = dict(
        claim_only_book(100 * USD), **{USDC: model.Holding(0, assigned, USD, 6, 0, assigned)}
    )
    keeper, _ = keeper_over(holdings)
    health = Health(59_850 * USD, 50_274 * USD, 33_750 * USD, 33_750 * USD, 14_896, 0, 0, False)
    terms = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert terms == f"assigned debt of {USDC}: nothing to recover it from yet (SEC-190)"
    credited = dict(holdings, **{LUSDC: model.Holding(59_842 * 10**6, 0, USD, 6, 0)})
    keeper, _ = keeper_over(credited)
    # No sale (the stubbed preview seizes nothing): the keeper takes the cash itself.
    keeper.take, keeper._commit_threshold = True, lambda asset: 0
    choice, method, _ = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert (choice.debt_asset, choice.collateral_asset, method) == (USDC, LUSDC, "take")
    assert (choice.repay, choice.repaid, choice.write_off) == (assigned, assigned, False)


def test_sec_235__assigned_debt_liquidatable__nothing_to_seize__keeper_sends_the_drop_or_re_mark():
    """Round 6 F3: an account owing assigned debt with nothing to recover it from, which the
    broker calls liquidatable (its claim completed paying nothing, so the debt is to be dropped;
    or the claims' value fell below what the pool carries, so the carry is to be re-marked), got
    no liquidation from the keeper: `choose_liquidation` found nothing, and the account was marked
    idle for good, the debt carried in the pool's assets. Now the keeper proposes the write-off
    naming the assigned asset, repaying nothing, against the dust it holds (or the asset itself),
    once the broker's preview accepts it; a refused preview still sends nothing, in one line."""
    assigned = 33_750 * 10**6
    holdings = dict(
        claim_only_book(10 * USD), **{USDC: model.Holding(0, assigned, USD, 6, 0, assigned)}
    )
    health = Health(6_000 * USD, 4_800 * USD, 33_750 * USD, 33_750 * USD, 1_422, 0, 0, True)
    keeper, _ = keeper_over(holdings)
    choice, method, route = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert (choice.debt_asset, choice.collateral_asset, choice.repay) == (USDC, USDC, 0)
    assert (choice.repaid, choice.write_off, method, route) == (0, True, "take", b"")
    # Dust of another asset beside it (no --take): named as the collateral. Three wei of an
    # 18-decimal token at $30: below one unit of the USDC debt, dust by the broker's rule too
    # (a unit or more is not: its write-off waits for a take, round 9 M1).
    qcorp = "0x" + "3" * 40
    dusty = dict(holdings, **{qcorp: model.Holding(3, 0, 30 * USD, 18, 1_000)})
    keeper, _ = keeper_over(dusty)
    keeper._commit_threshold = lambda asset: 0
    choice, method, _ = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert (choice.debt_asset, choice.collateral_asset, choice.repay, method) == (
        USDC,
        qcorp,
        0,
        "take",
    )
    # The broker refuses (its claims cover the carry): nothing sent, one line why.
    keeper, _ = keeper_over(holdings, refusal="ZeroAmount()")
    terms = keeper._terms(Mark(ACCOUNT, health, TIER, 1), Head(1, 1_700_000_000))
    assert terms == f"assigned debt of {USDC}: nothing to recover it from yet (SEC-190)"
    # Not liquidatable: no preview asked.
    quiet = Health(6_000 * USD, 4_800 * USD, 33_750 * USD, 33_750 * USD, 1_422, 0, 0, False)
    keeper, _ = keeper_over(holdings, refusal="must not be asked")
    terms = keeper._terms(Mark(ACCOUNT, quiet, TIER, 1), Head(1, 1_700_000_000))
    assert terms == f"assigned debt of {USDC}: nothing to recover it from yet (SEC-190)"


def test_sec_242__owes_only_assigned_debt__keeper_sends_no_margin_call():
    """Round 9 L2: an account written off beside its claim stays below maintenance (its ratio is
    the claim's value over the assigned debt) for as long as the claim lasts; the keeper opened a
    margin call on it and confirmed it every half heartbeat, two transactions a day with no effect
    (assigned debt is due whatever the ratio). Now it sends none and says why; an account that
    also owes its pool still gets its call."""
    assigned = 33_750 * 10**6
    holdings = dict(
        claim_only_book(40 * USD), **{USDC: model.Holding(0, assigned, USD, 6, 0, assigned)}
    )
    keeper, _ = keeper_over(holdings)
    outcome = keeper._margin_call(ACCOUNT)  # the stubbed broker has no marginCall: none sent
    assert outcome == {
        "action": "none",
        "reason": "owes only assigned debt: no margin call (SEC-242)",
    }
    owing = dict(holdings, **{USDC: model.Holding(0, assigned + 10**6, USD, 6, 0, assigned)})
    keeper, _ = keeper_over(owing)
    sent = []
    keeper.broker.marginCall = lambda account, **kw: (
        sent.append(account) or SimpleNamespace(events=[], txn_hash=b"\x01" * 32)
    )
    assert keeper._margin_call(ACCOUNT)["action"] == "confirmed" and sent == [ACCOUNT]
