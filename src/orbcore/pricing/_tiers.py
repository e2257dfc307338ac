"""Graduated tiers: each unit is charged at the rate of the tier it falls in."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT
from orbcore.pricing._result import SubLine

__all__ = ["Band", "TierTable", "band_problems", "graduate", "graduated", "tier_table"]

Band = tuple[Decimal, Decimal | None, Decimal]
"""A tier as (exclusive lower bound, inclusive upper bound or None, unit amount)."""

TierTable = tuple[tuple[Decimal, Decimal | None, Decimal, str], ...]
"""Bands with their sub-line labels, prepared once per price."""

_ZERO = Decimal(0)


def tier_table(bands: Sequence[Band], label: str = "tier") -> TierTable:
    """Bands with labels such as ``tier 2 (10000-100000)``."""
    return tuple(
        (
            first,
            last,
            rate,
            f"{label} {index} ({format(first, 'f')}-{'' if last is None else format(last, 'f')})",
        )
        for index, (first, last, rate) in enumerate(bands, start=1)
    )


def graduate(quantity: Decimal, table: TierTable) -> tuple[list[SubLine], Decimal]:
    """One sub-line per tier that ``quantity`` reaches, and their exact sum.

    Tier ``(first, last]`` holds ``min(quantity, last) - first`` units (none if negative).
    Arithmetic runs in orbcore's exact context: it raises rather than rounds.
    """
    subtract, multiply, add = EXACT.subtract, EXACT.multiply, EXACT.add
    lines: list[SubLine] = []
    amount = _ZERO
    for first, last, rate, name in table:
        if quantity <= first and lines:
            break
        top = quantity if last is None or quantity < last else last
        units = subtract(top, first) if top > first else _ZERO
        line_amount = multiply(units, rate)
        lines.append(SubLine(name, units, line_amount, rate))
        amount = add(amount, line_amount)
    return lines, amount


def graduated(quantity: Decimal, bands: Sequence[Band], label: str = "tier") -> list[SubLine]:
    """The sub-lines of :func:`graduate` for bands given directly (no prepared table)."""
    return graduate(quantity, tier_table(bands, label))[0]


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
