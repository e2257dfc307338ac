"""``RatedCharge``: a price rated for a period, ready to become one line of an invoice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orbcore._errors import Problem, ValidationError
from orbcore.money import Currency, DecimalLike, is_quantized, to_decimal
from orbcore.money._numbers import exact_sum
from orbcore.pricing import Price, PriceResult, Usage

__all__ = ["RatedCharge", "charge_problems"]

Rate = Callable[[Decimal], PriceResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class RatedCharge:
    """A price rated for a period: the input of one invoice line.

    Attributes:
        price_id: the price; a price appears on at most one line of an invoice.
        name: the line's name.
        result: the exact, unrounded rating of the period's usage.
        start_date: the start of the period the line bills (aware).
        end_date: its end (aware, not before the start).
        partially_invoiced_amount: what earlier threshold invoices of the period
            already billed for this price: a whole number of minor units, 0 or more.
        rerate: rates a quantity with the same price (its ``evaluate``). Only a usage
            discount needs it, to re-rate the quantity less the discounted units.
    """

    price_id: str
    name: str
    result: PriceResult
    start_date: datetime
    end_date: datetime
    partially_invoiced_amount: Decimal = Decimal(0)
    rerate: Rate | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_price(
        cls,
        price: Price,
        usage: Usage | DecimalLike,
        *,
        price_id: str,
        start_date: datetime,
        end_date: datetime,
        name: str | None = None,
        partially_invoiced_amount: DecimalLike = 0,
    ) -> RatedCharge:
        """Rate ``usage`` with ``price`` and keep the price to re-rate usage discounts.

        The name defaults to the price's ``name`` field, then to ``price_id``. A
        :class:`~orbcore.pricing.Usage` with groups or events is not re-rated on a bare
        quantity, so such a charge takes no usage discount.

        Raises:
            ValidationError: the usage or the partially invoiced amount is invalid.
        """
        grouped = isinstance(usage, Usage) and bool(usage.groups or usage.events)
        if name is None:
            named = price.fields.get("name")
            name = named if isinstance(named, str) else price_id
        return cls(
            price_id=price_id,
            name=name,
            result=price.evaluate(usage),
            start_date=start_date,
            end_date=end_date,
            partially_invoiced_amount=to_decimal(
                partially_invoiced_amount, field="partially_invoiced_amount"
            ),
            rerate=None if grouped else price.evaluate,
        )


def charge_problems(charges: Sequence[object], currency: Currency) -> list[Problem]:
    """Every problem with ``charges`` (callers may pass anything), each path starting with
    ``("charges", index)``."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, charge in enumerate(charges):
        path = ("charges", index)
        if not isinstance(charge, RatedCharge):
            problems.append(Problem(path, f"expected a RatedCharge, got {type(charge).__name__}"))
            continue
        problems += [Problem((*path, *p.path), p.message) for p in _problems(charge, currency)]
        if charge.price_id in first:
            problems.append(
                Problem(
                    (*path, "price_id"),
                    f"{charge.price_id!r} is already charged by charges.{first[charge.price_id]}; "
                    "a price appears on one line per invoice",
                )
            )
        first.setdefault(charge.price_id, index)
    return problems


def _problems(charge: RatedCharge, currency: Currency) -> list[Problem]:
    problems = [
        Problem((name,), "must be non-empty text")
        for name in ("price_id", "name")
        if not isinstance(getattr(charge, name), str) or not getattr(charge, name)
    ]
    problems += _period_problems(charge.start_date, charge.end_date)
    result: object = charge.result  # callers may pass anything despite the annotation
    if not isinstance(result, PriceResult):
        problems.append(Problem(("result",), "expected a PriceResult"))
    elif result.sub_lines and exact_sum(s.amount for s in result.sub_lines) != result.amount:
        problems.append(Problem(("result",), f"sub-lines do not add up to {result.amount}"))
    try:
        partial = to_decimal(charge.partially_invoiced_amount, field="partially_invoiced_amount")
    except ValidationError as exc:
        return problems + list(exc.problems)
    if partial < 0 or not is_quantized(partial, currency.minor_units):
        problems.append(
            Problem(
                ("partially_invoiced_amount",),
                f"{partial} is not 0 or more in whole {currency.code} minor units",
            )
        )
    return problems


def _period_problems(start: object, end: object) -> list[Problem]:
    problems = [
        Problem((name,), "must be an aware datetime")
        for name, value in (("start_date", start), ("end_date", end))
        if not isinstance(value, datetime) or value.utcoffset() is None
    ]
    if not problems and isinstance(start, datetime) and isinstance(end, datetime) and end < start:
        problems.append(Problem(("end_date",), f"{end.isoformat()} is before the start"))
    return problems
