"""Bulk import on the memory store: both formats, bad lines by number, batches, conflicts."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orbcore import ValidationError, VirtualClock
from orbcore.billing import Customer
from orbcore.events import EventLimits
from orbcore.services import (
    Backfills,
    ImportProgress,
    ImportReport,
    Ingestion,
    IngestReport,
    LineError,
    import_events,
)
from orbcore.storage import Query, Store, open_store

NOW = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)


def text(block: str) -> io.StringIO:
    return io.StringIO(textwrap.dedent(block).lstrip("\n"))


def line(key: str, *, customer: str = "cus_1", body: str = '"bytes": 10.50') -> str:
    return (
        f'{{"idempotency_key": "{key}", "event_name": "api_call", "customer_id": "{customer}",'
        f' "timestamp": "2024-02-01T12:00:00Z", "properties": {{{body}}}}}\n'
    )


def lines(*rows: str) -> io.StringIO:
    return io.StringIO("".join(rows))


def new_store() -> Store:
    store = open_store("memory://")
    with store.unit_of_work() as uow:
        uow.customers.add(
            Customer(id="cus_1", name="Acme", created_at=NOW, external_customer_id="acme")
        )
        uow.commit()
    return store


@dataclass(frozen=True)
class Recording(Ingestion):
    """Ingestion that remembers the size and backfill flag of each batch it was sent."""

    batches: list[tuple[int, bool]] = field(default_factory=list)

    def ingest(
        self, batch: Iterable[object], *, backfill: bool = False, backfill_id: str | None = None
    ) -> IngestReport:
        items = list(batch)
        self.batches.append((len(items), backfill))
        return super().ingest(items, backfill=backfill, backfill_id=backfill_id)


@pytest.fixture
def store() -> Store:
    return new_store()


@pytest.fixture
def ingestion(store: Store) -> Recording:
    return Recording(store, VirtualClock(NOW))


def stored(store: Store) -> dict[str, dict[str, object]]:
    with store.unit_of_work() as uow:
        return {e.idempotency_key: e.properties for e in uow.events.list(Query(limit=1000)).items}


def errors(report: ImportReport) -> list[tuple[int, str | None, list[str]]]:
    return [(e.line, e.idempotency_key, [str(p) for p in e.problems]) for e in report.errors]


# Formats -----------------------------------------------------------------------------


def test_json_lines_are_stored_with_exact_numbers_and_blank_lines_skipped(
    store: Store, ingestion: Recording
) -> None:
    source = text("""
        {"idempotency_key": "e1", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"bytes": 10.50, "n": 3, "region": "10", "cached": false}}

        {"idempotency_key": "e2", "event_name": "api_call", "external_customer_id": "acme", "timestamp": "2024-02-01T04:00:00-08:00"}
    """)  # noqa: E501
    report = import_events(ingestion, source, format="jsonl")
    assert report == ImportReport(lines_read=3, accepted=2, duplicates=0, rejected=0)
    events = stored(store)
    assert events["e1"] == {
        "bytes": Decimal("10.50"),
        "n": Decimal(3),
        "region": "10",
        "cached": False,
    }
    assert str(events["e1"]["bytes"]) == "10.50"
    assert events["e2"] == {}


def test_csv_rows_take_properties_as_a_json_object_and_empty_cells_as_absent(
    store: Store, ingestion: Recording
) -> None:
    source = text("""
        idempotency_key,event_name,timestamp,customer_id,external_customer_id,properties
        e1,api_call,2024-02-01T12:00:00Z,cus_1,,"{""bytes"": 10.50, ""zip"": ""02139"", ""cached"": true}"
        e2,api_call,2024-02-01T12:00:00Z,,acme,
    """)  # noqa: E501
    report = import_events(ingestion, source, format="csv")
    assert report == ImportReport(lines_read=3, accepted=2, duplicates=0, rejected=0)
    assert stored(store) == {
        "e1": {"bytes": Decimal("10.50"), "zip": "02139", "cached": True},
        "e2": {},
    }


def test_a_csv_header_may_leave_out_columns_and_order_them_freely(
    store: Store, ingestion: Recording
) -> None:
    source = text("""
        external_customer_id,timestamp,event_name,idempotency_key
        acme,2024-02-01T12:00:00Z,api_call,e1
    """)
    assert import_events(ingestion, source, format="csv").accepted == 1
    assert stored(store) == {"e1": {}}


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (
            "idempotency_key,event_name,timestamp,customer_id,amount",
            "header.amount: is not a column",
        ),
        ("idempotency_key,event_name,timestamp", "lacks the column customer_id or external"),
        ("idempotency_key,event_name,customer_id", "lacks the column timestamp"),
        ("idempotency_key,event_name,timestamp,customer_id,customer_id", "appears twice"),
        ('idempotency_key,"event_name', "header: is not a valid CSV row"),
    ],
)
def test_a_csv_header_that_does_not_name_the_columns_stops_before_anything_is_stored(
    store: Store, ingestion: Recording, header: str, fragment: str
) -> None:
    source = io.StringIO(header + "\n" + "e1,api_call,2024-02-01T12:00:00Z,cus_1\n")
    with pytest.raises(ValidationError, match=fragment):
        import_events(ingestion, source, format="csv")
    assert stored(store) == {}


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_an_empty_file_imports_nothing(ingestion: Recording, kind: str) -> None:
    report = import_events(ingestion, io.StringIO("\n\n"), format=kind)  # type: ignore[arg-type]
    assert report == ImportReport(lines_read=2, accepted=0, duplicates=0, rejected=0)
    assert ingestion.batches == []


def test_a_byte_order_mark_and_crlf_line_ends_are_read_as_text(
    store: Store, ingestion: Recording, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"\xef\xbb\xbfidempotency_key,event_name,timestamp,customer_id\r\n"
        b"e1,api_call,2024-02-01T12:00:00Z,cus_1\r\n"
    )
    json_path = tmp_path / "events.jsonl"
    json_path.write_bytes(b"\xef\xbb\xbf" + line("e2").encode().replace(b"\n", b"\r\n"))
    assert import_events(ingestion, path).accepted == 1
    assert import_events(ingestion, json_path).accepted == 1
    assert set(stored(store)) == {"e1", "e2"}


# Sources -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events.jsonl", "events.ndjson", "EVENTS.JSONL"])
def test_a_path_names_its_format_by_suffix(ingestion: Recording, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(line("e1") + line("e2"), encoding="utf-8")
    assert import_events(ingestion, path).accepted == 2
    assert import_events(ingestion, str(path)).duplicates == 2


def test_an_open_file_names_its_format_and_is_read_from_where_it_stands(
    ingestion: Recording, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "idempotency_key,event_name,timestamp,customer_id\ne1,api_call,2024-02-01T12:00:00Z,cus_1\n",
        encoding="utf-8",
    )
    with path.open(encoding="utf-8", newline="") as stream:
        assert import_events(ingestion, stream).accepted == 1


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (io.StringIO(""), "nameless source"),
        (Path("events.json"), "'.json'"),
        (Path("events"), "nameless source"),
    ],
)
def test_a_format_that_cannot_be_told_must_be_given(
    ingestion: Recording, source: io.StringIO | Path, fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        import_events(ingestion, source)


def test_bad_arguments_are_refused(ingestion: Recording) -> None:
    with pytest.raises(ValidationError, match="batch_size: must be at least 1"):
        import_events(ingestion, io.StringIO(""), format="jsonl", batch_size=0)
    with pytest.raises(ValidationError, match="format: is 'jsonl' or 'csv'"):
        import_events(ingestion, io.StringIO(""), format="json")  # type: ignore[arg-type]


# Bad lines -------------------------------------------------------------------------------


def test_bad_json_lines_are_reported_by_number_and_the_import_goes_on(
    store: Store, ingestion: Recording
) -> None:
    source = lines(
        line("e1"),
        '{"idempotency_key": "e2", "event_name"\n',
        "[1, 2]\n",
        '{"idempotency_key": "e4", "event_name": "api_call", "timestamp": "2024-02-01T12:00:00",'
        ' "properties": {"tags": ["a"], "ratio": NaN}}\n',
        '{"idempotency_key": "e5", "idempotency_key": "e6"}\n',
        "[" * 100_000 + "\n",
        line("e7", customer="cus_9"),
        '{"n": 1' + "0" * 5000 + "}\n",
        line("e9"),
    )
    report = import_events(ingestion, source, format="jsonl")
    assert (report.accepted, report.rejected, report.lines_read) == (2, 7, 9)
    big_number = report.errors[-1].problems[0].message
    assert errors(report) == [
        (2, None, ["is not valid JSON: Expecting ':' delimiter at column 39"]),
        (3, None, ["an event is a JSON object, not list"]),
        (
            4,
            "e4",
            [
                "customer_id: give exactly one of customer_id and external_customer_id",
                "timestamp: needs a time zone offset such as Z or +02:00",
                "properties.tags: nested values are not allowed",
                "properties.ratio: NaN is not a finite number",
            ],
        ),
        (5, None, ["is not valid JSON: the name 'idempotency_key' appears twice in an object"]),
        (6, None, ["is not valid JSON: it is nested too deeply"]),
        (7, "e7", ["customer_id: no customer 'cus_9'"]),
        (8, None, [big_number]),
    ]
    assert big_number.startswith("is not valid JSON: Exceeds the limit (4300 digits)")
    assert set(stored(store)) == {"e1", "e9"}


def test_bad_csv_rows_are_reported_by_their_first_line(store: Store, ingestion: Recording) -> None:
    source = text("""
        idempotency_key,event_name,timestamp,customer_id,properties
        e1,api_call,2024-02-01T12:00:00Z,cus_1,"{""note"": ""two"",
        ""n"": 2}"
        e2,api_call,2024-02-01T12:00:00Z,cus_1
        e3,api_call,2024-02-01T12:00:00Z,cus_1,"{""bytes"": 1}"x
        e4,api_call,2024-02-01T12:00:00,cus_1,{bytes: 1}
        ,,,,

        e5,api_call,2024-02-01T12:00:00Z,cus_1,"[1]"
        e6,api_call,2024-02-01T12:00:00Z,cus_1,"{""a"": 1
    """)
    report = import_events(ingestion, source, format="csv")
    assert (report.accepted, report.rejected, report.lines_read) == (1, 5, 10)
    assert errors(report) == [
        (4, None, ["has 4 fields; the header has 5"]),
        (5, None, ["is not a valid CSV row: ',' expected after '\"'"]),
        (
            6,
            "e4",
            [
                (
                    "properties: is not valid JSON: Expecting property name enclosed in double"
                    " quotes at column 2"
                ),
                "timestamp: needs a time zone offset such as Z or +02:00",
            ],
        ),
        (9, "e5", ["properties: must be an object of names to values"]),
        (10, None, ["is not a valid CSV row: unexpected end of data"]),
    ]
    assert stored(store) == {"e1": {"note": "two", "n": Decimal(2)}}


def test_text_that_is_not_utf8_or_a_time_out_of_range_is_reported_not_raised(
    store: Store, ingestion: Recording, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(
        line("e1").encode()
        + line("e\xff2").encode("latin-1")
        + b'{"idempotency_key": "e3\\ud800", "event_name": "api_call", "customer_id": "cus_1",'
        b' "timestamp": "9999-12-31T23:00:00-05:00", "properties": {"\\udfff": "x"}}\n'
        + line("e4").encode()
    )
    report = import_events(ingestion, path)
    not_unicode = "is not valid Unicode text (it holds a lone surrogate)"
    assert errors(report) == [
        (2, "e\\udcff2", [f"idempotency_key: {not_unicode}"]),
        (
            3,
            "e3\\ud800",
            [
                f"idempotency_key: {not_unicode}",
                "timestamp: is outside the years 1 to 9999 in UTC",
                f"properties.\\udfff: {not_unicode}",
            ],
        ),
    ]
    assert set(stored(store)) == {"e1", "e4"}


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_line_too_long_is_skipped_unread_and_numbering_goes_on(store: Store, kind: str) -> None:
    small = Ingestion(store, VirtualClock(NOW), limits=EventLimits(max_payload_bytes=200))
    long = '{"idempotency_key": "' + "x" * 900 + '"}\n'
    if kind == "csv":
        header = "idempotency_key,event_name,timestamp,customer_id\n"
        good = "e{},api_call,2024-02-01T12:00:00Z,cus_1\n"
        source = io.StringIO(header + good.format(1) + "x" * 900 + "\n" + good.format(3))
    else:
        source = lines(line("e1"), long, line("e3"))
    report = import_events(small, source, format=kind)  # type: ignore[arg-type]
    first = 2 if kind == "csv" else 1
    assert errors(report) == [
        (first + 1, None, [f"line {first + 1} is longer than 800 characters"])
    ]
    assert report.lines_read == first + 2
    assert set(stored(store)) == {"e1", "e3"}


# Batches and progress ----------------------------------------------------------------------


def test_progress_is_reported_after_every_batch(ingestion: Recording) -> None:
    seen: list[ImportProgress] = []
    source = lines(line("e1"), "oops\n", "\n", line("e3"), line("e1"), line("e4"))
    report = import_events(ingestion, source, format="jsonl", batch_size=2, progress=seen.append)
    assert seen == [
        ImportProgress(lines_read=2, accepted=1, duplicates=0, rejected=1),
        ImportProgress(lines_read=5, accepted=2, duplicates=1, rejected=1),
        ImportProgress(lines_read=6, accepted=3, duplicates=1, rejected=1),
    ]
    assert report == ImportReport(6, 3, 1, 1, report.errors)


def test_batches_hold_at_most_batch_size_lines_and_carry_the_backfill_flag(
    ingestion: Recording,
) -> None:
    source = lines(*(line(f"e{n}") for n in range(10)))
    import_events(ingestion, source, format="jsonl", batch_size=4, backfill=True)
    assert ingestion.batches == [(4, True), (4, True), (2, True)]


def test_a_key_seen_in_the_batch_starts_a_new_one(ingestion: Recording) -> None:
    source = lines(line("a"), line("b"), line("a"), line("c"))
    report = import_events(ingestion, source, format="jsonl", batch_size=10)
    assert [size for size, _ in ingestion.batches] == [2, 2]
    assert (report.accepted, report.duplicates) == (3, 1)


def test_the_file_is_read_as_it_is_ingested_not_before(store: Store) -> None:
    source = lines(*(line(f"e{n:05d}") for n in range(2000)))
    positions: list[int] = []

    @dataclass(frozen=True)
    class Watching(Ingestion):
        def ingest(
            self,
            batch: Iterable[object],
            *,
            backfill: bool = False,
            backfill_id: str | None = None,
        ) -> IngestReport:
            positions.append(source.tell())
            return super().ingest(batch, backfill=backfill, backfill_id=backfill_id)

    import_events(Watching(store, VirtualClock(NOW)), source, format="jsonl", batch_size=100)
    size = len(line("e00000"))
    assert len(positions) == 20
    assert all(at <= (n + 1) * 100 * size for n, at in enumerate(positions))


# Conflicts, duplicates, re-imports ----------------------------------------------------------


def test_a_key_conflict_rejects_its_line_only(store: Store, ingestion: Recording) -> None:
    import_events(ingestion, lines(line("old")), format="jsonl")
    source = lines(
        line("e1"),
        line("old", body='"bytes": 99'),
        line("e3"),
        line("e1", body='"bytes": 1'),
        "not json\n",
        line("e6"),
    )
    report = import_events(ingestion, source, format="jsonl", batch_size=10)
    # old; [e1, old', e3] rejected, sent again as [e1, e3]; [e1', e6] rejected, then [e6]
    assert [size for size, _ in ingestion.batches] == [1, 3, 2, 2, 1]
    assert (report.accepted, report.duplicates, report.rejected) == (3, 0, 3)
    assert errors(report) == [
        (2, "old", ["idempotency_key: 'old' was sent before with another body"]),
        (4, "e1", ["idempotency_key: 'e1' was sent before with another body"]),
        (5, None, ["is not valid JSON: Expecting value at column 1"]),
    ]
    assert stored(store) == {
        name: {"bytes": Decimal("10.50")} for name in ("old", "e1", "e3", "e6")
    }


def test_the_first_valid_line_of_a_key_wins_whatever_the_batch_size() -> None:
    source = [
        line("k", customer="cus_9"),  # rejected: the key stays free
        line("k"),
        line("k", body='"bytes": 2'),
        line("j"),
        line("j", body='"bytes": 10.5'),  # the same number: a duplicate
    ]
    reports = [
        import_events(
            Ingestion(new_store(), VirtualClock(NOW)),
            lines(*source),
            format="jsonl",
            batch_size=size,
        )
        for size in (1, 2, 1000)
    ]
    assert reports[0] == reports[1] == reports[2]
    assert (reports[0].accepted, reports[0].duplicates) == (2, 1)
    assert [(e.line, e.idempotency_key) for e in reports[0].errors] == [(1, "k"), (3, "k")]


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_importing_a_file_again_changes_nothing(store: Store, kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"events.{kind}"
    if kind == "csv":
        path.write_text(
            "idempotency_key,event_name,timestamp,customer_id,properties\n"
            + "".join(
                f'e{n},api_call,2024-02-01T12:00:00Z,cus_1,"{{""n"": {n}.5}}"\n' for n in range(7)
            )
            + "bad,row\n",
            encoding="utf-8",
        )
    else:
        path.write_text("".join(line(f"e{n}") for n in range(7)) + "bad\n", encoding="utf-8")
    ingestion = Ingestion(store, VirtualClock(NOW))
    first = import_events(ingestion, path, batch_size=3)
    before = stored(store)
    again = import_events(ingestion, path, batch_size=3)
    assert (first.accepted, first.duplicates, first.rejected) == (7, 0, 1)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 7, 1)
    assert again.errors == first.errors
    assert stored(store) == before


def test_a_line_error_reads_as_one_sentence() -> None:
    from orbcore import Problem

    error = LineError(3, "e3", (Problem(("timestamp",), "is required"), Problem((), "too big")))
    assert str(error) == "line 3 (e3): timestamp: is required; too big"
    assert (
        str(LineError(4, None, (Problem((), "is not valid JSON"),))) == "line 4: is not valid JSON"
    )


def test_a_file_imported_into_a_backfill_counts_once_the_backfill_closes(
    store: Store, ingestion: Recording
) -> None:
    backfills = Backfills(store, VirtualClock(NOW))
    backfill = backfills.create(
        datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 2, 2, tzinfo=UTC), customer_id="cus_1"
    )
    report = import_events(
        ingestion,
        lines(line("b1"), line("b2", customer="cus_9")),
        format="jsonl",
        backfill_id=backfill.id,
    )
    assert (report.accepted, report.rejected) == (1, 1)
    with store.unit_of_work() as uow:
        assert uow.events.get("b1").status == "pending"
    backfills.close(backfill.id)
    with store.unit_of_work() as uow:
        assert uow.events.get("b1").status == "active"
