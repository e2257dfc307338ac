"""Bulk import: event files (JSON lines or CSV) streamed batch by batch into ingestion.

Every event goes through :meth:`Ingestion.ingest`, so validation, de-duplication and the
customer and late-event checks are those of the API. The file is read line by line, never
whole. A line that cannot be read (bad JSON, a bad CSV row, a line too long) is reported
with its number and never stops the import.

Each line is judged as if it were sent alone, in file order: a batch never holds the same
key twice, and a batch that ingestion rejects for a key conflict is sent again without the
conflicting lines. So the report does not depend on ``batch_size``, and importing a file
again changes nothing.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

from orbcore._errors import Problem, ValidationError
from orbcore.events import EventLimits, validate_event
from orbcore.services._ingest import EventResult, EventStatus, Ingestion

__all__ = ["ImportProgress", "ImportReport", "LineError", "import_events"]

Format = Literal["jsonl", "csv"]
_SUFFIXES: dict[str, Format] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
CSV_COLUMNS = (
    "idempotency_key",
    "event_name",
    "timestamp",
    "customer_id",
    "external_customer_id",
    "properties",
)
_REQUIRED_COLUMNS = ("idempotency_key", "event_name", "timestamp")
_SKIP_CHUNK = 65_536


@dataclass(frozen=True, slots=True)
class LineError:
    """A line (or CSV row) that was not stored, with every reason.

    Attributes:
        line: the number of its first physical line, from 1 (a CSV header is line 1).
        idempotency_key: its key, when one could be read.
        problems: each problem with its field path.
    """

    line: int
    idempotency_key: str | None
    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        key = f" ({self.idempotency_key})" if self.idempotency_key is not None else ""
        return f"line {self.line}{key}: " + "; ".join(str(p) for p in self.problems)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import stands after a batch.

    ``accepted + duplicates + rejected`` counts the events read: non-blank lines, or CSV
    rows after the header. ``lines_read`` counts physical lines, blank ones included.
    """

    lines_read: int
    accepted: int
    duplicates: int
    rejected: int


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of an import: the counts of :class:`ImportProgress` and one
    :class:`LineError` per rejected line, in file order (``len(errors) == rejected``)."""

    lines_read: int
    accepted: int
    duplicates: int
    rejected: int
    errors: tuple[LineError, ...] = ()


def import_events(
    ingestion: Ingestion,
    source: str | os.PathLike[str] | TextIO,
    *,
    format: Format | None = None,
    batch_size: int = 1000,
    backfill: bool = False,
    backfill_id: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Import a file of events through ``ingestion``, batch by batch.

    Args:
        ingestion: the service that checks and stores each batch.
        source: a path (opened as UTF-8; bytes that are not UTF-8 make their line
            rejected) or an open text stream, read from where it stands.
        format: ``"jsonl"`` (one event object per line) or ``"csv"`` (a header row, then
            one event per row, ``properties`` as a JSON object). By default taken from
            the file name: ``.jsonl``, ``.ndjson`` or ``.csv``.
        batch_size: the most events (non-blank lines, or CSV rows) read and sent at once.
        backfill: accept events in periods already invoiced, as ``ingest(backfill=True)``.
        backfill_id: send the events in this pending backfill, as
            ``ingest(backfill_id=...)``: the way to replace a timeframe's usage by a file.
        progress: called after every batch with the counts so far.

    Returns:
        The counts and every rejected line with its problems.

    Raises:
        ValidationError: bad arguments, a format that cannot be told, or a CSV header
            that does not name the columns; nothing is imported then.
        OSError: the file cannot be opened or read.
        NotFoundError: ``backfill_id`` names no backfill.
        StorageError: the store failed; the batches before were stored, and importing
            the file again finishes the job.

    >>> import io
    >>> from orbcore import VirtualClock
    >>> from orbcore.storage import open_store
    >>> clock = VirtualClock(datetime(2024, 2, 1, tzinfo=UTC))
    >>> ingestion = Ingestion(open_store("memory://"), clock)
    >>> report = import_events(ingestion, io.StringIO(
    ...     '{"idempotency_key": "e1", "event_name": "api_call", "external_customer_id": "acme",'
    ...     ' "timestamp": "2024-01-31T12:00:00Z", "properties": {"bytes": 10.50}}\\n'
    ...     '{"idempotency_key": "e2", "event_name"\\n'), format="jsonl")
    >>> report.accepted, [str(error) for error in report.errors]
    (1, ["line 2: is not valid JSON: Expecting ':' delimiter at column 39"])
    """
    if batch_size < 1:
        raise ValidationError.at(("batch_size",), f"must be at least 1, not {batch_size}")
    kind = _format_of(source, format)
    tally = _Tally()
    with _opened(source) as stream:
        lines = _Lines(stream, _max_line_length(ingestion.limits))
        entries = _csv_entries(lines) if kind == "csv" else _jsonl_entries(lines)
        for batch in _batches(_screened(entries, ingestion.limits), batch_size):
            results = _ingest(ingestion, batch, backfill, backfill_id)
            for entry in batch:
                tally.add(entry, results.get(entry.line))
            tally.lines_read = lines.lines_read
            if progress is not None:
                progress(tally.progress())
        tally.lines_read = lines.lines_read
    return tally.report()


