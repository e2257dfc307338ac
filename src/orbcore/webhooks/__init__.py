"""Webhooks: endpoints, the transactional outbox, signing and delivery."""

from orbcore._api import publish
from orbcore.webhooks._records import OutboxMessage, WebhookEndpoint

__all__ = ["OutboxMessage", "WebhookEndpoint"]

publish(globals(), __name__)
