"""Throwaway instances of the real backends, started on loopback for tests and benchmarks.

Each module offers a context manager that starts one service, yields how to reach it and
stops it (and everything it spawned) on exit, even when the body raises.
"""

from scripts.services._process import free_port, wait_until

__all__ = ["free_port", "wait_until"]
