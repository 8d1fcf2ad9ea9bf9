"""Profile (explicit) scoring: weighted dimensions over lead fields.

A :class:`Dimension` reads one field and gives it points by one of three rules — a value map
(``values``), numeric bands (``bands``) or a predicate (``when`` + ``points``) — with ``default``
points when the value is missing or nothing matches. Its contribution is ``weight × points``.
A budget is read in the dimension's ``currency`` (CNY unless given): a budget in another
currency counts as missing there, and the breakdown says so.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs

from leadcore.checks import shown
from leadcore.currencies import currency_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead, Money
from leadcore.scoring.fields import (
    FieldKind,
    FieldRef,
    as_number,
    describe_value,
    in_currency,
    lead_getter,
    resolve_field,
    value_keys,
)
from leadcore.scoring.problems import Problems, finite
from leadcore.signatures import checked_constructor

__all__ = ["Band", "Dimension", "ProfileCondition"]

DimensionFn = Callable[[Lead], float]
"""A compiled dimension: a lead in, weighted points out."""


def _fmt(number: float) -> str:
    return f"{number:g}"


@checked_constructor
@attrs.frozen(slots=True)
class Band:
    """Points for a number at or above ``at_least`` (until the next band starts)."""

    at_least: float
    points: float

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if isinstance(self.at_least, bool) or not isinstance(self.at_least, int | float):
            problems.add("at_least", f"must be a number, not {type(self.at_least).__name__}")
        elif not finite(self.at_least):
            problems.add("at_least", "must be a finite number")
        problems.points("points", self.points)
        problems.raise_invalid("profile dimension")


@checked_constructor
@attrs.frozen(slots=True)
class ProfileCondition:
    """A test on one field value; give exactly one of: ``present`` (true: has a value; false:
    has none), ``equals``, ``one_of``, ``contains`` (case-insensitive text or a multi-choice
    item), or a range ``at_least`` and/or ``at_most`` (inclusive) for numbers."""

    present: bool | None = None
    equals: str | None = None
    one_of: tuple[str, ...] | None = None
    contains: str | None = None
    at_least: float | None = None
    at_most: float | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.present, bool | None):
            problems.add("present", f"must be True, False or None, not {self.present!r:.40}")
        for name in ("equals", "contains"):
            if not isinstance(getattr(self, name), str | None):
                problems.add(name, f"must be text, not {type(getattr(self, name)).__name__}")
        if self.one_of is not None:
            if isinstance(self.one_of, str | bytes | Mapping) or not isinstance(
                self.one_of, Iterable
            ):
                problems.add(
                    "one_of",
                    f'must be a list of values like ["CEO", "总监"], not {self.one_of!r:.40}',
                )
            else:
                object.__setattr__(self, "one_of", tuple(self.one_of))
                assert self.one_of is not None
                for i, item in enumerate(self.one_of):
                    if not isinstance(item, str):
                        problems.add(f"one_of[{i}]", f"must be text, not {type(item).__name__}")
        for name in ("at_least", "at_most"):
            bound = getattr(self, name)
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                problems.add(name, f"must be a number, not {type(bound).__name__}")
        problems.raise_invalid("profile dimension")
        given = [
            name
            for name in ("present", "equals", "one_of", "contains")
            if getattr(self, name) is not None
        ]
        if self.at_least is not None or self.at_most is not None:
            given.append("at_least/at_most")
        if len(given) != 1:
            problems.add(
                given[1] if len(given) > 1 else "equals",
                "give exactly one test: present, equals, one_of, contains or at_least/at_most"
                + (f" (got {', '.join(given)})" if given else ""),
            )
        if self.one_of is not None and not self.one_of:
            problems.add("one_of", "must list at least one value")
        for name in ("at_least", "at_most"):
            bound = getattr(self, name)
            if bound is not None and not finite(bound):
                problems.add(name, "must be a finite number")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            problems.add("at_most", "must not be below at_least")
        problems.raise_invalid("profile dimension")

    def compile(self) -> Callable[[object], bool]:
        """A function telling whether a field value passes the test."""
        if self.present is not None:
            wanted = self.present
            return lambda v: (v is not None and v not in ("", ())) is wanted
        if self.equals is not None or self.one_of is not None:
            targets = frozenset((self.equals,) if self.equals is not None else self.one_of or ())
            return lambda v: any(k in targets for k in value_keys(v))
        if self.contains is not None:
            needle = self.contains.casefold()

            def contains(v: object) -> bool:
                if isinstance(v, str):
                    return needle in v.casefold()
                return any(k.casefold() == needle for k in value_keys(v))

            return contains
        low = -math.inf if self.at_least is None else self.at_least
        high = math.inf if self.at_most is None else self.at_most

        def within(v: object) -> bool:
            number = as_number(v)
            return number is not None and low <= number <= high

        return within

    def describe(self) -> str:
        """The test in words, e.g. ``one of CEO, 总监``."""
        if self.present is not None:
            return "present" if self.present else "absent"
        if self.equals is not None:
            return f"= {self.equals}"
        if self.one_of is not None:
            return "one of " + ", ".join(self.one_of)
        if self.contains is not None:
            return f"contains {self.contains}"
        parts = []
        if self.at_least is not None:
            parts.append(f"≥ {_fmt(self.at_least)}")
        if self.at_most is not None:
            parts.append(f"≤ {_fmt(self.at_most)}")
        return " and ".join(parts)


def _freeze_values(values: Mapping[str, float] | None) -> Mapping[str, float] | None:
    if values is None or isinstance(values, MappingProxyType) or not isinstance(values, Mapping):
        return values  # not a mapping: refused by the dimension's checks
    return MappingProxyType(dict(values))


def _tuple_bands(bands: tuple[Band, ...] | list[Band] | None) -> tuple[Band, ...] | None:
    if bands is None or isinstance(bands, str | bytes | Mapping) or not isinstance(bands, Iterable):
        if bands is not None:
            raise ValidationError(
                [FieldProblem("bands", f"must list Band values, not {type(bands).__name__}")],
                subject="profile dimension",
            )
        return None
    return tuple(bands)


@checked_constructor
@attrs.frozen(slots=True)
class Dimension:
    """One weighted dimension of the profile score.

    ``field`` is a lead field path (``"industry"``, ``"company_size"``, ``"budget"``,
    ``"custom_fields.urgency"``); ``weight`` its share of the profile (the weights of a model add
    up to 1.0). Give exactly one rule: ``values`` (value → points), ``bands`` (ascending
    ``at_least`` thresholds → points) or ``when`` (a :class:`ProfileCondition`) with ``points`` when it
    holds. ``default`` points apply when the value is missing or nothing matches. ``name`` is
    shown in explanations (the field path when omitted). ``currency`` (an ISO 4217 code, CNY
    unless given) is the budget's: a budget in another currency counts as missing here, since
    USD 100000 is not CNY 100000; only a budget dimension takes another currency.
    """

    field: str
    weight: float
    values: Mapping[str, float] | None = attrs.field(default=None, converter=_freeze_values)
    bands: tuple[Band, ...] | None = attrs.field(default=None, converter=_tuple_bands)
    when: ProfileCondition | None = None
    points: float | None = None
    default: float = 0.0
    name: str | None = None
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        ref: FieldRef | None = None
        self._check_types(problems)
        try:
            ref = resolve_field(self.field)
        except ValueError as e:
            problems.add("field", str(e))
        problems.points("weight", self.weight, positive=True)
        if isinstance(self.weight, int | float) and finite(self.weight) and self.weight > 1:
            problems.add(
                "weight",
                f"is a share of the profile, at most 1.0 (20% is 0.2), not {self.weight:g}",
            )
        problems.points("default", self.default)
        rules = [n for n in ("values", "bands", "when") if getattr(self, n) is not None]
        if not rules:
            problems.add("values", "a dimension needs one rule: values, bands or when (+ points)")
        for extra in rules[1:]:
            problems.add(extra, f"give only one rule; this dimension already has {rules[0]}")
        if self.values is not None:
            self._check_values(problems, ref)
        if self.bands is not None:
            self._check_bands(problems, ref)
        if (
            self.when is not None
            and (self.when.at_least is not None or self.when.at_most is not None)
            and ref is not None
            and ref.kind in (FieldKind.TEXT, FieldKind.ENUM)
        ):
            problems.add(
                "when",
                f"at_least / at_most need a number field; {self.field} is not a number "
                "(use equals or one_of)",
            )
        if self.when is not None and self.points is None:
            problems.add("points", "is required with when: the points when the test holds")
        if self.points is not None and self.when is None:
            problems.add("points", "only goes with when; use values or bands for other rules")
        problems.points("points", self.points)
        if self.name is not None and not self.name.strip():
            problems.add("name", "must not be blank")
        self._check_currency(problems, ref)
        problems.raise_invalid("profile dimension")

    def _check_currency(self, problems: Problems, ref: FieldRef | None) -> None:
        """The budget's currency: an ISO 4217 code, and only on a budget dimension."""
        problem = currency_problem(self.currency)
        if problem is not None:
            problems.add("currency", problem)
        elif self.currency != "CNY" and ref is not None and ref.kind is not FieldKind.NUMBER:
            problems.add("currency", f"goes with the budget field; {self.field} holds no money")

    def _check_types(self, problems: Problems) -> None:
        """Refuse (at once) the settings of the wrong type, before any rule reads them."""
        if not isinstance(self.field, str):
            problems.add("field", f"must be a field path like 'industry', not {self.field!r:.40}")
        if self.values is not None and not isinstance(self.values, Mapping):
            problems.add("values", f"must map values to points, not {type(self.values).__name__}")
        if self.bands is not None:
            for i, band in enumerate(self.bands):
                if not isinstance(band, Band):
                    problems.add(
                        f"bands[{i}]", f"must be a Band(at_least, points), not {band!r:.40}"
                    )
        if self.when is not None and not isinstance(self.when, ProfileCondition):
            problems.add("when", f"must be a ProfileCondition, not {type(self.when).__name__}")
        if self.name is not None and not isinstance(self.name, str):
            problems.add("name", f"must be text, not {type(self.name).__name__}")
        problems.raise_invalid("profile dimension")

    def _check_values(self, problems: Problems, ref: FieldRef | None) -> None:
        assert self.values is not None
        if not self.values:
            problems.add("values", "must map at least one value to points")
        normalised: dict[str, float] = {}
        for given, points in self.values.items():
            if not isinstance(given, str):
                reason = f"must be keyed by text (the value as written), not {type(given).__name__}"
                problems.add(f"values.{shown(given, quote=False)}", reason)
                continue
            problems.points(f"values.{given}", points)
            key = given
            if ref is not None and ref.enum is not None:
                try:
                    key = str(ref.enum.parse(given).value)
                except ValueError as e:
                    problems.add(f"values.{given}", str(e))
            if key in normalised:
                problems.add(f"values.{given}", "is given twice (by value and by label)")
            normalised[key] = points
        if ref is not None and ref.enum is not None:
            object.__setattr__(self, "values", MappingProxyType(normalised))

    def _check_bands(self, problems: Problems, ref: FieldRef | None) -> None:
        assert self.bands is not None
        if ref is not None and ref.kind in (FieldKind.TEXT, FieldKind.ENUM):
            problems.add("bands", f"need a number field; {self.field} is not a number (use values)")
        if not self.bands:
            problems.add("bands", "must list at least one band")
        previous = -math.inf
        for i, band in enumerate(self.bands):
            if band.at_least <= previous:
                problems.add(
                    f"bands[{i}].at_least",
                    f"bands must ascend: {band.at_least:g} is not above {previous:g}",
                )
            previous = band.at_least

    @property
    def title(self) -> str:
        """The name shown in explanations."""
        return self.name or self.field

    @property
    def max_points(self) -> float:
        """The most points this dimension can give (before weighting)."""
        if self.values is not None:
            return max((*self.values.values(), self.default))
        if self.bands is not None:
            return max((*(b.points for b in self.bands), self.default))
        return max(self.points or 0.0, self.default)

    def evaluate(self, value: object) -> tuple[float, str]:
        """The raw points for a field value and what matched, in words (the explain path); a
        budget in another currency than the dimension's counts as missing, and says so."""
        if isinstance(value, Money) and value.currency != self.currency:
            why = f"not {self.currency}, so counted as missing"
            return self._evaluate(None, f"{self.field} = {value} ({why})")
        return self._evaluate(value, f"{self.field} = {describe_value(value)}")

    def _evaluate(self, value: object, matched: str) -> tuple[float, str]:
        if self.values is not None:
            best: tuple[float, str] | None = None
            for key in value_keys(value):
                points = self.values.get(key)
                if points is not None and (best is None or points > best[0]):
                    best = (points, key)
            if best is not None:
                return best[0], matched
            return self.default, f"{matched} (default)"
        if self.bands is not None:
            number = as_number(value)
            if number is not None:
                starts = [b.at_least for b in self.bands]
                i = bisect_right(starts, number) - 1
                if i >= 0:
                    return self.bands[i].points, f"{matched} (≥ {_fmt(starts[i])})"
            return self.default, f"{matched} (default)"
        assert self.when is not None and self.points is not None
        if self.when.compile()(value):
            return self.points, f"{matched} ({self.when.describe()})"
        return self.default, f"{matched} (not {self.when.describe()})"

    def compile(self) -> DimensionFn:
        """A closure giving the lead's weighted points; config is interpreted only here, once."""
        ref = resolve_field(self.field)
        weight = self.weight
        default = weight * self.default
        get = lead_getter(ref)
        if ref.kind is FieldKind.NUMBER:
            get = in_currency(get, self.currency)
        if self.values is not None:
            return _compile_values(ref, get, self.values, weight, default)
        if self.bands is not None:
            starts = [b.at_least for b in self.bands]
            weighted = [weight * b.points for b in self.bands]
            number_of = as_number

            def bands(lead: Lead) -> float:
                number = number_of(get(lead))
                if number is None:
                    return default
                i = bisect_right(starts, number) - 1
                return weighted[i] if i >= 0 else default

            return bands
        assert self.when is not None and self.points is not None
        test = self.when.compile()
        hit = weight * self.points

        def predicate(lead: Lead) -> float:
            return hit if test(get(lead)) else default

        return predicate


def _compile_values(
    ref: FieldRef,
    get: Callable[[Lead], object],
    values: Mapping[str, float],
    weight: float,
    default: float,
) -> DimensionFn:
    table: dict[object, float] = {key: weight * points for key, points in values.items()}
    lookup = table.get
    if ref.kind is FieldKind.ENUM:
        name = ref.name

        def enum_value(lead: Lead) -> float:
            member = getattr(lead, name)
            return default if member is None else lookup(member._value_, default)

        return enum_value
    if ref.kind is FieldKind.TEXT:

        def text_value(lead: Lead) -> float:
            return lookup(get(lead), default)

        return text_value

    def slow(value: object) -> float:
        found = [table[k] for k in value_keys(value) if k in table]
        return max(found) if found else default

    if ref.kind is FieldKind.NUMBER:

        def number_value(lead: Lead) -> float:
            return slow(get(lead))

        return number_value
    custom = ref.name

    def any_value(lead: Lead) -> float:
        value = lead.custom_fields.get(custom)
        if value is None:
            return default
        if type(value) is str:
            return lookup(value, default)
        return slow(value)

    return any_value
