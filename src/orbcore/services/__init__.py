"""Services: thin drivers that load through the storage ports, call pure code and store.

Each takes its dependencies (a store, a clock) as arguments and creates nothing at import.
"""

from orbcore._api import publish
from orbcore.services._ingest import (
    FUTURE_TOLERANCE,
    EventResult,
    EventStatus,
    Ingestion,
    IngestReport,
)

__all__ = ["EventResult", "EventStatus", "FUTURE_TOLERANCE", "IngestReport", "Ingestion"]

publish(globals(), __name__)
