"""Consent use cases: the typed data a patient signs, relaying signed grants and revocations
through the outbox, the grants mirror and break-glass (the decisions that use them are the
access gate's, api.access.gate)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.chain_gateway import ChainGateway
from api.consent.catalog import PURPOSE_NAMES, PURPOSES, RECORD_CATEGORIES
from api.consent.models import BreakGlassAccess, Consent, ConsentStatus
from api.custody import service as custody
from api.custody.service import new_custodial_wallet
from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from api.identity.models import User
from api.identity.uhid import InvalidUHID, normalize_uhid
from api.keys.service import verify_grant_kfrags
from api.ledger.outbox import enqueue, outbox_status
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.paging import PageRequest
from api.roles.catalog import EMERGENCY_ROLES
from api.tenants.models import Organization
from api.tenants.service import organization_address
from chain import (
    Chain,
    ChainError,
    ChainEvent,
    ChainReverted,
    ChainUnavailable,
    GrantTerms,
    Purpose,
    RevocationTerms,
    TransactionRequest,
    grant_typed_data,
    parse_grant,
    parse_revocation,
    recover_signer,
    revoke_typed_data,
    sign_typed_data,
    typed_data_digest,
)
from chain.consent import validate_scope as chain_validate_scope
from chain.errors import InvalidChainRequest
from reencryption.keystore import Keystore
from reencryption.sealing import KfragVault

SIGNATURE_TTL = timedelta(minutes=30)
BREAK_GLASS_TTL = timedelta(hours=4)
MAX_KFRAGS = 16


# --- custodial wallets (keys in the sealed keystore) ------------------------------------


class ConsentPorts(Protocol):
    """What the consent use cases use, and all they may (api.composition.Container is one)."""

    @property
    def chain(self) -> ChainGateway: ...

    @property
    def keystore(self) -> Keystore: ...

    @property
    def kfrag_vault(self) -> KfragVault: ...


def create_custodial_wallet(session: Session, ports: ConsentPorts, user: User) -> str:
    if user.wallet_address is not None:
        raise Conflict("this account already has a wallet address")
    user.wallet_address = new_custodial_wallet(session, ports.keystore, user_id=user.id)
    session.flush()
    return user.wallet_address


def _custodial_key(session: Session, ports: ConsentPorts, address: str) -> bytes:
    return custody.custodial_key(session, ports.keystore, address)


# --- grantees -------------------------------------------------------------------------


@dataclass(frozen=True)
class Grantee:
    address: str
    organization: Organization | None
    user: User | None

    @property
    def label(self) -> str:
        if self.organization is not None:
            return self.organization.name
        assert self.user is not None
        return self.user.full_name


def resolve_grantee(session: Session, ports: ConsentPorts, ref: str) -> Grantee:
    """`ref` is an organisation id or a person's UHID."""
    try:
        org_id = uuid.UUID(ref)
    except ValueError:
        org_id = None
    if org_id is not None:
        org = session.get(Organization, org_id)
        if org is None or not org.is_active:
            raise NotFound("no such organisation")
        return Grantee(organization_address(session, ports.keystore, org), org, None)
    try:
        uhid = normalize_uhid(ref)
    except InvalidUHID as exc:
        raise Invalid(f"grantee must be an organisation id or a UHID: {exc}") from None
    user = session.scalar(select(User).where(User.uhid == uhid))
    if user is None or not user.is_active:
        raise NotFound("no person has this UHID")
    if user.wallet_address is None:
        raise Invalid("this person has no wallet address to receive a grant")
    return Grantee(user.wallet_address, None, user)


def _grantee_from_address(session: Session, address: str) -> Grantee | None:
    org = session.scalar(select(Organization).where(Organization.eth_address == address))
    if org is not None:
        return Grantee(address, org, None)
    user = session.scalar(select(User).where(User.wallet_address == address))
    if user is not None:
        return Grantee(address, None, user)
    return None


# --- typed data ------------------------------------------------------------------------


def validate_scope(scope: str) -> str:
    """A scope the service knows and the chain code accepts (the same rule, so nothing the
    service lets through fails later on chain)."""
    kind, _, name = scope.partition(":")
    try:
        chain_validate_scope(scope)
    except InvalidChainRequest:
        raise Invalid("scope must be record:<id> (letters, digits, . _ : -, at most 128) or "
                      f"category:<one of {', '.join(sorted(RECORD_CATEGORIES))}>") from None
    if kind == "category" and name in RECORD_CATEGORIES:
        return scope
    if kind == "record" and name:
        return scope
    raise Invalid(f"scope must be record:<id> or category:<one of "
                  f"{', '.join(sorted(RECORD_CATEGORIES))}>")


