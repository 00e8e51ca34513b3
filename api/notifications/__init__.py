"""Notifications to people: what happened to their data (break-glass reads, consents)."""
