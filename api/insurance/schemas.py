"""Request and response bodies of coverages, eligibility, claims and adjudication. Money is a
decimal string with an ISO 4217 currency (`{"amount": "500.00", "currency": "INR"}`), never a
float; a co-insurance is a decimal string between 0 and 1 ("0.20" is 20 %)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from api.insurance.models import ClaimStatus
from api.text import DisplayName

FIRST_YEAR, LAST_YEAR = 2000, 2199
MAX_ITEMS = 500


def _in_service_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _decimal_text(value: Any) -> Any:
    # A JSON number would have passed through a binary float on many clients: amounts and
    # rates are written as decimal strings, as they are answered.
    if not isinstance(value, str | Decimal):
        raise ValueError('write the value as a decimal string, such as "12.50"')
    return value


Day = Annotated[date, AfterValidator(_in_service_years)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Amount = Annotated[Decimal, BeforeValidator(_decimal_text),
                   Field(ge=0, max_digits=12, decimal_places=2,
                         description='A decimal string, such as "12.50"')]
Rate = Annotated[Decimal, BeforeValidator(_decimal_text),
                 Field(ge=0, le=1, max_digits=5, decimal_places=4,
                       description='A fraction between 0 and 1 as a decimal string, such as '
                                   '"0.20" (20 %)')]
MemberId = Annotated[str, Field(min_length=1, max_length=64,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]*$",
                                description="The member's number at the insurer")]
Reason = Annotated[DisplayName, Field(max_length=500)]


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount
    currency: Currency


# --- coverages ------------------------------------------------------------------------------


class CoverageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    insurer: uuid.UUID = Field(description="The insurer (an organisation of kind insurer)")
    member_id: MemberId
    plan: Annotated[DisplayName, Field(max_length=100)]
    valid_from: Day
    valid_to: Day
    copay: Money = Field(description="Paid by the patient per claim before the insurer's share")
    coinsurance: Rate = Field(description="The patient's fraction of the rest")


class CoverageOut(BaseModel):
    id: uuid.UUID
    patient: str = Field(description="The patient's UHID")
    insurer: uuid.UUID
    insurer_name: str
    member_id: str
    plan: str
    valid_from: date
    valid_to: date
    copay: Money
    coinsurance: Decimal
    active: bool
    created_at: datetime


class EligibilityOut(BaseModel):
    coverage: uuid.UUID
    on: date
    eligible: bool
    reasons: list[str] = Field(description="Why not (empty when eligible)")
    insurer: uuid.UUID
    plan: str
    copay: Money
    coinsurance: Decimal


# --- claims ---------------------------------------------------------------------------------


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice: uuid.UUID
    coverage: uuid.UUID


class ClaimItemOut(BaseModel):
    sequence: int
    code_system: str | None
    code: str | None
    description: str
    amount: Money
    approved_amount: Money | None
    record_id: uuid.UUID | None


class ClaimOut(BaseModel):
    id: uuid.UUID
    status: ClaimStatus
    invoice: uuid.UUID
    coverage: uuid.UUID
    organization: uuid.UUID
    insurer: uuid.UUID
    patient: str = Field(description="The patient's UHID")
    provider_name: str = Field(description="The billing organisation's name")
    insurer_name: str
    total: Money
    approved_amount: Money | None
    reason: str | None
    items: list[ClaimItemOut]
    submitted_at: datetime
    adjudicated_at: datetime | None


class Outcome(BaseModel):
    """The insurer's decision on one item."""

    model_config = ConfigDict(extra="forbid")

    sequence: int = Field(strict=True, ge=1, le=MAX_ITEMS)
    approved_amount: Money


class AdjudicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Annotated[str, Field(pattern=r"^(approved|partial|denied)$")]
    approved_amount: Money | None = Field(
        default=None, description="approved: defaults to what the coverage pays; partial: "
                                  "required, below the claim's total; denied: 0 or omitted")
    reason: Reason | None = Field(default=None, description="Required for a denial; never "
                                                              "clinical detail")
    items: list[Outcome] | None = Field(default=None, max_length=MAX_ITEMS,
                                        description="Amounts per item, summing to "
                                                    "approved_amount")
