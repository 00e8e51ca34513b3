"""streamed imaging archives, upload progress, series index, report links

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Studies filed before this revision hold the whole archive as one Umbral ciphertext.
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_format", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("archive_key_ciphertext", sa.LargeBinary(),
                                      nullable=True))
        batch_op.add_column(sa.Column("series_index", sa.Text(), nullable=True))
    op.create_table(
        "imaging_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["imaging_studies.id"],
                                name=op.f("fk_imaging_reports_study_id_imaging_studies")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_imaging_reports_record_id_records")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_imaging_reports_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_reports")),
        sa.UniqueConstraint("record_id", name=op.f("uq_imaging_reports_record_id")),
    )
    with op.batch_alter_table("imaging_reports", schema=None) as batch_op:
        batch_op.create_index("ix_imaging_reports_study", ["study_id"], unique=False)
    # Like imaging_studies: reached in system context; the imaging service decides who sees.
    rls.system_table("imaging_reports")
    op.create_table(
        "imaging_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("uploader_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("instances_done", sa.Integer(), nullable=False),
        sa.Column("instances_total", sa.Integer(), nullable=True),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=True),
        sa.Column("study_id", sa.Uuid(), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_imaging_uploads_organization_id_organizations")),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"],
                                name=op.f("fk_imaging_uploads_uploader_id_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"],
                                name=op.f("fk_imaging_uploads_patient_id_users")),
        sa.ForeignKeyConstraint(["study_id"], ["imaging_studies.id"],
                                name=op.f("fk_imaging_uploads_study_id_imaging_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_uploads")),
        sa.UniqueConstraint("organization_id", "upload_id",
                            name=op.f("uq_imaging_uploads_organization_id")),
    )
    rls.tenant_table("imaging_uploads")


def downgrade() -> None:
    # Dropping the sealed data keys would make every streamed archive unopenable.
    streamed = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM imaging_studies WHERE archive_format = 2")).scalar()
    if streamed:
        raise RuntimeError(f"{streamed} imaging studies have streamed archives whose data keys "
                           "only this revision stores; refusing to downgrade")
    op.drop_table("imaging_uploads")
    with op.batch_alter_table("imaging_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_imaging_reports_study")
    op.drop_table("imaging_reports")
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.drop_column("series_index")
        batch_op.drop_column("archive_key_ciphertext")
        batch_op.drop_column("archive_format")
