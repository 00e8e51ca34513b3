"""Imaging throughput of a real `ohms serve` over HTTP: upload and transfer of a 200-instance
CT study and the server's peak memory on the upload path, against a plain Orthanc-to-Orthanc
copy of the same study measured in the same run.

Starts everything it needs on loopback: the study (CT instances whose PatientID is the
patient's UHID, written as files to a temporary folder), two Orthanc servers for the
baseline, and `ohms serve` as a child process on a fresh data directory (embedded defaults:
SQLite, the dev chain, local blobs, a DICOM folder per institution; `ohms migrate` and
`ohms create-admin` first). Through the HTTP API it sets up a radiology centre with a
radiologist, a hospital on the keystore tier with a physician, and a patient with a wallet
and Umbral keys who grants the centre treatment access to imaging and the hospital the same
with key fragments (both relayed to the chain by the server's workers; waited for). Then:

  upload     POST /api/v1/patients/{uhid}/imaging/studies as the radiologist, the files
             streamed from disk as multipart (validate, store in the centre's DICOM store,
             archive, encrypt to the patient, file the ImagingStudy record); its progress
             is polled at GET /api/v1/imaging/uploads/{upload_id} where the service has it
  peak RSS   of the serving process during that upload (/proc: VmHWM reset through
             clear_refs just before it), next to its idle RSS and the study size
  transfer   POST /api/v1/imaging/studies/{id}/pull as the hospital's physician (consent
             check, re-encryption with the keystore key, import into the hospital's DICOM
             store verified against the manifest)
  baseline   a plain copy of the same study from one Orthanc to another over their REST API
             (each instance read from the first and stored into the second); a folder to
             folder copy, said so, when no Orthanc binary is installed

It prints each figure with its ratio to the baseline; the last line is one JSON object with
upload_mib_s, transfer_mib_s, orthanc_copy_mib_s, upload_peak_rss_mib (and a few extras).

    .venv/bin/python scripts/bench_imaging.py [--instances 200] [--rows 512]
        [--orthanc | --orthanc-urls URL,URL] [--start-postgres | --database-url URL]
        [--chain-rpc-url URL --chain-private-key HEX] [--ipfs-api ADDR]

--orthanc makes the baseline's two Orthancs the two institutions' DICOM stores (the server
is restarted with OHMS_ORTHANC_URLS once the organisations exist); --orthanc-urls names two
running Orthancs (http://user:pass@host:port) to use instead of starting them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below
from eth_account import Account  # noqa: E402
from eth_account.messages import encode_defunct  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from siwe import SiweMessage  # noqa: E402

from chain import sign_typed_data  # noqa: E402
from reencryption.client import KeyHolder  # noqa: E402
from scripts.services import free_port, wait_until  # noqa: E402
from scripts.services._process import stop_process_group  # noqa: E402
from scripts.services.orthanc import ORTHANC_BINARY, OrthancEndpoint, orthanc_server  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

MIB = 1024 * 1024
HOST = "127.0.0.1"
API = "/api/v1"
OHMS = Path(sys.executable).parent / "ohms"
PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway accounts on loopback
STARTUP_TIMEOUT = 120.0
SETUP_TIMEOUT = 60.0
CONSENT_TIMEOUT = 120.0
DEFAULT_MAX_STUDY_BYTES = 2 * 1024**3


# --- the study --------------------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    files: list[Path]
    size: int
    study_instance_uid: str
    sha256: frozenset[str]

    @property
    def mib(self) -> float:
        return self.size / MIB


def write_study(folder: Path, patient_id: str, count: int, rows: int, columns: int) -> Study:
    """`count` CT instances of one series, one file each, written as they are made."""
    from pydicom.uid import generate_uid

    from pacs_bridge.synthetic import ct_instance

    folder.mkdir(parents=True, exist_ok=True)
    study_uid, series_uid = str(generate_uid()), str(generate_uid())
    files: list[Path] = []
    digests: set[str] = set()
    size = 0
    for n in range(count):
        data = ct_instance(patient_id, study_uid=study_uid, series_uid=series_uid,
                           instance_number=n + 1, rows=rows, columns=columns)
        path = folder / f"ct-{n + 1:05d}.dcm"
        path.write_bytes(data)
        files.append(path)
        digests.add(hashlib.sha256(data).hexdigest())
        size += len(data)
    return Study(files, size, study_uid, frozenset(digests))


# --- the baseline: a plain store-to-store copy --------------------------------------------


class OrthancRest:
    """The few Orthanc REST calls the baseline makes, on one keep-alive connection."""

    def __init__(self, endpoint: OrthancEndpoint) -> None:
        self.endpoint = endpoint
        self.client = httpx.Client(base_url=endpoint.url, timeout=120.0,
                                   auth=(endpoint.username, endpoint.password))

    def close(self) -> None:
        self.client.close()

    def store(self, data: bytes) -> str:
        """POST one instance; the Orthanc id of its study."""
        r = self.client.post("/instances", content=data,
                             headers={"Content-Type": "application/dicom"})
        r.raise_for_status()
        study: str = r.json()["ParentStudy"]
        return study

    def instance_ids(self, study: str) -> list[str]:
        r = self.client.get(f"/studies/{study}/instances")
        r.raise_for_status()
        return [item["ID"] for item in r.json()]

    def instance_file(self, instance: str) -> bytes:
        r = self.client.get(f"/instances/{instance}/file")
        r.raise_for_status()
        return r.content

    def delete_study_uid(self, study_instance_uid: str) -> None:
        """Delete every study with this StudyInstanceUID (no error when there is none)."""
        r = self.client.post("/tools/lookup", content=study_instance_uid)
        r.raise_for_status()
        for item in r.json():
            if item.get("Type") == "Study":
                self.client.delete(f"/studies/{item['ID']}").raise_for_status()


def orthanc_copy(source: OrthancRest, target: OrthancRest, study: Study) -> float:
    """Seconds to copy the study from `source` to `target` (stored into `source` first,
    untimed); both are left without the study."""
    study_id = ""
    for path in study.files:
        study_id = source.store(path.read_bytes())
    start = time.perf_counter()
    copied = 0
    for instance in source.instance_ids(study_id):
        target.store(source.instance_file(instance))
        copied += 1
    seconds = time.perf_counter() - start
    if copied != len(study.files) or len(target.instance_ids(study_id)) != len(study.files):
        raise RuntimeError(f"Orthanc copy: {copied} instances copied, "
                           f"{len(study.files)} expected")
    for server in (source, target):
        server.delete_study_uid(study.study_instance_uid)
    return seconds


def folder_copy(root: Path, study: Study) -> float:
    """Seconds to copy the study between two DICOM folder stores (the fallback baseline)."""
    from pacs_bridge import LocalFolderDicomStore

    source, target = LocalFolderDicomStore(root / "a"), LocalFolderDicomStore(root / "b")
    for path in study.files:
        source.store_instance(path.read_bytes())
    start = time.perf_counter()
    copied = 0
    for _, data in source.export_study(study.study_instance_uid):
        target.store_instance(data)
        copied += 1
    seconds = time.perf_counter() - start
    if copied != len(study.files):
        raise RuntimeError(f"folder copy: {copied} instances copied, {len(study.files)} expected")
    return seconds


# --- the server ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def serving_pid(pid: int) -> int:
    """The process that serves: `ohms serve --workers 1` serves in its own (Python) process;
    should it be started through a wrapper, follow the wrapper's only child down."""
    while True:
        children = [c for c in _children(pid)
                    if b"python" in Path(f"/proc/{c}/cmdline").read_bytes()
                    or b"ohms" in Path(f"/proc/{c}/cmdline").read_bytes()]
        if len(children) != 1:
            return pid
        pid = children[0]


