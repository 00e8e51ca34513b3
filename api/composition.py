"""The composition root: settings in, every adapter and service collaborator out."""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from api.access.gate import AccessGate, TreatingRelationship, VerifiedKfrags
from api.access.journal import AccessJournal
from api.billing.received import PaymentsOf
from api.chain_gateway import ChainGateway
from api.db.base import utcnow
from api.db.session import make_engine, make_sessionmaker
from api.errors import Unavailable
from api.identity.models import AccountTokenPurpose
from api.identity.passwords import PasswordHashing, PasswordPolicy
from api.identity.throttling import AttemptLimiter
from api.identity.tokens import TokenIssuer
from api.imaging.stores import DicomStores
from api.notifications.mail import FileMailer, Mailer, SmtpMailer
from api.notifications.service import queue_email
from api.orders.relationships import OrderResults
from api.payments.provider import PaymentProvider
from api.payments.received import received_on
from api.payments.simulator import WEBHOOK_PATH, SimulatedProvider, SimulatedWebhookDelivery
from api.prescriptions.relationships import PrescriptionDispenses
from api.scheduling.relationships import BookingReasons, OpenEncounters
from api.settings import Settings
from chain import (
    Chain,
    ChainUnavailable,
    DevChain,
    RpcChain,
    SharedDevChain,
)
from reencryption.keystore import Keystore
from reencryption.sealing import KfragVault
from storage import BlobStore, CachedBlobStore, IpfsBlobStore, LocalBlobStore

ReadinessCheck = Callable[[], None]
log = logging.getLogger("ohms.composition")

# py-evm needs this many Python frames for 1024 nested EVM calls; py_ecc, loaded with the chain
# libraries, raises the limit to 100000, deep enough for a recursive parser to overflow the
# native stack and crash the process instead of raising RecursionError.
EVM_RECURSION_LIMIT = 1024 * 12


def bound_recursion_limit() -> None:
    """Undo the chain libraries' raise of the recursion limit beyond what py-evm needs."""
    if sys.getrecursionlimit() > EVM_RECURSION_LIMIT:
        sys.setrecursionlimit(EVM_RECURSION_LIMIT)


bound_recursion_limit()


