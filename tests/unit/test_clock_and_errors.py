"""Clocks and the exception tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import orbcore
from orbcore import (
    Clock,
    CurrencyMismatchError,
    FloatNotAllowedError,
    NotFoundError,
    OrbcoreError,
    Problem,
    SystemClock,
    ValidationError,
    VirtualClock,
)


def test_the_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert isinstance(SystemClock(), Clock)


def test_a_virtual_clock_stands_still_until_moved() -> None:
    clock = VirtualClock(datetime(2024, 1, 31, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2024, 1, 31, tzinfo=UTC)
    assert clock.advance(timedelta(days=1)) == datetime(2024, 2, 1, tzinfo=UTC)
    assert clock.move_to(datetime(2024, 3, 1, tzinfo=UTC)) == clock.now()
    assert isinstance(clock, Clock)


def test_a_virtual_clock_never_goes_back() -> None:
    clock = VirtualClock(datetime(2024, 1, 31, tzinfo=UTC))
    with pytest.raises(ValidationError, match="clocks do not go back"):
        clock.move_to(datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="non-negative"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValidationError, match="no time zone"):
        VirtualClock(datetime(2024, 1, 1))
    assert clock.now() == datetime(2024, 1, 31, tzinfo=UTC)


def test_validation_errors_list_every_problem_with_its_path() -> None:
    error = ValidationError(
        [Problem(("tiers", 0, "unit_amount"), "must not be negative"), Problem((), "bad")]
    )
    assert str(error) == "tiers.0.unit_amount: must not be negative; bad"
    assert len(error.problems) == 2
    with pytest.raises(ValueError, match="at least one problem"):
        ValidationError([])


def test_every_orbcore_error_shares_one_root_and_the_builtin_it_resembles() -> None:
    assert issubclass(ValidationError, OrbcoreError)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(FloatNotAllowedError, TypeError)
    assert issubclass(CurrencyMismatchError, ValueError)
    assert issubclass(NotFoundError, LookupError)
    exported = [getattr(orbcore, name) for name in orbcore.__all__]
    errors = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, Exception)]
    assert all(issubclass(error, OrbcoreError) for error in errors)
    assert len(errors) == 9
