"""E-prescriptions (FHIR MedicationRequest) and their dispenses.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DISPENSED_WITHIN = "dispensed >= 0 AND dispensed <= quantity * (1 + refills)"


def upgrade() -> None:
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_uhid", sa.String(length=14), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("medication_system", sa.String(length=200), nullable=False),
        sa.Column("medication_code", sa.String(length=64), nullable=False),
        sa.Column("medication_display", sa.String(length=300), nullable=False),
        sa.Column("dosage", sa.String(length=1000), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("refills", sa.Integer(), nullable=False),
        sa.Column("dispensed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("allergy_check", sa.String(length=16), nullable=False),
        sa.Column("prescriber_org_id", sa.Uuid(), nullable=False),
        sa.Column("prescribed_by", sa.Uuid(), nullable=False),
        sa.Column("pharmacy_org_id", sa.Uuid(), nullable=False),
        sa.Column("request_record", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'completed')",
                           name=op.f("ck_prescriptions_status")),
        sa.CheckConstraint("allergy_check IN ('passed', 'overridden', 'partial', 'client')",
                           name=op.f("ck_prescriptions_allergy_check")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_prescriptions_quantity_positive")),
        sa.CheckConstraint("refills >= 0", name=op.f("ck_prescriptions_refills_not_negative")),
        sa.CheckConstraint(DISPENSED_WITHIN,
                           name=op.f("ck_prescriptions_dispensed_within_prescribed")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"],
                                name=op.f("fk_prescriptions_patient_id_users")),
        sa.ForeignKeyConstraint(["prescribed_by"], ["users.id"],
                                name=op.f("fk_prescriptions_prescribed_by_users")),
        sa.ForeignKeyConstraint(["prescriber_org_id"], ["organizations.id"],
                                name=op.f("fk_prescriptions_prescriber_org_id_organizations")),
        sa.ForeignKeyConstraint(["pharmacy_org_id"], ["organizations.id"],
                                name=op.f("fk_prescriptions_pharmacy_org_id_organizations")),
        sa.ForeignKeyConstraint(["request_record"], ["records.id"],
                                name=op.f("fk_prescriptions_request_record_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
    )
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.create_index("ix_prescriptions_pharmacy_status_created",
                              ["pharmacy_org_id", "status", "created_at"], unique=False)
        batch_op.create_index("ix_prescriptions_prescriber_created",
                              ["prescriber_org_id", "prescribed_by", "created_at"],
                              unique=False)
        batch_op.create_index("ix_prescriptions_patient_created", ["patient_id", "created_at"],
                              unique=False)

    op.create_table(
        "prescription_dispenses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prescription_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("dispensed_by", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0",
                           name=op.f("ck_prescription_dispenses_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescriptions.id"],
            name=op.f("fk_prescription_dispenses_prescription_id_prescriptions")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_prescription_dispenses_organization_id_organizations")),
        sa.ForeignKeyConstraint(["lot_id"], ["inventory_lots.id"],
                                name=op.f("fk_prescription_dispenses_lot_id_inventory_lots")),
        sa.ForeignKeyConstraint(["dispensed_by"], ["users.id"],
                                name=op.f("fk_prescription_dispenses_dispensed_by_users")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_prescription_dispenses_record_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_dispenses")),
    )
    with op.batch_alter_table("prescription_dispenses", schema=None) as batch_op:
        batch_op.create_index("ix_prescription_dispenses_prescription",
                              ["prescription_id", "created_at"], unique=False)

    # Shared by the prescribing organisation and the pharmacy (the patient reads through the
    # service, in system context, as a patient is of no organisation).
    rls.parties_table("prescriptions", "prescriber_org_id", "pharmacy_org_id")
    # A dispense is the pharmacy's own.
    rls.tenant_table("prescription_dispenses")


def downgrade() -> None:
    with op.batch_alter_table("prescription_dispenses", schema=None) as batch_op:
        batch_op.drop_index("ix_prescription_dispenses_prescription")
    op.drop_table("prescription_dispenses")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_prescriptions_patient_created")
        batch_op.drop_index("ix_prescriptions_prescriber_created")
        batch_op.drop_index("ix_prescriptions_pharmacy_status_created")
    op.drop_table("prescriptions")
