"""Who may call which protocol function: the AccessManager wiring, in one table.

The deploy script applies it with `setTargetFunctionRole`; tests apply the same table, so what is
tested is what is deployed. Functions not listed are either public (transfers, views) or guarded
inside the contract (token agents' capability flags, bound-token hooks).
"""

from __future__ import annotations

from eth_utils import keccak

from keepers.access.roles import ROLE_IDS

FUNCTION_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "IdentityRegistry": {
        "OPERATOR": (
            "registerInvestor",
            "registerIdentity",
            "batchRegisterIdentity",
            "setInvestorProfile",
            "updateCountry",
            "updateIdentity",
            "deleteIdentity",
            "unfreeze",
        ),
        "COMPLIANCE_KEEPER": ("freeze",),
        "GOVERNOR": (
            "addClaimTopic",
            "removeClaimTopic",
            "setTrustedIssuer",
            "setClaimCacheTtl",
            "setSecurity",
        ),
    },
    "ComplianceEngine": {
        "GOVERNOR": (
            "setJurisdiction",
            "setJurisdictions",
            "setRoute",
            "setLimits",
            "bindToken",
            "addModule",
            "removeModule",
            "callModuleFunction",
            "setInvestmentMinimums",
            "setMinFirstHolding",
            "setEscrow",
        ),
    },
    "SecurityToken": {
        "GOVERNOR": (
            "setName",
            "setSymbol",
            "setOnchainID",
            "setIdentityRegistry",
            "setCompliance",
            "addAgent",
            "removeAgent",
            "setAgentCapabilities",
        ),
    },
    # An income share class's declarers (the DECLARE capability, SEC-129: the dividend keeper's
    # key declares within the token's bounds and mints nothing): governance's, like its agents.
    # The token's stub checks the role; the module (IncomeShareLogic) runs the write.
    "IncomeShareToken": {"GOVERNOR": ("setDeclarer",)},
    "OracleRouter": {"GOVERNOR": ("setFeed", "removeFeed")},
    "ReporterPriceFeed": {"PRICE_REPORTER": ("report",)},
    "RiskEngine": {
        "GOVERNOR": ("configure", "resume"),
        "GUARDIAN": ("halt",),
        "RISK_KEEPER": ("publishModel",),
    },
    # Trade limits bound every EXECUTOR (SEC-50, SEC-51); `settleDeal` is anyone's (SEC-53).
    "PortfolioVault": {
        "GOVERNOR": (
            "addAsset",
            "setVenue",
            "setShareCompliance",
            "setDealingFee",
            "setTradeLimits",
        ),
        "EXECUTOR": ("trade", "tradeBatch", "tradeBasket"),
    },
    "LocalStablecoin": {"OPERATOR": ("mint",)},
    "LiquidityAggregator": {
        "ADMIN": ("setAdapter", "setVenue"),
        "GOVERNOR": ("setTokenPolicy", "setOracle", "setRevealWindow", "unpause", "unpauseVenue"),
        "GUARDIAN": ("pause", "pauseVenue"),
    },
    "AutoRebalancer": {
        "GOVERNOR": ("setStrategy", "setSigner", "setRelayer", "unpause"),
        "GUARDIAN": ("revokeSigner", "pause"),
    },
    # Inventory is the issuer's capital: withdrawing it is a scheduled governance act (SEC-8), not
    # a day-to-day operator call; market terms stay with the operator (fees bounded on-chain).
    # The guardian halts the desk and the RFQ venue directly, never resumes them (SEC-12, SEC-146).
    "NavVenue": {
        "OPERATOR": ("setMarket", "claimIncome"),
        "GOVERNOR": ("withdrawInventory", "unpause"),
        "GUARDIAN": ("pause",),
    },
    "RfqVenue": {"GOVERNOR": ("unpause",), "GUARDIAN": ("pause",)},
    # Issuers and their operators act through the registry's own checks (approval, delegation with
    # an expiry), not roles; `mature` is anyone's at maturity. GOVERNOR approves issuers, bounds NAV
    # strikes and lifts suspensions; GUARDIAN can only suspend.
    "InstrumentRegistry": {
        "GOVERNOR": ("setIssuer", "setNavBounds", "resume"),
        "GUARDIAN": ("guardianSuspend",),
    },
    "SettlementAssets": {"GOVERNOR": ("listAsset", "delistAsset")},
    # Fee schedules are governance's, behind GOVERNOR's execution delay (the deploy script's
    # `governor_delay`): bounded on-chain (maximums, maximum increase per change), logged with the
    # previous and next terms. Vaults charge through `charge` (open; each writes its own ledger).
    "FeeSchedule": {"GOVERNOR": ("setFeeSchedule",)},
    # A fund's dealing: the NAV agent strikes (once per period, after the cut-off, at the NAV
    # source's price; it moves no money); the issuer's investment manager moves free cash to the
    # custodian governance set, never pending subscriptions or cash reserved for redemptions.
    "FundVault": {
        "GOVERNOR": ("setGate", "setDealingInterval", "setCustodian", "setInstantLimit"),
        "NAV_AGENT": ("strike",),
        "FUND_MANAGER": ("investCash",),
    },
    # One share class in several settlement assets (one FundVault per asset): governance adds a
    # vault; the NAV agent strikes them all at one NAV through the desk (which holds NAV_AGENT on
    # its vaults' `strike`). Investors route requests through it as themselves (no role).
    "FundDesk": {"GOVERNOR": ("addVault",), "NAV_AGENT": ("strike",)},
    # Prime brokerage: terms, listings, pools, income bindings and credit lines are governance's
    # (an increase of a credit line is scheduled); the guardian cuts a limit at once, never raises
    # one (halts are the RiskEngine's: its `halt` of the broker or of an account); liquidators are
    # a role (and must be verified wallets: the broker checks).
    "PrimeBroker": {
        "GOVERNOR": ("setTier", "setCollateral", "setPool", "setIncome", "setCreditLine"),
        "GUARDIAN": ("reduceCreditLimit",),
        "LIQUIDATOR": ("liquidate",),
    },
    # A lending pool of the prime broker: its rate model, reserves and share compliance are
    # governance's (timelocked); borrowing and repaying are its immutable broker's, not a role's.
    "LendingPool": {"GOVERNOR": ("setRateModel", "withdrawReserves", "setShareCompliance")},
    # Issue 34: replacing the code behind a GovernedProxy is the UPGRADER's, proposed then run
    # after the authority's immutable notice; `veto` is not wired: the authority itself admits
    # any GUARDIAN member (`hasRole`), whatever ADMIN closes or re-wires.
    "UpgradeAuthority": {"UPGRADER": ("propose", "upgrade")},
    # UPG-10: the issuer's agent moves holders to a token that replaces a defective one (a holder
    # moves its own holding itself: `migrateSelf` is open).
    "TokenMigrator": {"OPERATOR": ("migrate",)},
}


def selectors(contract_type, names: tuple[str, ...]) -> list[bytes]:
    """4-byte selectors of every overload of each named function of an ape ContractType."""
    by_name: dict[str, list[bytes]] = {}
    for abi in contract_type.mutable_methods:
        by_name.setdefault(abi.name, []).append(keccak(text=abi.selector)[:4])
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ValueError(f"{contract_type.name} has no function(s) {', '.join(missing)}")
    return [sel for name in names for sel in by_name[name]]


def wiring(contract_name: str, contract_type) -> list[tuple[int, list[bytes]]]:
    """(role id, selectors) pairs to pass to `setTargetFunctionRole` for one contract."""
    return [
        (ROLE_IDS[role], selectors(contract_type, names))
        for role, names in FUNCTION_ROLES.get(contract_name, {}).items()
    ]
