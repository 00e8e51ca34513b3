"""Email confirmation and password reset: single-use, expiring links mailed through the email
outbox. Only a token's hash is stored; asking for a reset answers the same whether or not the
address has an account."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.base import utcnow
from api.errors import Conflict, Invalid
from api.identity.emails import lookup_email
from api.identity.models import AccountToken, AccountTokenPurpose, AuthSession, User
from api.identity.service import IdentityPorts, check_new_password
from api.identity.service import register_patient as register
from api.identity.tokens import hash_account_token

_LINK_NOT_VALID = "the link is not valid, has expired or was already used; ask for a new one"


def _issue(session: Session, ports: IdentityPorts, user: User, kind: AccountTokenPurpose,
           ttl: timedelta) -> None:
    """A new token of `kind` for `user` (earlier unused ones of that kind stop working) and
    its email, queued in the caller's transaction."""
    now = utcnow()
    session.execute(update(AccountToken)
                    .where(AccountToken.user_id == user.id,
                           AccountToken.purpose == kind.value,
                           AccountToken.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    token_id = uuid.uuid4()
    session.add(AccountToken(id=token_id, user_id=user.id, purpose=kind.value,
                             token_hash=hash_account_token(ports.tokens.account_token(token_id)),
                             created_at=now, expires_at=now + ttl))
    session.flush()
    ports.queue_account_mail(session, user_id=user.id, purpose=kind, token_id=token_id)


def register_patient(session: Session, ports: IdentityPorts, *, email: str, password: str,
                     full_name: str, date_of_birth: date) -> User:
    """api.identity.service.register_patient, and a link to confirm the address mailed."""
    user = register(session, ports, email=email, password=password, full_name=full_name,
                    date_of_birth=date_of_birth)
    request_email_confirmation(session, ports, user)
    return user


def request_email_confirmation(session: Session, ports: IdentityPorts, user: User) -> bool:
    """Mail `user` a confirmation link; False when the address is already confirmed."""
    if user.email_confirmed_at is not None:
        return False
    _issue(session, ports, user, AccountTokenPurpose.email_confirmation,
           timedelta(minutes=ports.settings.email_confirmation_ttl_minutes))
    return True


def resend_email_confirmation(session: Session, ports: IdentityPorts, *,
                              user_id: uuid.UUID) -> None:
    """A new confirmation link for the account (earlier ones stop working); Conflict when
    its address is already confirmed."""
    user = session.get(User, user_id)
    assert user is not None  # the caller is signed in as this account
    if not request_email_confirmation(session, ports, user):
        raise Conflict("the email address is already confirmed")


def _spend(session: Session, ports: IdentityPorts, token: str,
           kind: AccountTokenPurpose) -> User:
    """The account a live token of `kind` is for; the token is spent (conditionally, so two
    concurrent uses cannot both succeed)."""
    if not token or len(token) > 100:
        raise Invalid(_LINK_NOT_VALID)
    now = utcnow()
    row = session.scalar(select(AccountToken).where(
        AccountToken.token_hash == hash_account_token(token),
        AccountToken.purpose == kind.value))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Invalid(_LINK_NOT_VALID)
    spent = session.execute(update(AccountToken)
                            .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
                            .values(used_at=now).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid(_LINK_NOT_VALID)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Invalid(_LINK_NOT_VALID)
    return user


def confirm_email(session: Session, ports: IdentityPorts, *, token: str) -> None:
    user = _spend(session, ports, token, AccountTokenPurpose.email_confirmation)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()


def request_password_reset(session: Session, ports: IdentityPorts, *, email: str) -> None:
    """Mail a reset link to the account with this address, if there is one active. The
    caller answers the same either way (and the rate limits count both alike)."""
    user = session.scalar(select(User).where(User.email == lookup_email(email)))
    if user is None or not user.is_active or user.password_hash is None:
        return
    _issue(session, ports, user, AccountTokenPurpose.password_reset,
           timedelta(minutes=ports.settings.password_reset_ttl_minutes))


def reset_password(session: Session, ports: IdentityPorts, *, token: str,
                   new_password: str) -> None:
    """Set the new password (the registration's strength rules), spend the link, end every
    sign-in of the account and lift a lockout. Opening the mailed link also proves the
    address, so it is confirmed."""
    user = _spend(session, ports, token, AccountTokenPurpose.password_reset)
    check_new_password(ports, new_password, user)
    now = utcnow()
    user.password_hash = ports.passwords.hash(new_password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    user.email_confirmed_at = user.email_confirmed_at or now
    session.execute(update(AuthSession)
                    .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason="password_reset")
                    .execution_options(synchronize_session=False))
