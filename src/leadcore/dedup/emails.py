"""Email addresses to one key: case, spaces and provider rules undone.

``" Zhang.San@QQ.com "``, ``ZHANG.SAN@qq.com`` and full-width ``ｚｈａｎｇ．ｓａｎ＠ｑｑ．ｃｏｍ`` are one
address. Provider rules, kept as data, say where more spellings reach the same mailbox: at
Gmail (and googlemail.com) dots and ``+tags`` in the local part are ignored. Add a rule for
another provider with :meth:`EmailRules.extended`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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

__all__ = [
    "DEFAULT_PROVIDERS",
    "GMAIL",
    "EmailNormaliser",
    "EmailProvider",
    "EmailRules",
    "NormalisedEmail",
]

MAX_EMAIL_LENGTH: Final = 320
"""Longer input is not an email address."""

_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][^\W_]*(?:[\w-]*[^\W_])?")
_LOCAL = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}")
_SPACES = re.compile(r"\s+")
_DOTS: Final = str.maketrans({"。": ".", "｡": "."})


def _lower_all(values: object) -> tuple[object, ...]:
    items = to_tuple(values)  # type: ignore[arg-type]
    return tuple(v.strip().lower() if isinstance(v, str) else v for v in items)


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


@attrs.frozen(slots=True)
class EmailProvider:
    """A mail provider's spelling rules.

    Addresses at any of ``domains`` count as one mailbox when they differ only in dots in the
    local part (``ignore_dots``) or in a ``+tag`` after it (``ignore_plus_tags``); the key uses
    ``canonical_domain`` (default: the first domain), so googlemail.com is gmail.com.
    """

    name: str
    domains: tuple[str, ...] = attrs.field(converter=_lower_all)
    ignore_dots: bool = False
    ignore_plus_tags: bool = False
    canonical_domain: str | None = attrs.field(default=None, converter=_lower)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(FieldProblem("name", "must be non-blank text"))
        if not self.domains:
            problems.append(FieldProblem("domains", "must list at least one domain"))
        check_texts(problems, "domains", self.domains)
        for i, domain in enumerate(self.domains):
            if isinstance(domain, str) and domain.strip() and not _DOMAIN.fullmatch(domain):
                problems.append(
                    FieldProblem(f"domains[{i}]", f"{domain!r} is not a domain like gmail.com")
                )
        canonical = self.canonical_domain
        if canonical is not None and (
            not isinstance(canonical, str) or not _DOMAIN.fullmatch(canonical)
        ):
            problems.append(
                FieldProblem("canonical_domain", f"{canonical!r} is not a domain like gmail.com")
            )
        for field in ("ignore_dots", "ignore_plus_tags"):
            if not isinstance(getattr(self, field), bool):
                problems.append(FieldProblem(field, "must be true or false"))
        raise_problems(problems)

    @property
    def key_domain(self) -> str:
        """The domain the key is written with."""
        return self.canonical_domain or self.domains[0]


GMAIL: Final = EmailProvider(
    "gmail", ("gmail.com", "googlemail.com"), ignore_dots=True, ignore_plus_tags=True
)
"""Gmail: dots and ``+tags`` in the local part are ignored; googlemail.com is gmail.com."""

DEFAULT_PROVIDERS: Final = (GMAIL,)
"""The provider rules used unless configured otherwise."""


@attrs.frozen(slots=True)
class EmailRules(ExtendableRules):
    """How email addresses are read: the ``providers`` with spelling rules of their own, and
    ``placeholders``, addresses that mean "none given" and so give no key."""

    providers: tuple[EmailProvider, ...] = attrs.field(
        default=DEFAULT_PROVIDERS, converter=to_tuple
    )
    placeholders: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        seen: dict[str, str] = {}
        for i, provider in enumerate(self.providers):
            if not isinstance(provider, EmailProvider):
                problems.append(FieldProblem(f"providers[{i}]", "must be an EmailProvider"))
                continue
            for j, domain in enumerate(provider.domains):
                if domain in seen and seen[domain] != provider.name:
                    problems.append(
                        FieldProblem(
                            f"providers[{i}].domains[{j}]",
                            f"{domain!r} is already a domain of provider {seen[domain]!r}",
                        )
                    )
                seen.setdefault(domain, provider.name)
        check_texts(problems, "placeholders", self.placeholders)
        raise_problems(problems)


@attrs.frozen(slots=True)
class NormalisedEmail(KeyedResult):
    """An email address read: ``address`` (the key value) when it is usable, otherwise the
    ``reason`` it gives no key (``"is empty"`` when there was nothing to read)."""

    key_kind: ClassVar[KeyKind] = KeyKind.EMAIL
    address: str | None
    reason: str = ""

    @property
    def key_value(self) -> str | None:
        """The address."""
        return self.address


class EmailNormaliser:
    """Reads email addresses with one :class:`EmailRules`."""

    __slots__ = ("_placeholders", "_providers", "rules")

    def __init__(self, rules: EmailRules | None = None) -> None:
        self.rules = rules or EmailRules()
        self._providers: Mapping[str, EmailProvider] = {
            domain: provider for provider in self.rules.providers for domain in provider.domains
        }
        placeholders = set()
        for text in self.rules.placeholders:
            address, _ = self._read(text, check_placeholder=False)
            placeholders.add(address or text.strip().lower())
        self._placeholders = frozenset(placeholders)

    def normalise(self, value: object) -> NormalisedEmail:
        """Read one address; never raises."""
        return NormalisedEmail(*self._read(value))

    def key_value(self, value: object) -> str | None:
        """Just the key value of ``value``, or ``None``."""
        return self._read(value)[0]

    def _read(self, value: object, *, check_placeholder: bool = True) -> tuple[str | None, str]:
        text, reason = clean_text(value, max_length=MAX_EMAIL_LENGTH)
        if text is None:
            return None, reason
        if not text.isascii():
            text = nfkc(text).translate(_DOTS)
        if "<" in text and text.endswith(">"):  # "Zhang San <zhang@example.com>"
            text = text[text.rindex("<") + 1 : -1]
        text = text.lower()
        if " " in text or not text.isprintable():
            text = _SPACES.sub("", text)
        if text.startswith("mailto:"):
            text = text[7:]
        local, at, domain = text.rpartition("@")
        domain = domain.rstrip(".")
        if not at or not local:
            return None, "is not an email address like name@example.com"
        if not _LOCAL.fullmatch(local) or ".." in local or local[0] == "." or local[-1] == ".":
            return None, "has a local part (before the @) that is not valid"
        if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
            return None, f"has a domain that is not valid (like example.com): {domain[:60]!r}"
        provider = self._providers.get(domain)
        if provider is not None:
            if provider.ignore_plus_tags:
                local = local.partition("+")[0]
            if provider.ignore_dots:
                local = local.replace(".", "")
            if not local:
                return None, f"has no mailbox name left at {provider.name}"
            domain = provider.key_domain
        address = f"{local}@{domain}"
        if check_placeholder and address in self._placeholders:
            return None, "is a placeholder, not an address"
        return address, ""
