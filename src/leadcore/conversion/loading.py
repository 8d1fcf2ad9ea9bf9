"""``ConversionMapping``: the three target mappings as one value, read from plain data, JSON or
TOML with every problem named by its path (``$.customer.fields[2].to``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from leadcore.config import kind_of, parse_json, parse_toml, structure
from leadcore.currencies import currency_problem
from leadcore.errors import ConfigError, FieldProblem
from leadcore.labels import LabelledEnum
from leadcore.model import CompanySize, Lead, LeadStatus
from leadcore.signatures import checked_constructor

from .mapping import CUSTOM_PREFIX, SOURCE_FIELDS, TARGETS, Band, FieldRule, TargetMapping
from .records import FieldValue, check_value
from .transforms import BUILT_IN_TRANSFORMS, Transform

__all__ = ["ConversionMapping"]

_RULE_KEYS: Final = ("from", "to", "values", "default", "bands", "currency", "transform")
_TARGET_KEYS: Final = ("fields", "required")

_ENUM_SOURCES: Final[Mapping[str, type[LabelledEnum]]] = {
    "company_size": CompanySize,
    "status": LeadStatus,
}
_TIME_SOURCES: Final = tuple(
    # annotations are text here (postponed evaluation in the model)
    sorted(f.name for f in attrs.fields(Lead) if str(f.type).startswith("datetime"))
)
_UNMAPPED: Final = {  # lead fields no value map can look up, and what they hold
    "budget": "money (put it into bands, or transform amount)",
    "score": "a number",
    "probability": "a number",
    "sla_steps": "a list of steps",
    **dict.fromkeys(_TIME_SOURCES, "a time (transform date)"),
}


@checked_constructor
@attrs.frozen(slots=True)
class ConversionMapping:
    """How a lead becomes a customer, a contact and a deal: one :class:`TargetMapping` each.

    Read it with :meth:`from_dict`, :meth:`from_json` or :meth:`from_toml`; ``transforms``
    adds the host's named transforms to the built-in ones. An empty mapping copies nothing:
    the customer still gets its name, owner and contact details, the contact the lead's person.
    """

    customer: TargetMapping = attrs.field(factory=lambda: TargetMapping("customer"))
    contact: TargetMapping = attrs.field(factory=lambda: TargetMapping("contact"))
    deal: TargetMapping = attrs.field(factory=lambda: TargetMapping("deal"))

    @classmethod
    def from_dict(
        cls, data: object, *, transforms: Mapping[str, Transform] | None = None
    ) -> ConversionMapping:
        """A mapping from plain data shaped like :meth:`to_dict`'s output; ``ConfigError``
        names every path at fault."""
        known = _transforms(transforms)
        problems: list[FieldProblem] = []
        if not isinstance(data, Mapping):
            raise ConfigError(
                "$", f"must be a table with {', '.join(TARGETS)}, not {kind_of(data)}"
            )
        for key in data:
            if key not in TARGETS:
                problems.append(
                    FieldProblem(f"$.{key}", f"is not a target; known: {', '.join(TARGETS)}")
                )
        targets = {target: _target(target, data.get(target), known, problems) for target in TARGETS}
        if problems:
            raise ConfigError.from_problems(problems)
        return cls(**targets)

    @classmethod
    def from_json(
        cls, text: str | Path, *, transforms: Mapping[str, Transform] | None = None
    ) -> ConversionMapping:
        """A mapping from JSON text or a file."""
        return cls.from_dict(parse_json(text), transforms=transforms)

    @classmethod
    def from_toml(
        cls, text: str | Path, *, transforms: Mapping[str, Transform] | None = None
    ) -> ConversionMapping:
        """A mapping from TOML text or a file."""
        return cls.from_dict(parse_toml(text), transforms=transforms)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data (round-trips through :meth:`from_dict`)."""
        return {t.target: _target_data(t) for t in (self.customer, self.contact, self.deal)}


def _transforms(extra: Mapping[str, Transform] | None) -> Mapping[str, Transform]:
    if extra is None:
        return BUILT_IN_TRANSFORMS
    if not isinstance(extra, Mapping):
        raise ConfigError("transforms", "must be a mapping of name to function")
    for name, function in extra.items():
        if not isinstance(name, str) or not name.strip() or not callable(function):
            raise ConfigError(f"transforms.{name}", "must map a name to a function")
    return {**BUILT_IN_TRANSFORMS, **extra}


def _table(data: object, path: str, keys: tuple[str, ...], problems: list[FieldProblem]) -> bool:
    if not isinstance(data, Mapping):
        problems.append(FieldProblem(path, f"must be a table of settings, not {kind_of(data)}"))
        return False
    for key in data:
        if key not in keys:
            problems.append(
                FieldProblem(f"{path}.{key}", f"is not a known setting; known: {', '.join(keys)}")
            )
    return True


