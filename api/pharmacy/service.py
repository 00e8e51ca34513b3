"""Pharmacy use cases: a drug vendor's catalogue and lot recalls; a pharmacy's stock (items,
lots, reorder points and their alerts); purchase orders from pharmacy to vendor, received
into lots. One function, one use case; the caller's session is the unit of work, so a
refusal changes nothing.

Quantities that concurrent requests race on are changed by conditional UPDATEs (a lot's
units, an item's units on hand, a purchase order line's packs received), with CHECK
constraints behind them: stock never goes below zero and no line is received beyond what
was ordered, on SQLite and PostgreSQL alike. Dispensing (the next piece of issue 14) takes
stock with `take_from_lot` and asks `lot_dispensable` / `dispensable_lots`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.identity.models import User, UserRole
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.paging import PageRequest
from api.pharmacy.models import (
    CANCELLABLE,
    RECEIVABLE,
    CatalogProduct,
    InventoryItem,
    InventoryLot,
    LotRecall,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from api.roles.catalog import Role
from api.tenants.models import Organization, OrganizationKind

# Who is told that stock fell below a reorder point.
STOCK_ALERT_ROLES = (Role.pharmacist.value,)
UNIT_COST_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Medication:
    """A medication code (RxNorm as a rule) and its display text."""

    system: str
    code: str
    display: str


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str


def today_utc() -> date:
    return utcnow().date()


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- who acts -------------------------------------------------------------------------------


def _vendor_of(session: Session, principal: Principal) -> Organization:
    """The caller's organisation, a drug vendor (403 for anyone else)."""
    org = session.get(Organization, principal.organization_id) \
        if principal.organization_id is not None else None
    if org is None or org.kind != OrganizationKind.drug_vendor or not org.is_active:
        raise Forbidden("only a drug vendor's staff change its catalogue")
    return org


def _stock_holder(principal: Principal) -> uuid.UUID:
    """The caller's organisation, whose stock and purchase orders they act on."""
    if principal.organization_id is None:
        raise Forbidden("stock and purchase orders belong to an organisation's staff")
    return principal.organization_id


# --- catalogue --------------------------------------------------------------------------------


def create_product(session: Session, *, principal: Principal, name: str,
                   medication: Medication, strength: str, form: str, pack_size: int,
                   price: Price, available: bool = True) -> CatalogProduct:
    vendor = _vendor_of(session, principal)
    if pack_size <= 0:
        raise Invalid("the pack size is a positive number of units")
    product = CatalogProduct(
        id=uuid.uuid4(), vendor_id=vendor.id, name=name, code_system=medication.system,
        code=medication.code, code_display=medication.display, strength=strength, form=form,
        pack_size=pack_size, price_amount=price.amount, price_currency=price.currency,
        available=available)
    session.add(product)
    session.flush()
    return product


def _own_product(session: Session, principal: Principal, product_id: uuid.UUID
                 ) -> CatalogProduct:
    vendor = _vendor_of(session, principal)
    product = session.get(CatalogProduct, product_id)
    if product is None or product.vendor_id != vendor.id:
        raise NotFound("no such product in your catalogue")
    return product


def update_product(session: Session, *, principal: Principal, product_id: uuid.UUID,
                   price: Price | None, available: bool | None) -> CatalogProduct:
    """A new price (for orders from now on: orders keep the price they were made at) or
    availability."""
    product = _own_product(session, principal, product_id)
    if price is not None:
        product.price_amount, product.price_currency = price.amount, price.currency
    if available is not None:
        product.available = available
    product.updated_at = utcnow()
    session.flush()
    return product


def get_product(session: Session, product_id: uuid.UUID) -> CatalogProduct:
    product = session.get(CatalogProduct, product_id)
    if product is None:
        raise NotFound("no such product")
    return product


