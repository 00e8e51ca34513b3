"""Insurance: patients' coverages, and claims with their items.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("insurer_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("copay_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("copay_currency", sa.String(length=3), nullable=False),
        sa.Column("coinsurance", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "coinsurance >= 0 AND coinsurance <= 1", name=op.f("ck_coverages_coinsurance_range")
        ),
        sa.CheckConstraint("copay_amount >= 0", name=op.f("ck_coverages_copay_not_negative")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_coverages_valid_period")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_coverages_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["insurer_id"], ["organizations.id"], name=op.f("fk_coverages_insurer_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_coverages_patient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverages")),
    )
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coverages_insurer_member", ["insurer_id", "member_id"], unique=False
        )
        batch_op.create_index("ix_coverages_patient", ["patient_id"], unique=False)

    op.create_table(
        "claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("insurer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("coverage_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("approved_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("adjudicated_by", sa.Uuid(), nullable=True),
        sa.Column("adjudicated_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'submitted') = (adjudicated_at IS NULL)",
            name=op.f("ck_claims_adjudicated_once"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'partial', 'denied')",
            name=op.f("ck_claims_status"),
        ),
        sa.CheckConstraint(
            "approved_amount IS NULL OR (approved_amount >= 0 AND approved_amount <= total)",
            name=op.f("ck_claims_approved_within_total"),
        ),
        sa.ForeignKeyConstraint(
            ["adjudicated_by"], ["users.id"], name=op.f("fk_claims_adjudicated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverages.id"], name=op.f("fk_claims_coverage_id_coverages")
        ),
        sa.ForeignKeyConstraint(
            ["insurer_id"], ["organizations.id"], name=op.f("fk_claims_insurer_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_claims_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_claims_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_claims_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_claims_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claims_insurer_status", ["insurer_id", "status", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "ix_claims_org_status", ["organization_id", "status", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "uq_claims_one_in_play_per_invoice",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("status != 'denied'"),
            postgresql_where=sa.text("status != 'denied'"),
        )

    op.create_table(
        "claim_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("insurer_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("approved_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "approved_amount IS NULL OR (approved_amount >= 0 AND approved_amount <= amount)",
            name=op.f("ck_claim_items_approved_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["charge_id"], ["charges.id"], name=op.f("fk_claim_items_charge_id_charges")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_items_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["insurer_id"],
            ["organizations.id"],
            name=op.f("fk_claim_items_insurer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_claim_items_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_claim_items_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_items")),
    )
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.create_index("ix_claim_items_claim", ["claim_id", "sequence"], unique=True)
    # A patient's coverage: system only (the insurance service decides who sees it).
    rls.system_table("coverages")
    # A claim and its items: the billing organisation's and the insurer's only.
    rls.parties_table("claims", "organization_id", "insurer_id")
    rls.parties_table("claim_items", "organization_id", "insurer_id")


def downgrade() -> None:
    with op.batch_alter_table("claim_items", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_items_claim")

    op.drop_table("claim_items")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_claims_one_in_play_per_invoice",
            sqlite_where=sa.text("status != 'denied'"),
            postgresql_where=sa.text("status != 'denied'"),
        )
        batch_op.drop_index("ix_claims_org_status")
        batch_op.drop_index("ix_claims_insurer_status")

    op.drop_table("claims")
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.drop_index("ix_coverages_patient")
        batch_op.drop_index("ix_coverages_insurer_member")

    op.drop_table("coverages")
