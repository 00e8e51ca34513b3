"""scheduling: practitioner profiles, resources, schedules and exceptions, appointments,
encounters

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "practitioner_profiles",
    "resources",
    "schedules",
    "schedule_exceptions",
    "appointments",
    "encounters",
)
ACTIVE = "status IN ('pending', 'booked', 'arrived')"
ONE_OWNER = "(practitioner_id IS NULL) <> (resource_id IS NULL)"


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_resources_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resources_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "practitioner_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("specialty_code", sa.String(length=18), nullable=True),
        sa.Column("specialty", sa.String(length=200), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("fee_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("fee_currency", sa.String(length=3), nullable=True),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_practitioner_profiles_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_practitioner_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_practitioner_profiles")),
    )
    with op.batch_alter_table("practitioner_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practitioner_profiles_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("weekly_hours", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ONE_OWNER, name=op.f("ck_schedules_one_owner")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedules_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_schedules_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["users.id"], name=op.f("fk_schedules_practitioner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_schedules_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedules_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedules_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_schedules_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_record", sa.Uuid(), nullable=True),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=32), nullable=True),
        sa.Column("reschedule_reason", sa.String(length=32), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("needs_rebooking", sa.Boolean(), nullable=False),
        sa.Column("follow_up_of", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ONE_OWNER, name=op.f("ck_appointments_one_owner")),
        sa.ForeignKeyConstraint(
            ["booked_by"], ["users.id"], name=op.f("fk_appointments_booked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_appointments_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_appointments_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_appointments_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["users.id"], name=op.f("fk_appointments_practitioner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_appointments_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], name=op.f("fk_appointments_schedule_id_schedules")
        ),
        sa.ForeignKeyConstraint(
            ["reason_record"], ["records.id"], name=op.f("fk_appointments_reason_record_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointments_organization_start", ["organization_id", "start_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_patient_start", ["patient_id", "start_at"], unique=False
        )
        batch_op.create_index(
            "uq_appointments_active_resource_slot",
            ["resource_id", "start_at"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.create_index(
            "uq_appointments_active_slot",
            ["practitioner_id", "start_at"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )

    op.create_table(
        "schedule_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedule_exceptions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_schedule_exceptions_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_exceptions_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_exceptions")),
    )
    with op.batch_alter_table("schedule_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_exceptions_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedule_exceptions_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "encounters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_encounters_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_encounters_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_encounters_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["users.id"], name=op.f("fk_encounters_practitioner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounters")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_encounters_appointment_id")),
    )
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_encounters_organization_id"), ["organization_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        # Besides the unique indexes (same practitioner or resource, same start; both
        # backends): no two active appointments of a practitioner, or of a resource, overlap
        # in time at all, even where schedules of different slot lengths meet. btree_gist
        # gives the `=` on uuid inside a GiST index; it is a trusted extension (PostgreSQL
        # 13+), so a database owner may create it without superuser rights.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for owner in ("practitioner", "resource"):
            op.execute(
                f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{owner}_overlap "
                f"EXCLUDE USING gist ({owner}_id WITH =, "
                f"tstzrange(start_at, end_at) WITH &&) WHERE ({ACTIVE})"
            )
    # An organisation's own rows: its schedules and resources, its appointments and visits.
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for owner in ("practitioner", "resource"):
            op.execute(f"ALTER TABLE appointments DROP CONSTRAINT ex_appointments_{owner}_overlap")
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounters_organization_id"))

    op.drop_table("encounters")
    with op.batch_alter_table("schedule_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_exceptions_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_exceptions_organization_id"))

    op.drop_table("schedule_exceptions")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_appointments_active_slot",
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.drop_index(
            "uq_appointments_active_resource_slot",
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.drop_index("ix_appointments_patient_start")
        batch_op.drop_index("ix_appointments_organization_start")

    op.drop_table("appointments")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_resource_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_organization_id"))

    op.drop_table("schedules")
    with op.batch_alter_table("practitioner_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practitioner_profiles_organization_id"))

    op.drop_table("practitioner_profiles")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_organization_id"))

    op.drop_table("resources")
