"""WeChat ids to one key: case, spaces and a leading ``微信:`` label undone.

A WeChat id has letters, digits, ``_`` and ``-`` (phone and QQ numbers are ids too); its case
does not matter. Text that cannot be an id (``同手机``, ``无``) is flagged, not keyed, and the
``placeholders`` (``none``, ``null``…) mean "none given".
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

import attrs

from leadcore.dedup.keys import KeyKind
from leadcore.dedup.rules_base import (
    ExtendableRules,
    KeyedResult,
    check_texts,
    raise_problems,
    to_tuple,
)
from leadcore.dedup.text import clean_text, nfkc
from leadcore.errors import FieldProblem

__all__ = ["NormalisedWechat", "WechatNormaliser", "WechatRules"]

MAX_WECHAT_LENGTH: Final = 100
"""Longer input is not a WeChat id."""

_ID = re.compile(r"[a-z0-9_-]+")
_SPACES = re.compile(r"\s+")


@attrs.frozen(slots=True)
class WechatRules(ExtendableRules):
    """How WeChat ids are read.

    ``labels`` are words people put before the id (``微信：zhangsan``, ``wx: zhangsan``); a
    Chinese label is removed wherever the id starts, a Latin one only when a ``:`` or space
    follows it. ``placeholders`` mean "none given". An id shorter than ``min_length`` or
    longer than ``max_length`` is flagged.
    """

    labels: tuple[str, ...] = attrs.field(
        default=("微信号", "微信", "wechat id", "wechat", "weixin", "wx", "vx"), converter=to_tuple
    )
    placeholders: tuple[str, ...] = attrs.field(
        default=("none", "null", "nil", "na", "n-a", "no", "test", "unknown"), converter=to_tuple
    )
    min_length: int = 5
    max_length: int = 64

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        check_texts(problems, "labels", self.labels)
        check_texts(problems, "placeholders", self.placeholders)
        for field in ("min_length", "max_length"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(FieldProblem(field, "must be a whole number of at least 1"))
        if not problems and self.min_length > self.max_length:
            problems.append(FieldProblem("max_length", "must not be below min_length"))
        raise_problems(problems)


@attrs.frozen(slots=True)
class NormalisedWechat(KeyedResult):
    """A WeChat id read: ``id`` (the key value) when it is usable, otherwise the ``reason`` it
    gives no key (``"is empty"`` when there was nothing to read)."""

    key_kind: ClassVar[KeyKind] = KeyKind.WECHAT
    id: str | None
    reason: str = ""

    @property
    def key_value(self) -> str | None:
        """The id."""
        return self.id


class WechatNormaliser:
    """Reads WeChat ids with one :class:`WechatRules`."""

    __slots__ = ("_label", "_placeholders", "rules")

    def __init__(self, rules: WechatRules | None = None) -> None:
        self.rules = rules or WechatRules()
        words = sorted({nfkc(w).strip().lower() for w in self.rules.labels}, key=len, reverse=True)
        chinese = [re.escape(w) for w in words if not w.isascii()]
        latin = [re.escape(w).replace(r"\ ", r"\s*") for w in words if w.isascii()]
        parts = []
        if chinese:
            parts.append(rf"(?:{'|'.join(chinese)})(?:\s*(?:号|id))?\s*[:：]?")
        if latin:
            parts.append(rf"(?:{'|'.join(latin)})(?:\s*(?:id|号))?(?:\s*[:：]|\s+)")
        self._label = re.compile(rf"(?:{'|'.join(parts)})\s*") if parts else None
        self._placeholders = frozenset(
            _SPACES.sub("", nfkc(p).lower()) for p in self.rules.placeholders
        )

    def normalise(self, value: object) -> NormalisedWechat:
        """Read one id; never raises."""
        return NormalisedWechat(*self._read(value))

    def key_value(self, value: object) -> str | None:
        """Just the key value of ``value``, or ``None``."""
        return self._read(value)[0]

    def _read(self, value: object) -> tuple[str | None, str]:
        text, reason = clean_text(value, max_length=MAX_WECHAT_LENGTH)
        if text is None:
            return None, reason
        text = nfkc(text).lower()
        if self._label is not None:
            label = self._label.match(text)
            if label and label.end() < len(text):
                text = text[label.end() :]
        if not text.isalnum():
            text = _SPACES.sub("", text)
        if text in self._placeholders:
            return None, "is a placeholder, not a WeChat id"
        if not _ID.fullmatch(text):
            return None, "is not a WeChat id (letters, digits, _ and - only)"
        if len(text) < self.rules.min_length:
            return None, f"is shorter than {self.rules.min_length} characters"
        if len(text) > self.rules.max_length:
            return None, f"is longer than {self.rules.max_length} characters"
        return text, ""
