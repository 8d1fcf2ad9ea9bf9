"""Field mappings as data: how a lead's fields become a customer's, a contact's and a deal's.

One :class:`TargetMapping` per target. Each :class:`FieldRule` reads one lead field (or a custom
field, ``custom_fields.<name>``) and writes one target field, by one of four ways:

* **copy** (the default): the value as it is (an enum as its value, ``large``);
* **value map** (``values``): the value looked up in a table (an enum by its value or either
  label); a value the table does not list takes ``default``, and without one is refused;
* **budget band** (``bands``): an amount put into the first band whose ``below`` it is under;
  the last band is open-ended; a budget in another currency than the bands' is refused;
* **named transform** (``transform``): a function registered by name (see ``transforms``).

An empty lead field writes nothing. ``required`` names target fields that must have a value
once the mapped fields and the caller's own (customer-only) fields are put together.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import attrs

from leadcore.checks import text_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, Money

from .records import MAX_DIGITS, FieldValue, check_value
from .transforms import BUILT_IN_TRANSFORMS, Transform

__all__ = [
    "CUSTOM_PREFIX",
    "MAX_DIGITS",
    "MAX_FIELD_ITEMS",
    "MAX_FIELD_TEXT",
    "SOURCE_FIELDS",
    "TARGETS",
    "Band",
    "FieldRule",
    "TargetMapping",
    "check_caller_fields",
    "check_value",
    "is_empty",
]

CUSTOM_PREFIX: Final = "custom_fields."
"""How a rule names a custom field of the lead: ``custom_fields.预算周期``."""

_NOT_SOURCES: Final = frozenset(
    {"custom_fields", "collaborators", "collaborator_roles", "followers", "version"}
)
SOURCE_FIELDS: Final = frozenset(f.name for f in attrs.fields(Lead)) - _NOT_SOURCES
"""The lead fields a rule may read (besides ``custom_fields.<name>``)."""

TARGETS: Final = ("customer", "contact", "deal")
"""What a lead converts into, one mapping each."""


@attrs.frozen(slots=True)
class Band:
    """One budget band: amounts under ``below`` (open-ended when None) are ``label``."""

    label: str
    below: Decimal | None = None


def _frozen_values(
    values: Mapping[str, FieldValue] | None,
) -> Mapping[str, FieldValue] | None:
    return None if values is None else frozen_mapping(values)


@attrs.frozen(slots=True)
class FieldRule:
    """Read lead field ``source`` and write target field ``to``: copied, looked up in
    ``values`` (``default`` for what the table does not list), put into ``bands`` (amounts in
    ``currency``), or passed through the transform named ``transform``."""

    source: str
    to: str
    values: Mapping[str, FieldValue] | None = attrs.field(default=None, converter=_frozen_values)
    default: FieldValue | None = None
    bands: tuple[Band, ...] = ()
    currency: str = "CNY"
    transform: str | None = None

    @property
    def way(self) -> str:
        """How the rule writes: ``copy``, ``values``, ``bands`` or ``transform``."""
        if self.values is not None:
            return "values"
        if self.bands:
            return "bands"
        if self.transform is not None:
            return "transform"
        return "copy"

    def __str__(self) -> str:
        how = "" if self.way == "copy" else f" ({self.way})"
        return f"{self.source} → {self.to}{how}"

    def convert(self, value: object, transforms: Mapping[str, Transform]) -> FieldValue | None:
        """The target value for a non-empty lead value; ``ValueError`` says why there is none."""
        if self.values is not None:
            return self._look_up(value)
        if self.bands:
            return self._band(value)
        if self.transform is not None:
            return _transformed(self.transform, transforms[self.transform], value)
        return _copied(value)

    def _look_up(self, value: object) -> FieldValue:
        assert self.values is not None
        for name in _names(value):
            if name in self.values:
                return self.values[name]
        if self.default is not None:
            return self.default
        listed = ", ".join(sorted(self.values)) or "none"
        raise ValueError(
            f"{_shown(value)} is not in the value map (known: {listed}) and no default"
        )

    def _band(self, value: object) -> str:
        if isinstance(value, Money):
            if value.currency != self.currency:
                raise ValueError(
                    f"the budget is in {value.currency}, but the bands are in {self.currency}"
                )
            amount = value.amount
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            amount = Decimal(value)
        else:
            raise ValueError(f"{_shown(value)} is not an amount to put into a band")
        for band in self.bands:
            if band.below is None or amount < band.below:
                return band.label
        raise ValueError(f"{amount} is above every band")  # pragma: no cover - last is open


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, LabelledEnum):
        return (value.value, value.label, value.label_en)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str | int | Decimal):
        return (str(value),)
    return ()


def _shown(value: object) -> str:
    return repr(value.value) if isinstance(value, LabelledEnum) else repr(value)


def _copied(value: object) -> FieldValue:
    if isinstance(value, LabelledEnum):
        return value.value
    problem = check_value(value)
    if problem is not None:
        raise ValueError(problem)
    return value  # type: ignore[return-value]


def _transformed(name: str, function: Transform, value: object) -> FieldValue | None:
    try:
        result = function(value)
    except Exception as e:  # a host's transform: any failure refuses, naming the field
        raise ValueError(f"transform {name!r} failed: {type(e).__name__}: {e}") from e
    if result is None:
        return None
    problem = check_value(result)
    if problem is not None:
        raise ValueError(f"transform {name!r} gave a value that {problem}")
    return result


MAX_FIELD_TEXT: Final = 10_000
"""The most characters a caller's field value may hold: one text, or a tuple's texts together."""

MAX_FIELD_ITEMS: Final = 1_000
"""The most texts a caller's tuple field value may hold."""


