"""Response bodies of the reports. Money is a decimal string with its ISO 4217 currency
(`{"amount": "590.00", "currency": "INR"}`), never a float; an organisation billing in
several currencies gets rows (and totals) per currency, never sums across them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.reports.service import AgeBucket, RevenueBy


class Money(BaseModel):
    amount: Decimal = Field(description='A decimal string, such as "590.00"')
    currency: str


class RevenueRowOut(BaseModel):
    key: str | None = Field(description='The service ("<code system>|<code>") or the '
                                        "department; null for an uncoded manual line or a "
                                        "line of no department")
    label: str = Field(description="The service's description, or the department's name "
                                   '("Unassigned" when none)')
    currency: str
    count: int = Field(description="Lines invoiced (credit notes' lines are not counted)")
    net: Money = Field(description="Net of credit notes")
    tax: Money
    total: Money


class RevenueTotalOut(BaseModel):
    currency: str
    count: int
    net: Money
    tax: Money
    total: Money


class RevenueOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    by: RevenueBy
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[RevenueRowOut]
    totals: list[RevenueTotalOut] = Field(description="One per currency")


class BucketOut(BaseModel):
    bucket: AgeBucket = Field(description="Days since issue")
    currency: str
    count: int
    balance: Money


class OwedInvoiceOut(BaseModel):
    id: uuid.UUID
    number: str
    patient: str = Field(description="The patient's UHID")
    issued_at: datetime
    age_days: int
    balance: Money


class ReceivablesOut(BaseModel):
    as_of: date
    buckets: list[BucketOut] = Field(description="Every bucket of every currency owed")
    oldest: list[OwedInvoiceOut] = Field(description="The 20 oldest invoices still owed")


class ClaimsRowOut(BaseModel):
    status: str
    insurer: uuid.UUID
    insurer_name: str
    currency: str
    count: int
    claimed: Money
    approved: Money


class ClaimsReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[ClaimsRowOut]
