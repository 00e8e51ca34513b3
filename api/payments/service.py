"""Payments of invoices: cash and card at the desk, refunds, online payment intents through
the payment-provider port, and the provider's webhook that confirms an online payment.

What must happen once is decided by the database, never by a read before a write:
- a desk payment per Idempotency-Key (UNIQUE (organization_id, idempotency_key)): a racing
  duplicate fails its INSERT, rolls back (its balance change with it) and answers the first;
- an invoice's balance moves by the conditional UPDATEs of api.billing.settlement, in the
  transaction that records the payment or refund, so concurrent payments never take it
  below zero;
- a refund by a conditional UPDATE of the payment's refunded amount (never more than paid);
- a webhook event per provider event id (its primary key), an online payment per intent
  (UNIQUE intent_id, and the intent's conditional move out of requires_payment).

The provider is called outside the database transaction that records the work: an intent is
created at the provider before its row is written (a lost row leaves an unpaid intent at the
provider, harmless); a refund is committed first and then sent to the provider once per
refund id (its idempotency key), and sent again by a retry of the request (or a redelivery
of the webhook) when the provider could not be reached."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.billing.models import PAYABLE, Invoice, InvoiceKind
from api.billing.money import CENTS
from api.billing.settlement import Settled, give_back, take
from api.db.base import utcnow
from api.deps import Principal
from api.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, Unavailable
from api.idempotency import flush_or_replay, request_hash
from api.paging import PageRequest
from api.payments.models import (
    IntentStatus,
    Payment,
    PaymentIntent,
    PaymentMethod,
    Refund,
    WebhookEvent,
)
from api.payments.provider import PaymentProvider, ProviderError
from api.roles.catalog import Role
from api.tenants.models import Organization

log = logging.getLogger("ohms.payments")

INTENT_SUCCEEDED = "payment_intent.succeeded"
EXCESS_REASON = ("paid online after the invoice's balance had fallen below the intent: the "
                 "excess is returned")


@dataclass(frozen=True)
class Recorded:
    """A payment, refund or intent, and whether it was the answer to a repeated request."""

    row: Any
    replayed: bool


def money(amount: Decimal) -> Decimal:
    """Two decimals as stored (SQLite hands NUMERIC back without its scale)."""
    return Decimal(amount).quantize(CENTS)


def _desk_org(principal: Principal) -> uuid.UUID:
    if principal.organization_id is None:
        raise Forbidden("payments are taken by an organisation's desk")
    return principal.organization_id


def _not_found(what: str = "invoice") -> NotFound:
    return NotFound(f"{what} not found")


def _payable(invoice: Invoice, amount: Decimal | None, currency: str | None) -> None:
    """Refuse a payment that the invoice cannot take (409) or that is not in its currency."""
    if invoice.kind != InvoiceKind.invoice.value:
        raise Conflict("a credit note is not paid")
    if invoice.status not in {s.value for s in PAYABLE}:
        raise Conflict(f"the invoice is {invoice.status}: it takes no payment")
    if currency is not None and currency != invoice.currency:
        raise Invalid(f"the invoice is in {invoice.currency}")
    if amount is not None and amount > money(invoice.balance):
        raise Conflict(f"more than the balance ({money(invoice.balance)} {invoice.currency})")


# --- the desk ---------------------------------------------------------------------------------


def _desk_replay(session: Session, org: uuid.UUID, key: str, digest: str) -> Payment | None:
    found = session.scalar(select(Payment).where(Payment.organization_id == org,
                                                 Payment.idempotency_key == key))
    if found is not None and found.request_hash != digest:
        raise Invalid("this Idempotency-Key was used for another request; use a new key")
    return found


def collect_payment(session: Session, *, principal: Principal, invoice_id: uuid.UUID,
                    idempotency_key: str, method: PaymentMethod, amount: Decimal,
                    currency: str, reference: str | None) -> Recorded:
    """A cash or card payment at the desk, once per Idempotency-Key."""
    org = _desk_org(principal)
    digest = request_hash(invoice=invoice_id, method=method.value, amount=money(amount),
                          currency=currency, reference=reference)
    first = _desk_replay(session, org, idempotency_key, digest)
    if first is not None:
        return Recorded(first, replayed=True)
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id,
                                                   Invoice.organization_id == org))
    if invoice is None:
        raise _not_found()
    _payable(invoice, amount, currency)
    if take(session, invoice_id=invoice.id, amount=amount, settled=Settled.paid) is None:
        raise Conflict("the balance changed meanwhile: it is now below this amount")
    payment = Payment(organization_id=org, invoice_id=invoice.id, method=method.value,
                      amount=amount, currency=currency, refunded_amount=Decimal(0),
                      idempotency_key=idempotency_key, request_hash=digest,
                      reference=reference, received_by=principal.user_id, created_at=utcnow())
    session.add(payment)
    # The same key at the same moment: that request's payment, and nothing taken here.
    first = flush_or_replay(session, lambda: _desk_replay(session, org, idempotency_key, digest))
    return (Recorded(first, replayed=True) if first is not None
            else Recorded(payment, replayed=False))


def _visible_invoice(session: Session, principal: Principal,
                     invoice_id: uuid.UUID) -> Invoice:
    """The invoice if it is the caller's own (a patient) or their organisation's."""
    query = select(Invoice).where(Invoice.id == invoice_id)
    if Role.patient in principal.roles:
        query = query.where(Invoice.patient_id == principal.user_id)
    elif principal.organization_id is not None:
        query = query.where(Invoice.organization_id == principal.organization_id)
    elif not principal.is_system_admin:
        raise _not_found()
    invoice = session.scalar(query)
    if invoice is None:
        raise _not_found()
    return invoice


def list_payments(session: Session, *, principal: Principal, invoice_id: uuid.UUID,
                  page: PageRequest) -> list[Payment]:
    invoice = _visible_invoice(session, principal, invoice_id)
    return list(session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                .order_by(Payment.created_at, Payment.id)
                                .limit(page.limit).offset(page.offset)))


# --- refunds ----------------------------------------------------------------------------------


def _refund_replay(session: Session, payment_id: uuid.UUID, key: str, amount: Decimal,
                   currency: str, reason: str) -> Refund | None:
    found = session.scalar(select(Refund).where(Refund.payment_id == payment_id,
                                                Refund.idempotency_key == key))
    if found is not None and (money(found.amount), found.currency, found.reason) != \
            (money(amount), currency, reason):
        raise Invalid("this Idempotency-Key was used for another refund; use a new key")
    return found


def refund_payment(session: Session, *, provider: PaymentProvider, principal: Principal,
                   payment_id: uuid.UUID, idempotency_key: str, amount: Decimal,
                   currency: str, reason: str) -> Recorded:
    """Refund (part of) a payment, once per Idempotency-Key: never more than was paid and
    not refunded; the amount goes back to the invoice's balance, and an online payment's
    refund is sent to the provider (after the refund is committed)."""
    org = _desk_org(principal)
    payment = session.scalar(select(Payment).where(Payment.id == payment_id,
                                                   Payment.organization_id == org))
    if payment is None:
        raise _not_found("payment")
    first = _refund_replay(session, payment.id, idempotency_key, amount, currency, reason)
    if first is not None:
        send_refunds(session, provider=provider, payment=payment, refunds=[first])
        return Recorded(first, replayed=True)
    if payment.method == PaymentMethod.insurer.value:
        raise Conflict("an insurer's settlement is corrected on the claim, not refunded here")
    if currency != payment.currency:
        raise Invalid(f"the payment is in {payment.currency}")
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.refunded_amount + amount <= Payment.amount)
        .values(refunded_amount=Payment.refunded_amount + amount)
        .returning(Payment.id)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if moved is None:
        raise Conflict("more than what is left of the payment to refund")
    if give_back(session, invoice_id=payment.invoice_id, amount=amount,
                 settled=Settled.paid) is None:
        raise Conflict("the invoice takes no refund (void, or less paid than this)")
    refund = Refund(organization_id=org, payment_id=payment.id, amount=amount,
                    currency=currency, reason=reason, idempotency_key=idempotency_key,
                    created_by=principal.user_id, created_at=utcnow())
    session.add(refund)
    first_refund = flush_or_replay(session, lambda: _refund_replay(
        session, payment_id, idempotency_key, amount, currency, reason))
    if first_refund is not None:
        return Recorded(first_refund, replayed=True)
    if payment.method == PaymentMethod.online.value:
        session.commit()
        send_refunds(session, provider=provider, payment=payment, refunds=[refund])
    return Recorded(refund, replayed=False)


def send_refunds(session: Session, *, provider: PaymentProvider, payment: Payment,
                 refunds: list[Refund]) -> None:
    """Send committed refunds of an online payment that the provider has not confirmed yet
    (once each: the refund's id is the provider's idempotency key)."""
    if payment.method != PaymentMethod.online.value or payment.intent_id is None:
        return
    pending = [r for r in refunds if r.provider_ref is None]
    if not pending:
        return
    intent = session.get(PaymentIntent, payment.intent_id)
    assert intent is not None
    for refund in pending:
        try:
            sent = provider.refund(intent.provider_ref, money(refund.amount),
                                   idempotency_key=f"ohms-refund-{refund.id}")
        except ProviderError:
            log.warning("provider refund failed", extra={"refund": str(refund.id)})
            raise Unavailable("the payment provider did not take the refund yet: it is "
                              "recorded; send the same request again to finish it") from None
        session.execute(update(Refund).where(Refund.id == refund.id,
                                             Refund.provider_ref.is_(None))
                        .values(provider_ref=sent.ref)
                        .execution_options(synchronize_session=False))
        refund.provider_ref = sent.ref


# --- online payments --------------------------------------------------------------------------


def _intent_replay(session: Session, principal: Principal, key: str, invoice_id: uuid.UUID,
                   amount: Decimal | None) -> PaymentIntent | None:
    found = session.scalar(select(PaymentIntent).where(
        PaymentIntent.patient_id == principal.user_id, PaymentIntent.idempotency_key == key))
    if found is not None and (found.invoice_id != invoice_id or (
            amount is not None and money(found.amount) != money(amount))):
        raise Invalid("this Idempotency-Key was used for another payment; use a new key")
    return found


def create_intent(session: Session, *, provider: PaymentProvider, principal: Principal,
                  invoice_id: uuid.UUID, idempotency_key: str | None,
                  amount: Decimal | None, currency: str | None,
                  public_url: str) -> Recorded:
    """The patient's intent to pay (part of) their issued invoice online: created at the
    provider (whose checkout page the patient is sent to), then recorded."""
    if idempotency_key is not None:
        first = _intent_replay(session, principal, idempotency_key, invoice_id, amount)
        if first is not None:
            return Recorded(first, replayed=True)
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id,
                                                   Invoice.patient_id == principal.user_id))
    if invoice is None:
        raise _not_found()
    _payable(invoice, amount, currency)
    to_pay = money(amount if amount is not None else invoice.balance)
    merchant = session.scalar(select(Organization.name)
                              .where(Organization.id == invoice.organization_id)) or ""
    intent_id = uuid.uuid4()
    provider_key = (f"{principal.user_id}:{idempotency_key}" if idempotency_key is not None
                    else f"ohms-intent-{intent_id}")
    base = public_url.rstrip("/")
    try:
        made = provider.create_intent(
            to_pay, invoice.currency, idempotency_key=provider_key,
            metadata={"intent_id": str(intent_id), "invoice_id": str(invoice.id),
                      "organization_id": str(invoice.organization_id),
                      "merchant": merchant, "description": f"Invoice {invoice.number}"},
            # The portal's bills screen, which waits there for the webhook to settle it.
            return_url=f"{base}/#/bills?invoice={invoice.id}&intent={intent_id}")
    except ProviderError:
        raise Unavailable("the payment provider is unavailable; try again shortly") from None
    intent = PaymentIntent(
        # The provider's id when it is ours (the simulator names its intent after ours, also
        # when it answers a retry with the intent a lost earlier attempt made).
        id=_uuid_or(made.ref, intent_id),
        organization_id=invoice.organization_id, invoice_id=invoice.id,
        patient_id=principal.user_id, amount=to_pay, currency=invoice.currency,
        status=IntentStatus.requires_payment.value, provider=provider.name,
        provider_ref=made.ref, checkout_url=made.checkout_url,
        idempotency_key=idempotency_key, created_at=utcnow())
    session.add(intent)
    first = flush_or_replay(session, lambda: (
        _intent_replay(session, principal, idempotency_key, invoice_id, amount)
        if idempotency_key is not None else None))
    return (Recorded(first, replayed=True) if first is not None
            else Recorded(intent, replayed=False))


def _uuid_or(text: str, default: uuid.UUID) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        return default


def get_intent(session: Session, *, principal: Principal,
               intent_id: uuid.UUID) -> PaymentIntent:
    intent = session.scalar(select(PaymentIntent).where(
        PaymentIntent.id == intent_id, PaymentIntent.patient_id == principal.user_id))
    if intent is None:
        raise _not_found("payment intent")
    return intent


# --- the provider's webhook -------------------------------------------------------------------


@dataclass(frozen=True)
class PaidIntent:
    """What a `payment_intent.succeeded` event says was paid."""

    ref: str
    amount: Decimal
    currency: str


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise BadRequest("the event is not one this endpoint understands")
    return value


def _paid_intent(event: dict[str, Any]) -> PaidIntent:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise BadRequest("the event has no data.object")
    try:
        amount = Decimal(_text(obj.get("amount"), 20))
    except InvalidOperation:
        raise BadRequest("the event's amount is not a decimal") from None
    return PaidIntent(ref=_text(obj.get("id"), 100), amount=amount,
                      currency=_text(obj.get("currency"), 3))


def receive_webhook(session: Session, *, provider: PaymentProvider,
                    event: dict[str, Any]) -> bool:
    """Apply a verified provider event once; True when it had been received before (nothing
    done again, except sending refunds the provider had not confirmed yet)."""
    event_id = _text(event.get("id"), 100)
    kind = _text(event.get("type"), 64)
    paid = _paid_intent(event) if kind == INTENT_SUCCEEDED else None
    session.add(WebhookEvent(provider=provider.name, event_id=event_id, type=kind,
                             received_at=utcnow()))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        if paid is not None:
            _resend_refunds(session, provider, paid)
        return True
    if paid is not None:
        _settle_intent(session, provider, paid)
    return False


def _intent_of(session: Session, provider: PaymentProvider,
               paid: PaidIntent) -> PaymentIntent | None:
    return session.scalar(select(PaymentIntent).where(PaymentIntent.provider == provider.name,
                                                      PaymentIntent.provider_ref == paid.ref))


def _resend_refunds(session: Session, provider: PaymentProvider, paid: PaidIntent) -> None:
    intent = _intent_of(session, provider, paid)
    payment = None if intent is None else session.scalar(
        select(Payment).where(Payment.intent_id == intent.id))
    if payment is not None:
        refunds = list(session.scalars(select(Refund).where(Refund.payment_id == payment.id,
                                                             Refund.provider_ref.is_(None))))
        send_refunds(session, provider=provider, payment=payment, refunds=refunds)


def _settle_intent(session: Session, provider: PaymentProvider, paid: PaidIntent) -> None:
    """The intent succeeded: its payment is recorded and taken from the invoice's balance; a
    balance that fell below the intent meanwhile (paid at the desk) is settled and the excess
    refunded through the provider; the balance never goes below zero."""
    intent = _intent_of(session, provider, paid)
    if intent is None:
        log.warning("webhook for an unknown payment intent", extra={"provider": provider.name})
        return
    if (money(paid.amount), paid.currency) != (money(intent.amount), intent.currency):
        log.error("webhook amount differs from the intent's", extra={"intent": str(intent.id)})
        return
    moved = session.execute(
        update(PaymentIntent)
        .where(PaymentIntent.id == intent.id,
               PaymentIntent.status == IntentStatus.requires_payment.value)
        .values(status=IntentStatus.succeeded.value, succeeded_at=utcnow())
        .returning(PaymentIntent.id)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if moved is None:
        return  # already settled by another event of the same intent
    amount = money(intent.amount)
    taken = amount
    if take(session, invoice_id=intent.invoice_id, amount=amount,
            settled=Settled.paid) is None:
        # Less is owed than the intent: settle what is left (the invoice locked meanwhile).
        invoice = session.scalar(select(Invoice).where(Invoice.id == intent.invoice_id)
                                 .with_for_update()
                                 .execution_options(populate_existing=True))
        assert invoice is not None
        payable = invoice.status in {s.value for s in PAYABLE}
        taken = min(money(invoice.balance), amount) if payable else Decimal(0)
        if taken > 0 and take(session, invoice_id=invoice.id, amount=taken,
                              settled=Settled.paid) is None:
            raise RuntimeError("the locked invoice refused its own balance")
    excess = amount - taken
    payment = Payment(organization_id=intent.organization_id, invoice_id=intent.invoice_id,
                      method=PaymentMethod.online.value, amount=amount,
                      currency=intent.currency, refunded_amount=excess, intent_id=intent.id,
                      reference=intent.provider_ref, created_at=utcnow())
    session.add(payment)
    session.flush()
    if excess > 0:
        refund = Refund(organization_id=intent.organization_id, payment_id=payment.id,
                        amount=excess, currency=intent.currency, reason=EXCESS_REASON,
                        idempotency_key=f"excess-of-intent-{intent.id}", created_at=utcnow())
        session.add(refund)
        session.commit()
        send_refunds(session, provider=provider, payment=payment, refunds=[refund])

