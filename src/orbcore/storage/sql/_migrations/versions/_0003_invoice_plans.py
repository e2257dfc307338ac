"""invoices name their plan and reissue, unique per (subscription, date, plan, kind, reissue)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ["subscription_id", "period_start", "period_end", "kind"]
_NEW = ["subscription_id", "invoice_date", "plan_id", "kind", "reissue"]


def upgrade() -> None:
    with op.batch_alter_table("invoices") as invoices:
        invoices.add_column(
            sa.Column(
                "plan_id",
                sa.String(length=64).with_variant(
                    sa.String(length=64, collation="C"), "postgresql"
                ),
                nullable=True,
            )
        )
        # SQLite adds a NOT NULL column only with a default; existing invoices are firsts.
        invoices.add_column(
            sa.Column("reissue", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        invoices.drop_constraint(
            op.f("uq_invoices_subscription_id_period_start_period_end_kind"), type_="unique"
        )
        invoices.create_unique_constraint(
            op.f("uq_invoices_subscription_id_invoice_date_plan_id_kind_reissue"), _NEW
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as invoices:
        invoices.drop_constraint(
            op.f("uq_invoices_subscription_id_invoice_date_plan_id_kind_reissue"), type_="unique"
        )
        invoices.create_unique_constraint(
            op.f("uq_invoices_subscription_id_period_start_period_end_kind"), _OLD
        )
        invoices.drop_column("reissue")
        invoices.drop_column("plan_id")
