"""The arbitrage keeper: keeps the deployment's Uniswap pools near the oracle's market, as
arbitrageurs keep real pools (issue 33 §3: the demo's pools kept their June 2008 seed prices while
the replay moved the oracles, so every route compared with them looked thousands of bps off).

Each cycle reads every V2 pair and V3 pool of the deployment record, the oracle's price of both of
its tokens, and trades where a pool's price is outside its no-arbitrage band by more than
`min_gap_bps`. The band of a pool with fee f (γ = 1 − f) around the oracle's price P (token1 per
token0, base units) is [P·γ, P/γ]: inside it, no trade gains at oracle prices after the fee. A trade
stops at the band's edge, where its last unit breaks even at the oracle's price; so every unit of it
gains or breaks even, and nothing it pays is above the oracle's value of what it gets.
- V2 (LIQ-21): the input that maximises the gain at oracle prices, in closed form
  (`v2_trade`), through the factory's own Router02 (atomic: the input reaches the pair inside the
  swap), with a minimum output 10 bps under the computed one and never under the oracle's value
  of the input (a pool moved against the keeper before its trade lands: refused, not a loss).
- V3 (LIQ-21): the pool's own price limit (`sqrtPriceLimitX96`, `v3_limit`) is the edge, through
  the real SwapRouter's `exactInputSingle`: the pool stops there and takes only what it needs.
  Quoted first by the real QuoterV2 with the same limit: a pool priced past its positions has no
  liquidity toward its band (the SwapRouter refuses swaps entirely within an empty range), so it
  is reported `empty` and nothing is sent.

What it trusts, and its bounds: the oracle's `Ok` answers at most `max_price_age` seconds old (a
degraded answer values, it does not trade); a pool further than `max_gap_bps` from the oracle is
left for an operator (the oracle or the pool is suspect), as is a record whose router trades
another factory's pools. A trade must gain at least `min_gain_usd` at oracle prices (its gas),
spends at most `max_trade_usd` and the keeper's inventory, at most `max_trades` a cycle, the pools
furthest off first (a pool further off moves part of the way, the next cycle goes on).
Idempotent and restart-safe: it keeps no state; a cycle after a completed one finds every pool in
its band and sends nothing; an allowance a crash left between an approval and its swap is reset
at the next cycle's start. Reorganisation-safe for the same reason. Approvals are exact, and reset
when a swap left part of one unused or failed. A trade that fails (refused by compliance, a paused
token, a pool moved since the read) is reported with its reason and the cycle goes on; that
pool is tried again `retry_after_blocks` later, not every block. A swap whose answer was lost (a
transport failure after it was sent) is judged by what its router pulled (the exact approval's
use, not the balance, which other transfers move): reported filled if it pulled the input, with
why it has no receipt (`Trade.note`).

The keeper's key is a verified wallet (the pools hold security tokens) holding inventory of the
pools' tokens. Run: `SILVERBACK_SIGNER_ALIAS=<arbitrageur> silverback run
keepers.liquidity.bot:bot --network …`; the demo drives `ArbitrageKeeper.cycle` once per replayed
day (keepers/demo/rebalancing.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from keepers.core.errors import QuanteraError
from keepers.core.reads import first_line
from keepers.core.redact import redact_urls

FEE_DENOMINATOR = 1_000_000  # Uniswap V3's fee unit (ppm); a V2 pair's 0.30% is 3,000
V2_FEE_PPM = 3_000
Q192 = 2**192
# The pool's own bounds on sqrtPriceX96 (TickMath.MIN_SQRT_RATIO, MAX_SQRT_RATIO), exclusive.
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
MAX_POOLS = 64  # more pools in one record is a misconfiguration, not a larger cycle
V2_OUT_TOLERANCE_BPS = 10  # a V2 trade's minimum output under the computed one
DEADLINE_SECONDS = 600
HOUR = 3_600
# QuoterV2's revert when the pool's swap reverted without a reason: the SwapRouter's and the
# quoter's callbacks refuse swaps entirely within a range without liquidity that way.
EMPTY_RANGE_REVERT = "Unexpected error"


@dataclass(frozen=True)
class Ratio:
    """A price of token0 in token1 base units, as the exact fraction num / den."""

    num: int
    den: int

    def __post_init__(self) -> None:
        if self.num <= 0 or self.den <= 0:
            raise QuanteraError(f"a price ratio must be positive (got {self.num}/{self.den})")


def oracle_ratio(price0_18: int, decimals0: int, price1_18: int, decimals1: int) -> Ratio:
    """The oracle's price of one base unit of token0 in base units of token1: (p0 / 10**d0) /
    (p1 / 10**d1), from 18-decimal USD prices of whole tokens."""
    return Ratio(price0_18 * 10**decimals1, price1_18 * 10**decimals0)


def gap_bps(pool_num: int, pool_den: int, oracle: Ratio) -> float:
    """How far the pool's price (pool_num / pool_den, token1 per token0) is above (+) or below
    (−) the oracle's, in bps."""
    return (pool_num * oracle.den / (pool_den * oracle.num) - 1) * 10_000


