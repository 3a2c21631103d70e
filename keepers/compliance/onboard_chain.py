"""Onboarding against the chain: read what the registry has, send only what differs."""

from __future__ import annotations

from pathlib import Path

from keepers.compliance.onboarding import OnChainInvestor, parse_kyc_file, plan
from keepers.core.chain import announce_sent, connected, load_account

ZERO = "0x0000000000000000000000000000000000000000"


def onboard(kyc_file: Path, network_choice: str, account_alias: str) -> dict:
    from ape import chain, project
    from ape.exceptions import ContractLogicError

    with connected(network_choice) as record:
        sender = load_account(account_alias)
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        records, errors = parse_kyc_file(kyc_file, now=chain.blocks.head.timestamp)
        rows = [{"line": e.line, "outcome": f"error: {e.error}"} for e in errors]
        for kyc in records:
            wallet_identity = registry.identity(kyc.wallet)
            profile = registry.profileOf(kyc.identity)
            state = OnChainInvestor(
                wallet_identity=None if wallet_identity == ZERO else wallet_identity,
                identity_wallet_count=profile.walletCount,
                identity_country=profile.country,
                identity_class=profile.investorClass,
                identity_expiry=profile.kycExpiry,
            )
            action = plan(kyc, state)
            receipt = None
            try:
                if action == "register":
                    receipt = registry.registerInvestor(
                        kyc.wallet,
                        kyc.identity,
                        kyc.country,
                        kyc.investor_class,
                        kyc.expiry,
                        sender=sender,
                    )
                elif action == "update-profile":
                    receipt = registry.setInvestorProfile(
                        kyc.identity, kyc.country, kyc.investor_class, kyc.expiry, sender=sender
                    )
            except ContractLogicError as err:
                action = f"error: reverted {type(err).__name__} {err}"
            if receipt is not None:
                announce_sent(f"line {kyc.line}: {action} {kyc.wallet}", receipt)
            rows.append(
                {
                    "line": kyc.line,
                    "wallet": kyc.wallet,
                    "identity": kyc.identity,
                    "outcome": action,
                    # The transaction sent for the row (none when nothing was sent).
                    "tx_hash": None if receipt is None else str(receipt.txn_hash),
                }
            )
    rows.sort(key=lambda r: r["line"])
    return {
        "network": network_choice,
        "registry": record.address_of("IdentityRegistry"),
        "rows": rows,
    }
