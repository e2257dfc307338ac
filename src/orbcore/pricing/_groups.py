"""Shared pieces of the grouped and matrix models: tiers written as lower bounds only,
quantities Orb writes as decimal strings, and sub-lines that belong to a group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from orbcore.money._numbers import exact_add, exact_mul, exact_sub
from orbcore.pricing._result import SubLine
from orbcore.pricing._tiers import Band

__all__ = [
    "GroupKey",
    "graduated_slice",
    "group_quantities",
    "label",
    "ordered",
    "sum_of",
    "within",
]

GroupKey = tuple[str | None, ...]
"""A group or matrix cell: its dimension values, ``("eu",)`` or ``("alpha", "west")``."""


def ordered(groups: Iterable[GroupKey]) -> list[GroupKey]:
    """Groups in a stable order: by their values, a missing value first."""
    return sorted(groups, key=lambda key: tuple("" if v is None else v for v in key))


def label(group: GroupKey) -> str:
    """``alpha, west``; a missing value shows as ``-``."""
    return ", ".join("-" if v is None else v for v in group)


def within(group: GroupKey, lines: Iterable[SubLine]) -> list[SubLine]:
    """``lines`` named after and attached to ``group``."""
    return [
        SubLine(
            name=f"{label(group)}: {line.name}",
            quantity=line.quantity,
            amount=line.amount,
            unit_amount=line.unit_amount,
            grouping=group,
        )
        for line in lines
    ]


def sum_of(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of ``values``."""
    result = Decimal(0)
    for value in values:
        result = exact_add(result, value)
    return result


def group_quantities(groups: Mapping[GroupKey, Decimal]) -> list[tuple[GroupKey, Decimal]]:
    """``(group, quantity)`` pairs in :func:`ordered` order."""
    return [(group, groups[group]) for group in ordered(groups)]


def graduated_slice(
    start: Decimal, end: Decimal, bands: Sequence[Band], label: str = "tier"
) -> list[SubLine]:
    """The units from ``start`` (exclusive) to ``end`` (inclusive) cut by graduated
    bands: one sub-line per band they touch. Slices laid end to end cost exactly what
    their total costs in one piece."""
    lines = []
    for index, (first, last, rate) in enumerate(bands, start=1):
        low = max(start, first)
        high = end if last is None else min(end, last)
        if high <= low:
            continue
        units = exact_sub(high, low)
        upper = "" if last is None else format(last, "f")
        lines.append(
            SubLine(
                name=f"{label} {index} ({format(first, 'f')}-{upper})",
                quantity=units,
                amount=exact_mul(units, rate),
                unit_amount=rate,
            )
        )
    return lines
