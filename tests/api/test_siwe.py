"""Sign-In with Ethereum: linking a wallet, signing in with it, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import SiweMessage
from sqlalchemy import select, update

from api.identity.models import SiweNonce
from tests.api.conftest import Ohms

PROBLEM = "application/problem+json"


def challenge(ohms: Ohms) -> dict[str, Any]:
    r = ohms.client.post("/api/v1/auth/siwe/nonce")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def siwe_message(ohms: Ohms, account: Any, **overrides: Any) -> str:
    c = challenge(ohms)
    fields: dict[str, Any] = {
        "domain": c["domain"], "address": account.address, "uri": c["uri"], "version": "1",
        "chain_id": c["chain_id"], "nonce": c["nonce"], "issued_at": c["issued_at"],
        "expiration_time": c["expiration_time"], "statement": "Sign in to OHMS",
    }
    fields.update(overrides)
    return SiweMessage(**fields).prepare_message()


def sign(account: Any, message: str) -> str:
    signature = account.sign_message(encode_defunct(text=message)).signature
    return "0x" + signature.hex().removeprefix("0x")


def test_nonce_carries_what_a_wallet_needs(ohms: Ohms) -> None:
    c = challenge(ohms)
    assert set(c) >= {"nonce", "domain", "uri", "chain_id", "issued_at", "expiration_time"}
    assert c["domain"] == "testserver" and c["uri"] == "http://testserver"
    assert isinstance(c["chain_id"], int)
    assert challenge(ohms)["nonce"] != c["nonce"]


def test_link_wallet_then_sign_in_with_it(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    wallet = Account.create()
    message = siwe_message(ohms, wallet)
    linked = ohms.client.post("/api/v1/me/wallet", headers=patient.headers,
                              json={"message": message, "signature": sign(wallet, message)})
    assert linked.status_code == 200, linked.text
    assert linked.json()["address"] == wallet.address
    assert ohms.client.get("/api/v1/me", headers=patient.headers).json()["wallet_address"] == \
        wallet.address

    login_msg = siwe_message(ohms, wallet)
    r = ohms.client.post("/api/v1/auth/siwe/verify",
                         json={"message": login_msg, "signature": sign(wallet, login_msg)})
    assert r.status_code == 200, r.text
    me = ohms.client.get("/api/v1/me",
                         headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["uhid"] == patient.uhid

    # The same signed message again: its nonce is spent.
    replay = ohms.client.post("/api/v1/auth/siwe/verify",
                              json={"message": login_msg, "signature": sign(wallet, login_msg)})
    assert replay.status_code == 401
    assert replay.headers["content-type"] == PROBLEM
    assert "nonce" in replay.json()["detail"]


def test_wallet_belongs_to_at_most_one_account(ohms: Ohms) -> None:
    first, second = ohms.register_patient(), ohms.register_patient()
    wallet = Account.create()
    m1 = siwe_message(ohms, wallet)
    assert ohms.client.post("/api/v1/me/wallet", headers=first.headers,
                            json={"message": m1, "signature": sign(wallet, m1)}).status_code == 200
    m2 = siwe_message(ohms, wallet)
    r = ohms.client.post("/api/v1/me/wallet", headers=second.headers,
                         json={"message": m2, "signature": sign(wallet, m2)})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert ohms.client.get("/api/v1/me", headers=second.headers).json()["wallet_address"] is None


def test_bad_siwe_messages_are_refused_and_spend_nothing(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    wallet, impostor = Account.create(), Account.create()
    m = siwe_message(ohms, wallet)
    assert ohms.client.post("/api/v1/me/wallet", headers=patient.headers,
                            json={"message": m, "signature": sign(wallet, m)}).status_code == 200
    past = datetime.now(UTC) - timedelta(minutes=1)
    cases = {
        "wrong domain": siwe_message(ohms, wallet, domain="evil.example"),
        "wrong uri": siwe_message(ohms, wallet, uri="https://evil.example"),
        "wrong chain": siwe_message(ohms, wallet, chain_id=1),
        "expired": siwe_message(ohms, wallet, issued_at=(past - timedelta(minutes=5)).isoformat()
                                .replace("+00:00", "Z"),
                                expiration_time=past.isoformat().replace("+00:00", "Z")),
        "unknown nonce": siwe_message(ohms, wallet, nonce="neverissued123"),
    }
    for what, message in cases.items():
        r = ohms.client.post("/api/v1/auth/siwe/verify",
                             json={"message": message, "signature": sign(wallet, message)})
        assert r.status_code == 401, what
        assert r.headers["content-type"] == PROBLEM, what

    # A signature by someone else: refused, and the nonce is still good for the owner.
    good = siwe_message(ohms, wallet)
    forged = ohms.client.post("/api/v1/auth/siwe/verify",
                              json={"message": good, "signature": sign(impostor, good)})
    assert forged.status_code == 401 and "signature" in forged.json()["detail"]
    assert ohms.client.post("/api/v1/auth/siwe/verify",
                            json={"message": good, "signature": sign(wallet, good)}
                            ).status_code == 200

    garbage = ohms.client.post("/api/v1/auth/siwe/verify",
                               json={"message": "hello", "signature": "0x" + "ab" * 65})
    assert garbage.status_code == 400 and garbage.headers["content-type"] == PROBLEM
    bad_sig = ohms.client.post("/api/v1/auth/siwe/verify",
                               json={"message": good, "signature": "0x1234"})
    assert bad_sig.status_code == 422


def test_unlinked_wallet_cannot_sign_in(ohms: Ohms) -> None:
    stranger = Account.create()
    m = siwe_message(ohms, stranger)
    r = ohms.client.post("/api/v1/auth/siwe/verify",
                         json={"message": m, "signature": sign(stranger, m)})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


def test_staff_of_a_deactivated_organisation_cannot_sign_in_with_a_wallet(ohms: Ohms) -> None:
    org = ohms.create_org("clinic")
    nurse = ohms.add_member(org, "nurse")
    wallet = Account.create()
    m = siwe_message(ohms, wallet)
    assert ohms.client.post("/api/v1/me/wallet", headers=nurse.headers,
                            json={"message": m, "signature": sign(wallet, m)}).status_code == 200
    off = ohms.client.patch(f"/api/v1/organizations/{org}", headers=ohms.admin.headers,
                            json={"is_active": False})
    assert off.status_code == 200
    login = siwe_message(ohms, wallet)
    r = ohms.client.post("/api/v1/auth/siwe/verify",
                         json={"message": login, "signature": sign(wallet, login)})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert ohms.client.patch(f"/api/v1/organizations/{org}", headers=ohms.admin.headers,
                             json={"is_active": True}).status_code == 200
    again = siwe_message(ohms, wallet)
    assert ohms.client.post("/api/v1/auth/siwe/verify",
                            json={"message": again, "signature": sign(wallet, again)}
                            ).status_code == 200


def _nonce_row(ohms: Ohms, nonce: str) -> SiweNonce | None:
    with ohms.db() as s:
        return s.scalar(select(SiweNonce).where(SiweNonce.nonce == nonce))


def test_expired_nonces_are_refused_then_purged(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    wallet = Account.create()
    m = siwe_message(ohms, wallet)
    assert ohms.client.post("/api/v1/me/wallet", headers=patient.headers,
                            json={"message": m, "signature": sign(wallet, m)}).status_code == 200
    # The message itself is still valid; only the server-side nonce has run out.
    late = siwe_message(ohms, wallet)
    nonce = SiweMessage.from_message(late).nonce
    with ohms.db() as s:
        s.execute(update(SiweNonce).where(SiweNonce.nonce == nonce)
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = ohms.client.post("/api/v1/auth/siwe/verify",
                         json={"message": late, "signature": sign(wallet, late)})
    assert r.status_code == 401 and "nonce" in r.json()["detail"]
    assert _nonce_row(ohms, nonce) is not None
    # Issuing the next nonce clears the expired ones; the fresh one stays usable.
    fresh = challenge(ohms)
    assert _nonce_row(ohms, nonce) is None
    assert _nonce_row(ohms, fresh["nonce"]) is not None


def test_text_that_is_not_a_siwe_message_never_reaches_the_parser(ohms: Ohms) -> None:
    """The siwe package's ABNF parser spends seconds on a few KB of crafted text: what does
    not have the EIP-4361 shape is refused before it, and the message length is bounded."""
    signature = "0x" + "11" * 65
    for message in ("a" * 2000, "example.com wants you to sign in with your Ethereum "
                    "account:\n" + "A" * 1900):
        r = ohms.client.post("/api/v1/auth/siwe/verify",
                             json={"message": message, "signature": signature})
        assert r.status_code == 400, r.text
        # Refused by the shape check, not by the parser (whose refusal reads differently).
        assert "does not have the lines of an EIP-4361" in r.json()["detail"]
    r = ohms.client.post("/api/v1/auth/siwe/verify",
                         json={"message": "a" * 2049, "signature": signature})
    assert r.status_code == 422, r.text
