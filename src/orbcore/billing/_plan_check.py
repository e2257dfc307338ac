"""Reading plan JSON: typed fields out of decoded JSON, every problem kept with its path.

The plan parser reads every field whatever the previous ones held, so one
``ValidationError`` lists all that is wrong with a plan (beancount's errors as values).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from orbcore._errors import FloatNotAllowedError, Problem, ValidationError
from orbcore.money._numbers import to_decimal

__all__ = ["Path", "Problems", "decoded"]

Path = tuple[str | int, ...]


def decoded(data: object) -> object:
    """``data``, or the JSON it holds when it is text (numbers read exactly)."""
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError.at((), f"not JSON: {exc}") from exc


class Problems:
    """The problems found so far, and whether a float caused one of them."""

    def __init__(self) -> None:
        self.found: list[Problem] = []
        self.float_seen = False

    def add(self, path: Path, message: str) -> None:
        self.found.append(Problem(path, message))

    def absorb(self, prefix: Path, error: ValidationError) -> None:
        """Keep the problems of ``error``, their paths under ``prefix``."""
        self.found += [Problem((*prefix, *p.path), p.message) for p in error.problems]
        self.float_seen = self.float_seen or isinstance(error, FloatNotAllowedError)

    def error(self) -> ValidationError:
        kind = FloatNotAllowedError if self.float_seen else ValidationError
        return kind(self.found)

    def mapping(self, value: object, path: Path) -> Mapping[str, Any] | None:
        """``value`` if it is a JSON object; a problem otherwise."""
        if isinstance(value, Mapping):
            return value
        self.add(path, f"expected a JSON object, got {type(value).__name__}")
        return None

    def array(self, value: object, path: Path) -> list[Any] | None:
        """``value`` as a list if it is a JSON array; a problem otherwise."""
        if isinstance(value, list | tuple):
            return list(value)
        self.add(path, f"expected a JSON array, got {type(value).__name__}")
        return None

    def unknown(self, data: Mapping[Any, Any], known: Collection[str], path: Path) -> None:
        """A problem for each key of ``data`` that is not in ``known``."""
        for key in data:
            if not isinstance(key, str):
                self.add((*path, repr(key)), "field names are text")
            elif key not in known:
                self.add((*path, key), f"is not a field here (known: {', '.join(sorted(known))})")

    def text(
        self, data: Mapping[str, Any], key: str, path: Path, *, required: bool = False
    ) -> str | None:
        """A non-empty string field; ``None`` (absent or null) unless ``required``."""
        value = data.get(key)
        if value is None:
            if required:
                self.add((*path, key), "is required")
            return None
        if not isinstance(value, str) or not value:
            self.add((*path, key), f"expected a non-empty string, got {value!r}")
            return None
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, path: Path, *, low: int, high: int
    ) -> int | None:
        """An int field from ``low`` to ``high``; ``None`` when absent or null."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add((*path, key), f"must be a whole number from {low} to {high}, got {value!r}")
            return None
        return value

    def amount(self, data: Mapping[str, Any], key: str, path: Path) -> Decimal | None:
        """A non-negative exact number; ``None`` when absent or null."""
        value = data.get(key)
        if value is None:
            return None
        try:
            number = to_decimal(value, field=key)
        except ValidationError as exc:
            self.absorb(path, exc)
            return None
        if number < 0:
            self.add((*path, key), f"must not be negative, got {number}")
            return None
        return number

    def labels(self, data: Mapping[str, Any], key: str, path: Path) -> dict[str, str]:
        """A JSON object of strings (``metadata``); empty when absent or null."""
        value = data.get(key)
        if value is None:
            return {}
        found = self.mapping(value, (*path, key))
        if found is None:
            return {}
        bad = [k for k, v in found.items() if not isinstance(k, str) or not isinstance(v, str)]
        for name in bad:
            self.add((*path, key, str(name)), "keys and values must be strings")
        return {} if bad else dict(found)

    def strings(self, data: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...] | None:
        """A JSON array of non-empty strings; ``None`` when absent or null."""
        value = data.get(key)
        if value is None:
            return None
        items = self.array(value, (*path, key))
        if items is None:
            return None
        bad = [i for i, item in enumerate(items) if not isinstance(item, str) or not item]
        for index in bad:
            self.add((*path, key, index), "expected a non-empty string")
        return None if bad else tuple(items)
