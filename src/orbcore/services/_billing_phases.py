"""Plan phases and coupons on invoices: their minimums, maximums and discounts as
adjustments.

A plan's ``plan_phases`` run one after another from the day the subscription's first
interval of that plan starts, each for ``duration`` terms of its ``duration_unit`` in the
customer's time zone (the last may have no duration: it goes on). A charge belongs to the
phase its service period starts in. The phase's terms become adjustments over the
invoice's charges of that phase: a minimum or a maximum at invoice level (on those
charges, credits left out), a percentage or amount discount at invoice level on the
prices it lists (all of the phase's prices if none), a usage discount on each listed
price.

A coupon's discount applies, in the same way, to the charges that list the coupon (those
in its window, :func:`~orbcore.billing.coupon_window`), on the prices its discount lists
(by their ids in the plan) or on all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from orbcore.billing import (
    Adjustment,
    AmountDiscount,
    BillableCharge,
    Maximum,
    Minimum,
    PercentageDiscount,
    PhaseDiscount,
    PlanPhase,
    SubscriptionTimeline,
    UsageDiscount,
)

__all__ = ["Phases", "coupon_adjustments", "phase_adjustments"]

_UNITS = {
    "daily": relativedelta(days=1),
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
    "semi_annual": relativedelta(months=6),
    "annual": relativedelta(years=1),
}


@dataclass(frozen=True, slots=True)
class Phases:
    """A plan version's phases, and its prices' row ids by their ids in the plan."""

    plan_id: str
    phases: tuple[PlanPhase, ...]
    row_ids: Mapping[str, str]


def phase_adjustments(
    phases: Phases,
    timeline: SubscriptionTimeline,
    charges: Sequence[BillableCharge],
    plan_price_ids: Mapping[str, str],
) -> list[Adjustment]:
    """The adjustments of the phases ``charges`` (of ``phases``' plan) fall in;
    ``plan_price_ids`` gives each price row's id in its plan, which a phase's discount
    names."""
    if not phases.phases:
        return []
    starts = [iv.start for iv in timeline.intervals if iv.plan_id == phases.plan_id]
    if not starts:
        return []
    found: list[Adjustment] = []
    for phase, first, last in _spans(phases.phases, min(starts), timeline):
        inside = [
            c
            for c in charges
            if c.service_period.start >= first and (last is None or c.service_period.start < last)
        ]
        if inside:
            found += _terms(phase, inside, plan_price_ids)
    return found


def coupon_adjustments(
    timeline: SubscriptionTimeline,
    charges: Sequence[BillableCharge],
    plan_price_ids: Mapping[str, str],
) -> list[Adjustment]:
    """The discounts of the coupons ``charges`` list; ``plan_price_ids`` gives each price
    row's id in its plan, which a coupon's ``applies_to_price_ids`` names."""
    found: list[Adjustment] = []
    for redemption in timeline.coupons:
        if redemption.discount is not None:
            covered = [c for c in charges if redemption.coupon_id in c.coupon_ids]
            reason = f"coupon {redemption.coupon_id}"
            found += _discount_terms(redemption.discount, covered, plan_price_ids, reason)
    return found


def _spans(
    phases: Sequence[PlanPhase], start: datetime, timeline: SubscriptionTimeline
) -> list[tuple[PlanPhase, datetime, datetime | None]]:
    """Each phase with its start and end (``None``: evergreen), in local calendar terms."""
    zone = timeline.timezone
    local = start.astimezone(zone).replace(tzinfo=None)
    spans: list[tuple[PlanPhase, datetime, datetime | None]] = []
    for phase in sorted(phases, key=lambda p: p.order):
        first = local.replace(tzinfo=zone)
        if phase.duration is None or phase.duration_unit is None:
            spans.append((phase, first, None))
            break
        local = local + _UNITS[phase.duration_unit] * phase.duration
        spans.append((phase, first, local.replace(tzinfo=zone)))
    return spans


def _terms(
    phase: PlanPhase, charges: Sequence[BillableCharge], plan_price_ids: Mapping[str, str]
) -> list[Adjustment]:
    paying = tuple(dict.fromkeys(c.price_id for c in charges if not _credit(c)))
    reason = f"phase {phase.order}"
    terms: list[Adjustment] = []
    if phase.discount is not None:
        terms += _discount_terms(phase.discount, charges, plan_price_ids, reason)
    if paying and phase.minimum is not None:
        terms.append(
            Minimum(
                minimum_amount=phase.minimum,
                applies_to_price_ids=paying,
                is_invoice_level=True,
                reason=reason,
            )
        )
    if paying and phase.maximum is not None:
        terms.append(
            Maximum(
                maximum_amount=phase.maximum,
                applies_to_price_ids=paying,
                is_invoice_level=True,
                reason=reason,
            )
        )
    return terms


def _discount_terms(
    discount: PhaseDiscount,
    charges: Sequence[BillableCharge],
    plan_price_ids: Mapping[str, str],
    reason: str,
) -> list[Adjustment]:
    """A discount (a phase's or a coupon's) on ``charges``: on the prices it lists, by
    their ids in the plan, or on all of them; a usage discount re-rates a quantity, so it
    leaves credits out."""
    listed = discount.applies_to_price_ids
    covered = [
        c
        for c in charges
        if (listed is None or plan_price_ids.get(c.price_id) in listed)
        and not (discount.discount_type == "usage" and _credit(c))
    ]
    ids = tuple(dict.fromkeys(c.price_id for c in covered))
    return _discount(discount.discount_type, discount.value, ids, reason) if ids else []


def _credit(charge: BillableCharge) -> bool:
    """Whether ``charge`` credits the unused rest of a fee (a negative quantity)."""
    return charge.quantity is not None and charge.quantity < 0


def _discount(kind: str, value: Decimal, ids: tuple[str, ...], reason: str) -> list[Adjustment]:
    if kind == "percentage":
        return [
            PercentageDiscount(
                percentage_discount=value,
                applies_to_price_ids=ids,
                is_invoice_level=True,
                reason=reason,
            )
        ]
    if kind == "amount":
        return [
            AmountDiscount(
                amount_discount=value,
                applies_to_price_ids=ids,
                is_invoice_level=True,
                reason=reason,
            )
        ]
    return [
        UsageDiscount(usage_discount=value, applies_to_price_ids=(price_id,), reason=reason)
        for price_id in ids
    ]
