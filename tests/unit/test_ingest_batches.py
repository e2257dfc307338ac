"""A batch read with every event valid takes a shorter way to the same report."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from orbcore.events import Event, validate_event
from orbcore.services import EventResult, EventStatus
from orbcore.services._ingest import _accepted, _Checked

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _event(key: str, units: int) -> Event:
    valid, problems = validate_event(
        {
            "idempotency_key": key,
            "event_name": "api_call",
            "timestamp": "2024-04-30T12:00:00Z",
            "customer_id": "cus_1",
            "properties": {"units": units},
        }
    )
    assert valid is not None, problems
    return valid.record(NOW)


def test_an_accepted_result_is_the_one_the_class_makes() -> None:
    made, expected = _accepted(7, "evt_7"), EventResult(7, "evt_7", EventStatus.ACCEPTED)
    assert made == expected
    assert repr(made) == repr(expected)
    assert hash(made) == hash(expected)
    assert pickle.loads(pickle.dumps(made)) == expected
    assert made.problems == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = EventStatus.REJECTED  # type: ignore[misc]


@pytest.mark.parametrize(
    ("batch", "conflicts"),
    [
        ([("a", 1), ("b", 2), ("c", 3)], set()),
        ([("a", 1), ("a", 1), ("b", 2)], set()),  # the same event twice
        ([("a", 1), ("b", 2), ("a", 5), ("a", 1), ("b", 9)], {2, 4}),
        ([], set()),
    ],
)
def test_a_valid_batch_is_checked_as_the_general_way_checks_it(
    batch: list[tuple[str, int]], conflicts: set[int]
) -> None:
    events = [_event(key, units) for key, units in batch]
    keys = [event.idempotency_key for event in events]
    general = _Checked.of(list(keys), [(event, ()) for event in events], NOW)
    assert general.conflicts == conflicts
    assert _Checked.of_valid(keys, events, NOW) == general
