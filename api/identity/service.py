"""Identity use cases: registration, password and wallet sign-in, token rotation, lockout."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from siwe import SiweMessage, generate_nonce
from siwe import siwe as siwe_errors
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.base import utcnow
from api.errors import (
    BadRequest,
    Conflict,
    Invalid,
    NotFound,
    Unauthenticated,
)
from api.identity.emails import UnacceptableEmail, canonical_email, lookup_email
from api.identity.models import (
    AccountTokenPurpose,
    AuthSession,
    RefreshToken,
    SiweNonce,
    User,
    UserRole,
)
from api.identity.passwords import PasswordHashing, PasswordPolicy, WeakPassword
from api.identity.tokens import TokenIssuer, hash_refresh_token, new_refresh_token
from api.identity.uhid import InvalidUHID, generate_uhid, looks_like_uhid, normalize_uhid
from api.roles.catalog import Role
from api.roles.models import RolePermissionOverride
from api.settings import Settings
from api.tenants.models import Organization

_UHID_ATTEMPTS = 8
# Expired SIWE nonces deleted per nonce issued: bounded work per request, and still more
# than are added, so the table does not grow.
_NONCE_PURGE_BATCH = 100
# One answer for a wrong password, an unknown account and a locked account alike.
_WRONG_CREDENTIALS = "the email/UHID or password is wrong"
_ORGANIZATION_DEACTIVATED = "your organisation is deactivated; ask a system administrator"


class IdentityPorts(Protocol):
    """What sign-in and accounts use, and all they may (api.composition.Container is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def passwords(self) -> PasswordHashing: ...

    @property
    def password_policy(self) -> PasswordPolicy: ...

    @property
    def tokens(self) -> TokenIssuer: ...

    @property
    def siwe_chain_id(self) -> int: ...

    def queue_account_mail(self, session: Session, *, user_id: uuid.UUID,
                           purpose: AccountTokenPurpose, token_id: uuid.UUID) -> None:
        """Queue the email carrying the link of account token `token_id`, in `session`'s
        transaction (the notifications context's email outbox sends it)."""
        ...


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - OAuth2 token type, not a secret


def normalize_email(email: str) -> str:
    """The canonical spelling of an address being registered; Invalid if it cannot be one."""
    try:
        return canonical_email(email)
    except UnacceptableEmail as exc:
        raise Invalid(str(exc)) from None


def _check_password(
    ports: IdentityPorts, password: str, *, email: str, name: str, born: date | None = None
) -> None:
    # Words of the person's own details are the first guesses an attacker tries.
    inputs = [email, *email.split("@")[0].replace(".", " ").split(), name, *name.split()]
    if born is not None:
        inputs += [born.isoformat(), str(born.year), born.strftime("%d%m%Y")]
    try:
        ports.password_policy.check(password, user_inputs=inputs)
    except WeakPassword as exc:
        raise Invalid(str(exc)) from None


def check_new_password(ports: IdentityPorts, password: str, user: User) -> None:
    """A new password for `user` under the registration's strength rules (Invalid if not)."""
    _check_password(ports, password, email=user.email, name=user.full_name,
                    born=user.date_of_birth)


def _new_user(
    session: Session,
    ports: IdentityPorts,
    *,
    email: str,
    password: str | None,
    full_name: str,
    date_of_birth: date | None,
    organization_id: uuid.UUID | None,
    roles: list[Role],
) -> User:
    email = normalize_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("an account with this email already exists")
    if password is not None:
        _check_password(ports, password, email=email, name=full_name, born=date_of_birth)
    for _ in range(_UHID_ATTEMPTS):
        uhid = generate_uhid()
        if session.scalar(select(User.id).where(User.uhid == uhid)) is None:
            break
    else:  # pragma: no cover - 10^13 space; reaching this means the generator is broken
        raise Conflict("could not allocate a UHID; retry")
    user = User(
        uhid=uhid,
        email=email,
        full_name=full_name.strip(),
        date_of_birth=date_of_birth,
        password_hash=ports.passwords.hash(password) if password is not None else None,
        password_changed_at=utcnow() if password is not None else None,
        organization_id=organization_id,
    )
    user.roles = [UserRole(role=r.value, organization_id=organization_id) for r in roles]
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent registration won the race for this email.
        raise Conflict("an account with this email already exists") from None
    return user


def register_patient(
    session: Session, ports: IdentityPorts, *, email: str, password: str, full_name: str,
    date_of_birth: date,
) -> User:
    if date_of_birth > datetime.now(UTC).date():
        raise Invalid("the date of birth is in the future")
    return _new_user(session, ports, email=email, password=password, full_name=full_name,
                     date_of_birth=date_of_birth, organization_id=None, roles=[Role.patient])


def create_staff(
    session: Session, ports: IdentityPorts, *, organization_id: uuid.UUID, email: str,
    password: str, full_name: str, roles: list[Role],
) -> User:
    return _new_user(session, ports, email=email, password=password, full_name=full_name,
                     date_of_birth=None, organization_id=organization_id, roles=roles)


def create_system_admin(session: Session, ports: IdentityPorts, *, email: str, password: str,
                        full_name: str = "System Administrator") -> User:
    return _new_user(session, ports, email=email, password=password, full_name=full_name,
                     date_of_birth=None, organization_id=None, roles=[Role.system_admin])


def create_platform_auditor(session: Session, ports: IdentityPorts, *, email: str,
                            password: str, full_name: str) -> User:
    """An auditor of the whole platform's access log, outside any organisation."""
    return _new_user(session, ports, email=email, password=password, full_name=full_name,
                     date_of_birth=None, organization_id=None, roles=[Role.platform_auditor])


def ensure_bootstrap_admin(session: Session, ports: IdentityPorts) -> User | None:
    """Create the configured system administrator when none exists yet."""
    settings = ports.settings
    if not (settings.bootstrap_admin_email and settings.bootstrap_admin_password):
        return None
    exists = session.scalar(
        select(func.count()).select_from(UserRole).where(UserRole.role == Role.system_admin.value)
    )
    if exists:
        return None
    return create_system_admin(session, ports, email=settings.bootstrap_admin_email,
                               password=settings.bootstrap_admin_password.get_secret_value())


def sign_in_key(username: str) -> str:
    """The account a sign-in names, as stored: a UHID's digits or the canonical email. The
    same for every spelling of it (full-width, grouped), whether or not the account exists."""
    username = unicodedata.normalize("NFKC", username).strip()
    if "@" not in username and looks_like_uhid(username):
        try:
            return normalize_uhid(username)
        except InvalidUHID:
            return username
    return lookup_email(username)


def find_user_by_login(session: Session, username: str) -> User | None:
    """`username` is an email or a UHID (a mistyped UHID is refused, not looked up)."""
    username = unicodedata.normalize("NFKC", username).strip()
    if "@" not in username and looks_like_uhid(username):
        try:
            uhid = normalize_uhid(username)
        except InvalidUHID as exc:
            raise Invalid(str(exc)) from None
        return session.scalar(select(User).where(User.uhid == uhid))
    return session.scalar(select(User).where(User.email == lookup_email(username)))


def get_by_uhid(session: Session, value: str) -> User:
    try:
        uhid = normalize_uhid(value)
    except InvalidUHID as exc:
        raise Invalid(str(exc)) from None
    user = session.scalar(select(User).where(User.uhid == uhid))
    if user is None:
        raise NotFound("no person has this UHID")
    return user


def _lock_delay(ports: IdentityPorts, failures: int) -> int:
    s = ports.settings
    over = failures - s.lockout_threshold
    return int(min(s.lockout_base_seconds * (2 ** over), s.lockout_max_seconds))


def login_with_password(
    session: Session, ports: IdentityPorts, *, username: str, password: str
) -> TokenPair:
    """Locked and unknown accounts answer exactly as a wrong password does, after the same
    argon2 work (against a dummy hash), so neither the answer nor its time tells them apart;
    throttling that answers 429 is the rate limiter's, for known and unknown names alike."""
    user = find_user_by_login(session, username)
    now = utcnow()
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    stored_hash = user.password_hash if user is not None and not locked else None
    ok = ports.passwords.verify(stored_hash, password)
    if user is None or locked or not ok or not user.is_active:
        if user is not None and not locked and not ok:
            user.failed_logins += 1
            if user.failed_logins >= ports.settings.lockout_threshold:
                user.locked_until = now + timedelta(
                    seconds=_lock_delay(ports, user.failed_logins))
            # Commit the failure even though the request fails.
            session.commit()
        raise Unauthenticated(_WRONG_CREDENTIALS)
    if not _organization_active(session, user):
        raise Unauthenticated(_ORGANIZATION_DEACTIVATED)
    user.failed_logins = 0
    user.locked_until = None
    assert user.password_hash is not None
    if ports.passwords.needs_rehash(user.password_hash):
        user.password_hash = ports.passwords.hash(password)
    return _start_session(session, ports, user, method="password")


def _organization_active(session: Session, user: User) -> bool:
    if user.organization_id is None:
        return True
    active = session.scalar(
        select(Organization.is_active).where(Organization.id == user.organization_id))
    return bool(active)


def _start_session(session: Session, ports: IdentityPorts, user: User, *, method: str) -> TokenPair:
    auth = AuthSession(user_id=user.id, method=method)
    session.add(auth)
    session.flush()
    return _issue_pair(session, ports, user.id, auth.id)


def _issue_pair(
    session: Session, ports: IdentityPorts, user_id: uuid.UUID, session_id: uuid.UUID
) -> TokenPair:
    refresh = new_refresh_token()
    session.add(RefreshToken(
        session_id=session_id,
        token_hash=hash_refresh_token(refresh),
        expires_at=utcnow() + timedelta(seconds=ports.settings.refresh_token_ttl_seconds),
    ))
    session.flush()
    return TokenPair(
        access_token=ports.tokens.issue_access(user_id, session_id),
        refresh_token=refresh,
        expires_in=int(ports.tokens.access_ttl.total_seconds()),
    )


def _revoke_session(session: Session, auth: AuthSession, reason: str) -> None:
    if auth.revoked_at is None:
        auth.revoked_at = utcnow()
        auth.revoked_reason = reason


def refresh_tokens(session: Session, ports: IdentityPorts, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one ends the whole family."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(refresh_token))
    )
    if row is None:
        raise Unauthenticated("the refresh token is not valid")
    auth = session.get(AuthSession, row.session_id)
    assert auth is not None
    user = session.get(User, auth.user_id)
    if auth.revoked_at is not None or user is None or not user.is_active:
        raise Unauthenticated("the session has ended; sign in again")
    if not _organization_active(session, user):
        raise Unauthenticated(_ORGANIZATION_DEACTIVATED)
    if row.used_at is not None:
        _revoke_session(session, auth, "refresh_token_reuse")
        session.commit()
        raise Unauthenticated("this refresh token was already used; the session is ended")
    if row.expires_at <= utcnow():
        raise Unauthenticated("the refresh token has expired")
    # Conditional update so two concurrent refreshes cannot both spend the same token.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        _revoke_session(session, auth, "refresh_token_reuse")
        session.commit()
        raise Unauthenticated("this refresh token was already used; the session is ended")
    return _issue_pair(session, ports, user.id, auth.id)


def logout(session: Session, session_id: uuid.UUID) -> None:
    auth = session.get(AuthSession, session_id)
    if auth is not None:
        _revoke_session(session, auth, "logout")


@dataclass(frozen=True)
class SignedIn:
    """The account behind a live sign-in, as every authenticated request reads it."""

    user_id: uuid.UUID
    uhid: str
    email: str
    full_name: str
    date_of_birth: date | None
    wallet_address: str | None
    organization_id: uuid.UUID | None
    organization_name: str | None
    organization_kind: str | None
    roles: tuple[str, ...]
    # The organisation's changes to its roles' permissions: (role, permission, granted).
    overrides: tuple[tuple[str, str, bool], ...] = ()


_SESSION_USER = (  # built once: every authenticated request runs it. Plain rows: one for
    # each of the account's roles and each of the organisation's overrides of that role.
    select(User.id, User.uhid, User.email, User.full_name, User.date_of_birth,
           User.wallet_address, User.organization_id, Organization.name, Organization.kind,
           Organization.is_active, UserRole.role, RolePermissionOverride.permission,
           RolePermissionOverride.granted)
    .join(AuthSession, AuthSession.user_id == User.id)
    .outerjoin(Organization, Organization.id == User.organization_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(RolePermissionOverride,
               and_(RolePermissionOverride.organization_id == User.organization_id,
                    RolePermissionOverride.role == UserRole.role))
    .where(AuthSession.id == bindparam("session"), AuthSession.revoked_at.is_(None),
           User.id == bindparam("user"), User.is_active.is_(True)))


def active_session_user(
    session: Session, user_id: uuid.UUID, session_id: uuid.UUID
) -> SignedIn | None:
    """The account of a live sign-in with its roles and organisation, or None if the
    sign-in has ended or the account is inactive. Members of a deactivated organisation are
    refused (Unauthenticated) on their next request. One query for all of it."""
    rows = session.execute(_SESSION_USER, {"session": session_id, "user": user_id}).all()
    if not rows:
        return None
    (uid, uhid, email, full_name, born, wallet, org_id, org_name, org_kind, org_active,
     *_) = rows[0]
    if org_id is not None and not org_active:
        raise Unauthenticated(_ORGANIZATION_DEACTIVATED)
    return SignedIn(
        user_id=uid, uhid=uhid, email=email, full_name=full_name, date_of_birth=born,
        wallet_address=wallet, organization_id=org_id, organization_name=org_name,
        organization_kind=org_kind.value if org_kind is not None else None,
        roles=tuple(sorted({row.role for row in rows if row.role is not None})),
        overrides=tuple(sorted({(row.role, row.permission, row.granted) for row in rows
                                if row.permission is not None})))


def change_password(
    session: Session, ports: IdentityPorts, *, user_id: uuid.UUID, session_id: uuid.UUID,
    current_password: str, new_password: str,
) -> None:
    user = session.get(User, user_id)
    assert user is not None
    if not ports.passwords.verify(user.password_hash, current_password):
        raise Invalid("the current password is wrong")
    if current_password == new_password:
        raise Invalid("the new password must differ from the current one")
    _check_password(ports, new_password, email=user.email, name=user.full_name)
    user.password_hash = ports.passwords.hash(new_password)
    user.password_changed_at = utcnow()
    # Every other sign-in of this account ends; the current one stays.
    for auth in session.scalars(select(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None),
        AuthSession.id != session_id,
    )):
        _revoke_session(session, auth, "password_changed")


# --- Sign-In with Ethereum (EIP-4361) -------------------------------------------------


@dataclass(frozen=True)
class SiweChallenge:
    nonce: str
    domain: str
    uri: str
    chain_id: int
    issued_at: datetime
    expiration_time: datetime


def issue_siwe_nonce(session: Session, ports: IdentityPorts) -> SiweChallenge:
    now = utcnow()
    expired = select(SiweNonce.id).where(SiweNonce.expires_at <= now).limit(_NONCE_PURGE_BATCH)
    session.execute(delete(SiweNonce).where(SiweNonce.id.in_(expired))
                    .execution_options(synchronize_session=False))
    expires = now + timedelta(seconds=ports.settings.siwe_nonce_ttl_seconds)
    nonce = generate_nonce()
    session.add(SiweNonce(nonce=nonce, issued_at=now, expires_at=expires))
    session.flush()
    settings = ports.settings
    assert settings.public_url is not None
    return SiweChallenge(nonce=nonce, domain=settings.siwe_domain, uri=settings.public_url,
                         chain_id=ports.siwe_chain_id, issued_at=now, expiration_time=expires)


# The lines of an EIP-4361 message, checked in linear time before the siwe package's ABNF
# parser sees the text: that parser takes seconds of CPU on a few KB of crafted text (3 s for
# 4000 characters measured here), which an anonymous caller could send in a loop. The statement
# is bounded to keep a well-formed message's parse short too.
_SIWE_SHAPE = re.compile(
    r"[^\s]{1,255} wants you to sign in with your Ethereum account:\n"
    r"0x[0-9a-fA-F]{40}\n\n"
    r"(?:[^\n]{1,512}\n)?\n"
    r"URI: [^\s]{1,512}\n"
    r"Version: 1\n"
    r"Chain ID: [0-9]{1,20}\n"
    r"Nonce: [A-Za-z0-9]{8,64}\n"
    r"Issued At: [^\n]{1,40}"
    r"(?:\nExpiration Time: [^\n]{1,40})?"
    r"(?:\nNot Before: [^\n]{1,40})?"
    r"(?:\nRequest ID: [^\n]{0,200})?"
    r"(?:\nResources:(?:\n- [^\s]{1,512}){0,16})?")


def siwe_address(message: str) -> str | None:
    """The address an EIP-4361 message names, if the text has that message's shape."""
    if not _SIWE_SHAPE.fullmatch(message):
        return None
    return message.split("\n", 2)[1].lower()


def verify_siwe(session: Session, ports: IdentityPorts, message: str, signature: str) -> str:
    """Check an EIP-4361 message and its signature; spend its nonce; return the address."""
    settings = ports.settings
    if siwe_address(message) is None:
        raise BadRequest("the message does not have the lines of an EIP-4361 (SIWE) message")
    try:
        parsed = SiweMessage.from_message(message)
    except Exception:  # noqa: BLE001 - the parser raises many types on malformed text
        raise BadRequest("the message is not a valid EIP-4361 (SIWE) message") from None
    if parsed.uri.rstrip("/") != (settings.public_url or "").rstrip("/"):
        raise Unauthenticated("the message was made for another URI")
    if parsed.chain_id != ports.siwe_chain_id:
        raise Unauthenticated("the message was made for another chain id")
    try:
        parsed.verify(signature, domain=settings.siwe_domain)
    except siwe_errors.DomainMismatch:
        raise Unauthenticated("the message was made for another domain") from None
    except siwe_errors.ExpiredMessage:
        raise Unauthenticated("the message has expired") from None
    except siwe_errors.NotYetValidMessage:
        raise Unauthenticated("the message is not valid yet") from None
    except siwe_errors.VerificationError:
        raise Unauthenticated("the signature does not match the message") from None
    except (ValueError, TypeError):
        raise Unauthenticated("the signature does not match the message") from None
    now = utcnow()
    spent = session.execute(
        update(SiweNonce)
        .where(SiweNonce.nonce == parsed.nonce, SiweNonce.used_at.is_(None),
               SiweNonce.expires_at > now)
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise Unauthenticated("the nonce is unknown, expired or already used")
    return str(parsed.address)


def login_with_siwe(
    session: Session, ports: IdentityPorts, *, message: str, signature: str
) -> TokenPair:
    address = verify_siwe(session, ports, message, signature)
    user = session.scalar(select(User).where(User.wallet_address == address))
    if user is None or not user.is_active:
        # The nonce stays spent: a replay of this message must not work later either.
        session.commit()
        raise Unauthenticated("no account is linked to this wallet address")
    if not _organization_active(session, user):
        session.commit()
        raise Unauthenticated(_ORGANIZATION_DEACTIVATED)
    return _start_session(session, ports, user, method="siwe")


def link_wallet(
    session: Session, ports: IdentityPorts, *, user_id: uuid.UUID, message: str, signature: str
) -> str:
    address = verify_siwe(session, ports, message, signature)
    owner = session.scalar(select(User).where(User.wallet_address == address))
    if owner is not None and owner.id != user_id:
        session.commit()
        raise Conflict("this wallet address belongs to another account")
    user = session.get(User, user_id)
    assert user is not None
    user.wallet_address = address
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this wallet address belongs to another account") from None
    return address
