"""The prescription lists' indexes end with the id, their order's tiebreaker: a page is read
in index order (no sort of every row before the offset; on SQLite that sort held each row
whole), so the pharmacy's queue reads a deep page as cheaply as a first.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_prescriptions_pharmacy_status_created": ["pharmacy_org_id", "status", "created_at"],
    "ix_prescriptions_prescriber_created": ["prescriber_org_id", "prescribed_by", "created_at"],
    "ix_prescriptions_patient_created": ["patient_id", "created_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="prescriptions")
        op.create_index(name, "prescriptions", [*columns, "id"], unique=False)


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="prescriptions")
        op.create_index(name, "prescriptions", columns, unique=False)
