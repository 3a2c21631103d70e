"""EIP-712 messages for eth_account: one domain layout (name, version, chainId, verifyingContract),
used by every signed object of the protocol (RFQ quotes, rebalance intents) and by ERC-2612
permits."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data

DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
PERMIT_FIELDS = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def typed_message(
    primary_type: str,
    fields: list[dict],
    domain_name: str,
    version: str,
    chain_id: int,
    verifying_contract: str,
    message: dict,
) -> dict:
    return {
        "types": {"EIP712Domain": DOMAIN_FIELDS, primary_type: fields},
        "primaryType": primary_type,
        "domain": {
            "name": domain_name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        "message": message,
    }


def sign_typed(message: dict, private_key: bytes | str):
    """eth_account's SignedMessage (v, r, s, signature, message_hash)."""
    return Account.sign_message(encode_typed_data(full_message=message), private_key)


def permit_message(
    token_name: str,
    chain_id: int,
    token: str,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> dict:
    """An ERC-2612 permit (OpenZeppelin ERC20Permit: domain version "1")."""
    return typed_message(
        "Permit",
        PERMIT_FIELDS,
        token_name,
        "1",
        chain_id,
        token,
        {"owner": owner, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline},
    )