def status_mib(pid: int, key: str) -> float:
    """VmRSS, VmHWM, ... of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no {key}")


def reset_peak(pid: int) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS; False if the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class OhmsServer:
    """`ohms serve` on a free loopback port over one data directory, restartable."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.data_dir = Path(env["OHMS_DATA_DIR"])
        self.log_path = self.data_dir / "server.log"
        self.base_url = ""
        self.pid = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def run(self, *command: str, extra_env: dict[str, str] | None = None) -> str:
        """An `ohms` command on the same settings (cwd is the data directory, so that a .env
        in the checkout does not change the setup)."""
        done = subprocess.run([str(OHMS), *command], env={**self.env, **(extra_env or {})},
                              cwd=self.data_dir, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ohms {command[0]} failed:\n{done.stdout[-2000:]}"
                               f"{done.stderr[-4000:]}")
        return done.stdout

    def start(self) -> None:
        port = free_port()
        self.base_url = f"http://{HOST}:{port}"
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(OHMS), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
                env=self.env, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        proc = self._proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"ohms serve exited with {proc.returncode}:\n{self.log()}")
            return httpx.get(f"{self.base_url}/readyz", timeout=5.0).status_code == 200

        try:
            wait_until(ready, timeout=STARTUP_TIMEOUT, what=f"ohms serve on {self.base_url}")
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log()}") from exc
        self.pid = serving_pid(proc.pid)

    def stop(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc, timeout=20.0)
            self._proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] \
            if self.log_path.exists() else ""


