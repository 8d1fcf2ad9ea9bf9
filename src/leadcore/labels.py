"""Enums whose members carry a Chinese and an English label for display."""

from __future__ import annotations

import re
import warnings
from enum import StrEnum
from typing import Self, TypeVar

__all__ = ["LabelledEnum", "rename_value"]

_RENAMED: dict[type, dict[str, str]] = {}
E = TypeVar("E", bound="LabelledEnum")


_NAMES: dict[type, dict[str, LabelledEnum]] = {}


def _names_of(cls: type[E]) -> dict[str, E]:
    """Every member of ``cls`` by its value, name and labels, casefolded (built once)."""
    names = _NAMES.get(cls)
    if names is None:
        names = {}
        for member in cls:
            for name in (member.label_en, member.label, member.name, member.value):
                names[name.casefold()] = member
        _NAMES[cls] = names
    return names  # type: ignore[return-value]


def _refusal(cls: type[LabelledEnum], text: object) -> ValueError:
    from leadcore.errors import FieldProblem, ValidationError

    shown = repr(text) if len(repr(text)) < 80 else repr(text)[:77] + "..."
    message = f"{shown} is not {cls.noun()}; expected one of: {cls.choices()}"
    error = ValidationError([FieldProblem("", message)], subject="value")  # "": the value itself
    error.args = (message,)  # read as the plain sentence where a caller quotes it
    return error


def rename_value(cls: type[LabelledEnum], old: str, new: str) -> None:
    """Let ``cls.parse`` still read ``old``, a value renamed to ``new`` (for one release).
    ``new`` must be a value of ``cls`` and ``old`` text none of its members answers to, or a
    ``ValidationError`` says which."""
    from leadcore.errors import FieldProblem, ValidationError

    problems: list[FieldProblem] = []
    if not isinstance(old, str) or not old.strip():
        problems.append(FieldProblem("old", f"must be non-empty text, not {old!r:.40}"))
    elif old.strip().casefold() in _names_of(cls):
        problems.append(FieldProblem("old", f"{old!r:.40} still names {cls.noun()}"))
    if not isinstance(new, str) or new not in {m.value for m in cls}:
        reason = f"must be a value of {cls.__name__} ({cls.choices()}), not {new!r:.40}"
        problems.append(FieldProblem("new", reason))
    if problems:
        raise ValidationError(problems, subject="value rename")
    _RENAMED.setdefault(cls, {})[old.strip().casefold()] = new


class LabelledEnum(StrEnum):
    """A string enum whose members are declared as ``NAME = "value", "中文", "English"``.

    The value is the stable identifier stored and serialised; ``label`` is the Chinese label
    shown in Chinese UIs and ``label_en`` the English one.
    """

    label: str
    label_en: str

    def __new__(cls, value: str, label: str, label_en: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.label_en = label_en
        return member

    @classmethod
    def parse(cls, text: str) -> Self:
        """Find a member by value, name or either label (case-insensitive for ASCII); a value
        renamed in this release is still found, with a ``DeprecationWarning``. Raises
        ``ValidationError`` (a ``ValueError``) naming the allowed values otherwise."""
        if not isinstance(text, str):
            raise _refusal(cls, text)
        wanted = text.strip().casefold()
        found = _names_of(cls).get(wanted)
        if found is not None:
            return found
        renamed = _RENAMED.get(cls, {}).get(wanted)
        if renamed is not None:
            warnings.warn(
                f"{cls.__name__} {text!r} is now {renamed!r}", DeprecationWarning, stacklevel=2
            )
            return next(m for m in cls if m.value == renamed)
        raise _refusal(cls, text)

    @classmethod
    def _missing_(cls, value: object) -> Self:
        """``LeadStatus("asigned")``: a value no member has is refused as a ``ValidationError``
        (still a ``ValueError``) naming the allowed values, like :meth:`parse`."""
        raise _refusal(cls, value)

    @classmethod
    def choices(cls) -> str:
        """The members' values, comma-separated (for error messages)."""
        return ", ".join(m.value for m in cls)

    @classmethod
    def noun(cls) -> str:
        """The enum's name in words with its article: "a lead status", "an action"."""
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()
        return ("an " if words[0] in "aeiou" else "a ") + words
