"""Revert checks by eth_call, for errors raised deep in a call tree.

`ape.reverts` sends the transaction; when the custom error is not in the called contract's ABI
(a RiskEngine error bubbling up through the vault and the rebalancer), ape 0.8.51 walks the whole
struct-log trace to find its source and prints the call tree: over a minute per revert on a
rebalance. This asks the node once (same state, same sender) and decodes the revert data against
the ABI of the contract that defines the error.
"""

from eth_abi import decode
from eth_utils import keccak, to_checksum_address


def revert_data(chain, method, *args, sender) -> bytes:
    """Revert data of `method(*args)` from `sender` on the current state; AssertionError if it
    passes."""
    call = {
        "to": method.contract.address,
        "from": sender.address,
        "data": method.encode_input(*args),
    }
    try:
        chain.provider.web3.eth.call(call)
    except Exception as err:  # web3's ContractCustomError / ContractLogicError carry the data
        data = getattr(err, "data", None)
        if data is None:
            raise
        return bytes.fromhex(data[2:] if isinstance(data, str) else data.hex())
    raise AssertionError("call did not revert")


def assert_reverts(chain, method, *args, sender, error, **expected):
    """`error` = (contract, name): the revert must be that custom error with the `expected`
    fields."""
    contract, name = error
    abi = next(e for e in contract.contract_type.errors if e.name == name)
    data = revert_data(chain, method, *args, sender=sender)
    selector = keccak(text=abi.selector)[:4]
    assert data[:4] == selector, f"reverted with {data[:4].hex()}, not {name} ({selector.hex()})"
    values = decode([i.canonical_type for i in abi.inputs], data[4:])
    fields = {i.name: v for i, v in zip(abi.inputs, values)}
    for key, value in expected.items():
        actual = fields[key]
        if isinstance(actual, str) and isinstance(value, str):
            actual, value = actual.lower(), value.lower()
        assert actual == value, f"{name}.{key} = {actual}, expected {value}"
    return fields


def attempt(chain, method, *args, sender):
    """An attack step: asks the node first (eth_call); when the call reverts, returns the custom
    error's (name, {field: value}) decoded against `method`'s contract (`(selector hex, data)`
    for an error that ABI does not declare), and sends nothing; when it passes, sends it as
    `sender` and returns None (the step went through: the caller then checks its effect)."""
    try:
        data = revert_data(chain, method, *args, sender=sender)
    except AssertionError:
        method(*args, sender=sender)
        return None
    for abi in method.contract.contract_type.errors:
        if keccak(text=abi.selector)[:4] == data[:4]:
            types = [i.canonical_type for i in abi.inputs]
            values = decode(types, data[4:])
            return abi.name, {
                i.name: to_checksum_address(v) if t == "address" else v
                for i, t, v in zip(abi.inputs, types, values)
            }
    return data[:4].hex(), data
