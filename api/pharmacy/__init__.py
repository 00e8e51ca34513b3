"""Pharmacy stock (items, lots, reorder alerts), drug vendors' catalogue and recalls, and
purchase orders between pharmacies and vendors."""
