"""Request and response bodies of the price list and of the billable events awaiting a price.
Money and rates are decimal strings (`{"amount": "500.00", "currency": "INR"}`,
`"tax_rate": "0.18"`), never JSON numbers: a number may have passed through a binary float
on the client."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from api.billing.models import BillableEventKind, BillableEventStatus
from api.text import DisplayName

FIRST_YEAR, LAST_YEAR = 2000, 2199
# A service code, and a code system's URI: printable ASCII only.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.:_-]*$"
SYSTEM_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def _decimal_text(value: Any) -> Any:
    if not isinstance(value, str | Decimal):
        raise ValueError('write it as a decimal string, such as "500.00" or "0.18"')
    return value


def _in_service_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Day = Annotated[date, AfterValidator(_in_service_years)]
# A unit price may carry four decimals (a tablet's price); a rate four (0.1800 is 18 %).
UnitPrice = Annotated[Decimal, BeforeValidator(_decimal_text),
                      Field(ge=0, max_digits=14, decimal_places=4,
                            description='A decimal string, such as "500.00"')]
TaxRate = Annotated[Decimal, BeforeValidator(_decimal_text),
                    Field(ge=0, lt=1, max_digits=5, decimal_places=4,
                          description='A decimal string from "0" to below "1", such as '
                                      '"0.18" for 18 %')]
Department = Annotated[DisplayName, Field(max_length=100)]


class Coding(BaseModel):
    """A service code: a consultation (https://ohms.health/fhir/CodeSystem/consultation), a
    LOINC test, an imaging procedure, an RxNorm product."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=200, pattern=SYSTEM_PATTERN,
                        description="The code system's URI")
    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    display: DisplayName


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: UnitPrice
    currency: str = Field(pattern=CURRENCY_PATTERN, description="ISO 4217 code")


class PriceItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Coding
    price: Price = Field(description="The price of one unit, before tax")
    tax_rate: TaxRate
    valid_from: Day | None = Field(default=None,
                                   description="In force from this day (UTC); today if left out")
    department: Department | None = Field(default=None,
                                          description="Where its revenue is reported")


class PriceOut(BaseModel):
    amount: str = Field(description="A decimal string")
    currency: str


class PriceItemOut(BaseModel):
    id: uuid.UUID
    code: Coding
    price: PriceOut
    tax_rate: str = Field(description="A decimal string")
    valid_from: date
    department: str | None
    created_at: datetime


class BillableEventOut(BaseModel):
    id: uuid.UUID
    kind: BillableEventKind
    status: BillableEventStatus
    code: Coding
    quantity: int
    patient: str | None = Field(description="The patient's UHID")
    occurred_at: datetime
    department: str | None
    attempts: int = Field(description="Times the charging worker has looked at it")
