"""Entry validation: clean a lead's fields before they enter a pool.

The host sets the rules (`LeadRules`): which fields are required, which groups need at least one
member (a name or a company; a phone, email or WeChat), the default phone region. Cleaning
collects every problem at once and raises one ``ValidationError`` naming each field.
Phones are normalised to E.164 with phonenumbers (an extension is kept as ``;ext=123``), and
one holding an emoji, a symbol or an invisible character is refused; emails are trimmed and
their domain lowercased, and one holding an invisible character is refused; a WeChat id may
hold no invisible format character; a source must be one the pool allows, or a standard
channel; text may hold no control characters, line separators or broken Unicode and is at
most ``MAX_TEXT`` (200) characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs
import phonenumbers

from leadcore import checks
from leadcore.checks import MAX_TEXT, choice, format_char, text_problem
from leadcore.custom_fields import CustomFieldSet
from leadcore.dedup.emails import NormalisedEmail
from leadcore.dedup.normaliser import Normaliser
from leadcore.dedup.phones import is_cn_mobile, plain_e164
from leadcore.dedup.wechat import NormalisedWechat
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import CompanySize, Lead, Money, Pool, SourceChannel
from leadcore.signatures import checked_constructor

__all__ = [
    "DETAIL_FIELDS",
    "EDITABLE_FIELDS",
    "LeadRules",
    "clean_lead_fields",
    "clean_match_fields",
    "normalise_email",
    "normalise_phone",
]

DETAIL_FIELDS: Final = (
    "contact_name",
    "company",
    "phone",
    "email",
    "wechat",
    "source",
    "industry",
    "region",
    "company_size",
    "budget",
    "decision_maker_title",
)
"""The lead's own details (who, which company, how to reach them, its profile), in form order."""

EDITABLE_FIELDS: Final = frozenset((*DETAIL_FIELDS, "stage"))
"""The lead fields a user may set on create and change on edit (custom fields aside)."""

_TEXT_FIELDS: Final = (
    "contact_name",
    "company",
    "wechat",
    "industry",
    "region",
    "decision_maker_title",
    "stage",
)
_EMPTY_TEXT: Final = frozenset(f.name for f in attrs.fields(Lead) if f.default == "")
"""Text fields a lead always has (``contact_name``, ``company``): blank is ``""``, never None."""
_CHANNEL_VALUES: Final = frozenset(channel.value for channel in SourceChannel)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _field_names(value: object, field: str) -> tuple[str, ...]:
    """Lead detail fields by name (a list or tuple, never one ``str``), each known, in the
    order given, without repeats; ``ValidationError`` naming ``field[i]``."""
    try:
        names = checks.instances(value, str, field, "field names like 'phone'")
    except ValidationError as e:
        raise ValidationError(e.problems, subject="lead rules") from None
    problems = [
        FieldProblem(
            f"{field}[{i}]", f"{checks.shown(name)} is not a lead detail field ({_DETAILS})"
        )
        for i, name in enumerate(names)
        if name not in DETAIL_FIELDS
    ]
    if problems:
        raise ValidationError(problems, subject="lead rules")
    return tuple(dict.fromkeys(names))


def _required(value: object) -> tuple[str, ...]:
    return _field_names(value, "required")


def _groups(value: object) -> tuple[tuple[str, ...], ...]:
    """Groups of lead detail fields, each needing at least one filled in."""
    try:
        groups = checks.instances(value, Iterable, "one_of", "groups of field names")
    except ValidationError as e:
        raise ValidationError(e.problems, subject="lead rules") from None
    found = tuple(_field_names(group, f"one_of[{i}]") for i, group in enumerate(groups))
    empty = [i for i, group in enumerate(found) if not group]
    if empty:
        raise ValidationError(
            [FieldProblem(f"one_of[{empty[0]}]", "name at least one field")], subject="lead rules"
        )
    return found


def _region(value: object) -> str:
    """An ISO region code phonenumbers knows (``CN``, ``us``), upper-cased."""
    region = value.strip().upper() if isinstance(value, str) else None
    if region is None or region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            [
                FieldProblem(
                    "phone_region",
                    f"must be a region code like 'CN' or 'US', not {checks.shown(value)}",
                )
            ],
            subject="lead rules",
        )
    return region


