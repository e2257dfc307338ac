"""A plan definition as storage records: one ``Plan`` row, one ``Price`` row per price.

The columns hold what storage filters on and what rating needs: a price row alone gives
its model type and config, cadence, kind, billing mode, metric and quantity, so rows of
older versions still rate and still make :class:`~orbcore.billing.PriceRef` values. A
custom cadence is written ``custom:<duration>:<day|month>`` in the ``cadence`` column.

The rest is exact JSON. ``Price.details`` holds the price's ``position`` in its plan,
its ``item``/``item_id``, own ``currency`` and ``adjustments``, and ``plan_terms``: the
terms of its plan version (``default_invoice_memo``, ``adjustments``, ``trial_config``,
``plan_phases``). ``Plan.terms`` holds the same terms for the version in force. Name,
currency, external id, net terms and metadata are the plan's, shared by its versions, so
a version's price rows with the plan row rebuild that version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from orbcore._errors import Problem, ValidationError
from orbcore.billing._plan import PlanDefinition, price_record_id
from orbcore.billing._plan_price import PlanPrice
from orbcore.billing._records import Plan, Price
from orbcore.calendar import Cadence
from orbcore.calendar._zone import ensure_aware

__all__ = ["definition_from_records", "plan_records"]

_PLAN_EXTRAS = ("default_invoice_memo", "adjustments", "trial_config", "plan_phases")
_PRICE_EXTRAS = ("item", "item_id", "currency", "adjustments")


def plan_records(
    definition: PlanDefinition, plan_id: str, created_at: datetime
) -> tuple[Plan, list[Price]]:
    """The records that store ``definition`` as plan ``plan_id``.

    Price rows are ``<plan id>:v<version>:<price id>`` (:func:`price_record_id`), so a
    new version (:meth:`PlanDefinition.with_version`) adds rows beside the old ones.

    Args:
        definition: the plan.
        plan_id: the plan's record id.
        created_at: when the rows are written (an aware datetime).

    Returns:
        The plan row (``plan_version`` is the definition's version) and its price rows.

    Raises:
        ValidationError: an empty ``plan_id`` or a naive ``created_at``.

    >>> plan = PlanDefinition.from_orb({"name": "Basic", "currency": "USD", "prices": [
    ...     {"name": "Platform", "model_type": "unit", "cadence": "monthly",
    ...      "unit_config": {"unit_amount": "50.00"}}]})
    >>> row, prices = plan_records(plan, "pln_1", datetime(2024, 1, 1, tzinfo=UTC))
    >>> [(p.id, p.cadence, p.price_type, p.config) for p in prices]
    [('pln_1:v1:platform', 'monthly', 'fixed_price', {'unit_amount': '50.00'})]
    >>> definition_from_records(row, prices) == plan
    True
    """
    if not isinstance(plan_id, str) or not plan_id:
        raise ValidationError.at(("plan_id",), "must be a non-empty string")
    created = ensure_aware(created_at, "created_at")
    body = definition.to_orb()
    plan = Plan(
        id=plan_id,
        name=definition.name,
        currency=definition.currency,
        created_at=created,
        external_plan_id=definition.external_plan_id,
        plan_version=definition.version,
        net_terms=definition.net_terms,
        metadata=dict(definition.metadata),
        terms=_terms(body),
    )
    rows = [
        _price_row(price, plan_id, definition, created, _details(body, n))
        for n, price in enumerate(definition.prices)
    ]
    return plan, rows


def definition_from_records(
    plan: Plan, prices: Sequence[Price], *, version: int | None = None
) -> PlanDefinition:
    """The definition stored by :func:`plan_records`.

    Args:
        plan: the plan row.
        prices: its price rows; rows of other versions are skipped, so all of a plan's
            rows may be passed.
        version: the version to rebuild; the one ``plan`` is at if omitted.

    Raises:
        ValidationError: rows of another plan, ids not made by :func:`price_record_id`,
            no rows for an older version, or stored values that no longer make a valid
            plan (each with its path).
    """
    wanted = plan.plan_version if version is None else version
    problems = [
        Problem(("prices", n, "plan_id"), f"belongs to plan {row.plan_id!r}, not {plan.id!r}")
        for n, row in enumerate(prices)
        if row.plan_id != plan.id
    ]
    prefix = price_record_id(plan.id, wanted, "")
    rows: list[tuple[str, int, Price]] = []
    for n, row in enumerate(prices):
        if row.plan_version != wanted:
            continue
        if not row.id.startswith(prefix) or len(row.id) == len(prefix):
            problems.append(Problem(("prices", n, "id"), f"is not a {prefix}<price id> id"))
        rows.append((row.id[len(prefix) :], n, row))
    if not rows and wanted != plan.plan_version:
        problems.append(Problem(("version",), f"no price rows of version {wanted}"))
    stored = plan.terms if wanted == plan.plan_version or not rows else rows[0][2].details
    terms = stored if wanted == plan.plan_version else stored.get("plan_terms", {})
    if not isinstance(terms, Mapping):
        problems.append(Problem(("prices", rows[0][1], "details", "plan_terms"), "not an object"))
        terms = {}
    if problems:
        raise ValidationError(problems)
    rows.sort(key=lambda entry: _position(entry[2]))
    raw: dict[str, Any] = {
        "name": plan.name,
        "currency": plan.currency,
        "net_terms": plan.net_terms,
        "version": wanted,
        "metadata": plan.metadata,
        "prices": [_price_json(local, row) for local, _, row in rows],
    }
    if plan.external_plan_id is not None:
        raw["external_plan_id"] = plan.external_plan_id
    raw |= {key: terms[key] for key in _PLAN_EXTRAS if key in terms}
    return PlanDefinition.from_orb(raw)


def _terms(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in _PLAN_EXTRAS if key in body}


def _details(body: Mapping[str, Any], position: int) -> dict[str, Any]:
    price = body["prices"][position]
    own = {key: price[key] for key in _PRICE_EXTRAS if key in price}
    return {"position": position, **own, "plan_terms": _terms(body)}


def _position(row: Price) -> tuple[int, int, str]:
    """Rows by their stored position; rows without one last, by id."""
    position = row.details.get("position")
    if isinstance(position, int) and not isinstance(position, bool):
        return (0, position, row.id)
    return (1, 0, row.id)


def _price_row(
    price: PlanPrice,
    plan_id: str,
    definition: PlanDefinition,
    created: datetime,
    details: dict[str, Any],
) -> Price:
    return Price(
        id=price_record_id(plan_id, definition.version, price.id),
        plan_id=plan_id,
        plan_version=definition.version,
        name=price.name,
        model_type=price.model_type,
        cadence=_cadence_column(price.cadence),
        currency=definition.currency,
        created_at=created,
        price_type=price.price_type,
        billing_mode=price.billing_mode.value,
        billable_metric_id=price.billable_metric_id,
        config=price.config.model_dump(mode="python", exclude_unset=True),
        fixed_price_quantity=price.fixed_price_quantity,
        details=details,
    )


def _price_json(price_id: str, row: Price) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": price_id,
        "name": row.name,
        "model_type": row.model_type,
        f"{row.model_type}_config": row.config,
        **_cadence_json(row.cadence),
        "billing_mode": row.billing_mode,
        "price_type": row.price_type,
    }
    if row.fixed_price_quantity is not None:
        body["fixed_price_quantity"] = row.fixed_price_quantity
    if row.billable_metric_id is not None:
        body["billable_metric_id"] = row.billable_metric_id
    body |= {key: row.details[key] for key in _PRICE_EXTRAS if key in row.details}
    return body


def _cadence_column(cadence: Cadence) -> str:
    name = str(cadence.to_orb()["cadence"])
    return name if name != "custom" else f"custom:{cadence.count}:{cadence.unit.value}"


def _cadence_json(column: str) -> dict[str, Any]:
    name, _, rest = column.partition(":")
    if name != "custom" or not rest:
        return {"cadence": column}
    count, _, unit = rest.partition(":")
    duration = int(count) if count.isascii() and count.isdigit() else count
    return {
        "cadence": "custom",
        "billing_cycle_configuration": {"duration": duration, "duration_unit": unit},
    }
