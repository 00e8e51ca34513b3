"""An imaging order's study: the ImagingStudy record uploaded against the order.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite adds a foreign-keyed column by copying the table.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("study_record_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_orders_study_record_id_records", "records",
                                 ["study_record_id"], ["id"])
        batch.create_unique_constraint("uq_orders_study_record_id", ["study_record_id"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_study_record_id", type_="unique")
        batch.drop_constraint("fk_orders_study_record_id_records", type_="foreignkey")
        batch.drop_column("study_record_id")