@dataclass
class Container:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: PasswordHashing
    password_policy: PasswordPolicy
    tokens: TokenIssuer
    # Rate limits on sign-in, registration and SIWE nonces (429 over them).
    attempts: AttemptLimiter
    # Commits the access gate's log entries, in groups under concurrency.
    access_journal: AccessJournal
    # Grants' key fragments once verified, so reads re-encrypt without verifying again.
    verified_kfrags: VerifiedKfrags
    chain: ChainGateway
    keystore: Keystore
    kfrag_vault: KfragVault
    blobs: BlobStore
    # Imaging: each institution's PACS, and the encrypted study archives (larger blobs).
    dicom: DicomStores
    archives: BlobStore
    # Email: .eml files in data_dir/mail, or an SMTP server (sent by the email outbox worker).
    mailer: Mailer
    # Online payments: the provider port's adapter (the embedded simulated provider unless
    # configured otherwise) and, for the simulated one, its webhook sender (a worker task).
    payment_provider: PaymentProvider
    payment_webhooks: SimulatedWebhookDelivery | None
    # What an invoice received (its PDF lists it): the payments context's answer, given to
    # billing here so that billing never imports payments.
    invoice_payments: PaymentsOf = received_on
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    # The grants/anchors mirror; set by api.background (it needs every context's handlers).
    indexer: Any = None
    # Workflows' bases for clinicians to write for a patient without a grant (encounters,
    # bookings' reasons; orders' results), asked in order.
    treating_relationships: tuple[TreatingRelationship, ...] = ()
    _mirror_lock: threading.Lock = field(default_factory=threading.Lock)
    _caught_up_seen: datetime | None = None

    def index_mirror(self) -> int:
        """One indexing pass, one at a time in this process (requests and the worker loop)."""
        with self._mirror_lock:
            handled: int = self.indexer.run_once()
            return handled

    def ensure_mirror_fresh(self, session: Session) -> None:
        """Whether an access decision may rely on the grants mirror: the indexer (the
        background workers', in this process or another) found it at the chain's confirmed
        head at most `mirror_max_lag_seconds` ago, read on `session` with no chain call.
        Otherwise one indexing pass is made here, as when no worker runs; a mirror still
        behind the chain is a 503 (fail closed: a revocation made on chain may be missing)."""
        if self.indexer is None:
            raise Unavailable("the chain indexer is not running")
        bound = timedelta(seconds=self.settings.mirror_max_lag_seconds)
        # The heartbeat only moves forward: one seen recently enough spares the query.
        seen = self._caught_up_seen
        if seen is not None and utcnow() - seen <= bound:
            return
        caught_up = self.indexer.caught_up_at(session)
        if caught_up is not None and utcnow() - caught_up <= bound:
            self._caught_up_seen = caught_up
            return
        try:
            latest = self.chain.ready().block_number()
        except ChainUnavailable as exc:
            raise Unavailable("the blockchain node is unavailable") from exc
        self.index_mirror()
        cursor = self.indexer.cursor()
        if cursor is None or cursor.last_block < latest - self.settings.chain_confirmations:
            raise Unavailable("the consent mirror could not be brought up to date")

    def access_gate(self, session: Session) -> AccessGate:
        """The access gate for a unit of work on `session` (the way to clinical data)."""
        return AccessGate(session=session, journal=self.access_journal,
                          verified_kfrags=self.verified_kfrags,
                          refresh_mirror=self.ensure_mirror_fresh,
                          kfrag_vault=self.kfrag_vault,
                          relationships=self.treating_relationships)

    def queue_account_mail(self, session: Session, *, user_id: uuid.UUID,
                           purpose: AccountTokenPurpose, token_id: uuid.UUID) -> None:
        """Identity's account mails go through the notifications context's email outbox."""
        queue_email(session, user_id=user_id, kind=purpose.value, subject_id=str(token_id),
                    link_path=None)

    def deliver_payment_webhooks(self) -> int:
        """The simulated provider's due webhooks, delivered (none with a real provider)."""
        return self.payment_webhooks.run_once() if self.payment_webhooks is not None else 0

    @property
    def siwe_chain_id(self) -> int:
        if self.settings.siwe_chain_id is not None:
            return self.settings.siwe_chain_id
        return self.chain.deployment.chain_id

    def close(self) -> None:
        self.chain.close()
        blobs = self.blobs.inner if isinstance(self.blobs, CachedBlobStore) else self.blobs
        if isinstance(blobs, IpfsBlobStore):
            blobs.close()
        if isinstance(self.archives, IpfsBlobStore):
            self.archives.close()
        self.dicom.close()
        self.access_journal.close()
        self.engine.dispose()


def _local_secret(settings: Settings, name: str) -> str:
    """A random secret kept in data_dir/secrets (embedded defaults), made on first use."""
    path = Path(settings.data_dir) / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _jwt_secret(settings: Settings) -> bytes:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    return _local_secret(settings, "jwt.key").encode()


def _payment_webhook_secret(settings: Settings) -> bytes:
    if settings.payment_webhook_secret is not None:
        return settings.payment_webhook_secret.get_secret_value().encode()
    return _local_secret(settings, "payment-webhook.key").encode()


def build_payment_provider(settings: Settings, sessions: sessionmaker[Session]
                           ) -> tuple[PaymentProvider, SimulatedWebhookDelivery | None]:
    """The payment provider's adapter named by `payment_provider` (see api.payments.provider
    for how a real one plugs in), and the simulated provider's webhook sender."""
    if settings.payment_provider != "simulated":
        raise ValueError(f"unknown OHMS_PAYMENT_PROVIDER {settings.payment_provider!r}")
    assert settings.public_url is not None
    secret = _payment_webhook_secret(settings)
    provider = SimulatedProvider(sessions, secret=secret, public_url=settings.public_url,
                                 tolerance_seconds=settings.payment_webhook_tolerance_seconds)
    webhooks = SimulatedWebhookDelivery(
        sessions, secret=secret, url=settings.public_url.rstrip("/") + WEBHOOK_PATH)
    return provider, webhooks


def _kek(settings: Settings) -> bytes:
    if settings.keystore_kek is not None:
        raw = settings.keystore_kek.get_secret_value()
    else:
        raw = _local_secret(settings, "keystore.kek")
    try:
        kek = bytes.fromhex(raw)
    except ValueError:
        raise ValueError("OHMS_KEYSTORE_KEK must be 64 hex characters (32 bytes)") from None
    if len(kek) != 32:
        raise ValueError("OHMS_KEYSTORE_KEK must be 64 hex characters (32 bytes)")
    return kek


