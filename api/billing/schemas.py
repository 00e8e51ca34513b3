"""Request and response bodies of charges, invoices and credit notes. Money is a decimal
string with an ISO 4217 currency (`{"amount": "500.00", "currency": "INR"}`), never a float;
a tax rate is a decimal string ("0.18" is 18 %)."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from api.billing.models import InvoiceKind, InvoiceStatus
from api.text import DisplayName

MAX_QUANTITY = 1_000_000
MAX_CREDIT_LINES = 200
FIRST_YEAR, LAST_YEAR = 2000, 2199


def _decimal_text(value: Any) -> Any:
    # A JSON number would have passed through a binary float on many clients: amounts and
    # rates are written as decimal strings, as they are answered.
    if not isinstance(value, str | Decimal):
        raise ValueError('write it as a decimal string, such as "12.50"')
    return value


def _printable(value: str) -> str:
    # As a display name (api.text): no controls, bidi overrides or zero-width characters
    # that would hide or reorder what the desk and the patient read.
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}
           and c not in "\u200c\u200d" for c in value):
        raise ValueError("the text holds control or formatting characters")
    return unicodedata.normalize("NFC", value.strip())


def _in_service_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Amount = Annotated[Decimal, BeforeValidator(_decimal_text),
                   Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False,
                         description='A decimal string, such as "500.00"')]
# A unit price may carry four decimals (a tablet's price).
UnitAmount = Annotated[Decimal, BeforeValidator(_decimal_text),
                       Field(ge=0, max_digits=14, decimal_places=4, allow_inf_nan=False,
                             description='A decimal string, such as "12.5000"')]
TaxRate = Annotated[Decimal, BeforeValidator(_decimal_text),
                    Field(ge=0, lt=1, max_digits=5, decimal_places=4, allow_inf_nan=False,
                          description='A decimal string: "0.18" is 18 %')]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"\S"),
                   AfterValidator(_printable),
                   Field(description="Why (free text of the desk, kept; never clinical)")]
ServiceDay = Annotated[date, AfterValidator(_in_service_years)]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.:_-]*$"
SYSTEM_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+$"


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount
    currency: Currency


class UnitPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: UnitAmount
    currency: Currency


class Coding(BaseModel):
    """A service code: LOINC, RxNorm, a specialty's consultation code, a local code."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=200, pattern=SYSTEM_PATTERN,
                        description="The code system's URI")
    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    display: DisplayName


class ChargeCreate(BaseModel):
    """A manual charge: added to the organisation's draft invoice for the patient and currency
    (made if there is none)."""

    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=1, max_length=32, description="The patient's UHID")
    description: DisplayName = Field(description="The service's name, as the invoice shows it")
    code: Coding | None = None
    quantity: int = Field(strict=True, gt=0, le=MAX_QUANTITY)
    unit_price: UnitPrice
    tax_rate: TaxRate
    reason: Reason
    department: Annotated[DisplayName, Field(max_length=100)] | None = None
    service_date: ServiceDay | None = Field(default=None,
                                            description="The day the service was given "
                                                        "(today if left out)")


class OrganizationRef(BaseModel):
    id: uuid.UUID
    name: str


class LineOut(BaseModel):
    id: uuid.UUID
    description: str
    code: Coding | None
    department: str | None
    service_date: date
    quantity: int
    unit_price: UnitPrice
    tax_rate: Decimal
    net: Money
    tax: Money
    amount: Money = Field(description="The line's total: net plus tax")
    credit_of: uuid.UUID | None = Field(description="A credit note's line: the line it credits")
    manual_reason: str | None


class InvoiceOut(BaseModel):
    id: uuid.UUID
    kind: InvoiceKind
    number: str | None = Field(description="INV-<year>-<sequence> (CN- for a credit note); "
                                            "none while a draft")
    status: InvoiceStatus
    currency: str
    patient: str = Field(description="The patient's UHID")
    organization: OrganizationRef
    lines: list[LineOut]
    net_total: Money
    tax_total: Money
    total: Money
    paid_total: Money
    insurer_total: Money
    credited_total: Money
    balance: Money = Field(description="What the patient still owes")
    issued_at: datetime | None
    credit_of: uuid.UUID | None = Field(description="A credit note's invoice")
    reason: str | None
    created_at: datetime


class ChargeOut(LineOut):
    invoice: InvoiceOut


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class CreditLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge: uuid.UUID = Field(description="A line of the invoice")
    amount: Money = Field(description="How much of the line's total to credit (tax included)")


class CreditNoteCreate(BaseModel):
    """A credit note: `lines` names how much of which lines; left out, every line is credited
    for what is left of it (the whole invoice)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    lines: list[CreditLineIn] | None = Field(default=None, min_length=1,
                                             max_length=MAX_CREDIT_LINES)
