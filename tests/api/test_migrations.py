"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL, and go down to an empty database and up again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import models  # noqa: F401 - registers every model on Base.metadata
from api.db.base import Base
from api.db.migrate import downgrade, upgrade
from api.db.session import make_engine
from tests.conftest import DatabaseFactory


def _differences(engine: Any) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrations_match_the_models_and_round_trip(databases: DatabaseFactory) -> None:
    engine = make_engine(databases.new())
    try:
        upgrade(engine)
        assert _differences(engine) == []
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert _differences(engine) == []
    finally:
        engine.dispose()
