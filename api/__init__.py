"""OHMS API service: the only composition root (settings -> adapters -> routers)."""
