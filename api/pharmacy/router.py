"""HTTP routes of the drug vendors' catalogue and recalls, a pharmacy's stock, and purchase
orders. Every route works in the caller's tenant session: the catalogue and recalls are
readable by every organisation and a purchase order by its two parties, under row-level
security (api/db/rls.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api.deps import Principal, TenantDB, require
from api.errors import problem_responses
from api.paging import Page
from api.pharmacy import service
from api.pharmacy.models import CatalogProduct, InventoryItem, LotRecall, PurchaseOrderStatus
from api.pharmacy.schemas import (
    CODE_PATTERN,
    Coding,
    ItemOut,
    LotCreate,
    LotOut,
    Money,
    OrderLineOut,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    PurchaseOrderCreate,
    PurchaseOrderOut,
    RecallCreate,
    RecallOut,
    ReceiptCreate,
    ReceiptOut,
    ReorderPointIn,
    UnitCost,
)
from api.text import DisplayName

router = APIRouter(tags=["pharmacy"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


def _money(amount: Decimal, currency: str) -> Money:
    # Two decimals as stored (SQLite hands NUMERIC back without its scale).
    return Money.model_construct(amount=Decimal(amount).quantize(service.CENTS),
                                 currency=currency)


def _medication(coding: Coding) -> service.Medication:
    return service.Medication(coding.system, coding.code, coding.display)


def _price(money: Money) -> service.Price:
    return service.Price(money.amount, money.currency)


def _product_out(product: CatalogProduct, vendor_name: str) -> ProductOut:
    return ProductOut(
        id=product.id, vendor=product.vendor_id, vendor_name=vendor_name, name=product.name,
        code=Coding(system=product.code_system, code=product.code,
                    display=product.code_display),
        strength=product.strength, form=product.form, pack_size=product.pack_size,
        price=_money(product.price_amount, product.price_currency),
        available=product.available)


def _item_coding(item: InventoryItem) -> Coding:
    return Coding(system=item.code_system, code=item.code, display=item.display)


def _lot_out(view: service.LotView) -> LotOut:
    lot = view.lot
    cost = None
    if lot.unit_cost_amount is not None and lot.unit_cost_currency:
        cost = UnitCost(amount=lot.unit_cost_amount.quantize(service.UNIT_COST_PLACES),
                        currency=lot.unit_cost_currency)
    return LotOut(
        id=lot.id, item=lot.item_id, medication=_item_coding(view.item),
        lot_number=lot.lot_number, expiry=lot.expiry, quantity=lot.quantity,
        received_quantity=lot.received_quantity, unit_cost=cost, product=lot.product_id,
        purchase_order=lot.purchase_order_id, expired=view.expired, recalled=view.recalled,
        dispensable=view.dispensable)


def _item_out(view: service.ItemView) -> ItemOut:
    item = view.item
    return ItemOut(id=item.id, medication=_item_coding(item), on_hand=item.on_hand,
                   dispensable=view.dispensable, reorder_point=item.reorder_point,
                   below_reorder_point=view.below_reorder_point)


def _order_out(view: service.OrderView) -> PurchaseOrderOut:
    order = view.order
    total = view.total
    return PurchaseOrderOut(
        id=order.id, status=PurchaseOrderStatus(order.status), pharmacy=order.pharmacy_id,
        pharmacy_name=view.pharmacy_name, vendor=order.vendor_id,
        vendor_name=view.vendor_name,
        lines=[OrderLineOut(
            product=product.id, name=product.name,
            code=Coding(system=product.code_system, code=product.code,
                        display=product.code_display),
            strength=product.strength, form=product.form, pack_size=product.pack_size,
            quantity=line.quantity, received=line.received,
            unit_price=_money(line.unit_price_amount, order.currency))
            for line, product in view.lines],
        total=_money(total.amount, total.currency), created_at=order.created_at,
        sent_at=order.sent_at, accepted_at=order.accepted_at,
        cancelled_at=order.cancelled_at)


def _recall_out(recall: LotRecall) -> RecallOut:
    return RecallOut(id=recall.id, product=recall.product_id, lot_number=recall.lot_number,
                     recalled_at=recall.created_at)


# --- catalogue --------------------------------------------------------------------------------


@router.post("/catalog/products", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_product(
    body: ProductCreate,
    principal: Annotated[Principal, Depends(require("catalog:write"))], db: TenantDB,
) -> ProductOut:
    """A product of your (drug vendor's) catalogue: the medication (RxNorm), strength, form,
    units per pack and the price of a pack."""
    product = service.create_product(
        db, principal=principal, name=body.name, medication=_medication(body.code),
        strength=body.strength, form=body.form, pack_size=body.pack_size,
        price=_price(body.price), available=body.available)
    names = service.organization_names(db, [product.vendor_id])
    return _product_out(product, names.get(product.vendor_id, ""))


@router.get("/catalog/products", responses=ERRORS)
def search_products(
    principal: Annotated[Principal, Depends(require("catalog:read"))], db: TenantDB,
    page: Page,
    q: Annotated[DisplayName | None, Query(max_length=100, description="Words of the name "
                                           "or medication, or its code")] = None,
    vendor: uuid.UUID | None = None,
    code: Annotated[str | None, Query(max_length=64, pattern=CODE_PATTERN,
                                      description="The medication code")] = None,
    available: bool | None = None,
) -> list[ProductOut]:
    """Every drug vendor's catalogue, by name."""
    products = service.search_products(db, q=q, vendor_id=vendor, code=code,
                                       available=available, page=page)
    names = service.organization_names(db, [p.vendor_id for p in products])
    return [_product_out(p, names.get(p.vendor_id, "")) for p in products]


@router.get("/catalog/products/{product_id}", responses=ERRORS)
def get_product(
    product_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("catalog:read"))], db: TenantDB,
) -> ProductOut:
    product = service.get_product(db, product_id)
    names = service.organization_names(db, [product.vendor_id])
    return _product_out(product, names.get(product.vendor_id, ""))


