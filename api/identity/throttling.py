"""Rate limits on anonymous attempts (sign-in, registration, SIWE nonces, account emails):
moving windows counted in this process's memory, so each worker process counts on its own."""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.errors import TooManyAttempts


class AttemptLimiter:
    """Each limit is a `limits` expression such as "10/minute" or "10/minute;100/hour"."""

    def __init__(self, *, sign_in_per_client: str, sign_in_per_account: str,
                 registration_per_client: str, siwe_nonce_per_client: str,
                 account_mail_per_client: str = "10/hour",
                 account_mail_per_address: str = "3/hour") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits: dict[str, list[RateLimitItem]] = {
            "sign-in-client": parse_many(sign_in_per_client),
            "sign-in-account": parse_many(sign_in_per_account),
            "registration-client": parse_many(registration_per_client),
            "siwe-nonce-client": parse_many(siwe_nonce_per_client),
            "account-mail-client": parse_many(account_mail_per_client),
            "account-mail-address": parse_many(account_mail_per_address),
        }

    def sign_in(self, *, client: str, account: str) -> None:
        """Count a sign-in attempt from `client` for `account` (the canonical username),
        whether or not such an account exists."""
        self._hit("sign-in-client", client)
        # Keyed by a digest: the counters hold no email, and a key's size is bounded.
        self._hit("sign-in-account", hashlib.sha256(account.encode()).hexdigest())

    def registration(self, *, client: str) -> None:
        self._hit("registration-client", client)

    def siwe_nonce(self, *, client: str) -> None:
        self._hit("siwe-nonce-client", client)

    def account_mail(self, *, client: str, account: str) -> None:
        """Count a request for a password-reset (or confirmation) email from `client` for
        `account` (an address, known or not, or an account's id)."""
        self._hit("account-mail-client", client)
        self._hit("account-mail-address", hashlib.sha256(account.encode()).hexdigest())

    def _hit(self, name: str, key: str) -> None:
        for item in self._limits[name]:
            if not self._limiter.hit(item, name, key):
                reset_at, _ = self._limiter.get_window_stats(item, name, key)
                raise TooManyAttempts("too many attempts; try again later",
                                      math.ceil(reset_at - time.time()))