_DETAILS: Final = ", ".join(sorted(DETAIL_FIELDS))


@checked_constructor
@attrs.frozen(slots=True)
class LeadRules:
    """What a lead needs to be accepted; the host configures it.

    ``required`` fields must be non-empty; for each group in ``one_of`` at least one field
    must be non-empty; ``phone_region`` is the ISO country assumed for numbers without ``+``.
    Each names lead detail fields (``contact_name``, ``phone`` …) as a list, never one
    string; an unknown field or region is a ``ValidationError`` naming it, so that a typo
    cannot refuse every lead (or none).
    """

    required: tuple[str, ...] = attrs.field(default=(), converter=_required)
    one_of: tuple[tuple[str, ...], ...] = attrs.field(
        default=(("contact_name", "company"), ("phone", "email", "wechat")),
        converter=_groups,
    )
    phone_region: str = attrs.field(default="CN", converter=_region)


def normalise_phone(raw: str, region: str = "CN") -> str:
    """The number in E.164 (``+8613800138000``), with an extension kept as ``;ext=123``;
    raises ``ValidationError`` (a ``ValueError``) naming ``phone`` and saying what is wrong.
    Digits, spaces, punctuation, ``+`` and words (a label such as ``手机：`` or ``tel:``, an
    extension marker such as ``ext`` or ``转``) are read as phonenumbers reads them; an emoji,
    another symbol or an invisible character is refused, not skipped. ``region`` is the
    country a number without ``+`` is read in (an ISO code like ``"CN"``, in either case)."""
    try:
        known = _region(region)
    except ValidationError as e:
        raise ValidationError([FieldProblem("region", e.problems[0].reason)]) from None
    return _checked("phone", raw, lambda text: _phone_e164(text, known))


def normalise_email(raw: str) -> str:
    """The address trimmed, with its domain lowercased; raises ``ValidationError`` (a
    ``ValueError``) naming ``email`` if it is malformed or holds an invisible character (a
    zero-width space, a bidi control: any character that is not printable), which would make
    the stored address undeliverable."""
    return _checked("email", raw, _email_address)


def _checked(field: str, raw: object, read: Callable[[str], str]) -> str:
    """``read(raw)`` for a public caller: ``raw`` must be text no longer than a lead's field
    may be, and the reason ``read`` gives (a ``ValueError``) is raised as a
    ``ValidationError`` naming ``field``."""
    if not isinstance(raw, str):
        shown = type(raw).__name__
        raise ValidationError([FieldProblem(field, f"must be text, not {shown}")])
    if len(raw) > MAX_TEXT and len(raw.strip()) > MAX_TEXT:
        length = len(raw.strip())
        raise ValidationError(
            [FieldProblem(field, f"must be at most {MAX_TEXT} characters, not {length}")]
        )
    try:
        return read(raw)
    except ValueError as e:
        raise ValidationError([FieldProblem(field, str(e))]) from None


def _phone_e164(raw: str, region: str) -> str:
    """:func:`normalise_phone` of clean text, raising a bare ``ValueError`` with the reason
    (the field cleaners' form)."""
    if region == "CN":  # the commonest shape of all, a bare mainland mobile: one regex
        mobile = _PLAIN_CN_MOBILE.fullmatch(raw)
        if mobile is not None and is_cn_mobile(mobile.group(1)):
            return "+86" + mobile.group(1)
    plain = plain_e164(raw, region)  # other plain shapes, read as phonenumbers reads them
    if plain is not None:
        return plain
    junk = _phone_junk(raw)
    if junk is not None:
        raise ValueError(
            f"{raw!r} is not a phone number: it holds {junk!r} (a number is digits, spaces, "
            "+ - ( ) and perhaps a label such as 手机： or an extension such as ext 123)"
        )
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{raw!r} is not a phone number (expected e.g. 13800138000)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number for region {region}")
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return f"{e164};ext={number.extension}" if number.extension else e164


_PLAIN_CN_MOBILE: Final = re.compile(r"(?:\+86)?(1\d{10})")
_PHONE_PLUS: Final = frozenset("+\uff0b")  # "+" and full-width "＋", the only symbols a number has
_NOT_IN_PHONES: Final = frozenset(("Me", "Zl", "Zp"))  # enclosing marks (keycaps), line breaks


