"""FND-12, FND-13: deploying to a live network as an operator does, unattended, with a keyfile
account.

The chain is an anvil standing in for Sepolia: chain id 11155111, a block a second and no instant
mining (a transaction waits for its block), and ape's Sepolia setting of 2 confirmations, so every
transaction of the deploy script really waits for two later blocks. The deployer is an Ape keyfile
account in a private APE_DATA_FOLDER, unlocked by APE_ACCOUNTS_<alias>_PASSPHRASE (or, in one run,
by the passphrase typed once). Before deploying,
the test deploys the price feeds (ReporterPriceFeed, one answer each) and the tokens the feeds file
names, as the operator's Chainlink feeds and tokens would already exist on the live network.
"""

import json
import os
import signal
import subprocess
from types import SimpleNamespace

import pytest
import yaml
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from conftest import BIN, SUBPROCESS_TIMEOUT_SECONDS, wait_for
from keepers.access import DEFAULT_UPGRADE_DELAY
from keepers.access.roles import ROLE_IDS
from keepers.demo.processes import ProcessGroup, rpc, start_anvil

SEPOLIA_CHAIN_ID = 11155111
NETWORK_NAME = "ethereum:sepolia"
ALIAS, PASSPHRASE = "deployer", "correct horse battery staple"
DEPLOYER = Account.from_key(keccak(text="quantera live deployment test"))
PAUPER = Account.from_key(keccak(text="quantera live deployment test: unfunded"))
# Anvil's default accounts: 1 owns the stand-in feeds and tokens; 2-4 are the protocol's role
# holders.
FEED_OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
GOVERNOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
GUARDIAN = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
OPERATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
ADMIN = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # anvil's 5: ADMIN, handed over at the end
ROLES = ["--governor", GOVERNOR, "--guardian", GUARDIAN, "--operator", OPERATOR, "--admin", ADMIN]
LIVE_CONTRACTS = {
    "QuanteraAccessManager",
    "UpgradeAuthority",
    "IdentityRegistry",
    "TokenAdmin",  # recorded as TokenAdmin.<code hash> (`live_names`)
    "PortfolioBasket",  # recorded as PortfolioBasket.<code hash>
    "ComplianceAdmin",  # recorded as ComplianceAdmin.<code hash>
    "PortfolioAdmin",  # recorded as PortfolioAdmin.<code hash>
    "SecurityToken",
    "ComplianceEngine",
    "OracleRouter",
    "RiskEngine",
    "RiskLens",
    "PortfolioVault",
    "ComplianceEngine.shares",
    "SettlementAssets",
    "TermsValidator",
    "InstrumentRegistry",
    # Behind a GovernedProxy (issue 34): the proxy under the name, the code under `.implementation`.
    "OracleRouter.implementation",
    "RiskEngine.implementation",
    "InstrumentRegistry.implementation",
    "SettlementAssets.implementation",
    "PortfolioVault.implementation",
}


def live_names(contracts: dict) -> set[str]:
    """The record's names, a module recorded under its code hash (`TokenAdmin.<hash>`,
    `PortfolioBasket.<hash>`) by its contract's name."""
    modules = ("TokenAdmin.", "PortfolioBasket.", "ComplianceAdmin.", "PortfolioAdmin.")
    return {name.split(".")[0] if name.startswith(modules) else name for name in contracts}


# Ape polls for confirmations every int(block_time / 2) seconds: 2 makes it poll each second on this
# one-second chain (its Sepolia default of 15 would sleep 7 s per transaction). Confirmations and
# the live base-fee multiplier are ape's Sepolia defaults, stated because this replaces the section.
APE_SEPOLIA = json.dumps({"block_time": 2, "required_confirmations": 2, "base_fee_multiplier": 1.4})


def artifact(name: str) -> dict:
    return json.loads((BIN.parent.parent / ".build" / "__local__.json").read_text())[
        "contractTypes"
    ][name]


def send(url: str, sender: str, to: str | None, data: bytes) -> str:
    tx = {"from": sender, "data": "0x" + data.hex(), **({"to": to} if to else {})}
    return rpc(url, "eth_sendTransaction", [tx])