def _text(value: object, path: str, problems: list[FieldProblem]) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= 200 and value.isprintable():
        return value.strip()
    problems.append(FieldProblem(path, f"must be a non-blank name, not {kind_of(value)}"))
    return None


def _target(
    target: str, data: object, transforms: Mapping[str, Transform], problems: list[FieldProblem]
) -> TargetMapping:
    path = f"$.{target}"
    if data is None:
        return TargetMapping(target, transforms=transforms)
    if not _table(data, path, _TARGET_KEYS, problems):
        return TargetMapping(target)
    assert isinstance(data, Mapping)
    rules: list[FieldRule] = []
    fields = data.get("fields", [])
    if not isinstance(fields, list | tuple):
        problems.append(FieldProblem(f"{path}.fields", f"must be a list, not {kind_of(fields)}"))
        fields = []
    seen: dict[str, int] = {}
    for i, item in enumerate(fields):
        rule = _rule(item, f"{path}.fields[{i}]", transforms, problems)
        if rule is None:
            continue
        if rule.to in seen:
            problems.append(
                FieldProblem(
                    f"{path}.fields[{i}].to",
                    f"{rule.to!r} is already written by {path}.fields[{seen[rule.to]}]",
                )
            )
        seen.setdefault(rule.to, i)
        rules.append(rule)
    required_data = data.get("required", [])
    required: list[str] = []
    if not isinstance(required_data, list | tuple):
        shown = kind_of(required_data)
        problems.append(FieldProblem(f"{path}.required", f"must be a list of names, not {shown}"))
    else:
        for i, name in enumerate(required_data):
            clean = _text(name, f"{path}.required[{i}]", problems)
            if clean is not None and clean not in required:
                required.append(clean)
    return TargetMapping(target, tuple(rules), tuple(required), transforms)


def _rule(
    data: object, path: str, transforms: Mapping[str, Transform], problems: list[FieldProblem]
) -> FieldRule | None:
    if not _table(data, path, _RULE_KEYS, problems):
        return None
    assert isinstance(data, Mapping)
    before = len(problems)
    source = _text(data.get("from"), f"{path}.from", problems)
    if source is not None and not (
        source in SOURCE_FIELDS or (source.startswith(CUSTOM_PREFIX) and len(source) > 14)
    ):
        known = ", ".join(sorted(SOURCE_FIELDS))
        problems.append(
            FieldProblem(
                f"{path}.from",
                f"{source!r} is not a lead field; use one of {known}, or custom_fields.<name>",
            )
        )
    to = _text(data.get("to"), f"{path}.to", problems)
    ways = [w for w in ("values", "bands", "transform") if data.get(w) is not None]
    if len(ways) > 1:
        problems.append(
            FieldProblem(path, f"takes one of values, bands or transform, not {' and '.join(ways)}")
        )
    values = _values(data.get("values"), f"{path}.values", problems)
    default = None
    if "default" in data:
        default = _value(data["default"], f"{path}.default", problems)
        if values is None:
            problems.append(FieldProblem(f"{path}.default", "goes with values (a value map)"))
    bands = _bands(data.get("bands"), f"{path}.bands", problems)
    currency = data.get("currency", "CNY")
    if (problem := currency_problem(currency)) is not None:
        problems.append(FieldProblem(f"{path}.currency", problem))
    elif "currency" in data and not bands:
        problems.append(FieldProblem(f"{path}.currency", "goes with bands"))
    transform = data.get("transform")
    if transform is not None and (not isinstance(transform, str) or transform not in transforms):
        known = ", ".join(sorted(transforms))
        problems.append(
            FieldProblem(f"{path}.transform", f"{transform!r} is not a transform; known: {known}")
        )
    if len(problems) > before or source is None or to is None:
        return None
    rule = FieldRule(source, to, values, default, bands, currency, transform)
    _check_source(rule, path, transforms, problems)
    return None if len(problems) > before else rule