@contextmanager
def running(server: OhmsServer) -> Iterator[OhmsServer]:
    server.start()
    try:
        yield server
    except BaseException:
        print(f"--- server log (tail) ---\n{server.log()}", file=sys.stderr)
        raise
    finally:
        server.stop()


def server_env(args: argparse.Namespace, data_dir: Path, database_url: str | None,
               study_bytes: int) -> dict[str, str]:
    """The caller's environment without OHMS_* (so the defaults apply) and the backends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHMS_")}
    env |= {"OHMS_DATA_DIR": str(data_dir), "OHMS_LOG_LEVEL": "WARNING",
            "OHMS_MAX_STUDY_BYTES": str(max(DEFAULT_MAX_STUDY_BYTES, 2 * study_bytes))}
    if database_url:
        env["OHMS_DATABASE_URL"] = database_url
    if args.chain_rpc_url:
        env["OHMS_CHAIN_RPC_URL"] = args.chain_rpc_url
        env["OHMS_CHAIN_PRIVATE_KEY"] = args.chain_private_key
    if args.ipfs_api:
        env["OHMS_IPFS_API"] = args.ipfs_api
        env["OHMS_IPFS_TIMEOUT_SECONDS"] = "600"
    return env


# --- acting through the API ---------------------------------------------------------------


class Api:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=SETUP_TIMEOUT)

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, url: str, token: str | None = None, *,
             expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.client.request(method, url, headers=headers, **kwargs)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {url}: {r.status_code} {r.text[:1000]}")
        return r.json() if r.content else None

    def token(self, email: str) -> str:
        body = self.call("POST", f"{API}/auth/token",
                         data={"username": email, "password": PASSWORD}, expect=(200,))
        token: str = body["access_token"]
        return token


@dataclass
class Scenario:
    """Who does what, once set up."""

    admin: str
    uhid: str = ""
    patient: str = ""
    radiologist: str = ""
    physician: str = ""
    centre_id: str = ""
    hospital_id: str = ""
    consents: list[str] = field(default_factory=list)


def _email(label: str) -> str:
    return f"bench-{label}-{uuid.uuid4().hex[:10]}@example.org"


def _member(api: Api, token: str, org: str, role: str) -> str:
    email = _email(role)
    api.call("POST", f"{API}/organizations/{org}/members", token,
             json={"email": email, "full_name": f"Bench {role.title()}", "role": role,
                   "password": PASSWORD}, expect=(201,))
    return email


def _link_wallet(api: Api, token: str, wallet: LocalAccount) -> None:
    c = api.call("POST", f"{API}/auth/siwe/nonce", expect=(200,))
    message = SiweMessage(domain=c["domain"], address=wallet.address, uri=c["uri"], version="1",
                          chain_id=c["chain_id"], nonce=c["nonce"], issued_at=c["issued_at"],
                          expiration_time=c["expiration_time"]).prepare_message()
    signature = "0x" + wallet.sign_message(encode_defunct(text=message)).signature.hex() \
        .removeprefix("0x")
    api.call("POST", f"{API}/me/wallet", token,
             json={"message": message, "signature": signature}, expect=(200,))


def _grant(api: Api, token: str, wallet: LocalAccount, grantee: str, *,
           keys: KeyHolder | None = None, grantee_umbral_key: str | None = None) -> str:
    """The patient signs a treatment grant for imaging (with kfrags when `keys` are given)."""
    typed = api.call("POST", f"{API}/consents/typed-data", token, expect=(200,), json={
        "grantee": grantee, "scope": "category:imaging", "purpose": "treatment",
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    body: dict[str, Any] = {"typed_data": typed, "signature": sign_typed_data(wallet.key, typed)}
    if keys is not None and grantee_umbral_key is not None:
        body |= {"kfrags": keys.grant_kfrags(grantee_umbral_key),
                 "verifying_key": keys.key_document()["verifying_key"]}
    consent = api.call("POST", f"{API}/consents", token, json=body, expect=(201, 202))
    consent_id: str = consent["id"]
    return consent_id


def wait_active(api: Api, token: str, consent_ids: list[str]) -> None:
    """Grants are relayed to the chain and mirrored back by the server's workers."""
    def active() -> bool:
        states = [api.call("GET", f"{API}/consents/{c}", token, expect=(200,))["status"]
                  for c in consent_ids]
        if any(s in ("rejected", "revoked", "expired") for s in states):
            raise RuntimeError(f"a grant was not accepted: {states}")
        return all(s == "active" for s in states)

    wait_until(active, timeout=CONSENT_TIMEOUT, what="the patient's grants on chain")
    if not active():  # wait_until swallows probe errors: ask once more, loudly
        raise RuntimeError("the patient's grants are not active")