# The chain keeps times as unix seconds (uint64); the service's dates end with year 9999.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_LATEST_TS = int(LATEST_TIME.timestamp())


def _check_time_range(**times: datetime | None) -> None:
    for name, value in times.items():
        if value is not None and not EARLIEST_TIME <= value <= LATEST_TIME:
            raise Invalid(f"{name} must be between 1970-01-01 and 9999-12-31 (UTC)")


def purpose_of(name: str) -> Purpose:
    if name not in PURPOSES:
        raise Invalid(f"purpose must be one of {', '.join(PURPOSES)}")
    return PURPOSES[name]


def _ts(value: datetime | None) -> int:
    return int(value.timestamp()) if value is not None else 0


def _patient_address(user: User) -> str:
    if user.wallet_address is None:
        raise Conflict("link a wallet (POST /me/wallet) or create a custodial wallet "
                       "(POST /me/custodial-wallet) before granting access")
    return user.wallet_address


def _next_nonce(session: Session, ports: ConsentPorts, address: str) -> int:
    """The chain's nonce, advanced past what this service already queued for the patient."""
    chain = ports.chain.ready()
    try:
        on_chain = chain.patient_nonce(address)
    except ChainUnavailable as exc:
        raise Unavailable("the blockchain node is unavailable; try again shortly") from exc
    local = session.scalar(select(func.max(Consent.nonce)).where(
        Consent.patient_address == address, Consent.status != ConsentStatus.rejected))
    local_rev = session.scalar(select(func.max(Consent.revocation_nonce)).where(
        Consent.patient_address == address))
    used = max([n for n in (local, local_rev) if n is not None], default=-1)
    return max(on_chain, used + 1)


def _on_their_way(session: Session, address: str, below: int) -> set[int]:
    """The patient's nonces below `below` held by grants this service queued and the chain
    has not settled yet, or by revocations it queued."""
    grants = session.scalars(select(Consent.nonce).where(
        Consent.patient_address == address, Consent.status == ConsentStatus.pending,
        Consent.nonce < below))
    revocations = session.scalars(select(Consent.revocation_nonce).where(
        Consent.patient_address == address, Consent.revocation_nonce < below))
    return {*grants, *(n for n in revocations if n is not None)}


def _check_nonce_behind_queued(session: Session, chain: Chain, request: TransactionRequest,
                               address: str, nonce: int) -> None:
    """A grant whose nonce the registry refused as ahead of its own: accepted when every
    nonce from the registry's next up to it is held by a grant or revocation still on its
    way (the outbox sends them in order, so this one lands after them), or when those
    landed meanwhile (then it is checked again). The queued nonces are read before the
    registry's, so one that lands in between is seen either way. 422 otherwise."""
    queued = _on_their_way(session, address, below=nonce)
    on_chain = chain.patient_nonce(address)
    if nonce == on_chain:
        try:
            chain.simulate(request)
        except ChainReverted as exc:
            raise Invalid(f"the consent registry refuses this grant: {exc.error_name}") \
                from None
        return
    if not (nonce > on_chain and set(range(on_chain, nonce)) <= queued):
        raise Invalid("the consent registry refuses this grant: InvalidAccountNonce")


def grant_typed_data_for(
    session: Session, ports: ConsentPorts, patient: User, *, grantee_ref: str, scope: str,
    purpose: str, expires_at: datetime, data_from: datetime | None, data_to: datetime | None,
) -> dict[str, Any]:
    address = _patient_address(patient)
    scope = validate_scope(scope)
    _check_time_range(expires_at=expires_at, data_from=data_from, data_to=data_to)
    now = datetime.now(UTC)
    if expires_at <= now:
        raise Invalid("expires_at must be in the future")
    if data_from and data_to and data_from > data_to:
        raise Invalid("data_from is after data_to")
    grantee = resolve_grantee(session, ports, grantee_ref)
    if grantee.address == address:
        raise Invalid("a grant to oneself is meaningless")
    deployment = ports.chain.deployment
    terms = GrantTerms(
        patient=address, grantee=grantee.address, scope=scope, purpose=purpose_of(purpose),
        expiry=_ts(expires_at), nonce=_next_nonce(session, ports, address),
        deadline=int((now + SIGNATURE_TTL).timestamp()), data_from=_ts(data_from),
        data_to=_ts(data_to),
    )
    return grant_typed_data(deployment.consent_domain, terms)


