"""Enums whose members carry a Chinese and an English label for display."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

__all__ = ["LabelledEnum"]


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
        """Find a member by value, name or either label (case-insensitive for ASCII)."""
        wanted = text.strip().casefold()
        for member in cls:
            names = (member.value, member.name, member.label, member.label_en)
            if wanted in (n.casefold() for n in names):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{text!r} is not a {cls.__name__}; expected one of: {choices}")
