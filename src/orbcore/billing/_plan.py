"""``PlanDefinition``: a plan of the catalog in Orb's shape, validated as a whole.

A plan is a name, a currency, net terms and its prices (:mod:`orbcore.billing._plan_price`),
with plan-level adjustments, a trial and phases (:mod:`orbcore.billing._plan_terms`).
:meth:`PlanDefinition.from_orb` reads Orb-shaped JSON and raises one ``ValidationError``
listing every problem with its path; :meth:`PlanDefinition.to_orb` writes the plan back
with every derived field spelled out, so ``from_orb(plan.to_orb()) == plan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from orbcore._checks import require_int
from orbcore._errors import ValidationError
from orbcore._json import dumps_exact
from orbcore.billing._adjust_json import parse_adjustments
from orbcore.billing._adjustments import Adjustment
from orbcore.billing._plan_check import Problems, decoded
from orbcore.billing._plan_price import PlanPrice
from orbcore.billing._plan_price_json import read_price
from orbcore.billing._plan_terms import PlanPhase, TrialConfig, read_phases, read_trial
from orbcore.billing._timeline import SubscriptionTimeline
from orbcore.billing._timeline_intervals import PriceRef
from orbcore.billing._timeline_periods import billing_cadence, term_cadence
from orbcore.calendar import Cadence
from orbcore.money import get_currency

__all__ = ["PlanDefinition", "price_record_id"]


_FIELDS = (
    "name",
    "external_plan_id",
    "currency",
    "net_terms",
    "default_invoice_memo",
    "metadata",
    "prices",
    "adjustments",
    "trial_config",
    "plan_phases",
    "version",
)
_MAX_VERSION = 1_000_000
# Any instant works: the cadence rule looks at which prices are in force, not when.
_PROBE_START = datetime(2000, 1, 1, tzinfo=UTC)


def price_record_id(plan_id: str, version: int, price_id: str) -> str:
    """The id of a price's storage record: ``<plan id>:v<version>:<price id>``.

    Price ids are unique within a plan; every version of every plan gets its own rows.
    """
    return f"{plan_id}:v{version}:{price_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDefinition:
    """A plan of the catalog: immutable, compared by value. Build it with :meth:`from_orb`.

    >>> plan = PlanDefinition.from_orb({
    ...     "name": "Starter", "currency": "USD",
    ...     "prices": [
    ...         {"name": "Platform fee", "model_type": "unit", "cadence": "monthly",
    ...          "unit_config": {"unit_amount": "50.00"}},
    ...         {"name": "API calls", "model_type": "unit", "cadence": "monthly",
    ...          "billable_metric_id": "api_calls", "unit_config": {"unit_amount": "0.01"}},
    ...     ],
    ... })
    >>> [(p.id, p.price_type, p.billing_mode.value) for p in plan.prices]
    [('platform_fee', 'fixed_price', 'in_advance'), ('api_calls', 'usage_price', 'in_arrear')]
    >>> PlanDefinition.from_orb(plan.to_orb()) == plan
    True
    """

    name: str
    currency: str
    prices: tuple[PlanPrice, ...]
    external_plan_id: str | None = None
    net_terms: int = 0
    default_invoice_memo: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    adjustments: tuple[Adjustment, ...] = ()
    trial_config: TrialConfig | None = None
    plan_phases: tuple[PlanPhase, ...] = ()
    version: int = 1

    @classmethod
    def from_orb(cls, data: Mapping[str, Any] | str) -> PlanDefinition:
        """Read a plan from Orb-shaped JSON (text, or a mapping of decoded JSON).

        Text is decoded with exact decimals; in a mapping, numbers are ``int``,
        ``Decimal`` or decimal strings.

        Raises:
            ValidationError: every problem found, each with its path (``currency``,
                ``prices.2.cadence``, ``prices.0.unit_config.unit_amount``);
                ``FloatNotAllowedError`` when a float is among them.
        """
        found = Problems()
        raw = decoded(data)
        plan = found.mapping(raw, ())
        if plan is None:
            raise found.error()
        definition = _read(plan, found)
        if definition is None or found.found:
            raise found.error()
        return definition

    def to_orb(self) -> dict[str, Any]:
        """The plan in Orb's shape; optional fields appear only when set."""
        body: dict[str, Any] = {"name": self.name, "currency": self.currency}
        optional = {
            "external_plan_id": self.external_plan_id,
            "default_invoice_memo": self.default_invoice_memo,
            "metadata": dict(self.metadata) or None,
            "trial_config": None if self.trial_config is None else self.trial_config.to_orb(),
            "adjustments": [a.to_orb() for a in self.adjustments] or None,
            "plan_phases": [p.to_orb() for p in self.plan_phases] or None,
        }
        body |= {key: value for key, value in optional.items() if value is not None}
        body |= {"net_terms": self.net_terms, "version": self.version}
        body["prices"] = [price.to_orb() for price in self.prices]
        return body

    def to_json(self) -> str:
        """:meth:`to_orb` as JSON text with every number exact."""
        return dumps_exact(self.to_orb())

    def price(self, price_id: str) -> PlanPrice:
        """The price with this id.

        Raises:
            ValidationError: the plan has no such price.
        """
        for price in self.prices:
            if price.id == price_id:
                return price
        raise ValidationError.at(("price_id",), f"no price {price_id!r} in plan {self.name!r}")

    def price_refs(self, plan_id: str | None = None) -> tuple[PriceRef, ...]:
        """What a subscription timeline needs of each price, in order.

        Args:
            plan_id: when given, each ref is named by its storage record's id
                (:func:`price_record_id`), so charges point at stored rows; otherwise by
                the price's id within the plan.
        """
        if plan_id is None:
            return tuple(price.ref() for price in self.prices)
        return tuple(
            price.ref(price_record_id(plan_id, self.version, price.id)) for price in self.prices
        )

    @property
    def billing_cadence(self) -> Cadence:
        """The billing period's cadence: the shortest of the recurring prices' cadences
        (the timeline's rule, :func:`orbcore.billing.billing_cadence`)."""
        timeline = SubscriptionTimeline.create(_PROBE_START, self.price_refs())
        return billing_cadence(timeline, timeline.start)

    @property
    def term_cadence(self) -> Cadence:
        """The term's cadence: the longest of the recurring prices' cadences."""
        timeline = SubscriptionTimeline.create(_PROBE_START, self.price_refs())
        return term_cadence(timeline, timeline.start)

    @property
    def trial_days(self) -> int:
        """The trial's length in days, for ``SubscriptionTimeline.create``; 0 for none."""
        return 0 if self.trial_config is None else self.trial_config.trial_period

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """The plan's adjustments, then each price's own, for the invoice builder."""
        return self.adjustments + tuple(a for price in self.prices for a in price.adjustments)

    def with_version(self, version: int) -> PlanDefinition:
        """This plan as version ``version`` (its records get new price rows).

        Raises:
            ValidationError: ``version`` is not a whole number from 1 on.
        """
        return replace(self, version=require_int(version, 1, _MAX_VERSION, "version"))