def _size_problem(value: object) -> str | None:
    """Why a caller's field value is too large, or None."""
    if isinstance(value, str) and len(value) > MAX_FIELD_TEXT:
        return f"is too long ({MAX_FIELD_TEXT} characters at most, not {len(value)})"
    if isinstance(value, tuple):
        if len(value) > MAX_FIELD_ITEMS:
            return f"holds too many texts ({MAX_FIELD_ITEMS} at most, not {len(value)})"
        total = sum(len(v) for v in value)
        if total > MAX_FIELD_TEXT:
            return f"is too long ({MAX_FIELD_TEXT} characters at most in all, not {total})"
    return None


def _name_problem(name: str) -> str | None:
    """Why ``name`` (text) is no target field name, or None."""
    if not name.strip():
        return "must not be blank"
    if len(name) > 200:
        return f"must be at most 200 characters, not {len(name)}"
    return text_problem(name)


def is_empty(value: object) -> bool:
    """Whether a field value counts as not given: None, blank text or an empty tuple."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == ()


def check_caller_fields(
    customer_fields: object = None,
    contact_fields: object = None,
    deal_fields: object = None,
    *,
    subject: str = "conversion fields",
) -> None:
    """Check a caller's ``customer_fields``, ``contact_fields`` and ``deal_fields`` (each a
    mapping of field name to value, or None) as :meth:`TargetMapping.apply` takes them, with
    no lead or directory needed: ``ValidationError`` lists every problem of the three at once,
    each named ``<target>_fields.<name>`` (or the argument, for a key or a non-mapping)."""
    problems: list[FieldProblem] = []
    for argument, given in (
        ("customer_fields", customer_fields),
        ("contact_fields", contact_fields),
        ("deal_fields", deal_fields),
    ):
        problems += _take_given(argument, given, {})
    if problems:
        raise ValidationError(problems, subject=subject)


def _take_given(argument: str, given: object, out: dict[str, FieldValue]) -> list[FieldProblem]:
    """The problems of a caller's ``argument`` mapping ``given``; its good values go into
    ``out`` (a None value removes the field)."""
    if given is None:
        return []
    if not isinstance(given, Mapping):
        shown = type(given).__name__
        return [FieldProblem(argument, f"must be a mapping of field name to value, not {shown}")]
    problems = []
    for name, value in given.items():
        if not isinstance(name, str):
            shown = type(name).__name__
            problems.append(FieldProblem(argument, f"keys must be field names, not {shown}"))
        elif (problem := _name_problem(name)) is not None:
            shown = ascii(name)[:60]
            problems.append(FieldProblem(argument, f"key {shown} is not a field name: {problem}"))
        elif value is None:
            out.pop(name, None)
        elif (problem := check_value(value) or _size_problem(value)) is not None:
            problems.append(FieldProblem(f"{argument}.{name}", problem))
        else:
            out[name] = value
    return problems


def _read(lead: Lead, source: str) -> object:
    if source.startswith(CUSTOM_PREFIX):
        return lead.custom_fields.get(source[len(CUSTOM_PREFIX) :])
    return getattr(lead, source)


@attrs.frozen(slots=True)
class TargetMapping:
    """The mapping into one target (``customer``, ``contact`` or ``deal``): its ``rules``, the
    target fields it ``required``, and the ``transforms`` its rules may name (the built-in
    ones and the host's)."""

    target: str
    rules: tuple[FieldRule, ...] = ()
    required: tuple[str, ...] = ()
    transforms: Mapping[str, Transform] = attrs.field(
        default=BUILT_IN_TRANSFORMS, eq=False, repr=False
    )

    def apply(self, lead: Lead, given: Mapping[str, object] | None = None) -> dict[str, FieldValue]:
        """The target fields for ``lead``: each rule's value, then the caller's ``given``
        fields (which win; None leaves a field out). ``ValidationError`` lists every problem
        at once: a value a rule cannot convert, a bad given field, a required field left
        empty, each named ``<target>.<field>``."""
        problems: list[FieldProblem] = []
        out: dict[str, FieldValue] = {}
        for rule in self.rules:
            value = _read(lead, rule.source)
            if is_empty(value):
                continue
            try:
                converted = rule.convert(value, self.transforms)
            except ValueError as e:
                problems.append(
                    FieldProblem(f"{self.target}.{rule.to}", f"from {rule.source}: {e}")
                )
                continue
            if converted is not None:
                out[rule.to] = converted
        problems += _take_given(f"{self.target}_fields", given, out)
        for name in self.required:
            if is_empty(out.get(name)):
                problems.append(FieldProblem(f"{self.target}.{name}", self._missing(name)))
        if problems:
            raise ValidationError(problems, subject=f"{self.target} of lead {lead.id!r}")
        return out

    def _missing(self, name: str) -> str:
        sources = [r.source for r in self.rules if r.to == name]
        given = f"pass {self.target}_fields={{{name!r}: ...}}"
        if sources:
            return (
                f"is required by the {self.target} mapping: fill the lead's {sources[0]} or {given}"
            )
        return f"is required by the {self.target} mapping: {given}"