def search_products(session: Session, *, q: str | None, vendor_id: uuid.UUID | None,
                    code: str | None, available: bool | None,
                    page: PageRequest) -> list[CatalogProduct]:
    """Every vendor's products (of active vendors), by words of the name or medication, the
    medication code, the vendor, availability."""
    query = select(CatalogProduct).join(Organization, Organization.id == CatalogProduct.vendor_id
                                        ).where(Organization.is_active.is_(True))
    if q:
        for word in q.split():
            pattern = f"%{_escape_like(word.lower())}%"
            query = query.where(or_(
                func.lower(CatalogProduct.name).like(pattern, escape="\\"),
                func.lower(CatalogProduct.code_display).like(pattern, escape="\\"),
                CatalogProduct.code == word))
    if vendor_id is not None:
        query = query.where(CatalogProduct.vendor_id == vendor_id)
    if code is not None:
        query = query.where(CatalogProduct.code == code)
    if available is not None:
        query = query.where(CatalogProduct.available.is_(available))
    return list(session.scalars(query.order_by(CatalogProduct.name, CatalogProduct.id)
                                .limit(page.limit).offset(page.offset)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def organization_names(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organization.id, Organization.name)
                                .where(Organization.id.in_(set(ids)))).all())


def recall_lot(session: Session, *, principal: Principal, product_id: uuid.UUID,
               lot_number: str) -> LotRecall:
    """The vendor recalls one lot of its product. From then on no pharmacy dispenses from a
    lot of the same medication code and lot number. Recalling twice answers the first
    recall."""
    product = _own_product(session, principal, product_id)
    existing = session.scalar(select(LotRecall).where(LotRecall.product_id == product.id,
                                                      LotRecall.lot_number == lot_number))
    if existing is not None:
        return existing
    recall = LotRecall(id=uuid.uuid4(), vendor_id=product.vendor_id, product_id=product.id,
                       code_system=product.code_system, code=product.code,
                       lot_number=lot_number, recalled_by=principal.user_id)
    session.add(recall)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this lot was recalled at the same moment; list it again") from None
    return recall


# --- stock: items and lots --------------------------------------------------------------------


def _item_key(organization_id: uuid.UUID, medication: Medication) -> Select[InventoryItem]:
    return select(InventoryItem).where(InventoryItem.organization_id == organization_id,
                                       InventoryItem.code_system == medication.system,
                                       InventoryItem.code == medication.code)


def _item_for(session: Session, organization_id: uuid.UUID,
              medication: Medication) -> InventoryItem:
    """The organisation's item of the medication, made on first use. Two requests making it
    at once make one (INSERT ... ON CONFLICT DO NOTHING, then read)."""
    item = session.scalar(_item_key(organization_id, medication))
    if item is not None:
        return item
    now = utcnow()
    values = {"id": uuid.uuid4(), "organization_id": organization_id,
              "code_system": medication.system, "code": medication.code,
              "display": medication.display, "on_hand": 0, "reorder_point": 0,
              "created_at": now, "updated_at": now}
    keys = ["organization_id", "code_system", "code"]
    insert = postgresql.insert(InventoryItem) if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert(InventoryItem)
    session.execute(insert.values(**values).on_conflict_do_nothing(index_elements=keys))
    item = session.scalar(_item_key(organization_id, medication)
                          .execution_options(populate_existing=True))
    assert item is not None
    return item


def _own_item(session: Session, organization_id: uuid.UUID, item_id: uuid.UUID) -> InventoryItem:
    item = session.get(InventoryItem, item_id)
    if item is None or item.organization_id != organization_id:
        raise NotFound("no such item in your stock")
    return item


