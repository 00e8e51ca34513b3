"""The `ohms` command: serve, migrate, seed-demo, create-admin."""

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
        print(f"  {login.role:<15} {login.email:<30} UHID {login.uhid}{where}")
    print(f"\nAPI: {settings.public_url}/api/v1   docs: {settings.public_url}/docs\n")
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
    uvicorn.run("api.asgi:app", host=settings.host, port=settings.port,
                workers=args.workers, log_config=None, proxy_headers=False)
    return 0


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

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
