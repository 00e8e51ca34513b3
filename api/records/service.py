"""Record use cases: write (validate, encrypt to the patient, store the ciphertext as a blob),
version, read (the owner directly; a grantee through consent, re-encrypted with the
grant's kfrags) and list what the caller may read. Every read and every refusal is logged.

The service never holds a key that opens a record: it encrypts to the patient's public key
and re-encrypts capsules with key fragments the patient issued. Plaintext exists only in
memory while a write is encrypted; it is never stored, logged or put in an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from api.access.catalog import Role
from api.audit.models import AccessLogEntry
from api.audit.service import record_access
from api.composition import Container
from api.consent.models import BreakGlassAccess, Consent, ConsentStatus
from api.consent.service import AccessDecision, decide_access
from api.db.base import utcnow
from api.deps import Principal
from api.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)
from api.identity import service as identity
from api.identity.models import User
from api.records import fhir
from api.records.keys import (
    custodial_item,
    keys_of_organization,
    keys_of_user,
    parse_public_keys,
)
from api.records.models import Record, UmbralKeys
from reencryption import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    KfragRejected,
    RecordIntegrityError,
    SealedDataRejected,
    encrypt_for,
    reencrypt,
    verify_kfrags,
)
from reencryption.client import KeyHolder
from reencryption.keys import cfrag_to_base64, public_key_from_hex
from storage import (
    BlobIntegrityError,
    BlobInvalid,
    BlobNotFound,
    BlobStoreUnavailable,
    BlobTooLarge,
)

# Staff roles that author clinical records (under a treatment grant of the patient).
AUTHOR_ROLES = frozenset({Role.physician, Role.nurse, Role.lab_technician, Role.radiologist,
                          Role.pharmacist})


class StoredRecordDamaged(DomainError):
    """The blob store returned bytes that do not match the record's CID, or lost them: the
    store (an upstream of this service) is at fault, hence 502, and nothing is served."""

    status = 502
    type_slug = "record-integrity"


def patient_by_uhid(session: Session, uhid: str) -> User:
    user = identity.get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names:
        raise NotFound("no patient has this UHID")
    return user


def _log(container: Container, who: Principal, patient: User, *, record: str, action: str,
         purpose: str, granted: bool, basis: str, grant_id: str | None = None) -> None:
    record_access(container.sessions, accessor_id=who.user_id, accessor_uhid=who.uhid,
                  accessor_org_id=who.organization_id, patient_id=patient.id,
                  patient_uhid=patient.uhid, record=record, action=action, purpose=purpose,
                  granted=granted, basis=basis, grant_id=grant_id)


# --- writing --------------------------------------------------------------------------


def _authorise_write(session: Session, container: Container, author: Principal,
                     patient: User, category: str, target: str) -> None:
    if author.user_id == patient.id:
        return
    decision = AccessDecision(False, "none")
    if author.roles & AUTHOR_ROLES and author.organization_id is not None:
        decision = decide_access(session, container, accessor=author, patient=patient,
                                 scopes=[f"category:{category}"], purpose="treatment")
    allowed = decision.granted and decision.basis == "grant"
    # Writes are logged either way: the patient sees who added to their record.
    _log(container, author, patient, record=target, action="write", purpose="treatment",
         granted=allowed, basis=decision.basis if allowed else "none",
         grant_id=decision.consent.grant_id if allowed and decision.consent else None)
    if not allowed:
        raise Forbidden("only the patient, or a clinician whose organisation holds the "
                        f"patient's treatment grant for {category} records, writes them")


def _patient_public_key(session: Session, patient: User) -> UmbralKeys:
    keys = keys_of_user(session, patient.id)
    if keys is None:
        raise Conflict("the patient has not registered an Umbral public key "
                       "(PUT /api/v1/me/keys); records cannot be encrypted to them yet")
    return keys


def _store_ciphertext(container: Container, ciphertext: bytes) -> str:
    try:
        return container.blobs.put(ciphertext)
    except BlobTooLarge:
        raise PayloadTooLarge("the record is larger than the store accepts") from None
    except BlobStoreUnavailable:
        raise Unavailable("the record store is unavailable; nothing was written") from None
    except BlobInvalid:
        raise Invalid("the record cannot be stored") from None


def write_record(session: Session, container: Container, *, author: Principal, patient: User,
                 resource: object, previous: Record | None = None) -> Record:
    """Validate, authorise, encrypt to the patient, store the ciphertext, then the row."""
    valid, category = checked_resource(container, patient, resource, previous)
    target = f"record:{previous.lineage_id}" if previous else f"category:{category}"
    _authorise_write(session, container, author, patient, category, target)
    return seal_and_store(session, container, author_id=author.user_id,
                          author_org_id=author.organization_id, patient=patient,
                          resource=valid, category=category, previous=previous)


def checked_resource(container: Container, patient: User, resource: object,
                     previous: Record | None = None) -> tuple[dict[str, Any], str]:
    """The resource, if it fits the size limit, is valid FHIR R4 and is about `patient`;
    and the category it is filed under."""
    if not isinstance(resource, dict):
        raise Invalid("the body must be one FHIR resource (a JSON object)")
    # Surrogates, nulls and the like first: the size is measured on the bytes stored.
    fhir.check_json_rules(resource)
    if len(fhir.serialise(resource)) > container.settings.max_record_bytes:
        raise PayloadTooLarge(f"a record is at most {container.settings.max_record_bytes} "
                              "bytes")
    valid = fhir.validate_resource(resource)
    fhir.check_subject(valid, patient.uhid)
    if previous is not None and previous.resource_type != valid["resourceType"]:
        raise Invalid(f"a new version must be a {previous.resource_type}")
    return valid, fhir.category_of(valid)


def seal_and_store(session: Session, container: Container, *, author_id: uuid.UUID,
                   author_org_id: uuid.UUID | None, patient: User, resource: dict[str, Any],
                   category: str, previous: Record | None = None) -> Record:
    """Encrypt a checked, authorised resource to the patient and store it.

    The blob goes first: when the store is down nothing is written; when the database then
    fails, an unreferenced ciphertext remains that no one can open without the patient.
    """
    keys = _patient_public_key(session, patient)
    encrypted = encrypt_for(public_key_from_hex(keys.umbral_public_key),
                            fhir.serialise(resource))
    cid = _store_ciphertext(container, encrypted.ciphertext)
    record_id = uuid.uuid4()
    record = Record(
        id=record_id, patient_id=patient.id, author_id=author_id, author_org_id=author_org_id,
        category=category, resource_type=str(resource["resourceType"]), cid=cid,
        capsule=bytes(encrypted.capsule), delegating_key=keys.umbral_public_key,
        ciphertext_sha256=hashlib.sha256(encrypted.ciphertext).hexdigest(),
        size=len(encrypted.ciphertext),
        version=previous.version + 1 if previous else 1,
        lineage_id=previous.lineage_id if previous else record_id,
        previous_id=previous.id if previous else None,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this version was superseded meanwhile; update the newest one") from None
    return record


RECORD_NOT_FOUND = "no such record"


def get_record(session: Session, record_id: uuid.UUID) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(RECORD_NOT_FOUND)
    return record


def knows_of(session: Session, reader: Principal, patient: User, *, scopes: list[str],
             written_at: datetime) -> bool:
    """Whether `reader` was ever shown that an object of `patient` (written at `written_at`,
    covered by `scopes`) exists: a grant of the patient to them or their organisation, for
    any purpose, covering it and in force after it was written (active, or since revoked or
    expired), their break-glass access covering it, or a granted access to it (by them or
    their organisation) in the access log.

    Whoever has no such basis (nor is the patient, author or uploader: the callers check
    those) is answered as if the object did not exist: 404, as for an unknown id, so that a
    refusal does not tell that the patient has it."""
    covering = [*scopes, "category:all"]
    grantee = [Consent.grantee_user_id == reader.user_id]
    if reader.organization_id is not None:
        grantee.append(Consent.grantee_org_id == reader.organization_id)
    granted = session.scalar(select(exists().where(
        Consent.patient_id == patient.id, or_(*grantee), Consent.scope.in_(covering),
        Consent.status.in_([ConsentStatus.active, ConsentStatus.revoked,
                            ConsentStatus.expired]),
        or_(and_(Consent.revoked_at.is_(None), Consent.expires_at > written_at),
            Consent.revoked_at > written_at))))
    if granted or session.scalar(select(exists().where(
            BreakGlassAccess.patient_id == patient.id,
            BreakGlassAccess.accessor_id == reader.user_id,
            BreakGlassAccess.scope.in_(covering), BreakGlassAccess.expires_at > written_at))):
        return True
    accessor = [AccessLogEntry.accessor_id == reader.user_id]
    if reader.organization_id is not None:
        accessor.append(AccessLogEntry.accessor_org_id == reader.organization_id)
    return bool(session.scalar(select(exists().where(
        AccessLogEntry.patient_uhid == patient.uhid, or_(*accessor),
        AccessLogEntry.record.in_([s for s in scopes if s.startswith("record:")]),
        AccessLogEntry.outcome == "granted"))))


def knows_of_record(session: Session, reader: Principal, patient: User,
                    record: Record) -> bool:
    """Whether `reader` (not the patient) has a basis to know `record` exists: its author,
    the author's organisation, or any basis `knows_of` counts."""
    if record.author_id == reader.user_id or (
            reader.organization_id is not None
            and record.author_org_id == reader.organization_id):
        return True
    return knows_of(session, reader, patient, written_at=record.created_at, scopes=sorted({
        f"record:{record.id}", f"record:{record.lineage_id}", f"category:{record.category}"}))


