"""The embedded simulated payment provider: what a real provider does on its side, inside
OHMS, so online payments work end to end with no account anywhere.

It keeps its own state (`simulated_provider_intents`, `simulated_provider_webhooks`, tables
of the system session only), shows its own checkout page, and tells the merchant that an
intent was paid with a webhook signed by `api.payments.signatures` (as a real adapter
expects), delivered by a background worker that retries with exponential backoff until the
merchant answers 2xx. The payments service reaches it only through the provider port
(`api.payments.provider.PaymentProvider`).

Its intent is named after the merchant's intent (`metadata["intent_id"]`), so the checkout
page and the "customer pays" call take the id that the merchant's API answered."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.payments.models import SimulatedIntent, SimulatedWebhook
from api.payments.provider import ProviderError, ProviderIntent, ProviderRefund
from api.payments.signatures import SIGNATURE_HEADER, MalformedSignature, sign, verify

log = logging.getLogger("ohms.payments.simulator")

PROVIDER_NAME = "simulated"
SIMULATOR_PREFIX = "/api/v1/payment-simulator"
WEBHOOK_PATH = "/api/v1/payments/webhook"
REQUIRES_PAYMENT, SUCCEEDED = "requires_payment", "succeeded"
MAX_REF_LENGTH = 100
# (url, body, headers) -> the HTTP status the merchant answered (raises when unreachable).
Deliver = Callable[[str, bytes, dict[str, str]], int]


def http_deliver(url: str, body: bytes, headers: dict[str, str], *,
                 timeout: float = 10.0) -> int:
    """A webhook delivery over HTTP, as the provider makes it."""
    return httpx.post(url, content=body, headers=headers, timeout=timeout).status_code


@dataclass(frozen=True)
class CheckoutView:
    """What the checkout page shows of an intent."""

    id: str
    amount: Decimal
    currency: str
    status: str
    merchant: str
    description: str
    return_url: str | None


@dataclass(frozen=True)
class Succeeded:
    changed: bool           # False: it had already succeeded (nothing done again)
    return_url: str | None


def _money_text(amount: Decimal) -> str:
    return f"{Decimal(amount):.2f}"


class SimulatedProvider:
    """The provider port's embedded adapter (see the module's docstring)."""

    name = PROVIDER_NAME

    def __init__(self, sessions: sessionmaker[Session], *, secret: bytes, public_url: str,
                 tolerance_seconds: int) -> None:
        self.sessions = sessions
        self.secret = secret
        self.public_url = public_url.rstrip("/")
        self.tolerance_seconds = tolerance_seconds

    # --- the port -----------------------------------------------------------------------

    def checkout_url(self, ref: str) -> str:
        return f"{self.public_url}{SIMULATOR_PREFIX}/checkout/{ref}"

    def create_intent(self, amount: Decimal, currency: str, *, idempotency_key: str,
                      metadata: dict[str, str], return_url: str) -> ProviderIntent:
        ref = metadata.get("intent_id") or f"pi_sim_{secrets.token_hex(12)}"
        if len(ref) > MAX_REF_LENGTH or len(idempotency_key) > 200:
            raise ProviderError("the intent's id or idempotency key is too long")
        try:
            with session_scope(self.sessions, SYSTEM) as session:
                found = session.scalar(select(SimulatedIntent).where(
                    SimulatedIntent.idempotency_key == idempotency_key))
                if found is None:
                    found = SimulatedIntent(
                        id=ref, amount=amount, currency=currency, status=REQUIRES_PAYMENT,
                        refunded_amount=Decimal(0), return_url=return_url,
                        metadata_json=json.dumps(metadata, sort_keys=True),
                        idempotency_key=idempotency_key)
                    session.add(found)
                return ProviderIntent(ref=found.id, status=found.status,
                                      checkout_url=self.checkout_url(found.id))
        except IntegrityError:
            # The same key at the same moment (or the same id): the first one's intent.
            with session_scope(self.sessions, SYSTEM) as session:
                first = session.scalar(select(SimulatedIntent).where(
                    SimulatedIntent.idempotency_key == idempotency_key))
                if first is None:
                    raise ProviderError("an intent with this id exists already") from None
                return ProviderIntent(ref=first.id, status=first.status,
                                      checkout_url=self.checkout_url(first.id))

    def refund(self, ref: str, amount: Decimal, *, idempotency_key: str) -> ProviderRefund:
        """Refunds succeed at once. Once per key: the refund's `charge.refunded` event, named
        after the key, is queued in the same transaction (its primary key refuses a second)."""
        refund_ref = "re_sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        event_id = "evt_sim_" + refund_ref
        try:
            with session_scope(self.sessions, SYSTEM) as session:
                if session.get(SimulatedWebhook, event_id) is not None:
                    return ProviderRefund(ref=refund_ref, status=SUCCEEDED)
                moved = session.execute(
                    update(SimulatedIntent)
                    .where(SimulatedIntent.id == ref, SimulatedIntent.status == SUCCEEDED,
                           SimulatedIntent.refunded_amount + amount <= SimulatedIntent.amount)
                    .values(refunded_amount=SimulatedIntent.refunded_amount + amount)
                    .returning(SimulatedIntent.currency)
                    .execution_options(synchronize_session=False)).scalar_one_or_none()
                if moved is None:
                    raise ProviderError("the intent is not paid, or not that much is left")
                session.add(self._event(event_id, "charge.refunded", {
                    "id": refund_ref, "payment_intent": ref, "amount": _money_text(amount),
                    "currency": moved}))
        except IntegrityError:
            pass  # the same key at the same moment: that refund was made once
        return ProviderRefund(ref=refund_ref, status=SUCCEEDED)

    def verify_webhook(self, body: bytes, signature_header: str, now: int) -> dict[str, Any]:
        verify(self.secret, body, signature_header, now=now, tolerance=self.tolerance_seconds)
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedSignature("the signed body is not a JSON event") from None
        if not isinstance(event, dict):
            raise MalformedSignature("the signed body is not an event")
        return event

    # --- the provider's own pages --------------------------------------------------------

    def checkout(self, ref: str) -> CheckoutView | None:
        with session_scope(self.sessions, SYSTEM) as session:
            intent = session.get(SimulatedIntent, ref[:MAX_REF_LENGTH])
            if intent is None:
                return None
            metadata = json.loads(intent.metadata_json)
            return CheckoutView(
                id=intent.id, amount=Decimal(intent.amount), currency=intent.currency,
                status=intent.status, merchant=str(metadata.get("merchant", "")),
                description=str(metadata.get("description", "")),
                return_url=intent.return_url)

    def succeed(self, ref: str) -> Succeeded | None:
        """The customer paid at the checkout: the intent succeeds once, and its
        `payment_intent.succeeded` event is queued for delivery in the same transaction.
        None for an unknown intent."""
        with session_scope(self.sessions, SYSTEM) as session:
            intent = session.get(SimulatedIntent, ref[:MAX_REF_LENGTH])
            if intent is None:
                return None
            done = session.execute(
                update(SimulatedIntent)
                .where(SimulatedIntent.id == intent.id,
                       SimulatedIntent.status == REQUIRES_PAYMENT)
                .values(status=SUCCEEDED)
                .returning(SimulatedIntent.id)
                .execution_options(synchronize_session=False)).scalar_one_or_none()
            if done is not None:
                session.add(self._event(f"evt_sim_{secrets.token_hex(12)}",
                                        "payment_intent.succeeded", {
                    "id": intent.id, "amount": _money_text(intent.amount),
                    "currency": intent.currency,
                    "metadata": json.loads(intent.metadata_json)}))
            return Succeeded(changed=done is not None, return_url=intent.return_url)

    @staticmethod
    def _event(event_id: str, kind: str, obj: dict[str, Any]) -> SimulatedWebhook:
        body = json.dumps({"id": event_id, "type": kind, "created": int(time.time()),
                           "data": {"object": obj}}, sort_keys=True)
        now = utcnow()
        return SimulatedWebhook(id=event_id, body=body, attempts=0, next_attempt_at=now,
                                created_at=now)


class SimulatedWebhookDelivery:
    """The simulated provider's webhook sender: `run_once` delivers the due events to the
    merchant's webhook URL, each attempt signed afresh, and schedules a failed one again with
    exponential backoff (1 s, 2 s, 4 s ... at most an hour). An event is claimed (its next
    attempt moved past the lease) and the claim committed before it is sent, so concurrent
    workers rarely send one twice; a second delivery is harmless (the merchant records each
    event id once)."""

    def __init__(self, sessions: sessionmaker[Session], *, secret: bytes, url: str,
                 deliver: Deliver = http_deliver, lease_seconds: float = 60.0,
                 batch: int = 20, max_backoff_seconds: float = 3600.0) -> None:
        self.sessions = sessions
        self.secret = secret
        self.url = url
        self.deliver = deliver
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.max_backoff = max_backoff_seconds

    def run_once(self) -> int:
        """Deliver what is due; how many were delivered (answered 2xx)."""
        now = utcnow()
        with session_scope(self.sessions, SYSTEM) as session:
            due = list(session.execute(
                select(SimulatedWebhook.id, SimulatedWebhook.next_attempt_at)
                .where(SimulatedWebhook.delivered_at.is_(None),
                       SimulatedWebhook.next_attempt_at <= now)
                .order_by(SimulatedWebhook.next_attempt_at).limit(self.batch)))
        delivered = 0
        for event_id, next_attempt_at in due:
            claimed = self._claim(event_id, next_attempt_at)
            if claimed is not None:
                delivered += self._send(event_id, claimed)
        return delivered

    def _claim(self, event_id: str, seen: Any) -> tuple[str, int] | None:
        with session_scope(self.sessions, SYSTEM) as session:
            row = session.execute(
                update(SimulatedWebhook)
                .where(SimulatedWebhook.id == event_id, SimulatedWebhook.delivered_at.is_(None),
                       SimulatedWebhook.next_attempt_at == seen)
                .values(next_attempt_at=utcnow() + self.lease)
                .returning(SimulatedWebhook.body, SimulatedWebhook.attempts)
                .execution_options(synchronize_session=False)).one_or_none()
            return None if row is None else (row[0], row[1])

    def _send(self, event_id: str, claimed: tuple[str, int]) -> int:
        body, attempts = claimed
        raw = body.encode()
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self.secret, raw, int(time.time()))}
        try:
            status = self.deliver(self.url, raw, headers)
        except Exception as exc:  # noqa: BLE001 - the merchant unreachable: retried later
            log.warning("webhook delivery failed",
                        extra={"event": event_id, "error_type": type(exc).__name__})
            status = 0
        ok = 200 <= status < 300
        backoff = timedelta(seconds=min(2.0 ** attempts, self.max_backoff))
        with session_scope(self.sessions, SYSTEM) as session:
            values: dict[str, Any] = {"attempts": SimulatedWebhook.attempts + 1}
            if ok:
                values["delivered_at"] = utcnow()
            else:
                values["next_attempt_at"] = utcnow() + backoff
            session.execute(update(SimulatedWebhook).where(SimulatedWebhook.id == event_id)
                            .values(values).execution_options(synchronize_session=False))
        return 1 if ok else 0
