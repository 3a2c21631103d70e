"""FND-19: the build holds every source under contracts/, whatever the filesystem's order, and a
built tree compiles nothing.

Ape lists only the first 500 files under the contracts folder (in the order the filesystem returns
directory entries), and ape-solidity unpacks the dependencies (434 files of OpenZeppelin and
Chainlink) into `contracts/.cache`: on a machine whose directory order listed the cache first, 27 of
the project's sources dropped out of the build (`'LocalProject' object has no attribute
'SecurityToken'`). `contracts/.cache` is a committed symlink to `.ape-dependencies/`, which ape's
listing (pathlib's rglob) does not follow.

Runs on the artifacts `make build` compiled (`make test` builds first)."""

import json
import os
import re
from pathlib import Path

import pytest

from conftest import BIN

ROOT = BIN.parent.parent
CONTRACTS = ROOT / "contracts"
BUILD_FILE = ROOT / ".build" / "__local__.json"
# ape 0.8.51, ape.managers.project.SourceManager._all_files: get_all_files_in_directory(...,
# max_files=500).
APE_LISTING_CAP = 500
# A declaration that yields a contract type: contract, abstract contract, library, interface.
DECLARATION = re.compile(r"^\s*(?:abstract\s+)?(?:contract|library|interface)\s+(\w+)", re.M)


def own_sources() -> list[Path]:
    """Every Solidity file of the project's own under contracts/ (os.walk does not follow the
    dependency cache's symlink)."""
    found = []
    for folder, _, files in os.walk(CONTRACTS):
        found += [Path(folder) / name for name in files if name.endswith(".sol")]
    return sorted(found)


def listed_by_ape() -> list[Path]:
    """The files ape lists under contracts/, as ape 0.8.51 lists them: rglob, capped."""
    from ape.utils.os import get_all_files_in_directory

    return get_all_files_in_directory(CONTRACTS, max_files=APE_LISTING_CAP)


@pytest.fixture(scope="module")
def manifest() -> dict:
    assert BUILD_FILE.is_file(), "no compiled artifacts: run `make build`"
    return json.loads(BUILD_FILE.read_text())


def test_fnd_19__dependency_cache__is_a_symlink_out_of_the_contracts_folder():
    cache = CONTRACTS / ".cache"
    assert cache.is_symlink(), "contracts/.cache must be the symlink to .ape-dependencies/"
    assert cache.resolve() == (ROOT / ".ape-dependencies").resolve()
    assert not cache.resolve().is_relative_to(CONTRACTS.resolve())


def test_fnd_19__ape_listing__holds_every_own_source_far_below_its_cap():
    listed = {p for p in listed_by_ape() if p.is_file()}
    sources = own_sources()
    assert set(sources) <= listed
    assert not any(".cache" in p.relative_to(CONTRACTS).parts for p in listed)
    # Room to grow: a tree that nears the cap fails here, not on another machine's order.
    assert len(listed) <= APE_LISTING_CAP // 2, f"{len(listed)} files under contracts/"


def test_fnd_19__manifest__holds_every_contract_of_every_source(manifest):
    contract_types = manifest["contractTypes"]
    missing = {}
    for path in own_sources():
        source_id = str(path.relative_to(ROOT))
        names = set(DECLARATION.findall(path.read_text()))
        assert names, f"{source_id} declares no contract, library or interface"
        lacking = sorted(n for n in names if contract_types.get(n, {}).get("sourceId") != source_id)
        if lacking:
            missing[source_id] = lacking
    assert missing == {}, f"sources missing from the build: {missing}"


def test_fnd_19__built_tree__ape_compile_would_compile_nothing(manifest):
    """Ape recompiles a source whose id is not in the manifest, that yields no contract type, or
    whose text changed (ape.managers.project.ContractManager._detect_change compares checksums of
    the recorded and the current text, trailing space stripped): none may."""
    sources = manifest["sources"]
    compiled_ids = {ct.get("sourceId") for ct in manifest["contractTypes"].values()}
    stale = []
    for path in own_sources():
        source_id = str(path.relative_to(ROOT))
        text = path.read_text("utf8").rstrip()
        recorded = (sources.get(source_id) or {}).get("content")
        if source_id not in compiled_ids or recorded is None or recorded.rstrip() != text:
            stale.append(source_id)
    assert stale == []


def sources_hash() -> str:
    """The Makefile's `build` hash: sha256sum of ape-config.yaml and every .sol under contracts/
    (not the dependency cache) and interfaces/, in C order, hashed again."""
    import hashlib

    paths = sorted(
        str(p.relative_to(ROOT))
        for folder in (CONTRACTS, ROOT / "interfaces")
        for p in folder.rglob("*.sol")
        if not str(p.relative_to(ROOT)).startswith("contracts/.cache/")
    )
    listing = "".join(
        f"{hashlib.sha256((ROOT / p).read_bytes()).hexdigest()}  {p}\n"
        for p in ["ape-config.yaml", *paths]
    )
    return hashlib.sha256(listing.encode()).hexdigest()


def test_fnd_19__build_stamp__is_of_the_sources_built():
    """ape's incremental compile left a contract stale when only a base it inherits through another
    file changed (PrimeBroker's ABI without PrimeLayout's new constant, after a pull): `make build`
    now compiles everything again whenever the hash of the sources differs from the last build's,
    and records it. The record is of these sources: no stale build is tested."""
    stamp = ROOT / ".build" / ".sources.sha256"
    if not stamp.exists():
        pytest.skip("not built by `make build` (no .build/.sources.sha256)")
    assert stamp.read_text().strip() == sources_hash()
