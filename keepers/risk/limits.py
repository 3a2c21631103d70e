"""Names of the RiskEngine's `RiskLimit` enum (interfaces/IRiskEngine.sol), in its order: what a
check found broken, and why `sync` or the guardian halted a portfolio."""

RISK_LIMIT_NAMES = (
    "None",
    "Halted",
    "StaleModel",
    "StalePrices",
    "UnpricedAsset",
    "AssetConcentration",
    "ClassConcentration",
    "MinLiquidity",
    "Var95",
    "Var99",
    "ExpectedShortfall",
    "StressLoss",
    "Drawdown",
    "InvalidModel",
)
