"""Role ids of contracts/access/Roles.sol, for scripts, keepers and the CLI (one place)."""

ROLE_IDS: dict[str, int] = {
    "ADMIN": 0,
    "GOVERNOR": 1,
    "GUARDIAN": 2,
    "OPERATOR": 3,
    "RISK_KEEPER": 4,
    "COMPLIANCE_KEEPER": 5,
    "PRICE_REPORTER": 6,
    "EXECUTOR": 7,
    "NAV_AGENT": 8,
    "FUND_MANAGER": 9,
    "LIQUIDATOR": 10,
    "UPGRADER": 11,
}
ROLE_NAMES: dict[int, str] = {role_id: name for name, role_id in ROLE_IDS.items()}
