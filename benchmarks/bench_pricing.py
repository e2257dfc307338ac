"""Pricing throughput against hand-written baselines in the same run.

    python benchmarks/bench_pricing.py [--batch 1000000]

Each figure is the fastest of three runs. Scalar: evaluations per second of a unit
price, a 5-tier tiered price and a 10-cell matrix, each with its sub-lines, against a
plain Decimal loop computing the same amount; both sides consume each result in turn
rather than keeping them all.
Batch: a 5-tier tiered price over integer quantities with evaluate_batch, against the same
exact fixed-point arithmetic written by hand in numpy. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from orbcore.pricing import Price, Usage, evaluate_batch

EDGES = [0, 1_000, 10_000, 100_000, 1_000_000]
RATES = ["0.01", "0.008", "0.006", "0.004", "0.002"]
TIERED = Price.from_orb(
    {
        "model_type": "tiered",
        "tiered_config": {
            "tiers": [
                {
                    "first_unit": EDGES[i],
                    "last_unit": EDGES[i + 1] if i + 1 < len(EDGES) else None,
                    "unit_amount": RATES[i],
                }
                for i in range(len(EDGES))
            ]
        },
    }
)
UNIT = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "0.0125"}})
CELLS = [(f"region-{n}", "standard" if n % 2 else "premium") for n in range(10)]
MATRIX = Price.from_orb(
    {
        "model_type": "matrix",
        "matrix_config": {
            "dimensions": ["region", "tier"],
            "default_unit_amount": "0.05",
            "matrix_values": [
                {"dimension_values": list(cell), "unit_amount": f"0.0{n + 1}"}
                for n, cell in enumerate(CELLS)
            ],
        },
    }
)


def per_second(work: Callable[[], object], count: int, repeat: int = 3) -> float:
    """Rate of the fastest of ``repeat`` runs (the others pay for warming up)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return count / best


def each(function: Callable[[Any], object], items: list[Any]) -> Callable[[], None]:
    """Apply ``function`` to every item, keeping only the last result, as a billing run
    that consumes each result would."""

    def run() -> None:
        for item in items:
            function(item)

    return run


def hand_tiered(quantity: Decimal, bands: list[tuple[Decimal, Decimal | None, Decimal]]) -> Decimal:
    amount = Decimal(0)
    for first, last, rate in bands:
        if quantity <= first:
            break
        top = quantity if last is None or quantity < last else last
        amount += (top - first) * rate
    return amount


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalar", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(7)
    quantities = [Decimal(rng.randrange(0, 2_000_000)) for _ in range(args.scalar)]
    bands = [
        (
            Decimal(EDGES[i]),
            Decimal(EDGES[i + 1]) if i + 1 < len(EDGES) else None,
            Decimal(RATES[i]),
        )
        for i in range(len(EDGES))
    ]
    unit_rate = Decimal("0.0125")
    usages = [
        Usage(groups={cell: Decimal(rng.randrange(0, 10_000)) for cell in CELLS})
        for _ in range(args.scalar // 10)
    ]
    matrix_rates = {cell: Decimal(f"0.0{n + 1}") for n, cell in enumerate(CELLS)}
    rows = [
        (
            "unit, scalar",
            per_second(each(UNIT.evaluate, quantities), len(quantities)),
            per_second(each(lambda q: q * unit_rate, quantities), len(quantities)),
        ),
        (
            "tiered (5 tiers), scalar",
            per_second(each(TIERED.evaluate, quantities), len(quantities)),
            per_second(each(lambda q: hand_tiered(q, bands), quantities), len(quantities)),
        ),
        (
            "matrix (10 cells), scalar",
            per_second(each(MATRIX.evaluate, usages), len(usages)),
            per_second(
                each(
                    lambda u: sum((q * matrix_rates[c] for c, q in u.groups.items()), Decimal(0)),
                    usages,
                ),
                len(usages),
            ),
        ),
    ]
    array = np.array([rng.randrange(0, 2_000_000) for _ in range(args.batch)], dtype=np.int64)
    ours = evaluate_batch(TIERED, array)
    scaled = [int(Decimal(rate).scaleb(-ours.exponent)) for rate in RATES]

    def hand_numpy() -> np.ndarray:
        total = np.zeros_like(array)
        for i, rate in enumerate(scaled):
            upper = EDGES[i + 1] if i + 1 < len(EDGES) else None
            inside = (array if upper is None else array.clip(max=upper)) - EDGES[i]
            total += inside.clip(min=0) * rate
        return total

    if not (ours.units == hand_numpy()).all():
        raise SystemExit("evaluate_batch disagrees with the hand-written arithmetic")
    amounts = ours.amounts()
    for index in rng.sample(range(args.batch), 1000):
        if amounts[index] != TIERED.evaluate(int(array[index])).amount:
            raise SystemExit(f"batch and scalar disagree at {index}")
    rows.append(
        (
            f"tiered (5 tiers), batch of {args.batch:,}",
            per_second(lambda: evaluate_batch(TIERED, array), args.batch),
            per_second(hand_numpy, args.batch),
        )
    )
    print("| evaluation | orbcore | hand-written baseline | time ratio |")
    print("|---|---|---|---|")
    for label, ours_rate, base_rate in rows:
        print(
            f"| {label} | {ours_rate:,.0f}/s | {base_rate:,.0f}/s | {base_rate / ours_rate:.1f} |"
        )


if __name__ == "__main__":
    main()
