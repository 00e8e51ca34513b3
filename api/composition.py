"""The composition root: settings in, every adapter and service collaborator out."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from api.db.session import make_engine, make_sessionmaker
from api.identity.passwords import PasswordHashing, PasswordPolicy
from api.identity.tokens import TokenIssuer
from api.settings import Settings

ReadinessCheck = Callable[[], None]


@dataclass
class Container:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: PasswordHashing
    password_policy: PasswordPolicy
    tokens: TokenIssuer
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()


def _jwt_secret(settings: Settings) -> bytes:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    # Embedded default: a random key kept in the data directory, so tokens survive restarts.
    path = Path(settings.data_dir) / "secrets" / "jwt.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def build_container(settings: Settings) -> Container:
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url, echo=settings.database_echo)
    container = Container(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        passwords=PasswordHashing(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        password_policy=PasswordPolicy(
            min_length=settings.password_min_length, min_score=settings.password_min_score
        ),
        tokens=TokenIssuer(
            secret=_jwt_secret(settings),
            issuer=settings.jwt_issuer,
            access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        ),
    )

    def database_ready() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    container.readiness["database"] = database_ready
    return container
