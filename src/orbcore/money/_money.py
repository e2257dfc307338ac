"""``Money``: an exact amount in one currency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NoReturn, Self, final

from pydantic_core import core_schema

from orbcore._errors import CurrencyMismatchError, FloatNotAllowedError, ValidationError
from orbcore.money._currency import Currency, get_currency
from orbcore.money._numbers import (
    DECIMAL_PATTERN,
    exact_add,
    exact_mul,
    exact_sub,
    to_decimal,
)
from orbcore.money._rounding import RoundingMode, is_quantized, quantize, round_rational

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue

__all__ = ["Money"]


@final
class Money:
    """An immutable, exact amount of money in one currency.

    The amount is a ``Decimal`` kept exactly as computed; rounding to the currency's
    minor unit is explicit (:meth:`rounded`). Floats are refused, and combining two
    currencies raises :class:`~orbcore.CurrencyMismatchError`.

    Args:
        amount: a ``Decimal``, ``int`` or decimal string (``"12.50"``); never a float.
        currency: an ISO 4217 code, a registered custom unit, or a ``Currency``.

    >>> price = Money("19.99", "USD")
    >>> (price * 3).amount
    Decimal('59.97')
    >>> Money("10", "EUR") + Money("0.005", "EUR")
    Money('10.005', 'EUR')
    >>> Money("10.005", "EUR").rounded()
    Money('10.01', 'EUR')
    """

    __slots__ = ("_amount", "_currency")
    _amount: Decimal
    _currency: Currency

    def __init__(self, amount: Decimal | int | str, currency: Currency | str) -> None:
        object.__setattr__(self, "_amount", to_decimal(amount, field="amount"))
        object.__setattr__(self, "_currency", get_currency(currency))

    @classmethod
    def _of(cls, amount: Decimal, currency: Currency) -> Self:
        """Build from values already checked (skips parsing on hot paths)."""
        money = cls.__new__(cls)
        if amount.is_zero() and amount.is_signed():
            amount = amount.copy_abs()
        object.__setattr__(money, "_amount", amount)
        object.__setattr__(money, "_currency", currency)
        return money

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        """Zero in ``currency``."""
        return cls._of(Decimal(0), get_currency(currency))

    @classmethod
    def sum(cls, amounts: Iterable[Money], currency: Currency | str) -> Money:
        """Add ``amounts`` up; an empty iterable gives zero in ``currency``.

        Raises:
            CurrencyMismatchError: an amount is in another currency.
        """
        total = cls.zero(currency)
        for amount in amounts:
            total = total + amount
        return total

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse ``"<amount> <currency>"`` as printed by ``str(money)``.

        >>> Money.parse("1234.5 JPY")
        Money('1234.5', 'JPY')
        """
        parts = text.split(" ") if isinstance(text, str) else []
        if len(parts) != 2:
            raise ValidationError.at((), f"expected '<amount> <currency>', got {text!r}")
        return cls(parts[0], parts[1])

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Money:
        """Build from ``{"amount": "12.50", "currency": "USD"}``."""
        if not isinstance(data, Mapping):
            raise ValidationError.at((), f"expected a mapping, got {type(data).__name__}")
        missing = [key for key in ("amount", "currency") if key not in data]
        extra = sorted(set(data) - {"amount", "currency"})
        problems = [f"missing {key!r}" for key in missing]
        problems += [f"unexpected {key!r}" for key in extra]
        if problems:
            raise ValidationError.at((), ", ".join(problems))
        currency = data["currency"]
        if not isinstance(currency, str):
            raise ValidationError.at(("currency",), "must be a string")
        return cls(data["amount"], currency)  # type: ignore[arg-type]  # checked by to_decimal

    @property
    def amount(self) -> Decimal:
        """The exact amount."""
        return self._amount

    @property
    def currency(self) -> Currency:
        """The currency."""
        return self._currency

    @property
    def is_rounded(self) -> bool:
        """Whether the amount is a whole number of minor units."""
        return is_quantized(self._amount, self._currency.minor_units)

    def rounded(self, mode: RoundingMode = RoundingMode.HALF_UP) -> Money:
        """Round to the currency's minor unit with ``mode`` (half-up by default)."""
        return Money._of(quantize(self._amount, self._currency.minor_units, mode), self._currency)

    def prorated(self, share: Fraction | int, mode: RoundingMode = RoundingMode.HALF_UP) -> Money:
        """Multiply by an exact fraction and round to the minor unit.

        ``share`` is typically a day-count fraction such as ``Fraction(17, 31)``, whose
        product has no exact decimal form, so the result is rounded here, once.

        >>> Money("50.00", "USD").prorated(Fraction(17, 31))
        Money('27.42', 'USD')
        """
        if isinstance(share, bool) or not isinstance(share, Fraction | int):
            raise ValidationError.at(("share",), f"expected a Fraction, got {share!r}")
        exact = Fraction(self._amount) * share
        return Money._of(round_rational(exact, self._currency.minor_units, mode), self._currency)

    def to_decimal_string(self) -> str:
        """The amount in plain notation, never with an exponent: ``"1000.50"``."""
        return format(self._amount, "f")

    def to_dict(self) -> dict[str, str]:
        """``{"amount": "12.50", "currency": "USD"}``: decimal strings, never floats."""
        return {"amount": self.to_decimal_string(), "currency": self._currency.code}

    def format(
        self,
        locale: str = "en_US",
        *,
        mode: RoundingMode = RoundingMode.HALF_UP,
    ) -> str:
        """Format for display in ``locale``, rounded with orbcore's policy first.

        >>> Money("1234.555", "EUR").format("de_DE")
        '1.234,56\\xa0€'
        """
        from orbcore.money._format import format_money

        return format_money(self, locale, mode=mode)

    def _check(self, other: Money, operation: str) -> None:
        mine, theirs = self._currency, other._currency
        if mine != theirs:
            if mine.code == theirs.code:
                raise CurrencyMismatchError(
                    f"cannot {operation} {mine.code} with {mine.minor_units} minor units and "
                    f"{theirs.code} with {theirs.minor_units}: they come from different registries"
                )
            raise CurrencyMismatchError(f"cannot {operation} {mine.code} and {theirs.code}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "add")
        return Money._of(exact_add(self._amount, other._amount), self._currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "subtract")
        return Money._of(exact_sub(self._amount, other._amount), self._currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise FloatNotAllowedError.at(("factor",), "floats are not exact; pass Decimal or int")
        if isinstance(factor, Money | bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money._of(exact_mul(self._amount, to_decimal(factor)), self._currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money._of(-self._amount, self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._of(abs(self._amount), self._currency)

    def __bool__(self) -> bool:
        return not self._amount.is_zero()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._currency.code, self._amount))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "compare")
        return self._amount < other._amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "compare")
        return self._amount <= other._amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "compare")
        return self._amount > other._amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other, "compare")
        return self._amount >= other._amount

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Money is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (self.to_decimal_string(), self._currency.code))

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self._currency.code}"

    def __repr__(self) -> str:
        return f"Money({self.to_decimal_string()!r}, {self._currency.code!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a ``Money``, ``{"amount", "currency"}`` or ``"12.50 USD"``."""

        def validate(value: object) -> Money:
            if isinstance(value, Money):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            if isinstance(value, Mapping):
                return cls.from_dict(value)
            raise ValidationError.at((), f"expected money, got {type(value).__name__}")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(Money.to_dict),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """An object with a decimal-string ``amount`` and a ``currency`` code."""
        return {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": DECIMAL_PATTERN},
                "currency": {"type": "string"},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
