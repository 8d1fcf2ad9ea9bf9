"""Showing a match in someone else's lead without showing the lead: ``138****8000``.

When a new lead duplicates one the user may not view, the user may learn *that* it exists and
whose it is, and see the matching detail masked, never the lead itself.
"""

from __future__ import annotations

from functools import cache, lru_cache

import phonenumbers

from leadcore.dedup.keys import DedupKey, KeyKind
from leadcore.dedup.phones import PhoneNormaliser, PhoneRules, is_cn_mobile
from leadcore.dedup.text import clean_text, nfkc
from leadcore.errors import FieldProblem, ValidationError

__all__ = ["mask_email", "mask_key", "mask_phone", "mask_wechat"]

_MAX = 320


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError([FieldProblem(field, f"must be text, not {type(value).__name__}")])
    text, _ = clean_text(value, max_length=_MAX)
    return "" if text is None else nfkc(text)


def _mask_digits(digits: str) -> str:
    """Hide at least four digits in the middle: the first three and last four of eleven."""
    hidden = max(4, len(digits) - 7)
    if hidden >= len(digits):
        return "*" * max(4, len(digits))
    shown = len(digits) - hidden
    head = min(3, shown // 2)
    return digits[:head] + "*" * hidden + digits[head + (len(digits) - shown) :]


@cache
def _phones(region: str) -> PhoneNormaliser:
    return PhoneNormaliser(PhoneRules(default_region=region), cache_size=256)


def mask_phone(phone: str, *, region: str = "CN") -> str:
    """A phone number with its middle hidden: ``+8613800138000`` → ``138****8000``.

    A number of ``region`` is shown as dialled at home (a landline with its trunk 0:
    ``010****5678``), another country's with its code (``+1 415****671``). The extension is
    never shown. Text that is not a valid number still has all but its last digits hidden.
    Raises ``ValidationError`` if ``phone`` is not text, ``ConfigError`` for an unknown region.
    """
    text = _text(phone, "phone")
    if not isinstance(region, str):
        raise ValidationError([FieldProblem("region", "must be a region code like 'CN'")])
    return _masked_phone(text, region.strip().upper())


@lru_cache(maxsize=4096)
def _masked_phone(text: str, region: str) -> str:
    e164 = _phones(region).key_value(text)
    if e164 is None:
        return _mask_digits("".join(c for c in text if c.isdigit()))
    if region == "CN" and e164.startswith("+86") and is_cn_mobile(e164[3:]):
        return _mask_digits(e164[3:])  # dialled at home as it is: no need to format it
    number = phonenumbers.parse(e164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    cc = number.country_code or 0
    if phonenumbers.region_code_for_country_code(cc) == region.strip().upper():
        return _mask_digits("".join(c for c in national if c.isdigit()))
    nsn = phonenumbers.national_significant_number(number)
    return f"+{cc} {_mask_digits(nsn)}"


def mask_email(email: str) -> str:
    """An address with its mailbox name hidden: ``zhangsan@qq.com`` → ``z***n@qq.com``.

    The domain stays (it is often the company). Raises ``ValidationError`` if ``email`` is not
    text; text without an ``@`` is hidden whole.
    """
    text = _text(email, "email").replace(" ", "")
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "***"
    if len(local) <= 3:
        return f"{local[0]}***@{domain}"
    return f"{local[0]}***{local[-1]}@{domain}"


def mask_wechat(wechat: str) -> str:
    """A WeChat id with its middle hidden: ``zhangsan_88`` → ``zh***88``.

    Raises ``ValidationError`` if ``wechat`` is not text.
    """
    text = _text(wechat, "wechat").replace(" ", "")
    if len(text) <= 4:
        return "***"
    if len(text) <= 6:
        return f"{text[0]}***{text[-1]}"
    return f"{text[:2]}***{text[-2:]}"


def mask_key(key: DedupKey, *, region: str = "CN") -> str:
    """A key as it may be shown to someone who may not view the lead it came from: phones,
    emails and WeChat ids masked; a company key as it is (the user typed that name)."""
    if not isinstance(key, DedupKey):
        raise ValidationError([FieldProblem("key", "must be a DedupKey")])
    if key.kind is KeyKind.PHONE:
        return mask_phone(key.value, region=region)
    if key.kind is KeyKind.EMAIL:
        return mask_email(key.value)
    if key.kind is KeyKind.WECHAT:
        return mask_wechat(key.value)
    return key.value