def receipt(url: str, tx_hash: str) -> dict:
    got = wait_for(
        lambda: rpc(url, "eth_getTransactionReceipt", [tx_hash]), f"the receipt of {tx_hash}"
    )
    assert int(got["status"], 16) == 1, got
    return got


def deploy_raw(url: str, contracts: list[tuple[str, list[str], list]]) -> list[str]:
    """Deploys each (artifact name, constructor types, arguments) from FEED_OWNER, all sent before
    any is awaited."""
    sent = [
        send(
            url,
            FEED_OWNER,
            None,
            bytes.fromhex(artifact(name)["deploymentBytecode"]["bytecode"][2:])
            + encode(types, args),
        )
        for name, types, args in contracts
    ]
    return [to_checksum_address(receipt(url, tx)["contractAddress"]) for tx in sent]


def call(url: str, to: str, signature: str, types: list[str], args: list, returns: list[str]):
    data = keccak(text=signature)[:4] + encode(types, args)
    return decode(
        returns,
        bytes.fromhex(rpc(url, "eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])[2:]),
    )


def nonce(url: str, address: str) -> int:
    return int(rpc(url, "eth_getTransactionCount", [address, "latest"]), 16)


def write_keyfile(data_folder, alias: str, account) -> None:
    """What `ape accounts import` writes: an encrypted keyfile named after the alias."""
    folder = data_folder / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{alias}.json").write_text(json.dumps(Account.encrypt(account.key, PASSPHRASE)))


@pytest.fixture(scope="module")
def sepolia(tmp_path_factory):
    """The stand-in chain with the deployer's keyfile, the feeds and tokens deployed, and the
    feeds file's content (`feeds`) naming them."""
    logs = tmp_path_factory.mktemp("sepolia")
    group = ProcessGroup(logs)
    try:
        url = start_anvil(group, SEPOLIA_CHAIN_ID, mixed_mining=False)
        data_folder = logs / "ape"
        write_keyfile(data_folder, ALIAS, DEPLOYER)
        write_keyfile(data_folder, "pauper", PAUPER)
        rpc(url, "anvil_setBalance", [DEPLOYER.address, hex(10**18)])
        [manager] = deploy_raw(url, [("QuanteraAccessManager", ["address"], [FEED_OWNER])])
        prices = {"USDC": 1, "QTF": 100, "QSPX": 1500, "QNDX": 2500, "QOIL": 80}
        # QTF is the compliance stack's token, which the deployment makes: the file names no token
        # for it.
        with_token = [symbol for symbol in prices if symbol != "QTF"]
        deployed = deploy_raw(
            url,
            [
                *(
                    (
                        "ReporterPriceFeed",
                        ["address", "uint8", "string"],
                        [manager, 8, f"{s} / USD"],
                    )
                    for s in prices
                ),
                *(
                    (
                        "LocalStablecoin",
                        ["address", "string", "string"],
                        [manager, f"{s} (stand-in)", s],
                    )
                    for s in with_token
                ),
            ],
        )
        feeds = {
            symbol: {"primary": feed, "heartbeat": 86400, "min_price": 10**17, "max_price": 10**22}
            for symbol, feed in zip(prices, deployed)
        }
        for symbol, token in zip(with_token, deployed[len(prices) :]):
            feeds[symbol]["token"] = token
        # The owner is the feeds' admin: `report` is ADMIN's until mapped to another role.
        reports = [
            send(
                url,
                FEED_OWNER,
                feeds[symbol]["primary"],
                keccak(text="report(int256)")[:4] + encode(["int256"], [price * 10**8]),
            )
            for symbol, price in prices.items()
        ]
        for tx in reports:
            receipt(url, tx)
        env = dict(
            os.environ,
            APE_DATA_FOLDER=str(data_folder),
            APE_ETHEREUM_SEPOLIA=APE_SEPOLIA,
            **{f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE": PASSPHRASE},
        )
        yield SimpleNamespace(url=url, network=f"{NETWORK_NAME}:{url}", env=env, feeds=feeds)
    finally:
        group.stop_all()


def deploy_argv(chain, *extra: str, account: str = ALIAS) -> list[str]:
    return [
        str(BIN / "ape"),
        "run",
        "deploy",
        "all",
        "--network",
        chain.network,
        "--account",
        account,
        "--yes",
        *extra,
    ]


def prepare(chain, directory, feeds: dict | None) -> dict:
    """The environment of a deployment recording in `directory`, with `feeds` as its feeds file."""
    directory.mkdir(parents=True, exist_ok=True)
    if feeds is not None:
        (directory / "feeds.ethereum-sepolia.yaml").write_text(yaml.safe_dump(feeds))
    return dict(chain.env, QUANTERA_DEPLOYMENTS_DIR=str(directory))


def run_deploy(
    chain,
    directory,
    *extra: str,
    feeds: dict | None = None,
    account: str = ALIAS,
    env: dict | None = None,
    typed: str | None = None,
) -> subprocess.CompletedProcess:
    """Runs the deployment to its end. `typed`: what the operator types, the passphrase variable
    unset (no terminal: the run is a session of its own, so the prompt reads standard input)."""
    env = {**prepare(chain, directory, feeds), **(env or {})}
    if typed is not None:
        del env[f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE"]
    return subprocess.run(
        deploy_argv(chain, *extra, account=account),
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        start_new_session=True,
        **({"input": typed} if typed is not None else {"stdin": subprocess.DEVNULL}),
    )


def assert_one_line_failure(run: subprocess.CompletedProcess, *expected: str) -> str:
    output = run.stdout + run.stderr
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    assert run.returncode != 0 and "Traceback" not in output and len(errors) == 1, output
    assert all(text in errors[0] for text in expected), errors[0]
    return errors[0]


def test_deploy_live__inputs_wrong__one_line_error_before_any_transaction(sepolia, tmp_path):
    nonces = nonce(sepolia.url, DEPLOYER.address), nonce(sepolia.url, PAUPER.address)

    missing = run_deploy(
        sepolia,
        tmp_path / "missing",
        "--governor",
        GOVERNOR.lower(),
        "--guardian",
        GOVERNOR,
        "--upgrade-delay",
        "3600",
        "--admin-delay",
        "60",
        account="pauper",
    )
    assert_one_line_failure(
        missing,
        "no transaction sent",
        "feeds.ethereum-sepolia.yaml is missing",
        f"--governor {GOVERNOR.lower()} is not checksummed",
        "--operator is required",
        "--admin is required",
        "--upgrade-delay 3600 is below the UpgradeAuthority's floor (172800s)",
        "--admin-delay 60 is below --upgrade-delay 3600",
        f"deployer {PAUPER.address} holds 0.000000 ETH",
    )

    feeds = json.loads(json.dumps(sepolia.feeds))
    feeds["QSPX"]["primary"] = GUARDIAN  # an account, not a feed
    feeds["QOIL"]["token"] = feeds["QOIL"]["token"].lower()
    feeds["QNDX"]["min_price"] = 10**23
    del feeds["USDC"]
    wrong = run_deploy(sepolia, tmp_path / "wrong", *ROLES, feeds=feeds)
    assert_one_line_failure(
        wrong,
        "no entry for USDC",
        "QOIL.token",
        "is not checksummed",
        "QNDX.min_price 100000000000000000000000 is above max_price",
        f"QSPX.primary {GUARDIAN} has no code on this chain",
    )

    bad_passphrase = run_deploy(
        sepolia,
        tmp_path / "passphrase",
        *ROLES,
        feeds=sepolia.feeds,
        env={f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE": "wrong"},
    )
    assert_one_line_failure(
        bad_passphrase,
        f"cannot unlock '{ALIAS}': wrong passphrase",
        f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE",
    )

    assert (nonce(sepolia.url, DEPLOYER.address), nonce(sepolia.url, PAUPER.address)) == nonces
    assert not list(tmp_path.rglob("ethereum-sepolia.json"))


def read_record(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # not written yet (writes are atomic)
        return {}


def creations_and_failures(url: str, sender: str) -> tuple[dict[str, int], list[str]]:
    """Every contract `sender` created (a transaction without `to`) with its block, and its
    transactions that reverted, over the whole chain."""
    created, reverted = {}, []
    for number in range(int(rpc(url, "eth_blockNumber"), 16) + 1):
        for tx in rpc(url, "eth_getBlockByNumber", [hex(number), True])["transactions"]:
            if tx["from"].lower() != sender.lower():
                continue
            got = rpc(url, "eth_getTransactionReceipt", [tx["hash"]])
            if int(got["status"], 16) != 1:
                reverted.append(tx["hash"])
            elif tx["to"] is None:
                assert to_checksum_address(got["contractAddress"]) not in created
                created[to_checksum_address(got["contractAddress"])] = number
    return created, reverted


def run_until(chain, directory, log_path, condition, what: str) -> dict:
    """Runs the deployment until `condition(record)` holds (polled, with a deadline), then kills it
    with SIGKILL, as a crash or an operator's kill -9 would. Returns the record at that moment."""
    record_file = directory / "ethereum-sepolia.json"
    with open(log_path, "w") as log:
        run = subprocess.Popen(
            deploy_argv(chain, *ROLES),
            env=prepare(chain, directory, chain.feeds),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:

            def reached() -> dict:
                if run.poll() is not None:
                    pytest.fail(
                        f"the run ended ({run.returncode}) before {what}: "
                        f"{log_path.read_text()[-2000:]}"
                    )
                record = read_record(record_file)
                return record if record and condition(record) else {}

            record = wait_for(reached, what, log_path)
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait(timeout=10)
    assert run.returncode == -signal.SIGKILL
    return record


def test_deploy_live__killed_twice_then_rerun__completes_from_the_record_without_deploying_twice(
    sepolia, tmp_path
):
    directory = tmp_path / "deployments"

    def deployment_in_flight(record: dict) -> bool:
        """Three contracts recorded and a fourth pending, its transaction sent (the nonce it was
        recorded with is taken): the kill lands between sending a deployment and recording it."""
        pending = list(record.get("pending", {}).values())
        return (
            len(record["contracts"]) == 3
            and len(pending) == 1
            and int(rpc(sepolia.url, "eth_getTransactionCount", [DEPLOYER.address, "pending"]), 16)
            > pending[0]["nonce"]
        )

    first = run_until(
        sepolia,
        directory,
        tmp_path / "first.log",
        deployment_in_flight,
        "a fourth deployment sent by the first run",
    )
    [(in_flight_name, in_flight)] = first["pending"].items()

    def configuring(record: dict) -> bool:
        """Every contract recorded, and the router given some of its feeds but not all: the kill
        lands in the middle of the configuration, the deployer holding GOVERNOR for it."""
        if live_names(record["contracts"]) != LIVE_CONTRACTS:
            return False
        router = record["contracts"]["OracleRouter"]
        primaries = [
            call(
                sepolia.url,
                router,
                "feedOf(address)",
                ["address"],
                [entry["token"]],
                ["(address,uint32,address,uint32,uint16,uint128,uint128)"],
            )[0][0]
            for entry in sepolia.feeds.values()
            if "token" in entry
        ]
        return 0 < sum(int(p, 16) != 0 for p in primaries) < len(primaries)

    second = run_until(
        sepolia, directory, tmp_path / "second.log", configuring, "the second run configuring feeds"
    )
    assert (
        f"{in_flight_name} found at {in_flight['address']} (deployed by an interrupted run)"
        in (tmp_path / "second.log").read_text()
    )
    assert all(second["contracts"][name] == address for name, address in first["contracts"].items())

    # The operator completes it typing the passphrase once, for every transaction left.
    third = run_deploy(sepolia, directory, *ROLES, typed=PASSPHRASE + "\n")
    output = third.stdout + third.stderr
    assert third.returncode == 0 and "Traceback" not in output, output
    assert output.count(f"Passphrase of '{ALIAS}'") == 1 and "Sign:" not in output
    final = json.loads((directory / "ethereum-sepolia.json").read_text())
    assert final["chain_id"] == SEPOLIA_CHAIN_ID and "pending" not in final
    assert final["contracts"] == second["contracts"]
    assert final["contracts"][in_flight_name] == in_flight["address"]
    created, reverted = creations_and_failures(sepolia.url, DEPLOYER.address)
    assert sorted(created) == sorted(final["contracts"].values()) and reverted == []
    assert final["block"] <= min(created.values())  # keepers reading logs from it miss nothing

    # What the feeds file names is what the protocol uses, and the deployer kept nothing: ADMIN
    # went to --admin.
    contracts = final["contracts"]
    tokens = {
        symbol: entry.get("token", contracts["SecurityToken"])
        for symbol, entry in sepolia.feeds.items()
    }
    for symbol, token in tokens.items():
        (config,) = call(
            sepolia.url,
            contracts["OracleRouter"],
            "feedOf(address)",
            ["address"],
            [token],
            ["(address,uint32,address,uint32,uint16,uint128,uint128)"],
        )
        assert to_checksum_address(config[0]) == sepolia.feeds[symbol]["primary"], symbol
    (listed,) = call(sepolia.url, contracts["PortfolioVault"], "assets()", [], [], ["address[]"])
    assert [to_checksum_address(a) for a in listed] == list(tokens.values())

    def roles_of(account: str) -> set[str]:
        return {
            role
            for role, role_id in ROLE_IDS.items()
            if call(
                sepolia.url,
                contracts["QuanteraAccessManager"],
                "hasRole(uint64,address)",
                ["uint64", "address"],
                [role_id, account],
                ["bool", "uint32"],
            )[0]
        }

    assert roles_of(DEPLOYER.address) == set() and "ADMIN" in roles_of(ADMIN)
    # Upgrades are the governor's, each run a week after it is proposed (UPG-2): the notice is
    # the UpgradeAuthority's own.
    assert "UPGRADER" in roles_of(GOVERNOR)
    (notice,) = call(sepolia.url, contracts["UpgradeAuthority"], "NOTICE()", [], [], ["uint32"])
    assert notice == DEFAULT_UPGRADE_DELAY

    # Complete: one more run finds everything done and sends nothing.
    sent = nonce(sepolia.url, DEPLOYER.address)
    again = run_deploy(sepolia, directory, *ROLES)
    assert again.returncode == 0, again.stdout + again.stderr
    assert nonce(sepolia.url, DEPLOYER.address) == sent

    # UPG-6: `ape run upgrade` on the deployment it made: nothing pending; a veto of an id never
    # proposed, and a proposal of a contract behind no proxy, refused in one line, nothing sent.
    env = prepare(sepolia, directory, None)

    def upgrade(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "ape"), "run", "upgrade", *argv, "--network", sepolia.network],
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )

    status = upgrade("status")
    assert status.returncode == 0 and "no upgrade pending" in status.stdout, status.stderr
    assert_one_line_failure(
        upgrade("veto", "0x" + "ab" * 32, "--safe", GOVERNOR), "is not pending (status 0)"
    )
    assert_one_line_failure(
        upgrade("propose", "TermsValidator", "TermsValidator", GOVERNOR, "--safe", GOVERNOR),
        "TermsValidator: the deployment has no such proxy",
    )
    # The router is behind one: an implementation with no code is refused, in one line.
    assert_one_line_failure(
        upgrade("propose", "OracleRouter", "OracleRouter", GOVERNOR, "--safe", GOVERNOR),
        f"{GOVERNOR} has no code",
    )
    # UPG-10's operators' path on a deployment with no migration: one line, nothing prepared.
    for argv in (("status",), ("batch", "--safe", GOVERNOR)):
        migrate = subprocess.run(
            [str(BIN / "ape"), "run", "migrate_token", argv[0], "SecurityToken", *argv[1:]]
            + ["--network", sepolia.network],
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
        assert_one_line_failure(migrate, "no TokenMigrator.SecurityToken in the deployment record")
    assert nonce(sepolia.url, DEPLOYER.address) == sent
