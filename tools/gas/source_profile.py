"""Source-level gas profile of one contract's own execution in a transaction.

    ape compile --force && python tools/gas/source_profile.py compile <Contract> <path.sol>
                                                  (writes .build/srcmap-<Contract>.json)
    (then, inside an ape session: profile(txn_hash, contract_address, "<Contract>"))

Compiles `<path.sol>` with the project's exact settings (solc-js front, via-IR, 1,000,000 runs,
Cancun, the dependency remappings of .build/__local__.json) asking for the deployed bytecode's
source map, checks the code equals what ape built, then attributes every opcode the contract's
frames execute (struct logs of `debug_traceTransaction`; a CALL counts its own cost, not the
callee's) to the source range solc maps it to, summed per source line and per enclosing function.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONT = ROOT / "tools" / "solc" / "solc-front.js"


DEPENDENCIES = {
    "contracts/.cache/openzeppelin/5.4.0": "@openzeppelin_contracts/5_4_0",
    "contracts/.cache/chainlink/1.2.0": "@chainlink_contracts/1_2_0",
}


def compile_source_map(contract: str, source: str) -> dict:
    """Links ape's dependency cache where ape's compile puts it (contracts/.cache), for the
    compile only: the source unit names, hence the code, are then exactly ape's."""
    links = []
    try:
        for name, package in DEPENDENCIES.items():
            link = ROOT / name
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(Path.home() / ".ape" / "packages" / "projects" / package)
                links.append(link)
        return _compile(contract, source)
    finally:
        for link in links:
            link.unlink()
        cache = ROOT / "contracts" / ".cache"
        for directory in sorted(cache.rglob("*"), reverse=True) if cache.exists() else []:
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        if cache.exists() and not any(cache.iterdir()):
            cache.rmdir()