def set_up(api: Api, scenario: Scenario) -> None:
    """Institutions, staff, the patient, their keys and wallet, and the two grants."""
    admin = api.token(scenario.admin)
    scenario.centre_id = api.call("POST", f"{API}/organizations", admin, expect=(201,), json={
        "name": f"Bench Radiology {uuid.uuid4().hex[:6]}", "kind": "radiology"})["id"]
    scenario.radiologist = _member(api, admin, scenario.centre_id, "radiologist")
    scenario.hospital_id = api.call("POST", f"{API}/organizations", admin, expect=(201,), json={
        "name": f"Bench Hospital {uuid.uuid4().hex[:6]}", "kind": "hospital"})["id"]
    hospital_admin = _member(api, admin, scenario.hospital_id, "org_admin")
    scenario.physician = _member(api, admin, scenario.hospital_id, "physician")
    # Keystore tier: the service makes and keeps the hospital's Umbral keys.
    hospital_key = api.call("POST", f"{API}/organizations/{scenario.hospital_id}/keys/custodial",
                            api.token(hospital_admin), expect=(201,))["umbral_public_key"]

    scenario.patient = _email("patient")
    registered = api.call("POST", f"{API}/auth/register", expect=(201,), json={
        "email": scenario.patient, "password": PASSWORD, "full_name": "Bench Patient",
        "date_of_birth": "1970-01-01"})
    scenario.uhid = registered["uhid"]
    patient = api.token(scenario.patient)
    wallet: LocalAccount = Account.create()
    _link_wallet(api, patient, wallet)
    keys = KeyHolder.from_wallet_private_key(bytes(wallet.key))
    api.call("PUT", f"{API}/me/keys", patient, json=keys.key_document(), expect=(200,))
    # One at a time: each typed-data carries the patient's next on-chain nonce.
    scenario.consents.append(_grant(api, patient, wallet, scenario.centre_id))
    wait_active(api, patient, scenario.consents)
    scenario.consents.append(_grant(api, patient, wallet, scenario.hospital_id, keys=keys,
                                    grantee_umbral_key=hospital_key))
    wait_active(api, patient, scenario.consents)


