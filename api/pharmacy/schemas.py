"""Request and response bodies of the catalogue, stock and purchase orders. Money is a decimal
string with an ISO 4217 currency (`{"amount": "12.50", "currency": "INR"}`), never a float;
quantities are positive whole numbers."""

from __future__ import annotations

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

from api.pharmacy.models import PurchaseOrderStatus
from api.text import DisplayName

FIRST_YEAR, LAST_YEAR = 2000, 2199
MAX_QUANTITY = 1_000_000
MAX_LINES = 100


def _in_service_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _decimal_text(value: Any) -> Any:
    # A JSON number would have passed through a binary float on many clients: amounts are
    # written as decimal strings, as they are answered.
    if not isinstance(value, str | Decimal):
        raise ValueError('write the amount as a decimal string, such as "12.50"')
    return value


Day = Annotated[date, AfterValidator(_in_service_years)]
# A medication code, and a code system's URI: printable ASCII only.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.:_-]*$"
SYSTEM_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+$"
ShortText = Annotated[DisplayName, StringConstraints(max_length=100)]
MAX_PACK_SIZE = 100_000
Quantity = Annotated[int, Field(strict=True, gt=0, le=MAX_QUANTITY,
                                description="A positive whole number")]
LotNumber = Annotated[str, Field(min_length=1, max_length=64,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]*$",
                                 description="The manufacturer's lot (batch) number")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Amount = Annotated[Decimal, BeforeValidator(_decimal_text),
                   Field(ge=0, max_digits=12, decimal_places=2,
                         description='A decimal string, such as "12.50"')]


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount
    currency: Currency


class UnitCost(BaseModel):
    """The cost of one dispensing unit (a pack's price over its size): four decimals."""

    amount: Decimal
    currency: str


class Coding(BaseModel):
    """A medication code: RxNorm (`http://www.nlm.nih.gov/research/umls/rxnorm`) as a rule."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=200, pattern=SYSTEM_PATTERN,
                        description="The code system's URI")
    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    display: DisplayName


# --- catalogue ----------------------------------------------------------------------------


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName
    code: Coding
    strength: ShortText = Field(description='Such as "500 mg"')
    form: ShortText = Field(description='Such as "capsule"')
    pack_size: int = Field(strict=True, gt=0, le=MAX_PACK_SIZE,
                           description="Dispensing units in one pack")
    price: Money = Field(description="Price of one pack")
    available: bool = True


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: Money | None = None
    available: bool | None = None


class ProductOut(BaseModel):
    id: uuid.UUID
    vendor: uuid.UUID
    vendor_name: str
    name: str
    code: Coding
    strength: str
    form: str
    pack_size: int
    price: Money
    available: bool


class RecallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot_number: LotNumber


class RecallOut(BaseModel):
    id: uuid.UUID
    product: uuid.UUID
    lot_number: str
    recalled_at: datetime


# --- stock ----------------------------------------------------------------------------------


class LotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medication: Coding
    lot_number: LotNumber
    expiry: Day = Field(description="Usable through this day")
    quantity: Quantity = Field(description="Dispensing units")
    reorder_point: int | None = Field(default=None, strict=True, ge=0, le=MAX_QUANTITY,
                                      description="Sets the item's reorder point")
    unit_cost: Money | None = Field(default=None, description="Cost of one unit")


class LotOut(BaseModel):
    id: uuid.UUID
    item: uuid.UUID
    medication: Coding
    lot_number: str
    expiry: date
    quantity: int = Field(description="Units left")
    received_quantity: int
    unit_cost: UnitCost | None
    product: uuid.UUID | None
    purchase_order: uuid.UUID | None
    expired: bool
    recalled: bool
    dispensable: bool = Field(description="Units left, not expired and not recalled")


class ItemOut(BaseModel):
    id: uuid.UUID
    medication: Coding
    on_hand: int = Field(description="Units in every lot (expired and recalled ones too)")
    dispensable: int = Field(description="Units in lots neither expired nor recalled")
    reorder_point: int
    below_reorder_point: bool


class ReorderPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reorder_point: int = Field(strict=True, ge=0, le=MAX_QUANTITY)


# --- purchase orders -------------------------------------------------------------------------


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: uuid.UUID
    quantity: Quantity = Field(description="Packs of the product")


class PurchaseOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor: uuid.UUID = Field(description="The drug vendor's organisation id")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class OrderLineOut(BaseModel):
    product: uuid.UUID
    name: str
    code: Coding
    strength: str
    form: str
    pack_size: int
    quantity: int = Field(description="Packs ordered")
    received: int = Field(description="Packs received")
    unit_price: Money


class PurchaseOrderOut(BaseModel):
    id: uuid.UUID
    status: PurchaseOrderStatus
    pharmacy: uuid.UUID
    pharmacy_name: str
    vendor: uuid.UUID
    vendor_name: str
    lines: list[OrderLineOut]
    total: Money
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    cancelled_at: datetime | None


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: uuid.UUID
    lot_number: LotNumber
    expiry: Day
    quantity: Quantity = Field(description="Packs received")


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_LINES)


class ReceiptOut(BaseModel):
    purchase_order: PurchaseOrderOut
    lots: list[LotOut] = Field(description="The lots received (units: packs x pack size)")
