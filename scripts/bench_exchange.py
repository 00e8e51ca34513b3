"""Grantee reads of a 10 KiB encrypted record from a real `ohms serve --workers N` over HTTP,
against baselines measured in the same run.

Starts everything on loopback: a throwaway data directory (SQLite, the dev chain and the local
blob store by default; --start-postgres or --database-url for PostgreSQL, --chain-rpc-url with
--chain-private-key for a JSON-RPC node, --ipfs-api for an IPFS node), `ohms migrate`, then
`ohms serve --workers N` with the benchmark routes on. Through the API, a patient holding her
own Umbral keys writes a 10 KiB note and grants a lab its category with kfrags; once the grant
is on chain, client threads measure, each for a bounded time and count:

  GET /healthz                 unauthenticated, nothing else
  GET /bench/plain/{cid}       the plain read: the same authentication, database session and
                               blob fetch of an unencrypted 10 KiB blob; no consent decision,
                               no access log, no cryptography (the baseline)
  GET /api/v1/records/{id}     the grantee read: authentication, the access gate's decision
                               on the grants mirror, the access-log entry, the kfrags,
                               re-encryption and the blob fetch (what the lab does)

It prints a table with each figure and its ratio to the plain read; the last line is one JSON
object with reads_per_s, read_p50_ms, read_p95_ms, plain_reads_per_s, plain_read_p95_ms,
healthz_rps, workers, concurrency and database.

    .venv/bin/python scripts/bench_exchange.py [--workers 2] [--concurrency 16] [--duration 5]
        [--start-postgres | --database-url URL] [--chain-rpc-url URL --chain-private-key HEX]
        [--ipfs-api ADDR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below

from reencryption.client import KeyHolder  # noqa: E402
from scripts.served_bench import (  # noqa: E402
    REQUEST_TIMEOUT,
    Measurement,
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

RECORD_BYTES = 10 * 1024
ADMIN_EMAIL = "bench.admin@example.org"
PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway accounts on loopback


class Actor:
    """Calls the API as the people of the benchmark; any error stops the run."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def token(self, email: str) -> dict[str, str]:
        r = self.client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        if r.status_code != 200:
            raise RuntimeError(f"sign-in of {email}: {r.status_code} {r.text[:300]}")
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        r = self.client.request(method, url, headers=headers, **kwargs)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {r.status_code} {r.text[:500]}")
        return r.json()


def note_of_size(size: int) -> dict[str, Any]:
    """A FHIR note whose compact JSON is `size` bytes long."""
    resource: dict[str, Any] = {"resourceType": "DocumentReference", "status": "current",
                                "description": "x", "content": [{"attachment": {
                                    "contentType": "text/plain"}}]}
    empty = len(json.dumps(resource, separators=(",", ":")).encode()) - 1
    resource["description"] = "n" * (size - empty)
    return resource