# --- submitting grants -----------------------------------------------------------------


def _decode_kfrags(kfrags: list[str] | None) -> bytes | None:
    if not kfrags:
        return None
    if len(kfrags) > MAX_KFRAGS:
        raise Invalid(f"at most {MAX_KFRAGS} kfrags")
    try:
        raw = [base64.b64decode(k, validate=True) for k in kfrags]
    except (binascii.Error, ValueError):
        raise Invalid("kfrags must be base64") from None
    return json.dumps([base64.b64encode(r).decode() for r in raw]).encode()


@dataclass(frozen=True)
class Submitted:
    consent: Consent
    queued_offline: bool  # the chain could not be asked; relayed when it answers again


def submit_grant(
    session: Session, ports: ConsentPorts, patient: User, *, typed_data: dict[str, Any],
    signature: str | None, kfrags: list[str] | None, verifying_key: str | None,
) -> Submitted:
    address = _patient_address(patient)
    try:
        domain, terms = parse_grant(typed_data)
    except InvalidChainRequest as exc:
        raise Invalid(f"the typed data is not an OHMS grant: {exc}") from None
    deployment = ports.chain.deployment
    if domain.chain_id != deployment.chain_id:
        raise Invalid("the grant was signed for another chain")
    if domain.verifying_contract.lower() != deployment.consent_registry.lower():
        raise Invalid("the grant was signed for another contract")
    if terms.patient != address:
        raise Forbidden("you can only submit grants of your own records")
    for name, ts in (("expiry", terms.expiry), ("dataFrom", terms.data_from),
                     ("dataTo", terms.data_to)):
        if ts > _LATEST_TS:
            raise Invalid(f"{name} must be a time before 10000-01-01 (unix seconds)")
    custodial = signature is None
    if custodial:
        signature = sign_typed_data(_custodial_key(session, ports, address), typed_data)
    assert signature is not None
    try:
        signer = recover_signer(typed_data, signature)
    except InvalidChainRequest:
        raise Invalid("the signature is malformed") from None
    if signer != terms.patient:
        raise Invalid("the grant is not signed by the patient")
    if terms.deadline <= int(datetime.now(UTC).timestamp()):
        raise Invalid("the signature's deadline has passed; ask for new typed data")
    if terms.expiry <= int(datetime.now(UTC).timestamp()):
        raise Invalid("the grant has already expired")
    scope = validate_scope(terms.scope)
    grantee = _grantee_from_address(session, terms.grantee)
    if grantee is None:
        raise Invalid("the grantee is not an OHMS organisation or person")
    grant_id = typed_data_digest(typed_data)
    if session.scalar(select(Consent.id).where(or_(
            Consent.grant_id == grant_id,
            (Consent.patient_address == address) & (Consent.nonce == terms.nonce)))):
        raise Conflict("this signed grant (or its nonce) was already submitted")
    sealed = _decode_kfrags(kfrags)
    if (sealed is None) != (verifying_key is None):
        raise Invalid("kfrags and verifying_key go together")
    if kfrags:
        verify_grant_kfrags(
            session, patient_id=patient.id, kfrags=kfrags, verifying_key=verifying_key,
            grantee_user_id=grantee.user.id if grantee.user else None,
            grantee_org_id=grantee.organization.id if grantee.organization else None)
    chain = ports.chain.ready()
    request = chain.grant_transaction(typed_data, signature)
    queued_offline = False
    try:
        chain.simulate(request)
    except ChainReverted as exc:
        # A grant signed right after another is checked before the other is on chain: its
        # nonce is ahead of the registry's (see _check_nonce_behind_queued).
        if exc.error_name != "InvalidAccountNonce":
            raise Invalid(f"the consent registry refuses this grant: {exc.error_name}") \
                from None
        _check_nonce_behind_queued(session, chain, request, address, terms.nonce)
    except ChainUnavailable:
        queued_offline = True
    consent = Consent(
        patient_id=patient.id, patient_address=address,
        grantee_org_id=grantee.organization.id if grantee.organization else None,
        grantee_user_id=grantee.user.id if grantee.user else None,
        grantee_address=terms.grantee, scope=scope, purpose=PURPOSE_NAMES[terms.purpose],
        data_from=_dt(terms.data_from), data_to=_dt(terms.data_to),
        expires_at=_dt(terms.expiry) or utcnow(), nonce=terms.nonce, grant_id=grant_id,
        typed_data=typed_data, signature=signature, signed_by_custodial_key=custodial,
        kfrags_sealed=ports.kfrag_vault.seal(sealed, grant_id) if sealed else None,
        verifying_key=verifying_key,
    )
    session.add(consent)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this signed grant (or its nonce) was already submitted") from None
    enqueue(session, kind="consent.grant", request=request,
            idempotency_key=f"consent.grant:{grant_id}", subject_id=str(consent.id))
    return Submitted(consent, queued_offline)