def _max_line_length(limits: EventLimits) -> int:
    """The longest line read, in characters: four times the largest event, which leaves
    room for JSON escapes and spacing. Longer lines are rejected without being read whole."""
    return 4 * limits.max_payload_bytes


@dataclass(frozen=True, slots=True)
class _Entry:
    """One event as read: its first line, its decoded body (if any), the problems so far."""

    line: int
    raw: object
    problems: tuple[Problem, ...] = ()

    @property
    def key(self) -> str | None:
        key = self.raw.get("idempotency_key") if isinstance(self.raw, Mapping) else None
        return _printable(key) if isinstance(key, str) else None


@dataclass
class _Tally:
    lines_read: int = 0
    counts: dict[EventStatus, int] = field(default_factory=lambda: dict.fromkeys(EventStatus, 0))
    errors: list[LineError] = field(default_factory=list)

    def add(self, entry: _Entry, result: EventResult | None) -> None:
        status = EventStatus.REJECTED if result is None else result.status
        self.counts[status] += 1
        if result is None:
            self.errors.append(LineError(entry.line, entry.key, entry.problems))
        elif status is EventStatus.REJECTED:
            problems = tuple(_shown(problem) for problem in result.problems)
            self.errors.append(LineError(entry.line, entry.key, problems))

    def progress(self) -> ImportProgress:
        counts = self.counts
        return ImportProgress(
            self.lines_read,
            accepted=counts[EventStatus.ACCEPTED],
            duplicates=counts[EventStatus.DUPLICATE],
            rejected=counts[EventStatus.REJECTED],
        )

    def report(self) -> ImportReport:
        now = self.progress()
        return ImportReport(
            now.lines_read, now.accepted, now.duplicates, now.rejected, tuple(self.errors)
        )


# Reading ----------------------------------------------------------------------------


def _format_of(source: object, given: str | None) -> Format:
    if given is not None:
        if given not in ("jsonl", "csv"):
            raise ValidationError.at(("format",), f"is 'jsonl' or 'csv', not {given!r}")
        return "csv" if given == "csv" else "jsonl"
    name = source if isinstance(source, str | os.PathLike) else getattr(source, "name", None)
    suffix = Path(name).suffix.lower() if isinstance(name, str | os.PathLike) else ""
    if suffix not in _SUFFIXES:
        raise ValidationError.at(
            ("format",),
            f"cannot be told from {suffix or 'a nameless source'!r}; give 'jsonl' or 'csv'",
        )
    return _SUFFIXES[suffix]


@contextmanager
def _opened(source: str | os.PathLike[str] | TextIO) -> Iterator[TextIO]:
    if not isinstance(source, str | os.PathLike):
        yield source
        return
    # Lines end at "\n" only (a "\r" before it is JSON whitespace and a CSV line end), and
    # bytes that are not UTF-8 survive as surrogates so that their line can be rejected.
    with open(source, encoding="utf-8", errors="surrogateescape", newline="\n") as stream:
        yield stream


