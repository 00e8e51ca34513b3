"""The insurance context's uses of the system session, each with its reason: merged into the one
list in api/system_sessions.py (see there for the rules)."""

from __future__ import annotations

COVERAGES = ("a patient's coverage belongs to the patient (of no organisation; a system-only "
             "table) and is read by the organisations billing them and by the insurer: the "
             "insurance service confines each query to the patient, the billing "
             "organisations and the insurer")
CLAIMS = ("a claim is read by its patient (of no organisation) as well as by its two parties, "
          "and names the patient by UHID (users of no organisation): the insurance service "
          "confines each query to the patient's own claims, the billing organisation's and "
          "those addressed to the insurer")
SUBMISSION = ("a claim is built from the caller's organisation's invoice under the patient's "
              "coverage (a system-only table): the insurance service confines the invoice to "
              "the caller's organisation and the coverage to the invoice's patient")
ADJUDICATION = ("the insurer's adjudication settles its share against the billing "
                "organisation's invoice and records the insurer's payment there, in one "
                "transaction (another tenant's rows): the insurance service confines the claim "
                "to the insurer it is addressed to")

# "METHOD /path" -> why the route opens the system session.
SYSTEM_SESSION_ROUTES: dict[str, str] = {
    "POST /api/v1/patients/{uhid}/coverages": COVERAGES,
    "GET /api/v1/patients/{uhid}/coverages": COVERAGES,
    "GET /api/v1/coverages/{coverage_id}/eligibility": COVERAGES,
    "GET /api/v1/coverages/{coverage_id}/eligibility/fhir": COVERAGES,
    "POST /api/v1/claims": SUBMISSION,
    "GET /api/v1/claims": CLAIMS,
    "GET /api/v1/claims/{claim_id}": CLAIMS,
    "GET /api/v1/claims/{claim_id}/fhir": CLAIMS,
    "GET /api/v1/claims/{claim_id}/response/fhir": CLAIMS,
    "POST /api/v1/claims/{claim_id}/adjudication": ADJUDICATION,
}
# Module -> why it opens `session_scope(..., SYSTEM)` itself (background work).
SYSTEM_SESSION_MODULES: dict[str, str] = {}
