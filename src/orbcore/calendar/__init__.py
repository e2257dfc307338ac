"""The billing calendar: cadences, alignments, billing periods and day counts.

Pure kernel code: no I/O and no clock reads. Periods are half-open ``[start, end)``
intervals of aware UTC instants whose boundaries are local midnights in the customer's
IANA time zone. Each boundary is computed from the anchor, never by chaining periods.
"""

from orbcore._api import publish
from orbcore.calendar._alignment import (
    Alignment,
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    CycleAnchor,
)
from orbcore.calendar._cadence import Cadence, CadenceUnit
from orbcore.calendar._daycount import DayCount, period_fraction
from orbcore.calendar._period import Period
from orbcore.calendar._schedule import BillingSchedule
from orbcore.calendar._zone import day_of, local_midnight, resolve_zone

__all__ = [
    "Alignment",
    "Anniversary",
    "BeginningOfMonth",
    "BillingCycleDay",
    "BillingSchedule",
    "Cadence",
    "CadenceUnit",
    "CycleAnchor",
    "DayCount",
    "Period",
    "day_of",
    "local_midnight",
    "period_fraction",
    "resolve_zone",
]

publish(globals(), __name__)
