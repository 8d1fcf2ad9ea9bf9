"""Phone numbers to one E.164 key, however they were typed.

``138 0013 8000``, ``+86-138-0013-8000``, ``008613800138000``, full-width ``１３８…`` and
``tel:+86-138-0013-8000`` all give ``+8613800138000``; ``010-12345678`` and ``(021) 6123 4567``
give ``+861012345678`` and ``+862161234567``. An extension (``ext 123``, ``转123``, ``分机123``,
``#123``, and ``010-12345678-123``) is kept apart from the key. A number that is not valid is
flagged with the reason, never raised.

Speed: ``phonenumbers.parse`` plus its validity check costs about 35 µs. Plain digit strings
(the common case) take a fast path that repeats phonenumbers' own steps for the default region
(prefix stripping, then the region's fixed-line and mobile patterns from phonenumbers'
metadata); everything else, and every number the fast path is not sure of, goes to
phonenumbers through a bounded cache. Both give the same answer; :meth:`PhoneNormaliser.reference`
is phonenumbers alone, for checking that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, ClassVar, Final

import attrs
import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, ValidationResult

from leadcore.dedup.keys import KeyKind
from leadcore.dedup.rules_base import (
    ExtendableRules,
    KeyedResult,
    check_texts,
    raise_problems,
    to_tuple,
)
from leadcore.dedup.text import clean_text, nfkc
from leadcore.errors import FieldProblem, ValidationError

__all__ = [
    "DEFAULT_EXTENSION_MARKERS",
    "NormalisedPhone",
    "PhoneNormaliser",
    "PhoneRules",
    "is_cn_mobile",
    "plain_e164",
]

MAX_PHONE_LENGTH: Final = 100
"""Longer input is not a phone number (it is flagged, not parsed)."""

DEFAULT_EXTENSION_MARKERS: Final = (
    "extension",
    "ext.",
    "ext",
    "x",
    "分机号",
    "分机",
    "转",
    "#",
)
"""Words that put an extension after a number (``010-12345678 转 123``)."""


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


@attrs.frozen(slots=True)
class PhoneRules(ExtendableRules):
    """How phone numbers are read.

    ``default_region`` (ISO 3166 code, default ``CN``) is assumed for numbers without ``+``.
    ``extension_markers`` are the words that introduce an extension. ``dash_extension`` reads a
    third group after a Chinese landline with its area code (``010-12345678-123``) as an
    extension, unless the whole is a valid number as it stands.
    """

    default_region: str = attrs.field(default="CN", converter=_upper)
    extension_markers: tuple[str, ...] = attrs.field(
        default=DEFAULT_EXTENSION_MARKERS, converter=to_tuple
    )
    dash_extension: bool = True

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if (
            not isinstance(self.default_region, str)
            or self.default_region not in phonenumbers.SUPPORTED_REGIONS
        ):
            problems.append(
                FieldProblem(
                    "default_region",
                    f"{self.default_region!r} is not a region phonenumbers knows; "
                    "use an ISO 3166 code like CN, HK or US",
                )
            )
        check_texts(problems, "extension_markers", self.extension_markers)
        if not isinstance(self.dash_extension, bool):
            problems.append(FieldProblem("dash_extension", "must be true or false"))
        raise_problems(problems)

    def with_region(self, region: str) -> PhoneRules:
        """The same rules with another default region."""
        return attrs.evolve(self, default_region=region)


@attrs.frozen(slots=True)
class NormalisedPhone(KeyedResult):
    """A phone number read: ``e164`` (``+8613800138000``) when it is valid, the ``extension``
    if one was given, and otherwise the ``reason`` it gives no key (``"is empty"`` when there
    was nothing to read)."""

    key_kind: ClassVar[KeyKind] = KeyKind.PHONE
    e164: str | None
    extension: str | None = None
    reason: str = ""

    @property
    def key_value(self) -> str | None:
        """The E.164 number (the extension is never part of the key)."""
        return self.e164


_Parsed = tuple[str | None, str | None, str]
"""``(e164, extension, reason)``."""

_SEPARATORS: Final = str.maketrans("", "", " -().")
# A Chinese area code (010, 02x, 0xxx), a 7-8 digit local number, then an extension.
_DASH_EXTENSION: Final = re.compile(
    r"(0(?:10|2[0-9]|[3-9][0-9]{2}))[-\s]+([0-9]{7,8})[-\s]+([0-9]{1,6})"
)
_PARSE_REASONS: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: "has an unknown country code",
    NumberParseException.NOT_A_NUMBER: "is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "is too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    NumberParseException.TOO_LONG: "is too long to be a phone number",
}


def _length_reason(why: int, where: str) -> str:
    if why == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"is a local number without its area code ({where})"
    if why == ValidationResult.TOO_SHORT:
        return f"has too few digits for {where}"
    if why == ValidationResult.TOO_LONG:
        return f"has too many digits for {where}"
    if why == ValidationResult.INVALID_LENGTH:
        return f"has the wrong number of digits for {where}"
    if why == ValidationResult.INVALID_COUNTRY_CODE:
        return "has an unknown country code"
    return f"is not a number in use in {where}"


def _desc(desc: Any) -> tuple[re.Pattern[str], frozenset[int]] | None:
    """One phonenumbers number description as (pattern, possible lengths; empty: any)."""
    if desc is None or desc.national_number_pattern is None:
        return None
    return re.compile(desc.national_number_pattern), frozenset(desc.possible_length or ())


def _matches(desc: tuple[re.Pattern[str], frozenset[int]] | None, nsn: str) -> bool:
    """phonenumbers' own test of a national number against one description."""
    if desc is None:
        return False
    pattern, lengths = desc
    return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


