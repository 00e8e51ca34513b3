"""Billable events and the charging worker, on both backends: each event is reported once and
charged once (reported twice, processed twice, by workers running at the same time), at
the price in force on the day the service was given, rounded once per line; charges gather
on the patient's one draft at the organisation (a new one once it is issued); events with
no price wait for one (listed for the desk). And the real flows: a finished encounter, a
lab order's results, an imaging order's report and a dispense are charged, and a visit, a
lab test and a dispense at one hospital land on one draft."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from api.billing.charging import charge_pending
from api.billing.events import CONSULTATION_SYSTEM, Billable, report_billable
from api.billing.models import BillableEvent, BillableEventKind, Charge, Invoice
from pacs_bridge.synthetic import ct_study
from tests.api.billing.test_prices import (
    HBA1C,
    LOINC,
    add_price,
    assert_problem,
    post_price,
    price_body,
)
from tests.api.conftest import Ohms, User
from tests.api.orders.factories import (
    CHEST_XRAY,
    at_the_lab,
    imaging_report,
    lab_result,
    open_encounter,
    placed,
    post_results,
    visit,
)
from tests.api.orders.test_study_and_rejection import report, upload_for
from tests.api.prescriptions.factories import (
    AMOXICILLIN,
    dispense,
    lot,
    prescribe,
    prescribed,
    rx_body,
    setting,
)
from tests.api.scheduling.factories import clinic, publish_keys

GLUCOSE = {"system": LOINC, "code": "2345-7", "display": "Glucose [Mass/volume] in Serum"}
CARDIOLOGY = "394579002"


@dataclass
class Desk:
    org: str
    admin: User
    helpdesk: User


def desk(ohms: Ohms, kind: str = "hospital") -> Desk:
    org = ohms.create_org(kind)
    return Desk(org, ohms.add_member(org, "org_admin"), ohms.add_member(org, "helpdesk"))


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def report_event(ohms: Ohms, org: str, patient: User, code: dict[str, str], when: datetime,
                 *, quantity: int = 1, source: uuid.UUID | None = None,
                 kind: BillableEventKind = BillableEventKind.lab_order) -> uuid.UUID:
    source = source or uuid.uuid4()
    with ohms.db() as s:
        report_billable(s, Billable(
            kind=kind, source_id=source, organization_id=uuid.UUID(org),
            patient_id=uuid.UUID(patient.id), patient_uhid=patient.uhid,
            code_system=code["system"], code=code["code"], display=code["display"],
            occurred_at=when, quantity=quantity, department="Laboratory"))
    return source


def charge(ohms: Ohms) -> int:
    with ohms.db() as s:
        return charge_pending(s)


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    service_date: date
    department: str | None
    invoice: uuid.UUID


def lines_of(ohms: Ohms, org: str, patient: User) -> list[Line]:
    with ohms.db() as s:
        return [Line(c.description, c.quantity, Decimal(c.unit_price), Decimal(c.net),
                     Decimal(c.tax), Decimal(c.total), c.service_date, c.department,
                     c.invoice_id)
                for c in s.scalars(select(Charge).where(
                    Charge.organization_id == uuid.UUID(org),
                    Charge.patient_id == uuid.UUID(patient.id))
                    .order_by(Charge.service_date, Charge.net))]


def invoices_of(ohms: Ohms, org: str, patient: User) -> list[Invoice]:
    with ohms.db() as s:
        found = list(s.scalars(select(Invoice).where(
            Invoice.organization_id == uuid.UUID(org),
            Invoice.patient_id == uuid.UUID(patient.id)).order_by(Invoice.created_at)))
        s.expunge_all()
        return found


def assert_totals_are_the_lines(ohms: Ohms, invoice: Invoice) -> None:
    with ohms.db() as s:
        net, tax, total = s.execute(
            select(func.coalesce(func.sum(Charge.net), 0), func.coalesce(func.sum(Charge.tax), 0),
                   func.coalesce(func.sum(Charge.total), 0))
            .where(Charge.invoice_id == invoice.id)).one()
    assert (Decimal(invoice.net_total), Decimal(invoice.tax_total), Decimal(invoice.total)) \
        == (Decimal(net), Decimal(tax), Decimal(total))
    assert Decimal(invoice.balance) == Decimal(invoice.total)


def events_of(ohms: Ohms, org: str) -> list[BillableEvent]:
    with ohms.db() as s:
        found = list(s.scalars(select(BillableEvent)
                               .where(BillableEvent.organization_id == uuid.UUID(org))
                               .order_by(BillableEvent.occurred_at)))
        s.expunge_all()
        return found


# --- prices, rounding and exactly once -----------------------------------------------------


def test_a_charge_takes_the_price_in_force_on_the_service_day(ohms: Ohms) -> None:
    d = desk(ohms)
    patient = ohms.register_patient()
    add_price(ohms, d.admin, amount="400.00", tax_rate="0", valid_from="2024-01-01")
    add_price(ohms, d.admin, amount="450.00", tax_rate="0.05", valid_from="2025-01-01",
              department="Pathology")
    today = datetime.now(UTC)
    report_event(ohms, d.org, patient, HBA1C, at(date(2024, 12, 31), 23))  # the old price
    report_event(ohms, d.org, patient, HBA1C, at(date(2025, 1, 1), 0))     # the new one
    report_event(ohms, d.org, patient, HBA1C, today)                       # the new one
    early = report_event(ohms, d.org, patient, HBA1C, at(date(2023, 6, 1)))  # none yet
    charge(ohms)
    lines = lines_of(ohms, d.org, patient)
    assert [(ln.service_date, ln.unit_price, ln.tax, ln.total) for ln in lines] == [
        (date(2024, 12, 31), Decimal("400.00"), Decimal("0.00"), Decimal("400.00")),
        (date(2025, 1, 1), Decimal("450.00"), Decimal("22.50"), Decimal("472.50")),
        (today.date(), Decimal("450.00"), Decimal("22.50"), Decimal("472.50"))]
    # The description is the price list's name of the service; its department, the price's
    # (else the event's).
    assert {(ln.description, ln.department) for ln in lines} == \
        {(HBA1C["display"], "Laboratory"), (HBA1C["display"], "Pathology")}
    [draft] = invoices_of(ohms, d.org, patient)
    assert (draft.status, draft.currency, draft.number) == ("draft", "INR", None)
    assert Decimal(draft.total) == Decimal("1345.00")
    assert_totals_are_the_lines(ohms, draft)
    # No price in force on its day: unpriced, counted, not charged.
    [waiting] = [e for e in events_of(ohms, d.org) if e.source_id == early]
    assert (waiting.status, waiting.attempts) == ("unpriced", 1)


def test_each_line_is_rounded_once_half_up_and_taxed(ohms: Ohms) -> None:
    d = desk(ohms)
    patient = ohms.register_patient()
    add_price(ohms, d.admin, amount="12.25", tax_rate="0.18", valid_from="2024-01-01")
    tablet = {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "861007",
              "display": "metformin 500 MG Oral Tablet"}
    add_price(ohms, d.admin, code=tablet, amount="0.125", tax_rate="0.05",
              valid_from="2024-01-01")
    report_event(ohms, d.org, patient, HBA1C, at(date(2025, 3, 1)))
    report_event(ohms, d.org, patient, tablet, at(date(2025, 3, 2)), quantity=3)
    charge(ohms)
    lines = lines_of(ohms, d.org, patient)
    # 12.25 x 18 % = 2.205: half a cent, rounded up (2.21), not to even (2.20).
    assert [(ln.quantity, ln.net, ln.tax, ln.total) for ln in lines] == [
        (1, Decimal("12.25"), Decimal("2.21"), Decimal("14.46")),
        # 3 x 0.125 = 0.375 -> 0.38; 0.38 x 5 % = 0.019 -> 0.02.
        (3, Decimal("0.38"), Decimal("0.02"), Decimal("0.40"))]
    [draft] = invoices_of(ohms, d.org, patient)
    assert (Decimal(draft.net_total), Decimal(draft.tax_total), Decimal(draft.total)) == \
        (Decimal("12.63"), Decimal("2.23"), Decimal("14.86"))
    assert_totals_are_the_lines(ohms, draft)


def test_an_event_is_reported_once_and_charged_once(ohms: Ohms) -> None:
    d = desk(ohms)
    patient = ohms.register_patient()
    add_price(ohms, d.admin, valid_from="2024-01-01")
    source = report_event(ohms, d.org, patient, HBA1C, at(date(2025, 5, 5)))
    # The same source reported again (a retried request): still one event.
    report_event(ohms, d.org, patient, HBA1C, at(date(2025, 5, 6)), source=source)
    assert len(events_of(ohms, d.org)) == 1
    charge(ohms)
    charge(ohms)
    assert len(lines_of(ohms, d.org, patient)) == 1
    # The event processed a second time (put back to pending behind the worker's back):
    # UNIQUE(event_id) makes it a no-op, and the draft's totals do not move.
    with ohms.db() as s:
        s.execute(update(BillableEvent).where(BillableEvent.source_id == source)
                  .values(status="pending"))
    charge(ohms)
    assert len(lines_of(ohms, d.org, patient)) == 1
    [draft] = invoices_of(ohms, d.org, patient)
    assert Decimal(draft.total) == Decimal("590.00")
    assert_totals_are_the_lines(ohms, draft)
    assert [e.status for e in events_of(ohms, d.org)] == ["charged"]


def test_workers_running_at_once_charge_each_event_once(fresh_ohms: Ohms) -> None:
    ohms = fresh_ohms
    d = desk(ohms)
    patients = [ohms.register_patient() for _ in range(6)]
    add_price(ohms, d.admin, amount="100.00", tax_rate="0.18", valid_from="2024-01-01")
    add_price(ohms, d.admin, code=GLUCOSE, amount="33.33", tax_rate="0.05",
              valid_from="2024-01-01")
    events = 240
    with ohms.db() as s:
        for n in range(events):
            p = patients[(n * 7) % len(patients)]
            code = HBA1C if n % 3 else GLUCOSE
            report_billable(s, Billable(
                kind=BillableEventKind.lab_order, source_id=uuid.uuid4(),
                organization_id=uuid.UUID(d.org), patient_id=uuid.UUID(p.id),
                patient_uhid=p.uhid, code_system=code["system"], code=code["code"],
                display=code["display"], occurred_at=at(date(2025, 1, 1 + n % 28))))
    start = threading.Barrier(4)
    made: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            with ohms.db() as s:
                for _ in range(10):
                    made.append(charge_pending(s, limit=15))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    made.append(charge(ohms))
    assert sum(made) == events
    with ohms.db() as s:
        per_event = s.execute(select(Charge.event_id, func.count())
                              .group_by(Charge.event_id)).all()
        assert len(per_event) == events and {n for _, n in per_event} == {1}
        assert s.scalar(select(func.count()).select_from(BillableEvent)
                        .where(BillableEvent.status != "charged")) == 0
    for p in patients:
        [draft] = invoices_of(ohms, d.org, p)  # one draft per patient, whoever made it
        assert_totals_are_the_lines(ohms, draft)


def test_a_charge_the_database_refuses_holds_up_no_other_event(ohms: Ohms) -> None:
    d = desk(ohms)
    patient = ohms.register_patient()
    add_price(ohms, d.admin, amount="9999999999.9999", tax_rate="0", valid_from="2024-01-01")
    add_price(ohms, d.admin, code=GLUCOSE, amount="10.00", tax_rate="0",
              valid_from="2024-01-01")
    huge = report_event(ohms, d.org, patient, HBA1C, at(date(2025, 7, 1)), quantity=1000)
    small = report_event(ohms, d.org, patient, GLUCOSE, at(date(2025, 7, 2)))
    charge(ohms)
    status = {e.source_id: (e.status, e.attempts) for e in events_of(ohms, d.org)}
    assert status[small] == ("charged", 1)
    if ohms.kind == "real":
        # 9,999,999,999,999.90 does not fit NUMERIC(14, 2): set aside for the desk, and the
        # batch's other event charged all the same.
        assert status[huge] == ("unpriced", 1)
        assert [ln.total for ln in lines_of(ohms, d.org, patient)] == [Decimal("10.00")]
    else:  # SQLite stores any size
        assert status[huge][0] == "charged"
    [draft] = invoices_of(ohms, d.org, patient)
    assert_totals_are_the_lines(ohms, draft)


def test_an_issued_invoice_is_never_added_to(ohms: Ohms) -> None:
    d = desk(ohms)
    patient = ohms.register_patient()
    add_price(ohms, d.admin, valid_from="2024-01-01")
    report_event(ohms, d.org, patient, HBA1C, at(date(2025, 2, 1)))
    charge(ohms)
    [first] = invoices_of(ohms, d.org, patient)
    with ohms.db() as s:  # issued, as the invoices' service does (behind the API here)
        s.execute(update(Invoice).where(Invoice.id == first.id).values(
            status="issued", number=f"INV-T-{uuid.uuid4().hex[:8]}", year=2025, sequence=1,
            issued_at=datetime.now(UTC)))
    report_event(ohms, d.org, patient, HBA1C, at(date(2025, 2, 2)))
    charge(ohms)
    issued, draft = invoices_of(ohms, d.org, patient)
    assert (issued.id, issued.status, Decimal(issued.total)) == \
        (first.id, "issued", Decimal("590.00"))
    assert draft.status == "draft" and Decimal(draft.total) == Decimal("590.00")
    assert {ln.invoice for ln in lines_of(ohms, d.org, patient)} == {issued.id, draft.id}


def test_unpriced_events_wait_for_a_price_and_are_listed_for_the_desk(ohms: Ohms) -> None:
    d, other = desk(ohms), desk(ohms)
    patient = ohms.register_patient()
    report_event(ohms, d.org, patient, GLUCOSE, at(date(2025, 4, 1)))
    report_event(ohms, d.org, patient, GLUCOSE, at(date(2025, 4, 2)))
    charge(ohms)
    r = ohms.client.get("/api/v1/billable-events", headers=d.helpdesk.headers,
                        params={"status": "unpriced"})
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [(e["code"]["code"], e["patient"], e["attempts"], e["kind"], e["status"])
            for e in listed] == [("2345-7", patient.uhid, 1, "lab_order", "unpriced")] * 2
    assert listed[0]["occurred_at"].startswith("2025-04-01")
    assert len(ohms.client.get("/api/v1/billable-events", headers=d.admin.headers,
                               params={"limit": 1}).json()) == 1
    # Another organisation's desk sees none of them; a nurse and a patient may not look.
    assert ohms.client.get("/api/v1/billable-events",
                           headers=other.helpdesk.headers).json() == []
    assert_problem(ohms.client.get("/api/v1/billable-events",
                                   headers=ohms.add_member(d.org, "nurse").headers), 403)
    assert_problem(ohms.client.get("/api/v1/billable-events", headers=patient.headers), 403)
    assert_problem(ohms.client.get("/api/v1/billable-events", headers=d.helpdesk.headers,
                                   params={"status": "lost"}), 422)
    # Still unpriced on the next pass; another organisation's price changes nothing.
    charge(ohms)
    add_price(ohms, other.admin, code=GLUCOSE, valid_from="2024-01-01")
    charge(ohms)
    assert {(e.status, e.attempts) for e in events_of(ohms, d.org)} == {("unpriced", 1)}
    # A price from a day after the services does not price them either.
    add_price(ohms, d.admin, code=GLUCOSE, amount="80.00", valid_from="2025-04-02")
    charge(ohms)
    assert [(e.status, e.attempts) for e in events_of(ohms, d.org)] == \
        [("unpriced", 2), ("charged", 2)]
    add_price(ohms, d.admin, code=GLUCOSE, amount="70.00", tax_rate="0",
              valid_from="2025-01-01")
    charge(ohms)
    assert [e.status for e in events_of(ohms, d.org)] == ["charged", "charged"]
    assert [ln.total for ln in lines_of(ohms, d.org, patient)] == \
        [Decimal("70.00"), Decimal("94.40")]
    assert ohms.client.get("/api/v1/billable-events", headers=d.helpdesk.headers).json() == []


# --- the workflows report what they did -----------------------------------------------------


def test_a_finished_encounter_is_charged_as_a_consultation(ohms: Ohms) -> None:
    hospital = clinic(ohms)
    r = ohms.client.put(f"/api/v1/practitioners/{hospital.physician.id}/profile",
                        headers=hospital.admin.headers,
                        json={"specialty_code": CARDIOLOGY, "specialty": "Cardiology"})
    assert r.status_code == 200, r.text
    add_price(ohms, hospital.admin, valid_from="2024-01-01", amount="800.00", tax_rate="0",
              code={"system": CONSULTATION_SYSTEM, "code": CARDIOLOGY,
                    "display": "Cardiology consultation"})
    patient = ohms.register_patient()
    publish_keys(ohms, patient)
    encounter = open_encounter(ohms, hospital, patient)
    finish = f"/api/v1/encounters/{encounter}/finish"
    assert_problem(ohms.client.post(finish, headers=hospital.nurse.headers), 403)
    assert events_of(ohms, hospital.org) == []
    r = ohms.client.post(finish, headers=hospital.physician.headers)
    assert r.status_code == 200, r.text
    assert_problem(ohms.client.post(finish, headers=hospital.physician.headers), 409)
    [event] = events_of(ohms, hospital.org)
    assert (event.kind, event.code_system, event.code, event.display, event.department,
            event.patient_uhid, event.status) == (
        "consultation", CONSULTATION_SYSTEM, CARDIOLOGY, "Consultation \u2013 Cardiology",
        "Cardiology", patient.uhid, "pending")
    charge(ohms)
    [line] = lines_of(ohms, hospital.org, patient)
    assert (line.description, line.total, line.department) == \
        ("Cardiology consultation", Decimal("800.00"), "Cardiology")


def test_a_practitioner_without_a_specialty_gives_a_general_consultation(ohms: Ohms) -> None:
    hospital = clinic(ohms, "clinic")
    patient = ohms.register_patient()
    publish_keys(ohms, patient)
    encounter = open_encounter(ohms, hospital, patient)
    r = ohms.client.post(f"/api/v1/encounters/{encounter}/finish",
                         headers=hospital.physician.headers)
    assert r.status_code == 200, r.text
    [event] = events_of(ohms, hospital.org)
    assert (event.code, event.display, event.department) == \
        ("general", "Consultation \u2013 General practice", "General practice")


def test_lab_results_and_an_imaging_report_are_charged_at_the_performer(ohms: Ohms) -> None:
    v = visit(ohms)
    lab_admin = ohms.add_member(v.lab.org, "org_admin")
    rad_admin = ohms.add_member(v.radiology.org, "org_admin")
    add_price(ohms, lab_admin, valid_from="2024-01-01", amount="350.00", tax_rate="0.12")
    add_price(ohms, rad_admin, code=CHEST_XRAY, valid_from="2024-01-01", amount="1200.00",
              tax_rate="0.18", department="Radiology")

    order = placed(ohms, v)
    at_the_lab(ohms, v, order["id"])
    r = post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid))
    assert r.status_code == 201, r.text
    # A second filing is refused and reports nothing more.
    assert post_results(ohms, v.lab.staff, order["id"],
                        lab_result(v.patient.uhid)).status_code == 409
    [lab_event] = events_of(ohms, v.lab.org)
    assert (lab_event.kind, lab_event.source_id, lab_event.code, lab_event.department,
            lab_event.patient_uhid) == (
        "lab_order", uuid.UUID(order["id"]), "4548-4", "Laboratory", v.patient.uhid)
    assert lab_event.record_id is not None

    imaging = placed(ohms, v, category="imaging")
    r = upload_for(ohms, v.radiology.staff, v.patient.uhid, imaging["id"],
                   ct_study(v.patient.uhid, 1))
    assert r.status_code == 201, r.text
    assert events_of(ohms, v.radiology.org) == []  # a study alone is not the service
    r = report(ohms, v.radiology.staff, r.json()["id"],
               imaging_report(v.patient.uhid, "No acute findings"))
    assert r.status_code == 201, r.text
    [rad_event] = events_of(ohms, v.radiology.org)
    assert (rad_event.kind, rad_event.source_id, rad_event.code, rad_event.department,
            str(rad_event.record_id)) == (
        "imaging_order", uuid.UUID(imaging["id"]), "36643-5", "Radiology", r.json()["id"])

    charge(ohms)
    [lab_line] = lines_of(ohms, v.lab.org, v.patient)
    [rad_line] = lines_of(ohms, v.radiology.org, v.patient)
    assert (lab_line.total, lab_line.department) == (Decimal("392.00"), "Laboratory")
    assert (rad_line.total, rad_line.description) == (Decimal("1416.00"), "XR Chest 2 Views")
    # Each at its own organisation, on the patient's draft there; none at the hospital.
    assert len(invoices_of(ohms, v.lab.org, v.patient)) == 1
    assert invoices_of(ohms, v.hospital.org, v.patient) == []


def test_a_dispense_is_charged_per_unit_at_the_pharmacy(ohms: Ohms) -> None:
    s = setting(ohms)
    admin = ohms.add_member(s.pharmacy.org, "org_admin")
    add_price(ohms, admin, code=AMOXICILLIN, valid_from="2024-01-01", amount="12.50",
              tax_rate="0.12")
    rx = prescribed(ohms, s)
    stock = lot(ohms, s.pharmacist, quantity=10)
    r = dispense(ohms, s.pharmacist, rx["id"], stock["id"], 4)
    assert r.status_code == 201, r.text
    # Refused (more than the lot holds): nothing reported.
    assert dispense(ohms, s.pharmacist, rx["id"], stock["id"], 50).status_code == 409
    [event] = events_of(ohms, s.pharmacy.org)
    assert (event.kind, event.quantity, event.code, event.department, event.patient_uhid) == \
        ("dispense", 4, AMOXICILLIN["code"], "Pharmacy", s.patient.uhid)
    charge(ohms)
    [line] = lines_of(ohms, s.pharmacy.org, s.patient)
    assert (line.quantity, line.net, line.tax, line.total) == \
        (4, Decimal("50.00"), Decimal("6.00"), Decimal("56.00"))


def test_a_visit_a_lab_test_and_a_dispense_at_one_hospital_are_one_draft(ohms: Ohms) -> None:
    hospital = clinic(ohms)
    pharmacist = ohms.add_member(hospital.org, "pharmacist")
    technician = ohms.add_member(hospital.org, "lab_technician")
    patient = ohms.register_patient()
    publish_keys(ohms, patient)
    for body in (price_body(code={"system": CONSULTATION_SYSTEM, "code": "general",
                                  "display": "Consultation"}, amount="500.00", tax_rate="0"),
                 price_body(amount="350.00", tax_rate="0.12"),
                 price_body(code=AMOXICILLIN, amount="12.50", tax_rate="0.05")):
        r = post_price(ohms, hospital.admin, {**body, "valid_from": "2024-01-01"})
        assert r.status_code == 201, r.text
    encounter = open_encounter(ohms, hospital, patient)
    # The hospital's own lab performs the test.
    order = ohms.client.post("/api/v1/orders", headers=hospital.physician.headers, json={
        "patient": patient.uhid, "category": "lab", "performer": hospital.org,
        "code": HBA1C, "priority": "routine", "reason": "screening", "encounter": encounter})
    assert order.status_code == 201, order.text
    for step in ("collected", "received"):
        r = ohms.client.post(f"/api/v1/orders/{order.json()['id']}/specimen",
                             headers=technician.headers, json={"status": step})
        assert r.status_code == 200, r.text
    r = post_results(ohms, technician, order.json()["id"], lab_result(patient.uhid))
    assert r.status_code == 201, r.text
    # The hospital's own pharmacy dispenses.
    r = prescribe(ohms, hospital.physician, rx_body(patient.uhid, hospital.org))
    assert r.status_code == 201, r.text
    stock = lot(ohms, pharmacist, quantity=30)
    d = dispense(ohms, pharmacist, r.json()["id"], stock["id"], 21)
    assert d.status_code == 201, d.text
    r = ohms.client.post(f"/api/v1/encounters/{encounter}/finish",
                         headers=hospital.physician.headers)
    assert r.status_code == 200, r.text

    charge(ohms)
    [draft] = invoices_of(ohms, hospital.org, patient)
    lines = lines_of(ohms, hospital.org, patient)
    assert sorted((ln.description, ln.total) for ln in lines) == [
        ("Consultation", Decimal("500.00")),
        ("Hemoglobin A1c/Hemoglobin.total in Blood", Decimal("392.00")),
        (AMOXICILLIN["display"], Decimal("275.63"))]  # 21 x 12.50 = 262.50 + 13.125 -> 13.13
    assert {ln.invoice for ln in lines} == {draft.id}
    assert Decimal(draft.total) == Decimal("1167.63")
    assert_totals_are_the_lines(ohms, draft)


def test_a_hospital_dispenses_only_with_a_pharmacy_of_its_own(ohms: Ohms) -> None:
    s = setting(ohms)
    # The patient's hospital has no pharmacist: not a pharmacy to prescribe to.
    assert_problem(prescribe(ohms, s.physician, rx_body(s.patient.uhid, s.hospital.org)),
                   422, "pharmacy")
    pharmacist = ohms.add_member(s.hospital.org, "pharmacist")
    r = prescribe(ohms, s.physician, rx_body(s.patient.uhid, s.hospital.org))
    assert r.status_code == 201, r.text
    assert r.json()["pharmacy"] == s.hospital.org
    stock = lot(ohms, pharmacist, quantity=5)
    # The other pharmacy does not see it; the hospital's pharmacist dispenses it.
    assert_problem(dispense(ohms, s.pharmacist, r.json()["id"], stock["id"], 1), 404)
    d = dispense(ohms, pharmacist, r.json()["id"], stock["id"], 5)
    assert d.status_code == 201, d.text
    assert d.json()["prescription"]["dispensed"] == 5
    [event] = events_of(ohms, s.hospital.org)
    assert (event.kind, event.quantity, event.source_id) == \
        ("dispense", 5, uuid.UUID(d.json()["id"]))
