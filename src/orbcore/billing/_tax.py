"""Tax: the ``TaxCalculator`` port, and ``RateTableTax``, rates by jurisdiction.

Tax is the last step of a line: it is charged on the line's amount, after adjustments,
credits and what was already invoiced. A calculator returns, for each line, the taxes
on it, each a whole number of minor units; the invoice's tax is their sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

from orbcore._errors import Problem, ValidationError
from orbcore.billing._builder_rounding import round_money, split_rounded
from orbcore.money import Currency, DecimalLike, Money, RoundingMode, to_decimal
from orbcore.money._numbers import exact_mul, exact_sum

__all__ = ["RateTableTax", "TaxAmount", "TaxCalculator", "TaxContext", "TaxableLine"]


@dataclass(frozen=True, slots=True)
class TaxableLine:
    """A line as tax sees it.

    Attributes:
        position: the line's place on the invoice, from 1.
        price_id: the price the line bills.
        name: the line's name.
        amount: the amount to tax: after adjustments, credits and partial invoicing.
    """

    position: int
    price_id: str
    name: str
    amount: Money


@dataclass(frozen=True, slots=True)
class TaxContext:
    """Who is taxed, in what currency, and how amounts are rounded.

    Attributes:
        currency: the invoice's currency.
        rounding: the invoice's rounding mode.
        customer_id: the customer, when known.
        jurisdiction: where the customer is taxed: an ISO 3166 country (``"DE"``) or
            subdivision code (``"US-CA"``).
    """

    currency: Currency
    rounding: RoundingMode = RoundingMode.HALF_UP
    customer_id: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """One tax on one line, as Orb's ``tax_amounts`` shows it.

    Attributes:
        description: ``tax_rate_description``, e.g. ``"Sales tax 8%"``.
        rate: the rate as a fraction (``0.08``), or ``None`` when not a single rate.
        amount: the tax, a whole number of minor units.
    """

    description: str
    rate: Decimal | None
    amount: Money

    @property
    def percentage(self) -> Decimal | None:
        """``tax_rate_percentage``: the rate out of 100 (``8.00`` for ``0.08``)."""
        return None if self.rate is None else exact_mul(self.rate, Decimal(100))


class TaxCalculator(Protocol):
    """Computes the taxes of an invoice's lines. ``RateTableTax`` is the included one;
    an adapter for a tax service implements the same method."""

    def calculate(
        self, lines: Sequence[TaxableLine], context: TaxContext
    ) -> Sequence[Sequence[TaxAmount]]:
        """The taxes on each of ``lines``, in order (an empty sequence: no tax).

        Each amount must be in ``context.currency`` and a whole number of its minor
        units; the invoice builder checks this.
        """
        ...


class RateTableTax:
    """Tax at one rate per jurisdiction, or at one flat rate.

    The rate is looked up by the context's jurisdiction (``"US-CA"``), then by its
    country (``"US"``), then ``default``. The invoice's tax at that rate is rounded once,
    on the sum of the lines, and spread over the lines by the largest-remainder method,
    so the lines' taxes add up to it and each is within a minor unit of its exact share.

    Args:
        rates: rates as fractions (``"0.08"`` for 8%) by jurisdiction code.
        default: the rate where no code matches; without one, an unmatched
            jurisdiction is a ``ValidationError``.
        name: the start of each tax's description (``"Sales tax 8%"``).

    Raises:
        ValidationError: every rate that is not a number from 0 to 1, or no rate at all.

    >>> from orbcore import Money, get_currency
    >>> tax = RateTableTax({"US-CA": "0.0725", "DE": "0.19"}, default="0", name="Tax")
    >>> tax.rate_for("de")
    ('Tax DE 19%', Decimal('0.19'))
    >>> lines = [TaxableLine(1, "price_calls", "API calls", Money("107.00", "USD"))]
    >>> [taxes] = tax.calculate(lines, TaxContext(get_currency("USD"), jurisdiction="US-CA"))
    >>> taxes
    (TaxAmount(description='Tax US-CA 7.25%', rate=Decimal('0.0725'), amount=Money('7.76', 'USD')),)
    """

    def __init__(
        self,
        rates: Mapping[str, DecimalLike] | None = None,
        *,
        default: DecimalLike | None = None,
        name: str = "Tax",
    ) -> None:
        problems: list[Problem] = []
        table = {
            str(code).upper(): _rate(rate, ("rates", str(code)), problems)
            for code, rate in (rates or {}).items()
        }
        fallback = None if default is None else _rate(default, ("default",), problems)
        if not table and fallback is None:
            problems.append(Problem(("rates",), "give rates by jurisdiction or a default"))
        if problems:
            raise ValidationError(problems)
        self._rates = MappingProxyType(table)
        self._default = fallback
        self._name = name

    @classmethod
    def flat(cls, rate: DecimalLike, *, name: str = "Tax") -> RateTableTax:
        """One rate for every customer."""
        return cls(default=rate, name=name)

    def rate_for(self, jurisdiction: str | None) -> tuple[str, Decimal]:
        """The description and rate that apply in ``jurisdiction``.

        Raises:
            ValidationError: no rate matches and there is no default.
        """
        code = (jurisdiction or "").upper()
        for key in (code, code.split("-")[0]):
            if key and key in self._rates:
                rate = self._rates[key]
                return f"{self._name} {key} {_percent(rate)}%", rate
        if self._default is None:
            raise ValidationError.at(
                ("jurisdiction",), f"no tax rate for {jurisdiction!r} and no default rate"
            )
        return f"{self._name} {_percent(self._default)}%", self._default

    def calculate(
        self, lines: Sequence[TaxableLine], context: TaxContext
    ) -> list[tuple[TaxAmount, ...]]:
        """One tax per line at the jurisdiction's rate; see the class docstring."""
        if not lines:
            return []
        description, rate = self.rate_for(context.jurisdiction)
        exact = [exact_mul(line.amount.amount, rate) for line in lines]
        total = round_money(exact_sum(exact), context.currency, context.rounding)
        return [(TaxAmount(description, rate, part),) for part in split_rounded(exact, total)]

    def __repr__(self) -> str:
        rates = {code: format(rate, "f") for code, rate in self._rates.items()}
        default = None if self._default is None else format(self._default, "f")
        return f"RateTableTax({rates!r}, default={default!r}, name={self._name!r})"


def _rate(value: object, path: tuple[str, ...], problems: list[Problem]) -> Decimal:
    try:
        rate = to_decimal(value, field="rate")
    except ValidationError as exc:
        problems.extend(Problem(path, p.message) for p in exc.problems)
        return Decimal(0)
    if not 0 <= rate <= 1:
        problems.append(Problem(path, f"{rate} is not a rate from 0 to 1 (0.08 is 8%)"))
    return rate


def _percent(rate: Decimal) -> str:
    text = format(exact_mul(rate, Decimal(100)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