def set_up_exchange(base_url: str) -> tuple[dict[str, str], str, str]:
    """A lab granted a 10 KiB note with kfrags; returns the lab technician's headers, the
    record id and the CID of an unencrypted blob of the same size."""
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        actor = Actor(client)
        admin = actor.token(ADMIN_EMAIL)
        lab = actor.call("POST", "/api/v1/organizations", admin,
                         json={"name": f"Bench Lab {uuid.uuid4().hex[:6]}", "kind": "lab"})["id"]
        tech_email = f"tech-{uuid.uuid4().hex[:8]}@example.org"
        actor.call("POST", f"/api/v1/organizations/{lab}/members", admin,
                   json={"email": tech_email, "full_name": "Bench Tech",
                         "role": "lab_technician", "password": PASSWORD})
        lab_keys = KeyHolder.generate()
        actor.call("PUT", f"/api/v1/organizations/{lab}/keys", admin,
                   json=lab_keys.key_document())
        patient_email = f"patient-{uuid.uuid4().hex[:8]}@example.org"
        patient = actor.call("POST", "/api/v1/auth/register", {}, json={
            "email": patient_email, "password": PASSWORD, "full_name": "Bench Patient",
            "date_of_birth": "1980-01-01"})
        me = actor.token(patient_email)
        patient_keys = KeyHolder.generate()
        actor.call("PUT", "/api/v1/me/keys", me, json=patient_keys.key_document())
        actor.call("POST", "/api/v1/me/custodial-wallet", me)
        written = actor.call("POST", f"/api/v1/patients/{patient['uhid']}/records", me,
                             json=note_of_size(RECORD_BYTES))
        typed = actor.call("POST", "/api/v1/consents/typed-data", me, json={
            "grantee": lab, "scope": "category:document", "purpose": "treatment",
            "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
        consent = actor.call("POST", "/api/v1/consents", me, json={
            "typed_data": typed,
            "kfrags": patient_keys.grant_kfrags(lab_keys.key_document()["umbral_public_key"]),
            "verifying_key": patient_keys.key_document()["verifying_key"]})

        def active() -> bool:
            return bool(actor.call("GET", f"/api/v1/consents/{consent['id']}", me)["status"]
                        == "active")

        wait_until(active, timeout=60.0, what="the grant to be confirmed on chain")
        tech = actor.token(tech_email)
        body = actor.call("GET", f"/api/v1/records/{written['id']}", tech)
        plaintext = lab_keys.open_record(body)
        if len(plaintext) != RECORD_BYTES:
            raise RuntimeError(f"the lab decrypted {len(plaintext)} bytes, not {RECORD_BYTES}")
        plain = client.put("/bench/plain", headers=tech, content=b"p" * RECORD_BYTES)
        if plain.status_code != 200:
            raise RuntimeError(f"PUT /bench/plain: {plain.status_code} {plain.text[:300]}")
        return tech, written["id"], plain.json()["cid"]


def get_probe(url: str, headers: dict[str, str]) -> Probe:
    def probe(client: httpx.Client) -> str | None:
        return expect(200)(client.get(url, headers=headers))
    return probe


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = served_arguments(__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chain-rpc-url", help="an EVM JSON-RPC node (default: the dev chain)")
    parser.add_argument("--chain-private-key", help="a funded key on that node")
    parser.add_argument("--ipfs-api", help="an IPFS node's RPC API (default: local blobs)")
    args = parser.parse_args(argv)
    check_served_arguments(parser, args)
    if args.chain_rpc_url and not args.chain_private_key:
        parser.error("--chain-rpc-url needs --chain-private-key")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ohms-bench-exchange-")))
        database_url: str | None = args.database_url
        if args.start_postgres:
            database_url = stack.enter_context(postgres_cluster()).create_database("ohms_bench")
        database = "postgresql" if database_url else "sqlite"
        settings = {
            "benchmark_routes": "true", "log_level": "WARNING",
            "bootstrap_admin_email": ADMIN_EMAIL, "bootstrap_admin_password": PASSWORD,
            "rate_limit_sign_in_per_client": "1000000/minute",
            "rate_limit_registration_per_client": "1000000/minute",
        }
        if args.chain_rpc_url:
            settings |= {"chain_rpc_url": args.chain_rpc_url,
                         "chain_private_key": args.chain_private_key}
        if args.ipfs_api:
            settings["ipfs_api"] = args.ipfs_api
        base_url = stack.enter_context(ohms_server(
            server_env(data_dir, database_url, **settings), workers=args.workers))
        tech, record_id, plain_cid = set_up_exchange(base_url)

        print(f"OHMS record exchange benchmark: 10 KiB record, {database}, "
              f"{'chain node' if args.chain_rpc_url else 'dev chain'}, "
              f"{'IPFS' if args.ipfs_api else 'local blobs'}, {args.workers} server "
              f"process(es)")
        print(f"{args.concurrency} client threads, {args.duration:g} s per measurement, "
              f"server {base_url}\n")
        bounds = {"duration": args.duration, "concurrency": args.concurrency,
                  "max_requests": args.max_requests}
        healthz = measure("GET /healthz", base_url, healthz_probe, **bounds)
        plain = measure("GET /bench/plain/{cid} (baseline)", base_url,
                        get_probe(f"/bench/plain/{plain_cid}", tech), **bounds)
        reads = measure("GET /api/v1/records/{id} (grantee)", base_url,
                        get_probe(f"/api/v1/records/{record_id}", tech), **bounds)

    print_table([healthz, plain, reads], plain, baseline_name="plain")
    p95_ratio = ratio(reads.percentile_ms(0.95), plain.percentile_ms(0.95))
    print(f"\ngrantee read vs plain read: p95 x{p95_ratio:.2f}, "
          f"throughput x{ratio(reads.per_second, plain.per_second):.2f}")
    print(json.dumps({
        "reads_per_s": round(reads.per_second, 1),
        "read_p50_ms": round(reads.percentile_ms(0.5), 2),
        "read_p95_ms": round(reads.percentile_ms(0.95), 2),
        "plain_reads_per_s": round(plain.per_second, 1),
        "plain_read_p95_ms": round(plain.percentile_ms(0.95), 2),
        "healthz_rps": round(healthz.per_second, 1),
        "workers": args.workers, "concurrency": args.concurrency, "database": database,
    }))
    failed: list[Measurement] = [m for m in (healthz, plain, reads) if m.ok == 0 or m.errors]
    return 1 if failed else 0


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else 0.0


if __name__ == "__main__":
    sys.exit(main())
