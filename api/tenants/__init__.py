"""Tenants: organisations (hospitals, clinics, labs, ...) and their membership."""
