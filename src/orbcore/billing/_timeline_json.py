"""A subscription timeline as exact JSON, and back.

The form is plain JSON (objects, arrays, text, whole numbers, booleans, ``null``):
decimals are strings, instants ISO 8601 text with their offset, so it survives any JSON
store, ``dumps_exact`` or not. :func:`timeline_from_json` reads every field whatever the
others hold and raises one ``ValidationError`` listing each problem with its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from orbcore._errors import ValidationError
from orbcore.billing._plan_check import Path, Problems
from orbcore.billing._plan_terms import PhaseDiscount
from orbcore.billing._timeline import CouponRedemption, PlanChange, SubscriptionTimeline
from orbcore.billing._timeline_intervals import (
    BillingMode,
    PriceInterval,
    PriceKind,
    PriceRef,
    QuantityTransition,
)
from orbcore.calendar import (
    Alignment,
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    Cadence,
    CadenceUnit,
    CycleAnchor,
    DayCount,
)

__all__ = ["FORMAT", "timeline_from_json", "timeline_to_json"]

FORMAT = 1
"""The version of the JSON form; a reader refuses forms it does not know."""

_TOP = [
    "format",
    "start",
    "timezone",
    "alignment",
    "day_count",
    "trial_end",
    "end",
    "intervals",
    "plan_changes",
    "coupons",
]
_INTERVAL = ("id", "price", "start", "end", "quantity", "transitions", "plan_id", "defer_billing")
_PRICE = ("price_id", "cadence", "kind", "billing_mode", "fixed_quantity")


def timeline_to_json(timeline: SubscriptionTimeline) -> dict[str, Any]:
    """The JSON form of ``timeline`` (see :meth:`SubscriptionTimeline.to_json`)."""
    return {
        "format": FORMAT,
        "start": timeline.start.isoformat(),
        "timezone": timeline.timezone.key,
        "alignment": _alignment_json(timeline.alignment),
        "day_count": timeline.day_count.value,
        "trial_end": _instant_json(timeline.trial_end),
        "end": _instant_json(timeline.end),
        "intervals": [_interval_json(interval) for interval in timeline.intervals],
        "plan_changes": [
            {"effective": change.effective.isoformat(), "plan_id": change.plan_id}
            for change in timeline.plan_changes
        ],
        "coupons": [_coupon_json(coupon) for coupon in timeline.coupons],
    }


def _coupon_json(coupon: CouponRedemption) -> dict[str, Any]:
    body: dict[str, Any] = {
        "coupon_id": coupon.coupon_id,
        "redeemed_at": coupon.redeemed_at.isoformat(),
        "duration_in_months": coupon.duration_in_months,
    }
    if coupon.discount is not None:
        body["discount"] = coupon.discount.to_orb()
    return body


def _instant_json(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _alignment_json(alignment: Alignment) -> dict[str, Any]:
    if isinstance(alignment, BeginningOfMonth):
        return {"type": "beginning_of_month"}
    if isinstance(alignment, Anniversary):
        return {"type": "anniversary"}
    if isinstance(alignment, BillingCycleDay):
        return {"type": "billing_cycle_day", "day": alignment.day}
    return {
        "type": "cycle_anchor",
        "day": alignment.day,
        "month": alignment.month,
        "year": alignment.year,
    }


def _interval_json(interval: PriceInterval) -> dict[str, Any]:
    price = interval.price
    return {
        "id": interval.id,
        "price": {
            "price_id": price.price_id,
            "cadence": {"unit": price.cadence.unit.value, "count": price.cadence.count},
            "kind": price.kind.value,
            "billing_mode": price.billing_mode.value,
            "fixed_quantity": str(price.fixed_quantity),
        },
        "start": interval.start.isoformat(),
        "end": _instant_json(interval.end),
        "quantity": str(interval.quantity),
        "transitions": [
            {"effective": t.effective.isoformat(), "quantity": str(t.quantity)}
            for t in interval.transitions
        ],
        "plan_id": interval.plan_id,
        "defer_billing": interval.defer_billing,
    }


def timeline_from_json(raw: object) -> SubscriptionTimeline:
    """The timeline whose JSON form is ``raw`` (see :meth:`SubscriptionTimeline.from_json`).

    Raises:
        ValidationError: every problem found, each with its JSON path.
    """
    found = _Reader()
    data = found.mapping(raw, ())
    if data is None:
        raise found.error()
    found.unknown(data, _TOP, ())
    if data.get("format") != FORMAT:
        found.add(("format",), f"expected {FORMAT}, got {data.get('format')!r}")
    fields: dict[str, Any] = {
        "start": found.instant(data, "start", (), required=True),
        "timezone": found.text(data, "timezone", (), required=True),
        "alignment": found.alignment(data.get("alignment"), ("alignment",)),
        "day_count": found.choice(data, "day_count", (), DayCount),
        "trial_end": found.instant(data, "trial_end", ()),
        "end": found.instant(data, "end", ()),
        "intervals": found.items(data, "intervals", found.interval),
        "plan_changes": found.items(data, "plan_changes", found.plan_change),
        "coupons": found.items(data, "coupons", found.coupon),
    }
    timeline: SubscriptionTimeline | None = None
    if not found.found:
        timeline = found.built((), SubscriptionTimeline, **fields)
    if timeline is None:
        raise found.error()
    return timeline


class _Reader(Problems):
    """Typed fields of the JSON form; each problem is kept with its path."""

    def instant(
        self, data: Mapping[str, Any], key: str, path: Path, *, required: bool = False
    ) -> datetime | None:
        text = self.text(data, key, path, required=required)
        if text is None:
            return None
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            self.add((*path, key), f"expected an ISO 8601 instant, got {text!r}")
            return None
        if instant.utcoffset() is None:
            self.add((*path, key), f"{text} has no offset")
            return None
        return instant

    def decimal(self, data: Mapping[str, Any], key: str, path: Path) -> Decimal | None:
        text = self.text(data, key, path, required=True)
        if text is None:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.add((*path, key), f"expected a decimal number as text, got {text!r}")
            return None
        return number

    def choice(self, data: Mapping[str, Any], key: str, path: Path, kind: type[StrEnum]) -> Any:
        """A member of the text enumeration ``kind``."""
        text = self.text(data, key, path, required=True)
        if text is None:
            return None
        if text not in {member.value for member in kind}:
            known = ", ".join(member.value for member in kind)
            self.add((*path, key), f"expected one of {known}, got {text!r}")
            return None
        return kind(text)

    def required(self, data: Mapping[str, Any], key: str, path: Path, value: Any) -> Any:
        """``value``, with a problem if ``key`` is absent or null."""
        if data.get(key) is None:
            self.add((*path, key), "is required")
        return value

    def flag(self, data: Mapping[str, Any], key: str, path: Path) -> bool | None:
        value = data.get(key)
        if not isinstance(value, bool):
            self.add((*path, key), f"expected true or false, got {value!r}")
            return None
        return value

    def items(self, data: Mapping[str, Any], key: str, read: Any) -> tuple[Any, ...]:
        values = self.array(data.get(key), (key,))
        return tuple(read(value, (key, index)) for index, value in enumerate(values or ()))

    def built(self, path: Path, make: Any, **fields: Any) -> Any:
        """``make(**fields)`` once every field was read; ``None`` and a problem otherwise."""
        if any(value is None for name, value in fields.items() if name in _REQUIRED):
            return None
        try:
            return make(**fields)
        except ValidationError as exc:
            self.absorb(path, exc)
            return None

    def alignment(self, raw: object, path: Path) -> Alignment | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        kinds: dict[Any, Any] = {
            "beginning_of_month": (BeginningOfMonth, ()),
            "anniversary": (Anniversary, ()),
            "billing_cycle_day": (BillingCycleDay, ("day",)),
            "cycle_anchor": (CycleAnchor, ("day", "month", "year")),
        }
        if data.get("type") not in kinds:
            self.add((*path, "type"), f"unknown alignment {data.get('type')!r}")
            return None
        kind, names = kinds[data["type"]]
        self.unknown(data, ("type", *names), path)
        values = {name: self.integer(data, name, path, low=1, high=9999) for name in names}
        if "day" in values:
            values["day"] = self.required(data, "day", path, values["day"])
        result: Alignment | None = self.built(path, kind, **values)
        return result

    def price(self, raw: object, path: Path) -> PriceRef | None:
        key = _price_key(raw)
        if key is not None and (known := _PRICES.get(key)) is not None:
            return known
        before = len(self.found)
        found = self._price(raw, path)
        if key is not None and found is not None and len(self.found) == before:
            if len(_PRICES) >= _PRICES_KEPT:
                _PRICES.clear()
            _PRICES[key] = found
        return found

    def _price(self, raw: object, path: Path) -> PriceRef | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        self.unknown(data, _PRICE, path)
        cadence_path = (*path, "cadence")
        cadence_data = self.mapping(data.get("cadence"), cadence_path)
        cadence = None
        if cadence_data is not None:
            self.unknown(cadence_data, ("unit", "count"), cadence_path)
            unit = self.choice(cadence_data, "unit", cadence_path, CadenceUnit)
            count = self.integer(cadence_data, "count", cadence_path, low=1, high=36_600)
            count = self.required(cadence_data, "count", cadence_path, count)
            cadence = self.built(cadence_path, Cadence, unit=unit, count=count)
        result: PriceRef | None = self.built(
            path,
            PriceRef,
            price_id=self.text(data, "price_id", path, required=True),
            cadence=cadence,
            kind=self.choice(data, "kind", path, PriceKind),
            billing_mode=self.choice(data, "billing_mode", path, BillingMode),
            fixed_quantity=self.decimal(data, "fixed_quantity", path),
        )
        return result

    def interval(self, raw: object, path: Path) -> PriceInterval | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        self.unknown(data, _INTERVAL, path)
        transitions = self.items_at(data, "transitions", path, self.transition)
        plan_id = self.text(data, "plan_id", path)
        result: PriceInterval | None = self.built(
            path,
            PriceInterval,
            id=self.text(data, "id", path, required=True),
            price=self.price(data.get("price"), (*path, "price")),
            start=self.instant(data, "start", path, required=True),
            end=self.instant(data, "end", path),
            quantity=self.decimal(data, "quantity", path),
            transitions=transitions,
            plan_id=plan_id,
            defer_billing=self.flag(data, "defer_billing", path),
        )
        return result

    def items_at(
        self, data: Mapping[str, Any], key: str, path: Path, read: Any
    ) -> tuple[Any, ...] | None:
        values = self.array(data.get(key), (*path, key))
        if values is None:
            return None
        items = tuple(read(value, (*path, key, index)) for index, value in enumerate(values))
        return None if None in items else items

    def transition(self, raw: object, path: Path) -> QuantityTransition | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        self.unknown(data, ("effective", "quantity"), path)
        result: QuantityTransition | None = self.built(
            path,
            QuantityTransition,
            effective=self.instant(data, "effective", path, required=True),
            quantity=self.decimal(data, "quantity", path),
        )
        return result

    def plan_change(self, raw: object, path: Path) -> PlanChange | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        self.unknown(data, ("effective", "plan_id"), path)
        result: PlanChange | None = self.built(
            path,
            PlanChange,
            effective=self.instant(data, "effective", path, required=True),
            plan_id=self.text(data, "plan_id", path),
        )
        return result

    def coupon(self, raw: object, path: Path) -> CouponRedemption | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        self.unknown(data, ("coupon_id", "redeemed_at", "duration_in_months", "discount"), path)
        discount = None
        if data.get("discount") is not None:
            try:
                discount = PhaseDiscount.from_orb(data["discount"])
            except ValidationError as exc:
                self.absorb((*path, "discount"), exc)
        result: CouponRedemption | None = self.built(
            path,
            CouponRedemption,
            coupon_id=self.text(data, "coupon_id", path, required=True),
            redeemed_at=self.instant(data, "redeemed_at", path, required=True),
            duration_in_months=self.integer(data, "duration_in_months", path, low=1, high=1200),
            discount=discount,
        )
        return result


# Fields whose ``None`` means "not read" (a problem is already recorded) rather than "absent".
_REQUIRED = frozenset(
    [
        "id",
        "price",
        "price_id",
        "cadence",
        "kind",
        "billing_mode",
        "fixed_quantity",
        "unit",
        "count",
        "start",
        "quantity",
        "transitions",
        "defer_billing",
        "effective",
        "coupon_id",
        "redeemed_at",
        "day",
    ]
)


# The subscriptions of a catalog share their prices: a price read once is looked up by
# its JSON (text, numbers, flags and its cadence object only; anything else is read).
_PRICES: dict[tuple[Any, ...], PriceRef] = {}
_PRICES_KEPT = 4096
_PLAIN = (str, int, bool, type(None))


def _price_key(raw: object) -> tuple[Any, ...] | None:
    if type(raw) is not dict:
        return None
    key: list[Any] = []
    for name, value in raw.items():
        if type(value) is dict and all(type(v) in _PLAIN for v in value.values()):
            key.append((name, tuple((k, type(v), v) for k, v in value.items())))
        elif type(value) in _PLAIN:
            key.append((name, type(value), value))
        else:
            return None
    return tuple(key)
