"""Transactions tried without paying for a revert: an `eth_call` on the pending block first; the
transaction is sent only when the call passes. A refused call comes back as the custom error's
name and fields, decoded against every error the project declares (ape 0.8.51 walks the whole
trace when a revert's error is another contract's: a lending pool's or a token's compliance
error bubbling up through the broker), so a state machine can try dozens of actions that may
fail and assert why they failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import decode
from eth_utils import keccak


@dataclass
class Outcome:
    """A sent transaction's receipt, or the error that refused it (`receipt` None)."""

    receipt: object = None
    error: str | None = None
    fields: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class Attempts:
    def __init__(self, chain, project):
        self.chain = chain
        self.errors = {}
        for name in project.contracts:
            for abi in project.contracts[name].contract_type.errors:
                self.errors.setdefault(keccak(text=abi.selector)[:4], abi)

    def decode(self, data: bytes) -> tuple[str, dict]:
        abi = self.errors.get(data[:4])
        if abi is None:
            return data[:4].hex(), {}
        values = decode([i.canonical_type for i in abi.inputs], data[4:])
        return abi.name, {i.name: v for i, v in zip(abi.inputs, values)}

    def refusal(self, method, *args, sender, block="pending") -> tuple[str, dict] | None:
        """The error `method(*args)` from `sender` reverts with on `block`, or None if it passes."""
        call = {
            "to": method.contract.address,
            "from": getattr(sender, "address", sender),
            "data": method.encode_input(*args),
        }
        try:
            self.chain.provider.web3.eth.call(call, block)
        except Exception as err:  # web3's ContractCustomError / ContractLogicError carry the data
            data = getattr(err, "data", None)
            if data is None:
                raise
            if isinstance(data, str):
                data = bytes.fromhex(data.removeprefix("0x"))
            return self.decode(data)
        return None

    def send(self, method, *args, sender) -> Outcome:
        refused = self.refusal(method, *args, sender=sender)
        if refused is not None:
            return Outcome(None, *refused)
        return Outcome(method(*args, sender=sender))
