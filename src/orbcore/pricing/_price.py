"""``Price``: a model type, its configuration, and the envelope Orb keeps around them."""

from __future__ import annotations

import decimal
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic

from orbcore._errors import FloatNotAllowedError, PrecisionError, Problem, ValidationError
from orbcore._json import dumps_exact
from orbcore.money._numbers import DecimalLike, to_decimal
from orbcore.pricing._model import MODELS, PriceConfig
from orbcore.pricing._result import PriceResult, Usage

__all__ = ["Price", "parse_price"]

_KEY_VALUE_TYPES = frozenset({str, type(None)})


@dataclass(frozen=True, slots=True)
class Price:
    """A price in Orb's shape: ``model_type``, its ``<model_type>_config``, and the other
    top-level fields (``name``, ``currency``, ``cadence``, ...), kept as given.

    >>> price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "0.50"}})
    >>> price.evaluate(3).amount
    Decimal('1.50')
    """

    model_type: str
    config: PriceConfig
    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_orb(cls, data: Mapping[str, Any] | str) -> Price:
        """Build a price from Orb-shaped JSON (text, or a mapping of decoded JSON).

        Text is decoded with exact decimals. In a mapping, use ``Decimal``, ``int`` or
        decimal strings: floats are refused.

        Raises:
            ValidationError: every problem found, each with its field path.
        """
        return parse_price(data)

    def to_orb(self) -> dict[str, Any]:
        """The price in Orb's shape; ``Price.from_orb(p.to_orb()) == p``."""
        body = self.config.model_dump(mode="python", exclude_unset=True)
        return {**self.fields, "model_type": self.model_type, f"{self.model_type}_config": body}

    def to_json(self) -> str:
        """:meth:`to_orb` as JSON text with every number exact."""
        return dumps_exact(self.to_orb())

    @property
    def fixed_price_quantity(self) -> Decimal | None:
        """The quantity of a fixed fee (``fixed_price_quantity``), if the price has one."""
        raw = self.fields.get("fixed_price_quantity")
        return None if raw is None else to_decimal(raw, field="fixed_price_quantity")

    def evaluate(self, usage: Usage | DecimalLike | None = None) -> PriceResult:
        """Rate ``usage`` (a :class:`Usage`, or just a quantity).

        A fixed fee (``price_type: fixed_price``) needs no usage: it is rated on its
        ``fixed_price_quantity`` (1 when absent).

        Returns:
            The exact, unrounded amount with sub-lines that sum to it.

        Raises:
            ValidationError: no usage for a price that is not a fixed fee, or a bad quantity.
        """
        if usage is None or type(usage) is Usage:
            return self._evaluate_usage(usage)
        quantity = _quantity(usage)
        try:
            return self.config.evaluate_quantity(quantity)
        except decimal.DecimalException as exc:
            raise PrecisionError(f"{self.model_type}: the amount has no exact form") from exc

    def _evaluate_usage(self, usage: Usage | None) -> PriceResult:
        if usage is None:
            if self.fields.get("price_type") != "fixed_price":
                raise ValidationError.at(
                    ("usage",), "only a fixed fee (price_type 'fixed_price') rates without usage"
                )
            quantity = self.fixed_price_quantity
            usage = Usage(Decimal(1) if quantity is None else quantity)
        usage = _checked_usage(usage)
        try:
            return self.config.evaluate(usage)
        except decimal.DecimalException as exc:
            raise PrecisionError(f"{self.model_type}: the amount has no exact form") from exc


def _quantity(value: object, field: str = "quantity") -> Decimal:
    # The usual value, a finite Decimal without a sign (not negative, not -0), is already
    # what the checks below return: accept it without converting it.
    if type(value) is Decimal and value.is_finite() and not value.is_signed():
        return value
    quantity = to_decimal(value, field=field)
    if quantity < 0:
        raise ValidationError.at((field,), f"{quantity} is negative; quantities are 0 or more")
    return quantity