def successor(session: Session, record: Record) -> uuid.UUID | None:
    return session.scalar(select(Record.id).where(Record.previous_id == record.id))


def new_version(session: Session, container: Container, *, author: Principal,
                record_id: uuid.UUID, resource: object) -> Record:
    """Version n+1 of a record, linked to version n; version n stays as it was."""
    previous = get_record(session, record_id)
    patient = session.get(User, previous.patient_id)
    assert patient is not None
    if author.user_id != patient.id and not knows_of_record(session, author, patient,
                                                             previous):
        _log(container, author, patient, record=f"record:{previous.lineage_id}",
             action="write", purpose="treatment", granted=False, basis="none")
        raise NotFound(RECORD_NOT_FOUND)
    newer = successor(session, previous)
    if newer is not None:
        raise Conflict(f"record {previous.id} was already superseded by {newer}")
    return write_record(session, container, author=author, patient=patient, resource=resource,
                        previous=previous)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedRecord:
    record: Record
    ciphertext: bytes
    cfrags: list[str] | None = None
    verifying_key: str | None = None

    def to_document(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id, "cid": r.cid, "category": r.category, "resource_type": r.resource_type,
            "version": r.version, "ciphertext": base64.b64encode(self.ciphertext).decode(),
            "capsule": base64.b64encode(r.capsule).decode(), "delegating_key": r.delegating_key,
            "cfrags": self.cfrags, "verifying_key": self.verifying_key,
        }


