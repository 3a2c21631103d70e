"""Rebalance intents as the signal keeper signs them: the EIP-712 typed data of
contracts/rebalancing/RebalanceIntentLib.sol, for a verifying contract on a chain."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from keepers.core.typed_data import sign_typed, typed_message

INTENT_FIELDS = [
    {"name": "portfolio", "type": "address"},
    {"name": "strategyId", "type": "uint256"},
    {"name": "targetWeightsBps", "type": "uint16[]"},
    {"name": "maxSlippageBps", "type": "uint16"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint64"},
    {"name": "modelVersion", "type": "bytes32"},
    {"name": "signalHash", "type": "bytes32"},
]


@dataclass(frozen=True)
class RebalanceIntent:
    portfolio: str
    strategy_id: int
    target_weights_bps: tuple[int, ...]
    max_slippage_bps: int
    nonce: int
    deadline: int
    model_version: bytes
    signal_hash: bytes

    def as_tuple(self) -> tuple:
        values = astuple(self)
        return values[:2] + (list(self.target_weights_bps),) + values[3:]

    def as_row(self) -> dict:
        """The intent as the keeper store keeps it (`SignalIntent.intent`, JSON)."""
        return {
            "portfolio": self.portfolio,
            "strategy_id": self.strategy_id,
            "target_weights_bps": list(self.target_weights_bps),
            "max_slippage_bps": self.max_slippage_bps,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "model_version": self.model_version.hex(),
            "signal_hash": self.signal_hash.hex(),
        }

    @classmethod
    def from_row(cls, row: dict) -> RebalanceIntent:
        return cls(
            row["portfolio"],
            row["strategy_id"],
            tuple(row["target_weights_bps"]),
            row["max_slippage_bps"],
            row["nonce"],
            row["deadline"],
            bytes.fromhex(row["model_version"]),
            bytes.fromhex(row["signal_hash"]),
        )


def intent_message(
    intent: RebalanceIntent, domain_name: str, chain_id: int, verifying_contract: str
) -> dict:
    return typed_message(
        "RebalanceIntent",
        INTENT_FIELDS,
        domain_name,
        "1",
        chain_id,
        verifying_contract,
        {
            "portfolio": intent.portfolio,
            "strategyId": intent.strategy_id,
            "targetWeightsBps": list(intent.target_weights_bps),
            "maxSlippageBps": intent.max_slippage_bps,
            "nonce": intent.nonce,
            "deadline": intent.deadline,
            "modelVersion": intent.model_version,
            "signalHash": intent.signal_hash,
        },
    )


def sign_intent(
    intent: RebalanceIntent, private_key, domain_name: str, chain_id: int, verifying_contract: str
):
    """(digest, 65-byte signature)."""
    signed = sign_typed(
        intent_message(intent, domain_name, chain_id, verifying_contract), private_key
    )
    return bytes(signed.message_hash), bytes(signed.signature)


def account_signer(account, domain_name: str, chain_id: int, verifying_contract: str):
    """`sign(intent) -> (digest, signature)` for an ape account (keyfile, hardware or test account):
    the account signs the EIP-712 message itself; no private key leaves it."""
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    def sign(intent: RebalanceIntent) -> tuple[bytes, bytes]:
        signable = encode_typed_data(
            full_message=intent_message(intent, domain_name, chain_id, verifying_contract)
        )
        signature = account.sign_message(signable)
        if signature is None:
            raise RuntimeError(f"account {account.address} refused to sign the rebalance intent")
        return bytes(_hash_eip191_message(signable)), bytes(signature.encode_rsv())

    return sign
