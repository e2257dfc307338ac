"""Stored events made by ``new_event`` are the events the dataclass's constructor makes."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orbcore.events import Event
from orbcore.events._records import new_event

AT = datetime(2024, 3, 10, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("customer", "external", "properties"),
    [
        ("cus_1", None, {"bytes": Decimal("12.50"), "region": "eu", "cached": False}),
        (None, "acme", {}),
    ],
)
def test_new_event_is_the_constructors_event(
    customer: str | None, external: str | None, properties: dict[str, str | Decimal | bool]
) -> None:
    made = new_event("evt_1", "api_call", AT, AT, "ab" * 32, customer, external, properties)
    built = Event(
        idempotency_key="evt_1",
        event_name="api_call",
        timestamp=AT,
        ingested_at=AT,
        body_hash="ab" * 32,
        customer_id=customer,
        external_customer_id=external,
        properties=properties,
    )
    assert type(made) is Event
    assert made == built
    assert repr(made) == repr(built)
    assert pickle.loads(pickle.dumps(made)) == built
    assert copy.deepcopy(made) == built
    assert dataclasses.replace(made, status="deprecated") == dataclasses.replace(
        built, status="deprecated"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = "deprecated"  # type: ignore[misc]
