"""A throwaway js-ipfs 0.66.1 node, offline on loopback, for tests and benchmarks.

js-ipfs serves the same /api/v0 RPC API as Kubo (no Kubo binary can be installed here);
production points OHMS_IPFS_API at Kubo. The node never touches the network: no swarm
addresses, no bootstrap peers, no discovery, and `--enable-preload=false` on every start
(without it js-ipfs pushes added content to public preload servers).

`IpfsNode` starts, stops and restarts one node on the same repository (the fault tests
stop it under a store and bring it back); `ipfs_node()` yields the API multiaddr of a
fresh node, or of the node named by OHMS_TEST_IPFS_API when that is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx

from scripts.services._process import free_port, stop_process_group, wait_until

IPFS_PACKAGE_DIR = Path(__file__).resolve().parent / "ipfs"
IPFS_CLI = IPFS_PACKAGE_DIR / "node_modules" / "ipfs" / "src" / "cli.js"
ENV_EXISTING_NODE = "OHMS_TEST_IPFS_API"
START_TIMEOUT_S = 60.0


def _offline_config(api_port: int, gateway_port: int) -> dict[str, object]:
    # Arrays replace js-ipfs's defaults: an empty Swarm list is what keeps it off the network
    # (any swarm address also hangs the daemon when offline).
    return {
        "Addresses": {
            "API": f"/ip4/127.0.0.1/tcp/{api_port}",
            "Gateway": f"/ip4/127.0.0.1/tcp/{gateway_port}",
            "RPC": f"/ip4/127.0.0.1/tcp/{free_port()}",
            "Swarm": [],
            "Delegates": [],
        },
        "Bootstrap": [],
        "Swarm": {"DisableNatPortMap": True},
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
    }


class IpfsNode:
    """One js-ipfs daemon with its repository in a temporary directory.

    `start()` and `stop()` may be called repeatedly (same repository, same API port, so a
    client keeps its address across a restart); `close()` stops it and deletes the repo.
    """

    def __init__(self, node_binary: str | None = None) -> None:
        if not IPFS_CLI.exists():
            raise RuntimeError(
                f"js-ipfs is not installed in {IPFS_PACKAGE_DIR}: run "
                "`cd scripts/services/ipfs && npm install --omit=optional --no-audit --no-fund`")
        self._node = node_binary or shutil.which("node") or "node"
        self._root = Path(tempfile.mkdtemp(prefix="ohms-ipfs-"))
        self._repo = self._root / "repo"
        self._config = self._root / "config.json"
        self._log_path = self._root / "daemon.log"
        self.api_port = free_port()
        self._config.write_text(json.dumps(_offline_config(self.api_port, free_port())))
        self._proc: subprocess.Popen[bytes] | None = None
        self._initialised = False

    @property
    def api_multiaddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.api_port}/http"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def repo_path(self) -> Path:
        """The node's repository (IPFS_PATH): blockstore, datastore, config."""
        return self._repo

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _env(self) -> dict[str, str]:
        return {**os.environ, "IPFS_PATH": str(self._repo)}

    def _init_repo(self) -> None:
        subprocess.run(
            [self._node, str(IPFS_CLI), "init", "--empty-repo", str(self._config)],
            check=True, capture_output=True, env=self._env(), cwd=IPFS_PACKAGE_DIR,
            timeout=START_TIMEOUT_S,
        )
        self._initialised = True

    def _answers(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"js-ipfs exited with {self._proc.returncode}: "
                f"{self._log_path.read_text(errors='replace')[-2000:]}")
        return httpx.post(f"{self.api_url}/api/v0/id", timeout=2.0).status_code == 200

    def start(self) -> None:
        if self.running:
            return
        if not self._initialised:
            self._init_repo()
        # A daemon that was SIGKILLed leaves its lock behind and the next start refuses.
        (self._repo / "repo.lock").unlink(missing_ok=True)
        log = self._log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                [self._node, str(IPFS_CLI), "daemon", "--enable-preload=false",
                 "--init-config", str(self._config)],
                stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=IPFS_PACKAGE_DIR,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_until(self._answers, timeout=START_TIMEOUT_S, what="js-ipfs daemon")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc)
            self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> IpfsNode:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@contextmanager
def ipfs_node() -> Iterator[str]:
    """Yield the RPC API multiaddr of a running IPFS node; stop and delete it on exit.

    When OHMS_TEST_IPFS_API is set, yield that node's address and start nothing.
    """
    existing = os.environ.get(ENV_EXISTING_NODE)
    if existing:
        yield existing
        return
    with IpfsNode() as node:
        yield node.api_multiaddr
