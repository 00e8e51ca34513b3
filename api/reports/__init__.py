"""The reports context: the organisation's revenue, receivables and claims, computed with
SQL aggregates."""
