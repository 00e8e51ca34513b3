"""Bookings under contention and the next-free-slot search of a real `ohms serve --workers N`
over HTTP, against a baseline measured in the same run.

Starts everything on loopback: a throwaway data directory (SQLite and the dev chain by
default; --start-postgres or --database-url for PostgreSQL), `ohms migrate`, then seeds the
database directly (bulk inserts, before the server starts): --organizations clinics,
each with a helpdesk member, --practitioners physicians (profile and one schedule each:
weekday hours 09:00-13:00 and 14:00-17:00 local time, 30-minute slots, in one of four IANA
zones, valid for --days days from today) and one patient per client thread. Then
`ohms serve --workers N` starts and every patient and helpdesk member signs in over HTTP
(password, the production argon2id cost). Measured, each for a bounded time and count:

  POST /api/v1/appointments    bookings under contention: --concurrency patients race in
                               rounds for fewer slots than there are of them: each slot of
                               a round is asked for by --racers-per-slot patients, released
                               together by their own barrier (the groups of racers do not
                               wait for one another). 201s are bookings, 409s the refusals of
                               a slot already given. Afterwards the database is asked for
                               any (practitioner, start) with more than one active
                               appointment: `double_bookings`, which must be 0.
                               Each request is `{"practitioner", "start"}`, with no `reason`:
                               a booking without one is as legitimate (the patient's own
                               choice), and these patients have published no keys, which a
                               reason (clinical content, written as the patient's encrypted
                               record through the access gate) would need. So the figure is
                               of bookings without a reason; each still writes the
                               appointment and the patient's and the practitioner's inbox
                               rows and queued emails in its transaction, under the unique
                               index (and on PostgreSQL the schedule's lock against leave).
  GET /bench/schedule-rows?practitioner=X&start=now&end=now+31d
                               the baseline, when the server has this benchmark route: the
                               rows the slots endpoint reads (the practitioner, their
                               schedules, leave and active appointments in the window) by
                               the same indexed queries through the same HTTP stack, as the
                               same patient, with no slot computation. Until the route
                               exists (OHMS_BENCHMARK_ROUTES), the baseline is
  GET /api/v1/schedules?practitioner=X
                               the same HTTP stack (bearer token, session, permissions, a
                               database session) and an indexed query of that
                               practitioner's schedule rows, no slot computation, as the
                               practitioner's clinic's helpdesk (who may list them): fewer
                               queries than the search makes, so a stricter baseline.
  GET /api/v1/slots?practitioner=X&start=now&end=now+31d&limit=1
                               the next-free-slot search: a random one of the practitioners
                               (after the bookings, so the contested ones have booked days),
                               as a patient looks for it: the engine turns the schedule
                               into slots, less leave and active appointments, and the first
                               one is the answer.
  GET /api/v1/directory/practitioners?limit=20&offset=...
                               shown for information: a page of the directory, each entry
                               with its next free slot (20 searches in one request).

The table shows each figure and its ratio to the baseline; the last line is one JSON object
with bookings_per_s, double_bookings, slot_search_p50_ms, slot_search_p95_ms,
baseline_p95_ms, which baseline was used, and the run's other figures and settings.

    .venv/bin/python scripts/bench_clinic.py [--workers 2] [--concurrency 32]
        [--duration 5] [--practitioners 1000] [--days 90] [--racers-per-slot 2]
        [--start-postgres | --database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix, like the imports below
from sqlalchemy import (  # noqa: E402
    Connection,
    Engine,
    column,
    func,
    insert,
    inspect,
    select,
    table,
    text,
)

from api.db.base import Base  # noqa: E402
from api.db.session import SYSTEM, make_engine, make_sessionmaker, session_scope  # noqa: E402
from api.identity.models import User, UserRole  # noqa: E402
from api.identity.passwords import PasswordHashing  # noqa: E402
from api.identity.uhid import generate_uhid  # noqa: E402
from api.roles.catalog import Role  # noqa: E402
from api.scheduling.models import (  # noqa: E402
    ACTIVE_STATUSES,
    Appointment,
    PractitionerProfile,
    Schedule,
)
from api.scheduling.service import rules_of  # noqa: E402
from api.scheduling.slots import Slot, working_slots  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.tenants.models import Organization, OrganizationKind  # noqa: E402
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
from scripts.services.ohms import OHMS  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

PASSWORD = "Sturdy-Otter-Canal-7391"  # noqa: S105 - throwaway accounts on loopback
ZONES = ("UTC", "Europe/London", "Asia/Kolkata", "America/New_York")
HOURS = [{"weekday": d, "start": start, "end": end}
         for d in range(5) for start, end in (("09:00", "13:00"), ("14:00", "17:00"))]
SPECIALTIES = (("419772000", "Family practice"), ("394579002", "Cardiology"),
               ("394582007", "Dermatology"), ("394537008", "Paediatrics"))
SLOT_MINUTES = 30
SEARCH_WINDOW = timedelta(days=31)  # the slots endpoint's largest window
DIRECTORY_PAGE = 20
ACTIVE = [s.value for s in ACTIVE_STATUSES]


@dataclass
class Seeded:
    """What the seeding made: ids (as strings, as the API spells them) and logins."""

    practitioners: list[str]
    helpdesk_of: dict[str, str]           # practitioner id -> helpdesk email of its org
    helpdesks: list[str]                  # emails
    patients: list[str]                   # emails
    schedules: dict[str, Schedule] = field(default_factory=dict)  # practitioner id -> row


def _email(kind: str, n: int) -> str:
    return f"bench.{kind}.{n:05d}@example.org"


def _writer(engine: Engine, model: type[Base]) -> Callable[[list[dict[str, Any]]], None]:
    """Bulk insert into `model`'s table, of the columns the migrated schema has (the models
    of a checkout being edited may be ahead of its migrations), with the models' types."""
    existing = {c["name"] for c in inspect(engine).get_columns(model.__tablename__)}
    columns = [column(c.name, c.type) for c in model.__table__.columns if c.name in existing]
    target = table(model.__tablename__, *columns)

    def write(rows: list[dict[str, Any]]) -> None:
        if rows:
            with engine.begin() as connection:
                _system_context(connection)
                connection.execute(insert(target), [
                    {k: v for k, v in row.items() if k in existing} for row in rows])
    return write