def _sync_alert(session: Session, item_id: uuid.UUID, *, clear: bool = True) -> bool:
    """Raise the reorder alert if the item is below its point and was not yet alerted (one
    alert per crossing: the conditional UPDATE lets one request through, whatever races);
    clear it once stock is back at or above (`clear`: stock that only fell cannot be back).
    Whether an alert was raised."""
    now = utcnow()
    raised = _rowcount(session.execute(
        update(InventoryItem)
        .where(InventoryItem.id == item_id, InventoryItem.on_hand < InventoryItem.reorder_point,
               InventoryItem.alerted_at.is_(None))
        .values(alerted_at=now).execution_options(synchronize_session=False))) == 1
    if not raised and not clear:
        return False
    if not raised:
        session.execute(
            update(InventoryItem)
            .where(InventoryItem.id == item_id,
                   InventoryItem.on_hand >= InventoryItem.reorder_point,
                   InventoryItem.alerted_at.is_not(None))
            .values(alerted_at=None).execution_options(synchronize_session=False))
        return False
    item = session.scalar(select(InventoryItem).where(InventoryItem.id == item_id)
                          .execution_options(populate_existing=True))
    assert item is not None
    staff = session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(User.organization_id == item.organization_id, User.is_active.is_(True),
               UserRole.role.in_(STOCK_ALERT_ROLES)).distinct())
    text = (f"Stock of {item.display} is {item.on_hand}, below its reorder point of "
            f"{item.reorder_point}.")
    for user_id in staff:
        notify_event(session, user_id=user_id, kind=NotificationKind.stock_below_reorder_point,
                     subject_id=str(item.id), inbox_text=text,
                     dedupe_key=f"stock_below:{item.id}:{user_id}:{now.isoformat()}")
    session.flush()
    return True


def _add_units(session: Session, item_id: uuid.UUID, units: int) -> None:
    session.execute(update(InventoryItem).where(InventoryItem.id == item_id)
                    .values(on_hand=InventoryItem.on_hand + units, updated_at=utcnow())
                    .execution_options(synchronize_session=False))


def _new_lot(session: Session, *, principal: Principal, organization_id: uuid.UUID,
             medication: Medication, lot_number: str, expiry: date, units: int,
             unit_cost: Price | None, product_id: uuid.UUID | None = None,
             purchase_order_id: uuid.UUID | None = None,
             reorder_point: int | None = None, today: date) -> InventoryLot:
    if units <= 0:
        raise Invalid("a quantity is a positive number")
    if expiry < today:
        raise Invalid(f"lot {lot_number} expired on {expiry.isoformat()}: expired stock is "
                      "not received")
    item = _item_for(session, organization_id, medication)
    if reorder_point is not None:
        session.execute(update(InventoryItem).where(InventoryItem.id == item.id)
                        .values(reorder_point=reorder_point)
                        .execution_options(synchronize_session=False))
    lot = InventoryLot(
        id=uuid.uuid4(), organization_id=organization_id, item_id=item.id,
        lot_number=lot_number, expiry=expiry, quantity=units, received_quantity=units,
        unit_cost_amount=unit_cost.amount if unit_cost else None,
        unit_cost_currency=unit_cost.currency if unit_cost else None,
        product_id=product_id, purchase_order_id=purchase_order_id,
        received_by=principal.user_id)
    session.add(lot)
    session.flush()
    _add_units(session, item.id, units)
    _sync_alert(session, item.id)
    return lot


def add_lot(session: Session, *, principal: Principal, medication: Medication,
            lot_number: str, expiry: date, quantity: int, reorder_point: int | None = None,
            unit_cost: Price | None = None, today: date | None = None) -> LotView:
    """Units of a lot into the caller's stock (outside a purchase order: an opening count, a
    transfer). The item is made on first use; `reorder_point` sets its point."""
    org = _stock_holder(principal)
    day = today or today_utc()
    lot = _new_lot(session, principal=principal, organization_id=org, medication=medication,
                   lot_number=lot_number, expiry=expiry, units=quantity, unit_cost=unit_cost,
                   reorder_point=reorder_point, today=day)
    return lot_view(session, lot, today=day)


