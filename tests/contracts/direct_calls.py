"""A module called at its own address, not by its dispatcher (FND-21): every state-changing entry
refuses (`DirectCall`), whatever its arguments. One helper for each module's test."""

from __future__ import annotations

import ape


def well_formed(put, address: str):
    """A value of an ABI input the encoder accepts (a struct's components in turn), for calls that
    must revert before they read it: `address` for addresses, 1 for numbers."""
    if put.type.endswith("[]"):
        return []
    if put.type.startswith("tuple"):
        return tuple(well_formed(c, address) for c in put.components)
    return {"address": address, "bool": True, "bytes": b""}.get(put.type, 1)


def every_direct_call_refused(module, contract_type, sender, other_errors=None) -> set[str]:
    """Calls each state-changing method of `contract_type` at `module`, as `sender`; each must
    revert `DirectCall` (or the error `other_errors` names for it). Returns the methods called."""
    called = set()
    for method in contract_type.mutable_methods:
        args = [well_formed(put, sender.address) for put in method.inputs]
        error = (other_errors or {}).get(method.name, module.DirectCall)
        with ape.reverts(error):
            getattr(module, method.name)(*args, sender=sender)
        called.add(method.name)
    return called
