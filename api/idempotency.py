"""Idempotency keys, as payment APIs take them (Stripe's `Idempotency-Key` header): the client
sends a key of its own per operation and the same key again to retry it; the first result is
answered and nothing is done twice. The database decides between racing retries (a UNIQUE
key per organisation); the hash of what was first asked tells a retry from a different
request that reuses a key (refused)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import BadRequest

T = TypeVar("T")

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"
# Set on an answer that repeats the first result of a key.
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=300,
    description="A key of your own per operation (a UUID): a retry with the same key answers "
                "the first result and does nothing again")]


def checked_key(value: str | None, *, required: bool, what: str = "payment") -> str | None:
    """The header's key, checked (400 when malformed, or missing where `required`)."""
    if value is None:
        if required:
            raise BadRequest(f"an Idempotency-Key header is required (a new random key, such "
                             f"as a UUID, per {what}; the same key to retry it)")
        return None
    if not re.fullmatch(KEY_PATTERN, value):
        raise BadRequest("the Idempotency-Key is 1 to 200 letters, digits or . _ : -")
    return value


def request_hash(**fields: Any) -> str:
    """What a request asked, as a digest: a retry must ask the same."""
    text = json.dumps({k: str(v) if v is not None else None for k, v in fields.items()},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def flush_or_replay(session: Session, first_result: Callable[[], T | None]) -> T | None:
    """Flush the unit of work that holds a new keyed row. None when it was written; when the
    database refused it because a request with the same key committed at the same moment,
    the unit of work is rolled back (nothing of this request is kept) and that request's
    result is returned. Any other refusal is raised."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        first = first_result()
        if first is None:
            raise
        return first
    return None
