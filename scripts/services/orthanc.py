"""Throwaway Orthanc PACS servers on loopback (Debian's Orthanc + DICOMweb plugin), for tests.

Each server runs as a plain process from a JSON config in its own directory, with HTTP
basic authentication on a generated user and password and the DICOM network listener
off. A server can be stopped and started again on the same port and storage (fault tests),
and several can run at once (one per institution).

Orthanc 1.10 has no bind-address option: it listens on all interfaces, and refuses remote
clients at the HTTP level (`RemoteAccessAllowed: false`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from scripts.services._process import free_port, stop_process_group, wait_until

ORTHANC_BINARY = Path(os.environ.get("OHMS_ORTHANC_BIN", "/usr/sbin/Orthanc"))
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class OrthancEndpoint:
    """Where a running Orthanc answers, and the credentials it accepts."""

    url: str
    username: str
    password: str

    @classmethod
    def from_url(cls, url_with_credentials: str) -> OrthancEndpoint:
        """Parse `http://user:pass@host:port` (the OHMS_TEST_ORTHANC_URLS form)."""
        parts = urlsplit(url_with_credentials.strip())
        if not parts.hostname or parts.port is None or parts.username is None:
            raise ValueError("expected http://user:password@host:port")
        return cls(
            url=f"{parts.scheme}://{parts.hostname}:{parts.port}",
            username=parts.username,
            password=parts.password or "",
        )

    def answers(self) -> bool:
        response = httpx.get(
            f"{self.url}/system", auth=(self.username, self.password), timeout=2.0
        )
        return response.status_code == 200


class OrthancProcess:
    """One Orthanc server process over a storage directory it keeps across restarts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.endpoint = OrthancEndpoint(
            url=f"http://127.0.0.1:{self.port}",
            username="ohms",
            password=secrets.token_urlsafe(18),
        )
        self.config_path = root / "orthanc.json"
        self.log_path = root / "orthanc.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        storage = self.root / "storage"
        temporary = self.root / "tmp"
        storage.mkdir(parents=True, exist_ok=True)
        temporary.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": f"ohms-test-{self.port}",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "TemporaryDirectory": str(temporary),
            "HttpPort": self.port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.endpoint.username: self.endpoint.password},
            "DicomServerEnabled": False,
            "ExecuteLuaEnabled": False,
            "RestApiWriteToFileSystemEnabled": False,
            "OverwriteInstances": False,
            "HttpCompressionEnabled": False,
            "StorageCompression": False,
            "Plugins": [str(DICOMWEB_PLUGIN)] if DICOMWEB_PLUGIN.exists() else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }
        self.config_path.write_text(json.dumps(config, indent=2))

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server (on the same port and storage as before) and wait until it answers."""
        if self.running:
            return
        if not ORTHANC_BINARY.exists():
            raise RuntimeError(f"Orthanc not found at {ORTHANC_BINARY}: run `make deps`")
        self._proc = subprocess.Popen(
            [str(ORTHANC_BINARY), str(self.config_path), f"--logfile={self.log_path}"],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc = self._proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {proc.returncode}; see {self.log_path}")
            return self.endpoint.answers()

        try:
            wait_until(ready, timeout=START_TIMEOUT_S, what=f"Orthanc on port {self.port}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the server and wait for it to exit; its storage stays."""
        if self._proc is not None:
            stop_process_group(self._proc)
            self._proc = None


@contextmanager
def orthanc_server() -> Iterator[OrthancProcess]:
    """Start one Orthanc in a fresh temporary directory; stop it and delete it on exit."""
    root = Path(tempfile.mkdtemp(prefix="ohms-orthanc-"))
    process = OrthancProcess(root)
    try:
        process.start()
        yield process
    finally:
        process.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def orthanc_servers(count: int) -> Iterator[list[OrthancEndpoint]]:
    """`count` running Orthanc servers (one per institution), all stopped on exit.

    OHMS_TEST_ORTHANC_URLS (comma separated `http://user:pass@127.0.0.1:port`) names
    servers that are already running: they are used instead of starting new ones.
    """
    configured = os.environ.get("OHMS_TEST_ORTHANC_URLS", "").strip()
    if configured:
        endpoints = [OrthancEndpoint.from_url(u) for u in configured.split(",") if u.strip()]
        if len(endpoints) < count:
            raise RuntimeError(f"OHMS_TEST_ORTHANC_URLS names {len(endpoints)} servers, "
                               f"{count} needed")
        yield endpoints[:count]
        return
    with ExitStack() as stack:
        processes = [stack.enter_context(orthanc_server()) for _ in range(count)]
        yield [p.endpoint for p in processes]
