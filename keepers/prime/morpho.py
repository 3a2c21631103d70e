"""Morpho Blue, the prime-brokerage baseline (issue 19): the real contract from its npm package
(`keepers.prime.morpho_artifacts`), deployed and configured in small steps like every domain's:
Morpho (owner: the deployer) with its interest-rate models and LLTVs enabled, an oracle adapter per
(collateral, loan) pair reading the OracleRouter (`contracts/prime/MorphoOracleAdapter.sol`), and
markets. `deploy_morpho_baseline` builds the stack the gas benchmark and the differential test
share: WETH collateral, a USDC loan, one market without interest and one with the package's IRM.

Interest-rate models: Morpho's production IRM (AdaptiveCurveIrm) lives in a repository that is
not on npm; the package ships `IrmMock` (x % APR at x % utilisation, stateless), used here, and
Morpho allows the zero address (no interest), used where the maths must be interest-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from keepers.core.deploying import ZERO_ADDRESS, Deployment
from keepers.core.units import FEED_DECIMALS, WAD
from keepers.prime.morpho_artifacts import morpho_container

# Morpho's market LLTV for WETH/USDC on Ethereum (86 %), in WAD.
LLTV_86 = 86 * WAD // 100
IRM_NONE = "none"
IRM_MOCK = "IrmMock"
BASELINE_PRICES_USD = {"USDC": 1.0, "WETH": 3_000.0}


@dataclass(frozen=True)
class MarketParams:
    """Morpho's `MarketParams`: a market is the hash of these five (`id`)."""

    loan_token: str
    collateral_token: str
    oracle: str
    irm: str
    lltv: int

    def as_tuple(self) -> tuple[str, str, str, str, int]:
        return (self.loan_token, self.collateral_token, self.oracle, self.irm, self.lltv)

    @property
    def id(self) -> bytes:
        """`MarketParamsLib.id`: keccak256 of the ABI-encoded params."""
        return keccak(
            encode(["address", "address", "address", "address", "uint256"], self.as_tuple())
        )


@dataclass
class MorphoBaseline:
    """The deployed baseline: Morpho, its tokens, feeds and oracle adapter, markets by IRM name."""

    morpho: Any
    loan: Any
    collateral: Any
    router: Any
    feeds: dict[str, Any]
    oracle: Any
    markets: dict[str, MarketParams]


def morpho_at(address: str) -> Any:
    return morpho_container("Morpho").at(address)


def deploy_morpho(d: Deployment, lltvs: tuple[int, ...] = (LLTV_86,)) -> Any:
    """Morpho (owner: the sender), `IrmMock` deployed, the zero IRM and `IrmMock` enabled, and each
    of `lltvs` enabled (each step skipped when already done)."""
    morpho = morpho_at(
        d.deploy("Morpho", lambda: d.sender.deploy(morpho_container("Morpho"), d.sender.address))
    )
    irm = d.deploy(f"Morpho.{IRM_MOCK}", lambda: d.sender.deploy(morpho_container("IrmMock")))
    steps = [
        (f"enable IRM {address} on Morpho", lambda a=address: morpho.enableIrm(a, sender=d.sender))
        for address in (ZERO_ADDRESS, irm)
        if not morpho.isIrmEnabled(address)
    ]
    steps += [
        (f"enable LLTV {lltv} on Morpho", lambda v=lltv: morpho.enableLltv(v, sender=d.sender))
        for lltv in lltvs
        if not morpho.isLltvEnabled(lltv)
    ]
    d.run(steps)
    return morpho


def irm_address(d: Deployment, irm: str) -> str:
    """The address of an IRM by name: `IRM_NONE` (zero: no interest) or `IRM_MOCK`."""
    return ZERO_ADDRESS if irm == IRM_NONE else d.address(f"Morpho.{irm}")


def deploy_oracle_adapter(
    d: Deployment, router: Any, collateral: Any, loan: Any, label: str
) -> Any:
    """The Morpho oracle of (collateral, loan) on `router` (`MorphoOracleAdapter.<label>`)."""
    return d.deploy_contract(
        f"MorphoOracleAdapter.{label}", "MorphoOracleAdapter", router, collateral, loan
    )


def create_market(d: Deployment, morpho: Any, params: MarketParams) -> MarketParams:
    """Creates the market of `params` unless it exists (`lastUpdate` set at creation)."""
    if morpho.market(params.id).lastUpdate == 0:
        d.run(
            [
                (
                    f"create the Morpho market {params.id.hex()}",
                    lambda: morpho.createMarket(params.as_tuple(), sender=d.sender),
                )
            ]
        )
    return params


def list_collateral(
    d: Deployment,
    stack: MorphoBaseline,
    collateral: Any,
    symbol: str,
    price_usd: float,
    irms: tuple[str, ...] = (IRM_MOCK,),
    lltv: int = LLTV_86,
) -> tuple[Any, dict[str, MarketParams]]:
    """`collateral` against the stack's loan token: a reporter feed (`PriceFeed.<symbol>`) at
    `price_usd` set on the router (as GOVERNOR: the sender still admin), an oracle adapter
    (`MorphoOracleAdapter.<symbol>-<loan symbol>`) and a market per IRM of `irms` at `lltv` (an
    LLTV `deploy_morpho` enabled). Returns the adapter and the markets by IRM name."""
    from keepers.risk import deploy_feeds, feed_config, set_feeds

    feeds = deploy_feeds(d, {symbol: round(price_usd * 10**FEED_DECIMALS)})
    set_feeds(d, stack.router, {symbol: (collateral.address, feed_config(feeds[symbol].address))})
    stack.feeds.update(feeds)
    oracle = deploy_oracle_adapter(
        d, stack.router, collateral, stack.loan, f"{symbol}-{stack.loan.symbol()}"
    )
    markets = {
        irm: create_market(
            d,
            stack.morpho,
            MarketParams(
                stack.loan.address, collateral.address, oracle.address, irm_address(d, irm), lltv
            ),
        )
        for irm in irms
    }
    return oracle, markets


def deploy_morpho_baseline(
    d: Deployment, prices_usd: dict[str, float] | None = None, lltv: int = LLTV_86
) -> MorphoBaseline:
    """The baseline stack on `d` (its access manager deployed, the sender admin): a USDC
    stablecoin (the loan token), the OracleRouter with a reporter feed per token at `prices_usd`,
    Morpho, and WETH9 listed as collateral (`list_collateral`) in two markets at `lltv`, one per
    IRM (`IRM_NONE`, `IRM_MOCK`)."""
    from keepers.liquidity import container
    from keepers.risk import deploy_feeds, deploy_oracle, feed_config, set_feeds
    from keepers.vault import deploy_stablecoin

    prices_usd = prices_usd or BASELINE_PRICES_USD
    loan = deploy_stablecoin(d, "USDC")
    router = deploy_oracle(d)
    feeds = deploy_feeds(d, {"USDC": round(prices_usd["USDC"] * 10**FEED_DECIMALS)})
    set_feeds(d, router, {"USDC": (loan.address, feed_config(feeds["USDC"].address))})
    morpho = deploy_morpho(d, (lltv,))
    weth = container("WETH9").at(d.deploy("WETH9", lambda: d.sender.deploy(container("WETH9"))))
    stack = MorphoBaseline(morpho, loan, weth, router, feeds, oracle=None, markets={})
    stack.oracle, stack.markets = list_collateral(
        d, stack, weth, "WETH", prices_usd["WETH"], (IRM_NONE, IRM_MOCK), lltv
    )
    return stack