def build_chain(settings: Settings) -> ChainGateway:
    chain_dir = Path(settings.data_dir) / "chain"
    operator = settings.chain_private_key.get_secret_value() if settings.chain_private_key \
        else None
    adapter: Chain
    if settings.chain_rpc_url:
        if operator is None:
            raise ValueError("OHMS_CHAIN_PRIVATE_KEY is required with OHMS_CHAIN_RPC_URL")
        adapter = RpcChain(settings.chain_rpc_url, operator,
                           timeout=settings.chain_timeout_seconds)
        book = chain_dir / "address-book.json"
    elif settings.shared_dev_chain:
        # Several processes (ohms serve --workers N): each call opens the file in turn.
        adapter = SharedDevChain(chain_dir / "dev-chain.sqlite3", operator_key=operator)
        book = chain_dir / "dev-address-book.json"
    else:
        adapter = DevChain(chain_dir / "dev-chain.sqlite3", operator_key=operator)
        book = chain_dir / "dev-address-book.json"
    return ChainGateway(adapter, book)


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url.get_secret_value(), starttls=settings.smtp_starttls,
                          timeout=settings.smtp_timeout_seconds)
    return FileMailer(Path(settings.data_dir) / "mail")


# Room for Umbral's ciphertext overhead (nonce and tag) on top of the largest record.
_CIPHERTEXT_OVERHEAD_BYTES = 1024


def build_blob_store(settings: Settings, max_plaintext_bytes: int | None = None) -> BlobStore:
    limit = (max_plaintext_bytes or settings.max_record_bytes) + _CIPHERTEXT_OVERHEAD_BYTES
    if settings.ipfs_api:
        return IpfsBlobStore(settings.ipfs_api, max_blob_bytes=limit,
                             request_timeout_s=settings.ipfs_timeout_seconds,
                             read_timeout_s=settings.ipfs_timeout_seconds)
    return LocalBlobStore(Path(settings.data_dir) / "blobs", max_blob_bytes=limit)


def build_container(settings: Settings) -> Container:
    # The data directory holds the database, keys and clinical blobs: its owner only.
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)
    engine = make_engine(settings.effective_database_url, echo=settings.database_echo)
    kek = _kek(settings)
    sessions = make_sessionmaker(engine)
    payment_provider, payment_webhooks = build_payment_provider(settings, sessions)
    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
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
        # Its own connection: a group's commit never waits for the pool that the requests
        # waiting on that commit hold.
        access_journal=AccessJournal(make_engine(settings.effective_database_url,
                                                 pool_size=1, max_overflow=1)),
        verified_kfrags=VerifiedKfrags(),
        attempts=AttemptLimiter(
            sign_in_per_client=settings.rate_limit_sign_in_per_client,
            sign_in_per_account=settings.rate_limit_sign_in_per_account,
            registration_per_client=settings.rate_limit_registration_per_client,
            siwe_nonce_per_client=settings.rate_limit_siwe_nonce_per_client,
            account_mail_per_client=settings.rate_limit_account_mail_per_client,
            account_mail_per_address=settings.rate_limit_account_mail_per_address,
        ),
        chain=build_chain(settings),
        keystore=Keystore(Path(settings.data_dir) / "keystore", kek),
        kfrag_vault=KfragVault(kek),
        # Record ciphertexts are read again and again (every grantee read): kept in memory.
        blobs=CachedBlobStore(build_blob_store(settings),
                              max_bytes=settings.blob_cache_bytes),
        dicom=DicomStores(Path(settings.data_dir), settings.orthanc_urls,
                          timeout=settings.orthanc_timeout_seconds),
        # A study archive is one blob: the largest upload plus its ZIP directory.
        archives=build_blob_store(settings, settings.max_study_bytes * 2),
        mailer=build_mailer(settings),
        payment_provider=payment_provider,
        payment_webhooks=payment_webhooks,
        treating_relationships=(
            OpenEncounters(window=timedelta(minutes=settings.encounter_write_window_minutes)),
            BookingReasons(), OrderResults(), PrescriptionDispenses()),
    )

    def database_ready() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    bound_recursion_limit()  # in case an adapter loaded more of the chain libraries
    container.readiness["database"] = database_ready
    container.readiness["chain"] = container.chain.check
    container.readiness["blobs"] = container.blobs.ping
    if container.dicom.has_orthancs:
        container.readiness["dicom"] = container.dicom.check
    return container
