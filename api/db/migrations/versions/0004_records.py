"""encrypted records and Umbral public keys

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "umbral_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("umbral_public_key", sa.String(length=66), nullable=False),
        sa.Column("verifying_key", sa.String(length=66), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_umbral_keys_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_umbral_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_umbral_keys")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_umbral_keys_organization_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_umbral_keys_user_id")),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_org_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("cid", sa.String(length=100), nullable=False),
        sa.Column("capsule", sa.LargeBinary(), nullable=False),
        sa.Column("delegating_key", sa.String(length=66), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lineage_id", sa.Uuid(), nullable=False),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_records_author_id_users")),
        sa.ForeignKeyConstraint(["author_org_id"], ["organizations.id"],
                                name=op.f("fk_records_author_org_id_organizations")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"],
                                name=op.f("fk_records_patient_id_users")),
        sa.ForeignKeyConstraint(["previous_id"], ["records.id"],
                                name=op.f("fk_records_previous_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_records_previous_id")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_lineage", ["lineage_id", "version"], unique=False)
        batch_op.create_index("ix_records_patient_category", ["patient_id", "category"],
                              unique=False)

    # Reached only in system context: the records service decides who sees what (the
    # patient, grantees through consent); a tenant session's raw SQL sees none of it.
    for table in ("umbral_keys", "records"):
        rls.system_table(table)


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_patient_category")
        batch_op.drop_index("ix_records_lineage")
    op.drop_table("records")
    op.drop_table("umbral_keys")
