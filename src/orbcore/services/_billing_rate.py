"""What a billing run rates with: stored prices, metrics and plan adjustments, read once.

A :class:`Catalog` caches, for one run, the price rows a subscription's timeline refers to
(``<plan id>:v<version>:<price id>``), each as a rating :class:`~orbcore.pricing.Price`,
the billable metrics of usage prices, and the adjustments of each plan version with
their price ids turned into the row ids the invoice lines carry. It grows with the
catalog, not with the number of subscriptions. :func:`rate` turns one subscription's
charges of an invoice date into the builder's :class:`~orbcore.billing.RatedCharge`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from orbcore._errors import NotFoundError, ValidationError
from orbcore.billing import (
    Adjustment,
    BillableCharge,
    Customer,
    PercentageDiscount,
    RatedCharge,
    SubscriptionTimeline,
    definition_from_records,
    price_record_id,
)
from orbcore.billing import Price as PriceRow
from orbcore.events import BillableMetric, GroupKey, Quantities
from orbcore.money import RoundingMode, round_rational
from orbcore.money._numbers import exact_mul, exact_sub
from orbcore.pricing import Price, PriceResult, Usage
from orbcore.services._billing_phases import Phases, coupon_adjustments, phase_adjustments
from orbcore.services._metering import quantities_many
from orbcore.storage import Query, UnitOfWork, each

__all__ = ["Catalog", "distinct_lines", "rate", "settle_credits"]

_PAGE = 500
_PLACES = 12


@dataclass
class Catalog:
    """The prices, metrics and plan adjustments a run has read so far."""

    rows: dict[str, PriceRow] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    metrics: dict[str, BillableMetric] = field(default_factory=dict)
    adjustments: dict[tuple[str, int], tuple[Adjustment, ...]] = field(default_factory=dict)
    phases: dict[tuple[str, int], Phases] = field(default_factory=dict)
    broken: dict[tuple[str, int], Exception] = field(default_factory=dict)
    plan_price_ids: dict[str, str] = field(default_factory=dict)
    """Each price row's id in its plan, by row id (what coupons name)."""

    def load(self, uow: UnitOfWork, price_ids: Iterable[str]) -> None:
        """Read the price rows among ``price_ids`` not read yet, their metrics and their
        plan versions' adjustments. Missing rows are left out (``rate`` reports them)."""
        missing = sorted({p for p in price_ids if p not in self.rows})
        if not missing:
            return
        found = uow.prices.find_many(missing)
        self.rows.update(found)
        metric_ids = sorted(
            {
                row.billable_metric_id
                for row in found.values()
                if row.billable_metric_id is not None and row.billable_metric_id not in self.metrics
            }
        )
        if metric_ids:
            self.metrics.update(uow.billable_metrics.find_many(metric_ids))
        for plan_id, version in sorted({(r.plan_id, r.plan_version) for r in found.values()}):
            if (plan_id, version) in self.adjustments or (plan_id, version) in self.broken:
                continue
            try:
                adjustments, phases = _plan_terms(uow, plan_id, version)
            except (NotFoundError, ValidationError) as error:  # its subscriptions fail
                self.broken[plan_id, version] = error
                continue
            self.adjustments[plan_id, version] = adjustments
            self.phases[plan_id, version] = phases
            self.plan_price_ids.update({row: local for local, row in phases.row_ids.items()})

    def price(self, price_id: str) -> tuple[PriceRow, Price]:
        """The row of ``price_id`` and the price that rates it.

        Raises:
            NotFoundError: the row was not found by :meth:`load`.
        """
        row = self.rows.get(price_id)
        if row is None:
            raise NotFoundError(f"no prices record {price_id!r}")
        price = self.prices.get(price_id)
        if price is None:
            price = Price.from_orb(
                {
                    "name": row.name,
                    "model_type": row.model_type,
                    f"{row.model_type}_config": row.config,
                }
            )
            self.prices[price_id] = price
        return row, price

    def adjustments_for(
        self, charges: Sequence[BillableCharge], timeline: SubscriptionTimeline | None = None
    ) -> list[Adjustment]:
        """The adjustments of the plan versions of ``charges``' prices, then those of the
        plan phases the charges fall in and of the coupons they list (when the
        ``timeline`` is given).

        How they treat credit lines is :func:`settle_credits`'s.

        Raises:
            NotFoundError: the plan row of a charge's price is missing.
            ValidationError: its stored plan version is no longer a valid plan.
        """
        rows = [self.rows[c.price_id] for c in charges]
        versions = sorted({(row.plan_id, row.plan_version) for row in rows})
        for version in versions:
            if version in self.broken:  # the plan row is missing, or no longer valid
                raise self.broken[version]
        found = [a for v in versions for a in self.adjustments.get(v, ())]
        if timeline is not None:
            for version in versions:
                mine = [c for c in charges if _version(self.rows[c.price_id]) == version]
                found += phase_adjustments(
                    self.phases[version], timeline, mine, self.plan_price_ids
                )
            if timeline.coupons:
                found += coupon_adjustments(timeline, charges, self.plan_price_ids)
        return found