# --- the measured requests ----------------------------------------------------------------


class ProgressWatch:
    """Polls GET /imaging/uploads/{upload_id} while an upload runs, and once after it (where
    the service has that route; 404 until the upload is known, or when it has none)."""

    def __init__(self, base_url: str, token: str, upload_id: str) -> None:
        self.url = f"{base_url}{API}/imaging/uploads/{upload_id}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.last: Any = None
        self.seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="upload-progress", daemon=True)

    def _get(self, client: httpx.Client) -> None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            r = client.get(self.url, headers=self.headers)
            if r.status_code == 200:
                self.last = r.json()
                self.seen += 1

    def _poll(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while not self._stop.wait(0.5):
                self._get(client)

    def __enter__(self) -> ProgressWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        with httpx.Client(timeout=10.0) as client:
            self._get(client)

    def summary(self) -> str | None:
        if not isinstance(self.last, dict):
            return None
        shown = {k: self.last[k] for k in ("status", "phase", "instances_done",
                                           "instances_total", "bytes_done", "bytes_total")
                 if k in self.last}
        return f"{self.seen} polls, last: {json.dumps(shown or self.last)[:300]}"


def upload(server: OhmsServer, token: str, uhid: str, study: Study,
           timeout: float) -> tuple[float, dict[str, Any], str | None]:
    """Seconds, the 201 body and the upload progress seen, of the study upload."""
    upload_id = str(uuid.uuid4())
    with ExitStack() as files, ProgressWatch(server.base_url, token, upload_id) as watch, \
            httpx.Client(base_url=server.base_url, timeout=timeout) as client:
        # Open handles: httpx streams each file from disk in chunks.
        parts = [("files", (p.name, files.enter_context(p.open("rb")), "application/dicom"))
                 for p in study.files]
        start = time.perf_counter()
        r = client.post(f"{API}/patients/{uhid}/imaging/studies", files=parts,
                        params={"upload_id": upload_id},
                        headers={"Authorization": f"Bearer {token}"})
        seconds = time.perf_counter() - start
    if r.status_code != 201:
        raise RuntimeError(f"upload: {r.status_code} {r.text[:2000]}\n{server.log()}")
    body: dict[str, Any] = r.json()
    if body["instance_count"] != len(study.files):
        raise RuntimeError(f"upload filed {body['instance_count']} instances, "
                           f"{len(study.files)} sent")
    return seconds, body, watch.summary()


def pull(server: OhmsServer, token: str, study_id: str, study: Study,
         timeout: float) -> float:
    """Seconds of the hospital's pull; every instance checked against what was uploaded."""
    with httpx.Client(base_url=server.base_url, timeout=timeout) as client:
        start = time.perf_counter()
        r = client.post(f"{API}/imaging/studies/{study_id}/pull",
                        headers={"Authorization": f"Bearer {token}"})
        seconds = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"pull: {r.status_code} {r.text[:2000]}\n{server.log()}")
    instances = r.json()["instances"]
    if len(instances) != len(study.files) or \
            {i["sha256"] for i in instances} != study.sha256:
        raise RuntimeError(f"pull imported {len(instances)} instances, not the "
                           f"{len(study.files)} uploaded")
    return seconds


