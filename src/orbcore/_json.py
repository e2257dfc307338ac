"""JSON that keeps numbers exact: ``Decimal`` in, ``Decimal`` out, never ``float``."""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from orbcore._errors import FloatNotAllowedError, ValidationError

__all__ = ["dumps_exact", "loads_exact"]

_LITERALS = {None: "null", True: "true", False: "false"}


def dumps_exact(value: Any) -> str:
    """Serialise ``value`` with every ``Decimal`` written digit for digit as a JSON number.

    Raises:
        FloatNotAllowedError: a ``float`` anywhere in ``value``.
        ValidationError: a value JSON cannot hold (non-finite numbers, other types).
    """
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def loads_exact(text: str | bytes) -> Any:
    """Parse JSON with fractional numbers as ``Decimal`` and whole ones as ``int``."""
    return json.loads(text, parse_float=Decimal)


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise ValidationError.at((), f"JSON object keys must be strings, got {key!r}")
            parts.append(("," if index else "") + encode_basestring(key) + ":")
            if type(item) is str:  # most leaves: no call
                parts.append(encode_basestring(item))
            else:
                _encode(item, parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts)
        parts.append("]")
    else:
        parts.append(_scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None or isinstance(value, bool):
        return _LITERALS[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError.at((), f"{value} cannot be stored as JSON")
        text = format(value, "f")
        # An exponent marks a whole Decimal as a Decimal (not an int) when read back.
        return text if "." in text else text + "E0"
    if isinstance(value, float):
        raise FloatNotAllowedError.at((), f"refusing to store the float {value!r}")
    raise ValidationError.at((), f"cannot store a {type(value).__name__} as JSON")
