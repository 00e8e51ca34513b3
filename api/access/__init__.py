"""Access control: roles, their permissions (action x resource), per-tenant overrides; and
the access gate (api.access.gate), the one way to a patient's clinical data."""
