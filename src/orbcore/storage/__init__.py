"""Storage: the repository ports, the unit of work, and the adapters behind them.

``open_store(url)`` picks an adapter by URL: ``memory://`` (in-process, for notebooks and
tests), ``sqlite:///path.db`` (the embedded default) or ``postgresql+psycopg://...``. All
three behave the same way; the contract tests run every case on each.
"""

from orbcore._api import publish
from orbcore.storage._collections import COLLECTIONS, Collection
from orbcore.storage._open import DEFAULT_URL, open_store
from orbcore.storage._ports import (
    AddOutcome,
    EventRepository,
    InvoiceRepository,
    LedgerRepository,
    OutboxRepository,
    Repository,
    Store,
    UnitOfWork,
    UsageQueries,
    UsageRollupRepository,
)
from orbcore.storage._query import In, Page, Query, Range, each

__all__ = [
    "AddOutcome",
    "COLLECTIONS",
    "Collection",
    "DEFAULT_URL",
    "EventRepository",
    "In",
    "InvoiceRepository",
    "LedgerRepository",
    "OutboxRepository",
    "Page",
    "Query",
    "Range",
    "Repository",
    "Store",
    "UnitOfWork",
    "UsageQueries",
    "UsageRollupRepository",
    "each",
    "open_store",
]

publish(globals(), __name__)
