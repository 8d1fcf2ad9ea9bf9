"""Id factories: ids are strings made by an injected callable, one per kind of record, so a
run can be replayed exactly.

A factory is called with the kind of record it names: ``"lead"``, ``"follow_up"``,
``"grant"``. ``uuid4_ids()`` is the default; ``counter_ids()`` numbers each kind on its own
(``L1``, ``L2``, ``F1``, ``G1``…) and, given the chance, resumes past the ids a store already
holds, so a restarted desk over the same store does not collide with its earlier ids.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, Protocol, runtime_checkable

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.signatures import checked_constructor

__all__ = ["KIND_PREFIXES", "CounterIds", "IdFactory", "ResumableIds", "counter_ids", "uuid4_ids"]

KIND_PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {"lead": "L", "follow_up": "F", "grant": "G"}
)
"""The letter ``counter_ids`` puts before each kind's numbers."""


@runtime_checkable
class IdFactory(Protocol):
    """Makes a fresh, unique id for a record of ``kind``."""

    def __call__(self, kind: str) -> str:
        """A new id for a record of ``kind``."""
        ...


@runtime_checkable
class ResumableIds(IdFactory, Protocol):
    """An id factory that can skip past ids already used (the desk asks once per kind)."""

    def resume(self, kind: str, is_used: Callable[[str], bool]) -> None:
        """Continue ``kind``'s sequence after the ids ``is_used`` reports as taken."""
        ...


def uuid4_ids() -> IdFactory:
    """The default factory: random UUID4 strings, whatever the kind."""

    def next_id(kind: str) -> str:
        return str(uuid.uuid4())

    return next_id


@checked_constructor
class CounterIds:
    """A deterministic, thread-safe factory with one counter per kind: ``{prefix}L1``,
    ``{prefix}L2``, ``{prefix}F1`` … (the letters are :data:`KIND_PREFIXES`; an unknown kind
    uses its own name). For tests, replays and single-process hosts."""

    def __init__(
        self, prefix: str = "", start: int = 1, *, letters: Mapping[str, str] = KIND_PREFIXES
    ) -> None:
        self.prefix = _part(prefix, "prefix")
        self.start = checks.stored_number(start, "start")
        self._letters = _letters(letters)
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def _format(self, kind: str, n: int) -> str:
        return f"{self.prefix}{self._letters.get(kind, kind + '-')}{n}"

    def __call__(self, kind: str) -> str:
        """The next id of ``kind`` (non-blank text: ``"lead"``, ``"follow_up"``, ``"grant"``)."""
        _check_kind(kind)
        with self._lock:
            n = self._next.get(kind, self.start)
            self._next[kind] = n + 1
            return self._format(kind, n)

    def resume(self, kind: str, is_used: Callable[[str], bool]) -> None:
        """Skip past the used ids of ``kind``: a counter's ids are used from the start without
        gaps (a deleted record's id stays used through its events), so the first free number
        is found by doubling then halving, in O(log n) look-ups. ``is_used`` answers True or
        False for an id."""
        _check_kind(kind)
        if not callable(is_used):
            shown = type(is_used).__name__
            raise ValidationError(
                [FieldProblem("is_used", f"must be a function of an id, not {shown}")]
            )
        with self._lock:
            low = self._next.get(kind, self.start)
            if not is_used(self._format(kind, low)):
                return
            step = 1
            while is_used(self._format(kind, low + step)):
                low += step
                step *= 2
                if low > checks.MAX_STORED_NUMBER:
                    raise ValidationError(
                        [FieldProblem("is_used", f"reports every {kind} id as used")]
                    )
            high = low + step  # free; low is used
            while high - low > 1:
                middle = (low + high) // 2
                if is_used(self._format(kind, middle)):
                    low = middle
                else:
                    high = middle
            self._next[kind] = high


def _check_kind(kind: object) -> None:
    if type(kind) is not str or not kind.strip():
        raise ValidationError(
            [FieldProblem("kind", f"must name a kind of record like 'lead', not {kind!r:.40}")]
        )


_MAX_PART: Final = 50
"""The longest prefix or kind letter: room is left in an id for the number."""


def _part(value: object, field: str) -> str:
    """A prefix or kind letter: text that may begin an id (empty, or an id's characters)."""
    if not isinstance(value, str):
        problem: str | None = f"must be text, not {type(value).__name__}"
    elif len(value) > _MAX_PART:
        problem = f"must be at most {_MAX_PART} characters, not {len(value)}"
    else:
        problem = checks.id_problem(value) if value else None
    if problem is not None:
        raise ValidationError([FieldProblem(field, f"{problem} (e.g. 'crm-' or '')")])
    assert isinstance(value, str)
    return value


def _letters(value: object) -> dict[str, str]:
    """The letters of each kind, checked like a prefix."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    "letters",
                    f"must map kinds to letters like {{'lead': 'L'}}, not {type(value).__name__}",
                )
            ]
        )
    letters: dict[str, str] = {}
    for kind, letter in value.items():
        if type(kind) is not str:
            raise ValidationError(
                [FieldProblem("letters", f"names kinds in text, not {kind!r:.40}")]
            )
        letters[kind] = _part(letter, f"letters[{kind!r:.40}]")
    return letters


def counter_ids(prefix: str = "", start: int = 1) -> CounterIds:
    """A :class:`CounterIds` factory: ``L1``, ``L2``, … for leads, ``F1`` … for follow-ups,
    ``G1`` … for grants, each after ``prefix``."""
    return CounterIds(prefix, start)
