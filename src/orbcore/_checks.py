"""Small argument checks shared by the kernel, each raising ``ValidationError``."""

from __future__ import annotations

from orbcore._errors import ValidationError

__all__ = ["require_int"]


def require_int(value: object, low: int, high: int, field: str) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError.at((field,), f"must be an int from {low} to {high}, got {value!r}")
    return value
