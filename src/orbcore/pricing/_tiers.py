"""Graduated tiers: each unit is charged at the rate of the tier it falls in."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orbcore._errors import Problem
from orbcore.money._numbers import exact_mul, exact_sub
from orbcore.pricing._result import SubLine

__all__ = ["Band", "band_problems", "graduated"]

Band = tuple[Decimal, Decimal | None, Decimal]
"""A tier as (exclusive lower bound, inclusive upper bound or None, unit amount)."""


def graduated(quantity: Decimal, bands: Sequence[Band], label: str = "tier") -> list[SubLine]:
    """One sub-line per tier that ``quantity`` reaches: the units inside it times its rate.

    Tier ``(first, last]`` holds ``min(quantity, last) - first`` units (none if negative).
    """
    lines = []
    for index, (first, last, rate) in enumerate(bands, start=1):
        if quantity <= first and index > 1:
            break
        top = quantity if last is None else min(quantity, last)
        units = max(exact_sub(top, first), Decimal(0))
        upper = "" if last is None else format(last, "f")
        lines.append(
            SubLine(
                name=f"{label} {index} ({format(first, 'f')}-{upper})",
                quantity=units,
                unit_amount=rate,
                amount=exact_mul(units, rate),
            )
        )
    return lines


def band_problems(bands: Sequence[tuple[Decimal, Decimal | None]], path: str) -> list[Problem]:
    """Gaps, overlaps, empty tiers and open tiers before the last, with their paths.

    The first tier must start at 0; each next tier starts where the previous ends; only
    the last may be open-ended.
    """
    problems = []
    expected = Decimal(0)
    for index, (first, last) in enumerate(bands):
        if first != expected:
            kind = "a gap" if first > expected else "an overlap"
            problems.append(
                Problem((path, index, "first_unit"), f"leaves {kind}: expected {expected}")
            )
        if last is None:
            if index != len(bands) - 1:
                problems.append(Problem((path, index, "last_unit"), "only the last tier is open"))
            break
        if last <= first:
            problems.append(Problem((path, index, "last_unit"), "must be above first_unit"))
        expected = last
    return problems
