"""Billing: an organisation's price list, billable events, charges and invoices with their
numbering.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_uhid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("credit_of_id", sa.Uuid(), nullable=True),
        sa.Column("net_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("insurer_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("credited_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("issued_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft') = (number IS NULL)", name=op.f("ck_invoices_numbered_once_issued")
        ),
        sa.CheckConstraint(
            "kind = 'invoice' OR credit_of_id IS NOT NULL",
            name=op.f("ck_invoices_credit_note_credits_an_invoice"),
        ),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_invoices_kind")),
        sa.CheckConstraint(
            "status = 'void' OR kind = 'credit_note' OR "
            "round(balance * 100) = round(total * 100) - round(paid_total * 100) "
            "- round(insurer_total * 100) - round(credited_total * 100)",
            name=op.f("ck_invoices_balance_is_what_is_left"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'partly_paid', 'paid', 'void')",
            name=op.f("ck_invoices_status"),
        ),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_invoices_balance_not_negative")),
        sa.CheckConstraint(
            "paid_total >= 0 AND insurer_total >= 0 AND credited_total >= 0",
            name=op.f("ck_invoices_settled_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_of_id"], ["invoices.id"], name=op.f("fk_invoices_credit_of_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_invoices_issued_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoices_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_invoices_patient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("organization_id", "number", name="uq_invoices_number"),
        sa.UniqueConstraint(
            "organization_id", "idempotency_key", name="uq_invoices_idempotency_key"
        ),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoices_org_status_issued",
            ["organization_id", "status", "issued_at"],
            unique=False,
        )
        batch_op.create_index("ix_invoices_patient", ["patient_id", "created_at"], unique=False)
        batch_op.create_index(
            "uq_invoices_one_draft",
            ["organization_id", "patient_id", "currency"],
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )

    op.create_table(
        "invoice_counters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoice_counters_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "series", "year", name=op.f("pk_invoice_counters")
        ),
    )
    op.create_table(
        "price_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("price_currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_price_items_price_not_negative")),
        sa.CheckConstraint(
            "tax_rate >= 0 AND tax_rate < 1", name=op.f("ck_price_items_tax_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_price_items_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_price_items_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_items")),
        sa.UniqueConstraint(
            "organization_id", "code_system", "code", "valid_from", name="uq_price_items_version"
        ),
    )
    with op.batch_alter_table("price_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_items_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "billable_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("patient_uhid", sa.String(length=14), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("occurred_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("charged_at", api.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('consultation', 'lab_order', 'imaging_order', 'dispense', 'bed_day')",
            name=op.f("ck_billable_events_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'charged', 'unpriced')", name=op.f("ck_billable_events_status")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_billable_events_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_billable_events_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_billable_events_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_billable_events_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billable_events")),
        sa.UniqueConstraint("kind", "source_id", name="uq_billable_events_source"),
    )
    with op.batch_alter_table("billable_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billable_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_billable_events_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "charges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("credit_of_id", sa.Uuid(), nullable=True),
        sa.Column("price_item_id", sa.Uuid(), nullable=True),
        sa.Column("code_system", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("net", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("manual_reason", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "event_id IS NOT NULL OR manual_reason IS NOT NULL OR credit_of_id IS NOT NULL",
            name=op.f("ck_charges_has_a_source"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_charges_quantity_positive")),
        sa.CheckConstraint(
            "tax_rate >= 0 AND tax_rate < 1", name=op.f("ck_charges_tax_rate_range")
        ),
        sa.CheckConstraint(
            "round(total * 100) = round(net * 100) + round(tax * 100)",
            name=op.f("ck_charges_total_is_net_and_tax"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_charges_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["credit_of_id"], ["charges.id"], name=op.f("fk_charges_credit_of_id_charges")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["billable_events.id"], name=op.f("fk_charges_event_id_billable_events")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_charges_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_charges_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_charges_patient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["price_item_id"], ["price_items.id"], name=op.f("fk_charges_price_item_id_price_items")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_charges_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charges")),
        sa.UniqueConstraint("event_id", name="uq_charges_event_id"),
        sa.UniqueConstraint(
            "organization_id", "idempotency_key", name="uq_charges_idempotency_key"
        ),
    )
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.create_index("ix_charges_invoice", ["invoice_id"], unique=False)
        batch_op.create_index(
            "ix_charges_org_service_date", ["organization_id", "service_date"], unique=False
        )
    # An organisation's billing: its own rows only.
    for table in ("price_items", "billable_events", "invoices", "invoice_counters", "charges"):
        rls.tenant_table(table)
    # The postal address an organisation prints on its invoices.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("address")
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_index("ix_charges_org_service_date")
        batch_op.drop_index("ix_charges_invoice")

    op.drop_table("charges")
    with op.batch_alter_table("billable_events", schema=None) as batch_op:
        batch_op.drop_index("ix_billable_events_status_created")
        batch_op.drop_index(batch_op.f("ix_billable_events_organization_id"))

    op.drop_table("billable_events")
    with op.batch_alter_table("price_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_items_organization_id"))

    op.drop_table("price_items")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoices_one_draft",
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )
        batch_op.drop_index("ix_invoices_patient")
        batch_op.drop_index("ix_invoices_org_status_issued")

    op.drop_table("invoices")
