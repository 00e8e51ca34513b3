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
                                           [--duration 5] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below

from api.settings import Settings  # noqa: E402
from scripts.services import free_port, wait_until  # noqa: E402
from scripts.services._process import stop_process_group  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

OHMS = Path(sys.executable).parent / "ohms"
HOST = "127.0.0.1"
BENCH_EMAIL = "bench.patient@example.org"
BENCH_PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway account on loopback
STARTUP_TIMEOUT = 90.0
REQUEST_TIMEOUT = 30.0


@dataclass
class Measurement:
    """What the client threads saw for one kind of request."""

    name: str
    ok: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q * 100) - 1] * 1000


# One request of a measurement: takes the thread's client, returns an error text or None.
Probe = Callable[[httpx.Client], str | None]


def measure(name: str, base_url: str, probe: Probe, *, duration: float, concurrency: int,
            max_requests: int) -> Measurement:
    """Run `probe` from `concurrency` threads until `duration` s or `max_requests` have passed."""
    result = Measurement(name)
    lock = threading.Lock()
    issued = 0
    begin = deadline = 0.0

    def start_clock() -> None:
        # Runs once every worker has its connection, before any of them is released.
        nonlocal begin, deadline
        begin = time.monotonic()
        deadline = begin + duration

    started = threading.Barrier(concurrency + 1, action=start_clock)

    def worker() -> None:
        nonlocal issued
        latencies: list[float] = []
        ok = errors = 0
        samples: list[str] = []
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            # Warm-up: open the keep-alive connection before the clock starts.
            with contextlib.suppress(httpx.HTTPError):
                probe(client)
            started.wait()
            while time.monotonic() < deadline:
                with lock:
                    if issued >= max_requests:
                        break
                    issued += 1
                t0 = time.perf_counter()
                try:
                    error = probe(client)
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                if error is None:
                    ok += 1
                else:
                    errors += 1
                    if len(samples) < 3:
                        samples.append(error)
        with lock:
            result.ok += ok
            result.errors += errors
            result.latencies.extend(latencies)
            result.error_samples.extend(samples)

    threads = [threading.Thread(target=worker, name=f"bench-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    started.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.monotonic() - begin
    return result


def expect(status: int) -> Callable[[httpx.Response], str | None]:
    def check(response: httpx.Response) -> str | None:
        if response.status_code == status:
            return None
        return f"{response.status_code} {response.text[:160]}"
    return check


def healthz_probe(client: httpx.Client) -> str | None:
    return expect(200)(client.get("/healthz"))


def login_probe(client: httpx.Client) -> str | None:
    return expect(200)(client.post("/api/v1/auth/token",
                                   data={"username": BENCH_EMAIL, "password": BENCH_PASSWORD}))


def me_probe(token: str) -> Probe:
    headers = {"Authorization": f"Bearer {token}"}

    def probe(client: httpx.Client) -> str | None:
        return expect(200)(client.get("/api/v1/me", headers=headers))
    return probe


def server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The caller's environment without OHMS_* (so the production defaults apply)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHMS_")}
    env["OHMS_DATA_DIR"] = str(data_dir)
    # The sign-in rate limits would answer most of the benchmark's logins with 429: this
    # measures the sign-in work itself, so they are lifted for its server.
    env["OHMS_RATE_LIMIT_SIGN_IN_PER_CLIENT"] = "1000000/minute"
    env["OHMS_RATE_LIMIT_SIGN_IN_PER_ACCOUNT"] = "1000000/minute"
    if database_url:
        env["OHMS_DATABASE_URL"] = database_url
    return env


@contextmanager
def ohms_server(env: dict[str, str], *, workers: int) -> Iterator[str]:
    """Migrate, then `ohms serve` on a free loopback port until /readyz; stop it on exit."""
    data_dir = Path(env["OHMS_DATA_DIR"])
    # cwd is the data directory so that a .env in the checkout does not change the setup.
    migrated = subprocess.run([str(OHMS), "migrate"], env=env, cwd=data_dir,
                              capture_output=True, text=True, check=False)
    if migrated.returncode != 0:
        raise RuntimeError(f"ohms migrate failed:\n{migrated.stderr[-4000:]}")
    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(OHMS), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base_url = f"http://{HOST}:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=5.0) as client:
            def ready() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"ohms serve exited with {proc.returncode}:\n"
                                       + log_path.read_text(errors="replace")[-4000:])
                return client.get("/readyz").status_code == 200

            try:
                wait_until(ready, timeout=STARTUP_TIMEOUT, what=f"ohms serve on {base_url}")
            except TimeoutError as exc:
                raise RuntimeError(
                    f"{exc}\n{log_path.read_text(errors='replace')[-4000:]}") from exc
        yield base_url
    finally:
        stop_process_group(proc, timeout=20.0)


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


def print_table(rows: list[Measurement], baseline: Measurement) -> None:
    header = (f"{'measurement':<34}{'ok':>9}{'errors':>8}{'per s':>11}"
              f"{'p50 ms':>9}{'p99 ms':>9}{'vs healthz':>12}")
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.per_second / baseline.per_second if baseline.per_second else 0.0
        print(f"{row.name:<34}{row.ok:>9}{row.errors:>8}{row.per_second:>11.1f}"
              f"{row.percentile_ms(0.5):>9.1f}{row.percentile_ms(0.99):>9.1f}"
              f"{ratio:>11.3f}x")
    for row in rows:
        for sample in row.error_samples:
            print(f"  error in {row.name}: {sample}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument("--database-url",
                         help="run against this database (e.g. postgresql+psycopg://...); "
                              "default: a SQLite file in a temporary data directory")
    backend.add_argument("--start-postgres", action="store_true",
                         help="start a throwaway PostgreSQL cluster and run against it")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per measurement (default 5)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="client threads (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="upper bound of requests per measurement (default 200000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes, as `ohms serve --workers` (default 1)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.concurrency < 1 or args.max_requests < 1 or args.workers < 1:
        parser.error("--duration, --concurrency, --max-requests and --workers must be positive")
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
            ohms_server(server_env(data_dir, database_url), workers=args.workers))
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
