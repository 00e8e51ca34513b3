"""Steps the browser tests share: signing in as a person does, opening a screen from the
navigation, and the API calls that set a scene up (a token, a patient checked in tomorrow)
when the screens for them are tested elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Demo


def sign_in(page: Page, demo: Demo, email: str, password: str | None = None, *,
            wait: bool = True) -> None:
    """Sign in on the portal's sign-in form; `wait` for the signed-in header (off for tests of
    a refused sign-in)."""
    page.goto(demo.base_url + "/", wait_until="networkidle")
    form = page.get_by_test_id("signin-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password or demo.password)
    page.get_by_role("button", name="Sign in").click()
    if wait:
        expect(page.get_by_test_id("me-name")).to_be_visible()


def open_screen(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def token_of(client: httpx.Client, demo: Demo, email: str) -> dict[str, str]:
    """The Authorization header of `email` signed in through the API."""
    r = client.post("/api/v1/auth/token", data={"username": email, "password": demo.password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def check_in_tomorrow(demo: Demo, *, patient: str, helpdesk: str,
                      practitioner: str = "Farah") -> str:
    """The front desk books `patient` with the practitioner found by `practitioner` tomorrow,
    confirms and checks them in, so an encounter is open (the booking screens are tested
    elsewhere). Returns the appointment's id."""
    with httpx.Client(base_url=demo.base_url) as client:
        desk = token_of(client, demo, helpdesk)
        found = client.get("/api/v1/directory/practitioners", headers=desk,
                           params={"q": practitioner})
        assert found.status_code == 200, found.text
        physician = found.json()[0]["id"]
        day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0)
        slots = client.get("/api/v1/slots", headers=desk, params={
            "practitioner": physician, "start": day.isoformat(),
            "end": (day + timedelta(days=1)).isoformat()})
        assert slots.status_code == 200 and slots.json(), slots.text
        booked = client.post("/api/v1/appointments", headers=desk, json={
            "practitioner": physician, "start": slots.json()[0]["start"],
            "patient": demo.logins[patient].uhid})
        assert booked.status_code == 201, booked.text
        appointment: str = booked.json()["id"]
        confirmed = client.post(f"/api/v1/appointments/{appointment}/confirm", headers=desk)
        assert confirmed.status_code == 200, confirmed.text
        arrived = client.post(f"/api/v1/appointments/{appointment}/check-in", headers=desk)
        assert arrived.status_code == 200, arrived.text
        return appointment
