"""The IncomeShareToken against the second red-team read of the lifecycle domain (security findings
SEC-128, SEC-129), on the deployed share class (income_fixtures: the deploy routine's token).
Each test performs the attack and failed on main before the fix:

- SEC-128: a holder sending exactly its paid balance left the engine's holder count with income
  unpaid, and anyone's `settleIncome` then brought it back past `totalHolderCap`;
- SEC-129: declaring needed MINT, so the daily keeper's key could mint without limit.
"""

from fast_reverts import attempt
from income_fixtures import SHARE_UNIT
from isolation import isolated

ZERO = "0x" + "00" * 20
ALL = 2**256 - 1
MINT = 1 << 0  # AgentCapabilities.MINT


def test_sec_128__leaver_with_unpaid_income__never_rejoins_past_the_holder_cap(
    chain, income_stack, governor
):
    """The red team's path: dave sent exactly his paid balance (his income unpaid), the engine
    counted him out, GOVERNOR capped the holders at that count, and anyone's `settleIncome` paid
    him and counted him again, past the cap (main). A send of the whole paid balance pays the
    income first: dave keeps a holding, stays counted, and no later payment moves the count."""
    income = income_stack
    token, engine = income.token, income.engine
    with isolated(chain):
        income.declare_next(chain, token.totalSupply() // 1_000)
        dave, carol = income.holders["dave"], income.holders["carol"]
        paid, _, _ = token.incomeAccountOf(dave)
        token.transfer(carol, paid, sender=dave)
        holders = engine.holderCounts()[0]
        engine.setLimits((0, 0, 0, 0, 0, 0, 0, holders, 0), sender=governor)
        token.settleIncome(dave, ZERO, ALL, sender=income.outsider)
        after = engine.holderCounts()[0]
        assert after <= holders, f"{after} holders counted, the cap is {holders}"
        assert token.balanceOf(dave) > 0 and token.incomeAccountOf(dave)[1] == 0
        # The engine's ledger holds what dave holds: his income was paid before he sent.
        assert token.incomeAccountOf(dave)[0] == token.balanceOf(dave)


def test_sec_129__the_declaring_key__cannot_mint(chain, accounts, income_stack, governor, agent):
    """Declaring income needed the MINT capability (main), so the keeper's key that declares every
    day could mint any amount to anyone. Declaring is its own capability (`setDeclarer`,
    GOVERNOR): the keeper's key declares within the token's bounds and mints nothing; a MINT agent
    that is no declarer does not declare."""
    income = income_stack
    token = income.token
    keeper = accounts.generate_test_account()
    chain.provider.set_balance(keeper.address, 10**21)
    minter = accounts.generate_test_account()
    chain.provider.set_balance(minter.address, 10**21)
    with isolated(chain):
        # What declaring takes: a declarer (main: the MINT capability, which had no other form).
        if "setDeclarer" in [m.name for m in token.contract_type.mutable_methods]:
            token.setDeclarer(keeper, True, sender=governor)
        else:
            token.setAgentCapabilities(keeper, MINT, sender=governor)
        token.setAgentCapabilities(minter, MINT, sender=governor)
        income.declare_next(chain, token.totalSupply() // 1_000, sender=keeper)
        carol = income.holders["carol"]
        before = token.balanceOf(carol)
        minted = attempt(chain, token.mint, carol, 1_000_000 * SHARE_UNIT, sender=keeper)
        assert token.balanceOf(carol) == before, "the declaring key minted 1,000,000 shares"
        assert minted == ("MissingCapability", {"agent": keeper.address, "capability": MINT})
        declared = attempt(chain, token.declareIncome, 2, 1, sender=minter)
        assert declared == ("NotDeclarer", {"caller": minter.address})
        assert token.isDeclarer(keeper) and not token.isDeclarer(minter)
        assert token.isDeclarer(agent)  # the fixture's declarer (the deploy routine's step)