@router.patch("/catalog/products/{product_id}", responses=ERRORS)
def update_product(
    product_id: uuid.UUID, body: ProductUpdate,
    principal: Annotated[Principal, Depends(require("catalog:write"))], db: TenantDB,
) -> ProductOut:
    """Change a product's price (orders already made keep theirs) or availability."""
    product = service.update_product(
        db, principal=principal, product_id=product_id,
        price=_price(body.price) if body.price else None, available=body.available)
    names = service.organization_names(db, [product.vendor_id])
    return _product_out(product, names.get(product.vendor_id, ""))


@router.post("/catalog/products/{product_id}/recalls", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def recall_lot(
    product_id: uuid.UUID, body: RecallCreate,
    principal: Annotated[Principal, Depends(require("catalog:write"))], db: TenantDB,
) -> RecallOut:
    """Recall a lot of your product: no pharmacy dispenses from a lot of the same medication
    code and lot number from now on. Recalling it again answers the first recall."""
    return _recall_out(service.recall_lot(db, principal=principal, product_id=product_id,
                                          lot_number=body.lot_number))


# --- stock ------------------------------------------------------------------------------------


@router.post("/inventory/lots", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def add_lot(
    body: LotCreate,
    principal: Annotated[Principal, Depends(require("inventory:write"))], db: TenantDB,
) -> LotOut:
    """Units of a lot into your stock (an opening count, a transfer; deliveries of purchase
    orders come in through their receipts). 422 for a lot already expired."""
    return _lot_out(service.add_lot(
        db, principal=principal, medication=_medication(body.medication),
        lot_number=body.lot_number, expiry=body.expiry, quantity=body.quantity,
        reorder_point=body.reorder_point,
        unit_cost=_price(body.unit_cost) if body.unit_cost else None))


@router.get("/inventory/items", responses=ERRORS)
def list_items(
    principal: Annotated[Principal, Depends(require("inventory:read"))], db: TenantDB,
    page: Page, below_reorder_point: bool | None = None,
) -> list[ItemOut]:
    """Your stock per medication: units on hand, units that may be dispensed, the reorder
    point and whether stock is below it."""
    return [_item_out(v) for v in service.list_items(
        db, principal=principal, below_reorder_point=below_reorder_point, page=page)]


@router.get("/inventory/items/{item_id}/lots", responses=ERRORS)
def list_lots(
    item_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("inventory:read"))], db: TenantDB,
    page: Page, include_empty: bool = False,
) -> list[LotOut]:
    """The item's lots, first expiry first out: the order to dispense them in (expired and
    recalled lots are listed, marked, and not `dispensable`), one page."""
    return [_lot_out(v) for v in service.list_lots(db, principal=principal, item_id=item_id,
                                                   include_empty=include_empty, page=page)]


