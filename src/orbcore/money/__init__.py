"""Exact money: ``Money``, currencies and custom units, rounding, allocation, formatting.

This is part of orbcore's pure kernel: no I/O, no clock. Amounts are ``Decimal`` and
never ``float``; all quantizing happens in one module with a named :class:`RoundingMode`.
"""

from orbcore._api import publish
from orbcore.money._allocate import allocate
from orbcore.money._currency import (
    Currency,
    CurrencyRegistry,
    default_registry,
    get_currency,
    register_currency,
)
from orbcore.money._format import format_money
from orbcore.money._money import Money
from orbcore.money._numbers import DecimalLike, to_decimal
from orbcore.money._rounding import RoundingMode, is_quantized, quantize, round_rational

__all__ = [
    "Currency",
    "CurrencyRegistry",
    "DecimalLike",
    "Money",
    "RoundingMode",
    "allocate",
    "default_registry",
    "format_money",
    "get_currency",
    "is_quantized",
    "quantize",
    "register_currency",
    "round_rational",
    "to_decimal",
]

publish(globals(), __name__)
