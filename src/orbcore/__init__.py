"""orbcore: an embeddable usage-based billing engine.

Exact money, a billing calendar that never drifts, and (in the subpackages) pricing,
metering and invoicing. The names here are the stable public API; modules whose names
start with an underscore are private.

>>> from orbcore import Money
>>> (Money("0.10", "USD") * 3).rounded()
Money('0.30', 'USD')
"""

from orbcore._api import publish
from orbcore._clock import Clock, SystemClock, VirtualClock
from orbcore._engine import Engine, connect
from orbcore._errors import (
    ConflictError,
    CurrencyMismatchError,
    FloatNotAllowedError,
    NotFoundError,
    OrbcoreError,
    PrecisionError,
    Problem,
    StorageError,
    UnknownCurrencyError,
    ValidationError,
)
from orbcore._version import __version__
from orbcore.calendar import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    BillingSchedule,
    Cadence,
    CycleAnchor,
    DayCount,
    Period,
    period_fraction,
)
from orbcore.money import (
    Currency,
    CurrencyRegistry,
    Money,
    RoundingMode,
    allocate,
    format_money,
    get_currency,
    register_currency,
    to_decimal,
)

__all__ = [
    "Anniversary",
    "BeginningOfMonth",
    "BillingCycleDay",
    "BillingSchedule",
    "Cadence",
    "Clock",
    "ConflictError",
    "Currency",
    "CurrencyMismatchError",
    "CurrencyRegistry",
    "CycleAnchor",
    "DayCount",
    "Engine",
    "FloatNotAllowedError",
    "Money",
    "NotFoundError",
    "OrbcoreError",
    "Period",
    "PrecisionError",
    "Problem",
    "RoundingMode",
    "StorageError",
    "SystemClock",
    "UnknownCurrencyError",
    "ValidationError",
    "VirtualClock",
    "__version__",
    "allocate",
    "connect",
    "format_money",
    "get_currency",
    "period_fraction",
    "register_currency",
    "to_decimal",
]

publish(globals(), __name__)
