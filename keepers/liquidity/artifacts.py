"""The real Uniswap contracts, from the compiled artifacts their npm packages ship (no look-alikes).

V2 pairs and V3 pools are created by their factories, so their init-code hashes match what
Router02 (`UniswapV2Library.pairFor`) and the V3 periphery (`PoolAddress`) compute.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from keepers.core.artifacts import load_contract_type
from keepers.core.errors import QuanteraError

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# name -> (package, path of the artifact inside the package)
ARTIFACTS = {
    "UniswapV2Factory": ("@uniswap/v2-core", "build/UniswapV2Factory.json"),
    "UniswapV2Pair": ("@uniswap/v2-core", "build/UniswapV2Pair.json"),
    "UniswapV2Router02": ("@uniswap/v2-periphery", "build/UniswapV2Router02.json"),
    "WETH9": ("@uniswap/v2-periphery", "build/WETH9.json"),
    "UniswapV3Factory": (
        "@uniswap/v3-core",
        "artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    ),
    "UniswapV3Pool": (
        "@uniswap/v3-core",
        "artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    ),
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery",
        "artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ),
    "SwapRouter": ("@uniswap/v3-periphery", "artifacts/contracts/SwapRouter.sol/SwapRouter.json"),
    "QuoterV2": ("@uniswap/v3-periphery", "artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json"),
}


@cache
def contract_type(name: str):
    """The ethpm ContractType of a Uniswap artifact (ABI + creation and runtime bytecode)."""
    if name not in ARTIFACTS:
        raise QuanteraError(f"unknown Uniswap artifact {name!r} (known: {', '.join(ARTIFACTS)})")
    package, relative = ARTIFACTS[name]
    return load_contract_type(name, NODE_MODULES / package / relative)


def container(name: str):
    """An ape ContractContainer for `name`: `.at(address)`, or `account.deploy(container, ...)`."""
    from ape.contracts import ContractContainer

    return ContractContainer(contract_type(name))
