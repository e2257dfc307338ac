"""Locale-aware display of money through babel, rounded by orbcore first.

babel rounds with the thread's decimal context and uses CLDR's display digits (IQD: 0),
so amounts are rounded here to the ISO minor unit with orbcore's mode, and babel is told
to print exactly that many decimals.
"""

from __future__ import annotations

import copy
import decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern

from orbcore._errors import ValidationError
from orbcore.money._money import Money
from orbcore.money._rounding import RoundingMode

__all__ = ["format_money"]


def format_money(
    money: Money,
    locale: str = "en_US",
    *,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> str:
    """Format ``money`` for ``locale`` with exactly its currency's minor units.

    Custom pricing units are shown as a locale-formatted number followed by the unit's
    name: ``1,234.5000 credits``.

    Args:
        money: the amount to show.
        locale: a locale identifier such as ``"en_US"``, ``"de_DE"`` or ``"ja_JP"``.
        mode: how to round to the minor unit before display.

    Raises:
        ValidationError: ``locale`` is not a known locale.

    >>> format_money(Money("1234.56", "EUR"), "de_DE")
    '1.234,56\\xa0€'
    >>> format_money(Money("1234.5", "JPY"), "ja_JP")
    '￥1,235'
    """
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValidationError.at(("locale",), f"unknown locale {locale!r}") from exc
    currency = money.currency
    value = money.rounded(mode).amount
    places = currency.minor_units
    with decimal.localcontext(decimal.Context(prec=max(28, value.adjusted() + places + 2))):
        if currency.is_iso:
            pattern = _with_places(parsed.currency_formats["standard"], places)
            text = pattern.apply(value, parsed, currency=currency.code, currency_digits=False)
            return str(text)
        pattern = _with_places(parsed.decimal_formats[None], places)
        return f"{pattern.apply(value, parsed)} {currency.code}"


def _with_places(pattern: NumberPattern, places: int) -> NumberPattern:
    fixed = copy.copy(pattern)
    fixed.frac_prec = (places, places)
    return fixed
