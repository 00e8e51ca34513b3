"""Password hashing (argon2id) and strength rules (length plus a zxcvbn guessability score)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MAX_PASSWORD_LENGTH = 128


class WeakPassword(ValueError):
    pass


class PasswordPolicy:
    def __init__(self, *, min_length: int, min_score: int) -> None:
        self.min_length = min_length
        self.min_score = min_score

    def check(self, password: str, *, user_inputs: list[str]) -> None:
        if len(password) < self.min_length:
            raise WeakPassword(f"the password must have at least {self.min_length} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise WeakPassword(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
        # zxcvbn refuses over 72 characters (its matching is quadratic); the head is enough.
        result = zxcvbn(password[:72], user_inputs=[u[:72] for u in user_inputs if u])
        if int(result["score"]) < self.min_score:
            hint = result["feedback"].get("warning") or "it is too easy to guess"
            raise WeakPassword(f"the password is too weak: {hint}".rstrip("."))


class PasswordHashing:
    """argon2id with configurable cost; hashes made with older costs are upgraded on login."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified when the account is unknown, so both paths take about as long.
        self._dummy = self._hasher.hash("not-a-real-password-0")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