def set_reorder_point(session: Session, *, principal: Principal, item_id: uuid.UUID,
                      reorder_point: int) -> ItemView:
    """The point under which the pharmacy's staff are alerted (at once, if stock is already
    under it)."""
    if reorder_point < 0:
        raise Invalid("a reorder point is zero or more")
    item = _own_item(session, _stock_holder(principal), item_id)
    session.execute(update(InventoryItem).where(InventoryItem.id == item.id)
                    .values(reorder_point=reorder_point, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    _sync_alert(session, item.id)
    session.refresh(item)
    return _item_views(session, [item], today_utc())[0]


@dataclass(frozen=True)
class LotView:
    lot: InventoryLot
    item: InventoryItem
    expired: bool
    recalled: bool

    @property
    def dispensable(self) -> bool:
        return self.lot.quantity > 0 and not self.expired and not self.recalled


@dataclass(frozen=True)
class ItemView:
    item: InventoryItem
    dispensable: int

    @property
    def below_reorder_point(self) -> bool:
        return self.item.on_hand < self.item.reorder_point


def _recalled_lots(session: Session, items: Sequence[InventoryItem]
                   ) -> set[tuple[str, str, str]]:
    """(code system, code, lot number) of every recall of the items' medications."""
    if not items:
        return set()
    codes = {(i.code_system, i.code) for i in items}
    rows = session.execute(select(LotRecall.code_system, LotRecall.code, LotRecall.lot_number)
                           .where(LotRecall.code.in_({c for _, c in codes}))).all()
    return {r for r in rows if (r[0], r[1]) in codes}


def _views(session: Session, lots: Sequence[InventoryLot], items: dict[uuid.UUID, InventoryItem],
           today: date) -> list[LotView]:
    recalled = _recalled_lots(session, list(items.values()))
    views = []
    for lot in lots:
        item = items[lot.item_id]
        views.append(LotView(lot, item, expired=lot.expiry < today,
                             recalled=(item.code_system, item.code, lot.lot_number) in recalled))
    return views


def _item_views(session: Session, items: Sequence[InventoryItem], today: date
                ) -> list[ItemView]:
    if not items:
        return []
    by_id = {i.id: i for i in items}
    lots = list(session.scalars(select(InventoryLot).where(
        InventoryLot.item_id.in_(by_id), InventoryLot.quantity > 0)))
    dispensable: dict[uuid.UUID, int] = defaultdict(int)
    for view in _views(session, lots, by_id, today):
        if view.dispensable:
            dispensable[view.lot.item_id] += view.lot.quantity
    return [ItemView(i, dispensable[i.id]) for i in items]


def list_items(session: Session, *, principal: Principal, below_reorder_point: bool | None,
               page: PageRequest, today: date | None = None) -> list[ItemView]:
    """The caller's stock, by medication name, with units on hand and dispensable."""
    org = _stock_holder(principal)
    query = select(InventoryItem).where(InventoryItem.organization_id == org)
    if below_reorder_point is True:
        query = query.where(InventoryItem.on_hand < InventoryItem.reorder_point)
    elif below_reorder_point is False:
        query = query.where(InventoryItem.on_hand >= InventoryItem.reorder_point)
    items = list(session.scalars(query.order_by(InventoryItem.display, InventoryItem.id)
                                 .limit(page.limit).offset(page.offset)))
    return _item_views(session, items, today or today_utc())


def lot_view(session: Session, lot: InventoryLot, *, today: date | None = None) -> LotView:
    item = session.scalar(select(InventoryItem).where(InventoryItem.id == lot.item_id)
                          .execution_options(populate_existing=True))
    assert item is not None
    return _views(session, [lot], {item.id: item}, today or today_utc())[0]


def lots_first_expiry_first(session: Session, *, organization_id: uuid.UUID,
                            item_id: uuid.UUID, include_empty: bool = False,
                            today: date | None = None, limit: int | None = None,
                            offset: int = 0) -> list[LotView]:
    """The item's lots, first expiry first out (then first received): the order in which to
    dispense. Each says whether it may be dispensed from."""
    item = _own_item(session, organization_id, item_id)
    query = select(InventoryLot).where(InventoryLot.item_id == item.id)
    if not include_empty:
        query = query.where(InventoryLot.quantity > 0)
    query = query.order_by(InventoryLot.expiry, InventoryLot.created_at, InventoryLot.id)
    lots = list(session.scalars(query.limit(limit).offset(offset)))
    return _views(session, lots, {item.id: item}, today or today_utc())


def list_lots(session: Session, *, principal: Principal, item_id: uuid.UUID,
              include_empty: bool = False, page: PageRequest) -> list[LotView]:
    return lots_first_expiry_first(session, organization_id=_stock_holder(principal),
                                   item_id=item_id, include_empty=include_empty,
                                   limit=page.limit, offset=page.offset)


def dispensable_lots(session: Session, *, organization_id: uuid.UUID, medication: Medication,
                     today: date | None = None) -> list[LotView]:
    """The lots the organisation may dispense the medication from, first expiry first: the
    dispensing screen's suggestion (its first lot) and choices."""
    item = session.scalar(_item_key(organization_id, medication))
    if item is None:
        return []
    return [v for v in lots_first_expiry_first(session, organization_id=organization_id,
                                               item_id=item.id, today=today) if v.dispensable]


def _recalled(item: InventoryItem, lot_number: str) -> Any:
    return exists().where(LotRecall.code_system == item.code_system,
                          LotRecall.code == item.code, LotRecall.lot_number == lot_number)


def lot_refusal(session: Session, lot_id: uuid.UUID, *, today: date | None = None) -> str | None:
    """Why no unit may be dispensed from the lot (in the session's tenant), or None."""
    lot = session.get(InventoryLot, lot_id)
    if lot is None:
        return "no such lot"
    item = session.get(InventoryItem, lot.item_id)
    assert item is not None
    if lot.expiry < (today or today_utc()):
        return f"lot {lot.lot_number} expired on {lot.expiry.isoformat()}"
    if session.scalar(select(_recalled(item, lot.lot_number))):
        return f"lot {lot.lot_number} was recalled by its vendor"
    if lot.quantity <= 0:
        return f"lot {lot.lot_number} is empty"
    return None


def lot_dispensable(session: Session, lot_id: uuid.UUID, *,
                    organization_id: uuid.UUID | None = None,
                    today: date | None = None) -> bool:
    """Whether units may be dispensed from the lot: it is the organisation's (and visible in
    the session's tenant), has units left, has not expired (usable through its expiry day)
    and was not recalled."""
    if organization_id is not None:
        lot = session.get(InventoryLot, lot_id)
        if lot is None or lot.organization_id != organization_id:
            return False
    return lot_refusal(session, lot_id, today=today) is None


def take_from_lot(session: Session, *, organization_id: uuid.UUID, lot_id: uuid.UUID,
                  quantity: int, today: date | None = None) -> InventoryLot:
    """Take `quantity` units out of a lot of the organisation's stock, in the caller's unit
    of work (a dispense records itself in the same transaction). Never below zero, whatever
    the concurrent requests: the lot's and the item's units go down by conditional UPDATEs
    (`... WHERE quantity >= :n`) with CHECK (>= 0) behind them. Raises NotFound (another
    organisation's lot), Invalid (not a positive quantity), Conflict (expired, recalled, or
    fewer units left). May raise the item's reorder alert."""
    if quantity <= 0:
        raise Invalid("a quantity is a positive number")
    day = today or today_utc()
    lot = session.get(InventoryLot, lot_id)
    if lot is None or lot.organization_id != organization_id:
        raise NotFound("no such lot in your stock")
    item = session.get(InventoryItem, lot.item_id)
    assert item is not None
    # The conditional UPDATE is the check (expired, recalled, too few left): why it refused
    # is worked out only when it did.
    left = session.execute(
        update(InventoryLot)
        .where(InventoryLot.id == lot.id, InventoryLot.quantity >= quantity,
               InventoryLot.expiry >= day, ~_recalled(item, lot.lot_number))
        .values(quantity=InventoryLot.quantity - quantity)
        .returning(InventoryLot.quantity)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if left is None:
        session.refresh(lot)
        raise Conflict(lot_refusal(session, lot.id, today=day) or
                       f"only {lot.quantity} units are left in lot {lot.lot_number}")
    decremented = session.execute(
        update(InventoryItem)
        .where(InventoryItem.id == item.id, InventoryItem.on_hand >= quantity)
        .values(on_hand=InventoryItem.on_hand - quantity, updated_at=utcnow())
        .returning(InventoryItem.on_hand, InventoryItem.reorder_point,
                   InventoryItem.alerted_at)
        .execution_options(synchronize_session=False)).one_or_none()
    if decremented is None:  # the item's count is the lots' sum: this is a broken invariant
        raise Conflict("the item's stock is lower than its lot's; nothing was taken")
    # The row as this UPDATE left it (locked until the commit): the alert is raised only when
    # it shows the crossing, which spares every other take a statement.
    on_hand, reorder_point, alerted_at = decremented
    if alerted_at is None and on_hand < reorder_point:
        _sync_alert(session, item.id, clear=False)
    set_committed_value(lot, "quantity", left)  # as the UPDATE left it, without a SELECT
    session.expire(item)
    return lot


# --- purchase orders -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderView:
    order: PurchaseOrder
    lines: list[tuple[PurchaseOrderLine, CatalogProduct]]
    pharmacy_name: str
    vendor_name: str

    @property
    def total(self) -> Price:
        amount = sum((line.unit_price_amount * line.quantity for line, _ in self.lines),
                     Decimal(0))
        return Price(amount.quantize(CENTS), self.order.currency)


def _view(session: Session, order: PurchaseOrder) -> OrderView:
    rows = session.execute(
        select(PurchaseOrderLine, CatalogProduct)
        .join(CatalogProduct, CatalogProduct.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrderLine.purchase_order_id == order.id)
        .order_by(CatalogProduct.name, PurchaseOrderLine.id)
        .execution_options(populate_existing=True)).all()
    names = organization_names(session, [order.pharmacy_id, order.vendor_id])
    return OrderView(order, list(rows), names.get(order.pharmacy_id, ""),
                     names.get(order.vendor_id, ""))


def order_views(session: Session, orders: Sequence[PurchaseOrder]) -> list[OrderView]:
    return [_view(session, o) for o in orders]


def _visible(principal: Principal) -> Any:
    """A pharmacy sees its orders; a vendor those addressed to it once sent."""
    org = principal.organization_id
    return or_(PurchaseOrder.pharmacy_id == org,
               and_(PurchaseOrder.vendor_id == org,
                    PurchaseOrder.status != PurchaseOrderStatus.draft.value))


def _order(session: Session, principal: Principal, order_id: uuid.UUID, *,
           side: str) -> PurchaseOrder:
    """The order as its pharmacy (`side="pharmacy"`) or its vendor sees it; 404 otherwise
    (another pharmacy's, another vendor's, or a draft the vendor was not sent)."""
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id)
                           .execution_options(populate_existing=True))
    org = principal.organization_id
    if order is not None and org is not None:
        if side == "pharmacy" and order.pharmacy_id == org:
            return order
        if side == "vendor" and order.vendor_id == org and \
                order.status != PurchaseOrderStatus.draft.value:
            return order
    raise NotFound("no such purchase order")


def get_order(session: Session, *, principal: Principal, order_id: uuid.UUID) -> OrderView:
    if principal.organization_id is None:
        raise NotFound("no such purchase order")
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id,
                                                       _visible(principal)))
    if order is None:
        raise NotFound("no such purchase order")
    return _view(session, order)


