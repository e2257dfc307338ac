"""Event filters: conditions on properties, combined with ``and`` / ``or``.

A condition names a property, an operator and (except for ``exists``) a value:

* ``exists``: the event has the property, whatever its value.
* ``=``, ``in``: the property has the same kind (number, string, boolean) and value as the
  operand, or as one of the operands. Numbers compare by value: ``1.50 = 1.5``.
* ``!=``, ``not_in``: the property is present and ``=`` / ``in`` does not hold.
* ``<``, ``<=``, ``>``, ``>=``: the property and the operand are both numbers (compared
  by value) or both strings (compared code point by code point); otherwise false.

Every condition but ``exists`` is false on an event without the property, as a comparison
with NULL is in SQL. Filters are written as JSON:
``{"and": [{"property": "region", "op": "in", "value": ["us", "eu"]},
{"property": "bytes", "op": ">", "value": 0}]}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from orbcore._errors import Problem, ValidationError
from orbcore.events._records import PropertyValue

__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "Filter",
    "Operator",
    "check_property_name",
    "filter_from_json",
    "filter_to_json",
    "kind_of",
    "matches",
]

_MAX_DEPTH = 8
# Names a metric may refer to: no quotes, backslashes or control characters, so that
# every store can address the property in its JSON column.
_NAME = re.compile(r'[^"\\\x00-\x1f\x7f]{1,128}')


class Operator(StrEnum):
    """How a condition compares a property with its value."""

    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not_in"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EXISTS = "exists"


_ORDERING = {Operator.LT, Operator.LE, Operator.GT, Operator.GE}
_LISTS = {Operator.IN, Operator.NOT_IN}


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on one property. ``values`` holds the operand (one, or several for
    ``in`` / ``not_in``; none for ``exists``)."""

    property: str
    op: Operator
    values: tuple[PropertyValue, ...] = ()


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part holds (``and``)."""

    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part holds (``or``)."""

    parts: tuple[Filter, ...]


Filter = Condition | AllOf | AnyOf
"""A condition or a combination of filters."""


def kind_of(value: PropertyValue) -> str:
    """``number``, ``string`` or ``boolean``: the kinds that compare with each other."""
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, Decimal) else "string"


def matches(where: Filter | None, properties: Mapping[str, PropertyValue]) -> bool:
    """Whether an event with ``properties`` passes ``where`` (``None`` passes all)."""
    if where is None:
        return True
    if isinstance(where, AllOf):
        return all(matches(part, properties) for part in where.parts)
    if isinstance(where, AnyOf):
        return any(matches(part, properties) for part in where.parts)
    if where.property not in properties:
        return False
    value = properties[where.property]
    op = where.op
    if op is Operator.EXISTS:
        return True
    if op in (Operator.EQ, Operator.IN):
        return any(_same(value, operand) for operand in where.values)
    if op in (Operator.NE, Operator.NOT_IN):
        return not any(_same(value, operand) for operand in where.values)
    return _ordered(op, value, where.values[0])


def _same(value: PropertyValue, operand: PropertyValue) -> bool:
    return kind_of(value) == kind_of(operand) and value == operand


def _ordered(op: Operator, value: PropertyValue, operand: PropertyValue) -> bool:
    kind = kind_of(value)
    if kind == "boolean" or kind != kind_of(operand):
        return False
    a: Any = value
    b: Any = operand
    if op is Operator.LT:
        return bool(a < b)
    if op is Operator.LE:
        return bool(a <= b)
    if op is Operator.GT:
        return bool(a > b)
    return bool(a >= b)