def _dt(ts: int) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts else None


# --- revocation ------------------------------------------------------------------------


def _revocable(consent: Consent) -> None:
    if consent.status in (ConsentStatus.revoked, ConsentStatus.rejected,
                          ConsentStatus.expired):
        raise Conflict(f"the consent is {consent.status.value}")


def revocation_typed_data_for(
    session: Session, ports: ConsentPorts, patient: User, consent: Consent
) -> dict[str, Any]:
    _revocable(consent)
    terms = RevocationTerms(
        patient=consent.patient_address, grant_id=consent.grant_id,
        nonce=_next_nonce(session, ports, consent.patient_address),
        deadline=int((datetime.now(UTC) + SIGNATURE_TTL).timestamp()),
    )
    return revoke_typed_data(ports.chain.deployment.consent_domain, terms)


def submit_revocation(
    session: Session, ports: ConsentPorts, patient: User, consent: Consent, *,
    typed_data: dict[str, Any] | None, signature: str | None,
) -> Consent:
    _revocable(consent)
    if typed_data is None:
        typed_data = revocation_typed_data_for(session, ports, patient, consent)
    try:
        domain, terms = parse_revocation(typed_data)
    except InvalidChainRequest as exc:
        raise Invalid(f"the typed data is not an OHMS revocation: {exc}") from None
    deployment = ports.chain.deployment
    if domain.chain_id != deployment.chain_id or \
            domain.verifying_contract.lower() != deployment.consent_registry.lower():
        raise Invalid("the revocation was signed for another chain or contract")
    if terms.grant_id != consent.grant_id.lower() or terms.patient != consent.patient_address:
        raise Invalid("the revocation is for another grant")
    if signature is None:
        signature = sign_typed_data(_custodial_key(session, ports, terms.patient),
                                    typed_data)
    try:
        signer = recover_signer(typed_data, signature)
    except InvalidChainRequest:
        raise Invalid("the signature is malformed") from None
    if signer != consent.patient_address:
        raise Invalid("the revocation is not signed by the patient")
    if terms.deadline <= int(datetime.now(UTC).timestamp()):
        raise Invalid("the signature's deadline has passed; ask for new typed data")
    request = ports.chain.ready().revoke_transaction(typed_data, signature)
    # Refused from now on, whatever the chain's pace: the kfrags are destroyed at once.
    consent.status = ConsentStatus.revoked
    consent.revoked_at = utcnow()
    consent.kfrags_sealed = None
    consent.revocation_nonce = terms.nonce
    consent.revocation_signature = signature
    session.flush()
    enqueue(session, kind="consent.revoke", request=request,
            idempotency_key=f"consent.revoke:{consent.grant_id}", subject_id=str(consent.id))
    return consent


# --- reading consents -----------------------------------------------------------------


def consents_of_patient(session: Session, patient_id: uuid.UUID, *,
                        page: PageRequest) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.patient_id == patient_id)
                                .order_by(Consent.created_at.desc(), Consent.id)
                                .limit(page.limit).offset(page.offset)))


def consents_received(session: Session, principal: Principal, *,
                      page: PageRequest) -> list[Consent]:
    conds = [Consent.grantee_user_id == principal.user_id]
    if principal.organization_id is not None:
        conds.append(Consent.grantee_org_id == principal.organization_id)
    return list(session.scalars(select(Consent).where(or_(*conds))
                                .order_by(Consent.created_at.desc(), Consent.id)
                                .limit(page.limit).offset(page.offset)))


