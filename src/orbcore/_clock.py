"""Clocks: where services read the time, so tests and simulations can control it.

Pure code never reads a clock; it takes instants as arguments. Services take a
:class:`Clock`. Use :class:`SystemClock` in production and :class:`VirtualClock` in tests
and in "what happens over the next six months" simulations.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from orbcore._errors import ValidationError
from orbcore.calendar._zone import ensure_aware

__all__ = ["Clock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns an aware UTC ``datetime``."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that stands still until it is moved, and never moves backwards.

    Args:
        start: the initial instant (aware).

    >>> clock = VirtualClock(datetime(2024, 1, 31, tzinfo=UTC))
    >>> clock.advance(timedelta(days=1)).isoformat()
    '2024-02-01T00:00:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new instant.

        Raises:
            ValidationError: ``delta`` is negative.
        """
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise ValidationError.at(("delta",), f"must be a non-negative timedelta, got {delta!r}")
        with self._lock:
            self._now += delta
            return self._now

    def move_to(self, instant: datetime) -> datetime:
        """Move forward to ``instant`` and return it.

        Raises:
            ValidationError: ``instant`` is naive or earlier than now.
        """
        target = ensure_aware(instant)
        with self._lock:
            if target < self._now:
                raise ValidationError.at(
                    ("instant",),
                    f"{target.isoformat()} is before {self._now.isoformat()}; "
                    "clocks do not go back",
                )
            self._now = target
            return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self._now.isoformat()!r})"