def _system_context(connection: Connection) -> None:
    """As the system (row-level security on PostgreSQL lets system work write any
    tenant's rows), like the server's own system sessions."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('ohms.org_id', '', true), "
                                "set_config('ohms.rls_bypass', 'on', true)"))


def seed(database_url: str, *, organizations: int, practitioners: int, patients: int,
         days: int) -> Seeded:
    """The clinics, their helpdesks, the practitioners with profiles and schedules, and the
    patients, written with bulk inserts into the migrated database before the server starts
    (a few statements, instead of thousands of API calls)."""
    # The server runs with the production defaults (no OHMS_* settings): the same cost.
    cost = Settings.model_fields
    hashed = PasswordHashing(time_cost=cost["argon2_time_cost"].default,
                             memory_kib=cost["argon2_memory_kib"].default,
                             parallelism=cost["argon2_parallelism"].default).hash(PASSWORD)
    now = datetime.now(UTC)
    today = now.date()
    uhids: set[str] = set()
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []

    def person(email: str, name: str, org: uuid.UUID | None, role: Role, *,
               password: bool, born: date | None = None) -> uuid.UUID:
        while (uhid := generate_uhid()) in uhids:
            pass
        uhids.add(uhid)
        user_id = uuid.uuid4()
        users.append({"id": user_id, "uhid": uhid, "email": email, "full_name": name,
                      "date_of_birth": born, "organization_id": org,
                      "password_hash": hashed if password else None,
                      "password_changed_at": now if password else None, "is_active": True,
                      "failed_logins": 0, "created_at": now})
        roles.append({"user_id": user_id, "role": role.value, "organization_id": org})
        return user_id

    seeded = Seeded([], {}, [], [])
    org_ids = [uuid.uuid4() for _ in range(organizations)]
    orgs = [{"id": org_id, "name": f"Bench Clinic {i:03d}", "kind": OrganizationKind.clinic,
             "is_active": True, "created_at": now} for i, org_id in enumerate(org_ids)]
    desks = []
    for i, org_id in enumerate(org_ids):
        desks.append(person(_email("helpdesk", i), f"Helpdesk {i:03d}", org_id,
                            Role.helpdesk, password=True))
        seeded.helpdesks.append(_email("helpdesk", i))
    schedules: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    for i in range(practitioners):
        o = i % organizations
        org_id = org_ids[o]
        doctor = person(_email("physician", i), f"Dr Bench {i:05d}", org_id, Role.physician,
                        password=False)
        code, term = SPECIALTIES[i % len(SPECIALTIES)]
        schedule = {"id": uuid.uuid4(), "organization_id": org_id, "practitioner_id": doctor,
                    "resource_id": None, "timezone": ZONES[i % len(ZONES)],
                    "slot_minutes": SLOT_MINUTES, "weekly_hours": HOURS, "valid_from": today,
                    "valid_to": today + timedelta(days=days - 1), "created_by": desks[o],
                    "created_at": now}
        schedules.append(schedule)
        profiles.append({"user_id": doctor, "organization_id": org_id, "specialty_code": code,
                         "specialty": term, "languages": ["en"], "fee_amount": Decimal(50),
                         "fee_currency": "EUR", "updated_at": now})
        seeded.practitioners.append(str(doctor))
        seeded.helpdesk_of[str(doctor)] = _email("helpdesk", o)
        seeded.schedules[str(doctor)] = Schedule(**{
            k: v for k, v in schedule.items() if k != "created_at"})
    for i in range(patients):
        person(_email("patient", i), f"Patient {i:05d}", None, Role.patient, password=True,
               born=date(1980, 1, 1))
        seeded.patients.append(_email("patient", i))

    engine = make_engine(database_url)
    try:
        for model, rows in ((Organization, orgs), (User, users), (UserRole, roles),
                            (Schedule, schedules), (PractitionerProfile, profiles)):
            _writer(engine, model)(rows)
    finally:
        engine.dispose()
    return seeded


def sign_in(base_url: str, emails: list[str], threads: int) -> dict[str, dict[str, str]]:
    """Each account signs in with its password over HTTP: email -> bearer headers."""
    def one(email: str) -> tuple[str, dict[str, str]]:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            r = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        if r.status_code != 200:
            raise RuntimeError(f"sign-in of {email}: {r.status_code} {r.text[:300]}")
        return email, {"Authorization": f"Bearer {r.json()['access_token']}"}

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(pool.map(one, emails))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- bookings under contention ---------------------------------------------------------------


@dataclass
class Bookings:
    booked: int = 0          # 201
    refused: int = 0         # 409: the slot was already given
    errors: int = 0          # anything else
    elapsed: float = 0.0
    rounds: int = 0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    winners: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.booked / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def attempts_per_second(self) -> float:
        answered = self.booked + self.refused + self.errors
        return answered / self.elapsed if self.elapsed > 0 else 0.0

    def as_measurement(self) -> Measurement:
        return Measurement("POST /api/v1/appointments (201)", ok=self.booked,
                           errors=self.errors, elapsed=self.elapsed, latencies=self.latencies,
                           error_samples=self.error_samples)


def contested_slots(seeded: Seeded, practitioners: int, count: int) -> list[tuple[str, Slot]]:
    """`count` future slots of the first `practitioners` practitioners, taken in turn from
    each (so consecutive rounds spread over them), from tomorrow on."""
    begin = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + \
        timedelta(days=1)
    per: list[list[tuple[str, Slot]]] = []
    for pid in seeded.practitioners[:practitioners]:
        rules = rules_of(seeded.schedules[pid])
        end = datetime.combine(rules.valid_to or begin.date(), datetime.min.time(),
                               tzinfo=UTC) - timedelta(days=1)
        per.append([(pid, s) for s in working_slots(rules, begin, end)])
    chosen: list[tuple[str, Slot]] = []
    for i in range(max(len(p) for p in per)):
        chosen += [p[i] for p in per if i < len(p)]
        if len(chosen) >= count:
            break
    return chosen[:count]


def race(base_url: str, patients: list[dict[str, str]], slots: list[tuple[str, Slot]], *,
         slots_per_round: int, duration: float, max_requests: int, warm_up: Probe
         ) -> Bookings:
    """Client i books, round after round, slot `round * slots_per_round + i %
    slots_per_round`: the patients sharing a slot (its racers) are released together by
    their own barrier each round and ask for it at the same moment; one of them gets it.
    A group of racers stops together, at the first round begun after `duration` s or
    beyond `max_requests`; the groups do not wait for one another."""
    result = Bookings()
    lock = threading.Lock()
    issued = 0
    begin = deadline = 0.0
    rounds_available = len(slots) // slots_per_round
    groups = [[i for i in range(len(patients)) if i % slots_per_round == g]
              for g in range(slots_per_round)]
    go = [True] * slots_per_round

    def start_clock() -> None:
        nonlocal begin, deadline
        begin = time.monotonic()
        deadline = begin + duration

    def next_round(g: int) -> Callable[[], None]:
        def decide() -> None:  # run by the last racer of the group to arrive
            nonlocal issued
            with lock:
                go[g] = time.monotonic() < deadline and issued + len(groups[g]) <= max_requests
                if go[g]:
                    issued += len(groups[g])
        return decide

    started = threading.Barrier(len(patients) + 1, action=start_clock)
    gates = [threading.Barrier(len(members), action=next_round(g))
             for g, members in enumerate(groups)]

    def client_loop(i: int, headers: dict[str, str]) -> None:
        booked = refused = errors = rounds = 0
        latencies: list[float] = []
        samples: list[str] = []
        won: list[tuple[str, str]] = []
        g = i % slots_per_round
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            # Open the keep-alive connection and warm the server's caches (time zones)
            # before the clock starts.
            warm_up(client)
            started.wait()
            for r in range(rounds_available):
                gates[g].wait()
                if not go[g]:
                    break
                pid, slot = slots[r * slots_per_round + g]
                t0 = time.perf_counter()
                try:
                    response = client.post("/api/v1/appointments", headers=headers,
                                           json={"practitioner": pid, "start": iso(slot.start)})
                    code, text = response.status_code, response.text
                except httpx.HTTPError as exc:
                    code, text = 0, type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                rounds += 1
                if code == 201:
                    booked += 1
                    won.append((pid, iso(slot.start)))
                elif code == 409:
                    refused += 1
                else:
                    errors += 1
                    if len(samples) < 3:
                        samples.append(f"{code} {text[:160]}")
        with lock:
            result.booked += booked
            result.refused += refused
            result.errors += errors
            result.rounds = max(result.rounds, rounds)
            result.latencies.extend(latencies)
            result.error_samples.extend(samples)
            result.winners.update(won)

    threads = [threading.Thread(target=client_loop, args=(i, h), name=f"patient-{i}")
               for i, h in enumerate(patients)]
    for thread in threads:
        thread.start()
    started.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.monotonic() - begin
    return result


def double_bookings(database_url: str) -> tuple[int, int]:
    """(slots given more than once, active appointments) as the database holds them."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine), SYSTEM) as session:
            twice = select(Appointment.practitioner_id, Appointment.start_at).where(
                Appointment.status.in_(ACTIVE), Appointment.practitioner_id.is_not(None)
            ).group_by(Appointment.practitioner_id, Appointment.start_at).having(
                func.count() > 1).subquery()
            doubled = session.scalar(select(func.count()).select_from(twice))
            active = session.scalar(select(func.count()).select_from(Appointment).where(
                Appointment.status.in_(ACTIVE)))
    finally:
        engine.dispose()
    return int(doubled or 0), int(active or 0)


