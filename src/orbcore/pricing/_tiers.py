"""Graduated tiers: each unit is charged at the rate of the tier it falls in."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT
from orbcore.pricing._result import SubLine, quick_line

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

_ZERO = Decimal(0)
# Bound once: graduate() runs for every quantity rated.
_add, _multiply, _subtract = EXACT.add, EXACT.multiply, EXACT.subtract

_Row = tuple[Decimal, Decimal | None, Decimal, str, tuple[SubLine, ...], Decimal]
"""A tier prepared for rating: its band, its sub-line's name, the sub-lines of the full
tiers below it and their sum."""


class TierTable:
    """Bands prepared once per price, so that rating a quantity is one bisection and one
    partial tier: full tiers' sub-lines and running totals are computed in advance."""

    __slots__ = ("bands", "bounds", "rows")

    def __init__(self, bands: Sequence[Band], label: str = "tier") -> None:
        self.bands = tuple(bands)
        names = [
            f"{label} {n} ({format(first, 'f')}-{'' if last is None else format(last, 'f')})"
            for n, (first, last, _) in enumerate(self.bands, start=1)
        ]
        # Lower bounds are exclusive and ascending, so the number of them below a quantity,
        # the first tier's left out, is the index of the tier that holds it (0 holds 0).
        self.bounds = [first for first, _, _ in self.bands[1:]]
        rows: list[_Row] = []
        full: tuple[SubLine, ...] = ()
        running = _ZERO
        for (first, last, rate), name in zip(self.bands, names, strict=True):
            rows.append((first, last, rate, name, full, running))
            if last is not None:
                units = EXACT.subtract(last, first)
                line = SubLine(name, units, EXACT.multiply(units, rate), rate)
                full = (*full, line)
                running = EXACT.add(running, line.amount)
        self.rows = tuple(rows)


def tier_table(bands: Sequence[Band], label: str = "tier") -> TierTable:
    """Bands with labels such as ``tier 2 (10000-100000)``, prepared for rating."""
    return TierTable(bands, label)


def graduate(quantity: Decimal, table: TierTable) -> tuple[tuple[SubLine, ...], Decimal]:
    """One sub-line per tier that ``quantity`` reaches, and their exact sum.

    Tier ``(first, last]`` holds ``min(quantity, last) - first`` units (none if negative);
    the first tier always has a sub-line, with 0 units at zero usage. Arithmetic runs in
    orbcore's exact context: it raises rather than rounds.
    """
    first, last, rate, name, full, before = table.rows[bisect_left(table.bounds, quantity)]
    top = quantity if last is None or quantity < last else last
    units = _subtract(top, first) if top > first else _ZERO
    partial = _multiply(units, rate)
    return (*full, quick_line(name, units, partial, rate)), _add(before, partial)


def graduated(quantity: Decimal, bands: Sequence[Band], label: str = "tier") -> list[SubLine]:
    """The sub-lines of :func:`graduate` for bands given directly (no prepared table)."""
    return list(graduate(quantity, tier_table(bands, label))[0])


def band_problems(bands: Sequence[tuple[Decimal, Decimal | None]], path: str) -> list[Problem]:
    """Gaps, overlaps, empty tiers and misplaced open ends, with their paths.

    The first tier must start at 0; each next tier starts where the previous ends; the last
    tier, and only the last, is open-ended (Orb: ``last_unit`` is null if and only if the
    tier is the last), so every quantity has a tier.
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
        if index == len(bands) - 1:
            problems.append(
                Problem((path, index, "last_unit"), "the last tier must be open (null)")
            )
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
