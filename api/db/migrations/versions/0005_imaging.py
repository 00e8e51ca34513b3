"""imaging studies

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imaging_studies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("uploader_id", sa.Uuid(), nullable=False),
        sa.Column("uploader_org_id", sa.Uuid(), nullable=False),
        sa.Column("study_instance_uid", sa.String(length=64), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(),
                  nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_digest", sa.String(length=64), nullable=False),
        sa.Column("archive_cid", sa.String(length=100), nullable=False),
        sa.Column("archive_capsule", sa.LargeBinary(), nullable=False),
        sa.Column("delegating_key", sa.String(length=66), nullable=False),
        sa.Column("archive_size", sa.BigInteger(),
                  nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_imaging_studies_record_id_records")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"],
                                name=op.f("fk_imaging_studies_patient_id_users")),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"],
                                name=op.f("fk_imaging_studies_uploader_id_users")),
        sa.ForeignKeyConstraint(["uploader_org_id"], ["organizations.id"],
                                name=op.f("fk_imaging_studies_uploader_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_studies")),
        sa.UniqueConstraint("record_id", name=op.f("uq_imaging_studies_record_id")),
    )
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.create_index("ix_imaging_studies_patient", ["patient_id"], unique=False)
    # Reached only in system context, like records: the imaging service decides who sees it.
    rls.system_table("imaging_studies")


def downgrade() -> None:
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.drop_index("ix_imaging_studies_patient")
    op.drop_table("imaging_studies")
