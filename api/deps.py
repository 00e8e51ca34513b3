"""Request dependencies: the container, the authenticated principal, permission checks and
tenant-scoped database sessions. Every route declares exactly one access requirement."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.composition import Container
from api.db.session import (
    SYSTEM,
    TENANT_KEY,
    TenantContext,
    session_scope,
    session_scope_off_loop,
)
from api.errors import Forbidden, Unauthenticated
from api.identity import service as identity_service
from api.identity.tokens import InvalidToken
from api.roles.catalog import Role
from api.roles.service import permissions_of

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# Dependencies that do no I/O are coroutines: FastAPI runs a plain `def` dependency in the
# thread pool, and each such hop costs more than the work itself.
async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


@dataclass(frozen=True)
class Profile:
    """What the signed-in person sees of their account, read with the sign-in check."""

    full_name: str
    date_of_birth: date | None
    wallet_address: str | None
    organization_name: str | None = None
    organization_kind: str | None = None


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    uhid: str
    email: str
    organization_id: uuid.UUID | None
    roles: frozenset[Role]
    permissions: frozenset[str]
    session_id: uuid.UUID
    # The account as the request's one session query loaded it (GET /me needs no other).
    profile: Profile | None = None

    @property
    def is_system_admin(self) -> bool:
        return Role.system_admin in self.roles

    @property
    def tenant(self) -> TenantContext:
        if self.is_system_admin:
            return SYSTEM
        return TenantContext(organization_id=self.organization_id)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


async def system_db(container: ContainerDep) -> AsyncIterator[Session]:
    """The request's unit of work in system context: the sign-in check of `authenticate`
    runs in it and, for the routes api/system_sessions.py lists, the route's own work (one
    connection and one transaction for both). A coroutine: made with no thread-pool hop."""
    async with session_scope_off_loop(container.sessions, SYSTEM) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees a success
# that a failed commit would undo (the default "request" scope exits after sending).
SystemDB = Annotated[Session, Depends(system_db, scope="function")]


def principal_of(session: Session, container: Container, token: str | None) -> Principal:
    """Who presents `token`: a live session of an active account (of an active
    organisation), read with its roles, permissions and profile on `session` (system)."""
    if not token:
        raise Unauthenticated()
    try:
        claims = container.tokens.decode_access(token)
    except InvalidToken as exc:
        raise Unauthenticated(str(exc)) from None
    found = identity_service.active_session_user(session, claims.user_id, claims.session_id)
    if found is None:
        raise Unauthenticated("the session has ended; sign in again")
    roles = frozenset(Role(r) for r in found.roles)
    return Principal(
        user_id=found.user_id,
        uhid=found.uhid,
        email=found.email,
        organization_id=found.organization_id,
        roles=roles,
        permissions=permissions_of(roles, found.overrides),
        session_id=claims.session_id,
        profile=Profile(
            full_name=found.full_name, date_of_birth=found.date_of_birth,
            wallet_address=found.wallet_address,
            organization_name=found.organization_name,
            organization_kind=found.organization_kind),
    )


def authenticate(
    container: ContainerDep, token: Annotated[str | None, Depends(oauth2_scheme)],
    session: SystemDB,
) -> Principal:
    """The request's caller, checked in the request's system unit of work (a route that
    uses no session of its own ends it without a thread-pool call when it only read on
    SQLite: see api.db.session.session_scope_off_loop)."""
    return principal_of(session, container, token)


def authenticate_apart(container: Container, token: str | None) -> Principal:
    """The same check outside a request's dependencies (api.middleware.UploadGate, before
    the body is read), in a unit of work of its own."""
    with session_scope(container.sessions, SYSTEM) as session:
        return principal_of(session, container, token)


class RequirePermission:
    """Route dependency: the caller is signed in and holds `permission` in its tenant."""

    def __init__(self, permission: str) -> None:
        from api.roles.catalog import PERMISSIONS

        if permission not in PERMISSIONS:
            raise ValueError(f"undeclared permission {permission!r}")
        self.permission = permission

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]
                       ) -> Principal:
        if not principal.can(self.permission):
            raise Forbidden(f"your role does not allow {self.permission}")
        return principal


class RequireAuthenticated:
    """Route dependency for self-service routes (one's own profile, sign-out)."""

    permission = "authenticated"

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]
                       ) -> Principal:
        return principal


class PublicRoute:
    """Route dependency that declares a route open to anonymous callers."""

    permission = "public"

    async def __call__(self) -> None:
        return None


def require(permission: str) -> RequirePermission:
    return RequirePermission(permission)


authenticated = RequireAuthenticated()
public = PublicRoute()


def tenant_db(
    container: ContainerDep, principal: Annotated[Principal, Depends(authenticate)],
    signed_in: SystemDB,
) -> Iterator[Session]:
    """A unit of work in the caller's tenant (row-level security applies on PostgreSQL).
    The sign-in check's system unit of work ends first: it has done its part."""
    signed_in.commit()
    with session_scope(container.sessions, principal.tenant) as session:
        yield session


def current_tenant(session: Session) -> TenantContext:
    ctx: TenantContext = session.info[TENANT_KEY]
    return ctx


TenantDB = Annotated[Session, Depends(tenant_db, scope="function")]
