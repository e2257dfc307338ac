"""Reading a plan's price from Orb's JSON: every problem kept with its path.

The rules for what the JSON may leave out are in :mod:`orbcore.billing._plan_price`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from orbcore._errors import ValidationError
from orbcore.billing._adjust_json import parse_adjustments
from orbcore.billing._adjustments import Adjustment
from orbcore.billing._plan_check import Path, Problems
from orbcore.billing._plan_price import PlanPrice
from orbcore.billing._timeline_intervals import BillingMode, PriceKind
from orbcore.calendar import Cadence
from orbcore.pricing import MODELS, Price
from orbcore.pricing._price import parse_price

__all__ = ["derived_price_id", "read_price"]

_FIELDS = (
    "id",
    "name",
    "model_type",
    "cadence",
    "billing_cycle_configuration",
    "billing_mode",
    "billed_in_advance",
    "price_type",
    "fixed_price_quantity",
    "billable_metric_id",
    "item_id",
    "item",
    "currency",
    "adjustments",
)
_PRICE_TYPES = {"fixed_price": PriceKind.FIXED, "usage_price": PriceKind.USAGE}
_MODES = ("in_advance", "in_arrear")


def derived_price_id(name: str) -> str:
    """The id of a price whose JSON gives none (the rule is in ``_plan_price``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^0-9a-z]+", "_", ascii_name.lower()).strip("_")
    if slug:
        return slug
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    return f"price_{digest[:12]}"


def read_price(value: object, path: Path, currency: object, found: Problems) -> PlanPrice | None:
    """One price of ``prices``, or ``None`` with its problems added to ``found``."""
    data = found.mapping(value, path)
    if data is None:
        return None
    before = len(found.found)
    model = _model(data, path, found)
    _unknown_fields(data, path, found)
    name = found.text(data, "name", path, required=True)
    price_id = found.text(data, "id", path) or (name and derived_price_id(name))
    cadence = _cadence(data, path, found)
    quantity = found.amount(data, "fixed_price_quantity", path)
    metric = found.text(data, "billable_metric_id", path)
    kind = _kind(data, path, found)
    mode = _mode(data, path, kind, found)
    _kind_rules(data, kind, mode, cadence, path, found)
    item_id, item_name = _item(data, path, found)
    own = _own_adjustments(data.get("adjustments"), price_id, path, found)
    price_currency = found.text(data, "currency", path)
    if price_currency is not None and price_currency != currency:
        found.add((*path, "currency"), f"{price_currency!r} is not the plan's currency")
    # Each of these is None only when a problem was added for it.
    if len(found.found) > before or model is None or not name or not price_id:
        return None
    if cadence is None or kind is None or mode is None:
        return None
    return PlanPrice(
        id=price_id,
        name=name,
        model_type=model.model_type,
        config=model.config,
        cadence=cadence,
        kind=kind,
        billing_mode=mode,
        fixed_price_quantity=quantity,
        billable_metric_id=metric,
        item_id=item_id,
        item_name=item_name,
        currency=price_currency,
        adjustments=own,
    )


def _unknown_fields(data: Mapping[str, Any], path: Path, found: Problems) -> None:
    """Unknown keys; with an unknown model type, its problem covers every ``*_config``."""
    model_type = data.get("model_type")
    known = isinstance(model_type, str) and model_type in MODELS
    configs = {k for k in data if isinstance(k, str) and k.endswith("_config")}
    for key in sorted(configs - {f"{model_type}_config"} if known else ()):
        found.add((*path, key), f"is not the config of model_type {model_type!r}")
    rest = {key: value for key, value in data.items() if key not in configs}
    found.unknown(rest, _FIELDS, path)


def _model(data: Mapping[str, Any], path: Path, found: Problems) -> Price | None:
    """The model type and its validated config (the rest of the price is read here)."""
    model_type = data.get("model_type")
    body = {"model_type": model_type}
    key = f"{model_type}_config"
    if key in data:
        body[key] = data[key]
    try:
        return parse_price(body)
    except ValidationError as exc:
        found.absorb(path, exc)
        return None


def _cadence(data: Mapping[str, Any], path: Path, found: Problems) -> Cadence | None:
    raw, cycle = data.get("cadence"), data.get("billing_cycle_configuration")
    if not isinstance(raw, str):
        found.add((*path, "cadence"), f"expected Orb's cadence name, got {raw!r}")
        return None
    if cycle is not None:
        if raw != "custom":
            found.add((*path, "billing_cycle_configuration"), "is for a custom cadence only")
            return None
        if isinstance(cycle, Mapping):
            where = (*path, "billing_cycle_configuration")
            found.unknown(cycle, ("duration", "duration_unit"), where)
    try:
        return Cadence.from_orb(raw, cycle)
    except ValidationError as exc:
        found.absorb(path, exc)
        return None


