"""HTTP routes of identity: registration, sign-in (password, SIWE), tokens, one's profile, and
an organisation's staff accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import (
    ContainerDep,
    Principal,
    SystemDB,
    TenantDB,
    authenticated,
    public,
    require,
)
from api.errors import Invalid, NotFound, Unauthenticated, problem_responses
from api.identity import members, portal_session, recovery, service
from api.identity.models import User
from api.identity.schemas import (
    Accepted,
    EmailConfirmation,
    Me,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    OrganizationRef,
    PasswordChange,
    PasswordReset,
    PasswordResetRequest,
    PatientSummary,
    RefreshRequest,
    Registered,
    RegisterPatient,
    SiweNonceResponse,
    SiweSignedMessage,
    TokenResponse,
    WalletLinked,
)
from api.identity.uhid import format_uhid
from api.paging import Page
from api.roles.catalog import Role
from api.tenants import service as tenants
from api.tenants.models import Organization

router = APIRouter(tags=["identity"])

AUTH_ERRORS = problem_responses(400, 401, 422, 429)
MEMBER_ERRORS = problem_responses(401, 403, 404, 422)


def _client_address(request: Request) -> str:
    # The peer address; behind a proxy, uvicorn's --forwarded-allow-ips makes it the client's.
    return request.client.host if request.client is not None else "unknown"


def _tokens(pair: service.TokenPair, request: Request, response: Response,
            container: ContainerDep) -> TokenResponse:
    """The new pair; for a portal session the refresh token goes into its httpOnly cookie."""
    refresh_token: str | None = pair.refresh_token
    if portal_session.wants_cookie(request):
        portal_session.set_refresh_cookie(
            response, request, pair.refresh_token,
            max_age=container.settings.refresh_token_ttl_seconds)
        refresh_token = None
    return TokenResponse(access_token=pair.access_token, refresh_token=refresh_token,
                         token_type=pair.token_type, expires_in=pair.expires_in)


@router.post("/auth/register", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(409, 422, 429), dependencies=[Depends(public)])
def register(
    body: RegisterPatient, request: Request, db: SystemDB, container: ContainerDep
) -> Registered:
    """Patient self-registration; the new account gets its UHID, and a link to confirm its
    address is mailed (until then it gets no notification emails; signing in works)."""
    container.attempts.registration(client=_client_address(request))
    user = recovery.register_patient(
        db, container, email=body.email, password=body.password, full_name=body.full_name,
        date_of_birth=body.date_of_birth,
    )
    return Registered.of(user.id, user.uhid)


@router.post("/auth/token", responses=AUTH_ERRORS, dependencies=[Depends(public)])
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, response: Response,
    db: SystemDB, container: ContainerDep,
) -> TokenResponse:
    """OAuth2 password flow; `username` is the email or the UHID."""
    if len(form.password) > 128 or len(form.username) > 320:
        raise Invalid("the username or password is too long")
    container.attempts.sign_in(client=_client_address(request),
                               account=service.sign_in_key(form.username))
    return _tokens(service.login_with_password(
        db, container, username=form.username, password=form.password),
        request, response, container)


@router.post("/auth/refresh", responses=AUTH_ERRORS, dependencies=[Depends(public)])
def refresh(
    request: Request, response: Response, db: SystemDB, container: ContainerDep,
    body: RefreshRequest | None = None,
) -> TokenResponse:
    """Exchange a refresh token for a new pair; each refresh token works once. The portal
    sends none in the body: its session's cookie is used (same origin only)."""
    if body is not None:
        token = body.refresh_token
    else:
        assert container.settings.public_url is not None
        token = portal_session.cookie_refresh_token(request, container.settings.public_url)
    try:
        pair = service.refresh_tokens(db, container, token)
    except Unauthenticated as exc:
        if body is None:  # the cookie no longer works: the refusal also removes it
            raise Unauthenticated(exc.detail, headers={
                "Set-Cookie": portal_session.cleared_cookie(request)}) from exc
        raise
    return _tokens(pair, request, response, container)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT,
             responses=problem_responses(401))
