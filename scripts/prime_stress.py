"""`ape run prime_stress`: the prime broker's 2008 stress replay (issue 19 item 9), side by side
with Morpho Blue's rules, into benchmarks/prime_stress.json and a short text table.

    python scripts/on_plain_anvil.py -- .venv/bin/ape run prime_stress

50 institutional accounts (a seeded generator, `keepers.prime.stress.generate_books`: T-bill fund
shares QTB, IG credit fund shares QCORP, S&P 500 fund shares QSPX and USDC, levered to just above
the 150% initial margin) open at the close of 31 December 2007 against one USDC lending pool, then
every trading day of 2008 is replayed onto the feeds of a fresh local deployment, a keeper's margin
pass after each (`keepers.prime.stress_replay`). Series -> assets (arch.data): the S&P 500's
dividend-adjusted close -> QSPX; Moody's Baa yield (`default`, monthly, interpolated) as a 6.5-year
duration bond fund -> QCORP; Kenneth French's one-month T-bill rate (`frenchdata` RF) accrued ->
QTB; 1 -> USDC. Liquidations are taken by a verified liquidator holding the cash (no AMM sale: see
`keepers/prime/stress_replay.py`); no institution answers a margin call.

The Morpho side is the same books on the same closes under Morpho Blue's rules, computed in Python
(`keepers.prime.stress.morpho_baseline` over `keepers.prime.morpho_model`, which the contract tests
hold to the deployed Morpho to the unit), not on a deployed Morpho, and without interest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option

STRESS_FILE = Path("benchmarks") / "prime_stress.json"


def _text_table(report: dict) -> str:
    from keepers.prime.stress import stress_headline

    rows = stress_headline(report)
    width = max(len(str(r[0])) for r in rows)
    lines = [f"{'':{width}}  {'Quantera':>28}  {'Morpho Blue rules':>28}"]
    lines += [f"{a:{width}}  {str(b):>28}  {str(c):>28}" for a, b, c in rows]
    return "\n".join(lines)


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option("--accounts", "n_accounts", default=50, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=2008, show_default=True, type=int)
@click.option(
    "--open",
    "open_day",
    default="2007-12-31",
    show_default=True,
    help="The books open at this day's close.",
)
@click.option("--end", "end_day", default="2008-12-31", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=STRESS_FILE, show_default=True
)
def cli(ecosystem, network, provider, n_accounts, seed, open_day, end_day, out):
    """Replay 2008 on prime accounts, and the same books under Morpho Blue's rules."""
    from ape import chain

    from keepers.core.errors import QuanteraError
    from keepers.prime.stress import generate_books, morpho_baseline, stress_prices
    from keepers.prime.stress_replay import (
        LENDER_HEADROOM,
        deploy_stress_stack,
        open_books,
        quantera_report,
        replay,
    )

    if not network.is_local:
        raise click.UsageError("the stress replay runs on a local network only")
    from ape.logging import logger

    logger.set_level("WARNING")  # the report says what happened, not each receipt
    started = time.monotonic()
    try:
        prices = stress_prices(open_day, end_day)
    except (ValueError, QuanteraError) as err:
        raise click.ClickException(str(err)) from None
    opening = prices.iloc[0]
    books = generate_books(n_accounts, seed, opening.to_dict())
    morpho = morpho_baseline(books, prices)

    def rpc(method: str, params: list):
        return chain.provider.make_request(method, params)

    lender = int(sum(b.borrowed for b in books) * LENDER_HEADROOM)
    days = [str(d.date()) for d in prices.index[1:]]
    month_starts = {d for i, d in enumerate(days) if i == 0 or d[:7] != days[i - 1][:7]}
    try:
        stack = deploy_stress_stack(opening, rpc, lender)
        identities = open_books(stack, books, rpc)
        run = replay(
            stack,
            books,
            identities,
            prices,
            rpc,
            progress=lambda day: click.echo(f"  {day}", err=True) if day in month_starts else None,
        )
    except Exception as err:  # noqa: BLE001 - one line, as every quantera command
        raise click.ClickException(f"{type(err).__name__}: {str(err).splitlines()[0]}") from None
    # Morpho's worst account: the first liquidated (the earliest LLTV crossing; ties by name).
    worst_morpho = min(
        morpho.first_liquidation_day.items(), key=lambda kv: (kv[1], kv[0]), default=(None, None)
    )
    report = {
        "reproduce": "python scripts/on_plain_anvil.py -- .venv/bin/ape run prime_stress "
        f"--accounts {n_accounts} --seed {seed} --open {open_day} --end {end_day}",
        "accounts": n_accounts,
        "seed": seed,
        "opened": str(prices.index[0].date()),
        "replayed": [str(prices.index[1].date()), str(prices.index[-1].date())],
        "trading_days": len(prices) - 1,
        "series": {
            "QSPX": "S&P 500 dividend-adjusted close (arch.data.sp500)",
            "QCORP": "Moody's Baa yield (arch.data.default, monthly, interpolated) as a 6.5-year "
            "duration bond fund",
            "QTB": "one-month T-bill rate accrued (arch.data.frenchdata RF)",
            "USDC": "1",
        },
        "prices": {
            "first": {k: round(float(v), 4) for k, v in prices.iloc[0].items()},
            "min": {k: round(float(v), 4) for k, v in prices.min().items()},
            "last": {k: round(float(v), 4) for k, v in prices.iloc[-1].items()},
        },
        "books": {
            "kinds": {
                k: sum(1 for b in books if b.kind == k) for k in sorted({b.kind for b in books})
            },
            "median_target_ratio_bps": int(
                sorted(b.target_ratio_bps for b in books)[len(books) // 2]
            ),
        },
        "quantera": quantera_report(run),
        "morpho_blue": {
            "computed": "in Python on the same closes (keepers.prime.morpho_model), no interest",
            "lltv": morpho.lltv,
            "borrowed_usd": round(morpho.borrowed_usd, 2),
            "liquidations": morpho.liquidations,
            "accounts_liquidated": morpho.accounts_liquidated,
            "repaid_usd": round(morpho.repaid_usd, 2),
            "bad_debt_by_market_usd": {
                k: round(v, 2) for k, v in morpho.bad_debt_by_market.items()
            },
            "bad_debt_usd": round(morpho.bad_debt_usd, 2),
            "remaining_debt_usd": round(morpho.remaining_usd, 2),
            "first_liquidation_day": morpho.first_liquidation_day,
            "worst_account": worst_morpho[0],
        },
        "seconds": round(time.monotonic() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    click.echo(_text_table(report))
    click.echo(f"written to {out}")
