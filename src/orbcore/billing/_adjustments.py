"""Adjustments in Orb's shape: usage, amount and percentage discounts, minimums, maximums.

An adjustment applies to one price (``is_invoice_level`` false, that price's id alone in
``applies_to_price_ids``) or at the invoice level, to the prices listed in
``applies_to_price_ids`` or to every price (``applies_to_all``). :func:`parse_adjustment`
(:mod:`orbcore.billing._adjust_json`) reads Orb-shaped JSON and raises one
``ValidationError`` that lists every problem with its path; ``to_orb`` writes an adjustment
back. How the invoice builder applies them is in :mod:`orbcore.billing._adjust_apply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr

from orbcore._errors import Problem
from orbcore.money._numbers import exact_mul
from orbcore.pricing._fields import NonNegativeAmount, Number

__all__ = [
    "ADJUSTMENT_TYPES",
    "Adjustment",
    "AdjustmentType",
    "AmountDiscount",
    "Maximum",
    "Minimum",
    "PercentageDiscount",
    "UsageDiscount",
]


class AdjustmentType(StrEnum):
    """Orb's ``adjustment_type`` values, in the order the invoice applies them."""

    USAGE_DISCOUNT = "usage_discount"
    AMOUNT_DISCOUNT = "amount_discount"
    PERCENTAGE_DISCOUNT = "percentage_discount"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"


class Adjustment(BaseModel):
    """What every adjustment has: an optional id and reason, and its scope.

    Build one of the subclasses (:class:`UsageDiscount`, :class:`AmountDiscount`,
    :class:`PercentageDiscount`, :class:`Minimum`, :class:`Maximum`), or read Orb's JSON
    with :meth:`from_orb`. Whether the scope is consistent (one price id for a
    price-level adjustment, say) is reported by :meth:`problems`, which
    :func:`parse_adjustment` and the invoice builder run.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
    adjustment_type: ClassVar[AdjustmentType]
    value_field: ClassVar[str]

    id: StrictStr | None = None
    applies_to_price_ids: tuple[StrictStr, ...] = ()
    applies_to_all: StrictBool = False
    is_invoice_level: StrictBool = False
    reason: StrictStr | None = None

    @classmethod
    def from_orb(cls, data: Mapping[str, Any] | str) -> Adjustment:
        """Read an adjustment from Orb-shaped JSON; see :func:`parse_adjustment`."""
        from orbcore.billing._adjust_json import parse_adjustment

        return parse_adjustment(data)

    @property
    def value(self) -> Decimal:
        """The adjustment's figure: units, an amount, or a fraction from 0 to 1."""
        figure: Decimal = getattr(self, self.value_field)
        return figure

    def applies_to(self, price_id: str) -> bool:
        """Whether the adjustment covers the price ``price_id``."""
        return self.applies_to_all or price_id in self.applies_to_price_ids

    def describe(self) -> str:
        """A short label for invoices: ``10% discount``, ``minimum 50.00``."""
        raise NotImplementedError

    def problems(self) -> list[Problem]:
        """Problems that span fields, with paths inside the adjustment."""
        ids = self.applies_to_price_ids
        found = [
            Problem(("applies_to_price_ids",), f"{price_id!r} is listed twice")
            for index, price_id in enumerate(ids)
            if price_id in ids[:index]
        ]
        if not self.is_invoice_level:
            if self.applies_to_all:
                found.append(
                    Problem(
                        ("applies_to_all",),
                        "a price-level adjustment applies to one price; set is_invoice_level "
                        "to apply it to every price",
                    )
                )
            elif len(ids) != 1:
                found.append(
                    Problem(
                        ("applies_to_price_ids",),
                        f"a price-level adjustment applies to exactly one price id, got {len(ids)}",
                    )
                )
        elif self.applies_to_all and ids:
            found.append(
                Problem(
                    ("applies_to_all",), "give applies_to_price_ids or applies_to_all, not both"
                )
            )
        elif not self.applies_to_all and not ids:
            found.append(
                Problem(
                    ("applies_to_price_ids",),
                    "an invoice-level adjustment needs price ids or applies_to_all",
                )
            )
        return found

    def to_orb(self) -> dict[str, Any]:
        """The adjustment in Orb's shape; ``parse_adjustment(a.to_orb()) == a``.

        Amounts are decimal strings; ``usage_discount`` and ``percentage_discount`` are
        numbers (``int`` or ``Decimal``), as in Orb's JSON.
        """
        body = self.model_dump(mode="python", exclude_defaults=True)
        body.pop("applies_to_all", None)
        head: dict[str, Any] = {
            "adjustment_type": self.adjustment_type.value,
            self.value_field: body.pop(self.value_field),
            "applies_to_price_ids": list(self.applies_to_price_ids),
            "is_invoice_level": self.is_invoice_level,
        }
        body.pop("applies_to_price_ids", None)
        body.pop("is_invoice_level", None)
        if self.applies_to_all:
            head["applies_to_all"] = True
        return {**head, **body}