def _checked_usage(usage: Usage) -> Usage:
    """``usage`` with every value checked: exact, non-negative quantities, groups keyed by
    tuples of text, events that are mappings."""
    groups = usage.groups
    if not isinstance(groups, Mapping):
        raise ValidationError.at(("groups",), "must map group keys to quantities")
    clean: dict[tuple[str | None, ...], Decimal] = {}
    for key, value in groups.items():
        if not _is_group_key(key):
            raise ValidationError.at(("groups",), f"{key!r} is not a tuple of text values")
        clean[key] = _quantity(value, "groups")
    events: object = usage.events
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise ValidationError.at(("events",), "must be a sequence of property mappings")
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise ValidationError.at(("events", index), "must be a mapping of properties")
    upstream = to_decimal(usage.upstream, field="upstream")
    return Usage(_quantity(usage.quantity), clean, usage.events, upstream)


def _is_group_key(key: object) -> bool:
    """Whether ``key`` is a tuple of text values (or ``None``s)."""
    # Exact types first: the usual key is checked without a generator.
    if type(key) is tuple and _KEY_VALUE_TYPES.issuperset(map(type, key)):
        return True
    return isinstance(key, tuple) and all(v is None or isinstance(v, str) for v in key)


def parse_price(data: Mapping[str, Any] | str) -> Price:
    """Build a :class:`Price` from Orb-shaped JSON; see :meth:`Price.from_orb`."""
    if isinstance(data, str):
        try:
            data = json.loads(data, parse_float=Decimal)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValidationError.at((), f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ValidationError.at((), f"expected a JSON object, got {type(data).__name__}")
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or model_type not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise ValidationError.at(
            ("model_type",), f"unknown model_type {model_type!r}; known: {known}"
        )
    key = f"{model_type}_config"
    problems = [
        Problem((repr(name),), "field names are text") for name in data if not isinstance(name, str)
    ]
    problems += [
        Problem((name,), f"belongs to another model type than {model_type!r}")
        for name in data
        if isinstance(name, str)
        and name.endswith("_config")
        and name != key
        and name[: -len("_config")] in MODELS
    ]
    if key not in data:
        problems.append(Problem((key,), f"is required for model_type {model_type!r}"))
        raise ValidationError(problems)
    try:
        config = _validate(MODELS[model_type], data[key], key)
    except ValidationError as exc:
        raise type(exc)([*problems, *exc.problems]) from None
    problems.extend(_fee_quantity_problems(data.get("fixed_price_quantity")))
    if problems:
        raise ValidationError(problems)
    others = {name: value for name, value in data.items() if name not in ("model_type", key)}
    floats = _float_paths(others, ())
    if floats:
        raise FloatNotAllowedError(
            Problem(path, "floats are not exact; use Decimal, int or a decimal string")
            for path in floats
        )
    return Price(model_type, config, others)


def _float_paths(value: object, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Where ``value`` holds floats (which ``to_json`` could not write exactly)."""
    if isinstance(value, float):
        return [path]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _float_paths(v, (*path, str(k)))]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _float_paths(v, (*path, i))]
    return []


def _fee_quantity_problems(quantity: object) -> list[Problem]:
    if quantity is None:
        return []
    try:
        if to_decimal(quantity, field="fixed_price_quantity") < 0:
            return [Problem(("fixed_price_quantity",), "must not be negative")]
    except ValidationError as exc:
        return list(exc.problems)
    return []


def _validate(model: type[PriceConfig], body: Any, key: str) -> PriceConfig:
    try:
        config = model.model_validate(body)
    except pydantic.ValidationError as exc:
        problems = [Problem((key, *error["loc"]), _message(error)) for error in exc.errors()]
        if any(
            error["type"] == "exact_number" and "float" in error["msg"] for error in exc.errors()
        ):
            raise FloatNotAllowedError(problems) from None
        raise ValidationError(problems) from None
    found = config.problems()
    if found:
        raise ValidationError(Problem((key, *p.path), p.message) for p in found)
    return config


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
