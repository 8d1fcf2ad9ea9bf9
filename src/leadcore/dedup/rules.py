"""All dedup rules in one value, as plain data (dict / JSON / TOML) or Python.

:class:`DedupRules` holds the rules of each kind of key and which record fields they read.
Loaded from config, a list replaces the default, or a table ``{add = [...], remove = [...]}``
edits it (see :mod:`leadcore.dedup.editing`); anything wrong is a ``ConfigError`` naming the
path (``$.company.regions[3].name``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from leadcore.config import structure, unstructure
from leadcore.dedup.companies import CompanyRules
from leadcore.dedup.editing import apply_edits, check_shape, renamed
from leadcore.dedup.emails import EmailRules
from leadcore.dedup.keys import KeyKind
from leadcore.dedup.phones import PhoneRules
from leadcore.dedup.rules_base import FromConfig, raise_problems, to_tuple
from leadcore.dedup.wechat import WechatRules
from leadcore.errors import ConfigError, FieldProblem
from leadcore.frozen import frozen_mapping
from leadcore.signatures import checked_constructor

__all__ = ["CUSTOM_PREFIX", "DEFAULT_FIELDS", "RECORD_FIELDS", "DedupRules", "is_record_field"]

CUSTOM_PREFIX: Final = "custom_fields."
"""A custom field is read as ``custom_fields.<name>``."""

RECORD_FIELDS: Final = (
    "phone",
    "email",
    "company",
    "wechat",
    "contact_name",
    "decision_maker_title",
    "industry",
    "region",
    "source",
)
"""The lead fields a key may be read from (besides ``custom_fields.<name>``)."""

DEFAULT_FIELDS: Final[Mapping[KeyKind, tuple[str, ...]]] = frozen_mapping(
    {
        KeyKind.PHONE: ("phone",),
        KeyKind.EMAIL: ("email",),
        KeyKind.COMPANY: ("company",),
        KeyKind.WECHAT: ("wechat",),
    }
)
"""Which field each kind of key is read from unless configured otherwise."""


def _kind(key: object) -> object:
    if isinstance(key, KeyKind) or not isinstance(key, str):
        return key
    try:
        return KeyKind.parse(key)
    except ValueError:
        return key


def _fields(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    given = {_kind(k): to_tuple(v) for k, v in value.items()}
    return frozen_mapping({**DEFAULT_FIELDS, **given})


@checked_constructor
@attrs.frozen(slots=True)
class DedupRules(FromConfig):
    """Everything that decides duplicate keys: one rule value per kind of key, and ``fields``,
    which record fields each kind is read from (a lead's custom field is
    ``custom_fields.<name>``). A kind left out of ``fields`` keeps its default field; give it
    ``[]`` to read no keys of that kind."""

    phone: PhoneRules = attrs.field(factory=PhoneRules)
    email: EmailRules = attrs.field(factory=EmailRules)
    company: CompanyRules = attrs.field(factory=CompanyRules)
    wechat: WechatRules = attrs.field(factory=WechatRules)
    fields: Mapping[KeyKind, tuple[str, ...]] = attrs.field(
        default=DEFAULT_FIELDS, converter=_fields
    )

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        for name, cls in (
            ("phone", PhoneRules),
            ("email", EmailRules),
            ("company", CompanyRules),
            ("wechat", WechatRules),
        ):
            if not isinstance(getattr(self, name), cls):
                problems.append(FieldProblem(name, f"must be {cls.__name__}"))
        if not isinstance(self.fields, Mapping):
            problems.append(FieldProblem("fields", "must map a key kind to field names"))
        else:
            choices = ", ".join(k.value for k in KeyKind)
            for kind, names in self.fields.items():
                if not isinstance(kind, KeyKind):
                    problems.append(
                        FieldProblem(f"fields.{kind}", f"is not a key kind ({choices})")
                    )
                    continue
                for i, name in enumerate(names):
                    if not is_record_field(name):
                        known = ", ".join(RECORD_FIELDS)
                        problems.append(
                            FieldProblem(
                                f"fields.{kind.value}[{i}]",
                                f"{name!r} is not a lead field ({known}, or custom_fields.<name>)",
                            )
                        )
        raise_problems(problems)

    @classmethod
    def from_dict(cls, data: object) -> DedupRules:
        """Build from plain data; a list may be a table ``{add, remove}`` editing the default."""
        moves: dict[str, str] = {}
        edited = apply_edits(data, unstructure(cls()), cls, "$", moves)
        try:
            check_shape(edited, cls)
            return structure(edited, cls)
        except ConfigError as e:
            raise renamed(e, moves) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (every list in full) that :meth:`from_dict` turns back into equal rules."""
        data: dict[str, Any] = unstructure(self)
        return data


def is_record_field(name: object) -> bool:
    """Whether ``name`` is a field a rule may read: a known one, or ``custom_fields.<name>``."""
    if not isinstance(name, str):
        return False
    if name.startswith(CUSTOM_PREFIX):
        return name[len(CUSTOM_PREFIX) :].isidentifier()
    return name in RECORD_FIELDS