@router.put("/inventory/items/{item_id}/reorder-point", responses=ERRORS)
def set_reorder_point(
    item_id: uuid.UUID, body: ReorderPointIn,
    principal: Annotated[Principal, Depends(require("inventory:write"))], db: TenantDB,
) -> ItemOut:
    """The item's reorder point: below it, the pharmacists are alerted (once per fall)."""
    return _item_out(service.set_reorder_point(db, principal=principal, item_id=item_id,
                                               reorder_point=body.reorder_point))


# --- purchase orders -------------------------------------------------------------------------


@router.post("/purchase-orders", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_purchase_order(
    body: PurchaseOrderCreate,
    principal: Annotated[Principal, Depends(require("purchase_order:write"))], db: TenantDB,
) -> PurchaseOrderOut:
    """A draft order of a vendor's available products (packs), at their prices now; send it
    to the vendor with /send."""
    return _order_out(service.create_order(
        db, principal=principal, vendor_id=body.vendor,
        lines=[(line.product, line.quantity) for line in body.lines]))


@router.get("/purchase-orders", responses=ERRORS)
def list_purchase_orders(
    principal: Annotated[Principal, Depends(require("purchase_order:read"))], db: TenantDB,
    page: Page, status: PurchaseOrderStatus | None = None,
) -> list[PurchaseOrderOut]:
    """A pharmacy's own orders; a vendor's inbox (the orders sent to it). Newest first."""
    return [_order_out(v) for v in service.list_orders(db, principal=principal, status=status,
                                                        page=page)]


@router.get("/purchase-orders/{order_id}", responses=ERRORS)
def get_purchase_order(
    order_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("purchase_order:read"))], db: TenantDB,
) -> PurchaseOrderOut:
    return _order_out(service.get_order(db, principal=principal, order_id=order_id))


@router.post("/purchase-orders/{order_id}/send", responses=ERRORS)
def send_purchase_order(
    order_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("purchase_order:write"))], db: TenantDB,
) -> PurchaseOrderOut:
    """The draft goes to the vendor: `sent`."""
    return _order_out(service.send_order(db, principal=principal, order_id=order_id))


@router.post("/purchase-orders/{order_id}/cancel", responses=ERRORS)
def cancel_purchase_order(
    order_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("purchase_order:write"))], db: TenantDB,
) -> PurchaseOrderOut:
    """The pharmacy cancels its order, until something was received (409 after)."""
    return _order_out(service.cancel_order(db, principal=principal, order_id=order_id))


@router.post("/purchase-orders/{order_id}/accept", responses=ERRORS)
def accept_purchase_order(
    order_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("purchase_order:accept"))], db: TenantDB,
) -> PurchaseOrderOut:
    """The vendor the order was sent to accepts it: `accepted` (404 for any other)."""
    return _order_out(service.accept_order(db, principal=principal, order_id=order_id))


@router.post("/purchase-orders/{order_id}/receipts", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def receive_purchase_order(
    order_id: uuid.UUID, body: ReceiptCreate,
    principal: Annotated[Principal, Depends(require("purchase_order:write"))], db: TenantDB,
) -> ReceiptOut:
    """Packs delivered go into stock as lots (units: packs x pack size), and the order
    becomes `partly_received` or `received`. All or nothing: more than is left to receive
    (409), a product not on the order or a lot already expired (422) refuse the receipt."""
    receipt = service.receive(
        db, principal=principal, order_id=order_id,
        lines=[service.ReceiptLine(line.product, line.lot_number, line.expiry, line.quantity)
               for line in body.lines])
    return ReceiptOut(purchase_order=_order_out(receipt.order),
                      lots=[_lot_out(v) for v in receipt.lots])