class _FastPath:
    """The default region's clean digit strings, read exactly as phonenumbers would.

    ``e164(digits)`` gives the E.164 form of a valid fixed-line or mobile number, or ``None``
    whenever phonenumbers could decide differently (another country, a carrier prefix, an
    international prefix other than the plain one): those go to phonenumbers itself.
    """

    __slots__ = (
        "cc",
        "enabled",
        "fixed",
        "general",
        "idd",
        "local_only",
        "mobile",
        "national_prefix",
        "npp",
    )

    def __init__(self, region: str) -> None:
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None and metadata.country_code is not None, region
        cc = metadata.country_code
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
        # Only where one region owns the country code and no prefix rewriting is involved:
        # elsewhere phonenumbers' choice of region could differ from ours.
        self.enabled = (
            len(regions) == 1
            and metadata.national_prefix_transform_rule is None
            and metadata.general_desc is not None
        )
        self.cc = str(cc)
        self.idd = re.compile(metadata.international_prefix or r"(?!)")
        self.npp = (
            re.compile(metadata.national_prefix_for_parsing)
            if metadata.national_prefix_for_parsing
            else None
        )
        self.national_prefix = metadata.national_prefix or ""
        self.general = _desc(metadata.general_desc)
        general = metadata.general_desc
        self.local_only = frozenset(
            (general.possible_length_local_only if general is not None else None) or ()
        )
        self.mobile = _desc(metadata.mobile)
        self.fixed = _desc(metadata.fixed_line)

    def e164(self, digits: str) -> str | None:
        """``digits`` (ASCII digits, maybe a leading ``+``) as E.164, or ``None``: not sure."""
        if not self.enabled:
            return None
        cc = self.cc
        if digits[0] == "+":
            rest = digits[1:]
        else:
            idd = self.idd.match(digits)
            rest = digits[idd.end() :] if idd else ""
            if idd and (not rest or rest[0] == "0"):
                return None
        if rest:  # international form: +86…, 0086…
            if not rest.startswith(cc):
                return None
            nsn = rest[len(cc) :]
            if self.npp is not None and self.npp.match(nsn):
                return None
        else:  # national form: 138…, 010…
            if digits.startswith(cc):
                return None
            prefix = self.npp.match(digits) if self.npp is not None else None
            if prefix is None:
                nsn = digits
            elif prefix.group() == self.national_prefix and self.national_prefix:
                nsn = digits[prefix.end() :]
            else:
                return None
        # phonenumbers: valid when the general description and one type (here: mobile or
        # fixed line; the rarer types go to phonenumbers) both match.
        if len(nsn) in self.local_only or not _matches(self.general, nsn):
            return None
        if _matches(self.mobile, nsn) or _matches(self.fixed, nsn):
            return f"+{cc}{nsn}"
        return None


