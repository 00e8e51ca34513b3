"""Canonical email addresses: one spelling per mailbox, and none that passes for another's."""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import confusables
from email_validator import EmailNotValidError, validate_email


class UnacceptableEmail(ValueError):
    """The address is malformed or made of look-alike letters; the message says which."""


def _passes_for_latin(part: str) -> bool:
    """Whether a local part or domain label could be read as another, Latin, one: scripts
    mixed with look-alike letters (a Cyrillic a, U+0430, among Latin letters), or spelled
    wholly in non-Latin letters that each look Latin (Cyrillic U+0430 U+043E U+0440)."""
    if part.isascii():
        return False
    if confusables.is_dangerous(part):
        return True
    letters = {c for c in part if c.isalpha() and not c.isascii()}
    lookalikes = confusables.is_confusable(part, greedy=True, preferred_aliases=["latin"])
    return bool(letters) and letters <= {found["character"] for found in lookalikes or []}


def canonical_email(value: str) -> str:
    """The one stored spelling of an address: NFKC-folded (full-width letters become ASCII),
    validated and normalised by email-validator, lower-cased. Raises UnacceptableEmail."""
    folded = unicodedata.normalize("NFKC", value.strip())
    try:
        parsed = validate_email(folded, check_deliverability=False)
    except EmailNotValidError as exc:
        raise UnacceptableEmail(f"the email address is not valid: {exc}") from None
    if any(_passes_for_latin(part) for part in (parsed.local_part, *parsed.domain.split("."))):
        raise UnacceptableEmail(
            "the email address has letters of another script that look like Latin ones")
    return parsed.normalized.lower()


def lookup_email(value: str) -> str:
    """The spelling to look an account up by; an address that could not have been registered
    is folded the same way but not refused, so it simply matches no account."""
    try:
        return canonical_email(value)
    except UnacceptableEmail:
        return unicodedata.normalize("NFKC", value.strip()).lower()
