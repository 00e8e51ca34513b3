"""The organisation's reports: revenue by service and department, receivables with ageing,
claims by status and payer, as JSON and CSV, on both backends. The invoices, payments,
credit notes and claims are made through the API; only invoices' issue dates are moved
back behind it (issuing stamps the present, and no API backdates an issue)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from api.billing.models import Invoice
from api.reports.csv_export import text_cell
from tests.api.billing_helpers import PROBLEM, charge, issued_invoice, money
from tests.api.conftest import Ohms, User

CONSULT = "https://ohms.health/fhir/CodeSystem/consultation"
LOINC = "http://loinc.org"
INJECTION = '=HYPERLINK("http://evil.example","see")'
TODAY = datetime.now(UTC).date()
SERVICE_DAY = TODAY - timedelta(days=20)
PERIOD = {"from": str(TODAY - timedelta(days=30)), "to": str(TODAY)}


def consultation(currency: str = "INR", price: str = "500.00", tax: str = "0.18",
                 **more: Any) -> dict[str, Any]:
    return {"description": "Consultation, General practice", "quantity": 1,
            "unit_price": money(price, currency), "tax_rate": tax,
            "code": {"system": CONSULT, "code": "general",
                     "display": "Consultation, General practice"},
            "department": "General practice", "service_date": str(SERVICE_DAY),
            "currency": currency, **more}


def haemoglobin(quantity: int = 2, **more: Any) -> dict[str, Any]:
    return {"description": "Hemoglobin [Mass/volume] in Blood", "quantity": quantity,
            "unit_price": money("250.00"), "tax_rate": "0.05",
            "code": {"system": LOINC, "code": "718-7", "display": "Hemoglobin"},
            "department": "Laboratory", "service_date": str(SERVICE_DAY), **more}


def row(key: str | None, label: str, currency: str, count: int, net: str, tax: str,
        total: str) -> dict[str, Any]:
    return {"key": key, "label": label, "currency": currency, "count": count,
            "net": money(net, currency), "tax": money(tax, currency),
            "total": money(total, currency)}


def total(currency: str, count: int, net: str, tax: str, amount: str) -> dict[str, Any]:
    return {"currency": currency, "count": count, "net": money(net, currency),
            "tax": money(tax, currency), "total": money(amount, currency)}


def csv_blocks(text: str) -> list[list[list[str]]]:
    """The CSV's blocks (separated by an empty line), each a header and its rows."""
    blocks: list[list[list[str]]] = [[]]
    for record in csv.reader(io.StringIO(text)):
        if record:
            blocks[-1].append(record)
        else:
            blocks.append([])
    return blocks


