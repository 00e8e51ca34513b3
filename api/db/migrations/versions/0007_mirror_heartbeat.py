"""the indexer's heartbeat: when it last found the mirror at the chain's head

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chain_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caught_up_at", api.db.base.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chain_cursors", schema=None) as batch_op:
        batch_op.drop_column("caught_up_at")
