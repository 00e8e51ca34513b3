"""A throwaway Hardhat node (Hardhat 3, EDR) on loopback, for the chain tests and benchmarks.

Started directly with the project's Node 22 (node_modules/.bin/node) and Hardhat's CLI, not
through npx, whose extra `node` process would outlive a kill. The node uses hardhat.config.js
at the project root (its `node` network: chain id 31337, reverting transactions mined with
status 0). It keeps everything in memory: a restarted node starts from an empty chain.

When OHMS_TEST_CHAIN_RPC_URL is set, `hardhat_node()` starts nothing and yields that node,
signing with OHMS_TEST_CHAIN_PRIVATE_KEY (required then).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from scripts.services._process import free_port, stop_process_group, wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
HARDHAT_CLI = PROJECT_ROOT / "node_modules" / "hardhat" / "dist" / "src" / "cli.js"
RPC_URL_VARIABLE = "OHMS_TEST_CHAIN_RPC_URL"
PRIVATE_KEY_VARIABLE = "OHMS_TEST_CHAIN_PRIVATE_KEY"
_PRIVATE_KEY_LINE = re.compile(r"Private Key:\s*(0x[0-9a-fA-F]{64})")


@dataclass(frozen=True)
class ChainNode:
    """How to reach a running JSON-RPC node and the funded keys to sign with."""

    rpc_url: str
    private_keys: tuple[str, ...]
    log_path: Path | None = None
    pid: int | None = field(default=None, compare=False)


def rpc_answers(rpc_url: str, *, timeout: float = 2.0) -> bool:
    """True when the node answers `eth_chainId`."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(  # noqa: S310 - an http URL this module built
        rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
        return "result" in json.loads(response.read())


@contextmanager
def hardhat_node(*, startup_timeout: float = 60.0) -> Iterator[ChainNode]:
    """Start a Hardhat node on a free loopback port; stop it (and its children) on exit."""
    external_url = os.environ.get(RPC_URL_VARIABLE)
    if external_url:
        key = os.environ.get(PRIVATE_KEY_VARIABLE)
        if not key:
            raise RuntimeError(f"{RPC_URL_VARIABLE} is set but {PRIVATE_KEY_VARIABLE} is not")
        yield ChainNode(rpc_url=external_url, private_keys=(key,))
        return
    if not NODE.exists() or not HARDHAT_CLI.exists():
        raise RuntimeError(
            "Hardhat is not installed: run `npm install --no-audit --no-fund` at the project root"
        )
    port = free_port()
    work_dir = Path(tempfile.mkdtemp(prefix="ohms-hardhat-"))
    log_path = work_dir / "node.log"
    rpc_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(NODE), str(HARDHAT_CLI), "node", "--hostname", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # Never report telemetry from a test node (stdout is a file, so no prompt either).
            env={**os.environ, "HARDHAT_DISABLE_TELEMETRY": "true"},
        )
    try:

        def ready_or_exited() -> bool:
            # wait_until treats probe errors as "not yet"; an exited node ends the wait at once.
            if process.poll() is not None:
                return True
            return rpc_answers(rpc_url) and bool(_PRIVATE_KEY_LINE.search(_read(log_path)))

        wait_until(ready_or_exited, timeout=startup_timeout, what="hardhat node")
        if process.poll() is not None:
            raise RuntimeError(
                f"hardhat node exited with {process.returncode}: {_read(log_path)[-2000:]}"
            )
        keys = tuple(_PRIVATE_KEY_LINE.findall(_read(log_path)))
        yield ChainNode(rpc_url=rpc_url, private_keys=keys, log_path=log_path, pid=process.pid)
    finally:
        stop_process_group(process)
        shutil.rmtree(work_dir, ignore_errors=True)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")