PageUsage = Mapping[tuple[str, datetime, datetime, str], Quantities]
"""Quantities read ahead for a page: by metric id, period start and end, customer id."""


def page_usage(
    uow: UnitOfWork,
    catalog: Catalog,
    invoices: Sequence[tuple[Customer, Sequence[BillableCharge]]],
) -> PageUsage:
    """The usage quantities of a page's invoices, one store query per metric and period
    (:func:`~orbcore.services._metering.quantities_many`) rather than per customer.

    Charges whose price or metric is missing are left out: :func:`rate` reports them.
    """
    wanted: dict[tuple[str, datetime, datetime], dict[str, str | None]] = {}
    for customer, charges in invoices:
        for charge in charges:
            row = catalog.rows.get(charge.price_id)
            if charge.quantity is not None or row is None or row.billable_metric_id is None:
                continue
            if row.billable_metric_id not in catalog.metrics:
                continue
            period = charge.service_period
            key = (row.billable_metric_id, period.start, period.end)
            wanted.setdefault(key, {})[customer.id] = customer.external_customer_id
    found: dict[tuple[str, datetime, datetime, str], Quantities] = {}
    for (metric_id, start, end), who in wanted.items():
        metric = catalog.metrics[metric_id]
        for customer_id, amounts in quantities_many(
            uow, metric, start, end, sorted(who.items())
        ).items():
            found[metric_id, start, end, customer_id] = amounts
    return found


def rate(
    catalog: Catalog,
    customer: Customer,
    charges: Sequence[BillableCharge],
    timeline: SubscriptionTimeline | None,
    usage_of: PageUsage,
) -> tuple[list[RatedCharge], list[Adjustment]]:
    """Rate one invoice's charges of a subscription, and give the trial's discounts.

    Fixed fees are rated on their prorated quantity; a credit (a negative quantity) is
    the rating of the positive quantity, negated. Usage prices are rated on their metric's
    quantity over the charge's service period, read ahead by :func:`page_usage` into
    ``usage_of``, per group when the price needs groups (a matrix's ``dimensions``, a
    grouped matrix's ``dimension``, a grouped price's ``grouping_key``), the metric's
    groups summed onto those keys.

    Usage served during the ``timeline``'s trial carries Orb's trial discount: 100% (a
    plan's trial has no maximum amount here), as a price-level percentage discount.

    Raises:
        NotFoundError: a price row or a metric is missing.
        ValidationError: a grouped price on a metric that does not group by its keys.
    """
    rated = []
    trial: list[Adjustment] = []
    for charge in charges:
        row, price = catalog.price(charge.price_id)
        period = charge.service_period
        usage: Usage | Decimal
        if charge.prorated_quantity is not None:
            quantity = _decimal(charge.prorated_quantity)
            if quantity < 0:
                rated.append(_credit(price, -quantity, charge))
                continue
            usage = quantity
        elif row.billable_metric_id is None:
            usage = Decimal(0)
        else:
            metric = catalog.metrics.get(row.billable_metric_id)
            if metric is None:
                raise NotFoundError(f"no billable_metrics record {row.billable_metric_id!r}")
            found = usage_of[metric.id, period.start, period.end, customer.id]
            usage = _usage(row, metric, found)
        rated.append(
            RatedCharge.from_price(
                price,
                usage,
                price_id=charge.price_id,
                start_date=period.start,
                end_date=period.end,
            )
        )
        trial_end = None if timeline is None else timeline.trial_end
        if charge.quantity is None and trial_end is not None and period.end <= trial_end:
            trial.append(_trial_discount(charge.price_id))
    return rated, trial


