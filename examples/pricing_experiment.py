"""What would customers pay under a candidate plan? Re-price a month of usage.

    python examples/pricing_experiment.py

Compares the current graduated API price with a candidate volume price over a synthetic
customer base, exactly, with batch rating, and prints the revenue of each and the
customers who would pay more.
"""

from __future__ import annotations

import random
from decimal import Decimal

from orbcore import Money
from orbcore.pricing import Price, evaluate_batch, price_curve

CURRENT = Price.from_orb(
    {
        "model_type": "tiered",
        "name": "API calls (current)",
        "tiered_config": {
            "tiers": [
                {"first_unit": 0, "last_unit": 10_000, "unit_amount": "0.001"},
                {"first_unit": 10_000, "last_unit": 100_000, "unit_amount": "0.0008"},
                {"first_unit": 100_000, "last_unit": None, "unit_amount": "0.0005"},
            ]
        },
    }
)
CANDIDATE = Price.from_orb(
    {
        "model_type": "bulk",
        "name": "API calls (candidate)",
        "bulk_config": {
            "tiers": [
                {"maximum_units": 50_000, "unit_amount": "0.0009"},
                {"maximum_units": None, "unit_amount": "0.0006"},
            ]
        },
    }
)


def main() -> None:
    rng = random.Random(42)
    usage = [int(rng.lognormvariate(9, 1.5)) for _ in range(10_000)]
    current = evaluate_batch(CURRENT, usage).amounts()
    candidate = evaluate_batch(CANDIDATE, usage).amounts()
    total_now = Money.sum((Money(a, "USD") for a in current), "USD").rounded()
    total_then = Money.sum((Money(a, "USD") for a in candidate), "USD").rounded()
    losers = sum(1 for now, then in zip(current, candidate, strict=True) if then > now)
    print(f"customers: {len(usage):,}")
    print(f"revenue under the current price:   {total_now.format('en_US')}")
    print(f"revenue under the candidate price: {total_then.format('en_US')}")
    print(f"customers who would pay more: {losers:,}")
    print("\nquantity  current  candidate  (average price per call)")
    quantities = [Decimal(q) for q in (1_000, 10_000, 50_000, 100_000, 1_000_000)]
    for now, then in zip(
        price_curve(CURRENT, quantities), price_curve(CANDIDATE, quantities), strict=True
    ):
        print(f"{now.quantity:>9,}  {now.average:.6f}  {then.average:.6f}")


if __name__ == "__main__":
    main()