def _phone_junk(raw: str) -> str | None:
    """The first character of ``raw`` no spelling of a phone number holds, or None: a symbol
    other than ``+`` (an emoji, ``☎``, ``~``), an invisible or unassigned character (Unicode
    categories C and S, enclosing marks, line separators). phonenumbers would skip it."""
    for char in raw:
        if char.isalnum() or char == " " or char in _PHONE_PLUS:
            continue
        category = unicodedata.category(char)
        if category[0] in "CS" or category in _NOT_IN_PHONES:
            return char
    return None


def _email_address(raw: str) -> str:
    """:func:`normalise_email` of text, raising a bare ``ValueError`` with the reason (the
    field cleaners' form)."""
    text = raw.strip()
    if len(text) > 254 or text_problem(text):
        raise ValueError(f"{raw!r} is not an email address like name@example.com")
    if not text.isprintable():
        hidden = next(char for char in text if not char.isprintable())
        raise ValueError(
            f"{raw!r} holds the invisible character {hidden!r}; type the address plainly, "
            "like name@example.com"
        )
    if not _EMAIL.match(text):
        raise ValueError(f"{raw!r} is not an email address like name@example.com")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def clean_match_fields(fields: Mapping[str, Any], *, rules: LeadRules) -> dict[str, Any]:
    """``fields`` cleaned as :func:`clean_lead_fields` cleans them for a new lead (every bad
    one reported at once in a ``ValidationError``), but nothing is required and a source is
    any text (no pool's options apply): the details a customer is looked up by."""
    clean, problems = _clean_each(fields, _MATCH_CLEANERS, rules, None)
    if problems:
        raise ValidationError(problems, subject="customer lookup")
    return clean


_Cleaner = Callable[[Any, LeadRules, Pool | None], Any]