class UsageDiscount(Adjustment):
    """Takes ``usage_discount`` units off the quantity of one price before it is rated.

    Orb applies usage discounts at line level only, so ``is_invoice_level`` must be false.
    """

    adjustment_type: ClassVar[AdjustmentType] = AdjustmentType.USAGE_DISCOUNT
    value_field: ClassVar[str] = "usage_discount"
    usage_discount: Number

    def describe(self) -> str:
        return f"usage discount of {_plain(self.usage_discount)} units"

    def problems(self) -> list[Problem]:
        found = super().problems()
        if self.is_invoice_level:
            found.append(
                Problem(("is_invoice_level",), "usage discounts apply to one price, at line level")
            )
        return found


class AmountDiscount(Adjustment):
    """Takes ``amount_discount`` off the amount, never below zero."""

    adjustment_type: ClassVar[AdjustmentType] = AdjustmentType.AMOUNT_DISCOUNT
    value_field: ClassVar[str] = "amount_discount"
    amount_discount: NonNegativeAmount

    def describe(self) -> str:
        return f"discount of {self.amount_discount:f}"


class PercentageDiscount(Adjustment):
    """Takes a fraction (``0.1`` is 10%) off the amount."""

    adjustment_type: ClassVar[AdjustmentType] = AdjustmentType.PERCENTAGE_DISCOUNT
    value_field: ClassVar[str] = "percentage_discount"
    percentage_discount: Number

    def describe(self) -> str:
        percent = exact_mul(self.percentage_discount, Decimal(100))
        return f"{_plain(percent)}% discount"

    def problems(self) -> list[Problem]:
        found = super().problems()
        if self.percentage_discount > 1:
            found.append(
                Problem(("percentage_discount",), "must be from 0 to 1 (0.1 is a 10% discount)")
            )
        return found


class Minimum(Adjustment):
    """Raises the amount to ``minimum_amount`` when it is below it (a commitment)."""

    adjustment_type: ClassVar[AdjustmentType] = AdjustmentType.MINIMUM
    value_field: ClassVar[str] = "minimum_amount"
    minimum_amount: NonNegativeAmount
    item_id: StrictStr | None = None

    def describe(self) -> str:
        return f"minimum {self.minimum_amount:f}"


class Maximum(Adjustment):
    """Caps the amount at ``maximum_amount``."""

    adjustment_type: ClassVar[AdjustmentType] = AdjustmentType.MAXIMUM
    value_field: ClassVar[str] = "maximum_amount"
    maximum_amount: NonNegativeAmount

    def describe(self) -> str:
        return f"maximum {self.maximum_amount:f}"


def _plain(value: Decimal) -> str:
    """``value`` in plain notation, without trailing zeros after the point."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


ADJUSTMENT_TYPES: dict[str, type[Adjustment]] = {
    kind.adjustment_type.value: kind
    for kind in (UsageDiscount, AmountDiscount, PercentageDiscount, Minimum, Maximum)
}
"""The adjustment classes by Orb's ``adjustment_type``, in the order they apply."""