def logout(
    principal: Annotated[Principal, Depends(authenticated)], request: Request, db: SystemDB
) -> Response:
    """End this sign-in: its access and refresh tokens stop working (and a portal session's
    cookie is removed)."""
    service.logout(db, principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if portal_session.wants_cookie(request):
        portal_session.clear_refresh_cookie(response, request)
    return response


RESET_ANSWER = ("If an account has this address, a link to reset its password is on its way. "
                "The link works once and expires.")


@router.post("/auth/password-reset", status_code=status.HTTP_202_ACCEPTED,
             responses=problem_responses(422, 429), dependencies=[Depends(public)])
def request_password_reset(
    body: PasswordResetRequest, request: Request, db: SystemDB, container: ContainerDep
) -> Accepted:
    """Mail a single-use, expiring link to reset the password. The same answer whether or
    not the address has an account; limited per client and per address."""
    container.attempts.account_mail(client=_client_address(request),
                                    account=service.sign_in_key(body.email))
    recovery.request_password_reset(db, container, email=body.email)
    return Accepted(detail=RESET_ANSWER)


@router.post("/auth/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT,
             responses=problem_responses(422), dependencies=[Depends(public)])
def reset_password(body: PasswordReset, db: SystemDB, container: ContainerDep) -> Response:
    """Set a new password with the mailed link's token (once, before it expires); every
    sign-in of the account ends."""
    recovery.reset_password(db, container, token=body.token, new_password=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/email/confirm", status_code=status.HTTP_204_NO_CONTENT,
             responses=problem_responses(422), dependencies=[Depends(public)])
def confirm_email(body: EmailConfirmation, db: SystemDB,
                  container: ContainerDep) -> Response:
    """Confirm the account's address with the mailed link's token (once, before it
    expires): notification emails may then be sent to it."""
    recovery.confirm_email(db, container, token=body.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/email/confirmation", status_code=status.HTTP_202_ACCEPTED,
             responses=problem_responses(401, 409, 429))
def request_email_confirmation(
    principal: Annotated[Principal, Depends(authenticated)], request: Request, db: SystemDB,
    container: ContainerDep,
) -> Accepted:
    """Mail a new link to confirm one's address (earlier links stop working)."""
    container.attempts.account_mail(client=_client_address(request),
                                    account=f"confirm:{principal.user_id}")
    recovery.resend_email_confirmation(db, container, user_id=principal.user_id)
    return Accepted(detail="A link to confirm your email address is on its way.")


@router.post("/auth/siwe/nonce", responses=problem_responses(429),
             dependencies=[Depends(public)])
def siwe_nonce(request: Request, db: SystemDB, container: ContainerDep) -> SiweNonceResponse:
    """What a wallet needs to build the EIP-4361 message; the nonce works once."""
    container.attempts.siwe_nonce(client=_client_address(request))
    c = service.issue_siwe_nonce(db, container)
    return SiweNonceResponse(nonce=c.nonce, domain=c.domain, uri=c.uri, chain_id=c.chain_id,
                             issued_at=c.issued_at, expiration_time=c.expiration_time)


@router.post("/auth/siwe/verify", responses=AUTH_ERRORS, dependencies=[Depends(public)])
def siwe_verify(
    body: SiweSignedMessage, request: Request, response: Response, db: SystemDB,
    container: ContainerDep,
) -> TokenResponse:
    """Sign in with a wallet: the tokens of the account the address is linked to."""
    # A sign-in like the password one: the same limits, per client and per address named.
    container.attempts.sign_in(client=_client_address(request),
                               account=service.siwe_address(body.message) or "siwe:malformed")
    return _tokens(service.login_with_siwe(db, container, message=body.message,
                                           signature=body.signature),
                   request, response, container)


@router.get("/me", responses=problem_responses(401))
async def me(principal: Annotated[Principal, Depends(authenticated)]) -> Me:
    """The signed-in account: UHID, roles, effective permissions, organisation (as the
    request's sign-in check read them: no other query)."""
    profile = principal.profile
    assert profile is not None  # authenticate() always reads it
    organization = None
    if principal.organization_id is not None:
        assert profile.organization_name is not None and profile.organization_kind is not None
        organization = OrganizationRef(id=principal.organization_id,
                                       name=profile.organization_name,
                                       kind=profile.organization_kind)
    return Me(
        id=principal.user_id, uhid=principal.uhid, uhid_display=format_uhid(principal.uhid),
        email=principal.email, full_name=profile.full_name,
        date_of_birth=profile.date_of_birth, roles=sorted(r.value for r in principal.roles),
        permissions=sorted(principal.permissions), organization=organization,
        wallet_address=profile.wallet_address,
    )


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT,
             responses=problem_responses(401, 422))
