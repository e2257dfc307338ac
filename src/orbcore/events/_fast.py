"""Events from JSON text: decoded with exact numbers, then validated; in one pass if it can.

The complete path is ``json.loads(text, parse_float=Decimal)`` then :func:`validate_event`.
With msgspec installed (the ``orbcore[fast]`` extra) most events take a one-pass path
instead (see ``_fast_json``), which only ever accepts: any event it does not accept goes
the complete way, so both decide alike and report the same problems.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from orbcore._errors import Problem
from orbcore.events._records import Event
from orbcore.events._validation import EventLimits, ValidEvent, validate_event

if TYPE_CHECKING:
    from orbcore.events._fast_json import JsonEvents

__all__ = ["JsonEventReader", "decode_json"]


class JsonEventReader:
    """Reads events from their JSON text, each with its key and its problems.

    Args:
        limits: the limits every event must respect.
        one_pass: take msgspec's one-pass path where it is installed (the default);
            ``False`` always goes the complete way.
    """

    def __init__(self, limits: EventLimits, *, one_pass: bool = True) -> None:
        self._limits = limits
        self._one_pass = _one_pass(limits) if one_pass else None

    @property
    def one_pass(self) -> bool:
        """Whether most events are read in one pass (msgspec is installed)."""
        return self._one_pass is not None

    @property
    def one_pass_record(self) -> Callable[[str | bytes, datetime], Event | None] | None:
        """The one-pass path alone, where msgspec is installed: the event ``text`` holds,
        as :meth:`record` gives it; or ``None``, and :meth:`complete_record` decides."""
        return None if self._one_pass is None else self._one_pass.record

    def record(
        self, text: object, ingested_at: datetime
    ) -> tuple[str | None, Event | None, list[Problem]]:
        """The event's key (if it has a text one), and the event as a store keeps it,
        received at ``ingested_at``, or its problems.

        Text that is not JSON has the problem ``is not valid JSON: ...``.
        """
        fast = self._one_pass
        if fast is not None and type(text) in (str, bytes):
            record = fast.record(text, ingested_at)  # type: ignore[arg-type]  # just checked
            if record is not None:
                return record.idempotency_key, record, []
        return self.complete_record(text, ingested_at)

    def complete_record(
        self, text: object, ingested_at: datetime
    ) -> tuple[str | None, Event | None, list[Problem]]:
        """:meth:`record` the complete way, whatever is installed."""
        key, event, problems = self._complete(text)
        return key, (None if event is None else event.record(ingested_at)), problems

    def _complete(self, text: object) -> tuple[str | None, ValidEvent | None, list[Problem]]:
        raw, problems = decode_json(text)
        if problems:
            return None, None, problems
        key = raw.get("idempotency_key") if isinstance(raw, dict) else None
        event, problems = validate_event(raw, self._limits)
        return (key if isinstance(key, str) else None), event, problems


def decode_json(text: object) -> tuple[object, list[Problem]]:
    """JSON text decoded with exact numbers, as ``json.loads(text, parse_float=Decimal)``,
    or the problem that stopped it."""
    if not isinstance(text, str | bytes | bytearray):
        return None, [Problem((), f"JSON text is str or bytes, not {type(text).__name__}")]
    try:
        return json.loads(text, parse_float=Decimal), []
    except json.JSONDecodeError as exc:
        message = f"{exc.msg} at column {exc.pos + 1}"
    except RecursionError:
        message = "it is nested too deeply"
    except ValueError as exc:  # bytes that are not UTF-8, an integer of over 4,300 digits
        message = str(exc)
    return None, [Problem((), f"is not valid JSON: {message}")]


def _one_pass(limits: EventLimits) -> JsonEvents | None:
    try:
        from orbcore.events._fast_json import JsonEvents
    except ImportError:  # without the orbcore[fast] extra
        return None
    return JsonEvents(limits)
