"""Dispensing under contention on one item, and the pharmacy's prescription queue, of a real
`ohms serve --workers N` over HTTP, against a baseline measured in the same run.

Starts everything on loopback: a throwaway data directory (SQLite and the dev chain by
default; --start-postgres or --database-url for PostgreSQL), `ohms migrate`, then seeds the
database directly (bulk inserts, before the server starts): a hospital with a physician, a
pharmacy with a pharmacist, --patients patients with published Umbral keys, --prescriptions
active prescriptions of one medication from the physician to the pharmacy (each allowing
far more units than will be dispensed), and one item of that medication in the pharmacy's
stock: one lot of --stock units (the contention: every dispense takes from it). Then the
server starts, the pharmacist and the physician sign in over HTTP. Measured:

  POST /api/v1/prescriptions/{id}/dispenses   one unit from the one lot, against a random
                               prescription, from --concurrency client threads: each a
                               MedicationDispense record encrypted to the patient (basis
                               `prescription`, through the access gate) and the stock taken
                               by conditional UPDATEs, in one transaction.
  the last units               then the lot is set to 10 units (behind the API) and 20
                               dispenses of one unit are released together: 10 must succeed,
                               10 be refused (409), and the lot and item end at 0.
  GET /api/v1/prescriptions?status=active&limit=50&offset=...   as the pharmacist: the
                               pharmacy's queue (its 10,000 open prescriptions, oldest first),
                               each with the lot to dispense from first.
  GET /bench/prescription-rows?pharmacy=X&limit=50&offset=...   the baseline, when the
                               server has this benchmark route (OHMS_BENCHMARK_ROUTES, which
                               this script sets): the same page of the pharmacy's active
                               prescriptions, oldest first, as the same pharmacist, by one
                               plain indexed select (ix_prescriptions_pharmacy_status_created)
                               through the same HTTP stack and session, answering their ids:
                               no lot suggestion, no rows serialised. Without the route:
  GET /api/v1/prescriptions?status=active&limit=50&offset=...   as the prescriber: the same
                               rows by a plain indexed query (ix_prescriptions_prescriber_
                               created), through the same HTTP stack, without the lot
                               suggestion.

`negative_stock_events` counts lots and items below zero afterwards, plus units dispensed
beyond the last 10 in the race (both must be 0). The table shows each figure and its ratio
to the baseline; the last line is one JSON object with dispenses_per_s,
negative_stock_events, queue_p95_ms, baseline_p95_ms and the run's other figures.

    .venv/bin/python scripts/bench_pharmacy.py [--workers 2] [--concurrency 16]
        [--duration 5] [--prescriptions 10000] [--patients 100]
        [--start-postgres | --database-url URL]
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below
from sqlalchemy import func, select, update  # noqa: E402

from api.db.session import make_engine  # noqa: E402
from api.identity.models import User, UserRole  # noqa: E402
from api.identity.passwords import PasswordHashing  # noqa: E402
from api.identity.uhid import generate_uhid  # noqa: E402
from api.keys.models import UmbralKeys  # noqa: E402
from api.pharmacy.models import InventoryItem, InventoryLot  # noqa: E402
from api.prescriptions.allergy import RXNORM  # noqa: E402
from api.prescriptions.models import Prescription  # noqa: E402
from api.roles.catalog import Role  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.tenants.models import Organization, OrganizationKind  # noqa: E402
from reencryption.client import KeyHolder  # noqa: E402
from scripts.bench_clinic import _system_context, _writer, migrate, ratio  # noqa: E402
from scripts.served_bench import (  # noqa: E402
    REQUEST_TIMEOUT,
    Measurement,
    Probe,
    check_served_arguments,
    expect,
    measure,
    ohms_server,
    print_table,
    served_arguments,
    server_env,
)
from scripts.services.postgres import postgres_cluster  # noqa: E402

PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway accounts on loopback
MEDICATION = (RXNORM, "308191", "amoxicillin 500 MG Oral Capsule")
PAGE = 50
LAST_UNITS, LAST_RACERS = 10, 20
PHARMACIST, PHYSICIAN = "bench.pharmacist@example.org", "bench.physician@example.org"


def seed(database_url: str, *, prescriptions: int, patients: int,
         stock: int) -> tuple[list[str], str, str, str]:
    """Organisations, staff, patients with keys, prescriptions and the one lot: the
    prescriptions' ids, the lot's, the item's and the pharmacy's."""
    cost = Settings.model_fields
    hashed = PasswordHashing(time_cost=cost["argon2_time_cost"].default,
                             memory_kib=cost["argon2_memory_kib"].default,
                             parallelism=cost["argon2_parallelism"].default).hash(PASSWORD)
    now = datetime.now(UTC)
    hospital, pharmacy = uuid.uuid4(), uuid.uuid4()
    orgs = [{"id": hospital, "name": "Bench Hospital", "kind": OrganizationKind.hospital,
             "is_active": True, "created_at": now},
            {"id": pharmacy, "name": "Bench Pharmacy", "kind": OrganizationKind.pharmacy,
             "is_active": True, "created_at": now}]
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    uhids: set[str] = set()

    def person(email: str, name: str, org: uuid.UUID | None, role: Role,
               password: bool) -> dict[str, Any]:
        while (uhid := generate_uhid()) in uhids:
            pass
        uhids.add(uhid)
        row = {"id": uuid.uuid4(), "uhid": uhid, "email": email, "full_name": name,
               "date_of_birth": None, "organization_id": org,
               "password_hash": hashed if password else None,
               "password_changed_at": now if password else None, "is_active": True,
               "failed_logins": 0, "created_at": now}
        users.append(row)
        roles.append({"user_id": row["id"], "role": role.value, "organization_id": org})
        return row

    physician = person(PHYSICIAN, "Dr Bench", hospital, Role.physician, True)
    pharmacist = person(PHARMACIST, "Bench Pharmacist", pharmacy, Role.pharmacist, True)
    keys = KeyHolder.generate().key_document()
    people = [person(f"bench.patient.{n:05d}@example.org", f"Patient {n:05d}", None,
                     Role.patient, False) for n in range(patients)]
    umbral = [{"id": uuid.uuid4(), "user_id": p["id"], "organization_id": None,
               "umbral_public_key": keys["umbral_public_key"],
               "verifying_key": keys["verifying_key"], "created_at": now, "updated_at": now}
              for p in people]
    rx = []
    for n in range(prescriptions):
        patient = people[n % patients]
        at = now - timedelta(seconds=prescriptions - n)
        rx.append({"id": uuid.uuid4(), "patient_id": patient["id"],
                   "patient_uhid": patient["uhid"], "patient_name": patient["full_name"],
                   "medication_system": MEDICATION[0], "medication_code": MEDICATION[1],
                   "medication_display": MEDICATION[2],
                   "dosage": "1 capsule by mouth three times a day", "quantity": 1000,
                   "refills": 0, "dispensed": 0, "status": "active", "allergy_check": "client",
                   "prescriber_org_id": hospital, "prescribed_by": physician["id"],
                   "pharmacy_org_id": pharmacy, "request_record": None, "created_at": at,
                   "updated_at": at})
    item_id, lot_id = uuid.uuid4(), uuid.uuid4()
    item = {"id": item_id, "organization_id": pharmacy, "code_system": MEDICATION[0],
            "code": MEDICATION[1], "display": MEDICATION[2], "on_hand": stock,
            "reorder_point": 0, "alerted_at": None, "created_at": now, "updated_at": now}
    lot = {"id": lot_id, "organization_id": pharmacy, "item_id": item_id,
           "lot_number": "BENCH1", "expiry": (now + timedelta(days=400)).date(),
           "quantity": stock, "received_quantity": stock, "unit_cost_amount": None,
           "unit_cost_currency": None, "product_id": None, "purchase_order_id": None,
           "received_by": pharmacist["id"], "created_at": now}
    engine = make_engine(database_url)
    try:
        for model, rows in ((Organization, orgs), (User, users), (UserRole, roles),
                            (UmbralKeys, umbral), (InventoryItem, [item]),
                            (InventoryLot, [lot])):
            _writer(engine, model)(rows)
        write = _writer(engine, Prescription)
        for start in range(0, len(rx), 2000):
            write(rx[start:start + 2000])
    finally:
        engine.dispose()
    return [str(r["id"]) for r in rx], str(lot_id), str(item_id), str(pharmacy)


def sign_in(base_url: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base_url}/api/v1/auth/token",
                   data={"username": email, "password": PASSWORD}, timeout=REQUEST_TIMEOUT)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def dispense_probe(prescriptions: list[str], lot: str, headers: dict[str, str]) -> Probe:
    def probe(client: httpx.Client) -> str | None:
        r = client.post(f"/api/v1/prescriptions/{random.choice(prescriptions)}/dispenses",
                        headers=headers, json={"lot": lot, "quantity": 1})
        return expect(201)(r)
    return probe


def queue_probe(pages: int, headers: dict[str, str]) -> Probe:
    def probe(client: httpx.Client) -> str | None:
        r = client.get("/api/v1/prescriptions", headers=headers, params={
            "status": "active", "limit": PAGE, "offset": random.randrange(pages) * PAGE})
        if r.status_code == 200 and len(r.json()) != PAGE:
            return f"{len(r.json())} rows"
        return expect(200)(r)
    return probe


def bench_rows_probe(pharmacy: str, pages: int, headers: dict[str, str]) -> Probe:
    """The baseline when the server has it: GET /bench/prescription-rows, the ids of the
    page the queue shows, by a plain indexed select."""
    def probe(client: httpx.Client) -> str | None:
        r = client.get("/bench/prescription-rows", headers=headers, params={
            "pharmacy": pharmacy, "limit": PAGE, "offset": random.randrange(pages) * PAGE})
        if r.status_code == 200 and len(r.json()) != PAGE:
            return f"{len(r.json())} rows"
        return expect(200)(r)
    return probe


def has_bench_rows(base_url: str, pharmacy: str, headers: dict[str, str]) -> bool:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        return bench_rows_probe(pharmacy, 1, headers)(client) is None


def last_units(base_url: str, database_url: str, prescriptions: list[str], lot: str,
               item: str, headers: dict[str, str]) -> tuple[int, int, int]:
    """The lot (and item) set to 10 units, then 20 dispenses of one unit released together:
    (201s, 409s, other answers)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            _system_context(c)
            c.execute(update(InventoryLot).where(InventoryLot.id == uuid.UUID(lot))
                      .values(quantity=LAST_UNITS))
            c.execute(update(InventoryItem).where(InventoryItem.id == uuid.UUID(item))
                      .values(on_hand=LAST_UNITS))
    finally:
        engine.dispose()
    barrier = threading.Barrier(LAST_RACERS)

    def one(n: int) -> int:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            client.get("/healthz")
            barrier.wait(timeout=60)
            return client.post(f"/api/v1/prescriptions/{prescriptions[n]}/dispenses",
                               headers=headers, json={"lot": lot, "quantity": 1}).status_code

    with ThreadPoolExecutor(max_workers=LAST_RACERS) as pool:
        codes = list(pool.map(one, range(LAST_RACERS)))
    return (codes.count(201), codes.count(409),
            len(codes) - codes.count(201) - codes.count(409))