@lru_cache(maxsize=32)
def _fast_path(region: str) -> _FastPath | None:
    if PhoneMetadata.metadata_for_region(region) is None:
        return None
    return _FastPath(region)


def _cn_mobile_pattern() -> re.Pattern[str]:
    metadata = PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.mobile is not None
    return re.compile(str(metadata.mobile.national_number_pattern))


# The pattern phonenumbers' own validation applies to mainland mobiles, so the answer is
# identical, without parsing.
_CN_MOBILE: Final = _cn_mobile_pattern()


def is_cn_mobile(national: str) -> bool:
    """Whether ``national`` (digits, no country code: ``13800138000``) is a mainland mobile
    number, by phonenumbers' own pattern for them; ``ValidationError`` naming ``national``
    when it is not text."""
    if type(national) is not str and not isinstance(national, str):
        shown = type(national).__name__
        raise ValidationError([FieldProblem("national", f"must be text, not {shown}")])
    return _CN_MOBILE.fullmatch(national) is not None


def plain_e164(text: str, region: str) -> str | None:
    """The E.164 form of ``text`` when it is a plain number (ASCII digits, maybe a leading
    ``+``, with spaces, dashes, dots or brackets) that phonenumbers would read as a valid
    mobile or fixed-line number with ``region`` as the default; None whenever only
    phonenumbers can tell (another shape, another country, a rarer type, an invalid number).
    Entry validation and duplicate keys both read numbers through it. ``ValidationError``
    naming the argument when ``text`` or ``region`` is not text."""
    if type(text) is not str or type(region) is not str:
        for name, value in (("text", text), ("region", region)):
            if not isinstance(value, str):
                shown = type(value).__name__
                raise ValidationError([FieldProblem(name, f"must be text, not {shown}")])
    if not text.isascii() or len(text) > MAX_PHONE_LENGTH:
        return None
    digits = text.translate(_SEPARATORS)
    if not (digits.isdigit() or (digits[:1] == "+" and digits[1:].isdigit())):
        return None
    fast = _fast_path(region)
    return None if fast is None else fast.e164(digits)


def _extension_pattern(markers: Iterable[str]) -> re.Pattern[str]:
    words = sorted({nfkc(m).strip().casefold() for m in markers}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"[\s,;]*(?:{alternatives})[\s:.=]*([0-9]{{1,10}})[\s#]*$", re.IGNORECASE)


