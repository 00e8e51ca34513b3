"""Shared parts of the benchmarks that measure a real `ohms serve` over HTTP: starting it on
loopback (migrated, in a throwaway data directory), client threads that measure one kind of
request for a bounded time and count, and the printed table."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.services.ohms import OHMS, ohms_serve

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


def server_env(data_dir: Path, database_url: str | None,
               **settings: str) -> dict[str, str]:
    """The caller's environment without OHMS_* (so the production defaults apply), plus the
    given settings (`log_level="WARNING"` becomes OHMS_LOG_LEVEL=WARNING)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHMS_")}
    env["OHMS_DATA_DIR"] = str(data_dir)
    if database_url:
        env["OHMS_DATABASE_URL"] = database_url
    env.update({f"OHMS_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def ohms_server(env: dict[str, str], *, workers: int) -> Iterator[str]:
    """Migrate, then `ohms serve --workers N` on loopback until /readyz; stop it on exit."""
    data_dir = Path(env["OHMS_DATA_DIR"])
    # cwd is the data directory so that a .env in the checkout does not change the setup.
    migrated = subprocess.run([str(OHMS), "migrate"], env=env, cwd=data_dir,
                              capture_output=True, text=True, check=False)
    if migrated.returncode != 0:
        raise RuntimeError(f"ohms migrate failed:\n{migrated.stderr[-4000:]}")
    with ohms_serve(env, "--workers", str(workers)) as served:
        yield served.base_url


def print_table(rows: list[Measurement], baseline: Measurement,
                baseline_name: str = "healthz") -> None:
    header = (f"{'measurement':<34}{'ok':>9}{'errors':>8}{'per s':>11}"
              f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'vs ' + baseline_name:>14}")
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.per_second / baseline.per_second if baseline.per_second else 0.0
        print(f"{row.name:<34}{row.ok:>9}{row.errors:>8}{row.per_second:>11.1f}"
              f"{row.percentile_ms(0.5):>9.1f}{row.percentile_ms(0.95):>9.1f}"
              f"{row.percentile_ms(0.99):>9.1f}{ratio:>13.3f}x")
    for row in rows:
        for sample in row.error_samples:
            print(f"  error in {row.name}: {sample}")


def served_arguments(description: str | None) -> argparse.ArgumentParser:
    """The flags every served benchmark takes: the database, the server's processes, the
    client threads and the bounds of each measurement (defaults: 2 processes, 16 threads)."""
    parser = argparse.ArgumentParser(description=description)
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument("--database-url",
                         help="run against this database (e.g. postgresql+psycopg://...); "
                              "default: a SQLite file in a temporary data directory")
    backend.add_argument("--start-postgres", action="store_true",
                         help="start a throwaway PostgreSQL cluster and run against it")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes, as `ohms serve --workers` (default 2)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="client threads (default 16)")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per measurement (default 5)")
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="upper bound of requests per measurement (default 100000)")
    return parser


def check_served_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.duration <= 0 or args.concurrency < 1 or args.max_requests < 1 or args.workers < 1:
        parser.error("--duration, --concurrency, --max-requests and --workers must be positive")
