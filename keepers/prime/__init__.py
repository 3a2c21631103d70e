"""Prime-brokerage domain (contracts/prime): the broker's deploy steps (`broker_deploy`), the
lending pool's maths in Python (`pool_model`: the rate model, the compounded borrow index, scaled
debt and spread, and the pool's accounting replayed, no chain access) and its deploy steps
(`pool_deploy`), and the broker's margin arithmetic in Python (`model`). The Morpho Blue baseline
(issue 19): its artifacts built from the npm package (`morpho_artifacts`), its deployment
(`morpho`) and its liquidation rules as a model for the stress replay (`morpho_model`). The margin
keeper: its decisions (`margin`), the broker's reads (`book`), its chain side (`keeper`, run by
`bot`) and `quantera margin` (`cli`). A keeper's margin pass over accounts on chain for replays
(`replay`: the demo's prime act, the 2008 stress replay); the stress replay's pure parts
(`stress`: prices, books, the Morpho baseline) and its chain driver (`stress_replay`).

Other domains, the CLI and the demo import the names below from `keepers.prime` only (loaded on
first use)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.prime.book import BookView, PrimeBook, read_book, top_ups
    from keepers.prime.broker_deploy import (
        PRIME_IDENTITY,
        CollateralTerms,
        configure_prime,
        deploy_prime,
        deploy_prime_broker,
        identity_of,
        load_prime_spec,
        prime_steps,
    )
    from keepers.prime.keeper import MarginKeeper
    from keepers.prime.margin import MAX_LIQUIDATIONS_PER_BLOCK, choose_liquidation, plan_cycle
    from keepers.prime.model import NO_DEBT_RATIO
    from keepers.prime.morpho import (
        MarketParams,
        MorphoBaseline,
        deploy_morpho,
        deploy_morpho_baseline,
        list_collateral,
        morpho_at,
    )
    from keepers.prime.morpho_artifacts import morpho_container
    from keepers.prime.morpho_model import MorphoPathReplay, replay_morpho_path
    from keepers.prime.pool_deploy import LENDING_POOL, deploy_lending_pool, rate_model_steps
    from keepers.prime.pool_model import PoolModel, RateModel
    from keepers.prime.replay import (
        BORROW,
        DEPOSIT,
        REPAY,
        MarginEvent,
        MarginPass,
        action,
        hold,
        margin_pass,
    )
    from keepers.prime.stress import stress_headline

_PUBLIC = {name: "pool_model" for name in ("PoolModel", "RateModel")}
_PUBLIC.update(
    {
        name: "replay"
        for name in (
            "BORROW",
            "DEPOSIT",
            "REPAY",
            "MarginEvent",
            "MarginPass",
            "action",
            "hold",
            "margin_pass",
        )
    }
)
_PUBLIC["stress_headline"] = "stress"
_PUBLIC.update(
    {name: "pool_deploy" for name in ("LENDING_POOL", "deploy_lending_pool", "rate_model_steps")}
)
_PUBLIC.update(
    {
        name: "broker_deploy"
        for name in (
            "PRIME_IDENTITY",
            "CollateralTerms",
            "identity_of",
            "configure_prime",
            "deploy_prime_broker",
            "prime_steps",
            "deploy_prime",
            "load_prime_spec",
        )
    }
)
# The Morpho Blue baseline.
_MORPHO = {
    "MarketParams": "morpho",
    "MorphoBaseline": "morpho",
    "deploy_morpho": "morpho",
    "deploy_morpho_baseline": "morpho",
    "list_collateral": "morpho",
    "morpho_at": "morpho",
    "morpho_container": "morpho_artifacts",
    "MorphoPathReplay": "morpho_model",
    "replay_morpho_path": "morpho_model",
}
_PUBLIC.update(_MORPHO)
_PUBLIC.update({"PrimeBook": "book", "MarginKeeper": "keeper"})
# The book as a screen reads it, over either transport of keepers.core.reads (the console's page).
_PUBLIC.update({name: "book" for name in ("BookView", "read_book", "top_ups")})
_PUBLIC["NO_DEBT_RATIO"] = "model"
_PUBLIC.update(
    {name: "margin" for name in ("MAX_LIQUIDATIONS_PER_BLOCK", "choose_liquidation", "plan_cycle")}
)
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