def list_orders(session: Session, *, principal: Principal, status: PurchaseOrderStatus | None,
                page: PageRequest) -> list[OrderView]:
    """A pharmacy's own orders and a vendor's inbox (sent to it), newest first."""
    if principal.organization_id is None:
        return []
    query = select(PurchaseOrder).where(_visible(principal))
    if status is not None:
        query = query.where(PurchaseOrder.status == status.value)
    orders = session.scalars(query.order_by(PurchaseOrder.created_at.desc(),
                                            PurchaseOrder.id).limit(page.limit)
                             .offset(page.offset))
    return order_views(session, list(orders))


def create_order(session: Session, *, principal: Principal, vendor_id: uuid.UUID,
                 lines: Sequence[tuple[uuid.UUID, int]]) -> OrderView:
    """A draft order of the vendor's available products, at their prices now (one
    currency per order)."""
    pharmacy = _stock_holder(principal)
    vendor = session.get(Organization, vendor_id)
    if vendor is None or not vendor.is_active:
        raise NotFound("no such vendor")
    if vendor.kind != OrganizationKind.drug_vendor:
        raise Invalid("purchase orders go to a drug vendor")
    if not lines:
        raise Invalid("an order has at least one line")
    if any(quantity <= 0 for _, quantity in lines):
        raise Invalid("a quantity is a positive number")
    ids = [product_id for product_id, _ in lines]
    if len(set(ids)) != len(ids):
        raise Invalid("each product appears on one line only")
    products = {p.id: p for p in session.scalars(
        select(CatalogProduct).where(CatalogProduct.id.in_(ids)))}
    for product_id in ids:
        product = products.get(product_id)
        if product is None or product.vendor_id != vendor.id:
            raise Invalid(f"product {product_id} is not in this vendor's catalogue")
        if not product.available:
            raise Conflict(f"{product.name} is not available from the vendor")
    currencies = {p.price_currency for p in products.values()}
    if len(currencies) != 1:
        raise Invalid("an order's products are priced in one currency; order the others "
                      "separately")
    now = utcnow()
    order = PurchaseOrder(id=uuid.uuid4(), pharmacy_id=pharmacy, vendor_id=vendor.id,
                          status=PurchaseOrderStatus.draft.value, currency=currencies.pop(),
                          created_by=principal.user_id, created_at=now, updated_at=now)
    session.add(order)
    session.flush()
    for product_id, quantity in lines:
        product = products[product_id]
        session.add(PurchaseOrderLine(
            id=uuid.uuid4(), purchase_order_id=order.id, pharmacy_id=pharmacy,
            vendor_id=vendor.id, product_id=product.id, quantity=quantity, received=0,
            unit_price_amount=product.price_amount, created_at=now))
    session.flush()
    return _view(session, order)


