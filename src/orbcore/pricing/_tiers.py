"""Graduated tiers: each unit is charged at the rate of the tier it falls in."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT
from orbcore.pricing._result import SubLine

__all__ = [
    "Band",
    "TierTable",
    "band_problems",
    "graduate",
    "graduated",
    "lower_bound_bands",
    "lower_bound_tiers",
    "lower_bound_problems",
    "tier_table",
    "whole_packages",
]

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


def lower_bound_bands(bounds: Sequence[Decimal], rates: Sequence[Decimal]) -> list[Band]:
    """Bands from tiers written as lower bounds only (Orb's newer models): each tier
    ends where the next one starts, and the last is open."""
    ends: list[Decimal | None] = [*bounds[1:], None]
    return list(zip(bounds, ends, rates, strict=True))


def lower_bound_tiers(tiers: Sequence[Any], rate: str = "unit_amount") -> list[Band]:
    """:func:`lower_bound_bands` of tier rows with a ``tier_lower_bound`` and a rate field."""
    return lower_bound_bands([t.tier_lower_bound for t in tiers], [getattr(t, rate) for t in tiers])


def lower_bound_problems(
    bounds: Sequence[Decimal | None], path: str, field: str = "tier_lower_bound"
) -> list[Problem]:
    """Problems of tiers written as lower bounds: the first starts at 0 (or leaves its
    bound out), and each next bound is above the one before."""
    problems = []
    previous: Decimal | None = None
    for index, given in enumerate(bounds):
        where = (path, index, field)
        bound = Decimal(0) if given is None else given
        if given is None and index:
            problems.append(Problem(where, "is required after the first tier"))
        if index == 0 and bound != 0:
            problems.append(Problem(where, "leaves a gap: the first tier must start at 0"))
        if previous is not None and bound <= previous:
            problems.append(
                Problem(where, "leaves an overlap: must be above the previous tier's bound")
            )
        previous = bound
    return problems


def whole_packages(quantity: Decimal, size: Decimal) -> Decimal:
    """``ceil(quantity / size)`` exactly: a started package counts whole; zero is zero."""
    return Decimal(-(-Fraction(quantity) // Fraction(size)))