def negative_stock(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            _system_context(c)
            lots = c.scalar(select(func.count()).select_from(InventoryLot)
                            .where(InventoryLot.quantity < 0)) or 0
            items = c.scalar(select(func.count()).select_from(InventoryItem)
                             .where(InventoryItem.on_hand < 0)) or 0
        return int(lots) + int(items)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = served_arguments(__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--prescriptions", type=int, default=10_000,
                        help="open prescriptions in the pharmacy's queue (default 10000)")
    parser.add_argument("--patients", type=int, default=100,
                        help="patients the prescriptions are for (default 100)")
    args = parser.parse_args(argv)
    check_served_arguments(parser, args)
    if args.prescriptions < max(PAGE, LAST_RACERS) or args.patients < 1:
        parser.error(f"--prescriptions at least {max(PAGE, LAST_RACERS)}, --patients positive")
    stock = 10_000_000
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ohms-bench-pharmacy-")))
        database_url: str | None = args.database_url
        if args.start_postgres:
            database_url = stack.enter_context(postgres_cluster()).create_database("ohms_bench")
        database = "postgresql" if database_url else "sqlite"
        env = server_env(data_dir, database_url, log_level="WARNING", benchmark_routes="true",
                         rate_limit_sign_in_per_client="1000000/minute",
                         rate_limit_sign_in_per_account="1000000/minute")
        url = database_url or f"sqlite:///{(data_dir / 'ohms.sqlite3').resolve()}"
        t0 = time.monotonic()
        migrate(env, data_dir)
        prescriptions, lot, item, pharmacy = seed(url, prescriptions=args.prescriptions,
                                                  patients=args.patients, stock=stock)
        seeded_in = time.monotonic() - t0
        base_url = stack.enter_context(ohms_server(env, workers=args.workers))
        pharmacist, physician = sign_in(base_url, PHARMACIST), sign_in(base_url, PHYSICIAN)
        print(f"OHMS pharmacy benchmark: {database} + dev chain, {args.workers} server "
              f"process(es), server {base_url}")
        print(f"seeded {args.prescriptions} open prescriptions for {args.patients} patients "
              f"and one lot of {stock} units in {seeded_in:.1f} s; {args.concurrency} client "
              f"threads, {args.duration:g} s per measurement\n")
        load_before = os.getloadavg()[0]
        bounds = {"duration": args.duration, "concurrency": args.concurrency,
                  "max_requests": args.max_requests}
        dispenses = measure("POST /prescriptions/{id}/dispenses", base_url,
                            dispense_probe(prescriptions, lot, pharmacist), **bounds)
        won, refused, other = last_units(base_url, url, prescriptions, lot, item, pharmacist)
        pages = args.prescriptions // PAGE
        if has_bench_rows(base_url, pharmacy, pharmacist):
            baseline_kind = "bench-prescription-rows"
            baseline_name = "GET /bench/prescription-rows"
            baseline_probe = bench_rows_probe(pharmacy, pages, pharmacist)
        else:
            baseline_kind = "prescriber-list"
            baseline_name = "GET /prescriptions as prescriber"
            baseline_probe = queue_probe(pages, physician)
        # A short pass of each first (discarded): both read the same rows, and whichever ran
        # first would otherwise pay for bringing them into the database's cache.
        for probe in (baseline_probe, queue_probe(pages, pharmacist)):
            measure("warm-up", base_url, probe, duration=1.0,
                    concurrency=args.concurrency, max_requests=args.max_requests)
        baseline = measure(baseline_name, base_url, baseline_probe, **bounds)
        queue = measure("GET /prescriptions pharmacy queue", base_url,
                        queue_probe(pages, pharmacist), **bounds)
        load_after = os.getloadavg()[0]
        negative = negative_stock(url) + max(0, won - LAST_UNITS)

    rows: list[Measurement] = [dispenses, baseline, queue]
    print_table(rows, baseline, baseline_name="baseline")
    print(f"\nthe last {LAST_UNITS} units: {LAST_RACERS} dispenses released together: {won} "
          f"dispensed (201), {refused} refused (409), {other} other; negative stock events: "
          f"{negative}")
    print(f"pharmacy queue vs baseline: p95 x"
          f"{ratio(queue.percentile_ms(0.95), baseline.percentile_ms(0.95)):.2f}")
    print(f"load average (1 min) on this machine: {load_before:.1f} before the measurements, "
          f"{load_after:.1f} after ({os.cpu_count()} cores)")
    print(json.dumps({
        "dispenses_per_s": round(dispenses.per_second, 1),
        "negative_stock_events": negative,
        "queue_p95_ms": round(queue.percentile_ms(0.95), 2),
        "baseline_p95_ms": round(baseline.percentile_ms(0.95), 2),
        "queue_p50_ms": round(queue.percentile_ms(0.5), 2),
        "baseline_p50_ms": round(baseline.percentile_ms(0.5), 2),
        "dispense_p95_ms": round(dispenses.percentile_ms(0.95), 2),
        "dispenses": dispenses.ok, "dispense_errors": dispenses.errors,
        "last_units_dispensed": won, "last_units_refused": refused,
        "prescriptions": args.prescriptions, "workers": args.workers,
        "concurrency": args.concurrency, "database": database,
        "baseline": baseline_kind, "load_avg_1m": round(max(load_before, load_after), 1),
    }))
    failed = (negative or won != LAST_UNITS or other or dispenses.ok == 0
              or any(m.errors for m in rows) or queue.ok == 0 or baseline.ok == 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