def _move(session: Session, order: PurchaseOrder, allowed: Sequence[PurchaseOrderStatus],
          to: PurchaseOrderStatus, **values: Any) -> PurchaseOrder:
    """Change the order's status if it is still one of `allowed` (a conditional UPDATE: of
    two requests racing, one moves it, the other is told where it now is)."""
    moved = _rowcount(session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == order.id,
               PurchaseOrder.status.in_([s.value for s in allowed]))
        .values(status=to.value, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)))
    session.refresh(order)
    if moved != 1:
        raise Conflict(f"the purchase order is {order.status}")
    return order


def _hold_receivable(session: Session, order: PurchaseOrder) -> None:
    """Hold the order's row to the end of the transaction (PostgreSQL; SQLite: the
    database's write lock) if it may be received into: concurrent receipts of one order go
    one after the other, each reading what the one before it received."""
    held = _rowcount(session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == order.id,
               PurchaseOrder.status.in_([s.value for s in RECEIVABLE]))
        .values(updated_at=utcnow()).execution_options(synchronize_session=False)))
    session.refresh(order)
    if held != 1:
        raise Conflict(f"the purchase order is {order.status}: only an accepted order is "
                       "received")


def send_order(session: Session, *, principal: Principal, order_id: uuid.UUID) -> OrderView:
    order = _order(session, principal, order_id, side="pharmacy")
    return _view(session, _move(session, order, [PurchaseOrderStatus.draft],
                                PurchaseOrderStatus.sent, sent_at=utcnow()))