def fetch_ciphertext(container: Container, record: Record) -> bytes:
    try:
        return container.blobs.get(record.cid)
    except BlobStoreUnavailable:
        raise Unavailable("the record store is unavailable; try again shortly") from None
    except BlobIntegrityError:
        raise StoredRecordDamaged("the stored ciphertext does not match the record's CID; "
                                  "it was not served") from None
    except BlobNotFound:
        raise StoredRecordDamaged("the record's ciphertext is missing from the store") from None


def _grantee_keys(session: Session, consent: Consent) -> UmbralKeys | None:
    if consent.grantee_org_id is not None:
        return keys_of_organization(session, consent.grantee_org_id)
    assert consent.grantee_user_id is not None
    return keys_of_user(session, consent.grantee_user_id)


def _reencrypt_for_grantee(session: Session, container: Container, record: Any,
                           consent: Consent) -> list[str] | None:
    """Capsule fragments for the grantee, or None when the grant's kfrags cannot serve this
    record (none sent, destroyed, or issued for another patient key or grantee key)."""
    grantee = _grantee_keys(session, consent)
    if consent.kfrags_sealed is None or consent.verifying_key is None or grantee is None:
        return None
    try:
        opened = container.kfrag_vault.open(consent.kfrags_sealed, consent.grant_id)
        raw = [base64.b64decode(k) for k in json.loads(opened)]
        verified = verify_kfrags(
            raw, verifying_key=public_key_from_hex(consent.verifying_key),
            delegating_key=public_key_from_hex(record.delegating_key),
            receiving_key=parse_public_keys(grantee.umbral_public_key,
                                            grantee.verifying_key).encrypting)
    except (KfragRejected, InvalidKeyMaterial, SealedDataRejected, ValueError):
        return None
    return [cfrag_to_base64(c) for c in reencrypt(record.capsule, verified)]


def read_record(session: Session, container: Container, *, reader: Principal,
                record_id: uuid.UUID, purpose: str) -> SealedRecord:
    record = get_record(session, record_id)
    patient = session.get(User, record.patient_id)
    assert patient is not None
    target = f"record:{record.id}"
    if reader.user_id == patient.id:
        _log(container, reader, patient, record=target, action="read", purpose=purpose,
             granted=True, basis="owner")
        return SealedRecord(record, fetch_ciphertext(container, record))
    decision = decide_access(
        session, container, accessor=reader, patient=patient, purpose=purpose,
        scopes=sorted({target, f"record:{record.lineage_id}", f"category:{record.category}"}))
    consent = decision.consent
    if not decision.granted:
        _log(container, reader, patient, record=target, action="read", purpose=purpose,
             granted=False, basis=decision.basis)
        if not knows_of_record(session, reader, patient, record):
            raise NotFound(RECORD_NOT_FOUND)
        raise Forbidden("no active grant of the patient covers this record for this purpose")
    cfrags = _reencrypt_for_grantee(session, container, record, consent) if consent else None
    if cfrags is None:
        _log(container, reader, patient, record=target, action="read", purpose=purpose,
             granted=False, basis="no_kfrags", grant_id=consent.grant_id if consent else None)
        raise Conflict("access is granted but the grant carries no key fragments for this "
                       "record; the patient must grant again with kfrags for your key")
    assert consent is not None
    _log(container, reader, patient, record=target, action="read", purpose=purpose,
         granted=True, basis=decision.basis, grant_id=consent.grant_id)
    return SealedRecord(record, fetch_ciphertext(container, record), cfrags,
                        consent.verifying_key)


