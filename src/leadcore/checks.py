"""Strict checks of values at the library's edge: every public argument passes one of these.

Each check returns the clean value or raises ``ValidationError`` naming the argument and what
would be right. Nothing is coerced silently: a ``str`` where a collection goes, ``"false"``
for a switch, a float for a count, a naive datetime, an unknown enum value — each is refused.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from typing import Any, Final, TypeVar

from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum

__all__ = [
    "MAX_ID",
    "MAX_STORED_NUMBER",
    "MAX_TEXT",
    "all_text",
    "article",
    "aware",
    "choice",
    "choices",
    "conforms",
    "finite",
    "flag",
    "format_char",
    "hours",
    "identifier",
    "identifier_list",
    "identifiers",
    "kept_text",
    "not_an_id",
    "optional_aware",
    "optional_text",
    "stored_number",
    "text",
    "text_problem",
    "whole",
]

E = TypeVar("E", bound=LabelledEnum)
T = TypeVar("T")

MAX_ID: Final = 200
"""The longest id accepted (users, leads, pools, grants)."""

MAX_TEXT: Final = 200
"""The longest one-line text accepted by default (names, companies, reasons)."""

MAX_LONG_TEXT: Final = 20_000
"""The longest multi-line text accepted (follow-up content, notes)."""

_SHORT_BAD: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_LONG_BAD: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


def _bad(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def article(noun: str) -> str:
    """``a`` or ``an`` for ``noun`` (``an Event``, ``a Lead``), by its first letter."""
    return "an" if noun[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one (``1 lead``, ``3 leads``); the
    last word takes the ``s`` (``2 decided leads``). Chinese text needs no plural."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def kept_text(value: object, field: str) -> str:
    """A ``str`` kept exactly as given (a store's ids, a query's criteria): any text that can
    be written as UTF-8, so every store can keep it (a lone surrogate cannot)."""
    if type(value) is not str and not isinstance(value, str):
        shown = type(value).__name__
        raise _bad(field, f"must be text, not {shown}")
    if not value.isascii() and _SURROGATE.search(value):
        raise _bad(field, "must be valid Unicode text (it holds a lone surrogate)")
    return value


def text_problem(value: str, *, long: bool = False) -> str | None:
    """What is wrong with ``value`` as stored text, or None: lone surrogates are never allowed
    (they cannot be encoded), nor control characters, except newline and tab in long text;
    one-line text also refuses the line and paragraph separators U+2028 and U+2029."""
    if value.isprintable():  # the common case, in C: no control or surrogate is printable
        return None
    found = (_LONG_BAD if long else _SHORT_BAD).search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return "must not contain lone surrogate characters (broken Unicode)"
    if char in "\u2028\u2029":
        return f"must be one line, without line or paragraph separators such as {char!r}"
    allowed = " (newline and tab are fine)" if long else ""
    return f"must not contain control characters such as {char!r}{allowed}"


def format_char(value: str) -> str | None:
    """The first invisible format character in ``value`` (Unicode category Cf: zero-width
    spaces and joiners, bidi controls, a byte-order mark, a soft hyphen), or None."""
    if value.isprintable():  # no Cf character is printable: the common case costs one C call
        return None
    for char in value:
        if unicodedata.category(char) == "Cf":
            return char
    return None


def _format_problem(value: str) -> str | None:
    char = format_char(value)
    if char is None:
        return None
    return f"must not contain invisible format characters such as {char!r} (type the id plainly)"


def text(
    value: object,
    field: str,
    *,
    max_len: int = MAX_TEXT,
    long: bool = False,
    required: bool = True,
) -> str:
    """``value`` as clean text: a ``str``, trimmed, at most ``max_len`` characters, without
    surrogates or control characters (newline and tab allowed when ``long``); CRLF line ends
    become LF. Blank text is refused when ``required``."""
    if not isinstance(value, str):
        raise _bad(field, f"must be text, not {type(value).__name__}")
    clean = value.replace("\r\n", "\n").strip() if long else value.strip()
    problem = text_problem(clean, long=long)
    if problem is not None:
        raise _bad(field, problem)
    if len(clean) > max_len:
        raise _bad(field, f"must be at most {max_len} characters, not {len(clean)}")
    if required and not clean:
        raise _bad(field, "must not be blank")
    if required and not clean.isprintable() and _only_invisible(clean):
        raise _bad(field, "must not be blank (it holds only invisible characters)")
    return clean


def _only_invisible(value: str) -> bool:
    """Whether ``value`` is all spaces and invisible format characters (``"\u200b"``)."""
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in value)


def optional_text(
    value: object, field: str, *, max_len: int = MAX_TEXT, long: bool = False
) -> str | None:
    """Like :func:`text`, but None (or blank text) gives None."""
    if value is None:
        return None
    clean = text(value, field, max_len=max_len, long=long, required=False)
    return clean or None


def identifier(value: object, field: str) -> str:
    """An id: non-blank one-line text of at most ``MAX_ID`` characters."""
    if (
        type(value) is str
        and 0 < len(value) <= MAX_ID
        and value.isprintable()  # so the only space ``strip`` could take off is " "
        and value[0] != " "
        and value[-1] != " "
    ):
        return value  # already clean: what ``text`` would give
    return text(value, field, max_len=MAX_ID)


def not_an_id(field: str, value: object) -> ValidationError:
    """The refusal of ``value`` (a list, a dict…: what cannot even be looked up) as an id."""
    return _bad(field, f"must be an id (text), not {type(value).__name__}")


def id_problem(value: object) -> str | None:
    """What is wrong with ``value`` as an id to keep (a pool's, a department a lead is filed
    under), or None: non-blank one-line text of at most ``MAX_ID`` characters, without
    surrounding spaces or invisible format characters (``east`` with a zero-width space after
    it looks like ``east``: it is refused). Calls trim the ids they are given, so a kept id with
    surrounding spaces could never be reached again: it is refused, not trimmed."""
    if not isinstance(value, str) or not value.strip():
        return "must be non-blank text"
    bad = text_problem(value) or _format_problem(value)
    if bad is not None:
        return bad
    if len(value) > MAX_ID:  # before the spaces, whose message shows the whole id
        return f"must be at most {MAX_ID} characters, not {len(value)}"
    if value != value.strip():
        return f"must not begin or end with spaces (use {value.strip()!r})"
    return None


def kept_identifier(value: object, field: str) -> str:
    """An id to keep exactly as given (see :func:`id_problem`), or ``ValidationError``."""
    problem = id_problem(value)
    if problem is not None:
        raise _bad(field, problem)
    assert isinstance(value, str)
    return value


_PLAIN_COLLECTIONS: Final = frozenset({list, tuple, set, frozenset})


def _collection(value: Any) -> Iterable[Any] | None:
    """``value`` if it can stand for a collection of items; None for one ``str`` or
    ``bytes``, a mapping (whose keys would be taken silently), or no iterable at all."""
    if type(value) in _PLAIN_COLLECTIONS:
        return value  # type: ignore[no-any-return]  # the common case, without an ABC check
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return None
    return value


_MAX_LISTED: Final = 20
"""The most bad items of one collection that one error names, so that a huge list of wrong
items is refused quickly, with a short message; a last problem says where the rest begin."""


def _unlisted(field: str, index: int) -> FieldProblem:
    return FieldProblem(
        field,
        f"has more bad items from {field}[{index}] on; only the first {_MAX_LISTED} are named",
    )


def each_item(check: Callable[[object, str], T], items: Iterable[object], field: str) -> list[T]:
    """``check(item, "field[i]")`` of every item, in order; one ``ValidationError`` naming
    every bad item (up to ``_MAX_LISTED``), not just the first, when any is refused."""
    clean: list[T] = []
    problems: list[FieldProblem] = []
    for i, item in enumerate(items):
        try:
            clean.append(check(item, f"{field}[{i}]"))
        except ValidationError as e:
            if len(problems) >= _MAX_LISTED:
                problems.append(_unlisted(field, i))
                break
            problems += e.problems
    if problems:
        raise ValidationError(problems)
    return clean


SHOWN_CHARS: Final = 60
"""How much of a value a message shows before it cuts it with ``…``."""


def shown(value: object, *, quote: bool = True) -> str:
    """``value`` for a message: its ``repr`` (``str`` with ``quote=False``, unless it is text
    with characters that do not print), cut to about 60 characters with ``…``, so that a huge
    value does not fill the message; a value that cannot be written out (an int past Python's
    4,300 digits) is named by its type."""
    plain = not quote and not (isinstance(value, str) and not value.isprintable())
    try:
        text = str(value) if plain else repr(value)
    except Exception:  # int-to-text limits, or a host object's broken __repr__
        name = type(value).__name__
        return f"{article(name)} {name} too long to show"
    return text if len(text) <= SHOWN_CHARS else f"{text[: SHOWN_CHARS - 1]}…"


def _shown(value: object) -> str:
    return f"the string {value!r:.40}" if isinstance(value, str) else type(value).__name__


def identifiers(value: object, field: str, *, allow_empty: bool = True) -> frozenset[str]:
    """A collection of ids (a list, tuple, set…, never a single ``str`` or a mapping)."""
    items = _collection(value)
    if items is None:
        raise _bad(field, f'must be a collection of ids like ["u1", "u2"], not {_shown(value)}')
    found = frozenset(each_item(identifier, items, field))
    if not found and not allow_empty:
        raise _bad(field, "name at least one")
    return found


def identifier_list(value: object, field: str) -> list[str]:
    """Ids in the order given (a list, tuple…, never a single ``str`` or a mapping), repeats
    kept."""
    items = _collection(value)
    if items is None:
        raise _bad(field, f'must be a list of ids like ["L1", "L2"], not {_shown(value)}')
    return each_item(identifier, items, field)


def instances(value: object, kind: Any, field: str, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of ``kind`` instances (a list, tuple…, never a ``str`` or a
    mapping); ``what`` names them in the message (``"Pool records"``)."""
    items = _collection(value)
    if items is None:
        raise _bad(field, f"must be a collection of {what}, not {type(value).__name__}")
    found = tuple(items)
    if all(map(isinstance, found, repeat(kind, len(found)))):
        return found  # the common case, tested in C
    bad = [i for i, item in enumerate(found) if not isinstance(item, kind)]
    if bad:
        problems = [
            FieldProblem(f"{field}[{i}]", f"must be one of {what}, not {shown(found[i])}")
            for i in bad[:_MAX_LISTED]
        ]
        if len(bad) > _MAX_LISTED:
            problems.append(_unlisted(field, bad[_MAX_LISTED]))
        raise ValidationError(problems)
    return found


