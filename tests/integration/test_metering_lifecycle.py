"""Metrics, roll-ups, amendments and backfills on every store, through the services.

Every scenario checks the roll-up answer against the raw-event answer, so a roll-up that
missed an event, counted one twice or kept a replaced one fails here.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError, VirtualClock
from orbcore.billing import Invoice
from orbcore.events import Quantities
from orbcore.services import Amendments, Backfills, EventStatus, Ingestion, Metering
from orbcore.storage import Query, Store

NOW = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)
DAY = datetime(2024, 2, 1, tzinfo=UTC)


def event(key: str, minute: int, gb: str, *, region: str = "us", **who: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "event_name": "upload",
        **(who or {"customer_id": "cus_1"}),
        "timestamp": (DAY + timedelta(minutes=minute)).isoformat(),
        "properties": {"gb": Decimal(gb), "region": region},
    }


def both_ways(metering: Metering, metric_id: str, start: datetime, end: datetime) -> Quantities:
    """The quantities read through roll-ups, after checking they equal the raw answer."""
    who = {"customer_id": "cus_1", "external_customer_id": "acme"}
    rolled = metering.quantities(metric_id, start, end, **who)
    raw = metering.quantities(metric_id, start, end, use_rollups=False, **who)
    assert rolled == raw
    return rolled


def define(metering: Metering, metric_id: str, aggregation: str, **more: Any) -> None:
    metering.define_metric(
        {
            "id": metric_id,
            "name": metric_id,
            "event_name": "upload",
            "aggregation": aggregation,
            **({"property": "gb"} if aggregation != "count" else {}),
            **more,
        }
    )


def test_rollups_answer_like_events_for_periods_off_the_hour(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum", group_by=["region"])
    batch = [
        event(f"e{i}", 7 * i, f"{i}.5", region="us" if i % 3 else "eu", **_sender(i))
        for i in range(100)
    ]
    assert ingestion.ingest(batch).count(EventStatus.ACCEPTED) == 100
    define(metering, "gb_avg", "average")  # defined after the events: built from them
    start, end = DAY + timedelta(minutes=25), DAY + timedelta(hours=10, minutes=50)
    inside = [i for i in range(100) if start <= DAY + timedelta(minutes=7 * i) < end]
    sums = both_ways(metering, "gb_sum", start, end)
    assert sums == {
        ("eu",): sum(Decimal(f"{i}.5") for i in inside if i % 3 == 0),
        ("us",): sum(Decimal(f"{i}.5") for i in inside if i % 3),
    }
    define(metering, "uploads", "count")
    assert both_ways(metering, "uploads", start, end) == {(): Decimal(len(inside))}
    define(metering, "gb_max", "max")
    assert both_ways(metering, "gb_max", start, end) == {(): max(Decimal(f"{i}.5") for i in inside)}
    mean = both_ways(metering, "gb_avg", start, end)[()]
    assert mean == (sum(Decimal(f"{i}.5") for i in inside) / len(inside)).quantize(Decimal("1E-12"))


def test_amending_moves_the_quantity_to_the_new_version(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("a", 10, "5"), event("b", 20, "7")])
    amendments = Amendments(store, clock)
    version = amendments.amend("a", event("a", 10, "50"))
    assert version.amends == "a"
    assert both_ways(metering, "gb_sum", DAY, DAY + timedelta(hours=2)) == {(): Decimal(57)}
    amendments.amend("a", event("a", 10, "500"))  # the latest version counts
    assert both_ways(metering, "gb_sum", DAY, DAY + timedelta(hours=2)) == {(): Decimal(507)}
    with store.unit_of_work() as uow:
        kept = uow.events.get("a")
    assert (kept.status, kept.properties["gb"]) == ("amended", Decimal(5))


def test_an_amendment_keeps_the_timestamp_and_customer(store: Store) -> None:
    clock = VirtualClock(NOW)
    Ingestion(store, clock).ingest([event("a", 10, "5")])
    amendments = Amendments(store, clock)
    with pytest.raises(ValidationError) as caught:
        amendments.amend("a", event("a", 11, "5", external_customer_id="acme"))
    assert {problem.path for problem in caught.value.problems} == {
        ("timestamp",),
        ("customer_id",),
    }
    with pytest.raises(NotFoundError):
        amendments.amend("nope", event("nope", 10, "5"))


def test_deprecated_events_stop_counting_and_cannot_change_again(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "uploads", "count")
    ingestion.ingest([event("a", 10, "5"), event("b", 20, "7")])
    amendments = Amendments(store, clock)
    assert amendments.deprecate("b").status == "deprecated"
    assert both_ways(metering, "uploads", DAY, DAY + timedelta(hours=1)) == {(): Decimal(1)}
    with pytest.raises(ConflictError):
        amendments.deprecate("b")
    with pytest.raises(ConflictError):
        amendments.amend("b", event("b", 20, "1"))


def test_a_closed_backfill_replaces_what_it_covers_and_a_revert_restores_it(
    store: Store,
) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("a", 10, "5"), event("b", 70, "7"), event("c", 200, "11")])
    backfills = Backfills(store, clock)
    backfill = backfills.create(DAY, DAY + timedelta(hours=2), customer_id="cus_1")
    report = ingestion.ingest(
        [event("a2", 15, "100"), event("late", 300, "1")], backfill_id=backfill.id
    )
    assert [r.status for r in report.results] == [EventStatus.ACCEPTED, EventStatus.REJECTED]
    period = (DAY, DAY + timedelta(hours=6))
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(23)}  # pending: not yet
    assert backfills.close(backfill.id).status == "reflected"
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(111)}  # a, b replaced
    assert backfills.revert(backfill.id).status == "reverted"
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(23)}
    with store.unit_of_work() as uow:
        statuses = {e.idempotency_key: e.status for e in uow.events.list(Query()).items}
    assert statuses == {"a": "active", "b": "active", "c": "active", "a2": "reverted"}


def test_backfills_refuse_overlaps_and_long_timeframes(store: Store) -> None:
    backfills = Backfills(store, VirtualClock(NOW))
    backfills.create(DAY, DAY + timedelta(days=2))
    with pytest.raises(ConflictError):
        backfills.create(DAY + timedelta(days=1), DAY + timedelta(days=3), customer_id="cus_1")
    with pytest.raises(ValidationError):
        backfills.create(DAY + timedelta(days=5), DAY + timedelta(days=40))


def test_a_backfill_without_replacement_adds_to_existing_events(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_max", "max")
    ingestion.ingest([event("a", 10, "5")])
    backfills = Backfills(store, clock)
    backfill = backfills.create(DAY, DAY + timedelta(hours=1), replace_existing_events=False)
    ingestion.ingest([event("x", 30, "9", external_customer_id="acme")], backfill_id=backfill.id)
    clock.advance(timedelta(days=2))
    assert [b.id for b in backfills.close_due()] == [backfill.id]
    assert both_ways(metering, "gb_max", DAY, DAY + timedelta(hours=1)) == {(): Decimal(9)}


def test_activating_a_draft_metric_builds_its_rollups(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_min", "min", status="draft")
    ingestion.ingest([event("a", 10, "5"), event("b", 130, "3")])
    metering.set_status("gb_min", "active")
    assert both_ways(metering, "gb_min", DAY, DAY + timedelta(hours=3)) == {(): Decimal(3)}


def _sender(i: int) -> dict[str, str]:
    return {"external_customer_id": "acme"} if i % 2 else {"customer_id": "cus_1"}


def test_concurrent_ingestion_and_a_new_metric_leave_rollups_exact(store: Store) -> None:
    """Eight senders overlap their batches while a metric is being defined: each event
    reaches the metric's roll-ups once, whichever side commits first."""
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum", group_by=["region"])
    events = [event(f"e{i}", i, str(i % 13), region="eu" if i % 2 else "us") for i in range(400)]
    errors: list[BaseException] = []

    def send(worker: int) -> None:
        try:
            for first in range(0, 400, 50):
                rotated = events[first : first + 50]
                ingestion.ingest(rotated[worker % 5 :] + rotated[: worker % 5])
        except BaseException as error:  # surfaced below
            errors.append(error)

    def define_late() -> None:
        try:
            define(metering, "gb_count", "count", group_by=["region"])
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    workers.append(threading.Thread(target=define_late))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    period = (DAY, DAY + timedelta(hours=7))  # one event a minute for 400 minutes
    assert both_ways(metering, "gb_count", *period) == {("eu",): 200, ("us",): 200}
    assert both_ways(metering, "gb_sum", *period) == {
        ("eu",): sum(Decimal(i % 13) for i in range(1, 400, 2)),
        ("us",): sum(Decimal(i % 13) for i in range(0, 400, 2)),
    }


