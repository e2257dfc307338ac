"""Foreign exceptions stop here: SQLAlchemy and driver errors become orbcore errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from orbcore._errors import ConflictError, OrbcoreError, StorageError

__all__ = ["translated"]


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a block, re-raising database errors as ``ConflictError`` or ``StorageError``.

    Args:
        action: what was being done, for the message (``"add to customers"``).
    """
    try:
        yield
    except StatementError as exc:
        if isinstance(exc.orig, OrbcoreError):  # raised by a column type while binding
            raise exc.orig from None
        if isinstance(exc, IntegrityError):
            raise ConflictError(f"cannot {action}: {_reason(exc)}") from exc
        if isinstance(exc, DBAPIError):
            raise StorageError(f"cannot {action}: {_reason(exc)}") from exc
        raise StorageError(f"cannot {action}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot {action}: {exc}") from exc


def _reason(exc: StatementError) -> str:
    first_line = str(exc.orig).strip().splitlines()
    return first_line[0] if first_line else type(exc.orig).__name__
