"""Every mapped model, imported in one place so Alembic and create_all see the whole schema."""

from api.audit.models import AccessLogEntry, AuditBatch
from api.billing.models import BillableEvent, Charge, Invoice, InvoiceCounter, PriceItem
from api.consent.models import BreakGlassAccess, Consent
from api.custody.models import KeyCustody
from api.identity.models import AuthSession, RefreshToken, SiweNonce, User, UserRole
from api.imaging.models import ImagingReport, ImagingStudy, ImagingUpload
from api.insurance.models import Claim, ClaimItem, Coverage
from api.keys.models import UmbralKeys
from api.ledger.models import ChainCursor, ChainNonce, OutboxTransaction
from api.notifications.models import Notification
from api.orders.models import Order
from api.payments.models import (
    Payment,
    PaymentIntent,
    Refund,
    SimulatedIntent,
    SimulatedWebhook,
    WebhookEvent,
)
from api.pharmacy.models import (
    CatalogProduct,
    InventoryItem,
    InventoryLot,
    LotRecall,
    PurchaseOrder,
    PurchaseOrderLine,
)
from api.prescriptions.models import Dispense, Prescription
from api.records.models import Record
from api.roles.models import RolePermissionOverride
from api.scheduling.models import (
    Appointment,
    Encounter,
    PractitionerProfile,
    Resource,
    Schedule,
    ScheduleException,
)
from api.tenants.models import Organization

__all__ = [
    "AccessLogEntry",
    "Appointment",
    "AuditBatch",
    "AuthSession",
    "BillableEvent",
    "BreakGlassAccess",
    "CatalogProduct",
    "ChainCursor",
    "ChainNonce",
    "Charge",
    "Claim",
    "ClaimItem",
    "Consent",
    "Coverage",
    "Dispense",
    "Encounter",
    "ImagingReport",
    "ImagingStudy",
    "ImagingUpload",
    "InventoryItem",
    "InventoryLot",
    "Invoice",
    "InvoiceCounter",
    "KeyCustody",
    "LotRecall",
    "Notification",
    "Order",
    "Organization",
    "OutboxTransaction",
    "Payment",
    "PaymentIntent",
    "PractitionerProfile",
    "Prescription",
    "PriceItem",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Record",
    "RefreshToken",
    "Refund",
    "Resource",
    "RolePermissionOverride",
    "Schedule",
    "ScheduleException",
    "SimulatedIntent",
    "SimulatedWebhook",
    "SiweNonce",
    "UmbralKeys",
    "User",
    "UserRole",
    "WebhookEvent",
]
