"""Prime brokerage domain (contracts/prime): the broker's deploy steps, its lending pools' deploy
steps, and the margin arithmetic in Python (`model`).

Other domains, the CLI and the demo import these names from `keepers.prime` only."""

from keepers.core.exports import lazy_exports

_DEPLOY = {
    name: "broker_deploy"
    for name in (
        "PRIME_IDENTITY",
        "CollateralTerms",
        "configure_prime",
        "deploy_prime_broker",
        "prime_steps",
    )
}
__all__ = [*sorted(_DEPLOY)]
__getattr__ = lazy_exports(__name__, _DEPLOY)
