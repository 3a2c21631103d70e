"""CON-88: the deployment record's address book (`accounts`: the names of accounts that are not
its contracts), `quantera deployments name`, and the describer and the console's `named` filter
that show those names beside the address."""

import json

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
    name_accounts(path, {CLIENT: "Harbor pension plan (2027)"})  # named again: replaced
    assert load(path).accounts == {CLIENT: "Harbor pension plan (2027)"}


@pytest.mark.parametrize(
    ("address", "name", "why"),
    [
        ("0x1234", "Harbor", "is not an address"),
        (CLIENT, "", "account name ''"),
        (CLIENT, "x" * 65, "1 to 64 letters"),
        (CLIENT, "<script>alert(1)</script>", "account name"),
        (CLIENT, "line\nbreak", "account name"),
        (MANAGER, "Not the manager", "is a contract of the record"),
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


def test_record__malformed_address_book__one_clear_error(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {"network": "n", "chain_id": 1, "contracts": {}, "accounts": {CLIENT: "<b>x</b>"}}
        )
    )
    with pytest.raises(DeploymentError, match="account name '<b>x</b>'"):
        load(path)


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