def _check_source(
    rule: FieldRule, path: str, transforms: Mapping[str, Transform], problems: list[FieldProblem]
) -> None:
    """Problems with a rule whose way cannot read its source: a value map key no value of
    the field has, bands or a built-in ``amount`` / ``date`` transform on a field that holds
    no amount or time. A custom field may hold anything, so it takes every way."""
    source, values, transform = rule.source, rule.values, rule.transform
    if source.startswith(CUSTOM_PREFIX):
        return
    if values is not None:
        if source in _UNMAPPED:
            problems.append(
                FieldProblem(
                    f"{path}.values",
                    f"a value map looks up text, an enum or true/false; {source} holds "
                    f"{_UNMAPPED[source]}",
                )
            )
        elif source in _ENUM_SOURCES:
            enum = _ENUM_SOURCES[source]
            names = {n for m in enum for n in (m.value, m.label, m.label_en)}
            known = ", ".join(m.value for m in enum)
            problems += [
                FieldProblem(
                    f"{path}.values.{key}",
                    f"{key!r} is not a {source}; use one of {known} (or its Chinese or "
                    "English label)",
                )
                for key in values
                if key not in names
            ]
    if rule.bands and source != "budget":
        problems.append(
            FieldProblem(
                f"{path}.bands",
                f"bands put an amount into a band: they read budget or a custom field, "
                f"not {source}",
            )
        )
    if transform is None or transforms[transform] is not BUILT_IN_TRANSFORMS.get(transform):
        return  # a host's transform reads what the host says
    if transform == "amount" and source != "budget":
        problems.append(
            FieldProblem(
                f"{path}.transform",
                f"'amount' reads a budget's number: use it on budget or a custom field, "
                f"not {source}",
            )
        )
    elif transform == "date" and source not in _TIME_SOURCES:
        problems.append(
            FieldProblem(
                f"{path}.transform",
                f"'date' reads a time's date: use it on a time field "
                f"({', '.join(_TIME_SOURCES)}) or a custom field, not {source}",
            )
        )


_PLAIN: Final = (str, int, float, bool, date, datetime, Decimal)


def _value(value: object, path: str, problems: list[FieldProblem]) -> FieldValue | None:
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(FieldProblem(path, "must be a finite number"))
        return None
    if isinstance(value, datetime) and (problem := check_value(value)) is not None:
        problems.append(FieldProblem(path, problem))
        return None
    if isinstance(value, _PLAIN) and not (isinstance(value, str) and len(value) > 10_000):
        return value
    problems.append(
        FieldProblem(path, f"must be text, a number, true/false or a date, not {kind_of(value)}")
    )
    return None


def _values(
    data: object, path: str, problems: list[FieldProblem]
) -> Mapping[str, FieldValue] | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or not data:
        problems.append(
            FieldProblem(path, f"must be a non-empty table of value → value, not {kind_of(data)}")
        )
        return None
    table: dict[str, FieldValue] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            problems.append(
                FieldProblem(
                    f"{path}[{key!r}]",
                    f"must be keyed by text (the value to look up), not {kind_of(key)}",
                )
            )
            continue
        found = _value(value, f"{path}.{key}", problems)
        if found is not None:
            table[key] = found
    return table


def _bands(data: object, path: str, problems: list[FieldProblem]) -> tuple[Band, ...]:
    if data is None:
        return ()
    if not isinstance(data, list | tuple) or not data:
        problems.append(
            FieldProblem(path, f"must be a non-empty list of bands, not {kind_of(data)}")
        )
        return ()
    bands: list[Band] = []
    last: Decimal | None = None
    for i, item in enumerate(data):
        where = f"{path}[{i}]"
        if not _table(item, where, ("label", "below"), problems):
            continue
        assert isinstance(item, Mapping)
        label = _text(item.get("label"), f"{where}.label", problems)
        below: Decimal | None = None
        final = i == len(data) - 1
        if item.get("below") is not None:
            try:
                below = structure(item["below"], Decimal, path=f"{where}.below")
            except ConfigError as e:
                problems.extend(e.problems)
                continue
            if final:
                problems.append(
                    FieldProblem(f"{where}.below", "the last band is open-ended: leave below out")
                )
            elif last is not None and below <= last:
                problems.append(
                    FieldProblem(f"{where}.below", f"must be above the band before ({last})")
                )
            last = below if below is not None else last
        elif not final:
            problems.append(FieldProblem(f"{where}.below", "every band but the last needs below"))
        if label is not None:
            bands.append(Band(label, below))
    return tuple(bands)


def _target_data(mapping: TargetMapping) -> dict[str, Any]:
    data: dict[str, Any] = {"fields": [_rule_data(r) for r in mapping.rules]}
    if mapping.required:
        data["required"] = list(mapping.required)
    return data


def _rule_data(rule: FieldRule) -> dict[str, Any]:
    data: dict[str, Any] = {"from": rule.source, "to": rule.to}
    if rule.values is not None:
        data["values"] = dict(rule.values)
        if rule.default is not None:
            data["default"] = rule.default
    if rule.bands:
        data["bands"] = [
            {"label": b.label} if b.below is None else {"label": b.label, "below": str(b.below)}
            for b in rule.bands
        ]
        if rule.currency != "CNY":
            data["currency"] = rule.currency
    if rule.transform is not None:
        data["transform"] = rule.transform
    return data
