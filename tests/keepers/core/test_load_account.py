"""`--account TEST::<n>` names any local test account (issue 33 §1: TEST::27, a demo institution,
crashed with IndexError: ape lists 24), derived from the same mnemonic as the ones ape lists; a
malformed one is a one-line error."""

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from keepers.core.chain import load_account
from keepers.core.errors import QuanteraError

# Anvil's default mnemonic (ape-config.yaml `test.mnemonic`), m/44'/60'/0'/0/n.
ACCOUNT_23 = "0x5E661B79FE2D3F6cE70F5AAC07d8Cd9abb2743F1"
ACCOUNT_27 = "0x87BdCE72c06C21cd96219BD8521bDF1F42C78b5e"


def test_load_account__test_accounts_past_ape_s_list__derived_from_the_mnemonic():
    assert load_account("TEST::23").address == ACCOUNT_23  # the last one ape lists
    account = load_account("test::27")
    assert (account.address, account.alias) == (ACCOUNT_27, "TEST::27")
    # It holds the key, not only the address: it signs as that address.
    message = encode_defunct(text="quantera")
    signature = account.sign_message(message)
    assert Account.recover_message(message, signature=signature.encode_rsv()) == ACCOUNT_27


@pytest.mark.parametrize("alias", ["TEST::", "TEST::x", "TEST::-1", "TEST::2.5"])
def test_load_account__malformed_test_alias__one_line_error(alias):
    with pytest.raises(QuanteraError, match="a test account is TEST::<n>"):
        load_account(alias)