def _credit(price: Price, quantity: Decimal, charge: BillableCharge) -> RatedCharge:
    """The charge of ``quantity`` full fees, negated: a credit for an unused rest."""
    result = price.evaluate(quantity)
    negated = PriceResult(
        result.model_type,
        -result.quantity,
        -result.amount,
        tuple(s._replace(quantity=-s.quantity, amount=-s.amount) for s in result.sub_lines),
    )
    named = price.fields.get("name")
    return RatedCharge(
        price_id=charge.price_id,
        name=named if isinstance(named, str) else charge.price_id,
        result=negated,
        start_date=charge.service_period.start,
        end_date=charge.service_period.end,
    )


def _trial_discount(price_id: str) -> Adjustment:
    return PercentageDiscount(
        percentage_discount=Decimal(1), applies_to_price_ids=(price_id,), reason="trial"
    )


def _usage(
    row: PriceRow, metric: BillableMetric, found: Mapping[GroupKey, Decimal]
) -> Usage | Decimal:
    total = sum(found.values(), Decimal(0))
    keys = _grouping(row.config)
    if keys is None:
        return total
    missing = [key for key in keys if key not in metric.group_by]
    if missing:
        raise ValidationError.at(
            ("prices", row.id, "billable_metric_id"),
            f"the price groups by {missing}; metric {metric.id!r} groups by "
            f"{list(metric.group_by)}",
        )
    positions = [metric.group_by.index(key) for key in keys]
    groups: dict[tuple[str | None, ...], Decimal] = {}
    for group, quantity in found.items():
        cell = tuple(group[n] for n in positions)
        groups[cell] = groups.get(cell, Decimal(0)) + quantity
    return Usage(quantity=total, groups=groups)


def _grouping(config: Mapping[str, Any]) -> list[str] | None:
    """The event properties a price's usage is split by, if it is split."""
    dimensions = config.get("dimensions")
    if isinstance(dimensions, list):
        return [str(d) for d in dimensions if d is not None]
    for name in ("dimension", "grouping_key"):
        key = config.get(name)
        if isinstance(key, str):
            return [key]
    return None


def _version(row: PriceRow) -> tuple[str, int]:
    return row.plan_id, row.plan_version


def _plan_terms(
    uow: UnitOfWork, plan_id: str, version: int
) -> tuple[tuple[Adjustment, ...], Phases]:
    """A plan version's adjustments, each on the row ids of the prices it covers, and
    its phases."""
    plan = uow.plans.get(plan_id)
    query = Query(where={"plan_id": plan_id, "plan_version": version}, limit=_PAGE)
    definition = definition_from_records(plan, list(each(uow.prices, query)), version=version)
    own = [price_record_id(plan_id, version, price.id) for price in definition.prices]
    adjusted = []
    for adjustment in definition.all_adjustments:
        ids = [price_record_id(plan_id, version, p) for p in adjustment.applies_to_price_ids]
        update: dict[str, Any] = {
            "applies_to_price_ids": tuple(own if adjustment.applies_to_all else ids)
        }
        if adjustment.applies_to_all:
            update["applies_to_all"] = False
        adjusted.append(adjustment.model_copy(update=update))
    row_ids = {price.id: price_record_id(plan_id, version, price.id) for price in definition.prices}
    return tuple(adjusted), Phases(plan_id, definition.plan_phases, row_ids)


