"""Text that people see: names of people and organisations, kept printable."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# Zero-width (non-)joiners are part of the spelling of words in Indic and Persian scripts.
_JOINERS = frozenset({"\u200c", "\u200d"})
# Controls (NUL, tabs, newlines), format characters (bidi overrides and isolates, direction
# marks, zero-width spaces, BOM), lone surrogates, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _printable_name(value: str) -> str:
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES and c not in _JOINERS
           for c in value):
        raise ValueError("the name holds control or formatting characters (such as NUL or "
                         "a right-to-left override)")
    return unicodedata.normalize("NFC", value)


# A name shown to other people (a person's, an organisation's): printable text only, so it
# cannot reorder or hide what is displayed around it.
DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"\S"),
    AfterValidator(_printable_name),
]
