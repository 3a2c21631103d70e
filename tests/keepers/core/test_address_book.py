"""CON-88: the deployment record's address book (`accounts`: the names of accounts that are not
its contracts), `quantera deployments name`, and the describer and the console's `named` filter
that show those names beside the address."""

import json
from pathlib import Path

import pytest
from jinja2 import Environment

from keepers.cli import main
from keepers.console.describe import for_record
from keepers.console.render import FILTERS
from keepers.core.deployments import (
    DeploymentError,
    DeploymentRecord,
    load,
    name_accounts,
    save,
)

MANAGER = "0x" + "ab" * 20
CLIENT = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55's own example, checksummed
LOWER = CLIENT.lower()


@pytest.fixture
def record_dir(tmp_path):
    directory = tmp_path / "deployments"
    save(
        DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}),
        directory / "ethereum-local.json",
    )
    return directory


def test_record__without_names__has_no_accounts_key__with_names__round_trips(tmp_path):
    path = tmp_path / "r.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    assert "accounts" not in json.loads(path.read_text())  # records written before read the same
    name_accounts(path, {LOWER: "  Harbor pension plan "})
    assert json.loads(path.read_text())["accounts"] == {CLIENT: "Harbor pension plan"}
    assert load(path).accounts == {CLIENT: "Harbor pension plan"}
    name_accounts(path, {CLIENT: "Harbor pension plan, 2027"})  # named again: replaced
    assert load(path).accounts == {CLIENT: "Harbor pension plan, 2027"}


@pytest.mark.parametrize(
    ("address", "name", "why"),
    [
        ("0x1234", "Harbor", "is not an address"),
        (CLIENT, "", "account name ''"),
        (CLIENT, "x" * 65, "1 to 64 Latin letters"),
        (CLIENT, "<script>alert(1)</script>", "account name"),
        (CLIENT, "line\nbreak", "account name"),
        (MANAGER, "Not the manager", "is a contract of the record"),
        # helper-81 M3: names that pass for something else.
        (CLIENT, "QuanteraAccessManager", "a contract's or a role's name"),
        (CLIENT, "admin", "a contract's or a role's name"),
        (CLIENT, "Harbor) (ADMIN", "account name"),
        (CLIENT, "ADMIN; GUARDIAN", "account name"),
        # helper-82: what still passed for roles, contracts and addresses.
        (CLIENT, "ADMIN, GUARDIAN", "a contract's or a role's name"),
        (CLIENT, "Admin.", "a contract's or a role's name"),
        (CLIENT, "QuanteraAccessManager.", "a contract's or a role's name"),
        (CLIENT, "0X52908400098527886E0F7030069857D2E4169EE7", "no address"),
        (CLIENT, "52908400098527886e0f7030069857d2e4169ee7", "no address"),
        (CLIENT, "Ox52908400098527886E0F", "no address"),
        (CLIENT, "0x52908400098527886E0F7030069857D2E4169EE7", "no address"),
        (CLIENT, "Нarbor pension plan", "account name"),  # a Cyrillic H
        (CLIENT, "Ｈarbor", "account name"),  # fullwidth
        (CLIENT, "Harbor\u3164plan", "account name"),  # an invisible Hangul filler
        (CLIENT, "Harbor\u202eplan", "account name"),  # a right-to-left override
        (CLIENT, None, "account name None"),
        (CLIENT, 7, "account name 7"),
        # helper-81 L6: a mistyped checksum, the zero address.
        ("0x52908400098527886E0F7030069857D2E4169Ee7", "Harbor", "wrong EIP-55 checksum"),
        ("0x" + "00" * 20, "Nobody", "the zero address"),
    ],
)
def test_name_accounts__bad_input__refused_with_its_reason__nothing_written(
    tmp_path, address, name, why
):
    path = tmp_path / "r.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    before = path.read_text()
    with pytest.raises(DeploymentError, match=why.replace("(", r"\(")):
        name_accounts(path, {CLIENT: "Fine name", address: name})
    assert path.read_text() == before


