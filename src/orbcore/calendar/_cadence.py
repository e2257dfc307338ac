"""``Cadence``: how often a price recurs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orbcore._checks import require_int
from orbcore._errors import ValidationError

__all__ = ["Cadence", "CadenceUnit"]

_MAX_COUNT = {"day": 36_600, "month": 1_200, "one_time": 1}
_NAMED_MONTHS = {1: "monthly", 3: "quarterly", 6: "semi_annual", 12: "annual"}
_MONTHS_BY_NAME = {name: months for months, name in _NAMED_MONTHS.items()}


class CadenceUnit(StrEnum):
    """The unit a cadence counts in."""

    DAY = "day"
    MONTH = "month"
    ONE_TIME = "one_time"


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often a price is billed: every ``count`` days or months, or once.

    Use the named constructors: :meth:`monthly`, :meth:`quarterly`, :meth:`semi_annual`,
    :meth:`annual`, :meth:`every_months`, :meth:`every_days`, :meth:`one_time`, or
    :meth:`from_orb` for Orb's ``cadence`` strings.

    >>> Cadence.quarterly()
    Cadence(unit=<CadenceUnit.MONTH: 'month'>, count=3)
    >>> Cadence.from_orb("custom", {"duration": 14, "duration_unit": "day"}).name
    'every 14 days'
    """

    unit: CadenceUnit
    count: int = 1

    def __post_init__(self) -> None:
        unit = CadenceUnit(self.unit)
        object.__setattr__(self, "unit", unit)
        limit = _MAX_COUNT[unit.value]
        require_int(self.count, 1, limit, "count")

    @classmethod
    def monthly(cls) -> Cadence:
        """Every month."""
        return cls(CadenceUnit.MONTH, 1)

    @classmethod
    def quarterly(cls) -> Cadence:
        """Every three months."""
        return cls(CadenceUnit.MONTH, 3)

    @classmethod
    def semi_annual(cls) -> Cadence:
        """Every six months."""
        return cls(CadenceUnit.MONTH, 6)

    @classmethod
    def annual(cls) -> Cadence:
        """Every twelve months."""
        return cls(CadenceUnit.MONTH, 12)

    @classmethod
    def every_months(cls, count: int) -> Cadence:
        """Every ``count`` months (24 for a two-year term)."""
        return cls(CadenceUnit.MONTH, count)

    @classmethod
    def every_days(cls, count: int) -> Cadence:
        """Every ``count`` days."""
        return cls(CadenceUnit.DAY, count)

    @classmethod
    def one_time(cls) -> Cadence:
        """Once, on the first invoice; not a recurring schedule."""
        return cls(CadenceUnit.ONE_TIME, 1)

    @property
    def is_recurring(self) -> bool:
        """False only for :meth:`one_time`."""
        return self.unit is not CadenceUnit.ONE_TIME

    @property
    def name(self) -> str:
        """Orb's name for it (``"monthly"``), or a description of a custom cadence."""
        if self.unit is CadenceUnit.ONE_TIME:
            return "one_time"
        if self.unit is CadenceUnit.MONTH and self.count in _NAMED_MONTHS:
            return _NAMED_MONTHS[self.count]
        plural = "" if self.count == 1 else "s"
        return f"every {self.count} {self.unit.value}{plural}"

    @classmethod
    def from_orb(
        cls, cadence: str, billing_cycle_configuration: Mapping[str, Any] | None = None
    ) -> Cadence:
        """Read Orb's ``cadence`` and, for ``"custom"``, its ``billing_cycle_configuration``.

        Raises:
            ValidationError: an unknown cadence or a malformed configuration.
        """
        if cadence == "one_time":
            return cls.one_time()
        if cadence in _MONTHS_BY_NAME:
            return cls(CadenceUnit.MONTH, _MONTHS_BY_NAME[cadence])
        if cadence != "custom":
            known = ", ".join(sorted([*_MONTHS_BY_NAME, "one_time", "custom"]))
            raise ValidationError.at(("cadence",), f"unknown cadence {cadence!r} ({known})")
        config = billing_cycle_configuration
        if not isinstance(config, Mapping):
            raise ValidationError.at(
                ("billing_cycle_configuration",), "required for a custom cadence"
            )
        unit, duration = config.get("duration_unit"), config.get("duration")
        if unit not in ("day", "month"):
            raise ValidationError.at(
                ("billing_cycle_configuration", "duration_unit"), "must be 'day' or 'month'"
            )
        try:
            return cls(CadenceUnit(unit), duration)  # type: ignore[arg-type]  # checked on init
        except ValidationError as exc:
            raise ValidationError.at(
                ("billing_cycle_configuration", "duration"), exc.problems[0].message
            ) from exc

    def to_orb(self) -> dict[str, Any]:
        """The inverse of :meth:`from_orb`."""
        if self.unit is CadenceUnit.ONE_TIME:
            return {"cadence": "one_time"}
        if self.unit is CadenceUnit.MONTH and self.count in _NAMED_MONTHS:
            return {"cadence": _NAMED_MONTHS[self.count]}
        return {
            "cadence": "custom",
            "billing_cycle_configuration": {
                "duration": self.count,
                "duration_unit": self.unit.value,
            },
        }
