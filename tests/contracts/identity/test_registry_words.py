"""FND-15: the words the identity registry stores and hands out are the layouts its value types
describe. A wallet's record and the claim settings, read raw with `get_storage`, and the investor
words the engine receives (`investorWords`), decoded by the Python mirror
(tests/contracts/words.py),
say what the registry's views say (`identity`, `investorCountry`, `profileOf`, `investorOf`,
`claimsEpoch`, ...), after every step of a scenario that moves every field."""

from compliance_fixtures import ACCREDITED, DE, FAR_FUTURE, FR, QUALIFIED, RETAIL, US
from keepers.access.roles import ROLE_IDS
from words import (
    CLAIMS,
    INVESTOR,
    REGISTRY_CLAIMS_SLOT,
    REGISTRY_WALLETS_SLOT,
    WALLET,
    mapping_slot,
    stored_word,
)

KYC_TOPIC = 7


def assert_stored_words_are_the_views(chain, registry, wallets):
    claims = CLAIMS.decode(stored_word(chain, registry, REGISTRY_CLAIMS_SLOT))
    assert (claims["epoch"], claims["cacheTtl"], bool(claims["required"])) == (
        registry.claimsEpoch(),
        registry.claimCacheTtl(),
        registry.claimsRequired(),
    )
    now = chain.blocks.head.timestamp
    for wallet in wallets:
        record = WALLET.decode(
            stored_word(chain, registry, mapping_slot(wallet, REGISTRY_WALLETS_SLOT))
        )
        identity = f"0x{record['identity']:040x}"
        profile = registry.profileOf(identity)
        assert identity == registry.identity(wallet).lower()
        assert (
            record["country"],
            record["investorClass"],
            record["claimsEpoch"],
            bool(record["frozen"]),
        ) == (
            registry.investorCountry(wallet),
            profile.investorClass,
            profile.claimsEpoch % 2**24,
            profile.frozen,
        )
        # The record's fields mean what the registry says: its own verdict, recomputed from them.
        verified = (
            not record["frozen"]
            and record["identity"] != 0
            and record["validUntil"] >= now
            and (not claims["required"] or record["claimsEpoch"] == claims["epoch"])
        )
        investor = registry.investorOf(wallet)
        assert verified == investor.verified
        # The engine's word for the wallet: the record's low bits and the two flags.
        word = INVESTOR.decode(registry.investorWords(wallet, wallet)[0])
        assert (
            f"0x{word['identity']:040x}",
            word["country"],
            word["investorClass"],
            bool(word["verified"]),
            bool(word["frozen"]),
        ) == (
            investor.identity.lower(),
            investor.country,
            investor.investorClass,
            investor.verified,
            investor.frozen,
        )


def test_registry_words__scenario_moving_every_field__raw_slots_decode_to_the_views(
    stack, onboard, investors, accounts, deployer, registry, governor, operator, freezer, chain
):
    manager = stack[0]
    manager.grantRole(ROLE_IDS["COMPLIANCE_KEEPER"], freezer, 0, sender=deployer)
    alice, bob, carol = investors
    second = accounts[15]
    kyc_soon = chain.pending_timestamp + 1_000
    onboard(alice, US, ACCREDITED)
    alice_identity = registry.identity(alice)
    onboard(bob, DE, RETAIL, kyc_expiry=kyc_soon)
    onboard(carol, FR, QUALIFIED)
    registry.registerIdentity(
        second, alice_identity, US, sender=operator
    )  # a second wallet of alice
    wallets = (alice, bob, carol, second)
    registry.setClaimCacheTtl(12_345, sender=governor)
    assert_stored_words_are_the_views(chain, registry, wallets)
    record = WALLET.decode(stored_word(chain, registry, mapping_slot(bob, REGISTRY_WALLETS_SLOT)))
    assert record["validUntil"] == kyc_soon  # claims not required: the KYC expiry

    registry.freeze(second, sender=freezer)  # the whole identity: both of alice's records
    registry.setInvestorProfile(alice_identity, US, QUALIFIED, FAR_FUTURE - 1, sender=operator)
    assert_stored_words_are_the_views(chain, registry, wallets)
    assert registry.investorOf(alice).frozen and not registry.investorOf(alice).verified

    registry.addClaimTopic(
        KYC_TOPIC, sender=governor
    )  # a new epoch, claims required: nobody verified
    chain.pending_timestamp = kyc_soon + 1
    chain.mine()  # bob's KYC expired
    assert_stored_words_are_the_views(chain, registry, wallets)

    registry.unfreeze(alice, sender=operator)
    registry.removeClaimTopic(KYC_TOPIC, sender=governor)
    assert_stored_words_are_the_views(chain, registry, wallets)
    assert registry.investorOf(carol).verified and not registry.investorOf(bob).verified
    assert registry.claimsEpoch() == 2 and not registry.claimsRequired()
