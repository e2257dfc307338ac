"""The orbcore exception tree.

Every error orbcore raises on purpose derives from :class:`OrbcoreError`, so a host can
catch them all in one place. Foreign exceptions (SQLAlchemy, drivers, babel) are
translated at the edge and chained with ``raise ... from exc``. Batch operations do not
raise on the first bad item: they return one result per item instead.

::

    OrbcoreError
    ├── ValidationError          bad input; ``problems`` lists every one with its path
    │   ├── FloatNotAllowedError a float reached a place where only exact numbers go
    │   └── UnknownCurrencyError a currency code nobody registered
    ├── CurrencyMismatchError    two currencies met in one operation
    ├── PrecisionError           an operation would silently lose digits
    ├── NotFoundError            a record that does not exist
    ├── ConflictError            a uniqueness or version check failed
    └── StorageError             the store failed; the cause is chained

``ValidationError``, ``CurrencyMismatchError`` are also ``ValueError``,
``FloatNotAllowedError`` a ``TypeError``, ``PrecisionError`` an ``ArithmeticError``
and ``NotFoundError`` a ``LookupError``, so code written against the built-in
exceptions keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "CurrencyMismatchError",
    "FloatNotAllowedError",
    "NotFoundError",
    "OrbcoreError",
    "PrecisionError",
    "Problem",
    "StorageError",
    "UnknownCurrencyError",
    "ValidationError",
]

PathPart = str | int


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong.

    Attributes:
        path: field names and list indexes leading to the bad value; empty for the
            input as a whole.
        message: a sentence a person can act on.
    """

    path: tuple[PathPart, ...]
    message: str

    def __str__(self) -> str:
        if not self.path:
            return self.message
        where = ".".join(str(part) for part in self.path)
        return f"{where}: {self.message}"


class OrbcoreError(Exception):
    """Base class of every error orbcore raises on purpose."""


class ValidationError(OrbcoreError, ValueError):
    """An input is invalid. ``problems`` lists every problem found, not just the first.

    Args:
        problems: a message, or the problems found (at least one).
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: str | Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            found: tuple[Problem, ...] = (Problem((), problems),)
        elif isinstance(problems, Problem):
            found = (problems,)
        else:
            found = tuple(problems)
        if not found:
            raise ValueError("a ValidationError needs at least one problem")
        self.problems = found
        super().__init__("; ".join(str(problem) for problem in found))

    @classmethod
    def at(cls, path: Sequence[PathPart], message: str) -> ValidationError:
        """Build an error with a single problem at ``path``."""
        return cls(Problem(tuple(path), message))


class FloatNotAllowedError(ValidationError, TypeError):
    """A ``float`` was given where orbcore needs an exact number.

    Pass a ``Decimal``, an ``int`` or a decimal string such as ``"0.10"`` instead.
    """


class UnknownCurrencyError(ValidationError):
    """A currency code is neither an ISO 4217 code nor a registered custom unit."""


class CurrencyMismatchError(OrbcoreError, ValueError):
    """Two amounts in different currencies were combined or compared."""


class PrecisionError(OrbcoreError, ArithmeticError):
    """An operation would round or drop digits where orbcore promises exactness."""


class NotFoundError(OrbcoreError, LookupError):
    """The requested record does not exist."""


class ConflictError(OrbcoreError):
    """A write conflicts with stored data: a duplicate key or a stale version."""


class StorageError(OrbcoreError):
    """The storage backend failed. The original exception is chained as ``__cause__``."""
