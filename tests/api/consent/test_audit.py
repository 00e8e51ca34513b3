"""The access log: entries for granted and denied reads, Merkle batches anchored on chain,
proofs an auditor checks against the chain alone, tampering detected; break-glass."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from api.audit.models import AccessLogEntry
from api.audit.verify import verify_entry
from tests.api.conftest import Ohms
from tests.api.consent.conftest import check, grant, patient_with_wallet, run_workers

ROOT = Path(__file__).resolve().parents[3]


class ServiceRpc(JSONBaseProvider):
    """web3 provider over the service's read-only dev-chain JSON-RPC (embedded backend)."""

    def __init__(self, ohms: Ohms) -> None:
        super().__init__()
        self._ohms = ohms

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        r = self._ohms.client.post("/api/v1/chain/rpc", json={
            "jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        response: RPCResponse = r.json()
        return response


def verify(ohms: Ohms, document: dict[str, Any]) -> Any:
    if ohms.kind == "real":
        return verify_entry(document, ohms.container.settings.chain_rpc_url)
    return verify_entry(document, provider=ServiceRpc(ohms))


def test_every_access_is_logged_batched_anchored_and_provable(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    auditor = ohms.add_member(lab, "auditor")
    patient = patient_with_wallet(ohms)
    denied = check(ohms, tech, patient.user)
    grant(ohms, patient, lab)
    run_workers(ohms)
    allowed = check(ohms, tech, patient.user)
    assert denied["authorized"] is False and allowed["authorized"] is True

    mine = ohms.client.get("/api/v1/audit/entries", headers=patient.user.headers).json()
    by_id = {e["id"]: e for e in mine}
    assert by_id[denied["audit_entry"]]["outcome"] == "denied"
    assert by_id[allowed["audit_entry"]]["outcome"] == "granted"
    assert by_id[allowed["audit_entry"]]["accessor"] == tech.uhid
    assert by_id[allowed["audit_entry"]]["grant_id"] == allowed["grant_id"]
    assert set(by_id[denied["audit_entry"]]) >= {"id", "accessor", "record", "purpose",
                                                  "outcome", "at", "batch"}
    # Not batched yet: no proof.
    early = ohms.client.get(f"/api/v1/audit/entries/{allowed['audit_entry']}/proof",
                            headers=patient.user.headers)
    assert early.status_code == 404

    assert ohms.client.app.state.workers  # type: ignore[attr-defined]
    from api.audit.service import AuditBatcher

    AuditBatcher(ohms.container.sessions, ohms.container.chain, max_entries=1000,
                 max_seconds=3600).run_once(force=True)
    run_workers(ohms)
    proofs = {}
    for entry_id in (denied["audit_entry"], allowed["audit_entry"]):
        r = ohms.client.get(f"/api/v1/audit/entries/{entry_id}/proof", headers=auditor.headers)
        assert r.status_code == 200, r.text
        proofs[entry_id] = r.json()
        assert proofs[entry_id]["anchored"] is True
        assert proofs[entry_id]["contract"] == ohms.container.chain.deployment.audit_anchor
        assert verify(ohms, proofs[entry_id]).ok, verify(ohms, proofs[entry_id]).reason

    # Tampering with a stored entry (a denied read rewritten as granted) is detected.
    with ohms.db() as s:
        s.execute(update(AccessLogEntry)
                  .where(AccessLogEntry.id == uuid.UUID(denied["audit_entry"]))
                  .values(outcome="granted"))
    tampered = ohms.client.get(f"/api/v1/audit/entries/{denied['audit_entry']}/proof",
                               headers=auditor.headers).json()
    verdict = verify(ohms, tampered)
    assert not verdict.ok and "altered" in verdict.reason
    forged_leaf = dict(tampered, leaf="0x" + "11" * 32)
    assert not verify(ohms, forged_leaf).ok
    assert verify(ohms, proofs[allowed["audit_entry"]]).ok

    # The same entry as a FHIR R4 AuditEvent, valid against the R4 models.
    fhir = ohms.client.get(f"/api/v1/audit/entries/{allowed['audit_entry']}/fhir",
                           headers=patient.user.headers).json()
    from fhir.resources.R4B.auditevent import AuditEvent

    event = AuditEvent.model_validate(fhir)
    assert event.outcome == "0" and event.agent[0].who.identifier.value == tech.uhid

    # Patients see only their own history; other patients' entries are not found.
    stranger = ohms.register_patient()
    assert ohms.client.get(f"/api/v1/audit/entries/{allowed['audit_entry']}/proof",
                           headers=stranger.headers).status_code == 404
    assert ohms.client.get("/api/v1/audit/entries", params={"patient": patient.user.uhid},
                           headers=stranger.headers).json() == []
    assert allowed["audit_entry"] in {e["id"] for e in ohms.client.get(
        "/api/v1/audit/entries", params={"patient": patient.user.uhid},
        headers=auditor.headers).json()}
    assert ohms.client.get("/api/v1/audit/entries", headers=tech.headers).status_code == 403


def test_ohms_audit_verify_cli_needs_only_the_chain(ohms: Ohms, tmp_path: Path) -> None:
    patient = patient_with_wallet(ohms)
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    entry = check(ohms, tech, patient.user)["audit_entry"]
    from api.audit.service import AuditBatcher

    AuditBatcher(ohms.container.sessions, ohms.container.chain, max_entries=1000,
                 max_seconds=3600).run_once(force=True)
    run_workers(ohms)
    proof = ohms.client.get(f"/api/v1/audit/entries/{entry}/proof",
                            headers=patient.user.headers).json()
    good, bad = tmp_path / "entry.json", tmp_path / "tampered.json"
    good.write_text(json.dumps(proof))
    bad.write_text(json.dumps({**proof, "entry": {**proof["entry"], "purpose": "claim"}}))
    if ohms.kind != "real":
        # The embedded chain lives inside the service; the CLI needs an HTTP JSON-RPC node.
        result = verify(ohms, proof)
        assert result.ok
        return
    rpc = ohms.container.settings.chain_rpc_url
    assert rpc is not None
    ok = subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify", str(good),
                         "--rpc-url", rpc], capture_output=True, text=True, cwd=ROOT,
                        env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("VERIFIED")
    no = subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify", str(bad),
                         "--rpc-url", rpc], capture_output=True, text=True, cwd=ROOT,
                        env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert no.returncode == 1 and no.stdout.startswith("REJECTED")


def test_break_glass_is_for_emergency_roles_with_a_reason(ohms: Ohms) -> None:
    er = ohms.create_org("hospital")
    doctor = ohms.add_member(er, "physician")
    desk = ohms.add_member(er, "helpdesk")
    tech = ohms.add_member(ohms.create_org("lab"), "lab_technician")
    patient = ohms.register_patient()
    assert not check(ohms, doctor, patient, "category:all")["authorized"]
    for who in (desk, tech):
        r = ohms.client.post("/api/v1/break-glass", headers=who.headers,
                             json={"patient": patient.uhid, "reason": "unconscious in ER bay 3"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    no_reason = ohms.client.post("/api/v1/break-glass", headers=doctor.headers,
                                 json={"patient": patient.uhid, "reason": "   "})
    assert no_reason.status_code == 422
    assert not check(ohms, doctor, patient, "category:all")["authorized"]
    assert ohms.client.get("/api/v1/me/notifications", headers=patient.headers).json() == []

    r = ohms.client.post("/api/v1/break-glass", headers=doctor.headers,
                         json={"patient": patient.uhid, "reason": "unconscious in ER bay 3"})
    assert r.status_code == 201, r.text
    decision = check(ohms, doctor, patient, "category:all", "emergency")
    assert decision["authorized"] and decision["basis"] == "break_glass"
    notes = ohms.client.get("/api/v1/me/notifications", headers=patient.headers).json()
    assert [n["kind"] for n in notes] == ["break_glass"]
    assert "unconscious" not in notes[0]["message"]  # the reason stays out of messages
    history = ohms.client.get("/api/v1/audit/entries", headers=patient.headers).json()
    assert any(e["basis"] == "break_glass" and e["action"] == "break-glass" for e in history)
    run_workers(ohms)
    chain = ohms.container.chain.ready()
    head = chain.block_number()
    events = [e for e in chain.events(0, head) if e.name == "BreakGlassAccess"]
    assert events, "the emergency access is flagged on chain"


def test_the_chain_info_tells_browsers_where_to_check_the_log(ohms: Ohms) -> None:
    r = ohms.client.get("/api/v1/chain")
    assert r.status_code == 200, r.text
    info = r.json()
    deployment = ohms.container.chain.deployment
    assert info["chain_id"] == deployment.chain_id
    assert info["audit_anchor"] == deployment.audit_anchor
    assert info["consent_registry"] == deployment.consent_registry
    if ohms.kind == "real":  # an external node, no public URL configured: none offered
        assert info["rpc_url"] is None
    else:  # the embedded chain: its read-only RPC, and it answers for that contract
        assert info["rpc_url"] == "/api/v1/chain/rpc"
        code = ohms.client.post(info["rpc_url"], json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_getCode",
            "params": [info["audit_anchor"], "latest"]}).json()
        assert code["result"] not in ("0x", None)


def test_the_portal_csp_allows_the_public_chain_node_only() -> None:
    from api.middleware import PORTAL_CSP, portal_csp

    assert portal_csp(None) == PORTAL_CSP
    policy = portal_csp("https://rpc.example.org:8545/v1/key")
    assert "connect-src 'self' https://rpc.example.org:8545;" in policy
    assert "unsafe-inline" not in policy
    with pytest.raises(ValueError):
        portal_csp("javascript:alert(1)")


def test_auditors_search_by_patient_accessor_purpose_outcome_and_time(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    other_tech = ohms.add_member(lab, "lab_technician")
    auditor = ohms.add_member(lab, "auditor")
    patient = ohms.register_patient()
    before = datetime.now(UTC) - timedelta(seconds=1)
    treatment = check(ohms, tech, patient)["audit_entry"]
    research = check(ohms, tech, patient, purpose="research")["audit_entry"]
    other = check(ohms, other_tech, patient)["audit_entry"]
    after = datetime.now(UTC) + timedelta(seconds=1)

    def search(**params: str) -> set[str]:
        r = ohms.client.get("/api/v1/audit/entries", headers=auditor.headers,
                            params={"patient": patient.uhid, **params})
        assert r.status_code == 200, r.text
        return {e["id"] for e in r.json()}

    assert search() == {treatment, research, other}
    assert search(accessor=tech.uhid) == {treatment, research}
    assert search(accessor=tech.uhid, purpose="research") == {research}
    assert search(purpose="treatment", outcome="denied") == {treatment, other}
    assert search(outcome="granted") == set()
    assert search(since=before.isoformat(), until=after.isoformat()) == {treatment, research, other}
    assert search(since=after.isoformat()) == set()
    assert search(until=before.isoformat()) == set()
    # Refused clearly: an unknown purpose, a time without its offset, an empty range.
    for params in ({"purpose": "marketing"}, {"since": "2026-01-01T00:00:00"},
                   {"since": after.isoformat(), "until": before.isoformat()}):
        r = ohms.client.get("/api/v1/audit/entries", headers=auditor.headers, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
