"""HTTP routes of the organisation's price list and of the billable events awaiting a price.
Every route works in the caller's tenant session."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api.billing import prices
from api.billing.models import BillableEvent, BillableEventKind, BillableEventStatus, PriceItem
from api.billing.price_schemas import (
    CODE_PATTERN,
    SYSTEM_PATTERN,
    BillableEventOut,
    Coding,
    Day,
    PriceItemCreate,
    PriceItemOut,
    PriceOut,
)
from api.deps import Principal, TenantDB, require
from api.errors import problem_responses
from api.paging import Page

router = APIRouter(tags=["billing"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
_FOUR_PLACES = Decimal("0.0001")
_TWO_PLACES = Decimal("0.01")


def decimal_text(value: Decimal) -> str:
    """At least two decimals, at most four, as stored (SQLite hands NUMERIC back without its
    scale): "500.00", "0.18", "12.3456"."""
    exact = Decimal(value).quantize(_FOUR_PLACES)
    two = exact.quantize(_TWO_PLACES)
    return str(two if two == exact else exact.normalize())


def _price_item_out(item: PriceItem) -> PriceItemOut:
    return PriceItemOut(
        id=item.id,
        code=Coding.model_construct(system=item.code_system, code=item.code,
                                    display=item.display),
        price=PriceOut(amount=decimal_text(item.price_amount), currency=item.price_currency),
        tax_rate=decimal_text(item.tax_rate), valid_from=item.valid_from,
        department=item.department, created_at=item.created_at)


def _event_out(event: BillableEvent) -> BillableEventOut:
    return BillableEventOut(
        id=event.id, kind=BillableEventKind(event.kind),
        status=BillableEventStatus(event.status),
        code=Coding.model_construct(system=event.code_system, code=event.code,
                                    display=event.display),
        quantity=event.quantity, patient=event.patient_uhid, occurred_at=event.occurred_at,
        department=event.department, attempts=event.attempts)


@router.post("/price-items", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def add_price_item(
    body: PriceItemCreate,
    principal: Annotated[Principal, Depends(require("price:write"))], db: TenantDB,
) -> PriceItemOut:
    """A price of your organisation for a service code, in force from `valid_from` (today,
    UTC, if left out). A new price of the code from a later day is a new version: charges
    take the version in force on the day the service was given. 409 if the code already has
    a version from that day. Events of the code waiting for a price are charged with it."""
    item = prices.add_price(
        db, principal=principal,
        code=prices.ServiceCode(body.code.system, body.code.code, body.code.display),
        amount=body.price.amount, currency=body.price.currency, tax_rate=body.tax_rate,
        valid_from=body.valid_from, department=body.department)
    return _price_item_out(item)


@router.get("/price-items", responses=ERRORS)
def list_price_items(
    principal: Annotated[Principal, Depends(require("price:read"))], db: TenantDB,
    page: Page,
    code: Annotated[str | None, Query(max_length=64, pattern=CODE_PATTERN,
                                      description="Every version of this code")] = None,
    system: Annotated[str | None, Query(max_length=200, pattern=SYSTEM_PATTERN,
                                        description="Codes of this system only")] = None,
    on: Annotated[Day | None, Query(description="The versions in force on this day (UTC; "
                                                "today if left out)")] = None,
) -> list[PriceItemOut]:
    """Your organisation's price list: the version of each code in force on `on`, by code;
    or, with `code`, every version of that code, newest first."""
    items = prices.list_prices(db, principal=principal, system=system, code=code, on=on,
                               page=page)
    return [_price_item_out(i) for i in items]


@router.get("/billable-events", responses=ERRORS)
def list_billable_events(
    principal: Annotated[Principal, Depends(require("billing:read"))], db: TenantDB,
    page: Page,
    status: Annotated[BillableEventStatus, Query(
        description="`unpriced`: no price in force for the code on the service day; a "
                    "price added for the code charges them")] = BillableEventStatus.unpriced,
) -> list[BillableEventOut]:
    """Your organisation's billable events (the services the workflows reported), oldest
    first: by default those the desk must price."""
    events = prices.list_billable_events(db, principal=principal, status=status, page=page)
    return [_event_out(e) for e in events]
