"""consent, audit log and notifications

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_batches",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("anchored_block", sa.Integer(), nullable=True),
        sa.Column("anchored_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_batches")),
    )
    op.create_table(
        "access_log_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accessor_id", sa.Uuid(), nullable=False),
        sa.Column("accessor_uhid", sa.String(length=14), nullable=False),
        sa.Column("accessor_org_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_uhid", sa.String(length=14), nullable=False),
        sa.Column("record", sa.String(length=160), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("grant_id", sa.String(length=66), nullable=True),
        sa.Column("leaf", sa.String(length=66), nullable=False),
        sa.Column("batch", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["accessor_id"], ["users.id"], name=op.f("fk_access_log_entries_accessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_access_log_entries_patient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log_entries")),
    )
    with op.batch_alter_table("access_log_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_log_entries_accessor_org_id"), ["accessor_org_id"], unique=False
        )
        batch_op.create_index("ix_access_log_patient_at", ["patient_uhid", "at"], unique=False)
        batch_op.create_index("ix_access_log_unbatched", ["batch"], unique=False)

    op.create_table(
        "break_glass_accesses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("accessor_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=160), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reason_hash", sa.String(length=66), nullable=False),
        sa.Column("expires_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accessor_id"], ["users.id"], name=op.f("fk_break_glass_accesses_accessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_break_glass_accesses_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_break_glass_accesses_patient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_accesses")),
    )
    with op.batch_alter_table("break_glass_accesses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_break_glass_accesses_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_break_glass_accesses_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_address", sa.String(length=42), nullable=False),
        sa.Column("grantee_org_id", sa.Uuid(), nullable=True),
        sa.Column("grantee_user_id", sa.Uuid(), nullable=True),
        sa.Column("grantee_address", sa.String(length=42), nullable=False),
        sa.Column("scope", sa.String(length=160), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("data_from", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("data_to", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.String(length=66), nullable=False),
        sa.Column("typed_data", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "rejected",
                "revoked",
                "expired",
                name="consentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("status_detail", sa.String(length=200), nullable=True),
        sa.Column("signed_by_custodial_key", sa.Boolean(), nullable=False),
        sa.Column("kfrags_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("verifying_key", sa.String(length=66), nullable=True),
        sa.Column("revocation_nonce", sa.Integer(), nullable=True),
        sa.Column("revocation_signature", sa.String(length=200), nullable=True),
        sa.Column("revoked_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_block", sa.Integer(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grantee_org_id"],
            ["organizations.id"],
            name=op.f("fk_consents_grantee_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["grantee_user_id"], ["users.id"], name=op.f("fk_consents_grantee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_consents_patient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_consents_grant_id")),
        sa.UniqueConstraint("patient_address", "nonce", name="uq_consents_patient_nonce"),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_grantee_org", ["grantee_org_id", "status"], unique=False)
        batch_op.create_index("ix_consents_patient", ["patient_id", "status"], unique=False)

    op.create_table(
        "custodial_wallets",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("keystore_item", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_custodial_wallets_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_custodial_wallets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_custodial_wallets")),
        sa.UniqueConstraint("keystore_item", name=op.f("uq_custodial_wallets_keystore_item")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_custodial_wallets_organization_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_custodial_wallets_user_id")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    # Reached only in system context: the services decide who sees what (patient, grantee
    # organisation, auditor); a tenant session's raw SQL sees none of it.
    for table in (
        "audit_batches",
        "access_log_entries",
        "break_glass_accesses",
        "consents",
        "custodial_wallets",
        "notifications",
    ):
        rls.system_table(table)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))

    op.drop_table("notifications")
    op.drop_table("custodial_wallets")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_patient")
        batch_op.drop_index("ix_consents_grantee_org")

    op.drop_table("consents")
    with op.batch_alter_table("break_glass_accesses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_break_glass_accesses_patient_id"))
        batch_op.drop_index(batch_op.f("ix_break_glass_accesses_organization_id"))

    op.drop_table("break_glass_accesses")
    with op.batch_alter_table("access_log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_unbatched")
        batch_op.drop_index("ix_access_log_patient_at")
        batch_op.drop_index(batch_op.f("ix_access_log_entries_accessor_org_id"))

    op.drop_table("access_log_entries")
    op.drop_table("audit_batches")
