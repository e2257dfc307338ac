"""Services: thin drivers that load through the storage ports, call pure code and store.

Each takes its dependencies (a store, a clock) as arguments and creates nothing at import.
"""

from orbcore._api import publish
from orbcore.services._amend import AMENDMENT_LIMIT, AMENDMENT_WINDOW, Amendments
from orbcore.services._backfill import Backfills
from orbcore.services._billing_run import BillingRun, RunFailure, RunSummary
from orbcore.services._customers import Customers
from orbcore.services._import import ImportProgress, ImportReport, LineError, import_events
from orbcore.services._ingest import (
    FUTURE_TOLERANCE,
    EventResult,
    EventStatus,
    Ingestion,
    IngestReport,
)
from orbcore.services._invoicing import Invoicing
from orbcore.services._metering import Metering
from orbcore.services._subscriptions import Subscriptions

__all__ = [
    "AMENDMENT_LIMIT",
    "AMENDMENT_WINDOW",
    "Amendments",
    "Backfills",
    "BillingRun",
    "Customers",
    "EventResult",
    "EventStatus",
    "FUTURE_TOLERANCE",
    "ImportProgress",
    "ImportReport",
    "IngestReport",
    "Ingestion",
    "Invoicing",
    "LineError",
    "Metering",
    "RunFailure",
    "RunSummary",
    "Subscriptions",
    "import_events",
]

publish(globals(), __name__)