def test_backfills_revert_last_first_and_restore_exactly(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("orig", 10, "10")])
    backfills = Backfills(store, clock)
    period = (DAY, DAY + timedelta(hours=2))
    first = backfills.create(*period)
    ingestion.ingest([event("a1", 10, "20")], backfill_id=first.id)
    backfills.close(first.id)
    second = backfills.create(*period)
    ingestion.ingest([event("b1", 10, "30")], backfill_id=second.id)
    backfills.close(second.id)
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(30)}
    with pytest.raises(ConflictError):
        backfills.revert(first.id)  # the second replaced its events: revert that first
    backfills.revert(second.id)
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(20)}
    backfills.revert(first.id)
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(10)}


def test_reverting_a_backfill_reverts_the_amended_versions_of_its_events(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("orig", 10, "10")])
    backfills = Backfills(store, clock)
    period = (DAY, DAY + timedelta(hours=2))
    backfill = backfills.create(*period)
    ingestion.ingest([event("a1", 10, "20")], backfill_id=backfill.id)
    backfills.close(backfill.id)
    Amendments(store, clock).amend("a1", event("a1", 10, "25"))
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(25)}
    backfills.revert(backfill.id)
    assert both_ways(metering, "gb_sum", *period) == {(): Decimal(10)}


def test_an_event_stored_before_cannot_be_resent_into_a_backfill(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("e1", 10, "10")])
    backfills = Backfills(store, clock)
    backfill = backfills.create(DAY, DAY + timedelta(hours=2))
    report = ingestion.ingest(
        [event("e1", 10, "10"), event("e2", 20, "5")], backfill_id=backfill.id
    )
    assert [r.status for r in report.results] == [EventStatus.REJECTED, EventStatus.ACCEPTED]
    assert "outside backfill" in str(report.results[0].problems[0])


