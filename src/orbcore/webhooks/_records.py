"""The records webhook delivery keeps: endpoints and the outbox of messages to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["OutboxMessage", "WebhookEndpoint"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpoint:
    """Where to deliver webhooks, the secret to sign them with, and which types."""

    id: str
    url: str
    secret: str
    created_at: datetime
    event_types: list[str] = field(default_factory=list)
    enabled: bool = True
    revision: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A message written in the same transaction as the change it reports.

    A worker claims due messages (``available_at <= now``) for a lease; two workers
    never hold the same message at once.
    """

    id: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    available_at: datetime
    status: str = "pending"
    attempts: int = 0
    locked_by: str | None = None
    locked_until: datetime | None = None
    last_error: str | None = None
    revision: int = 1
