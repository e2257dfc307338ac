"""Billing: subscriptions, proration and invoices.

The domain half (timelines, proration, the invoice builder) is pure; services that load
and store through the storage ports live beside it in modules of their own.
"""

__all__: list[str] = []
