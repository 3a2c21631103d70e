// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title Roles
/// @notice The protocol's role vocabulary for `QuanteraAccessManager` (OpenZeppelin AccessManager).
/// @dev Role ids are stable: deployments, keepers and docs/architecture.md refer to them by number.
/// Admin is slow (granted with an execution delay on live networks), keepers are bounded by the
/// contracts they call, and the guardian can only halt or cancel.
library Roles {
    /// @notice Root: grants and revokes every role, wires target functions to roles. OZ's ADMIN_ROLE.
    uint64 internal constant ADMIN = 0;
    /// @notice Slow parameter changes (compliance rule tables, risk limits, strategies); granted with
    /// an execution delay so every change is scheduled, visible, and cancellable by the guardian.
    uint64 internal constant GOVERNOR = 1;
    /// @notice Halts (pause, emergency shutdown) and cancels scheduled operations; cannot resume.
    uint64 internal constant GUARDIAN = 2;
    /// @notice Bounded day-to-day operations, e.g. registering KYC'd investors.
    uint64 internal constant OPERATOR = 3;
    /// @notice Publishes risk metrics and model inputs within on-chain bounds.
    uint64 internal constant RISK_KEEPER = 4;
    /// @notice Sanctions-screening keeper: may only freeze.
    uint64 internal constant COMPLIANCE_KEEPER = 5;
    /// @notice Pushes prices to the protocol's own feeds on local networks.
    uint64 internal constant PRICE_REPORTER = 6;
    /// @notice Contracts allowed to trade a portfolio (rebalancer, aggregator).
    uint64 internal constant EXECUTOR = 7;
    /// @notice Strikes a fund's dealing period at the registry's NAV (FundVault.strike): the fund
    /// administrator's NAV agent keeper. Bounded by the vault: once per period, after its cut-off,
    /// at the NAV source's price; it moves no money.
    uint64 internal constant NAV_AGENT = 8;
    /// @notice The issuer's investment manager: moves a fund's free cash to its custodian
    /// (FundVault.investCash); never pending subscriptions or cash reserved for redemptions.
    uint64 internal constant FUND_MANAGER = 9;
    /// @notice Liquidates prime-brokerage margin accounts that are liquidatable (PrimeBroker
    /// `liquidate`): bounded by the broker (close factor, oracle-priced bonus, oracle-bounded sale);
    /// each holder must also be a verified wallet.
    uint64 internal constant LIQUIDATOR = 10;
    /// @notice Replaces the code behind the protocol's proxies (UpgradeAuthority `propose`, then
    /// `upgrade` after the authority's immutable notice, unless the GUARDIAN vetoes it).
    uint64 internal constant UPGRADER = 11;
    /// @notice Highest role id above; the constructor of the manager walks 1..LAST_ROLE.
    uint64 internal constant LAST_ROLE = 11;

    /// @notice Human label of a role id, as emitted in `RoleLabel`.
    function label(uint64 roleId) internal pure returns (string memory) {
        if (roleId == ADMIN) return "ADMIN";
        if (roleId == GOVERNOR) return "GOVERNOR";
        if (roleId == GUARDIAN) return "GUARDIAN";
        if (roleId == OPERATOR) return "OPERATOR";
        if (roleId == RISK_KEEPER) return "RISK_KEEPER";
        if (roleId == COMPLIANCE_KEEPER) return "COMPLIANCE_KEEPER";
        if (roleId == PRICE_REPORTER) return "PRICE_REPORTER";
        if (roleId == EXECUTOR) return "EXECUTOR";
        if (roleId == NAV_AGENT) return "NAV_AGENT";
        if (roleId == FUND_MANAGER) return "FUND_MANAGER";
        if (roleId == LIQUIDATOR) return "LIQUIDATOR";
        if (roleId == UPGRADER) return "UPGRADER";
        return "";
    }
}
