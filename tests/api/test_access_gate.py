"""Issue 11: one access gate. Only api.access.gate writes access-log entries, no context
reaches into another's private helpers, and every route that touches clinical data goes
through the gate: called by someone with no basis, each leaves an entry."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access.gate import AccessGate, Accessor, Subject
from api.audit.models import AccessLogEntry
from api.deps import Principal, RequirePermission, require
from api.errors import Forbidden
from api.identity.models import User as DbUser
from api.main import ROUTERS
from api.roles.catalog import Role
from pacs_bridge.synthetic import ct_study
from tests.api.conftest import Ohms, User
from tests.api.imaging.conftest import upload
from tests.api.records.conftest import (
    institution,
    keyed_patient,
    note,
    treatment_grant,
    write,
)

API = Path(__file__).resolve().parents[2] / "api"
GATE = API / "access" / "gate.py"

# --- (a) statically: the gate alone writes entries; no context uses another's privates ---


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(API.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _log_writes(tree: ast.Module) -> list[tuple[int, str]]:
    """Calls that make or insert access-log entries, or use the unlogged decision."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name in ("AccessLogEntry", "record_access"):
            found.append((node.lineno, f"{name}(...)"))
        elif name == "insert" and any(isinstance(a, ast.Name) and a.id == "AccessLogEntry"
                                      for a in node.args):
            found.append((node.lineno, "insert(AccessLogEntry)"))
        elif name == "decide" and isinstance(node.func, ast.Attribute):
            # The gate's decision without its entry: for benchmarks, never for contexts.
            found.append((node.lineno, ".decide(...)"))
    return found


def test_only_the_gate_writes_access_log_entries() -> None:
    offenders = [f"{path.relative_to(API.parent)}:{line}: {what}"
                 for path, tree in _modules() if path != GATE
                 for line, what in _log_writes(tree)]
    assert not offenders, "access-log entries are written by api.access.gate alone: " + \
        ", ".join(offenders)
    # The check sees what it looks for: the gate itself makes entries.
    assert any(what == "AccessLogEntry(...)"
               for what in (w for _, w in _log_writes(ast.parse(GATE.read_text()))))


def _context(module: str) -> str:
    """`api.records.service` -> `records`; a top-level module is its own context."""
    return module.split(".")[1] if module.count(".") >= 1 else module


def test_no_context_imports_another_contexts_private_helpers() -> None:
    offenders = []
    for path, tree in _modules():
        own = _context(".".join(path.relative_to(API.parent).with_suffix("").parts))
        # Nor is a private helper handed out under a public name (`log_access = _log`).
        offenders += [f"{path.name}:{node.lineno}: {node.value.id} re-exported"
                      for node in tree.body
                      if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                      and node.value.id.startswith("_")
                      and any(isinstance(t, ast.Name) and not t.id.startswith("_")
                              for t in node.targets)]
        foreign_aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("api."):
                if _context(node.module or "") == own:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_"):
                        offenders.append(f"{path.name}:{node.lineno}: {node.module}.{alias.name}")
                    foreign_aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("api.") and _context(alias.name) != own \
                            and alias.asname:
                        foreign_aliases.add(alias.asname)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in foreign_aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                offenders.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offenders, "private helpers of another context: " + ", ".join(offenders)


# --- (b) every clinical route goes through the gate ------------------------------------

# A route touches clinical data if it needs one of these permissions or its path is about
# a patient's records, studies or the patient themself; a new route of this kind fails this
# test until it is called below (or exempted here, with the reason).
CLINICAL_PERMISSIONS = frozenset({"record:read", "record:write", "access:check",
                                  "breakglass:use", "order:place", "order:perform",
                                  "prescription:write", "dispense:write"})
CLINICAL_PATH_PARTS = ("/patients/{uhid}", "/records", "/imaging/")
EXEMPT = {
    ("get", "/api/v1/patients/{uhid}/coverages"):
        "a patient's insurance coverages (insurer, member id, plan, validity, co-pay): billing "
        "data, no clinical record; confined by the insurance service (tests/api/insurance)",
    ("post", "/api/v1/patients/{uhid}/coverages"):
        "records a patient's coverage (the patient or a desk); no clinical record is read or "
        "written",
    ("get", "/api/v1/patients/{uhid}"):
        "demographics (UHID, name) that staff look a patient up by; no clinical record",
    ("get", "/api/v1/imaging/uploads"):
        "the caller's institution's own uploads in progress (phase, counts, outcome), read "
        "under row-level security; no clinical content",
    ("get", "/api/v1/imaging/uploads/{upload_id}"):
        "one of the caller's institution's own uploads (as above)",
    ("post", "/api/v1/orders/{order_id}/specimen"):
        "a specimen's step (collected, received...) on the operational order row, under "
        "row-level security; no clinical content is read or written",
    ("post", "/api/v1/orders/{order_id}/results"):
        "only the order's performer reaches the gate (anyone else: 404 for the order, no "
        "record touched); its write under basis `order` is logged, granted or denied "
        "(tests/api/orders)",
    ("post", "/api/v1/prescriptions/{prescription_id}/dispenses"):
        "only the prescription's pharmacy reaches the gate (anyone else: 404, no record "
        "touched); its write under basis `prescription` is logged (tests/api/prescriptions)",
}