# --- the search and its baseline ---------------------------------------------------------


def slot_search_probe(practitioners: list[str], headers: dict[str, str]) -> Probe:
    def probe(client: httpx.Client) -> str | None:
        now = datetime.now(UTC)
        r = client.get("/api/v1/slots", headers=headers, params={
            "practitioner": random.choice(practitioners), "start": iso(now),
            "end": iso(now + SEARCH_WINDOW), "limit": 1})
        if r.status_code != 200:
            return f"{r.status_code} {r.text[:160]}"
        return None if len(r.json()) == 1 else "no free slot found"
    return probe


def schedule_rows_probe(practitioners: list[str], headers_of: Callable[[str], dict[str, str]]
                        ) -> Probe:
    """The interim baseline: the practitioner's schedule rows by an indexed query
    (GET /api/v1/schedules?practitioner=X, as the helpdesk of the practitioner's clinic)."""
    def probe(client: httpx.Client) -> str | None:
        pid = random.choice(practitioners)
        r = client.get("/api/v1/schedules", headers=headers_of(pid),
                       params={"practitioner": pid})
        if r.status_code != 200:
            return f"{r.status_code} {r.text[:160]}"
        return None if len(r.json()) == 1 else "not one schedule"
    return probe


def bench_rows_probe(practitioners: list[str], headers: dict[str, str]) -> Probe:
    """The baseline when the server has it: GET /bench/schedule-rows, the rows the slots
    endpoint reads (practitioner, schedules, leave and active appointments in the same
    window) by the same queries, as the same patient, without the slot computation."""
    def probe(client: httpx.Client) -> str | None:
        now = datetime.now(UTC)
        r = client.get("/bench/schedule-rows", headers=headers, params={
            "practitioner": random.choice(practitioners), "start": iso(now),
            "end": iso(now + SEARCH_WINDOW)})
        return expect(200)(r)
    return probe


