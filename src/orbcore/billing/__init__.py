"""Billing: customers, the catalog, subscriptions, invoices and credits.

The domain half (records, timelines, proration, the invoice builder) is pure; services that
load and store through the storage ports live beside it in modules of their own.
"""

from orbcore._api import publish
from orbcore.billing._adjust_json import parse_adjustment, parse_adjustments
from orbcore.billing._adjustments import (
    Adjustment,
    AdjustmentType,
    AmountDiscount,
    Maximum,
    Minimum,
    PercentageDiscount,
    UsageDiscount,
)
from orbcore.billing._builder import build_invoice
from orbcore.billing._builder_charge import RatedCharge
from orbcore.billing._builder_draft import AppliedAdjustment, DraftLine, DraftSubLine, InvoiceDraft
from orbcore.billing._builder_records import invoice_record
from orbcore.billing._plan import PlanDefinition, price_record_id
from orbcore.billing._plan_price import PlanPrice
from orbcore.billing._plan_records import definition_from_records, plan_records
from orbcore.billing._plan_terms import PhaseDiscount, PlanPhase, TrialConfig
from orbcore.billing._proration import (
    MidPeriodChange,
    ProrationRounding,
    RoundedAmounts,
    mid_period_change,
    prorate_amount,
    round_amounts,
)
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
from orbcore.billing._subscription_changes import (
    cancel_subscription,
    change_plan,
    unschedule_cancellation,
    unschedule_pending_changes,
    unschedule_plan_changes,
)
from orbcore.billing._subscription_edits import (
    ChangeOption,
    add_price_interval,
    apply_coupon,
    change_fixed_fee_quantity,
    end_price_interval,
)
from orbcore.billing._tax import (
    RateTableTax,
    TaxableLine,
    TaxAmount,
    TaxCalculator,
    TaxContext,
)
from orbcore.billing._timeline import (
    CouponRedemption,
    PlanChange,
    SubscriptionStatus,
    SubscriptionTimeline,
)
from orbcore.billing._timeline_charges import (
    BillableCharge,
    ChargeRole,
    billable_charges,
    charges_for_period,
    charges_on,
    invoice_dates,
)
from orbcore.billing._timeline_intervals import (
    BillingMode,
    PriceInterval,
    PriceKind,
    PriceRef,
    QuantityTransition,
)
from orbcore.billing._timeline_periods import (
    CouponWindow,
    billing_cadence,
    billing_period_containing,
    billing_periods,
    coupon_window,
    term_cadence,
    term_containing,
)

__all__ = [
    "Adjustment",
    "AdjustmentType",
    "AmountDiscount",
    "AppliedAdjustment",
    "BalanceTransaction",
    "BillableCharge",
    "BillingMode",
    "ChangeOption",
    "ChargeRole",
    "CouponRedemption",
    "CouponWindow",
    "CreditBlock",
    "Customer",
    "DraftLine",
    "DraftSubLine",
    "Invoice",
    "InvoiceDraft",
    "InvoiceLine",
    "LedgerEntry",
    "Maximum",
    "MidPeriodChange",
    "Minimum",
    "PercentageDiscount",
    "PhaseDiscount",
    "Plan",
    "PlanChange",
    "PlanDefinition",
    "PlanPhase",
    "PlanPrice",
    "Price",
    "PriceInterval",
    "PriceKind",
    "PriceRef",
    "ProrationRounding",
    "QuantityTransition",
    "RateTableTax",
    "RatedCharge",
    "RoundedAmounts",
    "Subscription",
    "SubscriptionStatus",
    "SubscriptionTimeline",
    "TaxAmount",
    "TaxCalculator",
    "TaxContext",
    "TaxableLine",
    "TrialConfig",
    "UsageDiscount",
    "add_price_interval",
    "apply_coupon",
    "billable_charges",
    "billing_cadence",
    "billing_period_containing",
    "billing_periods",
    "build_invoice",
    "cancel_subscription",
    "change_fixed_fee_quantity",
    "change_plan",
    "charges_for_period",
    "charges_on",
    "coupon_window",
    "definition_from_records",
    "end_price_interval",
    "invoice_dates",
    "invoice_record",
    "mid_period_change",
    "parse_adjustment",
    "parse_adjustments",
    "plan_records",
    "price_record_id",
    "prorate_amount",
    "round_amounts",
    "term_cadence",
    "term_containing",
    "unschedule_cancellation",
    "unschedule_pending_changes",
    "unschedule_plan_changes",
]

publish(globals(), __name__)
