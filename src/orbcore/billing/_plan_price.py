"""A plan's price: an Orb price (``model_type`` + ``<model_type>_config``) and its envelope.

Read from Orb's JSON by :func:`orbcore.billing._plan_price_json.read_price`, which derives
what the JSON leaves out:

* ``id``: from the name, lower-cased, every run of other characters than ``a-z`` and
  ``0-9`` made one ``_`` (``"API calls"`` is ``api_calls``); a name with no such
  character gets ``price_`` and 12 hex digits of its SHA-256.
* ``price_type``: ``fixed_price`` when the price has a ``fixed_price_quantity``, or when
  it is a ``unit`` price without a ``billable_metric_id`` (Orb: fixed fees "follow unit
  pricing"); ``usage_price`` otherwise, which then needs a ``billable_metric_id``.
* ``billing_mode``: fixed fees ``in_advance``, usage ``in_arrear`` (Orb's defaults).
  Orb's create-time ``billed_in_advance`` flag is read too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orbcore.billing._adjustments import Adjustment
from orbcore.billing._timeline_intervals import BillingMode, PriceKind, PriceRef
from orbcore.calendar import Cadence
from orbcore.pricing import Price, PriceConfig

__all__ = ["PlanPrice"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanPrice:
    """One price of a plan. Read it with :meth:`PlanDefinition.from_orb
    <orbcore.billing.PlanDefinition.from_orb>`; :meth:`to_orb` writes it back.

    Attributes:
        id: unique within the plan (derived from the name when the JSON has none).
        config: the validated ``<model_type>_config``.
        kind: fixed fee or usage price (Orb's ``price_type``).
        currency: as given in the JSON (it must then be the plan's), else ``None``.
        adjustments: the price's own, line-level adjustments.
    """

    id: str
    name: str
    model_type: str
    config: PriceConfig
    cadence: Cadence
    kind: PriceKind
    billing_mode: BillingMode
    fixed_price_quantity: Decimal | None = None
    billable_metric_id: str | None = None
    item_id: str | None = None
    item_name: str | None = None
    currency: str | None = None
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def price_type(self) -> str:
        """Orb's ``price_type``: ``fixed_price`` or ``usage_price``."""
        return "fixed_price" if self.kind is PriceKind.FIXED else "usage_price"

    @property
    def price(self) -> Price:
        """The price to rate with, its envelope (name, ``price_type``, quantity) included."""
        body = self.to_orb()
        del body["model_type"], body[f"{self.model_type}_config"]
        return Price(self.model_type, self.config, body)

    def ref(self, price_id: str | None = None) -> PriceRef:
        """What a subscription timeline needs of this price, under ``price_id`` (its own
        id by default)."""
        quantity = self.fixed_price_quantity
        return PriceRef(
            price_id or self.id,
            self.cadence,
            self.kind,
            self.billing_mode,
            Decimal(1) if quantity is None else quantity,
        )

    def to_orb(self) -> dict[str, Any]:
        """The price in Orb's shape, every derived field written out."""
        body: dict[str, Any] = {"id": self.id, "name": self.name, "model_type": self.model_type}
        body[f"{self.model_type}_config"] = self.config.model_dump(
            mode="python", exclude_unset=True
        )
        body |= self.cadence.to_orb()
        body["billing_mode"] = self.billing_mode.value
        body["price_type"] = self.price_type
        optional = {
            "fixed_price_quantity": self.fixed_price_quantity,
            "billable_metric_id": self.billable_metric_id,
            "currency": self.currency,
        }
        body |= {key: value for key, value in optional.items() if value is not None}
        if self.item_name is not None:
            body["item"] = {"id": self.item_id, "name": self.item_name}
        elif self.item_id is not None:
            body["item_id"] = self.item_id
        if self.adjustments:
            body["adjustments"] = [adjustment.to_orb() for adjustment in self.adjustments]
        return body
