"""billing context."""
