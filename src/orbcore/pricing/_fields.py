"""Field types for price configurations: exact numbers in, Orb's shapes out.

``Amount`` is money: a decimal string in Orb's JSON (``"0.50"``), kept as a string on the
way out. ``Number`` is a quantity or bound: a JSON number (``10``, ``2.5``), written back
as the same number. Both refuse floats, booleans, NaN and infinities.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

from orbcore._errors import ValidationError
from orbcore.money._numbers import to_decimal

__all__ = [
    "Amount",
    "NonNegativeAmount",
    "Number",
    "PositiveNumber",
    "PositiveQuantity",
    "Quantity",
    "number_out",
]


def _exact(value: object) -> Decimal:
    try:
        return to_decimal(value)
    except ValidationError as exc:
        message = exc.problems[0].message.replace("{", "(").replace("}", ")")
        raise PydanticCustomError("exact_number", message) from None


def _non_negative(value: object) -> Decimal:
    number = _exact(value)
    if number < 0:
        raise PydanticCustomError("negative", "must not be negative")
    return number


def _positive(value: object) -> Decimal:
    number = _exact(value)
    if number <= 0:
        raise PydanticCustomError("not_positive", "must be greater than zero")
    return number


def number_out(value: Decimal) -> Any:
    """A number as Orb writes it: an ``int`` when whole and written without decimals."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return value


Amount = Annotated[Decimal, BeforeValidator(_exact), PlainSerializer(lambda d: format(d, "f"))]
"""Money: a decimal string such as ``"0.50"``; may be negative."""

NonNegativeAmount = Annotated[
    Decimal, BeforeValidator(_non_negative), PlainSerializer(lambda d: format(d, "f"))
]
"""Money that must not be negative."""

Number = Annotated[Decimal, BeforeValidator(_non_negative), PlainSerializer(number_out)]
"""A non-negative quantity or bound, written as a JSON number."""

PositiveNumber = Annotated[Decimal, BeforeValidator(_positive), PlainSerializer(number_out)]
"""A quantity that must be greater than zero (a package size)."""

Quantity = NonNegativeAmount
"""A non-negative quantity or bound that Orb's newer models write as a decimal string
(``"100"``), not as a JSON number."""

PositiveQuantity = Annotated[
    Decimal, BeforeValidator(_positive), PlainSerializer(lambda d: format(d, "f"))
]
"""A quantity written as a decimal string that must be greater than zero (a package size)."""
