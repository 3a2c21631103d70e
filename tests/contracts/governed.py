"""A contract built behind a GovernedProxy in a test, as the deploy routines build it
(keepers.access.deploy_managed): the implementation, then the proxy whose constructor sets its
authority (AuthorityInit's `initialize`). The deploy routines are the way; this is for the tests
that build a contract beside a deployment (another router, an empty desk)."""

from __future__ import annotations

from typing import Any


def behind_proxy(sender: Any, container: Any, *args: Any, authority: Any, owner: Any = None) -> Any:
    """`container` built with `args` behind a GovernedProxy whose ProxyAdmin `owner` (default: the
    sender) owns, its authority `authority`. Returns the contract at the proxy's address."""
    from ape import project

    code = sender.deploy(container, *args)
    init = code.initialize.encode_input(authority)
    proxy = sender.deploy(project.GovernedProxy, code, owner or sender, init)
    return container.at(proxy.address)