def change_password(
    body: PasswordChange, principal: Annotated[Principal, Depends(authenticated)],
    db: SystemDB, container: ContainerDep,
) -> Response:
    """Change one's password; every other sign-in of the account ends."""
    service.change_password(db, container, user_id=principal.user_id,
                            session_id=principal.session_id,
                            current_password=body.current_password,
                            new_password=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/wallet", responses=problem_responses(400, 401, 409, 422))
def link_wallet(
    body: SiweSignedMessage, principal: Annotated[Principal, Depends(authenticated)],
    db: SystemDB, container: ContainerDep,
) -> WalletLinked:
    """Link a wallet address (proved by a SIWE message) to the signed-in account."""
    address = service.link_wallet(db, container, user_id=principal.user_id,
                                  message=body.message, signature=body.signature)
    return WalletLinked(address=address)


@router.get("/patients/{uhid}", responses=problem_responses(401, 403, 404, 422))
def patient_by_uhid(
    uhid: str, principal: Annotated[Principal, Depends(require("patient:read"))], db: SystemDB,
) -> PatientSummary:
    """Demographics of a patient, for registration desks and clinicians."""
    user = service.get_by_uhid(db, uhid)
    if Role.patient.value not in user.role_names:
        raise NotFound("no patient has this UHID")
    return PatientSummary(uhid=user.uhid, uhid_display=format_uhid(user.uhid),
                          full_name=user.full_name, date_of_birth=user.date_of_birth)


# --- an organisation's staff ----------------------------------------------------------------


def _member_out(user: User) -> MemberOut:
    return MemberOut(id=user.id, uhid=user.uhid, email=user.email, full_name=user.full_name,
                     roles=user.role_names, is_active=user.is_active, created_at=user.created_at)


def _organization(db: TenantDB, principal: Principal, organization_id: uuid.UUID
                  ) -> Organization:
    return tenants.visible_organization(db, organization_id,
                                        caller_org=principal.organization_id,
                                        system=principal.is_system_admin)


@router.post("/organizations/{organization_id}/members", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(401, 403, 404, 409, 422))
def add_member(
    organization_id: uuid.UUID, body: MemberCreate,
    principal: Annotated[Principal, Depends(require("member:create"))], db: TenantDB,
    container: ContainerDep,
) -> Registered:
    """Create a staff account in the organisation; it gets its UHID."""
    org = _organization(db, principal, organization_id)
    user = members.add_member(db, container, org, email=body.email, full_name=body.full_name,
                              password=body.password, roles=[body.role, *body.extra_roles])
    return Registered.of(user.id, user.uhid)


@router.get("/organizations/{organization_id}/members", responses=MEMBER_ERRORS)
def list_members(
    organization_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("member:read"))], db: TenantDB,
    page: Page,
) -> list[MemberOut]:
    org = _organization(db, principal, organization_id)
    return [_member_out(u) for u in members.list_members(db, org, page=page)]


@router.get("/organizations/{organization_id}/members/{user_id}", responses=MEMBER_ERRORS)
def get_member(
    organization_id: uuid.UUID, user_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("member:read"))], db: TenantDB,
) -> MemberOut:
    org = _organization(db, principal, organization_id)
    return _member_out(members.get_member(db, org, user_id))


@router.patch("/organizations/{organization_id}/members/{user_id}", responses=MEMBER_ERRORS)
def update_member(
    organization_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate,
    principal: Annotated[Principal, Depends(require("member:update"))], db: TenantDB,
) -> MemberOut:
    """Change a member's roles, or deactivate/reactivate them (effective immediately)."""
    org = _organization(db, principal, organization_id)
    member = members.get_member(db, org, user_id)
    return _member_out(members.update_member(db, org, member, roles=body.roles,
                                             is_active=body.is_active,
                                             acting_user=principal.user_id))
