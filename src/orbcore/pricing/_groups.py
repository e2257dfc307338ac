"""Shared pieces of the pricing models: tiers written as lower bounds only, quantities
Orb writes as decimal strings, sub-lines that belong to a group, exact sums, numbers read
from events, and the bounds of package tiers."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from orbcore._errors import Problem, ValidationError
from orbcore.money._numbers import EXACT, exact_mul, exact_sub, exact_sum, to_decimal
from orbcore.pricing._result import SubLine, Usage
from orbcore.pricing._tiers import Band, lower_bound_problems

__all__ = [
    "GroupKey",
    "cell_of",
    "event_mappings",
    "event_numbers",
    "graduated_slice",
    "group_quantities",
    "label",
    "ordered",
    "package_bound_problems",
    "repeats",
    "sum_of",
    "within",
]

GroupKey = tuple[str | None, ...]
"""A group or matrix cell: its dimension values, ``("eu",)`` or ``("alpha", "west")``."""


def ordered(groups: Iterable[GroupKey]) -> list[GroupKey]:
    """Groups in a stable order: by their values, a missing value first."""
    return sorted(groups, key=_order_key)


def _order_key(key: GroupKey) -> tuple[str, ...]:
    # A list, not a generator: this runs for every cell of every rating.
    return tuple(["" if v is None else v for v in key])


def cell_of(first: str, second: str | None, two_dimensions: bool) -> GroupKey:
    """The cell of a matrix row: one value, or two when the matrix has two dimensions."""
    return (first, second) if two_dimensions else (first,)


def label(group: GroupKey) -> str:
    """``alpha, west``; a missing value shows as ``-``."""
    return ", ".join(["-" if v is None else v for v in group])


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


sum_of = exact_sum
"""The exact sum of amounts or quantities."""


def event_mappings(usage: Usage) -> list[Mapping[str, object]]:
    """``usage.events``, each checked to be a mapping of property values.

    Raises:
        ValidationError: an event that is not a mapping, naming ``("events", index)``.
    """
    events = []
    given: Sequence[object] = usage.events  # typed as mappings, but callers pass anything
    for index, event in enumerate(given):
        if not isinstance(event, Mapping):
            kind = type(event).__name__
            raise ValidationError.at(
                ("events", index), f"must be a mapping of properties, got {kind}"
            )
        events.append(event)
    return events


def event_numbers(usage: Usage, key: str, required: str) -> list[Decimal]:
    """Each event's non-negative number under ``key``, exactly.

    Args:
        usage: the usage whose events are read.
        key: the event property that holds the number.
        required: the message for an event without one (``"is required: ..."``).

    Raises:
        ValidationError: an event that is not a mapping, or one without the number, or
            with a negative or inexact one, naming the event.
    """
    values = []
    for index, event in enumerate(event_mappings(usage)):
        where = ("events", index, key)
        raw = event.get(key)
        if raw is None:
            raise ValidationError.at(where, required)
        try:
            value = to_decimal(raw, field=key)
        except ValidationError as exc:
            raise type(exc).at(where, exc.problems[0].message) from None
        if value < 0:
            raise ValidationError.at(where, "must not be negative")
        values.append(value)
    return values


def package_bound_problems(bounds: Sequence[Decimal], size: Decimal) -> list[Problem]:
    """Problems of lower-bound tiers that count units in packages of ``size``: those of
    :func:`~orbcore.pricing._tiers.lower_bound_problems`, and each bound must be a whole
    number of packages, at most ``EXACT.prec`` digits of them (so that counting a bound
    in packages is exact in orbcore's exact context).

    Divisibility is decided in exact rational arithmetic, whatever the exponents.
    """
    problems = lower_bound_problems(bounds, "tiers")
    if size <= 0:
        return problems
    for index, bound in enumerate(bounds):
        where = ("tiers", index, "tier_lower_bound")
        problem = _package_problem(bound, size)
        if problem is not None:
            problems.append(Problem(where, problem))
    return problems


def _package_problem(bound: Decimal, size: Decimal) -> str | None:
    """What is wrong with ``bound`` as a whole number of packages of ``size > 0``."""
    if bound <= 0:
        return None  # zero is no package; a negative bound is reported elsewhere
    if bound.adjusted() - size.adjusted() > EXACT.prec:
        return f"is too large: more than {EXACT.prec} digits of packages of package_size"
    if bound < size:
        return "must be a multiple of package_size"
    # Coefficients and the exponents' difference only: the guards above keep that
    # difference within the digits written, however large the exponents themselves.
    (bound_digits, bound_exponent), (size_digits, size_exponent) = _parts(bound), _parts(size)
    shift = bound_exponent - size_exponent
    packages = Fraction(bound_digits * 10 ** max(shift, 0), size_digits * 10 ** max(-shift, 0))
    if packages.denominator != 1:
        return "must be a multiple of package_size"
    if packages.numerator >= 10**EXACT.prec:
        return f"is too large: more than {EXACT.prec} digits of packages of package_size"
    return None


def _parts(value: Decimal) -> tuple[int, int]:
    """``value``'s coefficient and exponent: ``Decimal("1.50")`` is ``(150, -2)``."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite numbers only
    return int(Decimal((0, digits, 0))), exponent


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


def repeats(
    values: Sequence[Hashable], path: str, name: Callable[[Any], str] = repr
) -> list[Problem]:
    """A problem at ``(path, index)`` for each value already seen earlier in ``values``."""
    seen: set[Hashable] = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(Problem((path, index), f"repeats {name(value)}"))
        seen.add(value)
    return problems