class PhoneNormaliser:
    """Reads phone numbers with one :class:`PhoneRules`; see the module docstring for how.

    ``cache_size`` bounds the cache of numbers that needed phonenumbers (0: no cache).
    """

    __slots__ = ("_dash", "_extension", "_fast", "_slow", "region", "rules")

    def __init__(self, rules: PhoneRules | None = None, *, cache_size: int = 8192) -> None:
        self.rules = rules or PhoneRules()
        self.region = self.rules.default_region
        self._fast = _FastPath(self.region)
        self._extension = _extension_pattern(self.rules.extension_markers)
        self._dash = self.rules.dash_extension
        self._slow: Callable[[str], _Parsed] = (
            lru_cache(maxsize=cache_size)(self._phonenumbers) if cache_size else self._phonenumbers
        )

    # --- public ---------------------------------------------------------------------------------
    def normalise(self, value: object) -> NormalisedPhone:
        """Read one number (text, or an ``int`` of its digits); never raises."""
        return NormalisedPhone(*self.parse(value))

    def key_value(self, value: object) -> str | None:
        """Just the key value (E.164) of ``value``, or ``None``: the fast form of
        ``normalise(value).e164``."""
        return self.parse(value)[0]

    def reference(self, value: object) -> NormalisedPhone:
        """The same reading done by phonenumbers alone: no fast path, no cache, and the number
        passed on as written (only the extension and a ``tel:`` prefix taken off). For checking
        that the fast path changes nothing."""
        text, reason = clean_text(value, max_length=MAX_PHONE_LENGTH, allow_int=True)
        if text is None:
            return NormalisedPhone(None, None, reason)
        main, extension = self._split(text)
        if not main:
            return NormalisedPhone(None, extension, "has no number before the extension")
        e164, found, reason = self._phonenumbers(main)
        return NormalisedPhone(e164, extension or found, reason)

    # --- the work -------------------------------------------------------------------------------
    def parse(self, value: object) -> _Parsed:
        """``(e164, extension, reason)`` for ``value``; what :meth:`normalise` wraps."""
        # The commonest shapes, already clean: bare digits, and E.164 as leads store it.
        if (
            type(value) is str
            and value.isascii()
            and len(value) < 30
            and (value.isdigit() or (value[:1] == "+" and value[1:].isdigit()))
        ):
            return self._digits(value, value, None)
        text, reason = clean_text(value, max_length=MAX_PHONE_LENGTH, allow_int=True)
        if text is None:
            return None, None, reason
        if text.isascii():
            digits = text.translate(_SEPARATORS)
            if (digits.isdigit() or (digits[:1] == "+" and digits[1:].isdigit())) and not (
                self._dash and text[0] == "0" and self._dash_split(text)
            ):
                return self._digits(digits, text, None)
        main, extension = self._split(text)
        if not main:
            return None, extension, "has no number before the extension"
        digits = main.translate(_SEPARATORS)
        if digits.isascii() and (digits.isdigit() or (digits[:1] == "+" and digits[1:].isdigit())):
            return self._digits(digits, main, extension)
        e164, found, reason = self._slow(main)
        return e164, extension or found, reason

    def _digits(self, digits: str, main: str, extension: str | None) -> _Parsed:
        """The fast path on the bare digits; if it is not sure, phonenumbers on ``main`` as
        written (separators can change phonenumbers' reason for a bad number)."""
        e164 = self._fast.e164(digits)
        if e164 is not None:
            return e164, extension, ""
        e164, found, reason = self._slow(main)
        return e164, extension or found, reason

    def _split(self, text: str) -> tuple[str, str | None]:
        """The number and its extension, with full-width forms and ``tel:`` undone."""
        text = nfkc(text)
        extension: str | None = None
        if text[:4].casefold() == "tel:":
            main, *params = text[4:].split(";")
            for param in params:
                name, _, value = param.partition("=")
                if name.strip().casefold() == "ext" and value.strip().isdigit():
                    extension = value.strip()
            text = main.strip()
        found = self._extension.search(text)
        if found and found.start() > 0:
            extension = extension or found.group(1)
            text = text[: found.start()].strip()
        dashed = self._dash_split(text) if self._dash else None
        if dashed is not None:
            text, found_extension = dashed
            extension = extension or found_extension
        return text.strip(), extension

    def _dash_split(self, text: str) -> tuple[str, str] | None:
        """``010-12345678-123`` as (``010-12345678``, ``123``); ``None`` if it is not that
        shape or the whole is a valid number as it stands."""
        dashed = _DASH_EXTENSION.fullmatch(text.strip())
        if dashed is None or self._fast.e164(text.translate(_SEPARATORS)) is not None:
            return None
        return f"{dashed.group(1)}-{dashed.group(2)}", dashed.group(3)

    def _phonenumbers(self, main: str) -> _Parsed:
        try:
            number = phonenumbers.parse(main, self.region)
        except NumberParseException as e:
            return None, None, _PARSE_REASONS.get(e.error_type, "is not a phone number")
        extension = number.extension or None
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return str(e164), extension, ""
        cc = number.country_code or 0
        owner = phonenumbers.region_code_for_country_code(cc)
        where = f"{owner} (+{cc})" if owner != "ZZ" else f"+{cc}"
        why = phonenumbers.is_possible_number_with_reason(number)
        return None, extension, _length_reason(why, where)
