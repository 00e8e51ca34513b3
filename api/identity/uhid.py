"""Unique health IDs: 14 digits (13 random + a Verhoeff check digit), shown as NN-NNNN-NNNN-NNNN.

Random, so a UHID says nothing about registration order and cannot be guessed from a
neighbour's; the Verhoeff digit catches every single-digit error and adjacent swap.
"""

from __future__ import annotations

import re
import secrets

from stdnum import verhoeff
from stdnum.exceptions import ValidationError

UHID_DIGITS = 14
_SEPARATORS = re.compile(r"[\s-]")
_LOOKS_LIKE_UHID = re.compile(r"^[\d\s-]{14,20}$")


class InvalidUHID(ValueError):
    """Not a UHID: wrong length, not digits, or the check digit does not match."""


def generate_uhid() -> str:
    body = str(secrets.randbelow(9 * 10**12) + 10**12)  # 13 digits, no leading zero
    return body + verhoeff.calc_check_digit(body)


def normalize_uhid(value: str) -> str:
    """Canonical 14-digit form of a UHID typed with or without separators."""
    digits = _SEPARATORS.sub("", value)
    if len(digits) != UHID_DIGITS or not digits.isdigit():
        raise InvalidUHID("a UHID has 14 digits")
    try:
        verhoeff.validate(digits)
    except ValidationError as exc:
        raise InvalidUHID(
            "the UHID's check digit does not match: it was probably mistyped"
        ) from exc
    return digits


def looks_like_uhid(value: str) -> bool:
    return bool(_LOOKS_LIKE_UHID.match(value.strip()))


def format_uhid(uhid: str) -> str:
    return f"{uhid[:2]}-{uhid[2:6]}-{uhid[6:10]}-{uhid[10:]}"
