"""The payment-provider port: what OHMS asks of an online payment provider, shaped like real
ones (Stripe's PaymentIntents, Razorpay's orders): an intent to pay an amount, created once
per idempotency key and paid by the customer on the provider's own checkout page; a signed
webhook telling that it was paid; refunds, once per idempotency key.

Adapters: `api.payments.simulator.SimulatedProvider`, the embedded default (settings
`payment_provider = "simulated"`). A real adapter is a class with these three methods that
calls the provider's HTTP API (its secret key from a setting, its idempotency keys passed
through as the provider's own header) and verifies the provider's webhooks with the
provider's scheme; `api.composition.build_payment_provider` picks it from the setting. The
payments service only ever talks to this Protocol."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from api.payments.signatures import WebhookRejected

__all__ = ["PaymentProvider", "ProviderError", "ProviderIntent", "ProviderRefund",
           "WebhookRejected"]


@dataclass(frozen=True)
class ProviderIntent:
    ref: str            # the provider's id of the intent
    status: str         # "requires_payment" until the customer pays
    checkout_url: str   # the provider's page where the customer pays


@dataclass(frozen=True)
class ProviderRefund:
    ref: str
    status: str         # "succeeded" (or "pending" at providers that settle later)


class ProviderError(Exception):
    """The provider could not be reached or refused the request (nothing known to be done);
    the same call may be made again with the same idempotency key."""


class PaymentProvider(Protocol):
    name: str

    def create_intent(self, amount: Decimal, currency: str, *, idempotency_key: str,
                      metadata: dict[str, str], return_url: str) -> ProviderIntent:
        """An intent to pay `amount`; the same key answers the same intent."""
        ...

    def refund(self, ref: str, amount: Decimal, *, idempotency_key: str) -> ProviderRefund:
        """Give back `amount` of the paid intent `ref`; the same key refunds once."""
        ...

    def verify_webhook(self, body: bytes, signature_header: str, now: int) -> dict[str, Any]:
        """The event of a webhook delivery, or WebhookRejected (bad or missing signature,
        timestamp outside the tolerance window, a body that is not an event)."""
        ...