def _kind(data: Mapping[str, Any], path: Path, found: Problems) -> PriceKind | None:
    raw = data.get("price_type")
    if raw is None:
        fixed = data.get("fixed_price_quantity") is not None or (
            data.get("model_type") == "unit" and data.get("billable_metric_id") is None
        )
        return PriceKind.FIXED if fixed else PriceKind.USAGE
    if isinstance(raw, str) and raw in _PRICE_TYPES:
        return _PRICE_TYPES[raw]
    found.add((*path, "price_type"), f"must be fixed_price or usage_price, got {raw!r}")
    return None


def _mode(
    data: Mapping[str, Any], path: Path, kind: PriceKind | None, found: Problems
) -> BillingMode | None:
    raw, flag = data.get("billing_mode"), data.get("billed_in_advance")
    mode = None
    if raw is not None:
        if not isinstance(raw, str) or raw not in _MODES:
            found.add((*path, "billing_mode"), f"must be in_advance or in_arrear, got {raw!r}")
            return None
        mode = BillingMode(raw)
    if flag is not None:
        if not isinstance(flag, bool):
            found.add((*path, "billed_in_advance"), f"expected true or false, got {flag!r}")
            return None
        flagged = BillingMode.IN_ADVANCE if flag else BillingMode.IN_ARREAR
        if mode not in (None, flagged):
            found.add((*path, "billed_in_advance"), "contradicts billing_mode")
        mode = flagged
    if mode is None and kind is not None:
        mode = BillingMode.IN_ADVANCE if kind is PriceKind.FIXED else BillingMode.IN_ARREAR
    return mode


def _item(data: Mapping[str, Any], path: Path, found: Problems) -> tuple[str | None, str | None]:
    """``item_id``, or Orb's ``item: {id, name}``; both must then agree."""
    item_id = found.text(data, "item_id", path)
    if data.get("item") is None:
        return item_id, None
    item = found.mapping(data["item"], (*path, "item"))
    if item is None:
        return item_id, None
    found.unknown(item, ("id", "name"), (*path, "item"))
    inner_id = found.text(item, "id", (*path, "item"), required=True)
    name = found.text(item, "name", (*path, "item"), required=True)
    if item_id is not None and inner_id is not None and item_id != inner_id:
        found.add((*path, "item_id"), f"is not the item's id {inner_id!r}")
    return inner_id, name


def _own_adjustments(
    value: object, price_id: str | None, path: Path, found: Problems
) -> tuple[Adjustment, ...]:
    """A price's own adjustments: line-level, on that price (its id may be left out)."""
    if value is None:
        return ()
    items = found.array(value, (*path, "adjustments"))
    if items is None:
        return ()
    if price_id:
        items = [_on_price(item, price_id) for item in items]
    try:
        adjustments = parse_adjustments(items)
    except ValidationError as exc:
        found.absorb((*path, "adjustments"), exc)
        return ()
    for n, adjustment in enumerate(adjustments):
        where = (*path, "adjustments", n)
        if adjustment.is_invoice_level:
            found.add((*where, "is_invoice_level"), "a price's own adjustment is line-level")
        elif adjustment.applies_to_price_ids != (price_id,):
            found.add((*where, "applies_to_price_ids"), f"must be [{price_id!r}], its price")
    return adjustments


def _on_price(item: object, price_id: str) -> object:
    if not isinstance(item, Mapping) or "applies_to_price_ids" in item or "applies_to_all" in item:
        return item
    copy = dict(item)
    copy["applies_to_price_ids"] = [price_id]
    return copy


def _kind_rules(
    data: Mapping[str, Any],
    kind: PriceKind | None,
    mode: BillingMode | None,
    cadence: Cadence | None,
    path: Path,
    found: Problems,
) -> None:
    """What a price's kind requires of its other fields (Orb's and the timeline's rules)."""
    has_metric = data.get("billable_metric_id") is not None
    if kind is PriceKind.FIXED and has_metric:
        found.add((*path, "billable_metric_id"), "a fixed fee takes no billable metric")
    if kind is not PriceKind.USAGE:
        return
    rules = (
        ("billable_metric_id", not has_metric, "a usage price needs a billable metric"),
        (
            "fixed_price_quantity",
            data.get("fixed_price_quantity") is not None,
            "only a fixed fee has a quantity",
        ),
        ("billing_mode", mode is BillingMode.IN_ADVANCE, "usage is billed in arrears"),
        ("cadence", cadence is not None and not cadence.is_recurring, "a usage price must recur"),
    )
    for key, broken, message in rules:
        if broken:
            found.add((*path, key), message)
