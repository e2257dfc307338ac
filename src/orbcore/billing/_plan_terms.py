"""A plan's trial and phases, in Orb's shape.

``trial_config`` is ``{trial_period, trial_period_unit: "days"}``. ``plan_phases`` are
``{order, duration, duration_unit, minimum, maximum, discount}``: phase 1 comes first, a
phase without a duration lasts for ever (only the last one may). Phases are validated,
stored and exported; subscription timelines do not apply them yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orbcore.billing._plan_check import Path, Problems
from orbcore.pricing._fields import number_out

__all__ = [
    "PhaseDiscount",
    "PlanPhase",
    "TrialConfig",
    "read_phases",
    "read_trial",
]

_MAX_DAYS = 36_600
_DURATION_UNITS = ("daily", "monthly", "quarterly", "semi_annual", "annual")
_DISCOUNT_TYPES = ("percentage", "amount", "usage")
_PHASE_FIELDS = ("order", "duration", "duration_unit", "minimum", "maximum", "discount")


@dataclass(frozen=True, slots=True)
class TrialConfig:
    """A free trial of ``trial_period`` days (Orb's only unit); 0 means none."""

    trial_period: int

    def to_orb(self) -> dict[str, Any]:
        return {"trial_period": self.trial_period, "trial_period_unit": "days"}


@dataclass(frozen=True, slots=True)
class PhaseDiscount:
    """A phase's discount in Orb's ``Discount`` shape: a ``percentage`` (0 to 1), an
    ``amount`` or a ``usage`` (units) discount, on the listed prices or on all of them."""

    discount_type: str
    value: Decimal
    applies_to_price_ids: tuple[str, ...] | None = None
    reason: str | None = None

    @classmethod
    def from_orb(cls, data: object) -> PhaseDiscount:
        """Read a discount in Orb's shape (``{"discount_type": "percentage",
        "percentage_discount": "0.2"}``), as a coupon or a plan phase gives it.

        Raises:
            ValidationError: every problem, each with its path.
        """
        found = Problems()
        discount = _discount(data, (), None, found)
        if discount is None or found.found:
            raise found.error()
        return discount

    def to_orb(self) -> dict[str, Any]:
        # Orb writes amounts as decimal strings, percentages and units as numbers.
        amount = self.discount_type == "amount"
        body: dict[str, Any] = {
            "discount_type": self.discount_type,
            f"{self.discount_type}_discount": format(self.value, "f")
            if amount
            else number_out(self.value),
        }
        if self.applies_to_price_ids is not None:
            body["applies_to_price_ids"] = list(self.applies_to_price_ids)
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True, slots=True)
class PlanPhase:
    """One phase of a plan: its place, its length and its commitments.

    ``duration`` counts ``duration_unit`` terms (``daily`` ... ``annual``); ``None`` is an
    evergreen phase. ``minimum`` and ``maximum`` are amounts in the plan's currency.
    """

    order: int
    duration: int | None = None
    duration_unit: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    discount: PhaseDiscount | None = None

    def to_orb(self) -> dict[str, Any]:
        body: dict[str, Any] = {"order": self.order, "duration": self.duration}
        if self.duration_unit is not None:
            body["duration_unit"] = self.duration_unit
        for name in ("minimum", "maximum"):
            amount = getattr(self, name)
            if amount is not None:
                body[name] = format(amount, "f")
        if self.discount is not None:
            body["discount"] = self.discount.to_orb()
        return body


def read_trial(value: object, found: Problems) -> TrialConfig | None:
    """``trial_config``, or ``None`` (absent or invalid, with problems added)."""
    path: Path = ("trial_config",)
    data = found.mapping(value, path)
    if data is None:
        return None
    found.unknown(data, ("trial_period", "trial_period_unit"), path)
    unit = data.get("trial_period_unit", "days")
    if unit != "days":
        found.add((*path, "trial_period_unit"), f"only 'days' is supported, got {unit!r}")
    period = found.integer(data, "trial_period", path, low=0, high=_MAX_DAYS)
    if period is None and "trial_period" not in data:
        found.add((*path, "trial_period"), "is required")
    return None if period is None else TrialConfig(period)


