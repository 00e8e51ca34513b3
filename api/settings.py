"""Service settings, read from OHMS_* environment variables and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with. Defaults give the embedded setup."""

    model_config = SettingsConfigDict(
        env_prefix="OHMS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".ohms")
    # Public base URL of the service (SIWE domain and URI are derived from it).
    public_url: str | None = None

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in data_dir"
    )
    database_echo: bool = False

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for access tokens; default is a random key kept in data_dir",
    )
    jwt_issuer: str = "ohms"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600

    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 2

    password_min_length: int = 10
    password_min_score: int = 2
    lockout_threshold: int = 5
    lockout_base_seconds: int = 30
    lockout_max_seconds: int = 900

    siwe_nonce_ttl_seconds: int = 300

    # Moving-window limits per client address (and per account for sign-in, known or not),
    # as `limits` expressions ("30/minute", "30/minute;500/hour"); counted per process.
    # Over a limit the answer is 429 with Retry-After.
    rate_limit_sign_in_per_client: str = "60/minute"
    rate_limit_sign_in_per_account: str = "30/minute"
    rate_limit_registration_per_client: str = "20/hour"
    rate_limit_siwe_nonce_per_client: str = "30/minute"
    siwe_chain_id: int | None = Field(
        default=None, description="Chain id wallets sign in with; default: the chain's own"
    )

    # Chain: the embedded dev chain (a SQLite file in data_dir) unless an RPC URL is given.
    chain_rpc_url: str | None = None
    chain_public_rpc_url: str | None = Field(
        default=None,
        description="A JSON-RPC URL of the chain that browsers may read (the portal verifies "
                    "access-log entries against it; the portal's CSP allows it); default: the "
                    "service's read-only RPC of its embedded chain, none with an external node",
    )
    chain_private_key: SecretStr | None = Field(
        default=None, description="Operator key that relays consents and anchors audit batches"
    )
    chain_timeout_seconds: float = 10.0
    chain_confirmations: int = Field(
        default=0, ge=0, description="Blocks an event must be buried under before it is indexed"
    )
    shared_dev_chain: bool = Field(
        default=False,
        description="Open the embedded dev chain for each call, so that several processes "
                    "share it; `ohms serve --workers N` sets this for N > 1",
    )
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    blob_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0,
        description="Record blobs kept in memory per process after a read (content-addressed, "
                    "so never stale); 0 turns the cache off",
    )
    mirror_max_lag_seconds: float = Field(
        default=5.0, gt=0,
        description="Access decisions use the grants mirror while the indexer found it at the "
                    "chain's head at most this long ago (a revocation made directly on chain "
                    "is honoured within it); later, a decision first indexes itself, and "
                    "answers 503 when the chain cannot be read",
    )
    run_workers: bool = Field(
        default=True, description="Run the outbox, indexer and audit batcher in this process"
    )
    outbox_max_attempts: int = 20
    audit_batch_max_entries: int = 1000
    audit_batch_max_seconds: float = 60.0

    # Key-encryption key of the server keystore (custodial keys, kfrags at rest). Default: a
    # random key in data_dir/secrets, never in the database.
    keystore_kek: SecretStr | None = None

    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    # Record blobs: the IPFS node's RPC API (multiaddr or URL); default: data_dir/blobs.
    ipfs_api: str | None = None
    ipfs_timeout_seconds: float = Field(default=10.0, gt=0)
    max_record_bytes: int = Field(
        default=524_288, gt=0, description="Largest FHIR resource accepted as one record (bytes)"
    )

    # Imaging: each institution's DICOM store (see api.composition.DicomStores).
    orthanc_urls: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object mapping an organisation id to its Orthanc, with basic-auth "
                    "credentials in the URL: {\"<org uuid>\": \"http://user:pass@host:8042\"}. "
                    "Organisations not listed keep DICOM files in data_dir/dicom/<org id>",
    )
    orthanc_timeout_seconds: float = Field(default=30.0, gt=0)
    max_study_bytes: int = Field(
        default=2 * 1024**3, gt=0,
        description="Largest DICOM study upload (request body, files or ZIP) in bytes",
    )
    max_concurrent_uploads_per_user: int = Field(
        default=2, gt=0,
        description="Study uploads one user may have in flight at once (per process); "
                    "more are answered 429",
    )

    # Treating relationships (api.access.gate): an encounter lets its organisation's
    # clinicians write for the patient while it is open and this long after it finished.
    encounter_write_window_minutes: int = Field(
        default=1440, ge=0,
        description="Minutes after an encounter finished during which its organisation's "
                    "clinicians may still write records for the patient (basis `encounter`)",
    )

    # Email (api.notifications): notifications and account mails go through an outbox in
    # the database, sent by the background worker.
    smtp_url: SecretStr | None = Field(
        default=None,
        description="The mail server, smtp://user:pass@host:587 (smtps:// for TLS from the "
                    "start); default: each message is written as an .eml file in "
                    "data_dir/mail",
    )
    smtp_starttls: bool = Field(
        default=False, description="Upgrade an smtp:// connection with STARTTLS (required)")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = Field(default="OHMS <no-reply@ohms.invalid>",
                           description="The From of every email the service sends")
    mail_max_attempts: int = Field(
        default=10, ge=1,
        description="Tries of an email the mail server refuses for now (4xx); a server that "
                    "does not answer never fails an email, it is retried with backoff")
    reminder_before_minutes: int = Field(
        default=1440, ge=1,
        description="Minutes before a confirmed appointment that its reminder is sent")
    password_reset_ttl_minutes: int = Field(
        default=30, ge=1, description="How long a mailed password-reset link works (once)")
    email_confirmation_ttl_minutes: int = Field(
        default=2880, ge=1, description="How long a mailed email-confirmation link works")
    # Password-reset and email-confirmation requests, per client address and per address
    # (or account) named; over a limit the answer is 429, whether or not the account exists.
    rate_limit_account_mail_per_client: str = "10/hour"
    rate_limit_account_mail_per_address: str = "3/hour"

    # Online payments (api.payments): the provider port's adapter, and the secret its
    # webhooks are signed with (OHMS-Signature, HMAC-SHA256 over the timestamp and the body).
    payment_provider: str = Field(
        default="simulated",
        description="The online payment provider: \"simulated\", the embedded provider "
                    "with its own checkout page (the only adapter today)",
    )
    payment_webhook_secret: SecretStr | None = Field(
        default=None,
        description="The secret shared with the payment provider that signs its webhooks; "
                    "default is a random key kept in data_dir/secrets",
    )
    payment_webhook_tolerance_seconds: int = Field(
        default=300, gt=0,
        description="How far a webhook's signed timestamp may be from now (older or in the "
                    "future) and still be accepted",
    )

    max_request_bytes: int = 1_048_576
    benchmark_routes: bool = Field(
        default=False,
        description="Mount /bench/plain (scripts/bench_exchange.py's baseline); never in "
                    "production",
    )
    api_docs: bool = Field(
        default=True,
        description="Serve the interactive API docs at /docs and /redoc (from the installed "
                    "package, no CDN); set false to turn them off in production",
    )
    log_level: str = "INFO"
    portal_dir: Path | None = Field(
        default=None,
        description="The built clinic portal (static files) served at /; default: "
                    "clinic_portal/dist of the checkout when it has been built",
    )

    @model_validator(mode="after")
    def _public_url_default(self) -> Settings:
        if self.public_url is None:
            self.public_url = f"http://{self.host}:{self.port}"
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ohms.sqlite3').resolve()}"

    @property
    def siwe_domain(self) -> str:
        assert self.public_url is not None
        return self.public_url.split("://", 1)[-1].split("/", 1)[0]


def load_settings() -> Settings:
    return Settings()
