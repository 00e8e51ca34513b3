"""Sign-in and authenticated-request throughput of a real `ohms serve`, against `/healthz`.

Starts everything it needs on loopback: a fresh data directory (SQLite and the dev chain by
default, or PostgreSQL with --database-url / --start-postgres), `ohms migrate`, the server
with the production argon2id cost, and a patient registered through the API. Then it
measures, with several client threads and bounded time and count:

  GET /healthz              unauthenticated, the baseline of this run
  POST /api/v1/auth/token   password sign-in (argon2id verification, session and tokens)
  GET /api/v1/me            bearer token (JWT check, session lookup, permissions)

It prints a table with each figure and its ratio to the baseline, and ends with one line of
JSON: {"logins_per_s": ..., "authed_rps": ..., "healthz_rps": ...}.

    .venv/bin/python scripts/bench_auth.py [--start-postgres | --database-url URL]
                                           [--duration 5] [--concurrency 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below

from api.settings import Settings  # noqa: E402
from scripts.served_bench import (  # noqa: E402
    REQUEST_TIMEOUT,
    Probe,
    check_served_arguments,
    expect,
    healthz_probe,
    measure,
    ohms_server,
    print_table,
    served_arguments,
    server_env,
)
from scripts.services import wait_until  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

BENCH_EMAIL = "bench.patient@example.org"
BENCH_PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway account on loopback


def login_probe(client: httpx.Client) -> str | None:
    return expect(200)(client.post("/api/v1/auth/token",
                                   data={"username": BENCH_EMAIL, "password": BENCH_PASSWORD}))


def me_probe(token: str) -> Probe:
    headers = {"Authorization": f"Bearer {token}"}

    def probe(client: httpx.Client) -> str | None:
        return expect(200)(client.get("/api/v1/me", headers=headers))
    return probe


def prepare_account(base_url: str) -> str:
    """Register the benchmark patient and return a bearer token that the server accepts."""
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        registered = client.post("/api/v1/auth/register", json={
            "email": BENCH_EMAIL, "password": BENCH_PASSWORD,
            "full_name": "Bench Patient", "date_of_birth": "1980-01-01"})
        if registered.status_code != 201:
            raise RuntimeError(f"registration failed: {registered.status_code} "
                               f"{registered.text[:300]}")
        # A write may commit just after its response is sent: poll until the account signs in
        # and its token is accepted.
        tokens: list[str] = []

        def signed_in() -> bool:
            r = client.post("/api/v1/auth/token",
                            data={"username": BENCH_EMAIL, "password": BENCH_PASSWORD})
            if r.status_code == 200 and me_probe(r.json()["access_token"])(client) is None:
                tokens.append(r.json()["access_token"])
                return True
            return False

        wait_until(signed_in, timeout=30.0, what="the benchmark account's sign-in")
        return tokens[-1]


def argon2_cost() -> str:
    fields = Settings.model_fields
    return (f"argon2id t={fields['argon2_time_cost'].default} "
            f"m={fields['argon2_memory_kib'].default} KiB "
            f"p={fields['argon2_parallelism'].default}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = served_arguments(__doc__.splitlines()[0] if __doc__ else None)
    args = parser.parse_args(argv)
    check_served_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ohms-bench-")))
        database_url: str | None = args.database_url
        if args.start_postgres:
            cluster = stack.enter_context(postgres_cluster())
            database_url = cluster.create_database("ohms_bench")
        backend = "PostgreSQL" if database_url else "SQLite"
        base_url = stack.enter_context(
            # The sign-in rate limits would answer most of the benchmark's logins with 429: this
            # measures the sign-in work itself, so they are lifted for its server.
            ohms_server(server_env(data_dir, database_url,
                                   rate_limit_sign_in_per_client="1000000/minute",
                                   rate_limit_sign_in_per_account="1000000/minute"),
                        workers=args.workers))
        token = prepare_account(base_url)

        print(f"OHMS auth benchmark: {backend} + dev chain, {args.workers} server process(es), "
              f"{argon2_cost()} (production default)")
        print(f"{args.concurrency} client threads, {args.duration:g} s per measurement, "
              f"server {base_url}\n")
        bounds = {"duration": args.duration, "concurrency": args.concurrency,
                  "max_requests": args.max_requests}
        healthz = measure("GET /healthz (baseline)", base_url, healthz_probe, **bounds)
        logins = measure("POST /api/v1/auth/token (login)", base_url, login_probe, **bounds)
        authed = measure("GET /api/v1/me (bearer token)", base_url, me_probe(token), **bounds)

    print_table([healthz, logins, authed], healthz)
    print(json.dumps({"logins_per_s": round(logins.per_second, 1),
                      "authed_rps": round(authed.per_second, 1),
                      "healthz_rps": round(healthz.per_second, 1)}))
    failed = [m.name for m in (healthz, logins, authed) if m.ok == 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
