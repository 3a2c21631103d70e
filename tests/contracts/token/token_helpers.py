"""A SecurityToken deployed by hand, for the tests of its constructor and of a token without an
engine (the protocol's tokens come from keepers/compliance/deploy.py's step)."""

from keepers.core.deploying import ZERO_ADDRESS


def bare_token(project, deployer, stack, module: str):
    """A SecurityToken "BARE" on the stack's authority and registry, with no engine and no agent,
    on the admin `module`."""
    manager, registry, _, _ = stack
    return deployer.deploy(
        project.SecurityToken,
        manager,
        "Bare",
        "BARE",
        18,
        registry,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        module,
    )