def cancel_order(session: Session, *, principal: Principal, order_id: uuid.UUID) -> OrderView:
    """The pharmacy cancels, until something was received."""
    order = _order(session, principal, order_id, side="pharmacy")
    return _view(session, _move(session, order, CANCELLABLE, PurchaseOrderStatus.cancelled,
                                cancelled_at=utcnow()))


def accept_order(session: Session, *, principal: Principal, order_id: uuid.UUID) -> OrderView:
    """The vendor it was sent to accepts it; anyone else is answered 404."""
    order = _order(session, principal, order_id, side="vendor")
    return _view(session, _move(session, order, [PurchaseOrderStatus.sent],
                                PurchaseOrderStatus.accepted, accepted_at=utcnow(),
                                accepted_by=principal.user_id))


@dataclass(frozen=True)
class ReceiptLine:
    product_id: uuid.UUID
    lot_number: str
    expiry: date
    quantity: int  # packs


@dataclass(frozen=True)
class Receipt:
    order: OrderView
    lots: list[LotView]


def receive(session: Session, *, principal: Principal, order_id: uuid.UUID,
            lines: Sequence[ReceiptLine], today: date | None = None) -> Receipt:
    """Packs delivered against an accepted order go into stock as lots (units: packs x pack
    size, at the ordered price per unit); the order is partly received, or received once
    every line is complete. All of it or nothing: a line over what is left to receive, of a
    product not on the order, or of a lot already expired refuses the whole receipt.

    Concurrent receipts of one order queue on its row (the first conditional UPDATE), and
    each line's packs received only grow by a conditional UPDATE within what was ordered,
    with CHECK (received <= quantity) behind it."""
    day = today or today_utc()
    order = _order(session, principal, order_id, side="pharmacy")
    if not lines:
        raise Invalid("a receipt has at least one line")
    for line in lines:
        if line.quantity <= 0:
            raise Invalid("a quantity is a positive number")
        if line.expiry < day:
            raise Invalid(f"lot {line.lot_number} expired on {line.expiry.isoformat()}: "
                          "expired stock is not received")
    _hold_receivable(session, order)
    ordered = {line.product_id: (line, product) for line, product in _view(session, order).lines}
    wanted: dict[uuid.UUID, int] = defaultdict(int)
    for line in lines:
        if line.product_id not in ordered:
            raise Invalid(f"product {line.product_id} is not on this purchase order")
        wanted[line.product_id] += line.quantity
    for product_id, packs in wanted.items():
        po_line, product = ordered[product_id]
        left = po_line.quantity - po_line.received
        if packs > left:
            raise Conflict(f"{packs} packs of {product.name} is more than is left to receive "
                           f"({po_line.quantity} ordered, {po_line.received} received)")
        try:
            grown = _rowcount(session.execute(
                update(PurchaseOrderLine)
                .where(PurchaseOrderLine.id == po_line.id,
                       PurchaseOrderLine.received + packs <= PurchaseOrderLine.quantity)
                .values(received=PurchaseOrderLine.received + packs)
                .execution_options(synchronize_session=False)))
        except IntegrityError:
            grown = 0
        if grown != 1:
            raise Conflict(f"{packs} packs of {product.name} is more than is left to receive")
    received_lots = []
    for line in lines:
        po_line, product = ordered[line.product_id]
        unit_cost = (po_line.unit_price_amount / product.pack_size).quantize(
            UNIT_COST_PLACES, rounding=ROUND_HALF_EVEN)
        received_lots.append(_new_lot(
            session, principal=principal, organization_id=order.pharmacy_id,
            medication=Medication(product.code_system, product.code, product.code_display),
            lot_number=line.lot_number, expiry=line.expiry,
            units=line.quantity * product.pack_size,
            unit_cost=Price(unit_cost, order.currency), product_id=product.id,
            purchase_order_id=order.id, today=day))
    view = _view(session, order)
    complete = all(po_line.received >= po_line.quantity for po_line, _ in view.lines)
    _move(session, order, RECEIVABLE, PurchaseOrderStatus.received if complete
          else PurchaseOrderStatus.partly_received)
    return Receipt(_view(session, order),
                   [lot_view(session, lot, today=day) for lot in received_lots])


def order_lines_received(session: Session, order_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """product id -> packs received (a look behind the API for tests and reports)."""
    return dict(session.execute(select(PurchaseOrderLine.product_id, PurchaseOrderLine.received)
                                .where(PurchaseOrderLine.purchase_order_id == order_id))
                .all())

