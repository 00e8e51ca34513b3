"""Drug vendors' catalogue and lot recalls, pharmacy stock (items, lots) and purchase orders.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_display", sa.String(length=200), nullable=False),
        sa.Column("strength", sa.String(length=100), nullable=False),
        sa.Column("form", sa.String(length=100), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("price_currency", sa.String(length=3), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pack_size > 0", name=op.f("ck_catalog_products_pack_size_positive")),
        sa.CheckConstraint(
            "price_amount >= 0", name=op.f("ck_catalog_products_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_catalog_products_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_products")),
    )
    with op.batch_alter_table("catalog_products", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_products_code", ["code_system", "code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_products_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "inventory_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("alerted_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_inventory_items_on_hand_not_negative")),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_inventory_items_reorder_point_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inventory_items_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint(
            "organization_id", "code_system", "code", name="uq_inventory_items_medication"
        ),
    )
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_items_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "lot_recalls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("recalled_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_lot_recalls_product_id_catalog_products"),
        ),
        sa.ForeignKeyConstraint(
            ["recalled_by"], ["users.id"], name=op.f("fk_lot_recalls_recalled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["organizations.id"], name=op.f("fk_lot_recalls_vendor_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_recalls")),
        sa.UniqueConstraint("product_id", "lot_number", name="uq_lot_recalls_product_lot"),
    )
    with op.batch_alter_table("lot_recalls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lot_recalls_code_lot", ["code_system", "code", "lot_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lot_recalls_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pharmacy_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("sent_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name=op.f("fk_purchase_orders_accepted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_purchase_orders_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_orders_pharmacy_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_orders_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_orders_pharmacy_created", ["pharmacy_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_orders_vendor_created", ["vendor_id", "created_at"], unique=False
        )

    op.create_table(
        "inventory_lots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("received_quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost_amount", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("unit_cost_currency", sa.String(length=3), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=True),
        sa.Column("received_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_inventory_lots_quantity_not_negative")),
        sa.CheckConstraint(
            "received_quantity > 0", name=op.f("ck_inventory_lots_received_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["inventory_items.id"],
            name=op.f("fk_inventory_lots_item_id_inventory_items"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inventory_lots_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_inventory_lots_product_id_catalog_products"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_inventory_lots_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["users.id"], name=op.f("fk_inventory_lots_received_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_lots")),
    )
    with op.batch_alter_table("inventory_lots", schema=None) as batch_op:
        batch_op.create_index("ix_inventory_lots_item_expiry", ["item_id", "expiry"], unique=False)
        batch_op.create_index("ix_inventory_lots_lot_number", ["lot_number"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inventory_lots_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("pharmacy_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("unit_price_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "received >= 0 AND received <= quantity",
            name=op.f("ck_purchase_order_lines_received_within_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_order_lines_pharmacy_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_purchase_order_lines_product_id_catalog_products"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_order_lines_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint(
            "purchase_order_id", "product_id", name="uq_purchase_order_lines_product"
        ),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_lines_purchase_order_id"),
            ["purchase_order_id"],
            unique=False,
        )

    # A pharmacy's own stock.
    rls.tenant_table("inventory_items")
    rls.tenant_table("inventory_lots")
    # A vendor's catalogue and recalls: every organisation searches and checks them.
    rls.shared_read_table("catalog_products", "vendor_id")
    rls.shared_read_table("lot_recalls", "vendor_id")
    # A purchase order and its lines: its pharmacy's and its vendor's only.
    rls.parties_table("purchase_orders", "pharmacy_id", "vendor_id")
    rls.parties_table("purchase_order_lines", "pharmacy_id", "vendor_id")


def downgrade() -> None:
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_lines_purchase_order_id"))

    op.drop_table("purchase_order_lines")
    with op.batch_alter_table("inventory_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_lots_organization_id"))
        batch_op.drop_index("ix_inventory_lots_lot_number")
        batch_op.drop_index("ix_inventory_lots_item_expiry")

    op.drop_table("inventory_lots")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_orders_vendor_created")
        batch_op.drop_index("ix_purchase_orders_pharmacy_created")

    op.drop_table("purchase_orders")
    with op.batch_alter_table("lot_recalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_recalls_vendor_id"))
        batch_op.drop_index("ix_lot_recalls_code_lot")

    op.drop_table("lot_recalls")
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_items_organization_id"))

    op.drop_table("inventory_items")
    with op.batch_alter_table("catalog_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_products_vendor_id"))
        batch_op.drop_index("ix_catalog_products_code")

    op.drop_table("catalog_products")