def read_phases(
    value: object, price_ids: set[str] | None, found: Problems
) -> tuple[PlanPhase, ...]:
    """``plan_phases``: each phase read, then their orders and durations checked together."""
    items = found.array(value, ("plan_phases",))
    if items is None:
        return ()
    read = [_phase(item, ("plan_phases", n), price_ids, found) for n, item in enumerate(items)]
    phases = [phase for phase in read if phase is not None]
    if len(phases) == len(read):
        _check_sequence(phases, found)
    return tuple(phases)


def _phase(
    value: object, path: Path, price_ids: set[str] | None, found: Problems
) -> PlanPhase | None:
    data = found.mapping(value, path)
    if data is None:
        return None
    before = len(found.found)
    found.unknown(data, _PHASE_FIELDS, path)
    order = found.integer(data, "order", path, low=1, high=1000)
    if "order" not in data:
        found.add((*path, "order"), "is required")
    duration, unit = _duration(data, path, found)
    minimum = found.amount(data, "minimum", path)
    maximum = found.amount(data, "maximum", path)
    if minimum is not None and maximum is not None and minimum > maximum:
        found.add((*path, "maximum"), f"is below the minimum {minimum}")
    discount = None
    if data.get("discount") is not None:
        discount = _discount(data["discount"], (*path, "discount"), price_ids, found)
    if len(found.found) > before or order is None:
        return None
    return PlanPhase(order, duration, unit, minimum, maximum, discount)


def _duration(data: Mapping[str, Any], path: Path, found: Problems) -> tuple[int | None, Any]:
    duration = found.integer(data, "duration", path, low=1, high=_MAX_DAYS)
    unit = data.get("duration_unit")
    if unit is not None and unit not in _DURATION_UNITS:
        found.add((*path, "duration_unit"), f"must be one of {', '.join(_DURATION_UNITS)}")
    elif (unit is None) != (data.get("duration") is None):
        found.add((*path, "duration_unit"), "is given with a duration, and only then")
    return duration, unit


def _discount(
    value: object, path: Path, price_ids: set[str] | None, found: Problems
) -> PhaseDiscount | None:
    data = found.mapping(value, path)
    if data is None:
        return None
    kind = data.get("discount_type")
    if not isinstance(kind, str) or kind not in _DISCOUNT_TYPES:
        found.add((*path, "discount_type"), f"must be one of {', '.join(_DISCOUNT_TYPES)}")
        return None
    key = f"{kind}_discount"
    found.unknown(data, ("discount_type", key, "applies_to_price_ids", "reason"), path)
    amount = found.amount(data, key, path)
    if amount is None and data.get(key) is None:
        found.add((*path, key), f"is required for a {kind} discount")
    if kind == "percentage" and amount is not None and amount > 1:
        found.add((*path, key), "must be from 0 to 1 (0.1 is a 10% discount)")
    ids = found.strings(data, "applies_to_price_ids", path)
    if price_ids is not None:
        for n, price_id in enumerate(ids or ()):
            if price_id not in price_ids:
                where = (*path, "applies_to_price_ids", n)
                found.add(where, f"no price {price_id!r} in this plan")
    reason = found.text(data, "reason", path)
    return None if amount is None else PhaseDiscount(kind, amount, ids, reason)


def _check_sequence(phases: list[PlanPhase], found: Problems) -> None:
    """Orders run 1, 2, ... without gaps; only the last phase may have no duration."""
    orders = [phase.order for phase in phases]
    last = max(orders, default=0)
    for n, phase in enumerate(phases):
        if orders.count(phase.order) > 1:
            found.add(("plan_phases", n, "order"), f"order {phase.order} is used twice")
        elif phase.order > len(phases):
            found.add(("plan_phases", n, "order"), "orders must run 1, 2, 3, ... without gaps")
        if phase.duration is None and phase.order != last:
            found.add(("plan_phases", n, "duration"), "only the last phase may be evergreen")
