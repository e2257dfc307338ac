"""The undo log of a unit of work, and the check that a unit of work is in use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from orbcore._errors import StorageError

__all__ = ["Journal"]

Undo = Callable[[], None]


class Journal:
    """What one unit of work changed since its last commit, as steps that undo it.

    Changes are applied to the store at once; each records how to take it back.
    ``undo`` runs those steps newest first, ``forget`` drops them (a commit).

    A journal is open while its unit of work is entered, and only for the thread that
    entered it: repositories call :meth:`check` before touching the store.
    """

    def __init__(self) -> None:
        self._steps: list[Undo] = []
        self._owner: int | None = None

    @property
    def is_open(self) -> bool:
        """Whether a unit of work has entered this journal and not left it yet."""
        return self._owner is not None

    def open(self) -> None:
        """Start accepting changes from the current thread."""
        self._owner = threading.get_ident()

    def close(self) -> None:
        """Stop accepting changes."""
        self._owner = None

    def check(self) -> None:
        """Refuse work outside the ``with`` block of the unit of work.

        Raises:
            StorageError: the unit of work is not entered, or another thread entered it.
        """
        if self._owner != threading.get_ident():
            raise StorageError(
                "the memory store is used through `with store.unit_of_work() as uow:`; "
                "this unit of work is not entered in the current thread"
            )

    def record(self, step: Undo) -> None:
        """Remember how to undo a change that was just made."""
        self._steps.append(step)

    def forget(self) -> None:
        """Keep every change made so far: they can no longer be undone."""
        self._steps.clear()

    def undo(self) -> None:
        """Take back every change since the last :meth:`forget`, newest first."""
        while self._steps:
            self._steps.pop()()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Take back the changes made inside the block if it raises, then re-raise."""
        mark = len(self._steps)
        try:
            yield
        except BaseException:
            while len(self._steps) > mark:
                self._steps.pop()()
            raise