def _permission(route: APIRoute) -> str | None:
    required = [d.call.permission for d in route.dependant.dependencies
                if isinstance(d.call, RequirePermission)]
    return required[0] if required else None


def clinical_routes() -> set[tuple[str, str]]:
    found = set()
    for router, prefix in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            path = prefix + route.path
            if _permission(route) in CLINICAL_PERMISSIONS or any(
                    part in path for part in CLINICAL_PATH_PARTS):
                found |= {(method.lower(), path) for method in route.methods or ()}
    return found


REPORT = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CT"}}


def _custodial_physician(ohms: Ohms) -> User:
    """A physician of a hospital on the keystore tier (so that the keystore routes, which
    refuse others before any access, reach the gate)."""
    org = ohms.create_org("hospital")
    admin = ohms.add_member(org, "org_admin")
    r = ohms.client.post(f"/api/v1/organizations/{org}/keys/custodial", headers=admin.headers)
    assert r.status_code == 201, r.text
    return ohms.add_member(org, "physician", by=admin)


def test_every_clinical_route_goes_through_the_gate(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    centre = institution(ohms, "radiology", "radiologist")
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    uploaded = upload(ohms, centre.staff["radiologist"], uhid,
                      [("0.dcm", ct_study(uhid, 1, series=1)[0])])
    assert uploaded.status_code == 201, uploaded.text
    ids = {"uhid": uhid, "study_id": uploaded.json()["id"], "sop_instance_uid": "1.2.3",
           "record_id": write(ohms, patient.user, uhid, note(uhid, "own note"))["id"]}
    # Callers with no basis: an unrelated hospital's physician, a radiologist elsewhere;
    # and an emergency physician who breaks the glass.
    physician = _custodial_physician(ohms)
    radiologist = institution(ohms, "radiology", "radiologist").staff["radiologist"]
    emergency = institution(ohms, "hospital", "physician").staff["physician"]
    dicom = [("files", ("0.dcm", ct_study(uhid, 1, series=1)[0], "application/dicom"))]
    lab_org, pharmacy_org = ohms.create_org("lab"), ohms.create_org("pharmacy")
    c = ohms.client

    def as_(who: User, method: str, **kwargs: Any) -> Callable[[str], httpx.Response]:
        return lambda url: c.request(method, url, headers=who.headers, **kwargs)

    calls: dict[tuple[str, str], tuple[User, Callable[[str], httpx.Response]]] = {
        (method, f"/api/v1{path}"): (who, how) for method, path, who, how in [
            ("post", "/patients/{uhid}/records", physician,
             as_(physician, "POST", json=note(uhid, "unasked"))),
            ("get", "/patients/{uhid}/records", physician, as_(physician, "GET")),
            ("put", "/records/{record_id}", physician,
             as_(physician, "PUT", json=note(uhid, "unasked"))),
            ("get", "/records/{record_id}", physician, as_(physician, "GET")),
            ("get", "/records/{record_id}/resource", physician, as_(physician, "GET")),
            ("post", "/patients/{uhid}/imaging/studies", radiologist,
             as_(radiologist, "POST", files=dicom)),
            ("get", "/patients/{uhid}/imaging/studies", physician, as_(physician, "GET")),
            ("get", "/imaging/studies/{study_id}", physician, as_(physician, "GET")),
            ("post", "/imaging/studies/{study_id}/pull", physician, as_(physician, "POST")),
            ("get", "/imaging/studies/{study_id}/archive", physician, as_(physician, "GET")),
            ("get", "/imaging/studies/{study_id}/archive/content", physician,
             as_(physician, "GET")),
            ("get", "/imaging/studies/{study_id}/instances/{sop_instance_uid}/preview.png",
             physician, as_(physician, "GET")),
            ("get", "/imaging/studies/{study_id}/deidentified.zip", physician,
             as_(physician, "GET")),
            ("post", "/imaging/studies/{study_id}/reports", radiologist,
             as_(radiologist, "POST", json=REPORT)),
            ("post", "/orders", physician,
             as_(physician, "POST", json={
                 "patient": uhid, "category": "lab", "performer": lab_org,
                 "code": {"system": "http://loinc.org", "code": "4548-4",
                          "display": "Hemoglobin A1c"},
                 "priority": "routine", "reason": "unasked"})),
            ("post", "/prescriptions", physician,
             as_(physician, "POST", json={
                 "patient": uhid, "pharmacy": pharmacy_org,
                 "medication": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                "code": "861007", "display": "metformin 500 MG Oral Tablet"},
                 "dosage": "1 tablet twice a day", "quantity": 60, "refills": 0})),
            ("post", "/access/check", physician,
             as_(physician, "POST", json={"patient": uhid, "scope": "category:lab",
                                          "purpose": "treatment"})),
            # Last: it gives its caller a basis (break-glass) from now on.
            ("post", "/break-glass", emergency,
             as_(emergency, "POST", json={"patient": uhid, "reason": "unconscious in ER bay 3"})),
        ]}

    found = clinical_routes()
    assert set(EXEMPT) <= found, "an exemption names no route any more"
    assert found - set(EXEMPT) == set(calls), (
        "each route that touches clinical data is called here (or exempted, with a reason): "
        f"not called {sorted(found - set(EXEMPT) - set(calls))}, "
        f"no such route {sorted(set(calls) - found)}")

    def entries() -> list[AccessLogEntry]:
        with ohms.db() as s:
            return list(s.scalars(select(AccessLogEntry).where(
                AccessLogEntry.patient_uhid == uhid)))

    seen = {e.id for e in entries()}
    outcomes = {}
    for (method, path), (who, call) in calls.items():
        r = call(path.format(**ids))
        assert r.status_code < 500, (method, path, r.text)
        new = [e for e in entries() if e.id not in seen]
        # A prescription first reads the allergies the prescriber may read (the allergy
        # check, its own decision), then asks to write.
        expected = 2 if path == "/api/v1/prescriptions" else 1
        assert len(new) == expected, \
            f"{method.upper()} {path} left {len(new)} access-log entries"
        assert {e.accessor_uhid for e in new} == {who.uhid}
        new.sort(key=lambda e: (e.at, str(e.id)))
        seen.update(e.id for e in new)
        outcomes[(method, path)] = (r.status_code, new[-1].action, new[-1].outcome)
    assert {o for _, _, o in outcomes.values()} == {"denied", "granted"}
    assert outcomes[("post", "/api/v1/break-glass")] == (201, "break-glass", "granted")
    assert all(o == "denied" for k, (_, _, o) in outcomes.items()
               if k != ("post", "/api/v1/break-glass")), outcomes


