"""`ohms serve` itself as a throwaway server on loopback, for the tests and benchmarks that
measure or probe a real served process (not the in-process app)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from scripts.services._process import free_port, stop_process_group, wait_until

OHMS = Path(sys.executable).parent / "ohms"
STARTUP_TIMEOUT = 90.0


@dataclass
class ServedOhms:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    killed: bool = False  # after exit: it did not stop on SIGTERM

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextmanager
def ohms_serve(env: dict[str, str], *options: str,
               startup_timeout: float = STARTUP_TIMEOUT) -> Iterator[ServedOhms]:
    """`ohms serve [options]` on a free loopback port, run from the data directory (so that a
    developer's .env in the checkout does not apply), until /readyz answers 200; stopped on
    exit (SIGTERM to its process group, SIGKILL if it lingers). Its output goes to
    `serve-<port>.log` in the data directory."""
    data_dir = Path(env["OHMS_DATA_DIR"])
    port = free_port()
    log_path = data_dir / f"serve-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(OHMS), "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = ServedOhms(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        exited: list[int] = []
        with httpx.Client(base_url=served.base_url, timeout=5.0) as client:
            def ready() -> bool:
                if proc.poll() is not None:
                    exited.append(proc.returncode)
                    return True
                return client.get("/readyz").status_code == 200

            try:
                wait_until(ready, timeout=startup_timeout, what=f"ohms serve on {served.base_url}")
            except TimeoutError as exc:
                raise RuntimeError(f"{exc}\n{served.log_tail()}") from exc
        if exited:
            raise RuntimeError(f"ohms serve exited with {exited[0]}:\n{served.log_tail()}")
        yield served
    finally:
        served.killed = stop_process_group(proc, timeout=20.0)
