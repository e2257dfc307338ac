"""The in-memory store: every record kept in this process, for notebooks and tests.

It behaves like the SQL stores (the contract tests run the same cases on each) and
runs one unit of work at a time, which makes it serializable. ``open_store("memory://")``
returns one.
"""

from orbcore._api import publish
from orbcore.storage.memory._store import MemoryStore

__all__ = ["MemoryStore"]

publish(globals(), __name__)
