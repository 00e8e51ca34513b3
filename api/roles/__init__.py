"""Roles and their permissions (resource:action), with each organisation's overrides: who may
call which route. Clinical data is reached through the access gate (api.access.gate) on top."""
