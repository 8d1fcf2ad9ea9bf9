"""Host-declared custom fields (自定义字段) and the validation of their values."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from leadcore.checks import MAX_LONG_TEXT, choice, id_problem, text_problem
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import CustomValue
from leadcore.signatures import checked_constructor

__all__ = ["MAX_NUMBER_DIGITS", "CustomField", "CustomFieldSet", "FieldType", "number_problem"]


class FieldType(LabelledEnum):
    """The type of a custom field's value."""

    TEXT = "text", "文本", "Text"
    NUMBER = "number", "数字", "Number"
    BOOLEAN = "boolean", "是/否", "Yes / no"
    DATE = "date", "日期", "Date"
    CHOICE = "choice", "单选", "Single choice"
    MULTI_CHOICE = "multi_choice", "多选", "Multiple choice"


@checked_constructor
@attrs.frozen(slots=True)
class CustomField:
    """One custom field the host declares: its name, type, whether required, allowed options."""

    name: str
    type: FieldType
    required: bool = False
    options: tuple[str, ...] = ()
    label: str | None = None

    def __attrs_post_init__(self) -> None:
        """Check the declaration; ``ConfigError`` names ``custom_fields.<name>.<attr>``."""
        name = self.name
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(
                f"custom_fields.{name!s:.40}",
                f"the name must be an identifier (text like 'budget_owner'), not {name!r:.40}",
            )
        path = f"custom_fields.{name}"
        problems: list[FieldProblem] = []
        kind: FieldType | None = None
        try:
            kind = choice(FieldType, self.type, f"{path}.type")
        except ValidationError as e:
            problems.extend(e.problems)
        if not isinstance(self.required, bool):
            problems.append(
                FieldProblem(
                    f"{path}.required", f"must be True or False, not {self.required!r:.40}"
                )
            )
        if self.label is not None and not isinstance(self.label, str):
            problems.append(
                FieldProblem(
                    f"{path}.label", f"must be text or None, not {type(self.label).__name__}"
                )
            )
        options = _options(self.options, f"{path}.options", problems)
        if kind is not None and options is not None:
            picks = kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
            if picks and not options:
                problems.append(FieldProblem(f"{path}.options", "a choice field needs options"))
            if not picks and options:
                problems.append(
                    FieldProblem(f"{path}.options", f"a {kind.value} field takes no options")
                )
        if problems:
            raise ConfigError.from_problems(problems)
        object.__setattr__(self, "type", kind)  # the member, however it was named
        object.__setattr__(self, "options", options)

    def _option_place(self, value: object) -> int:
        """Where ``value`` stands among the options (after them all when it is not one)."""
        return self.options.index(value) if value in self.options else len(self.options)

    def coerce(self, value: object) -> CustomValue:
        """Return ``value`` as this field's type; raise ValueError saying what would be right."""
        match self.type:
            case FieldType.TEXT:
                return _text(value)
            case FieldType.NUMBER:
                return _number(value)
            case FieldType.BOOLEAN:
                return _switch(value)
            case FieldType.DATE:
                return _date(value)
            case FieldType.CHOICE:
                if isinstance(value, str) and value in self.options:
                    return value
                raise ValueError(f"must be one of: {', '.join(self.options)}")
            case FieldType.MULTI_CHOICE:
                if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
                    raise ValueError(
                        f"must be a list of: {', '.join(self.options)} (not {type(value).__name__})"
                    )
                chosen = tuple(value)
                if isinstance(value, set | frozenset):  # no order of its own: the options'
                    chosen = tuple(sorted(chosen, key=self._option_place))
                bad = [v for v in chosen if v not in self.options]
                if bad:
                    raise ValueError(
                        f"{', '.join(map(repr, bad))} not allowed; options: {', '.join(self.options)}"
                    )
                return tuple(str(v) for v in dict.fromkeys(chosen))
        raise AssertionError(self.type)  # pragma: no cover - enum is exhaustive


