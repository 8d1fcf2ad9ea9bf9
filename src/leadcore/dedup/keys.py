"""What a duplicate key is: its kind (phone, email, company, WeChat) and its normalised value."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum

__all__ = ["DedupKey", "KeyKind", "key_kinds"]


class KeyKind(LabelledEnum):
    """Which contact detail a duplicate key was made from."""

    PHONE = "phone", "电话", "Phone"
    EMAIL = "email", "邮箱", "Email"
    COMPANY = "company", "公司", "Company"
    WECHAT = "wechat", "微信", "WeChat"


_BY_VALUE = {k.value: k for k in KeyKind}
_set = object.__setattr__


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True, order=True)
class DedupKey:
    """A normalised duplicate key: two records sharing one are duplicates of each other.

    ``value`` is the normalised form: E.164 for a phone (``+8613800138000``), the lowercased
    address for an email, ``region/name`` or just ``name`` for a company (``北京/星河科技``), the
    lowercased id for WeChat. ``str(key)`` is ``kind:value`` (``phone:+8613800138000``), which
    :meth:`parse` reads back, so a store can index keys as one text column.
    """

    kind: KeyKind
    value: str

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.kind, KeyKind):
            choices = ", ".join(k.value for k in KeyKind)
            problems.append(FieldProblem("kind", f"must be a KeyKind ({choices})"))
        if not isinstance(self.value, str) or not self.value:
            problems.append(FieldProblem("value", "must be non-empty text"))
        if problems:
            raise ValidationError(problems, subject="key")

    def __str__(self) -> str:
        # ``_value_``, not ``value``: the enum's property costs a Python call, and stores turn
        # every key asked about into its text.
        return f"{self.kind._value_}:{self.value}"

    @property
    def label(self) -> str:
        """The key for a Chinese UI: ``电话 +8613800138000``."""
        return f"{self.kind.label} {self.value}"

    @classmethod
    def parse(cls, text: str) -> DedupKey:
        """Read a key back from its ``str`` form (``phone:+8613800138000``).

        Raises ``ValidationError`` naming ``key`` when the text is not ``kind:value`` with a
        known kind and a non-empty value.
        """
        if not isinstance(text, str):
            raise ValidationError([FieldProblem("key", "must be text like 'phone:+8613800138000'")])
        kind, sep, value = text.partition(":")
        found = _BY_VALUE.get(kind)
        if not sep or not value or found is None:
            choices = ", ".join(k.value for k in KeyKind)
            raise ValidationError(
                [FieldProblem("key", f"{text[:80]!r} is not 'kind:value' with a kind of {choices}")]
            )
        # Both parts are checked above, so the key is built without checking them again:
        # an import reads a few keys for every row.
        key = object.__new__(cls)
        _set(key, "kind", found)
        _set(key, "value", value)
        return key


def key_kinds(kinds: object) -> frozenset[KeyKind]:
    """``kinds`` as a set of ``KeyKind`` (each given as the kind, its value or a label; None
    for every kind); ``ValidationError`` naming ``kinds`` for one ``str`` or anything else."""
    if kinds is None:
        return frozenset(KeyKind)
    choices = ", ".join(k.value for k in KeyKind)
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise ValidationError([FieldProblem("kinds", f"must be a collection of: {choices}")])
    found: set[KeyKind] = set()
    for i, kind in enumerate(kinds):
        if isinstance(kind, KeyKind):
            found.add(kind)
            continue
        try:
            if not isinstance(kind, str):
                raise ValueError(kind)
            found.add(KeyKind.parse(kind))
        except ValueError:
            raise ValidationError(
                [FieldProblem(f"kinds[{i}]", f"{kind!r} is not one of: {choices}")]
            ) from None
    return frozenset(found)
