"""Adjustments from Orb's JSON: every problem found, each with its path, in one error."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pydantic

from orbcore._errors import FloatNotAllowedError, Problem, ValidationError
from orbcore.billing._adjustments import ADJUSTMENT_TYPES, Adjustment

__all__ = ["parse_adjustment", "parse_adjustments"]


def parse_adjustment(data: Mapping[str, Any] | str) -> Adjustment:
    """Read one adjustment from Orb-shaped JSON (text, or a mapping of decoded JSON).

    Text is decoded with exact decimals; in a mapping, numbers must be ``int``,
    ``Decimal`` or decimal strings.

    Args:
        data: ``{"adjustment_type": "percentage_discount", "percentage_discount": "0.1",
            "applies_to_price_ids": ["price_1"], "is_invoice_level": false}`` and the like.

    Returns:
        The adjustment, as its subclass.

    Raises:
        ValidationError: every problem found, each with its field path
            (``FloatNotAllowedError`` when a float is among them).

    >>> parse_adjustment({"adjustment_type": "minimum", "minimum_amount": "50.00",
    ...                   "applies_to_price_ids": ["price_calls"]}).describe()
    'minimum 50.00'
    """
    found = _Found()
    adjustment = found.parse(_decoded(data), ())
    if adjustment is None or found.problems:
        raise found.error()
    return adjustment


def parse_adjustments(data: Sequence[Mapping[str, Any]] | str) -> tuple[Adjustment, ...]:
    """Read a list of adjustments; problems are reported for all of them at once, each
    path starting with the adjustment's index.

    Raises:
        ValidationError: every problem found in every adjustment.
    """
    decoded = _decoded(data)
    if isinstance(decoded, str | bytes | Mapping) or not isinstance(decoded, Sequence):
        raise ValidationError.at((), f"expected a JSON array, got {type(decoded).__name__}")
    found = _Found()
    parsed = [found.parse(item, (index,)) for index, item in enumerate(decoded)]
    if found.problems:
        raise found.error()
    return tuple(adjustment for adjustment in parsed if adjustment is not None)


def _decoded(data: object) -> object:
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError.at((), f"not JSON: {exc}") from exc


class _Found:
    """The problems found while parsing, and whether a float caused one of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.float_seen = False

    def parse(self, data: object, path: tuple[str | int, ...]) -> Adjustment | None:
        if not isinstance(data, Mapping):
            self.problems.append(
                Problem(path, f"expected a JSON object, got {type(data).__name__}")
            )
            return None
        kind = data.get("adjustment_type")
        model = ADJUSTMENT_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            known = ", ".join(ADJUSTMENT_TYPES)
            message = f"unknown adjustment_type {kind!r}; known: {known}"
            self.problems.append(Problem((*path, "adjustment_type"), message))
            return None
        body = {name: value for name, value in data.items() if name != "adjustment_type"}
        try:
            adjustment = model.model_validate(body)
        except pydantic.ValidationError as exc:
            self.problems += [self._problem(path, error, model) for error in exc.errors()]
            return None
        self.problems += [Problem((*path, *p.path), p.message) for p in adjustment.problems()]
        return adjustment

    def _problem(self, path: tuple[str | int, ...], error: Any, model: type[Adjustment]) -> Problem:
        where = (*path, *error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"is not a field of a {model.adjustment_type.value} adjustment"
        elif error["type"] == "exact_number" and "float" in message:
            self.float_seen = True
        return Problem(where, message)

    def error(self) -> ValidationError:
        kind = FloatNotAllowedError if self.float_seen else ValidationError
        return kind(self.problems)
