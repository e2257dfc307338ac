"""Price intervals: a price reference in force on a subscription between two instants.

This is Orb's price-interval model: each interval names a price (its id, cadence, kind
and billing mode), when it starts and ends, and its fixed-fee quantity over time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from orbcore._errors import ValidationError
from orbcore.calendar import Cadence, local_midnight
from orbcore.calendar._zone import ensure_aware
from orbcore.money import to_decimal

__all__ = [
    "BillingMode",
    "PriceInterval",
    "PriceKind",
    "PriceRef",
    "QuantityTransition",
    "new_intervals",
    "to_instant",
]


class BillingMode(StrEnum):
    """When a price is invoiced: before its service period or after it."""

    IN_ADVANCE = "in_advance"
    IN_ARREAR = "in_arrear"


class PriceKind(StrEnum):
    """A fixed fee (charged per quantity) or a usage price (rated from events)."""

    FIXED = "fixed"
    USAGE = "usage"


def to_instant(value: date | datetime, zone: ZoneInfo, field: str) -> datetime:
    """An aware UTC instant: a ``date`` means its local midnight in ``zone``."""
    if isinstance(value, datetime):
        return ensure_aware(value, field)
    if isinstance(value, date):
        return local_midnight(value, zone)
    raise ValidationError.at((field,), f"expected a date or datetime, got {value!r}")


def _quantity(value: object, field: str) -> Decimal:
    quantity = to_decimal(value, field=field)
    if quantity < 0:
        raise ValidationError.at((field,), f"must not be negative, got {quantity}")
    return quantity


@dataclass(frozen=True, slots=True)
class PriceRef:
    """The part of a price a timeline needs: its id, cadence, kind and billing mode.

    Use :meth:`fixed_fee` or :meth:`usage`. Usage prices are always billed in arrears
    and must recur; ``fixed_quantity`` is a fixed fee's default quantity (Orb's
    ``fixed_price_quantity``).

    >>> from orbcore import Cadence
    >>> PriceRef.fixed_fee("seats", Cadence.monthly(), quantity=10).fixed_quantity
    Decimal('10')
    """

    price_id: str
    cadence: Cadence
    kind: PriceKind = PriceKind.FIXED
    billing_mode: BillingMode = BillingMode.IN_ADVANCE
    fixed_quantity: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if not isinstance(self.price_id, str) or not self.price_id:
            raise ValidationError.at(("price_id",), "must be a non-empty string")
        if not isinstance(self.cadence, Cadence):
            raise ValidationError.at(("cadence",), f"expected a Cadence, got {self.cadence!r}")
        object.__setattr__(self, "kind", PriceKind(self.kind))
        object.__setattr__(self, "billing_mode", BillingMode(self.billing_mode))
        object.__setattr__(self, "fixed_quantity", _quantity(self.fixed_quantity, "quantity"))
        if self.kind is PriceKind.USAGE:
            if self.billing_mode is BillingMode.IN_ADVANCE:
                raise ValidationError.at(("billing_mode",), "usage is billed in arrears")
            if not self.cadence.is_recurring:
                raise ValidationError.at(("cadence",), "a usage price must recur")

    @classmethod
    def fixed_fee(
        cls,
        price_id: str,
        cadence: Cadence,
        *,
        quantity: Decimal | int | str = 1,
        in_advance: bool = True,
    ) -> PriceRef:
        """A fixed fee, in advance unless ``in_advance=False``."""
        mode = BillingMode.IN_ADVANCE if in_advance else BillingMode.IN_ARREAR
        return cls(price_id, cadence, PriceKind.FIXED, mode, to_decimal(quantity))

    @classmethod
    def usage(cls, price_id: str, cadence: Cadence) -> PriceRef:
        """A usage price, billed in arrears."""
        return cls(price_id, cadence, PriceKind.USAGE, BillingMode.IN_ARREAR)


@dataclass(frozen=True, slots=True)
class QuantityTransition:
    """From ``effective`` on, a fixed fee's quantity is ``quantity``."""

    effective: datetime
    quantity: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "effective", ensure_aware(self.effective, "effective"))
        object.__setattr__(self, "quantity", _quantity(self.quantity, "quantity"))


@dataclass(frozen=True, slots=True)
class PriceInterval:
    """A price in force on a subscription from ``start`` (inclusive) to ``end``
    (exclusive; ``None`` for open-ended).

    ``quantity`` is a fixed fee's quantity at ``start``; each of ``transitions`` changes
    it from its date on. ``defer_billing`` (Orb's ``can_defer_billing``) moves the last
    in-arrears charge of an interval ending mid-period to the period's regular invoice.
    """

    id: str
    price: PriceRef
    start: datetime
    end: datetime | None = None
    quantity: Decimal = Decimal(1)
    transitions: tuple[QuantityTransition, ...] = ()
    plan_id: str | None = None
    defer_billing: bool = False

    def __post_init__(self) -> None:
        start = ensure_aware(self.start, "start")
        object.__setattr__(self, "start", start)
        if self.end is not None:
            end = ensure_aware(self.end, "end")
            if end <= start:
                raise ValidationError.at(("end",), f"interval {self.id} must end after it starts")
            object.__setattr__(self, "end", end)
        object.__setattr__(self, "quantity", _quantity(self.quantity, "quantity"))
        transitions = tuple(sorted(self.transitions, key=lambda t: t.effective))
        if self.price.kind is PriceKind.USAGE and transitions:
            raise ValidationError.at(("transitions",), "a usage price has no fixed quantity")
        for transition in transitions:
            if not self.covers(transition.effective) or transition.effective == start:
                raise ValidationError.at(
                    ("transitions",), f"{transition.effective.isoformat()} is not inside {self.id}"
                )
        if len({t.effective for t in transitions}) != len(transitions):
            raise ValidationError.at(("transitions",), "two transitions on one instant")
        object.__setattr__(self, "transitions", transitions)

    def covers(self, instant: datetime) -> bool:
        """Whether the interval is in force at ``instant``."""
        return self.start <= instant and (self.end is None or instant < self.end)

    def quantity_at(self, instant: datetime) -> Decimal:
        """The fixed-fee quantity in force at ``instant``."""
        quantity = self.quantity
        for transition in self.transitions:
            if transition.effective > instant:
                break
            quantity = transition.quantity
        return quantity

    def ending(self, at: datetime | None) -> PriceInterval:
        """This interval ending at ``at`` (open-ended for ``None``); later transitions go."""
        kept = tuple(t for t in self.transitions if at is None or t.effective < at)
        return replace(self, end=at, transitions=kept)


def new_intervals(
    prices: Sequence[PriceRef], start: datetime, plan_id: str | None
) -> tuple[PriceInterval, ...]:
    """Open-ended intervals for a plan's prices from ``start``; ids are ``price@start``."""
    if not prices:
        raise ValidationError.at(("prices",), "a plan needs at least one price")
    ids = [price.price_id for price in prices]
    if len(set(ids)) != len(ids):
        raise ValidationError.at(("prices",), "a price id appears twice")
    if not any(price.cadence.is_recurring for price in prices):
        raise ValidationError.at(("prices",), "a subscription needs a recurring price")
    return tuple(
        PriceInterval(
            id=f"{price.price_id}@{start.isoformat()}",
            price=price,
            start=start,
            quantity=price.fixed_quantity,
            plan_id=plan_id,
        )
        for price in prices
    )