def test_the_route_rule_sees_routes_of_a_new_context() -> None:
    """The rule is about paths and permissions, not today's routers: a new clinical route
    (an order's results, a patient's encounters) is caught."""
    router = APIRouter()

    @router.post("/orders/{order_id}/results")
    def results(order_id: uuid.UUID,
                _: Annotated[Principal, Depends(require("record:write"))]) -> None:
        return None

    @router.get("/patients/{uhid}/encounters")
    def encounters(uhid: str, _: Annotated[Principal, Depends(require("patient:read"))]) -> None:
        return None

    ROUTERS.append((router, "/api/v1"))
    try:
        found = clinical_routes()
    finally:
        ROUTERS.pop()
    assert {("post", "/api/v1/orders/{order_id}/results"),
            ("get", "/api/v1/patients/{uhid}/encounters")} <= found


@dataclass(frozen=True)
class OpenEncounter:
    """A treating relationship as a workflow would register one (encounters come later)."""

    organization_id: uuid.UUID
    basis: str = "encounter"

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool:
        return author.organization_id == self.organization_id and \
            "encounter:1" in subject.references


def test_a_registered_treating_relationship_lets_a_write_in_and_is_logged(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    clinic = ohms.create_org("clinic")
    nurse = ohms.add_member(clinic, "nurse")
    principal = Principal(user_id=uuid.UUID(nurse.id), uhid=nurse.uhid, email=nurse.email,
                          organization_id=uuid.UUID(clinic), roles=frozenset({Role.nurse}),
                          permissions=frozenset(), session_id=uuid.uuid4())
    container = ohms.container
    with ohms.db() as session:
        gate = AccessGate(session=session, journal=container.access_journal,
                          refresh_mirror=container.ensure_mirror_fresh,
                          kfrag_vault=container.kfrag_vault,
                          relationships=[OpenEncounter(uuid.UUID(clinic))])
        whom = session.get(DbUser, uuid.UUID(patient.id))
        assert whom is not None
        basis = gate.authorise_write(author=principal, patient=whom, category="document",
                                     record="category:document", references=("encounter:1",))
        assert basis == "encounter"
        with pytest.raises(Forbidden):
            gate.authorise_write(author=principal, patient=whom, category="document",
                                 record="category:document")
    with ohms.db() as session:
        logged = session.execute(select(AccessLogEntry.outcome, AccessLogEntry.basis).where(
            AccessLogEntry.patient_uhid == patient.uhid).order_by(AccessLogEntry.at)).all()
    assert [tuple(row) for row in logged] == [("granted", "encounter"), ("denied", "none")]