def _decimal(value: Fraction) -> Decimal:
    """A prorated fixed-fee quantity: exact when whole, else to 12 decimal places."""
    if value.denominator == 1:
        return Decimal(value.numerator)
    return round_rational(value, _PLACES, RoundingMode.HALF_EVEN)


def distinct_lines(
    rated: Sequence[RatedCharge], adjustments: Sequence[Adjustment]
) -> tuple[list[RatedCharge], list[Adjustment], dict[str, str]]:
    """Give each line of one invoice its own price id, as the invoice builder needs.

    A price charged twice on one invoice (a fee credited and charged again by a change
    to the same plan, say) gets ``<price id>#2``, ``#3``... for its later lines, and each
    adjustment on the price covers them too. Returns the charges, the adjustments, and
    each alias's price id, to write the stored lines under the price's own id.
    """
    count: dict[str, int] = {}
    aliases: dict[str, str] = {}
    lines = []
    for charge in rated:
        count[charge.price_id] = count.get(charge.price_id, 0) + 1
        if count[charge.price_id] == 1:
            lines.append(charge)
            continue
        alias = f"{charge.price_id}#{count[charge.price_id]}"
        aliases[alias] = charge.price_id
        lines.append(dataclasses.replace(charge, price_id=alias))
    if not aliases:
        return lines, list(adjustments), aliases
    extra: dict[str, list[str]] = {}
    for alias, price_id in aliases.items():
        extra.setdefault(price_id, []).append(alias)
    widened: list[Adjustment] = []
    for adjustment in adjustments:
        ids = adjustment.applies_to_price_ids
        if adjustment.is_invoice_level:
            more = tuple(a for price_id in ids for a in extra.get(price_id, ()))
            update = {"applies_to_price_ids": ids + more}
            widened.append(adjustment.model_copy(update=update) if more else adjustment)
            continue
        widened.append(adjustment)  # a price-level adjustment: one copy per alias
        widened += [
            adjustment.model_copy(update={"applies_to_price_ids": (alias,)})
            for price_id in ids
            for alias in extra.get(price_id, ())
        ]
    return lines, widened, aliases


def settle_credits(
    rated: Sequence[RatedCharge], adjustments: Sequence[Adjustment]
) -> tuple[list[RatedCharge], list[Adjustment]]:
    """Credit lines (a negative amount: the unused rest of an in-advance fee) at the price
    the fee was charged at, and out of every adjustment.

    A percentage discount on the credited price scales its credit by the same fraction,
    so a fee charged 20% off is credited 20% off. Amount and usage discounts, minimums and
    maximums bill or cap a period's charges and leave credits alone. Each line must have
    its own price id (:func:`distinct_lines`).
    """
    credits = {c.price_id for c in rated if c.result.amount < 0}
    if not credits:
        return list(rated), list(adjustments)
    lines = []
    for charge in rated:
        if charge.price_id not in credits:
            lines.append(charge)
            continue
        factor = Decimal(1)
        for adjustment in adjustments:
            if isinstance(adjustment, PercentageDiscount) and adjustment.applies_to(
                charge.price_id
            ):
                factor = exact_mul(factor, exact_sub(Decimal(1), adjustment.value))
        lines.append(dataclasses.replace(charge, result=_scaled(charge.result, factor)))
    kept: list[Adjustment] = []
    for adjustment in adjustments:
        ids = tuple(p for p in adjustment.applies_to_price_ids if p not in credits)
        if ids == adjustment.applies_to_price_ids:
            kept.append(adjustment)
        elif ids:
            kept.append(adjustment.model_copy(update={"applies_to_price_ids": ids}))
    return lines, kept


def _scaled(result: PriceResult, factor: Decimal) -> PriceResult:
    if factor == 1:
        return result
    return PriceResult(
        result.model_type,
        result.quantity,
        exact_mul(result.amount, factor),
        tuple(s._replace(amount=exact_mul(s.amount, factor)) for s in result.sub_lines),
    )
