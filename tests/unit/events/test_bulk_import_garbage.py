"""Bulk import never raises on what a file holds, and reports each bad line by number."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orbcore import VirtualClock
from orbcore.billing import Customer
from orbcore.services import Ingestion, import_events
from orbcore.storage import open_store

NOW = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)
CSV_HEADER = "idempotency_key,event_name,timestamp,customer_id,external_customer_id,properties\n"


def ingestion() -> Ingestion:
    store = open_store("memory://")
    with store.unit_of_work() as uow:
        uow.customers.add(Customer(id="cus_1", name="Acme", created_at=NOW))
        uow.commit()
    return Ingestion(store, VirtualClock(NOW))


def good_line(key: str) -> str:
    return json.dumps(
        {
            "idempotency_key": key,
            "event_name": "api_call",
            "customer_id": "cus_1",
            "timestamp": "2024-02-01T12:00:00Z",
            "properties": {"bytes": 1},
        }
    )


characters = st.characters(exclude_characters="\n") | st.sampled_from('\ud800\udfff\x00\r{}[]",:')
scalars = st.none() | st.booleans() | st.integers() | st.text(characters, max_size=5)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
broken_events: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "idempotency_key": st.text(characters, max_size=8) | scalars,
        "event_name": st.text(characters, max_size=8) | scalars,
        "timestamp": st.sampled_from(
            ["2024-02-01T12:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
        )
        | scalars,
        "properties": json_values,
    },
    optional={"customer_id": scalars, "external_customer_id": scalars, "extra": json_values},
)
garbage = (
    st.text(characters, min_size=1, max_size=40)
    | json_values.map(json.dumps)
    | broken_events.map(lambda event: json.dumps(event, ensure_ascii=False))
    | st.builds(lambda a, b: a + b, st.just(good_line("x")), st.text(characters).filter(str.strip))
).filter(lambda text: bool(text.strip()))


@given(st.lists(st.tuples(st.booleans(), garbage), max_size=30), st.integers(1, 7))
def test_garbage_lines_never_raise_and_each_is_reported_by_number(
    rows: list[tuple[bool, str]], batch_size: int
) -> None:
    texts = [good_line("first")]
    bad_lines = set()
    for number, (good, text) in enumerate(rows, start=2):
        if good:
            texts.append(good_line(f"good-{number}"))
        else:
            texts.append(text)
            bad_lines.add(number)
    report = import_events(
        ingestion(), io.StringIO("\n".join(texts)), format="jsonl", batch_size=batch_size
    )
    assert {error.line for error in report.errors} == bad_lines
    assert report.rejected == len(report.errors) == len(bad_lines)
    assert report.accepted == len(texts) - len(bad_lines)
    assert report.lines_read == len(texts)
    for error in report.errors:
        assert error.problems
        str(error).encode("utf-8")  # printable, whatever the line held


@given(st.lists(garbage | st.sampled_from(['"', '""', ",,,,,", "a,b,c,d,e,f"]), max_size=30))
def test_garbage_csv_rows_never_raise_and_are_all_counted(rows: list[str]) -> None:
    source = io.StringIO(CSV_HEADER + "\n".join(rows))
    report = import_events(ingestion(), source, format="csv", batch_size=3)
    assert report.rejected == len(report.errors)
    assert report.accepted + report.duplicates + report.rejected <= len(rows)
    lines = [error.line for error in report.errors]
    assert lines == sorted(set(lines))
    assert all(2 <= line <= 1 + max(len(rows), 1) for line in lines)
