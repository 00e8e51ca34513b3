"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.formparsers import MultiPartParser

from api.audit.router import router as audit_router
from api.background import attach_background
from api.billing.price_router import router as price_router
from api.billing.router import router as billing_router
from api.composition import Container, build_container
from api.consent.router import router as consent_router
from api.db.session import SYSTEM, session_scope
from api.deps import authenticate, system_db, tenant_db
from api.errors import Conflict, install_problem_handlers
from api.health.router import router as health_router
from api.identity import service as identity_service
from api.identity.router import router as identity_router
from api.imaging.router import (
    UPLOAD_PATH_PATTERN,
    UPLOAD_SPOOL_MEMORY_BYTES,
    authorise_upload_request,
)
from api.imaging.router import router as imaging_router
from api.insurance.router import router as insurance_router
from api.logging_setup import configure_logging
from api.middleware import (
    AccessLog,
    BodySizeLimit,
    JsonBodyGuard,
    SecurityHeaders,
    UploadGate,
    portal_csp,
)
from api.notifications.router import router as notifications_router
from api.openapi_docs import document_problem_responses
from api.orders.router import router as orders_router
from api.payments.router import router as payments_router
from api.pharmacy.router import router as pharmacy_router
from api.portal import mount_portal, portal_build, portal_headers
from api.prescriptions.router import router as prescriptions_router
from api.records.router import router as records_router
from api.reports.router import router as reports_router
from api.scheduling.router import router as scheduling_router
from api.settings import Settings, load_settings
from api.system_sessions import check_routes as check_system_session_routes
from api.tenants.router import router as tenants_router

API_PREFIX = "/api/v1"
DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs")

# Every router of the service, with its mount prefix.
ROUTERS: list[tuple[APIRouter, str]] = [
    (health_router, ""),
    (identity_router, API_PREFIX),
    (tenants_router, API_PREFIX),
    (consent_router, API_PREFIX),
    (audit_router, API_PREFIX),
    (notifications_router, API_PREFIX),
    (records_router, API_PREFIX),
    (imaging_router, API_PREFIX),
    (scheduling_router, API_PREFIX),
    (orders_router, API_PREFIX),
    (pharmacy_router, API_PREFIX),
    (prescriptions_router, API_PREFIX),
    (price_router, API_PREFIX),
    (billing_router, API_PREFIX),
    (payments_router, API_PREFIX),
    (insurance_router, API_PREFIX),
    (reports_router, API_PREFIX),
]


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or (container.settings if container else load_settings())
    configure_logging(settings.log_level)
    owned = container is None
    built = container or build_container(settings)

    workers = attach_background(built)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            with session_scope(built.sessions, SYSTEM) as session:
                identity_service.ensure_bootstrap_admin(session, built)
        except Conflict:
            pass  # another server process (ohms serve --workers N) made it at the same moment
        if settings.run_workers:
            workers.start()
        try:
            yield
        finally:
            workers.stop(timeout=10)
            if owned:
                built.close()

    # Swagger UI and ReDoc from the installed package (no CDN script on an authenticated
    # origin); off with OHMS_API_DOCS=false.
    docs = {"docs_url": "/docs", "redoc_url": "/redoc"} if settings.api_docs else \
        {"docs_url": None, "redoc_url": None}
    app = FastAPIOffline(
        **docs,
        title="OHMS API",
        version="0.1.0",
        description="Online healthcare management with a blockchain-backed EHR exchange.",
        lifespan=lifespan,
    )
    app.state.container = built
    app.state.workers = workers
    install_problem_handlers(app)
    routers = list(ROUTERS)
    if settings.benchmark_routes:
        from api.benchmark_routes import router as benchmark_router

        routers.append((benchmark_router, ""))
    # Tenant sessions by default: a route opens the system session only for a listed reason.
    check_system_session_routes(routers, system_db, besides=(authenticate, tenant_db))
    for router, prefix in routers:
        document_problem_responses(router)
        app.include_router(router, prefix=prefix)
    # Uploaded files stay in memory up to this size, then go to disk (Starlette's default is
    # 1 MiB per file, so a study of many sub-MiB instances was held whole in memory).
    MultiPartParser.spool_max_size = UPLOAD_SPOOL_MEMORY_BYTES
    app.add_middleware(UploadGate, path_pattern=UPLOAD_PATH_PATTERN,
                       authorise=partial(authorise_upload_request, built),
                       max_per_user=settings.max_concurrent_uploads_per_user)
    app.add_middleware(JsonBodyGuard, skip_path_pattern=UPLOAD_PATH_PATTERN)
    app.add_middleware(AccessLog)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes,
                       # Study uploads: the study limit plus room for multipart framing.
                       path_limits={UPLOAD_PATH_PATTERN: settings.max_study_bytes + 65_536})
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    build = portal_build(settings.portal_dir)
    if build is not None:
        mount_portal(app, build)
    app.add_middleware(SecurityHeaders, docs_paths=DOCS_PATHS,
                       portal_policy=portal_csp(settings.chain_public_rpc_url),
                       **(portal_headers() if build is not None else {}))

    return app
