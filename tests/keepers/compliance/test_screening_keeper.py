"""CMP-11, SEC-1: the screening keeper on a real deployment freezes a listed wallet once — in the
identity registry, so every wallet of its identity, for every token and the fund's shares — never
repeats a decision after a restart, and completes a decision left pending by a crash."""

import os
import signal

from conftest import BIN, wait_for
from keepers.compliance import store as compliance_store
from keepers.core import store
from keepers.core.deployments import load, record_path
from keepers.demo.processes import ProcessGroup

LISTED = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"  # sample entry 90001 (test account 18)
LISTED_2 = "0x7F367cC41522cE07553e823bf3be79A889DEbe1B"  # sample entry 90002
SAME_IDENTITY = "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E"  # test account 17: not on the list
FAR_FUTURE = 2**40 - 1


def test_screening_keeper__restart__no_repeat_and_pending_decisions_completed(
    deployed_anvil, tmp_path, monkeypatch
):
    from ape import accounts, networks, project

    network = f"ethereum:local:{deployed_anvil}"
    db_url = f"sqlite:///{tmp_path / 'keeper.sqlite'}"
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(tmp_path))
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(tmp_path),
        QUANTERA_DB_URL=db_url,
        SILVERBACK_SIGNER_ALIAS="TEST::6",
    )
    engine = store.open_store(db_url)
    group = ProcessGroup(tmp_path)
    bot_argv = [str(BIN / "silverback"), "run", "keepers.compliance.bot:bot", "--network", network]
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
        token = project.SecurityToken.at(record.address_of("SecurityToken"))
        operator, agent = accounts.test_accounts[3], accounts.test_accounts[5]
        registry.registerInvestor(LISTED, "0x" + "0e" * 20, 756, 4, FAR_FUTURE, sender=operator)
        registry.registerInvestor(
            SAME_IDENTITY, "0x" + "0e" * 20, 756, 4, FAR_FUTURE, sender=operator
        )
        token.unpause(sender=agent)
        token.mint(SAME_IDENTITY, 10**18, sender=agent)
        try:
            bot = group.start("screening-1", bot_argv, env=env)
            wait_for(
                lambda: registry.isFrozen(LISTED),
                "the keeper's freeze",
                tmp_path / "screening-1.log",
            )
            # Identity-wide: the unlisted wallet of the same investor cannot move its tokens either.
            assert registry.isFrozen(SAME_IDENTITY) and not registry.isVerified(SAME_IDENTITY)
            # SENDER_FROZEN
            assert token.detectTransferRestriction(SAME_IDENTITY, LISTED_2, 10**18) == 2
            # The freeze is mined before the keeper records it done (pending -> done after the
            # receipt).
            wait_for(
                lambda: [d.status for d in compliance_store.decisions(engine, 1337)] == ["done"],
                "the decision done",
                tmp_path / "screening-1.log",
            )
            [decision] = compliance_store.decisions(engine, 1337)
            assert (decision.wallet, decision.ent_num, decision.status, decision.action) == (
                LISTED,
                90001,
                "done",
                "frozen",
            )
            group.stop(bot, signal.SIGINT)

            # A compliance officer clears the wallet; a pending decision is left as if by a crash.
            registry.unfreeze(LISTED, sender=operator)
            registry.registerInvestor(
                LISTED_2, "0x" + "0f" * 20, 756, 2, FAR_FUTURE, sender=operator
            )
            compliance_store.record_decision(
                engine,
                {
                    "chain_id": 1337,
                    "wallet": LISTED_2,
                    "ent_num": 90002,
                    "entry_name": "x",
                    "program": "p",
                    "list_source": "sample",
                    "list_version": "v",
                    "decided_at": 0,
                    "block_number": 0,
                    "action": "freeze",
                    "status": "pending",
                    "tx_hash": None,
                },
            )

            bot = group.start("screening-2", bot_argv, env=env)
            wait_for(
                lambda: registry.isFrozen(LISTED_2),
                "the pending freeze",
                tmp_path / "screening-2.log",
            )
            wait_for(
                lambda: not compliance_store.decisions(engine, 1337, "pending"),
                "no decision pending",
                tmp_path / "screening-2.log",
            )
            decisions = compliance_store.decisions(engine, 1337)
            assert [(d.wallet, d.status) for d in decisions] == [
                (LISTED, "done"),
                (LISTED_2, "done"),
            ]
            # the cleared wallet is not frozen again: no repeated decision
            assert not registry.isFrozen(LISTED)
            assert not token.isFrozen(LISTED)  # and the keeper never touches per-token freezes
        finally:
            group.stop_all()