class _Lines:
    """The physical lines of a stream, numbered from 1. A line longer than ``limit``
    comes as ``None``: it is skipped in chunks, never held whole."""

    def __init__(self, stream: TextIO, limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self.lines_read = 0
        self.last_too_long = 0

    def __iter__(self) -> Iterator[tuple[int, str | None]]:
        while text := self._stream.readline(self.limit + 1):
            self.lines_read += 1
            if self.lines_read == 1:
                text = text.removeprefix("\ufeff")
            if len(text) > self.limit and not text.endswith("\n"):
                while (rest := self._stream.readline(_SKIP_CHUNK)) and not rest.endswith("\n"):
                    pass
                self.last_too_long = self.lines_read
                yield self.lines_read, None
            else:
                yield self.lines_read, text

    def texts(self) -> Iterator[str]:
        """The lines as text, a line too long as an empty one (for the csv module)."""
        for _, text in self:
            yield "\n" if text is None else text

    def too_long(self, line: int) -> Problem:
        return Problem((), f"line {line} is longer than {self.limit} characters")


def _jsonl_entries(lines: _Lines) -> Iterator[_Entry]:
    for number, text in lines:
        if text is None:
            yield _Entry(number, None, (lines.too_long(number),))
        elif text.strip():
            raw, problems = _decode_json(text.rstrip("\r\n"))
            yield _Entry(number, raw, problems)


def _csv_entries(lines: _Lines) -> Iterator[_Entry]:
    reader = csv.reader(lines.texts(), strict=True)
    columns = _header(reader)
    if not columns:
        return
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _Entry(start, None, (Problem((), f"is not a valid CSV row: {exc}"),))
            continue
        if lines.last_too_long >= start:
            yield _Entry(start, None, (lines.too_long(lines.last_too_long),))
        elif any(cell.strip() for cell in cells):
            yield _row_entry(start, cells, columns)


def _header(reader: Iterator[list[str]]) -> tuple[str, ...]:
    """The column names of the first non-blank row; none for an empty file."""
    try:
        cells = next((row for row in reader if any(cell.strip() for cell in row)), [])
    except csv.Error as exc:
        raise ValidationError.at(("header",), f"is not a valid CSV row: {exc}") from exc
    columns = tuple(cell.strip() for cell in cells)
    problems = [
        Problem(("header", _printable(name)), f"is not a column; they are {', '.join(CSV_COLUMNS)}")
        for name in columns
        if name not in CSV_COLUMNS
    ]
    problems += [
        Problem(("header", name), "appears twice")
        for name in CSV_COLUMNS
        if columns.count(name) > 1
    ]
    missing = [name for name in _REQUIRED_COLUMNS if name not in columns]
    if "customer_id" not in columns and "external_customer_id" not in columns:
        missing.append("customer_id or external_customer_id")
    if columns:
        problems += [Problem(("header",), f"lacks the column {name}") for name in missing]
    if problems:
        raise ValidationError(problems)
    return columns


def _row_entry(line: int, cells: list[str], columns: tuple[str, ...]) -> _Entry:
    """An event from a CSV row: an empty cell is an absent field, ``properties`` is JSON."""
    if len(cells) != len(columns):
        problem = Problem((), f"has {len(cells)} fields; the header has {len(columns)}")
        return _Entry(line, None, (problem,))
    fields = dict(zip(columns, cells, strict=True))
    properties = fields.pop("properties", "")
    raw: dict[str, object] = {name: value for name, value in fields.items() if value}
    if not properties.strip():
        return _Entry(line, raw)
    decoded, problems = _decode_json(properties, ("properties",))
    if not problems:
        raw["properties"] = decoded
    return _Entry(line, raw, problems)


def _decode_json(text: str, path: tuple[str, ...] = ()) -> tuple[object, tuple[Problem, ...]]:
    """JSON with exact numbers: fractions and NaN as ``Decimal``; a repeated name refused."""
    try:
        value = json.loads(
            text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_unique_names
        )
    except json.JSONDecodeError as exc:
        message = f"{exc.msg.removesuffix(' at')} at column {exc.pos + 1}"
    except RecursionError:
        message = "it is nested too deeply"
    except ValueError as exc:  # a repeated name, an integer of over 4,300 digits
        message = str(exc)
    else:
        return value, ()
    return None, (Problem(path, f"is not valid JSON: {message}"),)


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise ValueError(f"the name {_printable(name)!r} appears twice in an object")
        seen[name] = value
    return seen


# Checking and sending ---------------------------------------------------------------


def _screened(entries: Iterable[_Entry], limits: EventLimits) -> Iterator[_Entry]:
    """Add the problems found before ingestion; a row with a bad ``properties`` cell also
    gets the problems of its other fields."""
    for entry in entries:
        if entry.problems and isinstance(entry.raw, Mapping):
            _, more = validate_event(entry.raw, limits)
            yield _Entry(entry.line, entry.raw, entry.problems + tuple(more))
        else:
            yield entry


def _shown(problem: Problem) -> Problem:
    """``problem`` with any text that cannot be encoded (lone surrogates) escaped, so a
    report always prints."""
    path = tuple(_printable(part) if isinstance(part, str) else part for part in problem.path)
    return Problem(path, _printable(problem.message))


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _batches(entries: Iterable[_Entry], size: int) -> Iterator[list[_Entry]]:
    """Up to ``size`` entries each, cut before a key the batch already holds."""
    batch: list[_Entry] = []
    keys: set[str] = set()
    for entry in entries:
        key = None if entry.problems else entry.key
        if key is not None and key in keys:
            yield batch
            batch, keys = [], set()
        batch.append(entry)
        if key is not None:
            keys.add(key)
        if len(batch) >= size:
            yield batch
            batch, keys = [], set()
    if batch:
        yield batch


def _ingest(
    ingestion: Ingestion, batch: list[_Entry], backfill: bool, backfill_id: str | None
) -> dict[int, EventResult]:
    """The result of each readable entry, by line. A batch rejected for key conflicts is
    sent again without the conflicting entries, which keep their conflict result."""
    pending = [entry for entry in batch if not entry.problems]
    results: dict[int, EventResult] = {}
    while pending:
        report = ingestion.ingest(
            [entry.raw for entry in pending], backfill=backfill, backfill_id=backfill_id
        )
        outcomes = list(zip(pending, report.results, strict=True))
        clashing = {e.line for e, r in outcomes if report.batch_rejected and _is_conflict(r)}
        if not clashing:  # stored, or rejected for a reason that names no line
            results.update((entry.line, result) for entry, result in outcomes)
            break
        results.update((entry.line, result) for entry, result in outcomes if entry.line in clashing)
        pending = [entry for entry in pending if entry.line not in clashing]
    return results


def _is_conflict(result: EventResult) -> bool:
    # In a batch rejected for a key conflict, ingestion ends the problems of each
    # conflicting event with an ``idempotency_key`` problem and those of the others with
    # a batch-wide one (an empty path).
    return bool(result.problems) and result.problems[-1].path == ("idempotency_key",)