def outside_band(pool_num: int, pool_den: int, oracle: Ratio, fee_ppm: int, min_gap_bps: int):
    """True when token0 is too dear in the pool (sell it: zero for one), False when too cheap (buy
    it), None inside the band widened by `min_gap_bps` (no trade)."""
    g, big = FEE_DENOMINATOR - fee_ppm, FEE_DENOMINATOR
    widen = 10_000 + min_gap_bps
    # pool > P / γ × (1 + gap)  <=>  pool_num·den·γ·10⁴ > num·pool_den·(10⁴ + gap), γ = g / big
    if pool_num * oracle.den * g * 10_000 > oracle.num * pool_den * big * widen:
        return True
    # pool < P · γ / (1 + gap)
    if pool_num * oracle.den * big * widen < oracle.num * pool_den * g * 10_000:
        return False
    return None


def v2_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_ppm: int = V2_FEE_PPM):
    """UniswapV2Library.getAmountOut for a fee in ppm (3,000: its 997 / 1,000)."""
    with_fee = amount_in * (FEE_DENOMINATOR - fee_ppm)
    return with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + with_fee)


def v2_trade(
    reserve0: int, reserve1: int, oracle: Ratio, fee_ppm: int = V2_FEE_PPM
) -> tuple[bool, int]:
    """The V2 trade that maximises the gain at the oracle's price: (zero for one, input). Its last
    unit's output equals the oracle's value of it: d(out)/d(in) = γ·r0·r1 / (r0 + γ·x)² = P gives
    x = (√(γ·r0·r1 / P) − r0) / γ selling token0, and y = (√(γ·r0·r1·P) − r1) / γ selling token1.
    (0 input when the pool is inside its band.)"""
    g, big = FEE_DENOMINATOR - fee_ppm, FEE_DENOMINATOR
    root0 = math.isqrt(g * reserve0 * reserve1 * oracle.den // (big * oracle.num))
    if root0 > reserve0:
        return True, (root0 - reserve0) * big // g
    root1 = math.isqrt(g * reserve0 * reserve1 * oracle.num // (big * oracle.den))
    if root1 > reserve1:
        return False, (root1 - reserve1) * big // g
    return True, 0


def v2_minimum_out(amount_in: int, expected: int, ratio: Ratio, zero_for_one: bool) -> int:
    """A V2 trade's minimum output: V2_OUT_TOLERANCE_BPS under the computed one, and always above
    the oracle's value of the input, so a pool moved against the keeper before its trade lands
    (a sandwich) makes the trade revert, never lose at oracle prices."""
    if zero_for_one:
        worth = amount_in * ratio.num // ratio.den
    else:
        worth = amount_in * ratio.den // ratio.num
    return max(expected * (10_000 - V2_OUT_TOLERANCE_BPS) // 10_000, worth + 1)


def v3_limit(oracle: Ratio, fee_ppm: int, zero_for_one: bool) -> int:
    """The sqrtPriceX96 a V3 trade stops at: the band's edge, P / γ selling token0 (the price
    falls to it), P·γ buying it; inside the pool's own bounds."""
    g, big = FEE_DENOMINATOR - fee_ppm, FEE_DENOMINATOR
    if zero_for_one:
        target = math.isqrt(oracle.num * big * Q192 // (oracle.den * g))
    else:
        target = math.isqrt(oracle.num * g * Q192 // (oracle.den * big))
    return min(max(target, MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)


@dataclass(frozen=True)
class Pool:
    """A pool of the record: its name (`UniswapV2Pair.A.QSPX-USDC`, `UniswapV3Pool.QSPX-USDC.500`),
    kind, address, tokens in the pool's order and fee (ppm)."""

    name: str
    kind: str  # "uniswap_v2" | "uniswap_v3"
    address: str
    token0: str
    token1: str
    fee_ppm: int

    @property
    def factory(self) -> str:
        """A V2 pair's factory name in the record (`A` of `UniswapV2Pair.A.QSPX-USDC`)."""
        return self.name.split(".")[1]


@dataclass
class Trade:
    """What the keeper did (or was refused) on one pool; amounts in base units, gap in bps."""

    pool: str
    token_in: str
    token_out: str
    amount_in: int = 0
    amount_out: int = 0
    gap_before_bps: float = 0.0
    gap_after_bps: float = 0.0
    gain_usd: float = 0.0  # oracle value of what it got less what it paid
    tx_hash: str = ""
    refused: str = ""  # why the chain refused it (nothing was sent)
    note: str = ""  # filled though its send raised (no receipt): why; amount_in what was pulled

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CycleResult:
    trades: list[Trade] = field(default_factory=list)
    in_band: list[str] = field(default_factory=list)
    # pools outside their band with no liquidity between their price and the band's edge (a V3
    # pool priced past its positions): nothing to trade, and nothing a route could use that way
    empty: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # pool -> why it was left
    allowances_reset: int = 0
    # each pool's gap to the oracle (bps) as the cycle left it: read once for the decision, read
    # again only for a pool it traded (what the bot's gauge shows, without a second read)
    gaps: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trades": [t.as_dict() for t in self.trades],
            "in_band": list(self.in_band),
            "empty": dict(self.empty),
            "skipped": dict(self.skipped),
            "sent": sum(1 for t in self.trades if t.tx_hash),
            "filled": sum(1 for t in self.trades if t.amount_in and not t.refused),
            "refused": sum(1 for t in self.trades if t.refused),
            "gain_usd": sum(t.gain_usd for t in self.trades),
            "allowances_reset": self.allowances_reset,
        }


def pools_from_record(contracts: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, kind, address) of every Uniswap pool the record names, in name order (the record's
    sources as the router reads them, `keepers.liquidity.router.sources_from_record`)."""
    from keepers.liquidity.router import sources_from_record

    found = sorted(
        (s.name, s.kind, s.address)
        for s in sources_from_record(contracts)
        if s.kind in ("uniswap_v2", "uniswap_v3")
    )
    if len(found) > MAX_POOLS:
        raise QuanteraError(f"the record names {len(found)} pools, more than {MAX_POOLS}")
    return found


@dataclass
class _Candidate:
    pool: Pool
    zero_for_one: bool
    ratio: Ratio
    raw: Any
    gap: float
    price_in: int
    dec_in: int
    price_out: int
    dec_out: int


class ArbitrageKeeper:
    """One cycle: every pool of the record brought inside its band, within the keeper's bounds.

    `oracle`: the OracleRouter contract; `signer`: an ape account (None: observe only, nothing
    sent); `contracts`: the record's name -> address (pools, `UniswapV2Router02.<factory>`,
    `SwapRouter`, `QuoterV2`). Bounds: a pool is traded only on `Ok` oracle answers at most
    `max_price_age` seconds old, only when its gap is within `max_gap_bps` (further off, the
    oracle or the pool is suspect: left for an operator), only when the trade's gain at oracle
    prices is at least `min_gain_usd` (its gas), at most `max_trade_usd` of input and the
    keeper's inventory, at most `max_trades` a cycle, the pools furthest off first, and at most
    `max_usd_per_hour` of input over the last hour of chain time (in memory: a restart starts a
    new hour), so an oracle that lags the market costs at most that much before an operator."""

    def __init__(
        self,
        contracts: dict[str, str],
        oracle: Any,
        signer: Any = None,
        *,
        min_gap_bps: int = 25,
        max_gap_bps: int = 2_000,
        max_trade_usd: float = 10_000_000,
        max_trades: int = 16,
        min_gain_usd: float = 0.0,
        max_price_age: int = 3_600,
        retry_after_blocks: int = 20,
        max_usd_per_hour: float = 100_000_000,
    ) -> None:
        if not 0 <= min_gap_bps <= max_gap_bps:
            raise QuanteraError(
                f"min_gap_bps must be within 0..max_gap_bps (got {min_gap_bps}, {max_gap_bps})"
            )
        numbers = (max_trade_usd, min_gain_usd, max_usd_per_hour)
        positive = max_trade_usd > 0 and max_usd_per_hour > 0 and min_gain_usd >= 0
        if not all(math.isfinite(x) for x in numbers) or not positive:
            raise QuanteraError(
                "max_trade_usd and max_usd_per_hour must be finite and positive, "
                "min_gain_usd at least 0"
            )
        if max_trades < 1 or max_price_age < 1 or retry_after_blocks < 0:
            raise QuanteraError(
                "max_trades and max_price_age must be positive, retry_after_blocks at least 0"
            )
        self.contracts = dict(contracts)
        self.oracle = oracle
        self.signer = signer
        self.min_gap_bps = min_gap_bps
        self.max_gap_bps = max_gap_bps
        self.max_trade_usd = max_trade_usd
        self.max_trades = max_trades
        self.min_gain_usd = min_gain_usd
        self.max_price_age = max_price_age
        self.retry_after_blocks = retry_after_blocks
        self._pools: list[Pool] | None = None
        # pool -> the block a trade of it last failed at (in memory: a restart tries it once more)
        self._failed_at: dict[str, int] = {}
        self.max_usd_per_hour = max_usd_per_hour
        # (block time, USD of input at oracle prices) of the trades of the last hour (in memory)
        self._spent: list[tuple[int, float]] = []
        self._problems: dict[str, str] = {}

    # ------------------------------------------------------------------ reads

    def pools(self) -> list[Pool]:
        """The record's pools with their tokens and fees, read once; a pool whose factory is not
        its router's (the router would trade another pool) is set aside with the reason."""
        if self._pools is None:
            from keepers.liquidity.artifacts import container

            def factory_of(kind: str, name: str) -> str | None:
                address = self.contracts.get(name)
                return None if address is None else str(container(kind).at(address).factory())

            v3_factories = {
                factory_of("SwapRouter", "SwapRouter"),
                factory_of("QuoterV2", "QuoterV2"),
            }
            pools = []
            for name, kind, address in pools_from_record(self.contracts):
                if kind == "uniswap_v2":
                    pair = container("UniswapV2Pair").at(address)
                    pool = Pool(name, kind, address, pair.token0(), pair.token1(), V2_FEE_PPM)
                    router = factory_of("UniswapV2Router02", f"UniswapV2Router02.{pool.factory}")
                    if router is None:
                        self._problems[name] = f"the record has no UniswapV2Router02.{pool.factory}"
                    elif router.lower() != str(pair.factory()).lower():
                        self._problems[name] = "its router trades another factory's pairs"
                else:
                    v3 = container("UniswapV3Pool").at(address)
                    pool = Pool(name, kind, address, v3.token0(), v3.token1(), int(v3.fee()))
                    if None in v3_factories:
                        self._problems[name] = "the record has no SwapRouter or QuoterV2"
                    elif {f.lower() for f in v3_factories} != {str(v3.factory()).lower()}:
                        self._problems[name] = "its SwapRouter or QuoterV2 is another factory's"
                pools.append(pool)
            self._pools = pools
        return self._pools

    def _price(self, token: str, now: int) -> int | None:
        """The oracle's price when its answer is `Ok` and at most `max_price_age` old, else None
        (a degraded answer, `PrimaryOnly` or `Fallback`, is good enough to value, not to trade)."""
        status, price18, updated_at = self.oracle.priceOf(token)
        fresh = now - int(updated_at) <= self.max_price_age
        return int(price18) if int(status) == 0 and int(price18) > 0 and fresh else None

    def _state(self, pool: Pool) -> tuple[int, int, Any]:
        """The pool's price as (num, den) token1 per token0 (den 0: an empty pair), and its raw
        state."""
        from keepers.liquidity.artifacts import container

        if pool.kind == "uniswap_v2":
            r0, r1, _ = container("UniswapV2Pair").at(pool.address).getReserves()
            return int(r1), int(r0), (int(r0), int(r1))
        sqrt_price = int(container("UniswapV3Pool").at(pool.address).slot0()[0])
        return sqrt_price * sqrt_price, Q192, sqrt_price

    def _now(self) -> int:
        from ape import chain

        return int(chain.blocks.head.timestamp)

    def gaps(self) -> dict[str, float | None]:
        """Each pool's gap to the oracle in bps (None: a token without a usable price, or an
        empty pool)."""
        from keepers.core.tokens import token_decimals

        now = self._now()
        out: dict[str, float | None] = {}
        for pool in self.pools():
            p0, p1 = self._price(pool.token0, now), self._price(pool.token1, now)
            num, den, _ = self._state(pool)
            if p0 is None or p1 is None or num == 0 or den == 0:
                out[pool.name] = None
                continue
            ratio = oracle_ratio(p0, token_decimals(pool.token0), p1, token_decimals(pool.token1))
            out[pool.name] = gap_bps(num, den, ratio)
        return out

    # ------------------------------------------------------------------ the cycle

    def cycle(self) -> CycleResult:
        """Every pool outside its band traded back to its edge, within the keeper's bounds."""
        from ape import chain

        result = CycleResult()
        if self.signer is not None:
            result.allowances_reset = self._reset_allowances()
        candidates = self._candidates(result)
        block = int(chain.blocks.head.number)
        # The pools furthest off first: a cycle's trades go where they gain most.
        for c in sorted(candidates, key=lambda c: -abs(c.gap)):
            if self.signer is None:
                result.skipped[c.pool.name] = "outside its band; no signer (observing)"
                continue
            failed_at = self._failed_at.get(c.pool.name)
            if failed_at is not None and block - failed_at < self.retry_after_blocks:
                result.skipped[c.pool.name] = (
                    f"a trade failed at block {failed_at}: tried again "
                    f"{self.retry_after_blocks} blocks after"
                )
                continue
            if len(result.trades) >= self.max_trades:
                result.skipped[c.pool.name] = f"the cycle's {self.max_trades} trades were used"
                continue
            trade = Trade(c.pool.name, *self._tokens(c), gap_before_bps=c.gap)
            try:
                self._trade(c, trade, result)
            except _Empty:
                continue
            except QuanteraError as err:
                result.skipped[c.pool.name] = str(err)
                continue
            except Exception as err:  # noqa: BLE001 - a failed trade is reported, the cycle goes on
                from ape.exceptions import TransactionError, VirtualMachineError

                if not isinstance(err, (TransactionError, VirtualMachineError)):
                    raise
                trade.refused = f"not filled: {str(err).splitlines()[0]}"[:256]
                self._failed_at[c.pool.name] = block
            num, den, _ = self._state(c.pool)
            trade.gap_after_bps = gap_bps(num, den, c.ratio)
            result.gaps[c.pool.name] = trade.gap_after_bps
            trade.gain_usd = (
                trade.amount_out * c.price_out / 10**c.dec_out
                - trade.amount_in * c.price_in / 10**c.dec_in
            ) / 1e18
            result.trades.append(trade)
        return result

    def _tokens(self, c: _Candidate) -> tuple[str, str]:
        p = c.pool
        return (p.token0, p.token1) if c.zero_for_one else (p.token1, p.token0)

    def _candidates(self, result: CycleResult) -> list[_Candidate]:
        from keepers.core.tokens import token_decimals

        now = self._now()
        found = []
        for pool in self.pools():
            if pool.name in self._problems:
                result.skipped[pool.name] = self._problems[pool.name]
                continue
            p0, p1 = self._price(pool.token0, now), self._price(pool.token1, now)
            if p0 is None or p1 is None:
                result.skipped[pool.name] = (
                    f"a token has no Ok oracle answer younger than {self.max_price_age} s"
                )
                continue
            num, den, raw = self._state(pool)
            if num == 0 or den == 0:
                result.skipped[pool.name] = "the pool holds nothing"
                continue
            d0, d1 = token_decimals(pool.token0), token_decimals(pool.token1)
            ratio = oracle_ratio(p0, d0, p1, d1)
            side = outside_band(num, den, ratio, pool.fee_ppm, self.min_gap_bps)
            gap = result.gaps[pool.name] = gap_bps(num, den, ratio)
            if side is None:
                result.in_band.append(pool.name)
                continue
            if abs(gap) > self.max_gap_bps:
                result.skipped[pool.name] = (
                    f"{gap:,.0f} bps off the oracle, beyond the keeper's {self.max_gap_bps:,} bps: "
                    "the oracle or the pool is suspect"
                )
                continue
            (price_in, dec_in), (price_out, dec_out) = ((p0, d0), (p1, d1))[:: 1 if side else -1]
            found.append(
                _Candidate(pool, side, ratio, raw, gap, price_in, dec_in, price_out, dec_out)
            )
        return found

    def _routers(self) -> dict[str, str]:
        """The record's routers the keeper approves (name -> address)."""
        return {
            name: address
            for name, address in self.contracts.items()
            if name == "SwapRouter" or name.startswith("UniswapV2Router02.")
        }

    def _reset_allowances(self) -> int:
        """Any allowance of the keeper's to a router set to 0 (one a crash or a dropped
        transaction left between an approval and its swap); returns how many."""
        from keepers.core.retries import with_retries
        from keepers.core.tokens import erc20_at

        me = self.signer.address
        reset = 0
        for token in sorted({t for p in self.pools() for t in (p.token0, p.token1)}):
            erc20 = erc20_at(token)
            for spender in self._routers().values():
                if int(erc20.allowance(me, spender)) != 0:
                    with_retries(lambda e=erc20, s=spender: e.approve(s, 0, sender=self.signer))
                    reset += 1
        return reset

    def _usd(self, amount: int, price: int, decimals: int) -> float:
        return amount * price / 10**decimals / 1e18

    def _trade(self, c: _Candidate, trade: Trade, result: CycleResult) -> None:
        from ape import chain

        from keepers.core.retries import with_retries
        from keepers.core.tokens import erc20_at
        from keepers.liquidity.artifacts import container

        pool = c.pool
        token_in, token_out = erc20_at(trade.token_in), erc20_at(trade.token_out)
        me = self.signer.address
        held = int(token_in.balanceOf(me))
        cap = int(self.max_trade_usd * 10**18 * 10**c.dec_in // c.price_in)
        deadline = int(chain.blocks.head.timestamp) + DEADLINE_SECONDS
        if pool.kind == "uniswap_v2":
            reserve0, reserve1 = c.raw
            direction, amount = v2_trade(reserve0, reserve1, c.ratio, pool.fee_ppm)
            amount = min(amount, cap, held) if direction == c.zero_for_one else 0
            if amount == 0:
                raise QuanteraError("outside its band; no inventory of its input")
            reserve_in, reserve_out = (
                (reserve0, reserve1) if c.zero_for_one else (reserve1, reserve0)
            )
            expected = v2_amount_out(amount, reserve_in, reserve_out, pool.fee_ppm)
            gain = self._usd(expected, c.price_out, c.dec_out) - self._usd(
                amount, c.price_in, c.dec_in
            )
            minimum = v2_minimum_out(amount, expected, c.ratio, c.zero_for_one)
            router = container("UniswapV2Router02").at(
                self.contracts[f"UniswapV2Router02.{pool.factory}"]
            )
            swap = lambda: router.swapExactTokensForTokens(  # noqa: E731
                amount, minimum, [trade.token_in, trade.token_out], me, deadline, sender=self.signer
            )
        else:
            amount = min(cap, held)
            if amount == 0:
                raise QuanteraError("outside its band; no inventory of its input")
            limit = v3_limit(c.ratio, pool.fee_ppm, c.zero_for_one)
            quoter = container("QuoterV2").at(self.contracts["QuoterV2"])
            # A raw eth_call (keepers.core.reads): the real quoter reverts where nothing trades,
            # an answer, not an error to trace.
            from keepers.core.reads import ApeReads, ReadFailure

            [answer] = ApeReads().views(
                [
                    (
                        quoter,
                        "quoteExactInputSingle",
                        [(trade.token_in, trade.token_out, amount, pool.fee_ppm, limit)],
                    )
                ],
                allow_failure=True,
            )
            if isinstance(answer, ReadFailure) and EMPTY_RANGE_REVERT not in answer.reason:
                # A refusal other than an empty range (a paused token, compliance): said so.
                raise QuanteraError(f"QuoterV2 refused the trade: {answer.reason}"[:256])
            quoted = 0 if isinstance(answer, ReadFailure) else int(answer[0])
            if quoted == 0:
                result.empty[pool.name] = "no liquidity between its price and its band's edge"
                raise _Empty(pool.name)
            # Every unit trades between the pool's price and the edge, where it breaks even: the
            # gain is about half the first unit's edge over the oracle, on the output.
            edge_bps = (FEE_DENOMINATOR / (FEE_DENOMINATOR - pool.fee_ppm) - 1) * 10_000
            gain = self._usd(quoted, c.price_out, c.dec_out) * (abs(c.gap) - edge_bps) / 20_000
            router = container("SwapRouter").at(self.contracts["SwapRouter"])
            # The price limit is the slippage bound: every unit trades at or inside the band's edge
            # (the pool stops there and the router pulls only what it used).
            swap = lambda: router.exactInputSingle(  # noqa: E731
                (trade.token_in, trade.token_out, pool.fee_ppm, me, deadline, amount, 0, limit),
                sender=self.signer,
            )
        now = int(chain.blocks.head.timestamp)
        self._spent = [(t, usd) for t, usd in self._spent if now - t < HOUR]
        spent = sum(usd for _, usd in self._spent)
        value_in = self._usd(amount, c.price_in, c.dec_in)
        if spent + value_in > self.max_usd_per_hour:
            raise QuanteraError(
                f"${value_in:,.0f} more would pass the keeper's ${self.max_usd_per_hour:,.0f} "
                f"an hour (${spent:,.0f} traded in the last hour)"
            )
        if gain < self.min_gain_usd:
            raise QuanteraError(
                f"a gain of ${gain:,.2f} at oracle prices, "
                f"under the keeper's ${self.min_gain_usd:,.2f}"
            )
        with_retries(lambda: token_in.approve(router, amount, sender=self.signer))
        before_out = int(token_out.balanceOf(me))
        receipt, failure = None, None
        try:
            try:
                receipt = with_retries(swap)
            except Exception as err:  # noqa: BLE001 - judged below by what the router pulled
                failure = err
            # What the router pulled is what the exact approval lost: the keeper's own input,
            # whatever else moves its balance (a transfer in or out, the same key used elsewhere).
            # A swap mined whose answer was lost (a transport failure, then a retry refused)
            # pulled its input: it filled (helper-79 K4, helper-91 A1-A3). A swap sent but not yet
            # mined when this is read looks unfilled: on a network that mines later, its fill is
            # found by the next cycle's gaps, not counted here.
            try:
                left = int(token_in.allowance(me, router))
            except Exception:
                if failure is not None:
                    raise failure from None
                raise
            used = amount - left
            if failure is not None and used <= 0:
                raise failure
            # Counted before the reset below, which may fail: a fill is never left out of the hour.
            trade.amount_in = used
            self._spent.append((now, self._usd(used, c.price_in, c.dec_in)))
            if failure is not None:
                why = redact_urls(first_line(failure))
                trade.note = f"filled (its router pulled the input), though its send raised: {why}"
        finally:
            # Exact approvals: what a V3 swap left unused, or a failed swap's, is reset, whatever
            # happened (an interrupt too; one a crash left is reset at the next cycle's start).
            if int(token_in.allowance(me, router)) != 0:
                with_retries(lambda: token_in.approve(router, 0, sender=self.signer))
        # The output is the balance's movement across the swap's sending (a transfer of the same
        # token to the keeper meanwhile would count: the receipt, when there is one, says more).
        trade.amount_out = int(token_out.balanceOf(me)) - before_out
        trade.tx_hash = str(receipt.txn_hash) if receipt is not None else ""


class _Empty(QuanteraError):
    """A pool with nothing to trade toward its band (recorded in `CycleResult.empty`)."""
