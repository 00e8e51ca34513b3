"""Relational storage: SQLAlchemy models, sessions with tenant context, Alembic migrations."""
