"""The prime broker's test files' shared fixtures: the deployed stack as `p`, and the red team's
`matured` book (test_prime_broker_red_team_3.py's `mature_notes`: 600 notes posted, 39,000 USDC
borrowed, the redemption started before it was funded)."""

from __future__ import annotations

import pytest


@pytest.fixture
def p(prime_stack):
    return prime_stack


@pytest.fixture
def matured(p, bond, agent):
    """(note, LUSDC, USDC, borrowed) after `mature_notes`."""
    from test_prime_broker_red_team_3 import mature_notes

    return mature_notes(p, bond, agent)
