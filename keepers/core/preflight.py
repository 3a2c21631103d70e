"""What a deployment needs, checked before its first transaction.

`ape run deploy all` calls `check_options` and `load_feeds` (no chain access), then
`check_feeds_on_chain` and `check_balance`; each returns the problems it found as one-line strings,
so the script can stop with every problem on one line and no transaction sent.

The feeds file (`deployments/feeds.<ecosystem>-<network>.yaml`, live networks) maps every portfolio
symbol of keepers/data/portfolio.yaml to its token and Chainlink feed(s); see deployments/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from eth_abi import decode
from eth_utils import is_hex_address, keccak, to_checksum_address

from keepers.core.units import BPS

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_FEED_DECIMALS = 36  # OracleRouter.MAX_FEED_DECIMALS
MAX_TOKEN_DECIMALS = 36  # RiskEngine.MAX_DECIMALS
UINT32_MAX, UINT128_MAX = 2**32 - 1, 2**128 - 1
FEED_KEYS = {
    "token",
    "primary",
    "heartbeat",
    "secondary",
    "secondary_heartbeat",
    "max_deviation_bps",
    "min_price",
    "max_price",
}

DECIMALS = keccak(text="decimals()")[:4]
LATEST_ROUND_DATA = keccak(text="latestRoundData()")[:4]


def checksummed(label: str, value: str, problems: list[str]) -> str | None:
    """`value` if it is a non-zero address in its EIP-55 checksummed form; else notes why not."""
    if not isinstance(value, str) or not is_hex_address(value):
        problems.append(
            f"{label} {value!r} is not an address (0x and 40 hex digits, quoted in YAML)"
        )
        return None
    if value.lower() == ZERO_ADDRESS:
        problems.append(f"{label} is the zero address")
        return None
    if value != to_checksum_address(value):
        problems.append(
            f"{label} {value} is not checksummed (EIP-55: {to_checksum_address(value)})"
        )
        return None
    return value


def check_options(
    deployer: str, options: list[tuple[str, str | None]], required: tuple[str, ...]
) -> list[str]:
    """Address options as (`--governor`, address or None) pairs: each given one checksummed, the
    `required` ones present, and the holders that must differ distinct: the guardian only halts what
    the governor resumes; the deployer configures as a temporary delay-free governor, which an
    execution delay on its own governor role would break; a token agent with every capability
    cannot also be the freeze-only compliance keeper (each run would flip it); ADMIN is neither the
    governor nor the guardian."""
    problems: list[str] = []
    given: dict[str, str] = {}
    for option, value in options:
        if value is None:
            if option in required:
                problems.append(f"{option} is required on live networks")
        elif checksummed(option, value, problems):
            given.setdefault(option, value)

    def same(a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and a.lower() == b.lower()

    if same(given.get("--governor"), given.get("--guardian")):
        problems.append("--governor and --guardian must be different addresses")
    if same(given.get("--governor"), deployer):
        problems.append("--governor must not be the deploying account")
    # ADMIN can re-wire who upgrades and who vetoes (never the notice): on a live network it is
    # a key of its own, neither the governor's, the guardian's, nor the deploying hot key.
    for other in ("--governor", "--guardian"):
        if same(given.get("--admin"), given.get(other)):
            problems.append(f"--admin and {other} must be different addresses")
    if "--admin" in required and same(given.get("--admin"), deployer):
        problems.append("--admin must not be the deploying account")
    if same(given.get("--token-agent"), given.get("--compliance-keeper")):
        problems.append("--token-agent and --compliance-keeper must be different addresses")
    return problems


@dataclass(frozen=True)
class LiveAsset:
    """One portfolio asset on a live network: its token (None: the compliance stack's token, known
    once deployed) and the OracleRouter FeedConfig tuple for it."""

    symbol: str
    token: str | None
    feed: tuple

    @property
    def feeds(self) -> list[str]:
        return [a for a in (self.feed[0], self.feed[2]) if a != ZERO_ADDRESS]


def feeds_path(directory: Path, network_key: str) -> Path:
    """`ethereum:sepolia` -> <directory>/feeds.ethereum-sepolia.yaml."""
    return directory / f"feeds.{network_key.replace(':', '-')}.yaml"


def load_feeds(
    path: Path, symbols: list[str], compliance_symbol: str | None
) -> tuple[dict[str, LiveAsset], list[str]]:
    """Reads and checks the feeds file against the portfolio's symbols (every one present, no
    other); `compliance_symbol`'s token may be left out (it is the compliance stack's token).
    Returns the entries that are well-formed, and the problems found (one string for the file)."""
    if not path.is_file():
        return {}, [f"{path} is missing: live networks take token and feed addresses from it"]
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        return {}, [f"{path} is not valid YAML: {getattr(err, 'problem', None) or err}{where}"]
    if not isinstance(data, dict):
        return {}, [f"{path} must map each portfolio symbol to its token and feeds"]
    problems: list[str] = []
    missing = [s for s in symbols if s not in data]
    unknown = [str(s) for s in data if s not in symbols]
    if missing:
        problems.append(f"no entry for {', '.join(missing)}")
    if unknown:
        problems.append(f"{', '.join(unknown)} not in the portfolio ({', '.join(symbols)})")
    assets: dict[str, LiveAsset] = {}
    for symbol in symbols:
        if symbol in data:
            asset = _live_asset(symbol, data[symbol], symbol == compliance_symbol, problems)
            if asset is not None:
                assets[symbol] = asset
    tokens = [a.token.lower() for a in assets.values() if a.token]
    duplicated = sorted({t for t in tokens if tokens.count(t) > 1})
    if duplicated:
        problems.append(
            f"token {', '.join(to_checksum_address(t) for t in duplicated)} is named for more "
            "than one asset (the vault lists each token once)"
        )
    return assets, [f"{path}: {'; '.join(problems)}"] if problems else []


def _live_asset(symbol: str, entry, token_optional: bool, problems: list[str]) -> LiveAsset | None:
    if not isinstance(entry, dict):
        problems.append(
            f"{symbol} must be a mapping (token, primary, heartbeat, min_price, max_price, ...)"
        )
        return None
    before = len(problems)
    extra = sorted(set(map(str, entry)) - FEED_KEYS)
    if extra:
        problems.append(
            f"{symbol}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(FEED_KEYS))})"
        )

    def address(key: str, required: bool) -> str:
        if key not in entry:
            if required:
                problems.append(f"{symbol}.{key} is missing")
            return ZERO_ADDRESS
        return checksummed(f"{symbol}.{key}", entry[key], problems) or ZERO_ADDRESS

    def integer(key: str, low: int, high: int, required: bool) -> int:
        value = entry.get(key)
        if value is None:
            if required:
                problems.append(f"{symbol}.{key} is missing")
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{symbol}.{key} must be an integer in [{low}, {high}], not {value!r}")
            return 0
        return value

    if "token" in entry or not token_optional:
        token = address("token", True)
    else:
        token = None  # the compliance stack's token, deployed by this run
    primary = address("primary", True)
    heartbeat = integer("heartbeat", 1, UINT32_MAX, True)
    has_secondary = entry.get("secondary") is not None
    secondary = address("secondary", False) if has_secondary else ZERO_ADDRESS
    secondary_heartbeat = integer("secondary_heartbeat", 1, UINT32_MAX, has_secondary)
    deviation = integer("max_deviation_bps", 1, BPS, has_secondary)
    min_price = integer("min_price", 0, UINT128_MAX, True)
    max_price = integer("max_price", 1, UINT128_MAX, True)
    if min_price > max_price:
        problems.append(f"{symbol}.min_price {min_price} is above max_price {max_price}")
    if has_secondary and secondary.lower() == primary.lower():
        problems.append(f"{symbol}.secondary is the primary feed")
    if len(problems) > before:
        return None
    return LiveAsset(
        symbol,
        token,
        (
            primary,
            heartbeat,
            secondary,
            secondary_heartbeat if has_secondary else 0,
            deviation if has_secondary else 0,
            min_price,
            max_price,
        ),
    )


def check_feeds_on_chain(assets: dict[str, LiveAsset], provider) -> list[str]:
    """What `OracleRouter.setFeed` and `RiskEngine.configure` will require, read before sending:
    each token has code and answers `decimals()` (at most 36); each feed has code, answers
    `decimals()` (at most 36) and `latestRoundData()`. `provider` is ape's connected provider."""
    problems: list[str] = []
    for asset in assets.values():
        if asset.token is not None:
            _check_decimals(
                f"{asset.symbol}.token {asset.token}",
                asset.token,
                MAX_TOKEN_DECIMALS,
                provider,
                problems,
            )
        for key, feed in zip(("primary", "secondary"), asset.feeds):
            label = f"{asset.symbol}.{key} {feed}"
            if _check_decimals(label, feed, MAX_FEED_DECIMALS, provider, problems):
                try:
                    decode(
                        ["uint80", "int256", "uint256", "uint256", "uint80"],
                        _call(provider, feed, LATEST_ROUND_DATA),
                    )
                except Exception:  # a revert or an answer of the wrong shape, either way unusable
                    problems.append(f"{label} does not answer latestRoundData()")
    return problems


def _check_decimals(label: str, address: str, cap: int, provider, problems: list[str]) -> bool:
    if not provider.get_code(address):
        problems.append(f"{label} has no code on this chain")
        return False
    try:
        (decimals,) = decode(["uint8"], _call(provider, address, DECIMALS))
    except Exception:  # a revert or an answer of the wrong shape, either way unusable
        problems.append(f"{label} does not answer decimals()")
        return False
    if decimals > cap:
        problems.append(f"{label} has {decimals} decimals (at most {cap})")
        return False
    return True


def _call(provider, address: str, data: bytes) -> bytes:
    return bytes(provider.web3.eth.call({"to": address, "data": "0x" + data.hex()}))


def check_balance(balance_wei: int, gas: int, max_fee_wei: int, deployer: str) -> list[str]:
    """The deployer can pay `gas` at `max_fee_wei` per gas (a rough estimate; see the caller)."""
    needed = gas * max_fee_wei
    if balance_wei >= needed:
        return []
    return [
        f"deployer {deployer} holds {balance_wei / 1e18:.6f} ETH; the deployment needs about "
        f"{needed / 1e18:.6f} ETH ({gas:,} gas at {max_fee_wei / 1e9:.3f} gwei)"
    ]
