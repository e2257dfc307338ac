"""What rating returns: an exact amount and the sub-lines that explain it.

Results are named tuples: immutable, and cheap to build on the hot path of rating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from orbcore.money._numbers import exact_sum

__all__ = [
    "PriceResult",
    "SubLine",
    "Usage",
    "quick_line",
    "quick_result",
    "quick_usage",
    "total",
]

_NO_GROUPS: Mapping[tuple[str | None, ...], Decimal] = MappingProxyType({})
_ZERO = Decimal(0)


class Usage(NamedTuple):
    """The usage a price is rated on.

    Attributes:
        quantity: the total quantity of the period (for unit, tiered, bulk, package...).
        groups: quantities per group or matrix cell, keyed by the tuple of dimension
            values (``("alpha", "west")``; a one-dimension key is ``("alpha",)``).
        events: per-event property values, for models that rate each event.
        upstream: for composite prices (``percent``, ``minimum_composite``), the amount
            of the prices they apply to.
    """

    quantity: Decimal = Decimal(0)
    groups: Mapping[tuple[str | None, ...], Decimal] = _NO_GROUPS
    events: Sequence[Mapping[str, object]] = ()
    upstream: Decimal = Decimal(0)


class SubLine(NamedTuple):
    """One part of a price's amount: a tier, a cell, a group.

    ``amount`` is exact; ``unit_amount`` is the rate applied, where there is one.
    """

    name: str
    quantity: Decimal
    amount: Decimal
    unit_amount: Decimal | None = None
    grouping: tuple[str | None, ...] | None = None

    def explain(self) -> str:
        """``tier 2: 90000 x 0.0008 = 72.0000``."""
        if self.unit_amount is None:
            return f"{self.name}: {_plain(self.quantity)} -> {_plain(self.amount)}"
        return (
            f"{self.name}: {_plain(self.quantity)} x {_plain(self.unit_amount)} "
            f"= {_plain(self.amount)}"
        )


class PriceResult(NamedTuple):
    """The exact, unrounded amount of a price for some usage, with its sub-lines.

    The sub-lines add up to ``amount`` exactly. Rounding belongs to the invoice.
    Printing a result shows the arithmetic.
    """

    model_type: str
    quantity: Decimal
    amount: Decimal
    sub_lines: tuple[SubLine, ...] = ()

    def explain(self) -> str:
        """The result and its sub-lines, one per line."""
        head = f"{self.model_type}: {_plain(self.quantity)} -> {_plain(self.amount)}"
        return "\n".join([head, *(f"  {line.explain()}" for line in self.sub_lines)])

    def __str__(self) -> str:
        return self.explain()


def quick_usage(quantity: Decimal) -> Usage:
    """``Usage(quantity)``, built without the keyword handling of the generated
    constructor: rating a bare quantity is the hot path of scalar pricing."""
    return tuple.__new__(Usage, (quantity, _NO_GROUPS, (), _ZERO))


def quick_line(name: str, quantity: Decimal, amount: Decimal, rate: Decimal) -> SubLine:
    """``SubLine(name, quantity, amount, rate)``, built as :func:`quick_usage` is."""
    return tuple.__new__(SubLine, (name, quantity, amount, rate, None))


def quick_result(
    model_type: str, quantity: Decimal, amount: Decimal, lines: tuple[SubLine, ...]
) -> PriceResult:
    """``PriceResult(...)``, built as :func:`quick_usage` is."""
    return tuple.__new__(PriceResult, (model_type, quantity, amount, lines))


def total(model_type: str, quantity: Decimal, sub_lines: Sequence[SubLine]) -> PriceResult:
    """A result whose amount is the exact sum of ``sub_lines``."""
    amount = exact_sum(line.amount for line in sub_lines)
    return PriceResult(model_type, quantity, amount, tuple(sub_lines))


def _plain(value: Decimal) -> str:
    return format(value, "f")
