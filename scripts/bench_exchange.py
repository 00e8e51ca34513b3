"""Cost of the encrypted record exchange for a 10 KiB record, against baselines measured in
the same run.

Starts what it needs in-process (a fresh data directory with SQLite, the dev chain and the
local blob store by default; --database-url, --chain-rpc-url/--chain-private-key and
--ipfs-api point it at real backends), migrates, and acts through the API with FastAPI's
TestClient: a patient with client-held Umbral keys grants a lab a category with kfrags,
then it measures, sequentially and with the same client,

  grantee read   GET /api/v1/records/{id}: consent check, access-log entry, kfrag check,
                 re-encryption, blob fetch (what the lab does)
  plain read     a benchmark-only route on the same app: the same authentication, database
                 session and blob store fetch of an unencrypted 10 KiB blob, no consent, no
                 access log, no cryptography (the baseline)

and the cryptography alone on the same payloads: Umbral encrypt, re-encrypt (one kfrag),
grantee decrypt (cfrag verification + decryption) against AES-256-GCM (cryptography's
AESGCM). It prints each figure with its ratio to its baseline; the last line is one JSON
object with read_p50_ms, read_p95_ms, reads_per_s, plain_read_p95_ms, plain_reads_per_s,
umbral_encrypt_mib_s, umbral_decrypt_mib_s, aesgcm_mib_s, reencrypt_ms.

    .venv/bin/python scripts/bench_exchange.py [--reads 300] [--crypto-rounds 300]
        [--database-url URL] [--chain-rpc-url URL --chain-private-key HEX] [--ipfs-api ADDR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from fastapi import Depends, FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from api.composition import build_container  # noqa: E402
from api.db.migrate import upgrade  # noqa: E402
from api.deps import ContainerDep, Principal, SystemDB, require  # noqa: E402
from api.main import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from reencryption import (  # noqa: E402
    decrypt_reencrypted,
    encrypt_for,
    generate_kfrags,
    reencrypt,
    verify_cfrag,
)
from reencryption.client import KeyHolder  # noqa: E402

RECORD_BYTES = 10 * 1024
ADMIN_EMAIL = "bench.admin@example.org"
PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway accounts in a temp directory
MIB = 1024 * 1024


def _settings(args: argparse.Namespace, data_dir: Path) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir, "jwt_secret": SecretStr(os.urandom(32).hex()),
        "bootstrap_admin_email": ADMIN_EMAIL, "bootstrap_admin_password": SecretStr(PASSWORD),
        "public_url": "http://testserver", "log_level": "WARNING", "run_workers": False,
        "argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1,
        "audit_batch_max_seconds": 3600.0,
    }
    if args.database_url:
        values["database_url"] = args.database_url
    if args.chain_rpc_url:
        values["chain_rpc_url"] = args.chain_rpc_url
        values["chain_private_key"] = SecretStr(args.chain_private_key)
    if args.ipfs_api:
        values["ipfs_api"] = args.ipfs_api
    return Settings(**values)


def add_plain_read_route(app: FastAPI) -> None:
    """The baseline: an unencrypted blob through the same stack, nothing else."""

    def plain_read(cid: str, principal: Annotated[Principal, Depends(require("record:read"))],
                   db: SystemDB, container: ContainerDep) -> dict[str, str]:
        return {"cid": cid, "content": base64.b64encode(container.blobs.get(cid)).decode()}

    app.add_api_route("/bench/plain/{cid}", plain_read, methods=["GET"])


class Actor:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def token(self, email: str) -> dict[str, str]:
        r = self.client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        r = self.client.request(method, url, headers=headers, **kwargs)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {r.status_code} {r.text}")
        return r.json()


def _payload(size: int) -> dict[str, Any]:
    """A FHIR note whose canonical JSON is `size` bytes long."""
    resource: dict[str, Any] = {"resourceType": "DocumentReference", "status": "current",
                                "description": "", "content": [{"attachment": {
                                    "contentType": "text/plain"}}]}
    empty = len(json.dumps(resource, separators=(",", ":")).encode())
    resource["description"] = "n" * (size - empty)
    return resource


def set_up_exchange(client: TestClient, workers: Any) -> tuple[dict[str, str], str, str]:
    """A lab granted a 10 KiB note with kfrags; returns the lab's headers, the record id and
    the CID of an unencrypted blob of the same size."""
    actor = Actor(client)
    admin = actor.token(ADMIN_EMAIL)
    lab = actor.call("POST", "/api/v1/organizations", admin,
                     json={"name": f"Bench Lab {uuid.uuid4().hex[:6]}", "kind": "lab"})["id"]
    tech_email = f"tech-{uuid.uuid4().hex[:8]}@example.org"
    actor.call("POST", f"/api/v1/organizations/{lab}/members", admin,
               json={"email": tech_email, "full_name": "Bench Tech", "role": "lab_technician",
                     "password": PASSWORD})
    lab_keys = KeyHolder.generate()
    actor.call("PUT", f"/api/v1/organizations/{lab}/keys", admin, json=lab_keys.key_document())
    patient_email = f"patient-{uuid.uuid4().hex[:8]}@example.org"
    patient = actor.call("POST", "/api/v1/auth/register", {}, json={
        "email": patient_email, "password": PASSWORD, "full_name": "Bench Patient",
        "date_of_birth": "1980-01-01"})
    me = actor.token(patient_email)
    patient_keys = KeyHolder.generate()
    actor.call("PUT", "/api/v1/me/keys", me, json=patient_keys.key_document())
    actor.call("POST", "/api/v1/me/custodial-wallet", me)
    written = actor.call("POST", f"/api/v1/patients/{patient['uhid']}/records", me,
                         json=_payload(RECORD_BYTES))
    typed = actor.call("POST", "/api/v1/consents/typed-data", me, json={
        "grantee": lab, "scope": "category:document", "purpose": "treatment",
        "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    actor.call("POST", "/api/v1/consents", me, json={
        "typed_data": typed,
        "kfrags": patient_keys.grant_kfrags(lab_keys.key_document()["umbral_public_key"]),
        "verifying_key": patient_keys.key_document()["verifying_key"]})
    for _ in range(3):
        workers.run_all_once()
    tech = actor.token(tech_email)
    body = actor.call("GET", f"/api/v1/records/{written['id']}", tech)
    plaintext = lab_keys.open_record(body)
    assert len(plaintext) == RECORD_BYTES, len(plaintext)
    plain_cid = client.app.state.container.blobs.put(os.urandom(RECORD_BYTES))  # type: ignore[attr-defined]
    return tech, written["id"], plain_cid


def time_requests(client: TestClient, url: str, headers: dict[str, str],
                  count: int) -> tuple[list[float], float]:
    for _ in range(min(20, count)):  # warm-up
        assert client.get(url, headers=headers).status_code == 200
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"GET {url}: {r.status_code}")
    return latencies, count / (time.perf_counter() - start)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _throughput(step: Callable[[bytes], object], payloads: list[bytes]) -> tuple[float, float]:
    """(MiB/s, ms per call) of `step` over `payloads`."""
    start = time.perf_counter()
    for payload in payloads:
        step(payload)
    elapsed = time.perf_counter() - start
    return sum(map(len, payloads)) / MIB / elapsed, elapsed * 1000 / len(payloads)


def measure_crypto(rounds: int) -> dict[str, float]:
    payloads = [os.urandom(RECORD_BYTES) for _ in range(rounds)]
    patient, grantee = KeyHolder.generate().keys, KeyHolder.generate().keys
    kfrag = generate_kfrags(patient, grantee.encrypting_secret.public_key())
    encrypt_mib_s, _ = _throughput(
        lambda p: encrypt_for(patient.encrypting_secret.public_key(), p), payloads)
    one = encrypt_for(patient.encrypting_secret.public_key(), payloads[0])
    capsule, ciphertext = one.capsule, one.ciphertext
    start = time.perf_counter()
    for _ in range(rounds):
        cfrags = reencrypt(capsule, kfrag)
    reencrypt_ms = (time.perf_counter() - start) * 1000 / rounds
    delegating = patient.encrypting_secret.public_key()
    receiving = grantee.encrypting_secret.public_key()

    def grantee_decrypt(_: bytes) -> object:
        verified = [verify_cfrag(bytes(c), capsule=capsule,
                                 verifying_key=patient.signing_secret.public_key(),
                                 delegating_key=delegating, receiving_key=receiving)
                    for c in cfrags]
        return decrypt_reencrypted(grantee.encrypting_secret, delegating, capsule, verified,
                                   ciphertext)

    decrypt_mib_s, _ = _throughput(grantee_decrypt, [ciphertext] * rounds)
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    aes_mib_s, _ = _throughput(lambda p: aead.encrypt(nonce, p, None), payloads)
    boxed = aead.encrypt(nonce, payloads[0], None)
    aes_decrypt_mib_s, _ = _throughput(lambda _: aead.decrypt(nonce, boxed, None),
                                       [payloads[0]] * rounds)
    return {"umbral_encrypt_mib_s": encrypt_mib_s, "umbral_decrypt_mib_s": decrypt_mib_s,
            "aesgcm_mib_s": aes_mib_s, "aesgcm_decrypt_mib_s": aes_decrypt_mib_s,
            "reencrypt_ms": reencrypt_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--crypto-rounds", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--chain-rpc-url")
    parser.add_argument("--chain-private-key")
    parser.add_argument("--ipfs-api")
    args = parser.parse_args(argv)
    if args.chain_rpc_url and not args.chain_private_key:
        parser.error("--chain-rpc-url needs --chain-private-key")

    with tempfile.TemporaryDirectory(prefix="ohms-bench-exchange-") as tmp:
        settings = _settings(args, Path(tmp))
        container = build_container(settings)
        upgrade(container.engine)
        app = create_app(settings, container)
        add_plain_read_route(app)
        try:
            with TestClient(app) as client:
                tech, record_id, plain_cid = set_up_exchange(client, app.state.workers)
                reads, reads_per_s = time_requests(client, f"/api/v1/records/{record_id}",
                                                   tech, args.reads)
                plain, plain_per_s = time_requests(client, f"/bench/plain/{plain_cid}", tech,
                                                   args.reads)
        finally:
            container.close()
    crypto = measure_crypto(args.crypto_rounds)

    result = {
        "read_p50_ms": statistics.median(reads) * 1000,
        "read_p95_ms": _percentile(reads, 0.95) * 1000,
        "reads_per_s": reads_per_s,
        "plain_read_p95_ms": _percentile(plain, 0.95) * 1000,
        "plain_reads_per_s": plain_per_s,
        "umbral_encrypt_mib_s": crypto["umbral_encrypt_mib_s"],
        "umbral_decrypt_mib_s": crypto["umbral_decrypt_mib_s"],
        "aesgcm_mib_s": crypto["aesgcm_mib_s"],
        "reencrypt_ms": crypto["reencrypt_ms"],
    }
    plain_p50 = statistics.median(plain) * 1000
    print(f"10 KiB record, {args.reads} sequential reads each, in-process TestClient")
    print(f"  grantee read   p50 {result['read_p50_ms']:8.2f} ms  p95 "
          f"{result['read_p95_ms']:8.2f} ms  {reads_per_s:8.1f} reads/s")
    print(f"  plain read     p50 {plain_p50:8.2f} ms  p95 {result['plain_read_p95_ms']:8.2f} ms"
          f"  {plain_per_s:8.1f} reads/s   (baseline)")
    print(f"  ratio          p95 x{result['read_p95_ms'] / result['plain_read_p95_ms']:.2f}"
          f"  throughput x{reads_per_s / plain_per_s:.2f}")
    aes = crypto["aesgcm_mib_s"]
    print(f"cryptography on 10 KiB payloads ({args.crypto_rounds} rounds)")
    print(f"  Umbral encrypt        {crypto['umbral_encrypt_mib_s']:9.2f} MiB/s  "
          f"x{crypto['umbral_encrypt_mib_s'] / aes:.4f} of AES-256-GCM encrypt")
    print(f"  Umbral grantee decrypt{crypto['umbral_decrypt_mib_s']:9.2f} MiB/s  "
          f"x{crypto['umbral_decrypt_mib_s'] / crypto['aesgcm_decrypt_mib_s']:.4f} of "
          "AES-256-GCM decrypt")
    print(f"  Umbral re-encrypt     {crypto['reencrypt_ms']:9.3f} ms per capsule (one kfrag)")
    print(f"  AES-256-GCM encrypt   {aes:9.2f} MiB/s   decrypt "
          f"{crypto['aesgcm_decrypt_mib_s']:9.2f} MiB/s   (baseline)")
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
