"""Rows of the pharmacy context. Stock (items and lots) belongs to the pharmacy holding it; a
catalogue product and a recall belong to their vendor and are read by everyone; a purchase
order and its lines are visible to its pharmacy and its vendor only (row-level security).

The quantities that must never go wrong under concurrent requests are guarded by the
database itself: CHECK constraints (stock never below zero, never more received than
ordered) behind the conditional UPDATEs of the service."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class PurchaseOrderStatus(enum.StrEnum):
    draft = "draft"                        # being written by the pharmacy; the vendor sees none
    sent = "sent"                          # addressed to the vendor, awaiting acceptance
    accepted = "accepted"                  # the vendor will deliver
    partly_received = "partly_received"    # some of it was received into lots
    received = "received"                  # every line was received in full
    cancelled = "cancelled"                # by the pharmacy, before anything was received


# What may be received into stock.
RECEIVABLE = (PurchaseOrderStatus.accepted, PurchaseOrderStatus.partly_received)
# What the pharmacy may still cancel (nothing received yet).
CANCELLABLE = (PurchaseOrderStatus.draft, PurchaseOrderStatus.sent,
               PurchaseOrderStatus.accepted)

MONEY = Numeric(12, 2)
UNIT_COST = Numeric(14, 4)


class CatalogProduct(Base):
    """A product a drug vendor sells: a medication (RxNorm) in a strength, form and pack, at
    a price per pack."""

    __tablename__ = "catalog_products"
    __table_args__ = (
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        Index("ix_catalog_products_code", "code_system", "code"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    code_display: Mapped[str] = mapped_column(String(200), nullable=False)
    strength: Mapped[str] = mapped_column(String(100), nullable=False)
    form: Mapped[str] = mapped_column(String(100), nullable=False)
    # Dispensing units (tablets, vials) in one pack; the price is per pack.
    pack_size: Mapped[int] = mapped_column(nullable=False)
    price_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    price_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    available: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class LotRecall(Base):
    """A vendor's recall of one lot of its product. It blocks every pharmacy's lots of the
    same medication code and lot number (see service.lot_dispensable), so it is readable by
    every organisation."""

    __tablename__ = "lot_recalls"
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number", name="uq_lot_recalls_product_lot"),
        Index("ix_lot_recalls_code_lot", "code_system", "code", "lot_number"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_products.id"), nullable=False)
    # The product's medication code, copied so a pharmacy's check needs no join.
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    lot_number: Mapped[str] = mapped_column(String(64), nullable=False)
    recalled_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class InventoryItem(Base):
    """A pharmacy's stock of one medication (by code): units on hand over all its lots, and
    the reorder point under which the pharmacy is alerted."""

    __tablename__ = "inventory_items"
    __table_args__ = (
        UniqueConstraint("organization_id", "code_system", "code",
                         name="uq_inventory_items_medication"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    display: Mapped[str] = mapped_column(String(200), nullable=False)
    # The sum of its lots' quantities, changed only in the same statement sequence as a lot
    # (service.add_stock, service.take_from_lot), by conditional UPDATEs.
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    reorder_point: Mapped[int] = mapped_column(default=0, nullable=False)
    # Set when the stock fell below the reorder point and the alert was raised; cleared when
    # it is back at or above. One alert per crossing, whatever the requests race.
    alerted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class InventoryLot(Base):
    """Units of one lot (lot number, expiry, unit cost) received into an item."""

    __tablename__ = "inventory_lots"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("received_quantity > 0", name="received_quantity_positive"),
        Index("ix_inventory_lots_item_expiry", "item_id", "expiry"),
        Index("ix_inventory_lots_lot_number", "lot_number"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inventory_items.id"), nullable=False)
    lot_number: Mapped[str] = mapped_column(String(64), nullable=False)
    expiry: Mapped[date] = mapped_column(Date, nullable=False)
    # Units left, and units received into this lot (packs x pack size: 64-bit).
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit_cost_amount: Mapped[Decimal | None] = mapped_column(UNIT_COST, nullable=True)
    unit_cost_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # The vendor's product and the purchase order it came with, when received against one.
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("catalog_products.id"), nullable=True)
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_orders.id"), nullable=True)
    received_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class PurchaseOrder(Base):
    """A pharmacy's order of a vendor's products, in the currency of their prices."""

    __tablename__ = "purchase_orders"
    __table_args__ = (
        Index("ix_purchase_orders_pharmacy_created", "pharmacy_id", "created_at"),
        Index("ix_purchase_orders_vendor_created", "vendor_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    pharmacy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                   nullable=False)
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                 nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class PurchaseOrderLine(Base):
    """Packs of one product ordered, and how many of them were received. The database
    refuses more received than ordered, whatever the concurrent receipts."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "product_id",
                         name="uq_purchase_order_lines_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received >= 0 AND received <= quantity", name="received_within_ordered"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    purchase_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), nullable=False, index=True)
    # The order's two parties, copied so row-level security filters this table on its own.
    pharmacy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                   nullable=False)
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                 nullable=False)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_products.id"),
                                                  nullable=False)
    # Packs of the product; its price per pack when ordered.
    quantity: Mapped[int] = mapped_column(nullable=False)
    received: Mapped[int] = mapped_column(default=0, nullable=False)
    unit_price_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