def _clean_each(
    fields: Mapping[str, Any],
    cleaners: Mapping[str, _Cleaner],
    rules: LeadRules,
    pool: Pool | None,
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Each field of ``fields`` cleaned by its cleaner (which raises ValueError with a
    reason), and a problem for each unknown or bad one."""
    problems: list[FieldProblem] = []
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        cleaner = cleaners.get(name)
        if cleaner is None:
            known = ", ".join(sorted(EDITABLE_FIELDS))
            problems.append(FieldProblem(name, f"is not a lead field that can be set ({known})"))
            continue
        try:
            clean[name] = cleaner(value, rules, pool)
        except ValueError as e:
            problems.append(FieldProblem(name, str(e)))
    return clean, problems


def _always_text(value: Any, rules: LeadRules, pool: Pool | None) -> str:
    """A text field every lead has (``contact_name``, ``company``): blank is ``""``."""
    return "" if value is None else _text(value) or ""


def _optional_text(value: Any, rules: LeadRules, pool: Pool | None) -> str | None:
    return None if value is None else _text(value)


def _pool_source(value: Any, rules: LeadRules, pool: Pool | None) -> str | None:
    assert pool is not None  # a lead's source is one its pool allows
    return None if value is None else _source(value, pool)


def _phone(value: Any, rules: LeadRules, pool: Pool | None) -> str | None:
    clean = None if value is None else _text(value)
    return None if clean is None else _phone_e164(clean, rules.phone_region)


def _email(value: Any, rules: LeadRules, pool: Pool | None) -> str | None:
    clean = None if value is None else _text(value)
    return None if clean is None else _email_address(clean)


def _wechat(value: Any, rules: LeadRules, pool: Pool | None) -> str | None:
    """A WeChat id as given (trimmed), refused when it holds an invisible format character:
    duplicate keys drop those, so the id kept would not be the id its key says."""
    clean = None if value is None else _text(value)
    if clean is None:
        return None
    hidden = format_char(clean)
    if hidden is not None:
        raise ValueError(
            f"must not contain invisible characters such as {hidden!r} (a WeChat id has "
            "letters, digits, _ and - only)"
        )
    return clean


def _company_size(value: Any, rules: LeadRules, pool: Pool | None) -> CompanySize | None:
    if value is None:
        return None
    try:
        return choice(CompanySize, value, "company_size")
    except ValidationError as e:
        raise ValueError(e.problems[0].reason) from None


def _budget(value: Any, rules: LeadRules, pool: Pool | None) -> Money | None:
    if value is None or isinstance(value, Money):
        return value
    if isinstance(value, int | str | Decimal) and not isinstance(value, bool):
        try:
            return Money(value)
        except ValidationError as e:
            raise ValueError(e.problems[0].reason) from None
    raise ValueError(
        f"must be Money, or a number as int, str or Decimal (not {type(value).__name__})"
    )


_CLEANERS: Final[Mapping[str, _Cleaner]] = {
    **dict.fromkeys(_TEXT_FIELDS, _optional_text),
    **dict.fromkeys(_EMPTY_TEXT, _always_text),  # after: these text fields are never None
    "source": _pool_source,
    "phone": _phone,
    "email": _email,
    "wechat": _wechat,
    "company_size": _company_size,
    "budget": _budget,
}
"""How each settable field is cleaned (one function a field: no chain of tests per value)."""
_MATCH_CLEANERS: Final[Mapping[str, _Cleaner]] = {**_CLEANERS, "source": _optional_text}
assert set(_CLEANERS) == EDITABLE_FIELDS


def _text(value: object) -> str | None:
    """One-line text, trimmed (blank is None); ValueError saying what is wrong. The common case
    (clean text) costs one type check, one strip and one regex search."""
    if type(value) is not str:
        if isinstance(value, str):
            value = str(value)
        else:
            raise ValueError(f"must be text, not {type(value).__name__}")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters, not {len(text)}")
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text or None


def _source(value: object, pool: Pool) -> str | None:
    """A source the pool allows (its own options), or else a standard channel's value."""
    clean = _text(value)
    if clean is None:
        return None
    if pool.allowed_sources:
        if clean in pool.allowed_sources:
            return clean
        raise ValueError(
            f"pool {pool.name} accepts only these sources: {', '.join(pool.allowed_sources)}"
        )
    if clean in _CHANNEL_VALUES:  # a channel's own value, as most callers give it
        return clean
    try:
        return SourceChannel.parse(clean).value
    except ValueError as e:
        raise ValueError(str(e)) from None


def clean_lead_fields(
    fields: Mapping[str, Any],
    *,
    rules: LeadRules,
    pool: Pool,
    custom_fields: CustomFieldSet,
    custom_values: Mapping[str, object] | None = None,
    current: Mapping[str, Any] | None = None,
    normaliser: Normaliser | None = None,
) -> dict[str, Any]:
    """Return ``fields`` (and ``custom_fields`` if given) cleaned, or raise ``ValidationError``.

    For an edit, pass the lead's ``current`` values: requirements are then checked on the
    result of the change and custom fields are validated as a partial update. An email or
    WeChat id counts towards "at least one of" only when ``normaliser`` (the default rules if
    None) reads a duplicate key from it: a lead whose only contact detail gives no key
    (``同手机``, ``wx:``) could never be found as a duplicate.
    """
    clean, problems = _clean_each(fields, _CLEANERS, rules, pool)
    merged = {**current, **clean} if current else clean
    for name in rules.required:
        if not merged.get(name):
            problems.append(FieldProblem(name, "is required"))
    for group in rules.one_of:
        unkeyed: list[str] = []
        for name in group:
            value = merged.get(name)
            if not value:
                continue
            why = _no_key(name, value, normaliser or Normaliser.default())
            if why is None:
                break
            unkeyed.append(f"{name} {value!r:.40} {why}")
        else:
            if not any(p.field in group for p in problems):
                told = f" ({'; '.join(unkeyed)})" if unkeyed else ""
                problems.append(
                    FieldProblem(group[0], f"at least one of {', '.join(group)} is needed{told}")
                )
    if custom_values is not None:
        try:
            clean["custom_fields"] = custom_fields.validate(
                custom_values, partial=current is not None
            )
        except ValidationError as e:
            problems.extend(e.problems)
    if problems:
        raise ValidationError(problems, subject="lead")
    return clean


def _no_key(name: str, value: object, normaliser: Normaliser) -> str | None:
    """Why the email or WeChat id ``value`` gives no duplicate key, or None when it does (or
    the field is not one of those two)."""
    if name == "email":
        found: NormalisedEmail | NormalisedWechat = normaliser.email(value)
    elif name == "wechat":
        found = normaliser.wechat(value)
    else:
        return None
    return None if found.key is not None else found.reason
