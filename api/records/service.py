"""Record use cases: write (validate, encrypt to the patient, store the ciphertext as a blob),
version, read (the owner directly; a grantee through consent, re-encrypted with the
grant's kfrags) and list what the caller may read. Each goes through the access gate
(api.access.gate), which decides and logs it, refusals included.

The service never holds a key that opens a record: it encrypts to the patient's public key
and re-encrypts capsules with key fragments the patient issued. Plaintext exists only in
memory while a write is encrypted; it is never stored, logged or put in an error.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, lazyload

from api.access.gate import BREAK_GLASS, GRANT, AccessGate, Subject
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
from api.keys.service import custodial_item, patient_public_key
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.records import fhir
from api.records.models import Record
from api.roles.catalog import Role
from api.settings import Settings
from reencryption import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    RecordIntegrityError,
    encrypt_for,
)
from reencryption.client import KeyHolder
from reencryption.keys import public_key_from_hex
from reencryption.keystore import Keystore
from storage import (
    BlobIntegrityError,
    BlobInvalid,
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    BlobTooLarge,
)


class RecordPorts(Protocol):
    """What the records use cases use, and all they may (api.composition.Container is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def blobs(self) -> BlobStore: ...

    @property
    def keystore(self) -> Keystore: ...

    def access_gate(self, session: Session) -> AccessGate: ...


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


# --- writing --------------------------------------------------------------------------


def _store_ciphertext(ports: RecordPorts, ciphertext: bytes) -> str:
    try:
        return ports.blobs.put(ciphertext)
    except BlobTooLarge:
        raise PayloadTooLarge("the record is larger than the store accepts") from None
    except BlobStoreUnavailable:
        raise Unavailable("the record store is unavailable; nothing was written") from None
    except BlobInvalid:
        raise Invalid("the record cannot be stored") from None


# Records whose filing tells the patient that results are ready (lab and imaging reports).
RESULT_CATEGORIES = frozenset({"lab", "imaging"})


def write_record(session: Session, ports: RecordPorts, *, author: Principal, patient: User,
                 resource: object, previous: Record | None = None,
                 refused: str | None = None) -> Record:
    """Validate, authorise, encrypt to the patient, store the ciphertext, then the row. The
    gate is asked before anything is flushed (its entry commits apart from this unit of
    work); `refused` is what its refusal says instead of the gate's own words (an order or
    a prescription is written inside an encounter or under the patient's grant)."""
    valid, category = checked_resource(ports, patient, resource, previous)
    target = f"record:{previous.lineage_id}" if previous else f"category:{category}"
    try:
        ports.access_gate(session).authorise_write(author=author, patient=patient,
                                                   category=category, record=target)
    except Forbidden:
        if refused is None:
            raise
        raise Forbidden(refused) from None
    record = seal_and_store(session, ports, author_id=author.user_id,
                            author_org_id=author.organization_id, patient=patient,
                            resource=valid, category=category, previous=previous)
    if category in RESULT_CATEGORIES and previous is None and author.user_id != patient.id:
        # "Results ready": the event and a link, never what the result says.
        notify_event(session, user_id=patient.id, kind=NotificationKind.results_ready,
                     subject_id=str(record.id))
    return record


def checked_resource(ports: RecordPorts, patient: User, resource: object,
                     previous: Record | None = None) -> tuple[dict[str, Any], str]:
    """The resource, if it fits the size limit, is valid FHIR R4 and is about `patient`;
    and the category it is filed under."""
    if not isinstance(resource, dict):
        raise Invalid("the body must be one FHIR resource (a JSON object)")
    # Surrogates, nulls and the like first: the size is measured on the bytes stored.
    fhir.check_json_rules(resource)
    if len(fhir.serialise(resource)) > ports.settings.max_record_bytes:
        raise PayloadTooLarge(f"a record is at most {ports.settings.max_record_bytes} "
                              "bytes")
    valid = fhir.validate_resource(resource)
    fhir.check_subject(valid, patient.uhid)
    if previous is not None and previous.resource_type != valid["resourceType"]:
        raise Invalid(f"a new version must be a {previous.resource_type}")
    return valid, fhir.category_of(valid)


def seal_and_store(session: Session, ports: RecordPorts, *, author_id: uuid.UUID,
                   author_org_id: uuid.UUID | None, patient: User, resource: dict[str, Any],
                   category: str, previous: Record | None = None) -> Record:
    """Encrypt a checked, authorised resource to the patient and store it.

    The blob goes first: when the store is down nothing is written; when the database then
    fails, an unreferenced ciphertext remains that no one can open without the patient.
    """
    keys = patient_public_key(session, patient.id)
    encrypted = encrypt_for(public_key_from_hex(keys.umbral_public_key),
                            fhir.serialise(resource))
    cid = _store_ciphertext(ports, encrypted.ciphertext)
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


_RECORD_AND_PATIENT = (  # built once: every read runs it
    select(Record, User).join(User, User.id == Record.patient_id)
    .where(Record.id == bindparam("record")).options(lazyload(User.roles)))


def record_and_patient(session: Session, record_id: uuid.UUID) -> tuple[Record, User]:
    """The record and its patient in one query (the patient's roles are not loaded: the
    gate needs only who the patient is)."""
    row = session.execute(_RECORD_AND_PATIENT, {"record": record_id}).one_or_none()
    if row is None:
        raise NotFound(RECORD_NOT_FOUND)
    return row[0], row[1]


def _record_subject(record: Record, patient: User, *, logged_as: str | None = None) -> Subject:
    """The record as the access gate knows it: logged as `record:<id>` (or `logged_as`),
    covered by grants of itself, its lineage or its category; known to its author and the
    author's organisation."""
    return Subject(
        patient, logged_as or f"record:{record.id}",
        tuple(sorted({f"record:{record.id}", f"record:{record.lineage_id}",
                      f"category:{record.category}"})),
        written_at=record.created_at, made_by=record.author_id,
        made_by_org=record.author_org_id, not_found=RECORD_NOT_FOUND)


def successor(session: Session, record: Record) -> uuid.UUID | None:
    return session.scalar(select(Record.id).where(Record.previous_id == record.id))


def new_version(session: Session, ports: RecordPorts, *, author: Principal,
                record_id: uuid.UUID, resource: object) -> Record:
    """Version n+1 of a record, linked to version n; version n stays as it was."""
    previous, patient = record_and_patient(session, record_id)
    ports.access_gate(session).require_known(
        _record_subject(previous, patient, logged_as=f"record:{previous.lineage_id}"),
        accessor=author, action="write")
    newer = successor(session, previous)
    if newer is not None:
        raise Conflict(f"record {previous.id} was already superseded by {newer}")
    return write_record(session, ports, author=author, patient=patient, resource=resource,
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


def fetch_ciphertext(ports: RecordPorts, record: Record) -> bytes:
    try:
        return ports.blobs.get(record.cid)
    except BlobStoreUnavailable:
        raise Unavailable("the record store is unavailable; try again shortly") from None
    except BlobIntegrityError:
        raise StoredRecordDamaged("the stored ciphertext does not match the record's CID; "
                                  "it was not served") from None
    except BlobNotFound:
        raise StoredRecordDamaged("the record's ciphertext is missing from the store") from None


def read_record(session: Session, ports: RecordPorts, *, reader: Principal,
                record_id: uuid.UUID, purpose: str) -> SealedRecord:
    """The sealed record: for the patient as stored; for a grantee with capsule fragments
    for its key (break-glass carries none: 409)."""
    record, patient = record_and_patient(session, record_id)
    read = ports.access_gate(session).read_sealed(
        _record_subject(record, patient), accessor=reader, purpose=purpose, action="read",
        capsule=record.capsule, delegating_key=record.delegating_key,
        accept=frozenset({GRANT, BREAK_GLASS}),
        forbidden="no active grant of the patient covers this record for this purpose",
        unkeyed="access is granted but the grant carries no key fragments for this record; "
                "the patient must grant again with kfrags for your key")
    ciphertext = fetch_ciphertext(ports, record)
    if read.consent is None:
        return SealedRecord(record, ciphertext)
    return SealedRecord(record, ciphertext, read.cfrags, read.consent.verifying_key)


def read_record_for_custodial_grantee(
    session: Session, ports: RecordPorts, *, reader: Principal, record_id: uuid.UUID,
    purpose: str,
) -> bytes:
    """For an organisation on the keystore tier: the same checked, logged read, then opened
    with the organisation's server-held key. Others decrypt on their side."""
    item = custodial_item(reader.organization_id) if reader.organization_id else None
    if item is None or not ports.keystore.contains(item):
        raise Conflict("your keys are held on your side: read /records/{id} and decrypt there")
    sealed = read_record(session, ports, reader=reader, record_id=record_id,
                         purpose=purpose)
    holder = KeyHolder(ports.keystore.load_party_keys(item))
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


def list_records(session: Session, ports: RecordPorts, *, reader: Principal, patient: User,
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
    gate = ports.access_gate(session)
    search = gate.open_search(accessor=reader, patient=patient, purpose=purpose,
                              record=f"search:{category or 'all'}")
    if not search.covers():
        record_ids = search.record_ids
        query = query.where(or_(Record.category.in_(search.categories),
                                Record.id.in_(record_ids), Record.lineage_id.in_(record_ids)))
    if not gate.log_search(search):
        return []
    return [ListedRecord(record, author_uhid, patient.uhid)
            for record, author_uhid in session.execute(query.limit(limit).offset(offset))]

