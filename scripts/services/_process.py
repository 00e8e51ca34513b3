"""Process helpers shared by the service starters: free ports, polling, process-group stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(probe: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `probe` until it returns True; raise TimeoutError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # a probe failing just means "not yet"
            if probe():
                return
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f} s")


def stop_process_group(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> bool:
    """SIGTERM the process group started with start_new_session=True, SIGKILL if it lingers;
    True when it had to be killed."""
    if proc.poll() is not None:
        return False
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    try:
        proc.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return True
        proc.wait(timeout=timeout)
        return True
