"""The `ohms` command: serve, migrate, seed-demo, create-admin, audit, client."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from api.composition import build_container
from api.db.migrate import upgrade
from api.db.session import SYSTEM, session_scope
from api.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings(**overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    container = build_container(_settings(args))
    upgrade(container.engine)
    print(f"database at {container.engine.url.render_as_string(hide_password=True)} is current")
    container.close()
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from api.demo import DEMO_PASSWORD, seed_demo

    settings = _settings(args)
    container = build_container(settings)
    logins = seed_demo(container)
    container.close()
    print(f"\nOHMS demo logins (password for all: {DEMO_PASSWORD})")
    for login in logins:
        where = f"  {login.organization}" if login.organization else ""
        print(f"  {login.role:<17} {login.email:<30} UHID {login.uhid}{where}")
    print(f"\nPortal: {settings.public_url}/   (sign in with any login above)")
    print(f"API: {settings.public_url}/api/v1   docs: {settings.public_url}/docs\n")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from api.identity import service

    container = build_container(_settings(args))
    password = os.environ.get("OHMS_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    from api.errors import DomainError

    try:
        with session_scope(container.sessions, SYSTEM) as session:
            user = service.create_system_admin(session, container, email=args.email,
                                               password=password)
            print(f"system administrator {user.email} created, UHID {user.uhid}")
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        container.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    os.environ["OHMS_HOST"] = settings.host
    os.environ["OHMS_PORT"] = str(settings.port)
    if args.workers > 1 and not settings.chain_rpc_url:
        # One embedded chain file for several processes: each opens it per call, in turn.
        os.environ["OHMS_SHARED_DEV_CHAIN"] = "true"
    uvicorn.run("api.asgi:app", host=settings.host, port=settings.port,
                workers=args.workers, log_config=None, proxy_headers=False,
                server_header=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the background work (outbox, indexer, audit batches) without the HTTP server."""
    import signal
    import threading

    from api.background import attach_background

    container = build_container(_settings(args))
    workers = attach_background(container)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    workers.start()
    try:
        stop.wait()
    finally:
        workers.stop(timeout=10)
        container.close()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    import json

    from api.audit.verify import verify_entry

    try:
        document = json.loads(open(args.entry, encoding="utf-8").read())  # noqa: SIM115
    except (OSError, ValueError) as exc:
        print(f"REJECTED: cannot read {args.entry}: {exc}", file=sys.stderr)
        return 2
    verdict = verify_entry(document, args.rpc_url)
    print(("VERIFIED: " if verdict.ok else "REJECTED: ") + verdict.reason)
    return 0 if verdict.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ohms", description="OHMS service commands")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="create demo tenants and users (idempotent)")
    seed.set_defaults(func=cmd_seed_demo)

    admin = sub.add_parser("create-admin", help="create a system administrator "
                           "(password from OHMS_ADMIN_PASSWORD or a prompt)")
    admin.add_argument("email")
    admin.set_defaults(func=cmd_create_admin)

    worker = sub.add_parser("worker", help="run the outbox, chain indexer and audit batcher")
    worker.set_defaults(func=cmd_worker)

    audit = sub.add_parser("audit", help="access-log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check an access-log entry proof (from GET /api/v1/audit/entries/{id}"
        "/proof) against the chain alone")
    verify.add_argument("entry", help="the proof JSON file")
    verify.add_argument("--rpc-url", default=os.environ.get("OHMS_CHAIN_RPC_URL")
                        or "http://127.0.0.1:8000/api/v1/chain/rpc",
                        help="a JSON-RPC node of the chain (default: the embedded dev chain "
                        "served by a local OHMS)")
    verify.set_defaults(func=cmd_audit_verify)

    from api import client_commands

    client_commands.register(sub)

    args = parser.parse_args(argv)
    # Everything the service writes (database, chain, blobs, keys, DICOM files) is readable by
    # its own user only.
    os.umask(0o077)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