def _compile(contract: str, source: str) -> dict:
    settings = json.loads((ROOT / ".build" / "__local__.json").read_text())["compilers"][0][
        "settings"
    ]
    settings = {k: v for k, v in settings.items() if k != "outputSelection"}
    # ape records the remappings of its last compile only (a partial recompile may need fewer).
    settings["remappings"] = [
        "@openzeppelin/contracts=contracts/.cache/openzeppelin/5.4.0",
        "@chainlink/contracts=contracts/.cache/chainlink/1.2.0",
    ]
    settings["outputSelection"] = {
        "*": {"*": ["evm.deployedBytecode.object", "evm.deployedBytecode.sourceMap"], "": ["ast"]}
    }
    # Only the contract asked for is compiled: the others' output is not selected.
    settings["outputSelection"] = {
        source: {contract: ["evm.deployedBytecode.object", "evm.deployedBytecode.sourceMap"]},
        "*": {"": ["ast"]},
    }
    # Every project source, as `ape compile --force` compiles them in one batch: the AST ids, hence
    # via-IR's code layout, then match what ape built.
    files = sorted(
        str(f.relative_to(ROOT))
        for d in ("contracts", "interfaces")
        for f in (ROOT / d).rglob("*.sol")
        if ".cache" not in f.parts
    )
    request = {
        "language": "Solidity",
        "sources": {f: {"content": (ROOT / f).read_text()} for f in files},
        "settings": settings,
    }
    out = subprocess.run(
        ["node", str(FRONT), "--standard-json", "--base-path", str(ROOT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"solc-front failed: {out.stderr.strip()[-2000:]}")
    result = json.loads(out.stdout)
    errors = [e for e in result.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise SystemExit("\n".join(e["formattedMessage"] for e in errors))
    evm = result["contracts"][source][contract]["evm"]["deployedBytecode"]
    files = {v["id"]: k for k, v in result["sources"].items()}
    built = json.loads((ROOT / ".build" / "__local__.json").read_text())["contractTypes"][contract]
    ours, theirs = evm["object"], built["runtimeBytecode"]["bytecode"][2:]
    # The metadata hash (CBOR tail) differs with the source set; the code before it must not.
    cut = int(ours[-4:], 16) * 2 + 4
    if ours[:-cut] != theirs[:-cut]:
        raise SystemExit(
            "the recompiled code differs from .build's: run `ape compile --force` first (a partial "
            "compile lays code out differently)"
        )
    data = {
        "object": ours,
        "sourceMap": evm["sourceMap"],
        "files": {str(k): v for k, v in files.items()},
    }
    (ROOT / ".build" / f"srcmap-{contract}.json").write_text(json.dumps(data))
    return data


def _pc_to_index(code: bytes) -> dict[int, int]:
    mapping, pc, index = {}, 0, 0
    while pc < len(code):
        mapping[pc] = index
        op = code[pc]
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
        index += 1
    return mapping


def _entries(source_map: str) -> list[tuple[int, int, int, str]]:
    out, last = [], [0, 0, 0, "-"]
    for item in source_map.split(";"):
        fields = item.split(":")
        for i, value in enumerate(fields[:4]):
            if value != "":
                last[i] = int(value) if i < 3 else value
        out.append(tuple(last))
    return out


def _function_at(text: bytes, start: int, length: int, path: str) -> str:
    """The Solidity function whose body holds source offset `start` (its header precedes it)."""
    if not text:
        return "<generated>"
    head = text[: start + 1].decode(errors="replace")
    matches = list(re.finditer(r"\b(function|modifier|constructor)\s*([A-Za-z0-9_]*)", head))
    if not matches or length > 20_000:
        return f"<generated> {path.split('/')[-1]}"
    return f"{path.split('/')[-1]}:{matches[-1].group(2) or matches[-1].group(1)}"


def profile(
    chain,
    txn_hash: str,
    address: str,
    contract: str,
    top: int = int(os.environ.get("PROFILE_TOP", "40")),
) -> None:
    data = json.loads((ROOT / ".build" / f"srcmap-{contract}.json").read_text())
    code = bytes.fromhex(data["object"])
    index_of = _pc_to_index(code)
    entries = _entries(data["sourceMap"])
    texts = {}
    trace = chain.provider.make_request(
        "debug_traceTransaction",
        [txn_hash, {"disableStorage": True, "disableMemory": True, "enableReturnData": False}],
    )["structLogs"]
    # Which frames run the contract's code: follow CALLs (the callee address is on the stack). A
    # DELEGATECALL runs the callee's code in the caller's context: the frame is the callee's (a
    # module's code is profiled under the module's address, not the vault's it runs for).
    target_of_tx = chain.provider.make_request("eth_getTransactionByHash", [txn_hash])["to"]
    frames = [target_of_tx.lower()]  # depth 1 is the transaction's target
    by_line, by_op = collections.Counter(), collections.Counter()
    by_function = collections.Counter()
    heavy = []
    by_caller = collections.Counter()
    by_owner = collections.Counter()
    last_specific, last_owner = None, "<entry>"
    calls: dict[
        int, list[str]
    ] = {}  # per depth: the internal function stack (source-map jump types)
    pending_in: dict[int, bool] = {}
    total = 0
    for i, step in enumerate(trace):
        depth = step["depth"]
        while len(frames) > depth:
            frames.pop()
        if step["op"] in ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"):
            stack = step["stack"]
            target = "0x" + stack[-2][2:].rjust(40, "0")[-40:]
            nxt = trace[i + 1] if i + 1 < len(trace) else None
            if nxt is not None and nxt["depth"] == depth + 1:
                frames.append(target.lower())
        if frames[depth - 1] != address.lower() or len(frames) < depth:
            continue
        cost = step["gasCost"]
        if step["op"] in ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE", "CREATE", "CREATE2"):
            # The step's gasCost includes the gas passed on: take the gas spent until the next step
            # of this frame, less what the callee's own steps spent (precompiles have none).
            j = i + 1
            while j < len(trace) and trace[j]["depth"] > depth:
                j += 1
            if j < len(trace) and trace[j]["depth"] == depth:
                child = 0
                if j > i + 1:
                    child = trace[i + 1]["gas"] - (trace[j - 1]["gas"] - trace[j - 1]["gasCost"])
                cost = step["gas"] - trace[j]["gas"] - child
        index = index_of.get(step["pc"])
        start, length, file_id, jump = (
            entries[index] if index is not None and index < len(entries) else (0, 0, -1, "-")
        )
        path = data["files"].get(str(file_id), "?")
        if path not in texts and path != "?":
            texts[path] = (ROOT / path).read_bytes() if (ROOT / path).exists() else b""
        text = texts.get(path, b"")
        stack_here = calls.setdefault(depth, ["<entry>"])
        if pending_in.pop(depth, False):
            stack_here.append(_function_at(text, start, length, path))
        by_function[stack_here[-1]] += cost
        if step["op"] == "JUMP" and jump == "i":
            pending_in[depth] = True
        elif step["op"] == "JUMP" and jump == "o" and len(stack_here) > 1:
            stack_here.pop()
        line = text[:start].count(b"\n") + 1 if text else 0
        snippet = (
            text[start : start + min(length, 90)].decode(errors="replace").replace("\n", " ")
            if text
            else ""
        )
        # Compiler-generated helpers (ABI coding, checked arithmetic, memory, storage packing) map
        # to the whole contract, a constant, or nothing: charge them to the statement that ran last.
        generic = not text or length > 2_000 or length < 8
        key = (path.split("/")[-1], line, snippet)
        if generic and last_specific is not None:
            key, owner = last_specific, last_owner
        elif not generic:
            owner = _function_at(text, start, length, path)
            last_specific, last_owner = key, owner
        else:
            owner = "<entry>"
        by_caller[key] += cost
        by_owner[owner] += cost
        if cost >= 2000 and step["op"] not in ("CALL", "STATICCALL", "DELEGATECALL"):
            heavy.append((step["op"], cost, path.split("/")[-1], line, snippet[:60]))
        by_op[step["op"]] += cost
        total += cost
    print(f"{contract} own execution: {total:,} gas")
    for (path, line, snippet), gas in by_line.most_common(top):
        print(f"{gas:>8,}  {path}:{line}  {snippet[:90]}")
    print("generated code charged to the statement that ran before it:")
    for (path, line, snippet), gas in by_caller.most_common(top):
        print(f"{gas:>8,}  {path}:{line}  {snippet[:90]}")
    print("by the function whose statement ran (generated helpers charged to their caller's):")
    for name, gas in by_owner.most_common(30):
        print(f"{gas:>8,}  {name}")
    print("by opcode: " + ", ".join(f"{op} {g:,}" for op, g in by_op.most_common(15)))
    print(
        "steps of 2,000 gas or more: "
        + "; ".join(f"{op} {c:,} {p}:{ln}" for op, c, p, ln, _ in heavy)
    )


if __name__ == "__main__":
    if sys.argv[1] == "compile":
        compile_source_map(sys.argv[2], sys.argv[3])
        print("ok")
