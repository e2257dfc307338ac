"""What goes in comes out: exact decimals, aware instants, dates, dicts and lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from orbcore.storage import COLLECTIONS, Store

from .factories import FACTORIES, customer, event, invoice, outbox_message
from .helpers import fetch, is_datetime, key_of, list_all, save, type_names

NAMES = list(COLLECTIONS)
KOLKATA = timezone(timedelta(hours=5, minutes=30))
LOS_ANGELES_WINTER = timezone(timedelta(hours=-8))


def decimal_fields(name: str) -> list[str]:
    return [field for field in COLLECTIONS[name].fields if "Decimal" in type_names(name, field)]


def datetime_fields(name: str) -> list[str]:
    return [field for field in COLLECTIONS[name].fields if is_datetime(name, field)]


@pytest.mark.parametrize("name", [name for name in NAMES if decimal_fields(name)])
def test_decimals_keep_every_digit(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    stored = fetch(store, name, key_of(name, record))
    for field in decimal_fields(name):
        value = getattr(record, field)
        assert isinstance(value, Decimal), f"the {name} factory leaves {field} empty"
        assert type(getattr(stored, field)) is Decimal, field
        assert getattr(stored, field) == value, field


def test_invoice_line_decimals_keep_every_digit(store: Store) -> None:
    record = invoice()
    save(store, "invoices", record)
    stored = fetch(store, "invoices", record.id)
    for line, original in zip(stored.lines, record.lines, strict=True):
        assert type(line.amount) is Decimal
        assert (line.amount, line.quantity) == (original.amount, original.quantity)


@pytest.mark.parametrize("name", NAMES)
def test_datetimes_keep_their_instant_and_stay_aware(store: Store, name: str) -> None:
    fields = datetime_fields(name)
    assert fields
    zones = (KOLKATA, LOS_ANGELES_WINTER)
    instants = {
        field: datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=zones[i % 2]) + timedelta(days=i)
        for i, field in enumerate(fields)
    }
    record = FACTORIES[name](**instants)
    save(store, name, record)
    stored = fetch(store, name, key_of(name, record))
    for field, instant in instants.items():
        value = getattr(stored, field)
        assert value == instant, field
        assert value.utcoffset() is not None, field
    assert stored == record
    assert list_all(store, name) == [record]


def test_a_date_stays_a_date(store: Store) -> None:
    record = invoice(due_date=date(2024, 2, 29))
    save(store, "invoices", record)
    stored = fetch(store, "invoices", record.id)
    assert type(stored.due_date) is date
    assert stored.due_date == date(2024, 2, 29)


def test_event_properties_keep_decimals_strings_and_booleans(store: Store) -> None:
    properties: dict[str, Any] = {
        "bytes": Decimal("12.500"),
        "region": "us-east-1",
        "ok": True,
        "retried": False,
        "cost": Decimal("-123456789.123456789012"),
        "tiny": Decimal("0.000000000001"),
        "count_text": "1",
    }
    record = event(properties=properties)
    save(store, "events", record)
    stored = fetch(store, "events", record.idempotency_key).properties
    assert stored.keys() == properties.keys()
    for name in ("bytes", "cost", "tiny"):
        assert type(stored[name]) is Decimal
        assert stored[name] == properties[name]
    assert stored["bytes"] == Decimal("12.5")
    assert stored["ok"] is True
    assert stored["retried"] is False
    assert stored["region"] == "us-east-1"
    assert stored["count_text"] == "1"


def test_json_fields_keep_their_shape_and_types(store: Store) -> None:
    address = {"line1": "1 Main St", "line2": None, "lines": ["a", "b"], "geo": {"zone": 7}}
    tax_ids = [{"type": "eu_vat", "value": "DE1"}, {"type": "gb_vat", "value": "GB2"}]
    record = customer(billing_address=address, tax_ids=tax_ids, metadata={"k": "v", "é": "ü"})
    payload = {"attempt": 3, "final": False, "nested": {"ids": [1, 2, 3]}, "note": None}
    message = outbox_message(payload=payload)
    save(store, "customers", record)
    save(store, "outbox", message)
    stored = fetch(store, "customers", record.id)
    assert stored.billing_address == address
    assert type(stored.tax_ids) is list
    assert stored.tax_ids == tax_ids
    assert stored.metadata == {"k": "v", "é": "ü"}
    stored_payload = fetch(store, "outbox", message.id).payload
    assert stored_payload == payload
    assert type(stored_payload["attempt"]) is int
    assert stored_payload["final"] is False


def test_changing_a_dict_after_adding_does_not_change_the_store(store: Store) -> None:
    metadata = {"segment": "enterprise"}
    record = customer(metadata=metadata)
    save(store, "customers", record)
    metadata["segment"] = "changed by the caller"
    assert fetch(store, "customers", record.id).metadata == {"segment": "enterprise"}


def test_changing_a_dict_that_was_read_does_not_change_the_store(store: Store) -> None:
    record = customer(tax_ids=[{"type": "eu_vat", "value": "DE1"}])
    save(store, "customers", record)
    with store.unit_of_work() as uow:
        read = uow.customers.get(record.id)
        read.tax_ids.append({"type": "gb_vat", "value": "GB2"})
        read.metadata["segment"] = "changed by the caller"
        listed = uow.customers.list().items[0]
        listed.metadata.clear()
        uow.commit()
    assert fetch(store, "customers", record.id) == record