def _read(plan: Mapping[str, Any], found: Problems) -> PlanDefinition | None:
    found.unknown(plan, _FIELDS, ())
    head = _head(plan, found)
    before = len(found.found)
    prices = _prices(plan, found)
    # References to prices are checked only against a clean list of prices.
    ids = {price.id for price in prices} if len(found.found) == before else None
    adjustments = _adjustments(plan.get("adjustments"), ids, found)
    trial = None if plan.get("trial_config") is None else read_trial(plan["trial_config"], found)
    phases = () if plan.get("plan_phases") is None else read_phases(plan["plan_phases"], ids, found)
    if found.found:
        return None
    return PlanDefinition(
        prices=prices, adjustments=adjustments, trial_config=trial, plan_phases=phases, **head
    )


def _head(plan: Mapping[str, Any], found: Problems) -> dict[str, Any]:
    """The plan's own fields (all but its prices, adjustments, trial and phases)."""
    net_terms = found.integer(plan, "net_terms", (), low=0, high=36_600)
    version = found.integer(plan, "version", (), low=1, high=_MAX_VERSION)
    memo = plan.get("default_invoice_memo")
    if memo is not None and not isinstance(memo, str):
        found.add(("default_invoice_memo",), f"expected a string, got {memo!r}")
    metadata = found.labels(plan, "metadata", ())
    return {
        "name": found.text(plan, "name", (), required=True),
        "currency": _currency(plan, found),
        "external_plan_id": found.text(plan, "external_plan_id", ()),
        "net_terms": 0 if net_terms is None else net_terms,
        "default_invoice_memo": memo,
        "metadata": metadata,
        "version": 1 if version is None else version,
    }


def _currency(plan: Mapping[str, Any], found: Problems) -> str | None:
    code = found.text(plan, "currency", (), required=True)
    if code is None:
        return None
    try:
        get_currency(code)
    except ValidationError as exc:
        found.absorb((), exc)
        return None
    return code


def _prices(plan: Mapping[str, Any], found: Problems) -> tuple[PlanPrice, ...]:
    """Every price read; then ids unique and at least one price that recurs."""
    if plan.get("prices") is None:
        found.add(("prices",), "is required: a plan has at least one price")
        return ()
    items = found.array(plan["prices"], ("prices",))
    if items is None:
        return ()
    currency = plan.get("currency")
    read = [read_price(item, ("prices", n), currency, found) for n, item in enumerate(items)]
    seen: dict[str, int] = {}
    for n, price in enumerate(read):
        if price is None:
            continue
        if price.id in seen:
            found.add(
                ("prices", n, "id"),
                f"{price.id!r} is also the id of prices.{seen[price.id]}; give each price "
                "its own id (a missing id is derived from the name)",
            )
        seen.setdefault(price.id, n)
    prices = tuple(price for price in read if price is not None)
    if not items:
        found.add(("prices",), "a plan has at least one price")
    elif len(prices) == len(read) and not any(p.cadence.is_recurring for p in prices):
        found.add(("prices",), "a plan needs a recurring price (a subscription bills on it)")
    return prices


def _adjustments(
    value: object, price_ids: set[str] | None, found: Problems
) -> tuple[Adjustment, ...]:
    """Plan-level adjustments: Orb's shape, on prices of this plan."""
    if value is None:
        return ()
    items = found.array(value, ("adjustments",))
    if items is None:
        return ()
    try:
        adjustments = parse_adjustments(items)
    except ValidationError as exc:
        found.absorb(("adjustments",), exc)
        return ()
    if price_ids is None:
        return adjustments
    for n, adjustment in enumerate(adjustments):
        for k, price_id in enumerate(adjustment.applies_to_price_ids):
            if price_id not in price_ids:
                found.add(
                    ("adjustments", n, "applies_to_price_ids", k),
                    f"no price {price_id!r} in this plan",
                )
    return adjustments
