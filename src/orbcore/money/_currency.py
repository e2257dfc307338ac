"""Currencies: ISO 4217 codes with their minor units, and custom pricing units."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from orbcore._checks import require_int
from orbcore._errors import UnknownCurrencyError, ValidationError
from orbcore.money._iso4217 import ISO_4217_MINOR_UNITS

__all__ = [
    "Currency",
    "CurrencyRegistry",
    "default_registry",
    "get_currency",
    "register_currency",
]

_CUSTOM_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
_MAX_MINOR_UNITS = 18


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency or custom pricing unit and the number of decimals it is rounded to.

    Attributes:
        code: the ISO 4217 code (``"USD"``) or the custom unit's name (``"credits"``).
        minor_units: decimal places of the smallest unit: 2 for USD, 0 for JPY, 3 for KWD.
        is_iso: whether ``code`` is an ISO 4217 currency.
    """

    code: str
    minor_units: int
    is_iso: bool = True

    @property
    def quantum(self) -> Decimal:
        """The smallest unit as a ``Decimal``: ``0.01`` for USD, ``1`` for JPY."""
        return Decimal((0, (1,), -self.minor_units))

    def __str__(self) -> str:
        return self.code


class CurrencyRegistry:
    """A set of known currencies: all ISO 4217 codes plus registered custom units.

    Registration is thread-safe and idempotent: registering the same unit with the same
    precision again is a no-op, with a different precision an error. ISO codes cannot be
    redefined.

    >>> registry = CurrencyRegistry()
    >>> registry.get("KWD").minor_units
    3
    >>> registry.register("credits", minor_units=4).quantum
    Decimal('0.0001')
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._currencies: dict[str, Currency] = {
            code: Currency(code, units) for code, units in ISO_4217_MINOR_UNITS.items()
        }

    def get(self, code: str) -> Currency:
        """Return the currency for ``code``.

        Raises:
            UnknownCurrencyError: ``code`` is neither ISO 4217 nor registered.
        """
        found = self._currencies.get(code) if isinstance(code, str) else None
        if found is not None:
            return found
        hint = ""
        if isinstance(code, str) and code.upper() in self._currencies:
            hint = f"; did you mean {code.upper()!r}?"
        raise UnknownCurrencyError.at(
            ("currency",),
            f"unknown currency {code!r}{hint} (register custom units with register_currency)",
        )

    def register(self, code: str, minor_units: int) -> Currency:
        """Register a custom pricing unit such as ``"credits"`` with its precision.

        Args:
            code: 1 to 32 characters: letters, digits, ``_``, ``.`` or ``-``, starting
                with a letter.
            minor_units: decimal places the unit is rounded to, 0 to 18.

        Returns:
            The registered unit.

        Raises:
            ValidationError: a malformed code or precision, an ISO code, or a unit
                already registered with another precision.
        """
        if not isinstance(code, str) or not _CUSTOM_CODE.fullmatch(code):
            raise ValidationError.at(
                ("code",), f"{code!r} is not a valid unit name (letter first, at most 32)"
            )
        require_int(minor_units, 0, _MAX_MINOR_UNITS, "minor_units")
        if code.upper() in ISO_4217_MINOR_UNITS:
            raise ValidationError.at(("code",), f"{code} is the ISO 4217 currency {code.upper()}")
        unit = Currency(code, minor_units, is_iso=False)
        with self._lock:
            existing = self._currencies.setdefault(code, unit)
        if existing != unit:
            raise ValidationError.at(
                ("minor_units",),
                f"{code} is already registered with {existing.minor_units} minor units",
            )
        return existing

    def __contains__(self, code: object) -> bool:
        return code in self._currencies

    def __iter__(self) -> Iterator[Currency]:
        return iter(list(self._currencies.values()))

    def __len__(self) -> int:
        return len(self._currencies)

    def as_mapping(self) -> MappingProxyType[str, Currency]:
        """A read-only view of the codes and currencies known now."""
        return MappingProxyType(dict(self._currencies))


default_registry = CurrencyRegistry()
"""The process-wide registry that currency codes given as strings are looked up in."""


def get_currency(code: str | Currency) -> Currency:
    """Look ``code`` up in the default registry (a ``Currency`` is returned as is)."""
    if isinstance(code, Currency):
        return code
    return default_registry.get(code)


def register_currency(code: str, minor_units: int) -> Currency:
    """Register a custom pricing unit in the default registry.

    >>> register_currency("credits", 4)
    Currency(code='credits', minor_units=4, is_iso=False)
    """
    return default_registry.register(code, minor_units)
