"""Liquidity domain (contracts/liquidity): the venues (the real Uniswap deployments `artifacts` and
`deploy`, the RFQ market maker's quotes `rfq` and `market_maker`) and the smart order router over
them: quotes from the aggregator in one batched call (`router`), the split that maximises output
net of gas (`split`), multi-hop paths over the token graph (`graph`), the packed route (`codec`),
the fill log (`fills`), submission (`submit`) and `quantera route` (`cli`); the arbitrage keeper
that keeps the pools near the oracle's market (`arbitrage`, its bot `bot`).

Other domains and the demo import the names below from `keepers.liquidity` only (loaded on first
use, so the quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.liquidity.arbitrage import ArbitrageKeeper
    from keepers.liquidity.artifacts import container
    from keepers.liquidity.cli import execute_plan, token_addresses
    from keepers.liquidity.codec import decode_route, encode_legs, encode_route
    from keepers.liquidity.deploy import (
        LiquidityDeployment,
        deploy_adapters,
        deploy_aggregator,
        deploy_liquidity,
        deploy_rfq_venue,
        deploy_uniswap,
        list_sources,
        seed_v3_position,
    )
    from keepers.liquidity.fills import Fill, decode_fills
    from keepers.liquidity.market_maker import MarketMaker
    from keepers.liquidity.router import Router, Source, sources_from_record

_PUBLIC = {
    "ArbitrageKeeper": "arbitrage",
    "container": "artifacts",
    "Fill": "fills",
    "LiquidityDeployment": "deploy",
    "MarketMaker": "market_maker",
    "Router": "router",
    "decode_fills": "fills",
    "decode_route": "codec",
    "deploy_adapters": "deploy",
    "deploy_aggregator": "deploy",
    "deploy_liquidity": "deploy",
    "deploy_rfq_venue": "deploy",
    "deploy_uniswap": "deploy",
    "encode_legs": "codec",
    "encode_route": "codec",
    "execute_plan": "cli",
    "list_sources": "deploy",
    "seed_v3_position": "deploy",
    "Source": "router",
    "sources_from_record": "router",
    "token_addresses": "cli",
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
