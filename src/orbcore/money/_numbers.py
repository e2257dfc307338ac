"""The one way to make an exact number, and the context exact arithmetic runs in."""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import Decimal

from orbcore._errors import FloatNotAllowedError, PrecisionError, ValidationError

__all__ = [
    "DECIMAL_PATTERN",
    "EXACT",
    "DecimalLike",
    "exact_add",
    "exact_mul",
    "exact_sub",
    "exact_sum",
    "to_decimal",
]

DecimalLike = Decimal | int | str
"""What orbcore accepts where it needs an exact number."""

# Plain decimal notation with an optional exponent; no whitespace, underscores, NaN or
# infinities. Decimal() itself accepts all of those, which is too lenient for money.
DECIMAL_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""The decimal strings orbcore accepts, as a regular expression (also used in JSON schemas)."""
_DECIMAL_TEXT = re.compile(DECIMAL_PATTERN)

# Wide enough for any real amount, narrow enough that a runaway operation fails fast.
# Inexact is trapped: an operation that would have to round raises instead.
EXACT = decimal.Context(
    prec=1000,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Inexact,
        decimal.FloatOperation,
    ],
)


MAX_DIGITS = 1000
"""The most digits :func:`to_decimal` accepts before, and after, the decimal point: a
number such as ``1e999999999`` would take a gigabyte to write out."""


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Convert ``value`` to a finite ``Decimal`` without ever going through a float.

    Args:
        value: a ``Decimal``, an ``int`` or a decimal string such as ``"12.50"`` or
            ``"1e3"``.
        field: the name used in error messages.

    Returns:
        The exact value; negative zero becomes zero.

    Raises:
        FloatNotAllowedError: ``value`` is a ``float``.
        ValidationError: anything else that is not a finite decimal number, or one with
            more than :data:`MAX_DIGITS` digits before or after the point.

    >>> to_decimal("0.10") + to_decimal(2)
    Decimal('2.10')
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError.at((field,), f"expected a number, got the boolean {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        raise FloatNotAllowedError.at(
            (field,),
            f"floats are not exact; pass Decimal or a string such as {str(value)!r}",
        )
    elif isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ValidationError.at((field,), f"{shown!r} is not a decimal number")
        result = Decimal(value)
    else:
        raise ValidationError.at(
            (field,), f"expected a Decimal, int or decimal string, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise ValidationError.at((field,), f"{result} is not a finite number")
    if result.is_zero() and result.is_signed():
        result = result.copy_abs()
    if not result.is_zero():
        _check_length(result, field)
    return result


def _check_length(value: Decimal, field: str) -> None:
    """Refuse a number with more than :data:`MAX_DIGITS` digits on a side of the point."""
    exponent = value.as_tuple().exponent  # an int: the number is finite
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    if max(value.adjusted() + 1, 0) > MAX_DIGITS:
        raise ValidationError.at(
            (field,), f"is too large: more than {MAX_DIGITS:,} digits before the point"
        )
    if places > MAX_DIGITS:
        raise ValidationError.at((field,), f"has too many decimal places: more than {MAX_DIGITS:,}")


def exact_add(a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` exactly, or :class:`PrecisionError`."""
    try:
        return EXACT.add(a, b)
    except decimal.DecimalException as exc:
        raise PrecisionError(f"{a} + {b} cannot be represented exactly") from exc


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` exactly, or :class:`PrecisionError`."""
    try:
        return EXACT.subtract(a, b)
    except decimal.DecimalException as exc:
        raise PrecisionError(f"{a} - {b} cannot be represented exactly") from exc


def exact_mul(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` exactly, or :class:`PrecisionError`."""
    try:
        return EXACT.multiply(a, b)
    except decimal.DecimalException as exc:
        raise PrecisionError(f"{a} * {b} cannot be represented exactly") from exc


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of ``values`` exactly (0 for none), or :class:`PrecisionError`."""
    total = Decimal(0)
    for value in values:
        total = exact_add(total, value)
    return total