def test_a_backfill_for_a_customer_covers_events_sent_with_either_identifier(
    store: Store,
) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_sum", "sum")
    ingestion.ingest([event("x1", 10, "8", external_customer_id="acme"), event("c1", 20, "2")])
    backfills = Backfills(store, clock)
    backfill = backfills.create(DAY, DAY + timedelta(hours=2), customer_id="cus_1")
    assert backfill.external_customer_id == "acme"
    with pytest.raises(ConflictError):
        backfills.create(DAY, DAY + timedelta(hours=1), external_customer_id="acme")
    ingestion.ingest([event("n1", 30, "7")], backfill_id=backfill.id)
    backfills.close(backfill.id)
    assert both_ways(metering, "gb_sum", DAY, DAY + timedelta(hours=2)) == {(): Decimal(7)}


def test_the_amendment_limit_counts_events_not_amendments(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orbcore.services._amend as amend_module

    monkeypatch.setattr(amend_module, "AMENDMENT_LIMIT", 2)
    clock = VirtualClock(NOW)
    Ingestion(store, clock).ingest([event(k, 10 + n, "1") for n, k in enumerate("abc")])
    amendments = Amendments(store, clock)
    for value in ("2", "3", "4"):
        amendments.amend("a", event("a", 10, value))  # one event, amended three times
    amendments.amend("b", event("b", 11, "2"))  # a second event
    with pytest.raises(ConflictError):
        amendments.amend("c", event("c", 12, "2"))  # a third is over the limit of 2
    amendments.amend("a", event("a", 10, "5"))  # an event already counted still may change


def test_each_invoiced_period_closes_at_the_end_of_its_own_grace(store: Store) -> None:
    """A February grace window does not reopen January."""
    january = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    february = (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    with store.unit_of_work() as uow:
        for n, (start, end) in enumerate((january, february)):
            uow.invoices.add(
                Invoice(
                    id=f"inv_{n}",
                    customer_id="cus_1",
                    currency="USD",
                    kind="usage",
                    period_start=start,
                    period_end=end,
                    invoice_date=end,
                    created_at=end,
                    status="issued",
                )
            )
        uow.commit()
    clock = VirtualClock(datetime(2024, 3, 1, 6, tzinfo=UTC))  # within February's grace
    ingestion = Ingestion(store, clock)
    late_january = dict(event("jan", 0, "1"), timestamp="2024-01-20T10:00:00Z")
    late_february = dict(event("feb", 0, "1"), timestamp="2024-02-20T10:00:00Z")
    report = ingestion.ingest([late_january, late_february])
    assert [r.status for r in report.results] == [EventStatus.REJECTED, EventStatus.ACCEPTED]
    assert "2024-01-01" in str(report.results[0].problems[0])


def test_long_group_values_roll_up_on_every_store(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering, ingestion = Metering(store, clock), Ingestion(store, clock)
    define(metering, "gb_by_path", "sum", group_by=["region"])
    long_path = "/".join(["segment"] * 500)  # 3,999 characters
    report = ingestion.ingest([event("long", 10, "3", region=long_path)])
    assert report.count(EventStatus.ACCEPTED) == 1
    quantities = both_ways(metering, "gb_by_path", DAY, DAY + timedelta(hours=1))
    assert quantities == {(long_path,): Decimal(3)}


def test_a_metric_built_after_its_events_rolls_up_the_first_hour_of_time(store: Store) -> None:
    clock = VirtualClock(NOW)
    metering = Metering(store, clock)
    Ingestion(store, clock).ingest(
        [dict(event("first", 0, "4"), timestamp="0001-01-01T00:30:00Z")], backfill=True
    )
    define(metering, "gb_sum", "sum")
    start = datetime(1, 1, 1, tzinfo=UTC)
    assert both_ways(metering, "gb_sum", start, start + timedelta(hours=2)) == {(): Decimal(4)}
