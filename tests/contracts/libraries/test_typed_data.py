"""FND-3, FND-4: EIP-712 hashing of arrays and signature checks."""

import ape
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from keepers.core.typed_data import typed_message as shared_typed_message

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ASSETS = [
    "0x0000000000000000000000000000000000000001",
    "0x0000000000000000000000000000000000000002",
]
WEIGHTS = [600_000_000_000_000_000, 400_000_000_000_000_000]
WEIGHTS_FIELDS = [
    {"name": "assets", "type": "address[]"},
    {"name": "weights", "type": "uint256[]"},
    {"name": "nonce", "type": "uint256"},
]


def typed_message(chain_id: int, verifying_contract: str, nonce: int = 7) -> dict:
    return shared_typed_message(
        "Weights",
        WEIGHTS_FIELDS,
        "QuanteraLibraryHarness",
        "1",
        chain_id,
        verifying_contract,
        {"assets": ASSETS, "weights": WEIGHTS, "nonce": nonce},
    )


@pytest.fixture(scope="module")
def signer():
    return Account.create("quantera-typed-data-test")


def sign(signer, chain_id, contract):
    return Account.sign_message(
        encode_typed_data(full_message=typed_message(chain_id, contract)), signer.key
    )


def test_digest__array_struct__matches_eth_account_reference(harness, chain, signer):
    expected = sign(signer, chain.chain_id, harness.address).message_hash
    assert harness.weightsDigest(ASSETS, WEIGHTS, 7) == expected


def test_signature__from_expected_signer__verifies(harness, chain, signer):
    signed = sign(signer, chain.chain_id, harness.address)
    assert harness.checkWeightsSignature(signer.address, ASSETS, WEIGHTS, 7, signed.signature)


def test_signature__for_another_chain__is_rejected(harness, chain, signer):
    signed = sign(signer, chain.chain_id + 1, harness.address)
    digest = harness.weightsDigest(ASSETS, WEIGHTS, 7)
    with ape.reverts(harness.InvalidSigner, expectedSigner=signer.address, digest=digest):
        harness.checkWeightsSignature(signer.address, ASSETS, WEIGHTS, 7, signed.signature)


def test_signature__for_another_contract__is_rejected(harness, chain, signer, outsider):
    signed = sign(signer, chain.chain_id, outsider.address)
    with ape.reverts(harness.InvalidSigner):
        harness.checkWeightsSignature(signer.address, ASSETS, WEIGHTS, 7, signed.signature)


def test_signature__malleable_high_s__is_rejected(harness, chain, signer):
    signed = sign(signer, chain.chain_id, harness.address)
    high_s = SECP256K1_N - signed.s
    flipped_v = 27 if signed.v == 28 else 28
    malleable = signed.r.to_bytes(32, "big") + high_s.to_bytes(32, "big") + bytes([flipped_v])
    digest = harness.weightsDigest(ASSETS, WEIGHTS, 7)
    with ape.reverts(harness.ECDSAInvalidSignatureS):
        harness.recoverStrict(digest, malleable)
    with ape.reverts(harness.InvalidSigner):
        harness.checkWeightsSignature(signer.address, ASSETS, WEIGHTS, 7, malleable)
