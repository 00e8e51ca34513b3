"""Every list endpoint answers one page at a time, never more than MAX_PAGE_SIZE items."""

from __future__ import annotations

from typing import Any

from api.paging import MAX_PAGE_SIZE
from tests.api.conftest import Ohms
from tests.api.consent.conftest import grant, patient_with_wallet, run_workers

# Lists of a fixed, small vocabulary rather than of stored data.
BOUNDED_BY_NATURE = {
    "/api/v1/permissions",                              # the permission catalogue
    "/api/v1/organizations/{organization_id}/roles",    # the roles of one organisation
}


def _is_list(operation: dict[str, Any]) -> bool:
    schema = (operation.get("responses", {}).get("200", {}).get("content", {})
              .get("application/json", {}).get("schema", {}))
    return schema.get("type") == "array"


def test_every_list_endpoint_takes_a_bounded_limit(ohms: Ohms) -> None:
    spec = ohms.client.get("/openapi.json").json()
    lists = [(path, op) for path, item in spec["paths"].items()
             for method, op in item.items() if method == "get" and _is_list(op)
             and path not in BOUNDED_BY_NATURE]
    assert len(lists) >= 6, [p for p, _ in lists]
    unpaged = []
    for path, op in lists:
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        limit = params.get("limit", {}).get("schema", {})
        if "offset" not in params or not 0 < limit.get("maximum", 10**9) <= MAX_PAGE_SIZE:
            unpaged.append(path)
    assert not unpaged, f"list endpoints without a bounded page: {unpaged}"


def test_consents_and_notifications_page(ohms: Ohms) -> None:
    patient = patient_with_wallet(ohms)
    orgs = [ohms.create_org("lab") for _ in range(3)]
    for org in orgs:
        grant(ohms, patient, org)
        run_workers(ohms)  # the next grant's nonce follows this one's on chain
    headers = patient.user.headers
    everything = ohms.client.get("/api/v1/consents", headers=headers).json()
    assert len(everything) == 3
    first = ohms.client.get("/api/v1/consents", headers=headers,
                            params={"limit": 2}).json()
    rest = ohms.client.get("/api/v1/consents", headers=headers,
                           params={"limit": 2, "offset": 2}).json()
    assert [c["id"] for c in first + rest] == [c["id"] for c in everything]
    for url in ("/api/v1/consents", "/api/v1/me/notifications", "/api/v1/audit/entries"):
        too_many = ohms.client.get(url, headers=headers,
                                   params={"limit": MAX_PAGE_SIZE + 1})
        assert too_many.status_code == 422, (url, too_many.text)
        assert too_many.headers["content-type"] == "application/problem+json"
