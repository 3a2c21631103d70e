"""A money-market share class paying its daily dividend in new shares (IncomeShareToken, issue 17
item 5) as deployed: the token and its ComplianceEngine by the lifecycle domain's deploy step
(keepers/lifecycle/deploy.py `deploy_income_share_token`, through the compliance domain's
SecurityToken step), on the compliance stack's authority and registry, open in the US, Germany
and the UK, the compliance stack's agent holding every capability (MINT declares income).

Investors are fresh test accounts, each its own identity; `outsider` is never registered."""

from dataclasses import dataclass, field

import pytest

from compliance_fixtures import ACCREDITED, DE, FAR_FUTURE, GB, US, extend, open_jurisdiction
from keepers.access import renounce_temporary_roles
from keepers.lifecycle import deploy_income_share_token

SHARE_UNIT = 10**18
DAY = 86_400
DECLARATION_INTERVAL = 12 * 3_600
INCOME_COUNTRIES = (US, DE, GB)
# label -> country; every wallet its own identity, accredited.
HOLDERS = {"alice": US, "bob": US, "carol": DE, "dave": GB}
OPENING_SHARES = {"alice": 1_000_000, "bob": 250_000, "carol": 40_000, "dave": 7}


def income_identity(label: str) -> str:
    return "0x" + ("1c" + label.encode().hex()).rjust(40, "0")


@dataclass
class IncomeStack:
    deployment: object
    registry: object
    token: object
    engine: object
    agent: object
    operator: object
    holders: dict = field(default_factory=dict)
    outsider: object = None

    def declare_next(self, chain, shares: int, sender=None):
        """Moves past the declaration interval and declares `shares` as the next number."""
        _, count, last = self.token.incomeIndex()
        if count:
            chain.pending_timestamp = max(chain.pending_timestamp, last + DECLARATION_INTERVAL)
        return self.token.declareIncome(count + 1, shares, sender=sender or self.agent)


@pytest.fixture(scope="session")
def income_stack(chain, accounts, stack_deployment, operator, agent):
    """The share class "QMMFI", unpaused, with four holders of OPENING_SHARES whole shares
    (minted by the agent) and one unregistered `outsider`."""
    d = extend(stack_deployment)
    token = deploy_income_share_token(
        d,
        "Quantera Money Market Fund (income)",
        "QMMFI",
        agent=agent.address,
        declarer=agent.address,
        jurisdictions=[(country, open_jurisdiction()) for country in INCOME_COUNTRIES],
    )
    renounce_temporary_roles(d)
    token.unpause(sender=agent)
    registry = d.at("IdentityRegistry")
    stack = IncomeStack(
        deployment=d,
        registry=registry,
        token=token,
        engine=d.at("ComplianceEngine", "ComplianceEngine.QMMFI"),
        agent=agent,
        operator=operator,
    )
    for label, country in HOLDERS.items():
        wallet = accounts.generate_test_account()
        chain.provider.set_balance(wallet.address, 10**21)
        registry.registerInvestor(
            wallet, income_identity(label), country, ACCREDITED, FAR_FUTURE, sender=operator
        )
        token.mint(wallet, OPENING_SHARES[label] * SHARE_UNIT, sender=agent)
        stack.holders[label] = wallet
    stack.outsider = accounts.generate_test_account()
    chain.provider.set_balance(stack.outsider.address, 10**21)
    return stack