def test_cli__deployments_name__then_show__lists_the_named_account(record_dir, capsys):
    args = ["deployments", "name", LOWER, "Ashford insurer", "--dir", str(record_dir), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == {"address": CLIENT, "name": "Ashford insurer"}
    assert main(["deployments", "show", "--dir", str(record_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accounts"] == {CLIENT: "Ashford insurer"}
    # Bad input: one line, exit 1, the record untouched.
    assert main(["deployments", "name", MANAGER, "Oops", "--dir", str(record_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "contract of the record" in err
    assert load(record_dir / "ethereum-local.json").accounts == {CLIENT: "Ashford insurer"}


def test_describer_and_named_filter__name_a_book_account__a_contract_keeps_its_record_name():
    describer = for_record(
        {"QuanteraAccessManager": MANAGER},
        {},
        accounts={CLIENT: "Harbor pension plan", MANAGER: "shadowed"},
    )
    assert describer.address(LOWER) == f"{CLIENT} (Harbor pension plan)"
    assert describer.name(MANAGER) == "QuanteraAccessManager"
    env = Environment(autoescape=True)
    env.filters.update(FILTERS)
    template = env.from_string("{{ a|named }}|{{ a|named(6) }}|{{ b|named }}|{{ c|named }}")
    shown = template.render(a=CLIENT, b="0x" + "cd" * 20, c="not an address", names=describer.names)
    assert shown == (
        f"{CLIENT} (Harbor pension plan)|0x5290…9EE7 (Harbor pension plan)|0x{'cd' * 20}|"
        "not an address"
    )
    # Without names in the context (a page rendered before the record was read): bare.
    assert env.from_string("{{ a|named }}").render(a=CLIENT) == CLIENT


def test_name_accounts__one_name_per_account__accents_accepted(tmp_path):
    """helper-81 M3: two accounts under one name cannot be told apart on a screen."""
    path = tmp_path / "r.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    name_accounts(path, {CLIENT: "Société Générale, Paris"})
    other = "0x" + "cd" * 20
    with pytest.raises(DeploymentError, match="already names another account"):
        name_accounts(path, {other: "société générale, paris"})
    with pytest.raises(DeploymentError, match="already names another account"):
        name_accounts(path, {other: "Twin", "0x" + "ef" * 20: "Twin"})
    name_accounts(path, {CLIENT: "Société Générale, Paris"})  # its own name again: fine
    assert load(path).accounts == {CLIENT: "Société Générale, Paris"}


def test_save__a_new_deployment_at_the_path__starts_without_the_old_names__mode_kept(tmp_path):
    """helper-82: a save merged the old record's names into a new deployment's (`--fresh`, another
    chain), and the atomic write made the record 0600 (keepers running as another user could not
    read it)."""
    path = tmp_path / "r.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    path.chmod(0o644)
    name_accounts(path, {CLIENT: "Harbor pension plan"})
    assert path.stat().st_mode & 0o777 == 0o644
    save(DeploymentRecord("ethereum:local", 31337, 9, {"QuanteraAccessManager": MANAGER}), path)
    assert load(path).accounts == {}
    assert path.stat().st_mode & 0o777 == 0o644


def test_forget_and_a_bad_entry_on_disk__the_record_still_loads(tmp_path, capsys, caplog):
    """helper-82: no name could be removed (a mistyped one kept its name forever), and one entry
    no longer showable (hand-edited, or written by an older rule) made the whole record unloadable:
    every tool stopped. The entry is now left out with a warning; a name can be removed."""
    path = tmp_path / "ethereum-local.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    name_accounts(path, {CLIENT: "Harbor pension plan"})
    data = json.loads(path.read_text())
    data["accounts"]["0x" + "cd" * 20] = "Northfield bank treasury (lender)"
    path.write_text(json.dumps(data))
    assert load(path).accounts == {CLIENT: "Harbor pension plan"}
    assert "address book entry left out" in caplog.text
    assert main(["deployments", "unname", LOWER, "--dir", str(tmp_path)]) == 0
    assert load(path).accounts == {}
    assert main(["deployments", "unname", LOWER, "--dir", str(tmp_path)]) == 1
    assert "has no name in the record's address book" in capsys.readouterr().err


def test_name_accounts__waits_for_the_records_lock():
    """helper-82: nothing showed the lock works. A writer holding the records' folder lock keeps
    `name_accounts` waiting until it is released; then the name is written."""
    import tempfile
    import threading

    from keepers.core.deployments import _records_locked

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.json"
        save(DeploymentRecord("ethereum:local", 1337, 4, {}), path)
        with _records_locked(path):
            writer = threading.Thread(target=name_accounts, args=(path, {CLIENT: "Harbor"}))
            writer.start()
            writer.join(timeout=0.5)
            assert writer.is_alive()  # waiting for the lock
            assert load(path).accounts == {}
        writer.join(timeout=30)
        assert not writer.is_alive() and load(path).accounts == {CLIENT: "Harbor"}


def test_save__a_writer_holding_an_older_copy__keeps_the_names_written_meanwhile(tmp_path):
    """helper-81 M2: the deploy script holds the record for its whole run; its next save erased
    every name written meanwhile. A save now keeps the address book on disk (names are
    `name_accounts`' to write, under the records' lock), and its own copy's names where the disk
    has none; the writers' temporary files are their own."""
    path = tmp_path / "r.json"
    save(DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": MANAGER}), path)
    deploying = load(path)  # the deploy script's copy, from before the name
    name_accounts(path, {CLIENT: "Harbor pension plan"})
    deploying.contracts["IdentityRegistry"] = "0x" + "12" * 20
    save(deploying, path)
    again = load(path)
    assert again.accounts == {CLIENT: "Harbor pension plan"}
    assert again.contracts["IdentityRegistry"] == "0x" + "12" * 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temporary file left


def test_describer__a_named_account__decodes_as_any_address__roles_kept_beside_its_name():
    """helper-81 M1 and L4: an address-book account was taken for a record contract without an
    ABI, so a call to it decoded as "not a function of ..." (and `console sign --allow-target`
    refused it); an account holding a role lost the role to its name."""
    from eth_abi import encode
    from eth_utils import function_signature_to_4byte_selector

    abi = [
        {
            "type": "function",
            "name": "addKey",
            "inputs": [
                {"name": "key", "type": "bytes32"},
                {"name": "purpose", "type": "uint256"},
                {"name": "keyType", "type": "uint256"},
            ],
            "outputs": [],
            "stateMutability": "nonpayable",
        }
    ]
    describer = for_record(
        {"QuanteraAccessManager": MANAGER},
        {"Identity": abi},
        accounts={CLIENT: "Harbor pension plan"},
    )
    data = function_signature_to_4byte_selector("addKey(bytes32,uint256,uint256)") + encode(
        ["bytes32", "uint256", "uint256"], [b"\x01" * 32, 1, 1]
    )
    shown = describer.call(CLIENT, data)
    assert shown.startswith("addKey(") and "not a function" not in shown, shown
    with_roles = describer.with_roles({0: [CLIENT]})
    assert with_roles.address(CLIENT) == f"{CLIENT} (Harbor pension plan; ADMIN)"


def test_usd_filter__money_for_a_number__as_num_writes_anything_else():
    """Issue 33 §2 ("USD as money"): the pages' USD figures were bare numbers."""
    from keepers.console.render import fmt_usd

    assert fmt_usd(1234.567) == "$1,234.57" and fmt_usd(-12) == "-$12.00"
    assert fmt_usd(0.5, 4) == "$0.5000" and fmt_usd(2**70) == f"${2**70:,.2f}"
    assert fmt_usd(None) == "—" and fmt_usd("x") == "x" and fmt_usd(float("nan")) == "nan"
    assert fmt_usd(2**1100) == f"${2**1100}"  # past a float: the integer, still total


def test_load__json_nested_past_a_record__refused_before_it_is_parsed(tmp_path):
    """A file nested 100,000 deep (`[[[…`) in the records' folder crashed `governance roles` with a
    segmentation fault when parsed from deep in a call stack (the C parser recurses per level):
    it is refused, one DeploymentError, before any parsing; a record's own strings may hold any
    brackets."""
    from keepers.core.deployments import DeploymentError, load

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DeploymentError, match="nests deeper than"):
        load(deep)
    fine = tmp_path / "ethereum-local.json"
    record = '{"network": "ethereum:local", "chain_id": 1337, "contracts": {"A[[{": "0x01"}}'
    fine.write_text(record)
    assert load(fine).contracts == {"A[[{": "0x01"}