def check_property_name(name: object, path: tuple[str | int, ...]) -> list[Problem]:
    """Problems with a property name a metric refers to (none if it is fine)."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        return [
            Problem(path, "must be 1 to 128 characters without quotes, backslashes or controls")
        ]
    return []


def filter_from_json(raw: object, path: tuple[str | int, ...] = ("filter",)) -> Filter:
    """Parse a filter from its JSON form.

    Raises:
        ValidationError: every problem found, with its path.
    """
    problems: list[Problem] = []
    parsed = _parse(raw, path, problems, 0)
    if problems or parsed is None:
        raise ValidationError(problems or [Problem(path, "is not a filter")])
    return parsed


def filter_to_json(where: Filter) -> dict[str, Any]:
    """The JSON form of ``where``; :func:`filter_from_json` reads it back unchanged."""
    if isinstance(where, AllOf | AnyOf):
        word = "and" if isinstance(where, AllOf) else "or"
        return {word: [filter_to_json(part) for part in where.parts]}
    out: dict[str, Any] = {"property": where.property, "op": where.op.value}
    if where.op in _LISTS:
        out["value"] = list(where.values)
    elif where.op is not Operator.EXISTS:
        out["value"] = where.values[0]
    return out


def _parse(
    raw: object, path: tuple[str | int, ...], problems: list[Problem], depth: int
) -> Filter | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, "must be an object"))
        return None
    if depth >= _MAX_DEPTH:
        problems.append(Problem(path, f"nests deeper than {_MAX_DEPTH} levels"))
        return None
    words = [word for word in ("and", "or") if word in raw]
    if words:
        return _parse_group(raw, words, path, problems, depth)
    return _parse_condition(raw, path, problems)


def _parse_group(
    raw: Mapping[Any, Any],
    words: list[str],
    path: tuple[str | int, ...],
    problems: list[Problem],
    depth: int,
) -> Filter | None:
    if len(words) > 1 or len(raw) > 1:
        problems.append(Problem(path, "an and/or object holds that one key only"))
        return None
    word = words[0]
    items = raw[word]
    if not isinstance(items, list) or not items:
        problems.append(Problem((*path, word), "must be a non-empty list of filters"))
        return None
    parts = [_parse(item, (*path, word, i), problems, depth + 1) for i, item in enumerate(items)]
    good = tuple(part for part in parts if part is not None)
    if len(good) != len(parts):
        return None
    return AllOf(good) if word == "and" else AnyOf(good)


def _parse_condition(
    raw: Mapping[Any, Any], path: tuple[str | int, ...], problems: list[Problem]
) -> Condition | None:
    before = len(problems)
    unknown = sorted(str(key) for key in raw if key not in ("property", "op", "value"))
    if unknown:
        problems.append(Problem(path, f"unknown keys {', '.join(unknown)}"))
    name = raw.get("property")
    problems.extend(check_property_name(name, (*path, "property")))
    try:
        op = Operator(str(raw.get("op")))
    except ValueError:
        choices = ", ".join(o.value for o in Operator)
        problems.append(Problem((*path, "op"), f"must be one of {choices}"))
        return None
    values = _operands(op, raw, (*path, "value"), problems)
    if len(problems) > before or not isinstance(name, str):
        return None
    return Condition(name, op, values)


def _operands(
    op: Operator, raw: Mapping[Any, Any], path: tuple[str | int, ...], problems: list[Problem]
) -> tuple[PropertyValue, ...]:
    if op is Operator.EXISTS:
        if "value" in raw:
            problems.append(Problem(path, "exists takes no value"))
        return ()
    if "value" not in raw:
        problems.append(Problem(path, "is required"))
        return ()
    given = raw["value"]
    if op in _LISTS:
        if not isinstance(given, list) or not given:
            problems.append(Problem(path, "must be a non-empty list"))
            return ()
        return tuple(_operand(item, (*path, i), problems) for i, item in enumerate(given))
    value = _operand(given, path, problems)
    if op in _ORDERING and isinstance(value, bool):
        problems.append(Problem(path, "booleans have no order; compare a number or a string"))
    return (value,)


def _operand(raw: object, path: tuple[str | int, ...], problems: list[Problem]) -> PropertyValue:
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal) and raw.is_finite():
        return raw
    problems.append(Problem(path, "must be a string, a boolean or an exact finite number"))
    return ""
