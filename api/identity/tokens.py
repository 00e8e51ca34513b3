"""Access tokens (short-lived JWT, HS256) and opaque refresh tokens (stored as SHA-256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

AUDIENCE = "ohms-api"


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


class TokenIssuer:
    def __init__(self, *, secret: bytes, issuer: str, access_ttl: timedelta) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        self._secret = secret
        self._issuer = issuer
        self.access_ttl = access_ttl

    def issue_access(self, user_id: uuid.UUID, session_id: uuid.UUID) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now,
            "exp": now + self.access_ttl,
            "iss": self._issuer,
            "aud": AUDIENCE,
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def account_token(self, token_id: uuid.UUID) -> str:
        """The secret of a mailed single-use link (api.identity.models.AccountToken): derived
        from the row's id with the service's key, so the database keeps only its hash and
        the email is made when it is sent."""
        digest = hmac.new(self._secret, b"ohms-account-token:" + token_id.bytes,
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def decode_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("the access token is not valid") from exc
        if claims.get("typ") != "access":
            raise InvalidToken("the access token is not valid")
        try:
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except (ValueError, TypeError) as exc:
            raise InvalidToken("the access token is not valid") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_account_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