def has_bench_rows(base_url: str, practitioner: str, headers: dict[str, str]) -> bool:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        return bench_rows_probe([practitioner], headers)(client) is None


def directory_probe(practitioners: int, headers: dict[str, str]) -> Probe:
    pages = max(1, practitioners // DIRECTORY_PAGE)

    def probe(client: httpx.Client) -> str | None:
        r = client.get("/api/v1/directory/practitioners", headers=headers, params={
            "limit": DIRECTORY_PAGE, "offset": random.randrange(pages) * DIRECTORY_PAGE})
        return expect(200)(r)
    return probe


# --- the run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = served_arguments(__doc__.splitlines()[0] if __doc__ else None)
    parser.set_defaults(concurrency=32)
    parser.add_argument("--practitioners", type=int, default=1000,
                        help="practitioners seeded, each with a schedule (default 1000)")
    parser.add_argument("--days", type=int, default=90,
                        help="days of hours in each schedule, from today (default 90)")
    parser.add_argument("--organizations", type=int, default=10,
                        help="clinics the practitioners belong to (default 10)")
    parser.add_argument("--racers-per-slot", type=int, default=2,
                        help="patients asking for each slot of a round (default 2: half as "
                             "many slots as clients)")
    parser.add_argument("--contested-practitioners", type=int, default=50,
                        help="practitioners whose slots the patients race for (default 50)")
    args = parser.parse_args(argv)
    check_served_arguments(parser, args)
    if args.racers_per_slot < 2 or args.racers_per_slot > args.concurrency:
        parser.error("--racers-per-slot must be at least 2 and at most --concurrency "
                     "(fewer slots than clients)")
    if args.practitioners < 1 or args.days < 2 or args.organizations < 1:
        parser.error("--practitioners, --organizations must be positive, --days at least 2")
    args.contested_practitioners = min(args.contested_practitioners, args.practitioners)
    return args


def migrate(env: dict[str, str], data_dir: Path) -> None:
    done = subprocess.run([str(OHMS), "migrate"], env=env, cwd=data_dir,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ohms migrate failed:\n{done.stderr[-4000:]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ohms-bench-clinic-")))
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
        seeded = seed(url, organizations=args.organizations, practitioners=args.practitioners,
                      patients=args.concurrency, days=args.days)
        seeded_in = time.monotonic() - t0
        base_url = stack.enter_context(ohms_server(env, workers=args.workers))
        t0 = time.monotonic()
        tokens = sign_in(base_url, seeded.patients + seeded.helpdesks,
                         threads=min(16, args.concurrency))
        signed_in = time.monotonic() - t0

        slots_per_round = max(1, args.concurrency // args.racers_per_slot)
        slots = contested_slots(seeded, args.contested_practitioners,
                                count=min(args.max_requests, 200_000))
        print(f"OHMS clinic benchmark: {database} + dev chain, {args.workers} server "
              f"process(es), server {base_url}")
        print(f"seeded {args.practitioners} practitioners in {args.organizations} clinics "
              f"({args.days} days of hours each, {SLOT_MINUTES}-minute slots, 4 time zones) "
              f"and {args.concurrency} patients in {seeded_in:.1f} s; "
              f"{len(tokens)} sign-ins in {signed_in:.1f} s")
        load_before = os.getloadavg()[0]
        print(f"{args.concurrency} client threads, {args.duration:g} s per measurement; "
              f"bookings: {slots_per_round} slots per round for {args.concurrency} patients "
              f"({args.racers_per_slot} per slot), slots of {args.contested_practitioners} "
              f"practitioners\n")

        patients = [tokens[e] for e in seeded.patients]
        bookings = race(base_url, patients, slots, slots_per_round=slots_per_round,
                        duration=args.duration, max_requests=args.max_requests,
                        warm_up=slot_search_probe(seeded.practitioners, patients[0]))
        doubled, active = double_bookings(url)
        given_twice = sum(1 for n in bookings.winners.values() if n > 1)

        bounds = {"duration": args.duration, "concurrency": args.concurrency,
                  "max_requests": args.max_requests}
        if has_bench_rows(base_url, seeded.practitioners[0], patients[0]):
            baseline_kind = "bench-schedule-rows"
            baseline = measure("GET /bench/schedule-rows (baseline)", base_url,
                               bench_rows_probe(seeded.practitioners, patients[0]), **bounds)
        else:
            baseline_kind = "schedules-list"
            baseline = measure("GET /schedules?practitioner (baseline)", base_url,
                               schedule_rows_probe(seeded.practitioners,
                                                   lambda p: tokens[seeded.helpdesk_of[p]]),
                               **bounds)
        search = measure("GET /slots?practitioner&limit=1 (search)", base_url,
                         slot_search_probe(seeded.practitioners, patients[0]), **bounds)
        directory = measure(f"GET /directory/practitioners ({DIRECTORY_PAGE}/page)", base_url,
                            directory_probe(args.practitioners, patients[0]), **bounds)
        load_after = os.getloadavg()[0]

    print_table([bookings.as_measurement(), baseline, search, directory], baseline,
                baseline_name="baseline")
    print(f"\nbookings: {bookings.booked} booked (201), {bookings.refused} refused (409), "
          f"{bookings.errors} other in {bookings.elapsed:.1f} s over {bookings.rounds} "
          f"rounds: {bookings.per_second:.1f} bookings/s, "
          f"{bookings.attempts_per_second:.1f} booking requests/s")
    print(f"double bookings: {doubled} in the database ({active} active appointments), "
          f"{given_twice} slots answered 201 more than once")
    p95_ratio = ratio(search.percentile_ms(0.95), baseline.percentile_ms(0.95))
    print(f"next-free-slot search vs baseline: p95 x{p95_ratio:.2f}, "
          f"p50 x{ratio(search.percentile_ms(0.5), baseline.percentile_ms(0.5)):.2f}")
    print(f"load average (1 min) on this machine: {load_before:.1f} before the measurements, "
          f"{load_after:.1f} after ({os.cpu_count()} cores)")
    print(json.dumps({
        "bookings_per_s": round(bookings.per_second, 1),
        "double_bookings": doubled,
        "slot_search_p50_ms": round(search.percentile_ms(0.5), 2),
        "slot_search_p95_ms": round(search.percentile_ms(0.95), 2),
        "baseline_p95_ms": round(baseline.percentile_ms(0.95), 2),
        "baseline_p50_ms": round(baseline.percentile_ms(0.5), 2),
        "booking_requests_per_s": round(bookings.attempts_per_second, 1),
        "bookings": bookings.booked, "refused_409": bookings.refused,
        "directory_p95_ms": round(directory.percentile_ms(0.95), 2),
        "practitioners": args.practitioners, "days": args.days,
        "racers_per_slot": args.racers_per_slot,
        "workers": args.workers, "concurrency": args.concurrency, "database": database,
        "baseline": baseline_kind, "load_avg_1m": round(max(load_before, load_after), 1),
    }))
    failed = (doubled or given_twice or bookings.booked == 0 or bookings.errors
              or any(m.ok == 0 or m.errors for m in (baseline, search, directory)))
    return 1 if failed else 0


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else 0.0


if __name__ == "__main__":
    sys.exit(main())
