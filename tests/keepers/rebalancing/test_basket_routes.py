"""RBL-21 (keeper side): a plan goes to the chain as a NAV-desk basket only when every trade is one
leg of one hop through the same venue."""

from keepers.rebalancing.keeper import basket_venue

DESK = "0x" + "ab" * 20
POOL = "0x" + "cd" * 20
QTF, QOIL = "0x" + "01" * 20, "0x" + "02" * 20


def single(venue, token):
    return [[1, [[venue, token, "0x"]]]]


def test_basket_venue__every_trade_one_hop_at_the_desk__the_desk():
    assert basket_venue([single(DESK, QTF), single(DESK.upper().replace("0X", "0x"), QOIL)]) == DESK


def test_basket_venue__another_venue_a_split_or_two_hops__none():
    assert basket_venue([single(DESK, QTF), single(POOL, QOIL)]) is None
    assert (
        basket_venue([single(DESK, QTF), [[1, [[DESK, QTF, "0x"]]], [1, [[POOL, QTF, "0x"]]]]])
        is None
    )
    assert basket_venue([[[1, [[DESK, QOIL, "0x"], [POOL, QTF, "0x"]]]]]) is None
    assert basket_venue([]) is None