def finite(value: float) -> bool:
    """Whether ``value`` is finite as a float: an int too large for a float is not (it could
    not be compared with the floats scores and bounds are made of)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def all_text(items: Iterable[object]) -> bool:
    """Whether every item is a ``str`` (a subclass too), in one pass in C: ``str.join``
    refuses anything else, at a fraction of the cost of a test per item in Python, which
    matters for the long lists of user ids every assignment passes around."""
    try:
        "".join(items)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


_CONFORMING: Final[set[tuple[type, type]]] = set()


def conforms(value: object, protocol: type) -> bool:
    """``isinstance(value, protocol)`` for a runtime-checkable protocol of methods, remembered
    per class once it holds: Python reads every method of the protocol on each check, which
    costs more than many a call that is checked."""
    key = (type(value), protocol)
    if key in _CONFORMING:
        return True
    if isinstance(value, protocol):
        _CONFORMING.add(key)
        return True
    return False


def flag(value: object, field: str) -> bool:
    """A switch: ``True`` or ``False`` only (not ``"false"``, not 0)."""
    if not isinstance(value, bool):
        raise _bad(field, f"must be True or False, not {shown(value)}")
    return value


def whole(value: object, field: str, *, least: int = 0, most: int = 10**9) -> int:
    """A whole number in ``[least, most]`` (not a bool, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, f"must be a whole number, not {type(value).__name__}")
    if not least <= value <= most:
        raise _bad(field, f"must be between {least} and {most}, not {shown(value)}")
    return value


