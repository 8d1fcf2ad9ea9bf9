"""Turning any input into text that is safe to normalise, or saying why there is none.

Every normaliser starts here. The rule for junk is the same everywhere: a value that cannot
give a key is not an error, it is a result without a key and with a reason. ``None`` and blank
text are *empty*; other types, over-long text and text that is not valid Unicode (a lone
surrogate) are *invalid*. Control characters count as spaces; invisible format characters
(zero-width spaces, byte-order marks, soft hyphens) are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["EMPTY", "clean_text", "nfkc"]

EMPTY: Final = "is empty"
"""The reason given when there is nothing to normalise (``None``, ``""`` or only spaces)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")


def clean_text(
    value: object, *, max_length: int, allow_int: bool = False
) -> tuple[str | None, str]:
    """``(text, "")`` for usable text, else ``(None, reason)``.

    The text has control characters turned into spaces and invisible characters removed, and
    is stripped; it is *not* yet NFKC-normalised (see :func:`nfkc`). ``allow_int`` reads a
    non-negative ``int`` as its digits (spreadsheets store phone numbers as numbers).
    """
    if value is None:
        return None, EMPTY
    if isinstance(value, str):
        text = value
    elif allow_int and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value) if value < 10**30 else ""
        if not text:
            return None, "is too long to be a phone number"
    else:
        return None, f"must be text, not {type(value).__name__}"
    if len(text) > max_length:
        return None, f"is longer than {max_length} characters"
    if not text.isprintable():  # lone surrogates, controls and invisibles are not printable
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return None, "is not valid Unicode text (it holds a lone surrogate)"
            text = _INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
    text = text.strip()
    if not text:
        return None, EMPTY
    return text, ""


_FULL_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def nfkc(text: str) -> str:
    """``text`` in Unicode NFKC form: full-width letters, digits and punctuation become their
    ordinary forms (``１３８`` → ``138``, ``（`` → ``(``); ASCII is returned as it is.

    Text already in NFKC is returned at once; full-width ASCII forms (the usual reason a
    Chinese string is not) are mapped by a table, which is what NFKC does to them, before the
    full normalisation is tried.
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    text = text.translate(_FULL_WIDTH)
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)