def get_report(ohms: Ohms, who: User, name: str, **params: str) -> dict[str, Any]:
    r = ohms.client.get(f"/api/v1/reports/{name}", headers=who.headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    return body


def get_csv(ohms: Ohms, who: User, name: str, *, accept: bool = False,
            **params: str) -> tuple[str, str]:
    """The report as CSV (by `?format=csv`, or by the Accept header): its text and the
    Content-Disposition."""
    headers = dict(who.headers)
    if accept:
        headers["Accept"] = "text/csv"
    else:
        params = {**params, "format": "csv"}
    r = ohms.client.get(f"/api/v1/reports/{name}", headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    return r.text, r.headers["content-disposition"]


# --- revenue ---------------------------------------------------------------------------------


@dataclass
class Billing:
    """A hospital's known set of invoices (and another hospital's, which must never show)."""

    admin: User
    other_admin: User
    desk: User
    org: str


@pytest.fixture(scope="module")
def billing(ohms: Ohms) -> Iterator[Billing]:
    org, other = ohms.create_org("hospital"), ohms.create_org("hospital")
    admin, desk = ohms.add_member(org, "org_admin"), ohms.add_member(org, "helpdesk")
    other_admin, other_desk = ohms.add_member(other, "org_admin"), ohms.add_member(
        other, "helpdesk")
    p1, p2, p3, p4, p5 = (ohms.register_patient() for _ in range(5))
    # 590.00 + 525.00, partly paid; a line served before the period does not count.
    first = issued_invoice(ohms, desk, p1, [
        consultation(), haemoglobin(),
        haemoglobin(quantity=1, service_date=str(TODAY - timedelta(days=40)))])
    r = ohms.client.post(f"/api/v1/invoices/{first['id']}/payments",
                         headers={**desk.headers, "Idempotency-Key": str(uuid.uuid4())},
                         json={"method": "cash", "amount": money("100.00")})
    assert r.status_code == 201, r.text
    # 590.00, less a credit note of 118.00 (100.00 net, 18.00 tax).
    second = issued_invoice(ohms, desk, p2, [consultation()])
    r = ohms.client.post(f"/api/v1/invoices/{second['id']}/credit-notes",
                         headers=desk.headers,
                         json={"reason": "goodwill", "lines": [
                             {"charge": second["lines"][0]["id"], "amount": money("118.00")}]})
    assert r.status_code == 201, r.text
    # Voided, and a draft: neither is revenue.
    third = issued_invoice(ohms, desk, p3, [haemoglobin(quantity=1)])
    r = ohms.client.post(f"/api/v1/invoices/{third['id']}/void", headers=desk.headers,
                         json={"reason": "issued in error"})
    assert r.status_code == 200, r.text
    charge(ohms, desk, p4, **consultation())
    # Dollars: 100.00, and 3 x 0.10 at 18 % (0.30 + 0.05 tax, rounded once per line) on a
    # line of no code or department whose description is a spreadsheet formula.
    issued_invoice(ohms, desk, p5, [
        consultation("USD", "100.00", "0.00"),
        {"description": INJECTION, "quantity": 3, "unit_price": money("0.10", "USD"),
         "tax_rate": "0.18", "service_date": str(SERVICE_DAY), "currency": "USD"}])
    # Another hospital bills the same patient for the same service.
    issued_invoice(ohms, other_desk, p1, [consultation(price="999.00")])
    yield Billing(admin=admin, other_admin=other_admin, desk=desk, org=org)


REVENUE_BY_SERVICE = [
    row(f"{CONSULT}|general", "Consultation, General practice", "INR", 2,
        "900.00", "162.00", "1062.00"),
    row(f"{LOINC}|718-7", "Hemoglobin [Mass/volume] in Blood", "INR", 1,
        "500.00", "25.00", "525.00"),
    row(f"{CONSULT}|general", "Consultation, General practice", "USD", 1,
        "100.00", "0.00", "100.00"),
    row(None, INJECTION, "USD", 1, "0.30", "0.05", "0.35"),
]
REVENUE_BY_DEPARTMENT = [
    row("General practice", "General practice", "INR", 2, "900.00", "162.00", "1062.00"),
    row("Laboratory", "Laboratory", "INR", 1, "500.00", "25.00", "525.00"),
    row("General practice", "General practice", "USD", 1, "100.00", "0.00", "100.00"),
    row(None, "Unassigned", "USD", 1, "0.30", "0.05", "0.35"),
]
TOTALS = [total("INR", 3, "1400.00", "187.00", "1587.00"),
          total("USD", 2, "100.30", "0.05", "100.35")]


def test_revenue_by_service_is_right_to_the_cent(ohms: Ohms, billing: Billing) -> None:
    report = get_report(ohms, billing.admin, "revenue", by="service", **PERIOD)
    assert report["by"] == "service"
    assert (report["from"], report["to"]) == (PERIOD["from"], PERIOD["to"])
    assert report["rows"] == REVENUE_BY_SERVICE
    assert report["totals"] == TOTALS


def test_revenue_by_department(ohms: Ohms, billing: Billing) -> None:
    report = get_report(ohms, billing.admin, "revenue", by="department", **PERIOD)
    assert report["rows"] == REVENUE_BY_DEPARTMENT
    assert report["totals"] == TOTALS


def test_revenue_is_dated_by_the_service_day(ohms: Ohms, billing: Billing) -> None:
    earlier = get_report(ohms, billing.admin, "revenue",
                         **{"from": str(TODAY - timedelta(days=45)),
                            "to": str(TODAY - timedelta(days=35))})
    assert earlier["rows"] == [row(f"{LOINC}|718-7", "Hemoglobin [Mass/volume] in Blood",
                                   "INR", 1, "250.00", "12.50", "262.50")]
    nothing = get_report(ohms, billing.admin, "revenue", **{"from": str(TODAY),
                                                             "to": str(TODAY)})
    assert nothing["rows"] == [] and nothing["totals"] == []


def test_another_organisation_sees_only_its_own_revenue(ohms: Ohms, billing: Billing) -> None:
    report = get_report(ohms, billing.other_admin, "revenue", **PERIOD)
    assert report["rows"] == [row(f"{CONSULT}|general", "Consultation, General practice",
                                  "INR", 1, "999.00", "179.82", "1178.82")]


def test_revenue_as_csv_matches_the_json(ohms: Ohms, billing: Billing) -> None:
    for by, rows in (("service", REVENUE_BY_SERVICE), ("department", REVENUE_BY_DEPARTMENT)):
        for accept in (False, True):
            text, disposition = get_csv(ohms, billing.admin, "revenue", accept=accept, by=by,
                                        **PERIOD)
            assert disposition == (f'attachment; filename="revenue-by-{by}-{PERIOD["from"]}'
                                   f'-to-{PERIOD["to"]}.csv"')
            [block] = csv_blocks(text)
            assert block[0] == ["key", "label", "currency", "count", "net", "tax", "total"]
            expected = [[text_cell(r["key"]), text_cell(r["label"]), r["currency"],
                         str(r["count"]), r["net"]["amount"], r["tax"]["amount"],
                         r["total"]["amount"]] for r in rows]
            expected += [["", "Total", t["currency"], str(t["count"]), t["net"]["amount"],
                          t["tax"]["amount"], t["total"]["amount"]] for t in TOTALS]
            assert block[1:] == expected
    # The staff-typed formula is written as text, never as a formula.
    text, _ = get_csv(ohms, billing.admin, "revenue", by="service", **PERIOD)
    labels = [record[1] for record in csv_blocks(text)[0][1:]]
    assert "'" + INJECTION in labels and INJECTION not in labels


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_formula_cell_is_neutralised(cell: str) -> None:
    assert text_cell(cell) == "'" + cell
    assert text_cell("Laboratory") == "Laboratory" and text_cell(None) == ""


def test_reports_are_for_the_organisations_administrators(ohms: Ohms,
                                                          billing: Billing) -> None:
    physician = ohms.add_member(billing.org, "physician")
    insurer = ohms.add_member(ohms.create_org("insurer"), "insurer")
    patient = ohms.register_patient()
    for name in ("revenue", "receivables", "claims"):
        for who in (physician, insurer, patient, billing.desk):
            r = ohms.client.get(f"/api/v1/reports/{name}", headers=who.headers)
            assert r.status_code == 403, (name, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
            r = ohms.client.get(f"/api/v1/reports/{name}", headers=who.headers,
                                params={"format": "csv"})
            assert r.status_code == 403
        assert ohms.client.get(f"/api/v1/reports/{name}").status_code == 401


@pytest.mark.parametrize("name, params", [
    ("revenue", {"from": str(TODAY), "to": str(TODAY - timedelta(days=1))}),
    ("revenue", {"by": "patient"}),
    ("revenue", {"from": "2026-02-30"}),
    ("revenue", {"from": "1990-01-01", "to": "2026-01-01"}),
    ("revenue", {"format": "xlsx"}),
    ("revenue", {"to": "9999-12-31"}),
    ("receivables", {"as_of": "yesterday"}),
    ("receivables", {"as_of": "0001-01-01"}),
    ("receivables", {"as_of": "9999-12-31"}),
    ("claims", {"from": "0001-01-01"}),
    ("claims", {"to": "not-a-date"}),
    ("claims", {"from": str(TODAY), "to": str(TODAY - timedelta(days=1))}),
])
def test_bad_input_is_a_problem(ohms: Ohms, billing: Billing, name: str,
                                params: dict[str, str]) -> None:
    r = ohms.client.get(f"/api/v1/reports/{name}", headers=billing.admin.headers,
                        params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


# --- receivables -----------------------------------------------------------------------------


def _issued_on(ohms: Ohms, invoice_id: str, day: date) -> None:
    """Move an invoice's issue back to `day` (noon UTC): issuing stamps the present and no
    API backdates it, so this is done behind the API, in the test only."""
    with ohms.db() as db:
        db.execute(update(Invoice).where(Invoice.id == uuid.UUID(invoice_id))
                   .values(issued_at=datetime.combine(day, time(12), tzinfo=UTC)))


def test_receivables_are_aged_as_of_a_day(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    admin, desk = ohms.add_member(org, "org_admin"), ohms.add_member(org, "helpdesk")
    other_desk = ohms.add_member(ohms.create_org("hospital"), "helpdesk")
    as_of = TODAY - timedelta(days=1)
    people = [ohms.register_patient() for _ in range(7)]
    # (age in days on `as_of`, lines, paid at the desk)
    owed = []
    for age, lines, paid in ((30, [consultation(), haemoglobin()], "100.00"),
                             (31, [consultation()], None),
                             (90, [haemoglobin(quantity=1)], None),
                             (91, [consultation("USD", "100.00", "0.00")], "0.01")):
        invoice = issued_invoice(ohms, desk, people[len(owed)], lines)
        if paid:
            r = ohms.client.post(f"/api/v1/invoices/{invoice['id']}/payments",
                                 headers={**desk.headers, "Idempotency-Key": str(uuid.uuid4())},
                                 json={"method": "card",
                                       "amount": money(paid, invoice["currency"])})
            assert r.status_code == 201, r.text
        _issued_on(ohms, invoice["id"], as_of - timedelta(days=age))
        owed.append(invoice)
    # Not owed: paid in full, credited in full, void, a draft, issued after `as_of`, and
    # another organisation's.
    paid = issued_invoice(ohms, desk, people[4], [consultation()])
    r = ohms.client.post(f"/api/v1/invoices/{paid['id']}/payments",
                         headers={**desk.headers, "Idempotency-Key": str(uuid.uuid4())},
                         json={"method": "cash", "amount": money("590.00")})
    assert r.status_code == 201, r.text
    credited = issued_invoice(ohms, desk, people[5], [consultation()])
    assert ohms.client.post(f"/api/v1/invoices/{credited['id']}/credit-notes",
                            headers=desk.headers,
                            json={"reason": "waived"}).status_code == 201
    void = issued_invoice(ohms, desk, people[6], [consultation()])
    assert ohms.client.post(f"/api/v1/invoices/{void['id']}/void", headers=desk.headers,
                            json={"reason": "error"}).status_code == 200
    for invoice in (paid, credited, void):
        _issued_on(ohms, invoice["id"], as_of - timedelta(days=100))
    charge(ohms, desk, people[6], **consultation())
    issued_invoice(ohms, desk, people[5], [consultation()])  # today, after `as_of`
    issued_invoice(ohms, other_desk, people[0], [consultation()])

    report = get_report(ohms, admin, "receivables", as_of=str(as_of))
    assert report["as_of"] == str(as_of)

    def bucket(name: str, currency: str, count: int, balance: str) -> dict[str, Any]:
        return {"bucket": name, "currency": currency, "count": count,
                "balance": money(balance, currency)}

    assert report["buckets"] == [
        bucket("0-30", "INR", 1, "1015.00"), bucket("31-60", "INR", 1, "590.00"),
        bucket("61-90", "INR", 1, "262.50"), bucket("over 90", "INR", 0, "0.00"),
        bucket("0-30", "USD", 0, "0.00"), bucket("31-60", "USD", 0, "0.00"),
        bucket("61-90", "USD", 0, "0.00"), bucket("over 90", "USD", 1, "99.99")]
    oldest = [(i["number"], i["age_days"], i["balance"]) for i in report["oldest"]]
    assert oldest == [(owed[3]["number"], 91, money("99.99", "USD")),
                      (owed[2]["number"], 90, money("262.50")),
                      (owed[1]["number"], 31, money("590.00")),
                      (owed[0]["number"], 30, money("1015.00"))]
    assert [i["issued_at"][:10] for i in report["oldest"]] == [
        str(as_of - timedelta(days=age)) for age in (91, 90, 31, 30)]

    # Today, every invoice is a day older, and the one issued today is owed too.
    today = get_report(ohms, admin, "receivables")
    assert today["as_of"] == str(TODAY)
    assert [(b["bucket"], b["currency"], b["count"], b["balance"]["amount"])
            for b in today["buckets"]] == [
        ("0-30", "INR", 1, "590.00"), ("31-60", "INR", 2, "1605.00"),
        ("61-90", "INR", 0, "0.00"), ("over 90", "INR", 1, "262.50"),
        ("0-30", "USD", 0, "0.00"), ("31-60", "USD", 0, "0.00"),
        ("61-90", "USD", 0, "0.00"), ("over 90", "USD", 1, "99.99")]

    # The CSV: the buckets, then the oldest invoices.
    text, disposition = get_csv(ohms, admin, "receivables", as_of=str(as_of))
    assert disposition == f'attachment; filename="receivables-as-of-{as_of}.csv"'
    buckets, invoices = csv_blocks(text)
    assert buckets == [["bucket", "currency", "count", "balance"]] + [
        [b["bucket"], b["currency"], str(b["count"]), b["balance"]["amount"]]
        for b in report["buckets"]]
    assert invoices == [["number", "patient", "issued_on", "age_days", "currency",
                         "balance"]] + [
        [i["number"], i["patient"], i["issued_at"][:10], str(i["age_days"]),
         i["balance"]["currency"], i["balance"]["amount"]] for i in report["oldest"]]


def test_the_oldest_invoices_name_their_patients(ohms: Ohms) -> None:
    # In the tenant session: the invoice keeps its patient's UHID (their account is out of
    # a tenant session's reach under PostgreSQL's row-level security).
    org = ohms.create_org("hospital")
    admin, desk = ohms.add_member(org, "org_admin"), ohms.add_member(org, "helpdesk")
    patients = [ohms.register_patient() for _ in range(2)]
    for age, patient in zip((5, 50), patients, strict=True):
        invoice = issued_invoice(ohms, desk, patient, [consultation()])
        _issued_on(ohms, invoice["id"], TODAY - timedelta(days=age))
    report = get_report(ohms, admin, "receivables")
    assert [i["patient"] for i in report["oldest"]] == [patients[1].uhid, patients[0].uhid]


# --- claims ----------------------------------------------------------------------------------


def test_claims_by_status_and_payer(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    admin, desk = ohms.add_member(org, "org_admin"), ohms.add_member(org, "helpdesk")
    star_name = f"Star Health {uuid.uuid4().hex[:4]}"
    evil_name = f"=cmd|' /C calc'!A0 {uuid.uuid4().hex[:4]}"
    star_org = ohms.create_org("insurer", name=star_name)
    evil_org = ohms.create_org("insurer", name=evil_name)
    star, evil = ohms.add_member(star_org, "insurer"), ohms.add_member(evil_org, "insurer")
    names = {star_org: star_name, evil_org: evil_name}

    def claim(insurer_org: str, by: User = desk) -> str:
        patient = ohms.register_patient()
        r = ohms.client.post(f"/api/v1/patients/{patient.uhid}/coverages",
                             headers=patient.headers, json={
                                 "insurer": insurer_org, "member_id": "M-1", "plan": "Gold",
                                 "valid_from": str(TODAY - timedelta(days=365)),
                                 "valid_to": str(TODAY + timedelta(days=365)),
                                 "copay": money("0.00"), "coinsurance": "0"})
        assert r.status_code == 201, r.text
        invoice = issued_invoice(ohms, by, patient, [consultation()])
        r = ohms.client.post("/api/v1/claims", headers=by.headers,
                             json={"invoice": invoice["id"], "coverage": r.json()["id"]})
        assert r.status_code == 201, r.text
        claim_id: str = r.json()["id"]
        return claim_id

    def adjudicate(insurer: User, claim_id: str, **body: Any) -> None:
        r = ohms.client.post(f"/api/v1/claims/{claim_id}/adjudication",
                             headers=insurer.headers, json=body)
        assert r.status_code == 200, r.text

    adjudicate(star, claim(star_org), outcome="approved", approved_amount=money("590.00"))
    adjudicate(star, claim(star_org), outcome="approved", approved_amount=money("590.00"))
    adjudicate(star, claim(star_org), outcome="partial", approved_amount=money("300.00"),
               reason="room rent capped")
    adjudicate(evil, claim(evil_org), outcome="denied", reason="not covered")
    claim(evil_org)
    # Another organisation's claim with the same insurer never shows.
    claim(star_org, by=ohms.add_member(ohms.create_org("hospital"), "helpdesk"))

    def claims_row(status: str, insurer: str, count: int, claimed: str,
                   approved: str) -> dict[str, Any]:
        return {"status": status, "insurer": insurer, "insurer_name": names[insurer],
                "currency": "INR", "count": count, "claimed": money(claimed),
                "approved": money(approved)}

    report = get_report(ohms, admin, "claims", **PERIOD)
    expected = [claims_row("approved", star_org, 2, "1180.00", "1180.00"),
                claims_row("denied", evil_org, 1, "590.00", "0.00"),
                claims_row("partial", star_org, 1, "590.00", "300.00"),
                claims_row("submitted", evil_org, 1, "590.00", "0.00")]
    assert report["rows"] == expected
    assert get_report(ohms, admin, "claims", **{"from": str(TODAY + timedelta(days=1)),
                                                 "to": str(TODAY + timedelta(days=2))}
                      )["rows"] == []

    text, disposition = get_csv(ohms, admin, "claims", **PERIOD)
    assert disposition == f'attachment; filename="claims-{PERIOD["from"]}-to-{PERIOD["to"]}.csv"'
    [block] = csv_blocks(text)
    assert block == [["status", "insurer_name", "insurer", "currency", "count", "claimed",
                      "approved"]] + [
        [r["status"], text_cell(r["insurer_name"]), r["insurer"], r["currency"],
         str(r["count"]), r["claimed"]["amount"], r["approved"]["amount"]]
        for r in expected]
    assert "'" + evil_name in text
    # The insurers themselves have no report: 403.
    for insurer in (star, evil):
        r = ohms.client.get("/api/v1/reports/claims", headers=insurer.headers)
        assert r.status_code == 403

