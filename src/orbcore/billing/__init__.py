"""Billing: customers, the catalog, subscriptions, invoices and credits.

The domain half (records, timelines, proration, the invoice builder) is pure; services that
load and store through the storage ports live beside it in modules of their own.
"""

from orbcore._api import publish
from orbcore.billing._records import (
    BalanceTransaction,
    CreditBlock,
    Customer,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Plan,
    Price,
    Subscription,
)

__all__ = [
    "BalanceTransaction",
    "CreditBlock",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "LedgerEntry",
    "Plan",
    "Price",
    "Subscription",
]

publish(globals(), __name__)
