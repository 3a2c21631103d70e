"""FND-15: the words the SecurityToken stores are the layouts its value types describe
(`contracts/types/TokenWords.sol`). Its core word and its wallets' account words, read raw with
`get_storage` and decoded by the Python mirror (tests/contracts/words.py), say what its views say
(`compliance`, `paused`, `balanceOf`, `getFrozenTokens`, `isFrozen`) after mints, transfers, partial
and whole freezes, a forced transfer that unfreezes, a pause and a recovery."""

from compliance_fixtures import ACCREDITED, DE, UNIT, US
from words import ACCOUNT, CORE, TOKEN_ACCOUNTS_SLOT, TOKEN_CORE_SLOT, mapping_slot, stored_word


def assert_stored_words_are_the_views(chain, token, wallets):
    core = CORE.decode(stored_word(chain, token, TOKEN_CORE_SLOT))
    assert (f"0x{core['compliance']:040x}", bool(core["paused"])) == (
        token.compliance().lower(),
        token.paused(),
    )
    for wallet in wallets:
        account = ACCOUNT.decode(
            stored_word(chain, token, mapping_slot(wallet, TOKEN_ACCOUNTS_SLOT))
        )
        assert (account["balance"], account["frozenTokens"], bool(account["frozen"])) == (
            token.balanceOf(wallet),
            token.getFrozenTokens(wallet),
            token.isFrozen(wallet),
        )


def test_token_words__mint_transfer_freeze_pause_recover__raw_words_decode_to_the_views(
    chain, token, agent, freezer, onboard, registry, investors, accounts
):
    alice, bob, _ = investors
    new_wallet = accounts[9]
    wallets = (alice, bob, new_wallet)
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, ACCREDITED)
    onboard(new_wallet, US, ACCREDITED, identity=registry.identity(alice))
    assert_stored_words_are_the_views(chain, token, wallets)
    token.mint(alice, 100 * UNIT, sender=agent)
    token.mint(bob, 7 * UNIT, sender=agent)
    token.transfer(bob, 30 * UNIT, sender=alice)
    token.freezePartialTokens(alice, 60 * UNIT, sender=freezer)
    token.setAddressFrozen(alice, True, sender=freezer)
    assert_stored_words_are_the_views(chain, token, wallets)
    # A seizure from the frozen wallet (nothing credits a frozen one, SEC-68): unfreezes 5.
    token.forcedTransfer(alice, bob, 15 * UNIT, sender=agent)
    token.unfreezePartialTokens(alice, 20 * UNIT, sender=agent)
    token.pause(sender=agent)
    assert_stored_words_are_the_views(chain, token, wallets)
    assert token.getFrozenTokens(alice) == 35 * UNIT and token.balanceOf(bob) == 52 * UNIT
    token.recoveryAddress(alice, new_wallet, registry.identity(alice), sender=agent)
    assert_stored_words_are_the_views(chain, token, wallets)
    assert token.isFrozen(alice) and token.balanceOf(new_wallet) == 55 * UNIT
    assert token.isFrozen(new_wallet)  # the recovery carried the wallet's freeze
