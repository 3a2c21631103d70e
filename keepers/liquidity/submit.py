"""Sending the aggregator's transactions: the public mempool by default, or a private
(Flashbots-style) RPC endpoint when one is configured, so a large order is not seen before it lands.

Configured by `--private-rpc URL` or QUANTERA_PRIVATE_RPC; off by default.
"""

from __future__ import annotations

import json
import os
import urllib.request

from keepers.core.errors import QuanteraError

PRIVATE_RPC_ENV = "QUANTERA_PRIVATE_RPC"


def private_rpc(option: str | None) -> str | None:
    return option or os.environ.get(PRIVATE_RPC_ENV) or None


def send(account, contract_method, *args, private_url: str | None = None, **kwargs):
    """Calls `contract_method(*args)` from `account`: through ape normally, or signed here and sent
    as `eth_sendRawTransaction` to `private_url`, then awaited on the public provider."""
    if private_url is None:
        return contract_method(*args, sender=account, **kwargs)
    from ape import chain

    txn = contract_method.as_transaction(*args, sender=account, **kwargs)
    signed = account.sign_transaction(txn)
    if signed is None:
        raise QuanteraError("the account refused to sign the transaction")
    raw = "0x" + bytes(signed.serialize_transaction()).hex()
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}
    ).encode()
    request = urllib.request.Request(
        private_url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.loads(response.read())
    except OSError as err:
        raise QuanteraError(f"private RPC {private_url} unreachable: {err}") from None
    if "error" in reply:
        raise QuanteraError(
            f"private RPC refused the transaction: {reply['error'].get('message', reply['error'])}"
        )
    return chain.provider.get_receipt(reply["result"])
