"""Compliance part of the demo: onboard investors in several jurisdictions, issue, then show an
allowed transfer, refusals with their reasons, a freeze by the freeze-only keeper key, and a
wallet recovery. Everything is a real transaction on the demo's anvil."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from keepers.core.waiting import wait_until
from keepers.demo.actions import ActionLog
from keepers.demo.stage import CHAIN_ID, Act, Stage, actions, console, table

SECTION = "compliance"
UNIT = 10**18
FAR_FUTURE = 2**40 - 1
ACCREDITED, QUALIFIED, RETAIL = 2, 3, 1
CLASS_NAMES = {1: "retail", 2: "accredited", 3: "qualified", 4: "institutional"}
# name, test-account index, ISO country, country label, class
INVESTORS = (
    ("alice", 12, 840, "US", ACCREDITED),
    ("bob", 13, 276, "DE", QUALIFIED),
    ("chen", 14, 702, "SG", ACCREDITED),
    ("dmitri", 15, 643, "RU", QUALIFIED),
    ("eve", 16, 826, "GB", RETAIL),
)
ALICE_NEW_WALLET = 17
# Test account 18's address is entry 90001 of the shipped sample sanctions list; frank's other
# wallet (account 23) is on no list.
LISTED_INVESTOR = ("frank", 18, 756, "CH", QUALIFIED)
FRANK_OTHER_WALLET = 23
# A guard against a hung keeper, not a guess at its speed (see keepers.core.waiting).
SCREENING_TIMEOUT_SECONDS = 600.0


@dataclass
class InvestorRow:
    name: str
    wallet: str
    country: str
    investor_class: str
    verified: bool
    balance: float
    frozen: bool


def exercise_compliance(log: ActionLog, record) -> list[InvestorRow]:
    """The act: what it sends is logged in `log`; returns the investors as the chain has them."""
    from ape import accounts, project

    registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
    token = project.SecurityToken.at(record.address_of("SecurityToken"))
    operator, agent, keeper = (accounts.test_accounts[i] for i in (3, 5, 6))
    wallets = {name: accounts.test_accounts[i] for name, i, *_ in INVESTORS}
    explain = token.messageForTransferRestriction
    act = lambda who, what, send: log.act(SECTION, who, what, send, explain)  # noqa: E731

    for name, _, country, label, cls in INVESTORS:
        identity = to_checksum_address(keccak(text=f"demo identity {name}")[-20:])
        act(
            "operator",
            f"onboard {name} ({label}, {CLASS_NAMES[cls]})",
            lambda w=wallets[name], i=identity, c=country, k=cls: registry.registerInvestor(
                w, i, c, k, FAR_FUTURE, sender=operator
            ),
        )
    act("token agent", "unpause the token", lambda: token.unpause(sender=agent))
    act(
        "token agent",
        "mint 1,000,000 QTF to alice",
        lambda: token.mint(wallets["alice"], 1_000_000 * UNIT, sender=agent),
    )
    act(
        "token agent",
        "mint 250,000 QTF to bob",
        lambda: token.mint(wallets["bob"], 250_000 * UNIT, sender=agent),
    )
    act(
        "alice",
        "transfer 50,000 to chen (US -> SG)",
        lambda: token.transfer(wallets["chen"], 50_000 * UNIT, sender=wallets["alice"]),
    )
    act(
        "alice",
        "transfer 10,000 to dmitri (US -> RU)",
        lambda: token.transfer(wallets["dmitri"], 10_000 * UNIT, sender=wallets["alice"]),
    )
    act(
        "alice",
        "transfer 10,000 to eve (retail, GB)",
        lambda: token.transfer(wallets["eve"], 10_000 * UNIT, sender=wallets["alice"]),
    )
    act(
        "bob",
        "transfer 5,000 to alice (DE -> US, Reg S flowback window)",
        lambda: token.transfer(wallets["alice"], 5_000 * UNIT, sender=wallets["bob"]),
    )
    act(
        "compliance keeper",
        "freeze chen's wallet (freeze-only key)",
        lambda: token.setAddressFrozen(wallets["chen"], True, sender=keeper),
    )
    act(
        "compliance keeper",
        "try to unfreeze it again (capability withheld)",
        lambda: token.setAddressFrozen(wallets["chen"], False, sender=keeper),
    )
    act(
        "chen",
        "transfer 1,000 back to alice while frozen",
        lambda: token.transfer(wallets["alice"], 1_000 * UNIT, sender=wallets["chen"]),
    )
    new_wallet = accounts.test_accounts[ALICE_NEW_WALLET]
    alice_identity = registry.identity(wallets["alice"])
    act(
        "operator",
        "register alice's replacement wallet to her identity",
        lambda: registry.registerInvestor(
            new_wallet, alice_identity, 840, ACCREDITED, FAR_FUTURE, sender=operator
        ),
    )
    act(
        "token agent",
        "recover alice's lost wallet to the new one",
        lambda: token.recoveryAddress(wallets["alice"], new_wallet, alice_identity, sender=agent),
    )

    # A sanctions freeze is identity-wide: frank holds QTF in a wallet on no list; registering his
    # listed wallet to the same identity freezes both, for every token and the fund's shares.
    name, index, country, label, cls = LISTED_INVESTOR
    frank, frank_other = accounts.test_accounts[index], accounts.test_accounts[FRANK_OTHER_WALLET]
    frank_identity = to_checksum_address(keccak(text="demo identity frank")[-20:])
    act(
        "operator",
        "onboard frank (CH) with a wallet on no list",
        lambda: registry.registerInvestor(
            frank_other, frank_identity, country, cls, FAR_FUTURE, sender=operator
        ),
    )
    act(
        "token agent",
        "mint 20,000 QTF to frank's wallet",
        lambda: token.mint(frank_other, 20_000 * UNIT, sender=agent),
    )
    act(
        "operator",
        "register frank's second wallet - on the sample sanctions list",
        lambda: registry.registerInvestor(
            frank, frank_identity, country, cls, FAR_FUTURE, sender=operator
        ),
    )
    wait_until(
        lambda: registry.isFrozen(frank_other),
        "the screening keeper's sanctions freeze of frank's identity",
        SCREENING_TIMEOUT_SECONDS,
    )
    act(
        "frank",
        "transfer 1,000 to bob from his unlisted wallet (after the screening keeper ran)",
        lambda: token.transfer(wallets["bob"], 1_000 * UNIT, sender=frank_other),
    )
    wallets["frank"] = frank
    wallets["frank (other wallet)"] = frank_other

    rows = []
    labels = {name: (label, cls) for name, _, _, label, cls in INVESTORS + (LISTED_INVESTOR,)}
    for name, wallet in list(wallets.items()) + [("alice (new wallet)", new_wallet)]:
        label, cls = labels.get(name.split(" (")[0], ("US", ACCREDITED))
        rows.append(
            InvestorRow(
                name,
                wallet.address,
                label,
                CLASS_NAMES[cls],
                registry.isVerified(wallet),
                token.balanceOf(wallet) / UNIT,
                token.isFrozen(wallet) or registry.isFrozen(wallet),
            )
        )
    return rows


def show_compliance(stage: Stage, investors: list[InvestorRow]) -> None:
    from keepers.compliance import decisions

    console.print(
        actions(
            stage.log,
            SECTION,
            None,
            "Compliance: onboarding, issuance, transfers explained before they fail",
        )
    )
    console.print(
        table(
            "Sanctions screening decisions (keeper store)",
            ("wallet", "list entry", "program", "action", "status", "block"),
            [
                (
                    d.wallet,
                    f"{d.ent_num} {d.entry_name}",
                    d.program,
                    d.action,
                    d.status,
                    d.block_number,
                )
                for d in decisions(stage.engine, CHAIN_ID)
            ],
        )
    )
    console.print(
        table(
            "Investors after the demo",
            ("investor", "wallet", "country", "class", "verified", "QTF", "frozen"),
            [
                (
                    i.name,
                    i.wallet[:12] + "…",
                    i.country,
                    i.investor_class,
                    i.verified,
                    f"{i.balance:,.0f}",
                    i.frozen,
                )
                for i in investors
            ],
        )
    )


def compliance_checks(stage: Stage, investors: list[InvestorRow]) -> dict[str, bool]:
    from keepers.compliance import decisions

    log = stage.log
    outcomes = [a.outcome for a in log.section(SECTION)]
    codes = [f"code {c}:" for c in (8, 10, 21, 2)]
    screened = decisions(stage.engine, CHAIN_ID)
    return {
        "compliance: allowed transfer settled, refusals carry codes 8, 10, 21, 2": (
            outcomes[:8].count("ok") == 8 and all(any(c in o for o in outcomes) for c in codes)
        ),
        "screening keeper froze the listed wallet's whole identity and recorded the list entry": (
            any(d.status == "done" and d.ent_num == 90001 for d in screened)
            and all(i.frozen for i in investors if i.name.startswith("frank"))
            and any("frank" == a.who and "code 2:" in a.outcome for a in log.section(SECTION))
        ),
        "compliance: recovery moved alice's balance to her new wallet": (
            investors[-1].balance > 0
            and next(i for i in investors if i.name == "alice").balance == 0
        ),
    }


ACT = Act(
    name="compliance",
    step="compliance (onboarding, transfers, the screening keeper's freeze)",
    run=lambda stage: exercise_compliance(stage.log, stage.record),
    show=show_compliance,
    checks=compliance_checks,
    keepers=("screening",),
)
