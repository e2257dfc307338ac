"""Changes to a subscription's timeline, each returning a new timeline.

Cancellations and plan changes follow Orb: the three ``ChangeOption`` values, end of
term decided by the longest cadence, same-day plan changes where the latest wins, a plan
change that unschedules a cancellation on or after its date, and "lossy" unscheduling
(cut intervals are extended to the end again; later intervals are deleted). Nothing here
reads a clock: the caller says when the request is made with ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from orbcore._errors import ValidationError
from orbcore.billing._subscription_edits import (
    ChangeOption,
    parse_option,
    truncate,
    without_cancellation,
)
from orbcore.billing._timeline import PlanChange, SubscriptionStatus, SubscriptionTimeline
from orbcore.billing._timeline_intervals import PriceRef, new_intervals, to_instant
from orbcore.billing._timeline_periods import term_containing
from orbcore.calendar import day_of
from orbcore.calendar._zone import ensure_aware

__all__ = [
    "cancel_subscription",
    "change_plan",
    "unschedule_cancellation",
    "unschedule_pending_changes",
    "unschedule_plan_changes",
]


def _require_running(timeline: SubscriptionTimeline, as_of: datetime) -> None:
    if timeline.status(as_of) is SubscriptionStatus.ENDED:
        raise ValidationError.at(("as_of",), "the subscription has ended")


def _effective(
    timeline: SubscriptionTimeline,
    option: ChangeOption | str,
    as_of: datetime,
    requested: date | datetime | None,
    field: str,
) -> datetime:
    option = parse_option(option)
    if option is ChangeOption.REQUESTED_DATE:
        if requested is None:
            raise ValidationError.at((field,), "is required with requested_date")
        return to_instant(requested, timeline.timezone, field)
    if requested is not None:
        raise ValidationError.at((field,), "is only used with requested_date")
    if option is ChangeOption.END_OF_SUBSCRIPTION_TERM:
        return term_containing(timeline, as_of).end
    return as_of


def cancel_subscription(
    timeline: SubscriptionTimeline,
    option: ChangeOption | str,
    *,
    as_of: datetime,
    cancellation_date: date | datetime | None = None,
) -> SubscriptionTimeline:
    """End the subscription, replacing any cancellation already scheduled.

    Args:
        timeline: the subscription.
        option: ``END_OF_SUBSCRIPTION_TERM`` (the end of the term in progress at
            ``as_of``, whose length is the longest cadence), ``IMMEDIATE`` (at ``as_of``)
            or ``REQUESTED_DATE`` (at ``cancellation_date``, a local midnight if a date;
            it may be in the past: a backdated cancellation).
        as_of: when the request is made.
        cancellation_date: only with ``REQUESTED_DATE``.

    Returns:
        A timeline whose intervals end at the cancellation; intervals that would start
        later, pending plan changes after it and quantity changes after it are dropped.

    Raises:
        ValidationError: the subscription has ended, a date before its start, or an
            option other than ``IMMEDIATE`` on an upcoming subscription (Orb's rule;
            it then ends at its start).
    """
    as_of = ensure_aware(as_of, "as_of")
    _require_running(timeline, as_of)
    if timeline.status(as_of) is SubscriptionStatus.UPCOMING:
        if parse_option(option) is not ChangeOption.IMMEDIATE:
            raise ValidationError.at(
                ("option",), "an upcoming subscription can only be cancelled immediately"
            )
        at = timeline.start
    else:
        at = _effective(timeline, option, as_of, cancellation_date, "cancellation_date")
        if at < timeline.start:
            raise ValidationError.at(("cancellation_date",), "is before the subscription starts")
    if timeline.end is not None:
        timeline = without_cancellation(timeline)
    return replace(
        timeline,
        intervals=truncate(timeline.intervals, at),
        end=at,
        plan_changes=tuple(c for c in timeline.plan_changes if c.effective < at),
    )


def change_plan(
    timeline: SubscriptionTimeline,
    prices: Sequence[PriceRef],
    option: ChangeOption | str,
    *,
    as_of: datetime,
    change_date: date | datetime | None = None,
    plan_id: str | None = None,
) -> SubscriptionTimeline:
    """Replace the subscription's prices from the change date on.

    The billing anchor is unchanged (Orb's default ``billing_cycle_alignment``). Intervals
    in force at the change end there; intervals and plan changes from that date on are
    replaced. A cancellation on or after the change date is unscheduled. On an upcoming
    subscription the change takes effect at its start.

    Args:
        timeline: the subscription.
        prices: the new plan's prices.
        option: as for :func:`cancel_subscription`, with ``change_date``.
        as_of: when the request is made.
        change_date: only with ``REQUESTED_DATE``.
        plan_id: recorded on the new intervals.

    Raises:
        ValidationError: the subscription has ended, or ends before the change date.
    """
    as_of = ensure_aware(as_of, "as_of")
    _require_running(timeline, as_of)
    at = max(_effective(timeline, option, as_of, change_date, "change_date"), timeline.start)
    zone = timeline.timezone
    for change in timeline.plan_changes:
        if day_of(change.effective, zone) == day_of(at, zone):
            at = min(at, change.effective)  # same day: the latest request wins outright
    if timeline.end is not None:
        if timeline.end < at:
            raise ValidationError.at(
                ("change_date",), f"the subscription ends on {timeline.end.isoformat()}, before"
            )
        timeline = without_cancellation(timeline)
    changes = tuple(c for c in timeline.plan_changes if c.effective < at)
    if at > timeline.start:
        changes += (PlanChange(at, plan_id),)
    return replace(
        timeline,
        intervals=truncate(timeline.intervals, at) + new_intervals(prices, at, plan_id),
        plan_changes=changes,
    )


def unschedule_cancellation(
    timeline: SubscriptionTimeline, *, as_of: datetime
) -> SubscriptionTimeline:
    """Remove a pending cancellation: intervals it cut run open-ended again.

    Raises:
        ValidationError: no cancellation is pending at ``as_of``.
    """
    as_of = ensure_aware(as_of, "as_of")
    if timeline.end is None or timeline.status(as_of) is SubscriptionStatus.ENDED:
        raise ValidationError.at(("as_of",), "no cancellation is pending")
    return without_cancellation(timeline)


def unschedule_plan_changes(
    timeline: SubscriptionTimeline, *, as_of: datetime
) -> SubscriptionTimeline:
    """Remove the plan changes still pending at ``as_of``.

    Lossy, as in Orb: intervals cut by the first pending change run to the
    subscription's end again, and every interval starting at or after it is deleted.

    Raises:
        ValidationError: no plan change is pending at ``as_of``.
    """
    as_of = ensure_aware(as_of, "as_of")
    pending = [c.effective for c in timeline.plan_changes if c.effective > as_of]
    if not pending:
        raise ValidationError.at(("as_of",), "no plan change is pending")
    first = min(pending)
    intervals = tuple(
        iv.ending(timeline.end) if iv.end == first else iv
        for iv in timeline.intervals
        if iv.start < first
    )
    changes = tuple(c for c in timeline.plan_changes if c.effective <= as_of)
    return replace(timeline, intervals=intervals, plan_changes=changes)


def unschedule_pending_changes(
    timeline: SubscriptionTimeline, *, as_of: datetime
) -> SubscriptionTimeline:
    """Remove the pending cancellation and the pending plan changes, whichever exist.

    Raises:
        ValidationError: nothing is pending at ``as_of``.
    """
    as_of = ensure_aware(as_of, "as_of")
    cancelling = timeline.end is not None and timeline.status(as_of) is not (
        SubscriptionStatus.ENDED
    )
    changing = any(c.effective > as_of for c in timeline.plan_changes)
    if not (cancelling or changing):
        raise ValidationError.at(("as_of",), "nothing is pending")
    if cancelling:
        timeline = without_cancellation(timeline)
    if changing:
        timeline = unschedule_plan_changes(timeline, as_of=as_of)
    return timeline