def read_record_for_custodial_grantee(
    session: Session, container: Container, *, reader: Principal, record_id: uuid.UUID,
    purpose: str,
) -> bytes:
    """For an organisation on the keystore tier: the same checked, logged read, then opened
    with the organisation's server-held key. Others decrypt on their side."""
    item = custodial_item(reader.organization_id) if reader.organization_id else None
    if item is None or not container.keystore.contains(item):
        raise Conflict("your keys are held on your side: read /records/{id} and decrypt there")
    sealed = read_record(session, container, reader=reader, record_id=record_id,
                         purpose=purpose)
    holder = KeyHolder(container.keystore.load_party_keys(item))
    try:
        plaintext = holder.open_record(sealed.to_document())
    except (RecordIntegrityError, CfragRejected, DecryptionFailed, InvalidKeyMaterial):
        raise StoredRecordDamaged("the record could not be opened with the capsule "
                                  "fragments of this grant") from None
    # The stored JSON as written, not re-parsed: its decimals keep their precision.
    return plaintext


# --- listing --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedRecord:
    record: Record
    author_uhid: str
    patient_uhid: str


def _readable_scopes(session: Session, reader: Principal, patient: User,
                     purpose: str) -> list[str]:
    grantee = [Consent.grantee_user_id == reader.user_id]
    if reader.organization_id is not None:
        grantee.append(Consent.grantee_org_id == reader.organization_id)
    return list(session.scalars(select(Consent.scope).where(
        Consent.patient_id == patient.id, or_(*grantee), Consent.purpose == purpose,
        Consent.status == ConsentStatus.active, Consent.expires_at > utcnow())))


def list_records(session: Session, container: Container, *, reader: Principal, patient: User,
                 category: str | None, resource_type: str | None, purpose: str,
                 author_uhid: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 50,
                 offset: int = 0) -> list[ListedRecord]:
    """The newest version of each record of the patient that the caller may read, newest
    first, one page (`limit` from `offset`)."""
    newer = aliased(Record)
    query: Select[Record, str] = (
        select(Record, User.uhid).join(User, User.id == Record.author_id)
        .where(Record.patient_id == patient.id,
               ~exists().where(newer.previous_id == Record.id))
        .order_by(Record.created_at.desc(), Record.id))
    if category:
        query = query.where(Record.category == category)
    if resource_type:
        query = query.where(Record.resource_type == resource_type)
    if author_uhid:
        query = query.where(User.uhid == identity.get_by_uhid(session, author_uhid).uhid)
    if since is not None:
        query = query.where(Record.created_at >= since)
    if until is not None:
        query = query.where(Record.created_at < until)
    target = f"search:{category or 'all'}"
    if reader.user_id == patient.id:
        basis = "owner"
    else:
        container.ensure_mirror_fresh()
        scopes = _readable_scopes(session, reader, patient, purpose)
        categories = {s.removeprefix("category:") for s in scopes if s.startswith("category:")}
        record_ids = [uuid.UUID(s.removeprefix("record:")) for s in scopes
                      if s.startswith("record:") and _is_uuid(s.removeprefix("record:"))]
        basis = "grant" if scopes else "none"
        if "all" not in categories:
            query = query.where(or_(Record.category.in_(categories),
                                    Record.id.in_(record_ids),
                                    Record.lineage_id.in_(record_ids)))
    _log(container, reader, patient, record=target, action="search", purpose=purpose,
         granted=basis != "none", basis=basis)
    if basis == "none":
        return []
    return [ListedRecord(record, author_uhid, patient.uhid)
            for record, author_uhid in session.execute(query.limit(limit).offset(offset))]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --- for contexts built on the exchange (imaging) -------------------------------------

log_access = _log
authorise_write = _authorise_write
patient_public_key = _patient_public_key
reencrypt_for_grantee = _reencrypt_for_grantee
readable_scopes = _readable_scopes
is_uuid = _is_uuid
