"""Orders (FHIR ServiceRequest) and their specimens.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REJECTION_HAS_REASON = ("CASE WHEN specimen_status = 'rejected' THEN specimen_reject_reason "
                        "IS NOT NULL ELSE specimen_reject_reason IS NULL END")
SPECIMEN = "('collected', 'received', 'in_progress', 'resulted', 'rejected')"


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_uhid", sa.String(length=14), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_display", sa.String(length=300), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("specimen_status", sa.String(length=16), nullable=True),
        sa.Column("specimen_reject_reason", sa.String(length=32), nullable=True),
        sa.Column("ordering_org_id", sa.Uuid(), nullable=False),
        sa.Column("ordered_by", sa.Uuid(), nullable=False),
        sa.Column("performer_org_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=True),
        sa.Column("request_record", sa.Uuid(), nullable=True),
        sa.Column("result_record", sa.Uuid(), nullable=True),
        sa.Column("resulted_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("category IN ('lab', 'imaging')", name=op.f("ck_orders_category")),
        sa.CheckConstraint("priority IN ('routine', 'urgent', 'stat')",
                           name=op.f("ck_orders_priority")),
        sa.CheckConstraint("status IN ('active', 'completed', 'revoked')",
                           name=op.f("ck_orders_status")),
        sa.CheckConstraint(f"specimen_status IS NULL OR specimen_status IN {SPECIMEN}",
                           name=op.f("ck_orders_specimen_status")),
        sa.CheckConstraint(REJECTION_HAS_REASON, name=op.f("ck_orders_rejection_reason")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"],
                                name=op.f("fk_orders_patient_id_users")),
        sa.ForeignKeyConstraint(["ordered_by"], ["users.id"],
                                name=op.f("fk_orders_ordered_by_users")),
        sa.ForeignKeyConstraint(["resulted_by"], ["users.id"],
                                name=op.f("fk_orders_resulted_by_users")),
        sa.ForeignKeyConstraint(["ordering_org_id"], ["organizations.id"],
                                name=op.f("fk_orders_ordering_org_id_organizations")),
        sa.ForeignKeyConstraint(["performer_org_id"], ["organizations.id"],
                                name=op.f("fk_orders_performer_org_id_organizations")),
        sa.ForeignKeyConstraint(["encounter_id"], ["encounters.id"],
                                name=op.f("fk_orders_encounter_id_encounters")),
        sa.ForeignKeyConstraint(["request_record"], ["records.id"],
                                name=op.f("fk_orders_request_record_records")),
        sa.ForeignKeyConstraint(["result_record"], ["records.id"],
                                name=op.f("fk_orders_result_record_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_performer_status_created",
                              ["performer_org_id", "status", "created_at"], unique=False)
        batch_op.create_index("ix_orders_ordering_created", ["ordering_org_id", "created_at"],
                              unique=False)
        batch_op.create_index("ix_orders_patient_created", ["patient_id", "created_at"],
                              unique=False)
    # Shared by the two organisations of the exchange (the patient reads through the service,
    # in system context, as a patient is of no organisation).
    rls.parties_table("orders", "ordering_org_id", "performer_org_id")


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_patient_created")
        batch_op.drop_index("ix_orders_ordering_created")
        batch_op.drop_index("ix_orders_performer_status_created")
    op.drop_table("orders")
