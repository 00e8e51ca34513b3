"""The insurance context's uses of the system session, each with its reason: merged into the one
list in api/system_sessions.py (see there for the rules)."""

from __future__ import annotations

# "METHOD /path" -> why the route opens the system session.
SYSTEM_SESSION_ROUTES: dict[str, str] = {}
# Module -> why it opens `session_scope(..., SYSTEM)` itself (background work).
SYSTEM_SESSION_MODULES: dict[str, str] = {}