# --- the run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--instances", type=int, default=200,
                        help="CT instances in the study (default 200)")
    parser.add_argument("--rows", type=int, default=512,
                        help="rows of each image, 16-bit pixels (default 512)")
    parser.add_argument("--columns", type=int, help="columns of each image (default: --rows)")
    dicom = parser.add_mutually_exclusive_group()
    dicom.add_argument("--orthanc", action="store_true",
                       help="make the two started Orthancs the institutions' DICOM stores "
                            "(default: a folder per institution in the data directory)")
    dicom.add_argument("--orthanc-urls",
                       help="two running Orthancs, http://user:pass@host:port,http://...: "
                            "the baseline's and the institutions' DICOM stores")
    database = parser.add_mutually_exclusive_group()
    database.add_argument("--database-url",
                          help="e.g. postgresql+psycopg://... (default: SQLite in the data "
                               "directory)")
    database.add_argument("--start-postgres", action="store_true",
                          help="start a throwaway PostgreSQL cluster and run against it")
    parser.add_argument("--chain-rpc-url", help="an EVM JSON-RPC node (default: the dev chain)")
    parser.add_argument("--chain-private-key", help="funded operator key for --chain-rpc-url")
    parser.add_argument("--ipfs-api",
                        help="an IPFS node's RPC API (default: the local blob store)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds the upload and the pull may take (default 1800)")
    args = parser.parse_args(argv)
    if args.chain_rpc_url and not args.chain_private_key:
        parser.error("--chain-rpc-url needs --chain-private-key")
    if args.instances < 1 or args.rows < 1 or (args.columns is not None and args.columns < 1):
        parser.error("--instances, --rows and --columns must be positive")
    args.columns = args.columns or args.rows
    return args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: servers stopped, folders removed


def _quietly(step: Callable[[str], None], argument: str) -> None:
    """A clean-up step that must not hide the error that ended the run."""
    with contextlib.suppress(httpx.HTTPError, OSError):
        step(argument)


