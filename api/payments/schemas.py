"""Request and response bodies of payments, refunds and payment intents. Money is a decimal
string with an ISO 4217 currency (`{"amount": "500.00", "currency": "INR"}`), never a float;
an amount paid or refunded is positive, with at most two decimals."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from api.payments.models import IntentStatus
from api.text import DisplayName

# A card number (13 to 19 digits, perhaps grouped by spaces or dashes) must never be stored.
_CARD_NUMBER = re.compile(r"(?:\d[ -]?){12,18}\d")


def _decimal_text(value: Any) -> Any:
    # A JSON number would have passed through a binary float on many clients: amounts are
    # written as decimal strings, as they are answered.
    if not isinstance(value, str | Decimal):
        raise ValueError('write the amount as a decimal string, such as "500.00"')
    return value


def _no_card_number(value: str) -> str:
    if _CARD_NUMBER.search(value):
        raise ValueError("looks like a card number: record the terminal's authorisation code "
                         "or the receipt number, never card data")
    return value


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
PositiveAmount = Annotated[Decimal, BeforeValidator(_decimal_text),
                           Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False,
                                 description='A positive decimal string, such as "500.00"')]
Reference = Annotated[str, Field(min_length=1, max_length=100,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./_#-]*$",
                                 description="The card terminal's authorisation code or the "
                                             "receipt number (never a card number)"),
                      AfterValidator(_no_card_number)]


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveAmount
    currency: Currency


class MoneyOut(BaseModel):
    amount: Decimal
    currency: str


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["cash", "card"]
    amount: Money
    reference: Reference | None = None


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money
    reason: DisplayName


class IntentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money | None = Field(default=None,
                                 description="Default: the whole balance; at most the balance")


class PaymentOut(BaseModel):
    id: uuid.UUID
    invoice: uuid.UUID
    method: str
    amount: MoneyOut
    refunded: MoneyOut
    reference: str | None
    created_at: datetime


class RefundOut(BaseModel):
    id: uuid.UUID
    payment: uuid.UUID
    invoice: uuid.UUID
    amount: MoneyOut
    reason: str
    created_at: datetime


class IntentOut(BaseModel):
    id: uuid.UUID
    invoice: uuid.UUID
    amount: MoneyOut
    status: IntentStatus
    checkout_url: str
    created_at: datetime
    succeeded_at: datetime | None


class WebhookReceived(BaseModel):
    received: bool = True
    duplicate: bool = Field(description="The event had been received before: nothing done")
