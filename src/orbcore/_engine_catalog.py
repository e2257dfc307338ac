"""The engine's catalog resources: plans, prices and billable metrics.

Each method is one call to a service or one read through a unit of work; the rules live
in :mod:`orbcore.services` and :mod:`orbcore.billing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orbcore._errors import NotFoundError
from orbcore.billing import Plan, PlanDefinition, Price, definition_from_records
from orbcore.events import BillableMetric
from orbcore.services import Metering, Subscriptions
from orbcore.storage import Page, Query, Store, each

__all__ = ["MetricsResource", "PlansResource", "PricesResource"]

_PAGE = 500


@dataclass(frozen=True)
class PlansResource:
    """Plans, created from Orb-shaped JSON (``engine.plans``).

    A plan's prices are stored as price rows ``<plan id>:v<version>:<price id>``: those
    are the ids :class:`PricesResource` and fixed-fee quantity changes use.
    """

    store: Store
    subscriptions: Subscriptions

    def create(self, plan: Mapping[str, Any] | str, *, plan_id: str | None = None) -> Plan:
        """Store an Orb-shaped plan (a mapping, or JSON text) and return its plan row.

        Args:
            plan: the plan, as :meth:`PlanDefinition.from_orb` reads it.
            plan_id: the record's id; ``pln_`` and a random hex if omitted.

        Raises:
            ValidationError: the plan is not valid (every problem, with its path).
            ConflictError: ``plan_id`` or the plan's ``external_plan_id`` is taken.
        """
        record_id = plan_id or f"pln_{uuid.uuid4().hex}"
        self.subscriptions.add_plan(plan, plan_id=record_id)
        return self.fetch(record_id)

    def fetch(self, plan_id: str) -> Plan:
        """The plan row with this id (its version in force, currency and terms).

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.plans.get(plan_id)

    def fetch_by_external_id(self, external_plan_id: str) -> Plan:
        """The plan row with this external id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            found = uow.plans.find_by(external_plan_id=external_plan_id)
        if found is None:
            raise NotFoundError(f"no plan with external_plan_id {external_plan_id!r}")
        return found

    def definition(self, plan_id: str, *, version: int | None = None) -> PlanDefinition:
        """The plan as a :class:`PlanDefinition` (its ``to_orb()`` is the Orb JSON).

        Args:
            plan_id: the plan.
            version: the version to read; the one in force if omitted.

        Raises:
            NotFoundError: there is no such plan.
            ValidationError: there is no such version.
        """
        with self.store.unit_of_work() as uow:
            plan = uow.plans.get(plan_id)
            wanted = plan.plan_version if version is None else version
            query = Query(where={"plan_id": plan_id, "plan_version": wanted}, limit=_PAGE)
            rows = list(each(uow.prices, query))
        return definition_from_records(plan, rows, version=version)

    def list(self, query: Query | None = None) -> Page[Plan]:
        """One page of plan rows (filters: ``external_plan_id``, ``status``,
        ``currency``, ``created_at``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.plans.list(query)


@dataclass(frozen=True)
class PricesResource:
    """The price rows of stored plans (``engine.prices``)."""

    store: Store

    def fetch(self, price_id: str) -> Price:
        """The price row with this id (``<plan id>:v<version>:<price id>``).

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.prices.get(price_id)

    def list(self, query: Query | None = None) -> Page[Price]:
        """One page of price rows (filters: ``plan_id``, ``plan_version``,
        ``billable_metric_id``, ``price_type``, ``cadence``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.prices.list(query)


@dataclass(frozen=True)
class MetricsResource:
    """Billable metrics (``engine.metrics``)."""

    store: Store
    metering: Metering

    def create(self, metric: Mapping[str, Any] | BillableMetric) -> BillableMetric:
        """Define a billable metric from its JSON form (see ``docs/metering.md``).

        Without an ``id``, the metric gets ``met_`` and a random hex. An active metric
        counts the events already stored.

        Raises:
            ValidationError: the definition is invalid.
            ConflictError: a metric with that id exists.
        """
        if isinstance(metric, BillableMetric):
            return self.metering.define_metric(metric)
        raw = dict(metric)
        raw.setdefault("id", f"met_{uuid.uuid4().hex}")
        return self.metering.define_metric(raw)

    def fetch(self, metric_id: str) -> BillableMetric:
        """The metric with this id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.billable_metrics.get(metric_id)

    def list(self, query: Query | None = None) -> Page[BillableMetric]:
        """One page of metrics (filter: ``event_name``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.billable_metrics.list(query)

    def set_status(self, metric_id: str, status: str) -> BillableMetric:
        """Activate, draft or archive a metric (:meth:`Metering.set_status`).

        Raises:
            NotFoundError: there is no such metric.
            ValidationError: ``status`` is not active, draft or archived.
        """
        return self.metering.set_status(metric_id, status)
