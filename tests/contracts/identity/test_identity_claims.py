"""CMP-8 (and CMP-2, CMP-10, SEC-5): ONCHAINID interoperability with the real `@onchain-id/solidity`
2.2.1 contracts.

The registry checks ERC-735 claims from trusted issuers, asks the trusted issuer itself (never the
issuer an identity reports: ERC-3643 #101), and refuses claims bound to another chain or registry.
"""

import json
from pathlib import Path

import ape
import pytest
from ape.contracts import ContractContainer
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from ethpm_types import ContractType

from compliance_fixtures import ACCREDITED, FAR_FUTURE, UNIT, US

KYC_TOPIC = 1
ARTIFACTS = Path("node_modules/@onchain-id/solidity/artifacts/contracts")


def container(name: str) -> ContractContainer:
    artifact = json.loads((ARTIFACTS / f"{name}.sol" / f"{name}.json").read_text())
    return ContractContainer(
        ContractType.model_validate(
            {
                "contractName": name,
                "abi": artifact["abi"],
                "deploymentBytecode": {"bytecode": artifact["bytecode"]},
                "runtimeBytecode": {"bytecode": artifact["deployedBytecode"]},
            }
        )
    )


def claim_data(chain_id: int, registry: str, valid_until: int) -> bytes:
    return encode(["uint256", "address", "uint64"], [chain_id, registry, valid_until])


def sign_claim(key, identity: str, topic: int, data: bytes) -> bytes:
    digest = keccak(encode(["address", "uint256", "bytes"], [identity, topic, data]))
    return key.sign_message(encode_defunct(primitive=digest)).signature


@pytest.fixture
def issuer_key():
    return Account.create("trusted-kyc-provider")


@pytest.fixture
def claim_issuer(deployer, issuer_key):
    issuer = deployer.deploy(container("ClaimIssuer"), deployer)
    issuer.addKey(keccak(encode(["address"], [issuer_key.address])), 3, 1, sender=deployer)
    return issuer


@pytest.fixture
def registry(stack, governor, claim_issuer):
    registry = stack[1]
    registry.addClaimTopic(KYC_TOPIC, sender=governor)
    registry.setTrustedIssuer(claim_issuer, [KYC_TOPIC], sender=governor)
    return registry


@pytest.fixture
def investor_identity(investors):
    alice = investors[0]
    return alice.deploy(container("Identity"), alice, False)


def add_claim(identity, holder, issuer, key, data):
    signature = sign_claim(key, identity.address, KYC_TOPIC, data)
    identity.addClaim(KYC_TOPIC, 1, issuer, signature, data, "", sender=holder)


def test_verify_claims__valid_claim_from_trusted_issuer__wallet_verified_until_earliest_expiry(
    chain, registry, operator, investors, investor_identity, claim_issuer, issuer_key, stack, agent
):
    alice = investors[0]
    valid_until = chain.pending_timestamp + 10 * 86_400
    add_claim(
        investor_identity,
        alice,
        claim_issuer,
        issuer_key,
        claim_data(chain.chain_id, registry.address, valid_until),
    )
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    assert not registry.isVerified(alice)  # claims required, none checked yet
    receipt = registry.verifyClaims(investor_identity, sender=alice)
    [log] = receipt.decode_logs(registry.ClaimsVerified)
    assert log.validUntil == min(valid_until, receipt.timestamp + registry.claimCacheTtl())
    assert registry.isVerified(alice)
    stack[3].mint(alice, UNIT, sender=agent)
    assert stack[3].balanceOf(alice) == UNIT


def test_verify_claims__claim_bound_to_another_chain__not_verified(
    chain, registry, investors, investor_identity, claim_issuer, issuer_key, operator
):
    alice = investors[0]
    add_claim(
        investor_identity,
        alice,
        claim_issuer,
        issuer_key,
        claim_data(chain.chain_id + 1, registry.address, chain.pending_timestamp + 86_400),
    )
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    with ape.reverts(registry.ClaimNotVerified, identity=investor_identity, topic=KYC_TOPIC):
        registry.verifyClaims(investor_identity, sender=alice)


def test_verify_claims__claim_bound_to_another_registry__not_verified(
    chain, registry, investors, investor_identity, claim_issuer, issuer_key, operator, outsider
):
    alice = investors[0]
    add_claim(
        investor_identity,
        alice,
        claim_issuer,
        issuer_key,
        claim_data(chain.chain_id, outsider.address, chain.pending_timestamp + 86_400),
    )
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    with ape.reverts(registry.ClaimNotVerified):
        registry.verifyClaims(investor_identity, sender=alice)


