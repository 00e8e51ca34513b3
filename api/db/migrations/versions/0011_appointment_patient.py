"""Appointments name their patient (UHID and name, as at booking) for the clinic's staff.

The clinic reads its appointments in its tenant session, where row-level security hides the
patient's account (patients belong to no organisation): the booking keeps what the staff
need to know who is coming, operational data visible only to the organisation involved and
the patient. Appointments booked before this revision keep nulls.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("patient_uhid", sa.String(14), nullable=True))
        batch.add_column(sa.Column("patient_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("patient_name")
        batch.drop_column("patient_uhid")
