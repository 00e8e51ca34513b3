"""Access control: roles, their permissions (action x resource), per-tenant overrides."""