def _options(value: object, path: str, problems: list[FieldProblem]) -> tuple[str, ...] | None:
    """A choice field's options as a tuple of distinct non-blank texts (a list, tuple…, never
    one ``str`` or a mapping), or None with the problems noted."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        problems.append(
            FieldProblem(
                path, f'must be a list of texts like ["urgent", "normal"], not {value!r:.40}'
            )
        )
        return None
    found: list[str] = []
    bad = False
    for i, option in enumerate(value):
        problem = id_problem(option)
        if problem is not None:
            shown = "" if isinstance(option, str) else f" (got {type(option).__name__})"
            problems.append(FieldProblem(f"{path}[{i}]", problem + shown))
            bad = True
        elif option in found:
            problems.append(FieldProblem(f"{path}[{i}]", f"repeats the option {option!r}"))
            bad = True
        else:
            found.append(option)
    return None if bad else tuple(found)


def _blank(value: object) -> bool:
    """None, blank text or an empty list, tuple or set: a field left empty. Tested by type
    first, so a value whose ``==`` misbehaves (an array) is never compared."""
    if value is None:
        return True
    if type(value) is str:
        return not value.strip()
    if type(value) in (tuple, list, set, frozenset):
        return not value
    return False


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    if len(value) > MAX_LONG_TEXT:
        raise ValueError(f"must be at most {MAX_LONG_TEXT} characters, not {len(value)}")
    problem = text_problem(value, long=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def _switch(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


MAX_NUMBER_DIGITS: Final = 100
"""The most digits a number may have before the decimal point, and a ``Decimal`` after it, in
a number field (and in a field a conversion writes, see ``leadcore.conversion.records.check_value``).
Far more than any count or amount needs, and well under the 640 digits that is the smallest
limit Python may be set to for turning an integer into text, so every store, in every process,
can write and read it."""

_NUMBER_LIMIT: Final = 10**MAX_NUMBER_DIGITS
_TOO_LARGE: Final = f"is too large a number (at most {MAX_NUMBER_DIGITS} digits)"


def number_problem(value: int | float | Decimal) -> str | None:
    """Why the number ``value`` cannot be stored, or None when it can: it must be finite, with
    at most :data:`MAX_NUMBER_DIGITS` digits before the decimal point, whatever its type, and,
    a ``Decimal``, at most as many after it. The one number rule of custom fields and of the
    fields a conversion writes, so the two never disagree."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "is not a finite number"
        if value and value.adjusted() >= MAX_NUMBER_DIGITS:
            return _TOO_LARGE
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_NUMBER_DIGITS:
            return f"has too many decimals (at most {MAX_NUMBER_DIGITS} after the decimal point)"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    # Python compares an int or a float with an int exactly, so this is the true whole part.
    if not -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
        return _TOO_LARGE
    return None


def _number(value: object) -> int | Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    number: int | Decimal
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | str | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
    elif isinstance(value, numbers.Integral):  # NumPy's and pandas' whole numbers
        number = int(value)
    else:
        raise ValueError(f"must be a number (int, Decimal or text), not {type(value).__name__}")
    problem = number_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return number


def _date(value: object) -> date:
    if isinstance(value, datetime):
        raise ValueError("must be a date without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO date like 2026-01-31") from None
    raise ValueError("must be a date")


@checked_constructor
class CustomFieldSet:
    """The custom fields a host declares for its leads; validates and normalises their values."""

    def __init__(self, fields: Iterable[CustomField] = ()) -> None:
        self._fields: dict[str, CustomField] = {}
        if isinstance(fields, str | bytes | Mapping) or not isinstance(fields, Iterable):
            raise ConfigError(
                "custom_fields",
                f"must be a list of CustomField declarations, not {type(fields).__name__}",
            )
        for i, f in enumerate(fields):
            if not isinstance(f, CustomField):
                raise ConfigError(
                    f"custom_fields[{i}]", f"must be a CustomField, not {type(f).__name__}"
                )
            if f.name in self._fields:
                raise ConfigError(f"custom_fields.{f.name}", "declared twice")
            self._fields[f.name] = f
        self._any_required = any(f.required for f in self._fields.values())

    @property
    def fields(self) -> Mapping[str, CustomField]:
        """The declarations by name."""
        return self._fields

    @staticmethod
    def cleared(values: Mapping[str, object]) -> frozenset[str]:
        """The names in ``values`` given an empty value (None, blank text, an empty list): on
        an edit, those fields are removed from the lead."""
        if not isinstance(values, Mapping):
            shown = type(values).__name__
            raise ValidationError(
                [FieldProblem("custom_fields", f"must map field names to values, not {shown}")]
            )
        return frozenset(name for name, value in values.items() if _blank(value))

    def validate(
        self, values: Mapping[str, object], *, partial: bool = False
    ) -> dict[str, CustomValue]:
        """Return the values normalised to their declared types.

        Raises ``ValidationError`` listing every problem at once: an undeclared name, a value of
        the wrong type or outside the options, and (unless ``partial``, used for edits) a required
        field that is missing or empty.
        """
        if type(values) is dict and not values and (partial or not self._any_required):
            return {}  # the common case: nothing given and nothing required
        if not isinstance(values, Mapping):
            raise ValidationError(
                [
                    FieldProblem(
                        "custom_fields",
                        f"must be a mapping of field name to value, not {type(values).__name__}",
                    )
                ],
                subject="custom fields",
            )
        problems: list[FieldProblem] = []
        clean: dict[str, CustomValue] = {}
        for name, value in values.items():
            path = f"custom_fields.{name}"
            field = self._fields.get(name)
            if field is None:
                known = ", ".join(self._fields) or "none are declared"
                problems.append(FieldProblem(path, f"is not a declared custom field ({known})"))
                continue
            if _blank(value):
                if field.required:
                    problems.append(FieldProblem(path, "is required"))
                continue
            try:
                clean[name] = field.coerce(value)
            except ValueError as e:
                problems.append(FieldProblem(path, str(e)))
        if not partial:
            for name, field in self._fields.items():
                if field.required and name not in values:
                    problems.append(FieldProblem(f"custom_fields.{name}", "is required"))
        if problems:
            raise ValidationError(problems, subject="custom fields")
        return clean
