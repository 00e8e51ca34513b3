"""insurance context."""
