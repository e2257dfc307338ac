"""Formatting: babel's locale rules after orbcore's rounding."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from orbcore import CurrencyRegistry, Money, RoundingMode, ValidationError, format_money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "code", "locale", "expected"),
    [
        ("1234.56", "EUR", "de_DE", f"1.234,56{NBSP}€"),
        ("1234.56", "USD", "en_US", "$1,234.56"),
        ("-1234.5", "USD", "en_US", "-$1,234.50"),
        ("1234.5", "JPY", "ja_JP", "￥1,235"),
        ("1234.5678", "KWD", "en_US", "KWD1,234.568"),
        ("0.1", "CHF", "de_CH", f"CHF{NBSP}0.10"),
    ],
)
def test_amounts_follow_the_locale(amount: str, code: str, locale: str, expected: str) -> None:
    assert format_money(Money(amount, code), locale) == expected
    assert Money(amount, code).format(locale) == expected


def test_the_iso_minor_unit_is_shown_even_where_cldr_shows_fewer_digits() -> None:
    dinars = Money("1234.5678", "IQD")
    assert format_money(dinars, "en_US") == "IQD1,234.568"
    assert format_currency(Decimal("1234.5678"), "IQD", locale="en_US") == "IQD1,235"


def test_orbcore_rounds_before_babel_does() -> None:
    # babel alone rounds half-even with the thread context: 2.345 -> 2.34.
    assert format_currency(Decimal("2.345"), "USD", locale="en_US") == "$2.34"
    assert format_money(Money("2.345", "USD"), "en_US") == "$2.35"
    assert format_money(Money("2.345", "USD"), "en_US", mode=RoundingMode.HALF_EVEN) == "$2.34"


def test_the_thread_decimal_context_does_not_change_the_output() -> None:
    with decimal.localcontext() as context:
        context.rounding = decimal.ROUND_FLOOR
        context.prec = 2
        assert format_money(Money("98765.675", "USD"), "en_US") == "$98,765.68"


def test_custom_units_show_their_precision_and_name() -> None:
    credits = CurrencyRegistry().register("credits", 4)
    assert format_money(Money("2.5", credits), "de_DE") == "2,5000 credits"
    assert format_money(Money("1234.56789", credits), "en_US") == "1,234.5679 credits"


def test_an_unknown_locale_raises() -> None:
    with pytest.raises(ValidationError, match="unknown locale 'xx_YY'"):
        format_money(Money("1", "USD"), "xx_YY")