def visible_consent(session: Session, principal: Principal, consent_id: uuid.UUID) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None or not (
        consent.patient_id == principal.user_id
        or consent.grantee_user_id == principal.user_id
        or (principal.organization_id is not None
            and consent.grantee_org_id == principal.organization_id)
    ):
        raise NotFound("no such consent")
    return consent


def refresh_expiry(consent: Consent) -> None:
    if consent.status is ConsentStatus.active and consent.expires_at <= utcnow():
        consent.status = ConsentStatus.expired
        consent.kfrags_sealed = None


# --- break-glass -----------------------------------------------------------------------


def patient_chain_identity(patient: User) -> str:
    """The patient's wallet, or for a patient without one a pseudonymous address derived from
    their opaque id (no UHID or name goes on chain)."""
    if patient.wallet_address is not None:
        return patient.wallet_address
    return str(to_checksum_address(keccak(b"ohms-patient:" + patient.id.bytes)[-20:]))


def break_glass(
    session: Session, ports: ConsentPorts, *, accessor: Principal, patient: User,
    scope: str, reason: str,
) -> BreakGlassAccess:
    if not accessor.roles & EMERGENCY_ROLES or accessor.organization_id is None:
        raise Forbidden("only emergency clinicians may break the glass")
    reason = reason.strip()
    if len(reason) < 10:
        raise Invalid("state the emergency reason (at least 10 characters)")
    scope = validate_scope(scope)
    org = session.get(Organization, accessor.organization_id)
    if org is None or not org.is_active:
        raise Forbidden("your organisation is deactivated")
    grantee_address = organization_address(session, ports.keystore, org)
    access = BreakGlassAccess(
        patient_id=patient.id, accessor_id=accessor.user_id, organization_id=org.id,
        scope=scope, reason=reason, reason_hash="0x" + keccak(text=reason).hex(),
        expires_at=utcnow() + BREAK_GLASS_TTL,
    )
    session.add(access)
    session.flush()
    try:
        request = ports.chain.ready().break_glass_transaction(
            patient=patient_chain_identity(patient), grantee=grantee_address, scope=scope,
            reason=reason)
    except ChainError as exc:
        raise Unavailable("the emergency access could not be recorded on chain") from exc
    enqueue(session, kind="consent.break_glass", request=request,
            idempotency_key=f"breakglass:{access.id}", subject_id=str(access.id))
    # The patient is told in the inbox (with the organisation's name) and by email (the
    # event and a link only; never the stated reason).
    notify_event(session, user_id=patient.id, kind=NotificationKind.break_glass,
                 subject_id=str(access.id),
                 inbox_text=f"{org.name} opened your records in an emergency (break-glass). "
                            "The access is recorded on chain.")
    return access


# --- the mirror: chain events and outbox outcomes --------------------------------------


def on_consent_granted(session: Session, event: ChainEvent) -> None:
    consent = session.scalar(select(Consent).where(
        Consent.grant_id == str(event.args["grantId"]).lower()))
    if consent is not None and consent.status is ConsentStatus.pending:
        consent.status = ConsentStatus.active
        consent.confirmed_block = event.block_number
        refresh_expiry(consent)


def on_consent_revoked(session: Session, event: ChainEvent) -> None:
    consent = session.scalar(select(Consent).where(
        Consent.grant_id == str(event.args["grantId"]).lower()))
    if consent is not None and consent.status is not ConsentStatus.revoked:
        consent.status = ConsentStatus.revoked
        consent.revoked_at = consent.revoked_at or utcnow()
        consent.kfrags_sealed = None


def expire_consents(session: Session) -> int:
    """Active consents past their expiry become `expired`, their kfrags destroyed."""
    expired = list(session.scalars(select(Consent).where(
        Consent.status == ConsentStatus.active, Consent.expires_at <= utcnow())))
    for consent in expired:
        refresh_expiry(consent)
    return len(expired)


def reconcile_rejected(session: Session) -> int:
    """Pending consents whose relay transaction the chain refused become `rejected`."""
    rejected = 0
    for consent in session.scalars(select(Consent).where(
            Consent.status == ConsentStatus.pending)):
        row = outbox_status(session, f"consent.grant:{consent.grant_id}")
        if row is not None and row.status == "failed":
            consent.status = ConsentStatus.rejected
            consent.status_detail = (row.last_error or "refused by the chain")[:200]
            consent.kfrags_sealed = None
            rejected += 1
    return rejected