def test_verify_claims__identity_names_an_untrusted_issuer__not_verified_erc3643_issue_101(
    chain, project, registry, investors, claim_issuer, operator, deployer
):
    alice = investors[0]
    attacker_key = Account.create("attacker")
    rogue_issuer = deployer.deploy(container("ClaimIssuer"), deployer)
    rogue_issuer.addKey(keccak(encode(["address"], [attacker_key.address])), 3, 1, sender=deployer)
    forged = deployer.deploy(project.ForgedClaimIdentity)
    data = claim_data(chain.chain_id, registry.address, chain.pending_timestamp + 86_400)
    signature = sign_claim(attacker_key, forged.address, KYC_TOPIC, data)
    assert rogue_issuer.isClaimValid(forged, KYC_TOPIC, signature, data)  # the rogue issuer vouches
    registry.registerInvestor(alice, forged, US, ACCREDITED, FAR_FUTURE, sender=operator)
    # (a) the identity reports the rogue issuer under the trusted issuer's claim id;
    forged.setAnswer(KYC_TOPIC, rogue_issuer, signature, data, sender=deployer)
    with ape.reverts(registry.ClaimNotVerified):
        registry.verifyClaims(forged, sender=alice)
    # (b) it reports the trusted issuer, but the signature is the rogue one's: the trusted issuer
    # says no.
    forged.setAnswer(KYC_TOPIC, claim_issuer, signature, data, sender=deployer)
    with ape.reverts(registry.ClaimNotVerified):
        registry.verifyClaims(forged, sender=alice)
    assert not registry.isVerified(alice)


def test_trusted_issuer_removed__cached_verification__invalidated_at_once(
    chain, registry, investors, investor_identity, claim_issuer, issuer_key, operator, governor
):
    alice = investors[0]
    add_claim(
        investor_identity,
        alice,
        claim_issuer,
        issuer_key,
        claim_data(chain.chain_id, registry.address, chain.pending_timestamp + 86_400),
    )
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    registry.verifyClaims(investor_identity, sender=alice)
    assert registry.isVerified(alice)
    receipt = registry.setTrustedIssuer(claim_issuer, [], sender=governor)
    [log] = receipt.decode_logs(registry.TrustedIssuerSet)
    assert list(log.previousTopics) == [KYC_TOPIC] and list(log.event_arguments["topics"]) == []
    assert not registry.isVerified(alice)
    assert registry.trustedIssuers() == []


def test_revoked_claim__reverification__fails(
    chain, registry, investors, investor_identity, claim_issuer, issuer_key, operator, deployer
):
    alice = investors[0]
    data = claim_data(chain.chain_id, registry.address, chain.pending_timestamp + 86_400)
    add_claim(investor_identity, alice, claim_issuer, issuer_key, data)
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    registry.verifyClaims(investor_identity, sender=alice)
    claim_issuer.revokeClaimBySignature(
        sign_claim(issuer_key, investor_identity.address, KYC_TOPIC, data), sender=deployer
    )
    with ape.reverts(registry.ClaimNotVerified):
        registry.verifyClaims(investor_identity, sender=alice)


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def reencodings(signature: bytes) -> list[bytes]:
    """Byte strings other than `signature` that ONCHAINID's ClaimIssuer (raw ecrecover, v in
    {0, 1} accepted) recovers to the same key: v - 27, and the high-s twin with v flipped."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = (SECP256K1_N - s).to_bytes(32, "big")
    flipped = 55 - v  # 27 <-> 28
    return [
        r + signature[32:64] + bytes([v - 27]),
        r + high_s + bytes([flipped]),
        r + high_s + bytes([flipped - 27]),
    ]


def test_revoked_claim__same_signature_reencoded__never_verifies_again(
    chain, registry, investors, investor_identity, claim_issuer, issuer_key, operator, deployer
):
    """SEC-5 (attacker's read, H1): ClaimIssuer revokes by signature bytes, and the same signature
    has other encodings its ecrecover accepts. The investor re-adds the revoked claim re-encoded
    (the identity's management key may) and asks the registry to verify it: refused."""
    alice = investors[0]
    data = claim_data(chain.chain_id, registry.address, chain.pending_timestamp + 86_400)
    signature = sign_claim(issuer_key, investor_identity.address, KYC_TOPIC, data)
    add_claim(investor_identity, alice, claim_issuer, issuer_key, data)
    registry.registerInvestor(alice, investor_identity, US, ACCREDITED, FAR_FUTURE, sender=operator)
    registry.verifyClaims(investor_identity, sender=alice)
    claim_issuer.revokeClaimBySignature(signature, sender=deployer)
    for forged in reencodings(signature):
        # The issuer's own check accepts the re-encoding: only the registry can refuse it.
        assert claim_issuer.isClaimValid(investor_identity, KYC_TOPIC, forged, data)
        investor_identity.addClaim(KYC_TOPIC, 1, claim_issuer, forged, data, "", sender=alice)
        with ape.reverts(registry.ClaimNotVerified):
            registry.verifyClaims(investor_identity, sender=alice)
