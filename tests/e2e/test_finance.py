"""The finance screens in a real browser against the served demo: the hospital administrator's
price list (a price, a later version, a refused duplicate day) and reports (totals matching
the API's JSON to the cent, the CSV downloaded), and the insurer's claim queue (the demo
claim approved in part with amounts per item; a denial refused without its reason)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.journeys import open_screen, sign_in, token_of

ADMIN = "orgadmin@hospital.demo"
INSURER = "insurer@insurer.demo"
DESK = "helpdesk@hospital.demo"
PATIENT = "patient@ohms.demo"
CENT = Decimal("0.01")
CONSULTATION = "Consultation \u2013 Internal medicine"


def _amount(text: str) -> Decimal:
    """The number a money cell shows ("₹1,744.00" -> 1744.00)."""
    digits = re.sub(r"[^\d.\-]", "", text)
    return Decimal(digits).quantize(CENT)


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _uhid_display(uhid: str) -> str:
    return f"{uhid[:2]}-{uhid[2:6]}-{uhid[6:10]}-{uhid[10:]}"


def _field_error(field: Locator) -> Locator:
    """The error shown beside a field (what its aria-describedby points to)."""
    return field.locator("xpath=ancestor::div[contains(@class,'field')][1]").get_by_role("alert")


def test_price_list_adds_a_later_version_and_refuses_a_duplicate_day(page: Page,
                                                                     demo: Demo) -> None:
    sign_in(page, demo, ADMIN)
    open_screen(page, "Price list")
    prices = page.get_by_role("region", name="Prices in force today")
    expect(prices.get_by_role("heading", name="Hemoglobin A1c")).to_be_visible()
    prices.get_by_label("Search by code, service or department").fill("Laboratory")
    expect(prices.get_by_role("heading", name="Lipid panel")).to_be_visible()
    expect(prices.get_by_role("heading", name=CONSULTATION)).to_have_count(0)
    check_accessibility(page)

    today = datetime.now().date()  # the browser's day: same machine
    later = today + timedelta(days=30)
    form = page.get_by_role("form", name="Add a price")
    form.get_by_label("Code system").select_option(label="LOINC")
    form.get_by_label("Code", exact=True).fill("1558-6")
    form.get_by_label("Service name").fill("Fasting glucose")
    form.get_by_label("Price", exact=True).fill("150")
    form.get_by_label("Tax rate (%)").fill("18")
    form.get_by_label("Valid from").fill(today.isoformat())
    form.get_by_label("Department").fill("Laboratory")
    form.get_by_role("button", name="Add the price").click()
    expect(form.get_by_role("status")).to_contain_text("Price of 1558-6 added")
    versions = page.get_by_role("region", name=re.compile(r"^Versions of 1558-6"))
    expect(versions.get_by_role("row")).to_have_count(2)  # the header and one version

    form.get_by_label("Price", exact=True).fill("175.50")
    form.get_by_label("Valid from").fill(later.isoformat())
    form.get_by_role("button", name="Add the price").click()
    expect(versions.get_by_role("row")).to_have_count(3)
    rows = versions.get_by_role("row")
    # Newest first: the later version (upcoming), then today's (in force).
    expect(rows.nth(1)).to_contain_text("Upcoming")
    expect(rows.nth(1)).to_contain_text("175.50")
    expect(rows.nth(2)).to_contain_text("In force")
    expect(rows.nth(2)).to_contain_text("150.00")
    expect(rows.nth(2)).to_contain_text("18 %")
    screenshots(page, "finance-prices")

    # The same day again: refused, next to the date.
    console(page).expect_failed_response(409)
    form.get_by_role("button", name="Add the price").click()
    valid_from = form.get_by_label("Valid from")
    expect(_field_error(valid_from)).to_contain_text("already has a price")
    expect(valid_from).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)

    with httpx.Client(base_url=demo.base_url) as client:
        listed = client.get("/api/v1/price-items", headers=token_of(client, demo, ADMIN),
                            params={"code": "1558-6"})
        assert listed.status_code == 200, listed.text
        assert [(v["valid_from"], v["price"]["amount"], v["tax_rate"]) for v in listed.json()] \
            == [(later.isoformat(), "175.50", "0.18"), (today.isoformat(), "150.00", "0.18")]


def _submitted_claims(client: httpx.Client, demo: Demo) -> list[dict[str, Any]]:
    found = client.get("/api/v1/claims", headers=token_of(client, demo, INSURER),
                       params={"status": "submitted"})
    assert found.status_code == 200, found.text
    claims: list[dict[str, Any]] = found.json()
    return claims


def test_insurer_approves_part_of_the_demo_claim_per_item(page: Page, demo: Demo) -> None:
    uhid = demo.logins[PATIENT].uhid
    with httpx.Client(base_url=demo.base_url) as client:
        (claim,) = _submitted_claims(client, demo)
    total = _cents(claim["total"]["amount"])
    items = claim["items"]
    # The items in the invoice's order (charged together, so in no order of meaning).
    assert sorted(i["description"] for i in items) == [
        "Complete blood count", CONSULTATION, "Hemoglobin A1c"]

    sign_in(page, demo, INSURER)
    open_screen(page, "Claims")
    queue = page.get_by_role("region", name="Claims addressed to you")
    expect(queue.get_by_role("heading", name=f"Patient {_uhid_display(uhid)}")).to_be_visible()
    expect(queue).to_contain_text("City General Hospital")
    check_accessibility(page)
    queue.get_by_role("button", name=f"Open the claim of {_uhid_display(uhid)}").click()

    detail = page.get_by_role("region", name=f"Claim of patient {_uhid_display(uhid)}")
    expect(detail.get_by_role("row", name=re.compile("Hemoglobin A1c"))).to_contain_text("531.00")
    expect(detail).to_contain_text("SLI-2026-004512")
    expect(detail).to_contain_text("Family Health Silver")
    expect(detail).to_contain_text("20 %")
    for item in items:
        if item["record_id"]:
            expect(detail).to_contain_text(item["record_id"])
    # The coverage's share, computed as the API does: (1744.00 - 100.00) x 0.8.
    expect(detail.get_by_label("Approved amount (INR)")).to_have_value("1315.20")

    with page.expect_download() as fhir_download:
        detail.get_by_role("button", name="Download the FHIR Claim (JSON)").click()
    fhir = json.loads(Path(fhir_download.value.path()).read_text(encoding="utf-8"))
    assert fhir["resourceType"] == "Claim"
    assert fhir["patient"]["identifier"]["value"] == uhid
    assert _cents(fhir["total"]["value"]) == total

    detail.get_by_role("radio", name="Approve in part").check()
    amounts = {CONSULTATION: "800", "Hemoglobin A1c": "300.50",
               "Complete blood count": "0"}
    for service, amount in amounts.items():
        detail.get_by_label(f"Approved for {service}").fill(amount)
    expect(detail).to_contain_text("Approved in total: ₹1,100.50 of ₹1,744.00")
    check_accessibility(page)
    screenshots(page, "finance-claim")
    detail.get_by_role("button", name="Record the decision").click()

    expect(detail.get_by_role("status")).to_contain_text("Decision recorded: Partly approved")
    response_button = detail.get_by_role("button", name="Download the FHIR ClaimResponse (JSON)")
    expect(response_button).to_be_visible()
    expect(queue).to_contain_text("No claim is waiting for a decision.")
    with page.expect_download() as response_download:
        response_button.click()
    response = json.loads(Path(response_download.value.path()).read_text(encoding="utf-8"))
    assert response["resourceType"] == "ClaimResponse"

    with httpx.Client(base_url=demo.base_url) as client:
        decided = client.get(f"/api/v1/claims/{claim['id']}",
                             headers=token_of(client, demo, INSURER)).json()
        assert decided["status"] == "partial"
        assert _cents(decided["approved_amount"]["amount"]) == Decimal("1100.50")
        assert {i["description"]: _cents(i["approved_amount"]["amount"])
                for i in decided["items"]} == {s: _cents(a) for s, a in amounts.items()}
        invoice = client.get(f"/api/v1/invoices/{claim['invoice']}",
                             headers=token_of(client, demo, DESK)).json()
        assert _cents(invoice["balance"]["amount"]) == total - Decimal("1100.50")


def _claim_a_manual_charge(demo: Demo) -> str:
    """The desk charges the demo patient, issues the invoice and claims it from her insurer
    (the desk's screens are tested elsewhere). Returns the claim's id."""
    uhid = demo.logins[PATIENT].uhid
    with httpx.Client(base_url=demo.base_url) as client:
        desk = token_of(client, demo, DESK)
        charged = client.post("/api/v1/charges", headers=desk, json={
            "patient": uhid, "description": "Dressing of a wound", "quantity": 1,
            "unit_price": {"amount": "250.00", "currency": "INR"}, "tax_rate": "0.18",
            "reason": "Done at the desk"})
        assert charged.status_code == 201, charged.text
        invoice = charged.json()["invoice"]["id"]
        issued = client.post(f"/api/v1/invoices/{invoice}/issue", headers=desk)
        assert issued.status_code == 200, issued.text
        coverages = client.get(f"/api/v1/patients/{uhid}/coverages", headers=desk)
        assert coverages.status_code == 200, coverages.text
        claimed = client.post("/api/v1/claims", headers=desk, json={
            "invoice": invoice, "coverage": coverages.json()[0]["id"]})
        assert claimed.status_code == 201, claimed.text
        claim_id: str = claimed.json()["id"]
        return claim_id


def test_a_denial_needs_its_reason(page: Page, demo: Demo) -> None:
    claim_id = _claim_a_manual_charge(demo)
    uhid = _uhid_display(demo.logins[PATIENT].uhid)
    sign_in(page, demo, INSURER)
    open_screen(page, "Claims")
    queue = page.get_by_role("region", name="Claims addressed to you")
    queue.get_by_role("button", name=f"Open the claim of {uhid}").first.click()
    detail = page.get_by_role("region", name=f"Claim of patient {uhid}")
    expect(detail).to_contain_text("Dressing of a wound")
    detail.get_by_role("radio", name="Deny").check()
    detail.get_by_role("button", name="Record the decision").click()
    reason = detail.get_by_label("Reason for the denial")
    expect(_field_error(reason)).to_have_text("A denial states its reason.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)

    reason.fill("Wound care is not covered by this plan")
    detail.get_by_role("button", name="Record the decision").click()
    expect(detail.get_by_role("status")).to_contain_text("Decision recorded: Denied")
    with httpx.Client(base_url=demo.base_url) as client:
        denied = client.get(f"/api/v1/claims/{claim_id}",
                            headers=token_of(client, demo, INSURER)).json()
        assert denied["status"] == "denied"
        assert denied["reason"] == "Wound care is not covered by this plan"


def _report(client: httpx.Client, headers: dict[str, str], path: str,
            **params: str) -> dict[str, Any]:
    found = client.get(path, headers=headers, params=params)
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def _download_csv(page: Page, section: Locator) -> list[list[str]]:
    with page.expect_download() as download:
        section.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_reports_show_the_apis_totals_and_download_csv(page: Page, demo: Demo) -> None:
    today = datetime.now(UTC).date()
    period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    with httpx.Client(base_url=demo.base_url) as client:
        admin = token_of(client, demo, ADMIN)
        by_service = _report(client, admin, "/api/v1/reports/revenue", by="service", **period)
        by_department = _report(client, admin, "/api/v1/reports/revenue", by="department",
                                **period)
        receivables = _report(client, admin, "/api/v1/reports/receivables",
                              as_of=today.isoformat())
        claims = _report(client, admin, "/api/v1/reports/claims", **period)
    assert by_service["rows"], "the demo's invoices make revenue this month"

    sign_in(page, demo, ADMIN)
    open_screen(page, "Reports")

    for by, report in (("service", by_service), ("department", by_department)):
        section = page.get_by_role("region", name=f"Revenue by {by}")
        (total,) = report["totals"]
        row = section.get_by_test_id(f"revenue-{by}-total-INR")
        expect(row).to_be_visible()
        cells = row.get_by_role("cell").all_inner_texts()
        assert [_amount(c) for c in cells[1:]] == [
            _cents(total["net"]["amount"]), _cents(total["tax"]["amount"]),
            _cents(total["total"]["amount"])]
        body_rows = section.locator("table tbody tr")
        expect(body_rows).to_have_count(len(report["rows"]))
        expect(section.get_by_role("img")).to_have_count(len(report["rows"]))
        rows = _download_csv(page, section)
        assert rows[0] == ["key", "label", "currency", "count", "net", "tax", "total"]
        assert [r[1] for r in rows[1:-1]] == [r["label"] for r in report["rows"]]
        assert rows[-1][1] == "Total"
        assert _cents(rows[-1][6]) == _cents(total["total"]["amount"])

    owed = page.get_by_role("region", name="Receivables by age")
    owed_total = sum((_cents(b["balance"]["amount"]) for b in receivables["buckets"]),
                     Decimal(0))
    assert owed_total > 0
    cells = owed.get_by_test_id("receivables-total-INR").get_by_role("cell").all_inner_texts()
    assert _amount(cells[-1]) == owed_total
    rows = _download_csv(page, owed)
    assert rows[0] == ["bucket", "currency", "count", "balance"]
    buckets = rows[1:rows.index([])] if [] in rows else rows[1:]
    assert sum((_cents(r[3]) for r in buckets), Decimal(0)) == owed_total

    claimed = page.get_by_role("region", name="Claims by status and payer")
    claimed_total = sum((_cents(r["claimed"]["amount"]) for r in claims["rows"]), Decimal(0))
    approved_total = sum((_cents(r["approved"]["amount"]) for r in claims["rows"]), Decimal(0))
    cells = claimed.get_by_test_id("claims-total-INR").get_by_role("cell").all_inner_texts()
    assert [_amount(c) for c in cells[-2:]] == [claimed_total, approved_total]
    rows = _download_csv(page, claimed)
    assert rows[0] == ["status", "insurer_name", "insurer", "currency", "count", "claimed",
                       "approved"]
    assert sum((_cents(r[5]) for r in rows[1:]), Decimal(0)) == claimed_total

    check_accessibility(page)
    screenshots(page, "finance-reports")

    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("रिपोर्ट")
    expect(page.get_by_role("region", name="सेवा के अनुसार आय", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("CSV डाउनलोड करें"))).to_have_count(4)
    check_accessibility(page)
    screenshots(page, "finance-reports-hindi")