def _ratio(a: float, b: float) -> str:
    return f"x{a / b:.2f}" if b > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ohms-bench-img-")))
        data_dir = root / "data"
        data_dir.mkdir()

        # The baseline's two Orthancs (with --orthanc also the two institutions' stores).
        endpoints: list[OrthancEndpoint] = []
        baseline_servers = stack.enter_context(ExitStack())
        if args.orthanc_urls:
            endpoints = [OrthancEndpoint.from_url(u) for u in args.orthanc_urls.split(",")
                         if u.strip()]
            if len(endpoints) != 2:
                raise SystemExit("--orthanc-urls names two Orthanc servers")
        elif ORTHANC_BINARY.exists():
            endpoints = [baseline_servers.enter_context(orthanc_server()).endpoint
                         for _ in range(2)]
        elif args.orthanc:
            raise SystemExit(f"--orthanc: no Orthanc at {ORTHANC_BINARY} (run `make deps`)")
        use_orthanc = bool(args.orthanc or args.orthanc_urls)

        database_url: str | None = args.database_url
        if args.start_postgres:
            database_url = stack.enter_context(postgres_cluster()).create_database(
                "ohms_bench_imaging")
        estimate = args.instances * (args.rows * args.columns * 2 + 65_536)
        server = OhmsServer(server_env(args, data_dir, database_url, estimate))
        server.run("migrate")
        scenario = Scenario(admin=_email("admin"))
        server.run("create-admin", scenario.admin, extra_env={"OHMS_ADMIN_PASSWORD": PASSWORD})
        stack.enter_context(running(server))
        api = Api(server.base_url)
        stack.callback(api.close)
        set_up(api, scenario)

        backend = ", ".join([
            "PostgreSQL" if database_url else "SQLite",
            "chain " + (args.chain_rpc_url or "embedded dev chain"),
            "IPFS " + args.ipfs_api if args.ipfs_api else "local blob store",
            "two Orthanc servers (one per institution)" if use_orthanc
            else "DICOM folders in the data directory"])
        print(f"OHMS imaging benchmark over HTTP: {backend}", flush=True)
        # The study is the patient's: its PatientID is their UHID.
        study = write_study(root / "study", scenario.uhid, args.instances, args.rows,
                            args.columns)
        print(f"study: {args.instances} CT instances {args.rows}x{args.columns} 16-bit, "
              f"{study.mib:.1f} MiB, PatientID {scenario.uhid}", flush=True)

        if endpoints:
            baseline = "plain Orthanc-to-Orthanc copy (REST)"
            rest = [OrthancRest(e) for e in endpoints]
            for r in rest:
                stack.callback(r.close)
            copy_s = orthanc_copy(rest[0], rest[1], study)
            if use_orthanc:
                # At the end, leave running servers (--orthanc-urls) as they were found.
                for r in rest:
                    stack.callback(_quietly, r.delete_study_uid, study.study_instance_uid)
        else:
            baseline = "plain folder-to-folder copy"
            print(f"NOTE: no Orthanc at {ORTHANC_BINARY}: the baseline is a DICOM folder to "
                  "folder copy, not an Orthanc-to-Orthanc copy", flush=True)
            copy_s = folder_copy(root / "baseline", study)
        if not use_orthanc:
            baseline_servers.close()  # the service uses folders: stop them before measuring
        else:
            # Organisation ids exist now: restart the server (same data directory) with each
            # institution's DICOM store on its own Orthanc.
            urls = {org: e.url.replace("://", f"://{e.username}:{e.password}@", 1)
                    for org, e in zip((scenario.centre_id, scenario.hospital_id), endpoints,
                                      strict=True)}
            server.stop()
            server.env["OHMS_ORTHANC_URLS"] = json.dumps(urls)
            server.start()
            api.close()
            api = Api(server.base_url)
            stack.callback(api.close)

        # Upload, with the serving process's peak RSS reset just before it.
        radiologist = api.token(scenario.radiologist)
        peak_reset = reset_peak(server.pid)
        idle_rss = status_mib(server.pid, "VmRSS")
        upload_s, uploaded, progress = upload(server, radiologist, scenario.uhid, study,
                                              args.timeout)
        upload_peak = status_mib(server.pid, "VmHWM")
        after_upload_rss = status_mib(server.pid, "VmRSS")

        physician = api.token(scenario.physician)
        reset_peak(server.pid)
        pull_idle = status_mib(server.pid, "VmRSS")
        transfer_s = pull(server, physician, uploaded["id"], study, args.timeout)
        pull_peak = status_mib(server.pid, "VmHWM")

    mib = study.mib
    upload_rate, transfer_rate, copy_rate = mib / upload_s, mib / transfer_s, mib / copy_s
    rows = [("upload", "POST /api/v1/patients/{uhid}/imaging/studies", upload_s, upload_rate),
            ("transfer", "POST /api/v1/imaging/studies/{id}/pull", transfer_s, transfer_rate),
            ("baseline", baseline, copy_s, copy_rate)]
    print(f"{'':<10}{'':<48}{'seconds':>9}{'MiB/s':>9}{'vs baseline':>13}")
    for name, what, seconds, rate in rows:
        print(f"{name:<10}{what:<48}{seconds:>9.2f}{rate:>9.1f}"
              f"{_ratio(rate, copy_rate):>13}")
    if progress is not None:
        print(f"upload progress (GET /api/v1/imaging/uploads/{{id}}): {progress}")
    note = "" if peak_reset else " (clear_refs refused: peak since server start)"
    print(f"server RSS (pid {server.pid}): idle {idle_rss:.0f} MiB; upload peak "
          f"{upload_peak:.0f} MiB (+{upload_peak - idle_rss:.0f} MiB) for a {mib:.0f} MiB "
          f"study{note}, {after_upload_rss:.0f} MiB after it; pull peak {pull_peak:.0f} MiB "
          f"(+{pull_peak - pull_idle:.0f} MiB)")
    print(f"run time: {time.perf_counter() - started:.0f} s")
    print(json.dumps({
        "upload_mib_s": round(upload_rate, 2),
        "transfer_mib_s": round(transfer_rate, 2),
        "orthanc_copy_mib_s": round(copy_rate, 2),
        "upload_peak_rss_mib": round(upload_peak, 1),
        "idle_rss_mib": round(idle_rss, 1),
        "pull_peak_rss_mib": round(pull_peak, 1),
        "study_mib": round(mib, 2),
        "instances": args.instances,
        "baseline": "orthanc" if endpoints else "folder",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
