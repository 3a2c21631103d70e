"""The compliance page's data as GraphQL: investors by jurisdiction and class, holder counts
against their caps per token, KYC expiries due, frozen wallets with the screening decisions behind
them, the rule-change log with previous and new values, and transfer refusals by reason code. As
of the page's head; the reader's own bounds apply (keepers/console/pages/compliance.py: the
newest RULE_ROWS_SHOWN rule changes and RECENT_REFUSALS_SHOWN refusals)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from keepers.console.graphql.context import ConsoleContext
from keepers.console.graphql.paging import (
    DEFAULT_PAGE_SIZE,
    After,
    Connection,
    First,
    paginate_listed,
)
from keepers.console.graphql.rows import Level, from_row
from keepers.console.graphql.scalars import BigInt, Long

PAGE = "compliance"


@strawberry.type(description="Identities of one investor class.")
class ClassCount:
    investor_class: str
    count: int


@strawberry.type(description="Investors registered with one country (ISO 3166 numeric).")
class JurisdictionInvestors:
    country: int
    identities: int
    wallets: int
    class_rows: strawberry.Private[list[ClassCount]]

    @strawberry.field(description="Identities per investor class.")
    def classes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ClassCount]:
        return paginate_listed(self.class_rows, first, after)


@strawberry.type(description="A token's holders from one country against the country's caps.")
class JurisdictionCap:
    country: int
    allowed: bool
    holders: int
    holder_cap: int = strawberry.field(description="0: no cap.")
    holder_level: Level
    non_accredited: int
    non_accredited_cap: int
    non_accredited_level: Level


@strawberry.type(description="A security token's holder counts against its engine's caps.")
class TokenCaps:
    engine: str = strawberry.field(description="The compliance engine's record name.")
    address: str
    holders: int
    holder_cap: int
    holder_level: Level
    non_accredited: int
    non_accredited_cap: int
    non_accredited_level: Level
    supply: BigInt
    jurisdiction_rows: strawberry.Private[list[JurisdictionCap]]

    @strawberry.field(description="Per country of its holders.")
    def jurisdictions(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[JurisdictionCap]:
        return paginate_listed(self.jurisdiction_rows, first, after)


@strawberry.type(description="An investor whose KYC expires soon (or has expired).")
class KycDue:
    identity: str
    country: int
    investor_class: str
    kyc_expiry: Long
    days_left: Long
    expired: bool
    wallets: int
    frozen: bool


@strawberry.type(description="A sanctions-screening decision of the compliance keeper.")
class ScreeningDecision:
    wallet: str | None = None
    entry: str
    ent_num: Long
    program: str | None
    list_version: str | None
    list_source: str | None
    decided_at: Long
    status: str
    action: str | None
    tx: str | None


@strawberry.type(
    description="A token's own freeze of a wallet: `token` (the wallet frozen on that token) or "
    "`partial` (that many of its tokens frozen), as the token's views say at the head."
)
class TokenFreeze:
    wallet: str
    token: str = strawberry.field(
        description="The token as the unfreeze action takes it: the deployment record's name, or "
        "a fund share token's address."
    )
    token_name: str = strawberry.field(
        description="The token as a person reads it: the record's name, or the share token's "
        "symbol and its instrument's ISIN."
    )
    token_address: str
    kind: str = strawberry.field(description="`token` or `partial`.")
    amount: BigInt | None = strawberry.field(
        description="The frozen part in base units (`partial`; null for `token`)."
    )
    amount_shown: str = strawberry.field(description="The same in whole units with the symbol.")
    by: str | None = strawberry.field(
        description="The agent of the wallet freeze (`token`; TokensFrozen names none)."
    )
    block: Long | None = strawberry.field(
        description="The last freeze event of this kind (null: older than the console's index)."
    )
    time: Long | None
    tx: str | None


@strawberry.type(description="A wallet frozen on the registry, with the decisions behind it.")
class FrozenWallet:
    wallet: str
    identity: str
    by: str
    block: Long
    time: Long
    tx: str
    frozen_on_chain: bool = strawberry.field(description="Still frozen at the head.")
    decision_rows: strawberry.Private[list[ScreeningDecision]]

    @strawberry.field(description="The screening decisions on this wallet (the keeper store).")
    def decisions(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ScreeningDecision]:
        return paginate_listed(self.decision_rows, first, after)


@strawberry.type(description="One field of a rule, before and after.")
class FieldChange:
    field: str
    previous: JSON | None
    next: JSON | None


@strawberry.type(description="A compliance rule set, with its previous and new values.")
class RuleChange:
    block: Long
    time: Long
    tx: str
    contract: str
    event: str
    key: str = strawberry.field(description="What the rule is about (e.g. country=840).")
    previous: JSON | None
    next: JSON | None
    change_rows: strawberry.Private[list[FieldChange]]

    @strawberry.field(description="The fields that changed.")
    def changes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[FieldChange]:
        return paginate_listed(self.change_rows, first, after)


@strawberry.type(description="Refused transfers with one reason code.")
class RefusalCount:
    code: int | None
    error: str
    message: str
    count: int
    last_block: Long


@strawberry.type(description="A transfer the chain refused.")
class Refusal:
    block: Long
    time: Long
    tx: str
    contract: str
    sender: str | None
    code: int | None
    error: str | None
    args: JSON | None


@strawberry.type(description="Transfer refusals found in the watched contracts' transactions.")
class Refusals:
    total: int
    scanned_to: Long = strawberry.field(description="The last block scanned.")
    by_code_rows: strawberry.Private[list[RefusalCount]]
    recent_rows: strawberry.Private[list[Refusal]]

    @strawberry.field(description="Counts by reason code.")
    def by_code(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RefusalCount]:
        return paginate_listed(self.by_code_rows, first, after)

    @strawberry.field(description="The newest refusals, newest first.")
    def recent(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[Refusal]:
        return paginate_listed(self.recent_rows, first, after)


@strawberry.type(description="Compliance: the compliance page's data.")
class Compliance:
    head: Long
    chain_time: Long
    investors: int = strawberry.field(description="Identities registered.")
    kyc_due_days: int = strawberry.field(description="KYC expiring within this many days is due.")
    rules_total: int
    keeper_store: bool = strawberry.field(description="The keeper store was read (decisions).")
    refusals: Refusals
    jurisdiction_rows: strawberry.Private[list[JurisdictionInvestors]]
    cap_rows: strawberry.Private[list[TokenCaps]]
    kyc_rows: strawberry.Private[list[KycDue]]
    frozen_rows: strawberry.Private[list[FrozenWallet]]
    token_freeze_rows: strawberry.Private[list[TokenFreeze]]
    pending_rows: strawberry.Private[list[ScreeningDecision]]
    rule_rows: strawberry.Private[list[RuleChange]]

    @strawberry.field(description="Investors by country.")
    def jurisdictions(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[JurisdictionInvestors]:
        return paginate_listed(self.jurisdiction_rows, first, after)

    @strawberry.field(description="Holder counts against caps, per security token.")
    def token_caps(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[TokenCaps]:
        return paginate_listed(self.cap_rows, first, after)

    @strawberry.field(description="KYC expiries due, soonest first.")
    def kyc_due(self, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[KycDue]:
        return paginate_listed(self.kyc_rows, first, after)

    @strawberry.field(description="Frozen wallets, newest freeze first.")
    def frozen_wallets(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[FrozenWallet]:
        return paginate_listed(self.frozen_rows, first, after)

    @strawberry.field(
        description="Each token's own freezes in effect (a wallet frozen on a token, tokens "
        "frozen in part), newest first; `frozenWallets` are the registry's identity-wide ones."
    )
    def token_freezes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[TokenFreeze]:
        return paginate_listed(self.token_freeze_rows, first, after)

    @strawberry.field(description="Screening decisions not yet acted on.")
    def pending_decisions(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ScreeningDecision]:
        return paginate_listed(self.pending_rows, first, after)

    @strawberry.field(description="The newest rule changes, newest first.")
    def rule_changes(
        self, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[RuleChange]:
        return paginate_listed(self.rule_rows, first, after)


@strawberry.type
class Query:
    @strawberry.field(description="Compliance (the console's compliance page).")
    async def compliance(self, info: strawberry.Info) -> Compliance:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        refusals = data["refusals"]
        return Compliance(
            head=int(data["head"]),
            chain_time=int(data["chain_time"]),
            investors=int(data["investors"]),
            kyc_due_days=int(data["kyc_due_days"]),
            rules_total=int(data["rules_total"]),
            keeper_store=bool(data["store"]),
            refusals=Refusals(
                total=int(refusals["total"]),
                scanned_to=int(refusals["scanned_to"]),
                by_code_rows=[from_row(RefusalCount, r) for r in refusals["by_code"]],
                recent_rows=[from_row(Refusal, r) for r in refusals["recent"]],
            ),
            jurisdiction_rows=[
                from_row(
                    JurisdictionInvestors,
                    j,
                    class_rows=[
                        ClassCount(investor_class=name, count=int(count))
                        for name, count in j["classes"].items()
                    ],
                )
                for j in data["by_jurisdiction"]
            ],
            cap_rows=[
                from_row(
                    TokenCaps,
                    c,
                    jurisdiction_rows=[from_row(JurisdictionCap, j) for j in c["jurisdictions"]],
                )
                for c in data["caps"]
            ],
            kyc_rows=[from_row(KycDue, k, investor_class=k["class"]) for k in data["kyc_due"]],
            frozen_rows=[
                from_row(
                    FrozenWallet,
                    f,
                    decision_rows=[from_row(ScreeningDecision, d) for d in f["decisions"]],
                )
                for f in data["frozen"]
            ],
            token_freeze_rows=[from_row(TokenFreeze, f) for f in data["token_frozen"]],
            pending_rows=[from_row(ScreeningDecision, d) for d in data["pending_decisions"]],
            rule_rows=[
                from_row(
                    RuleChange, r, change_rows=[from_row(FieldChange, c) for c in r["changes"]]
                )
                for r in data["rules"]
            ],
        )
