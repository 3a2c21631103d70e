"""EIP-712 rebalance intents and their M-of-N signer check (docs/specs.md RBL-4)."""

import ape
import pytest
from eth_account import Account

from keepers.rebalancing.intent import RebalanceIntent, sign_intent

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DOMAIN = "QuanteraLibraryHarness"


@pytest.fixture(scope="module")
def keys():
    accounts = [Account.create(f"signal signer {i}") for i in range(3)]
    return sorted(accounts, key=lambda a: int(a.address, 16))


def intent(nonce=1):
    return RebalanceIntent(
        "0x" + "f0" * 20, 7, (2_000, 3_000, 5_000), 50, nonce, 2**40, b"\x01" * 32, b"\x02" * 32
    )


def signed(keys, chosen, chain_id, contract, the_intent=None):
    the_intent = the_intent or intent()
    signatures = [
        sign_intent(the_intent, keys[i].key, DOMAIN, chain_id, contract)[1] for i in chosen
    ]
    return [keys[i].address for i in chosen], signatures


def test_intent__digest_matches_eth_account(harness, chain, keys):
    digest, _ = sign_intent(intent(), keys[0].key, DOMAIN, chain.chain_id, harness.address)
    assert bytes(harness.intentDigest(intent().as_tuple())) == digest


def test_intent__quorum_two_of_three__and_every_refusal(harness, chain, keys, deployer):
    for key in keys:
        harness.setSigner(key.address, True, sender=deployer)
    the_intent = intent().as_tuple()
    signers, signatures = signed(keys, [0, 2], chain.chain_id, harness.address)
    assert harness.requireIntentQuorum(the_intent, signers, signatures, 2)
    with ape.reverts(harness.QuorumNotMet, signatures=2, threshold=3):
        harness.requireIntentQuorum(the_intent, signers, signatures, 3)
    with ape.reverts(harness.SignersNotAscending):  # duplicates are never ascending
        harness.requireIntentQuorum(
            the_intent, [signers[0], signers[0]], [signatures[0], signatures[0]], 2
        )
    with ape.reverts(harness.SignersNotAscending):
        harness.requireIntentQuorum(the_intent, signers[::-1], signatures[::-1], 2)
    stranger = Account.create("not a signer")
    other = sign_intent(intent(), stranger.key, DOMAIN, chain.chain_id, harness.address)[1]
    with ape.reverts(harness.SignerNotAuthorised, signer=stranger.address):
        harness.requireIntentQuorum(the_intent, [stranger.address], [other], 1)
    # Signed for another chain, another contract, or another nonce: not this intent's signature.
    for chain_id, contract, nonce in (
        (chain.chain_id + 1, harness.address, 1),
        (chain.chain_id, deployer.address, 1),
        (chain.chain_id, harness.address, 2),
    ):
        _, wrong = signed(keys, [0], chain_id, contract, intent(nonce))
        with ape.reverts(harness.InvalidSigner, expectedSigner=signers[0]):
            harness.requireIntentQuorum(the_intent, signers[:1], wrong, 1)
    # The same signature with s' = n - s (and the other v) recovers the same key: refused.
    r, s, v = signatures[0][:32], int.from_bytes(signatures[0][32:64], "big"), signatures[0][64]
    malleable = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    with ape.reverts(harness.InvalidSigner, expectedSigner=signers[0]):
        harness.requireIntentQuorum(the_intent, signers[:1], [malleable], 1)
    harness.setSigner(keys[0].address, False, sender=deployer)  # revoked: no longer counts
    with ape.reverts(harness.SignerNotAuthorised, signer=keys[0].address):
        harness.requireIntentQuorum(the_intent, signers, signatures, 2)
