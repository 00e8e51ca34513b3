"""an organisation's Umbral keys are its own rows: written through its tenant session

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

from api.db import rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Until now system-only: a person's keys stay so (no organisation matches a NULL
    # organization_id), an organisation's become reachable by that organisation.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY system_only ON umbral_keys")
    rls.tenant_table("umbral_keys", enable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY tenant_isolation ON umbral_keys")
    rls.system_table("umbral_keys", enable=False)