MAX_STORED_NUMBER: Final = 2**63 - 1
"""The largest version, position, offset or limit accepted: what a 64-bit database column (and
``itertools.islice``) holds."""


def stored_number(value: object, field: str) -> int:
    """A version, position, offset or limit: a whole number from 0 to 2**63 - 1 (not a bool)."""
    if type(value) is int and 0 <= value <= MAX_STORED_NUMBER:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, f"must be a whole number, not {type(value).__name__}")
    raise _bad(field, f"must be from 0 to 2**63 - 1, not {shown(value)}")


def hours(value: object, field: str, *, most: float) -> float:
    """A number of hours: finite, above 0, at most ``most``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(field, f"must be a number of hours, not {type(value).__name__}")
    number = float(value) if not isinstance(value, int) or abs(value) < 10**15 else math.inf
    if not math.isfinite(number) or not 0 < number <= most:
        raise _bad(field, f"must be more than 0 and at most {most:g} hours, not {shown(value)}")
    return number


def aware(value: object, field: str) -> datetime:
    """A timezone-aware datetime, returned in UTC (the same instant), so what is stored and
    what messages print agree whatever zone the caller used."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already in UTC, as every time the library hands out is
    if not isinstance(value, datetime):
        raise _bad(field, f"must be a datetime, not {type(value).__name__}")
    try:
        offset = value.utcoffset()
    except Exception as e:  # a host's tzinfo may raise anything; it is still a bad argument
        raise _bad(field, f"has a time zone that cannot be read ({type(e).__name__})") from None
    if value.tzinfo is None or offset is None:
        raise _bad(field, "must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise _bad(field, "is too close to the limits of the calendar") from None


def optional_aware(value: object, field: str) -> datetime | None:
    """Like :func:`aware`, but None gives None."""
    return None if value is None else aware(value, field)


def choice(cls: type[E], value: object, field: str) -> E:
    """A member of ``cls`` given as the member, its value, name, or Chinese or English label."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, str):
        raise _bad(field, f"must be one of: {cls.choices()}")
    try:
        return cls.parse(value)
    except ValidationError as e:
        raise _bad(field, e.problems[0].reason) from None


def choices(cls: type[E], value: object, field: str) -> frozenset[E]:
    """A collection of members of ``cls`` (never a single ``str`` or a mapping), each as for
    :func:`choice`."""
    items = _collection(value)
    if items is None:
        raise _bad(field, f"must be a collection such as [{cls.choices()}], not {shown(value)}")
    return frozenset(each_item(partial(choice, cls), items, field))
