"""Recorded behaviour: what a prospect did (visited the pricing page, opened an email, …) and when."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Final

import attrs

from leadcore import checks
from leadcore.clock import ensure_aware
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.signatures import checked_constructor

__all__ = ["Activity", "ActivityKind", "activity_kind"]


class ActivityKind(LabelledEnum):
    """Built-in behaviour kinds. Kinds are plain strings: a host may record its own as well;
    a built-in kind given by its name or either label is that kind (see :func:`activity_kind`)."""

    PRICING_PAGE_VISIT = "pricing_page_visit", "访问定价页", "Pricing page visit"
    WHITEPAPER_DOWNLOAD = "whitepaper_download", "下载白皮书", "Whitepaper download"
    EMAIL_OPEN = "email_open", "打开邮件", "Email opened"
    EMAIL_CLICK = "email_click", "点击邮件链接", "Email link clicked"
    WEBSITE_VISIT = "website_visit", "访问官网", "Website visit"
    WEBINAR_ATTENDED = "webinar_attended", "参加网络研讨会", "Webinar attended"
    EVENT_ATTENDED = "event_attended", "参加展会活动", "Event attended"
    FORM_SUBMITTED = "form_submitted", "提交表单", "Form submitted"
    DEMO_REQUESTED = "demo_requested", "申请演示", "Demo requested"
    CONTRACT_INQUIRY = "contract_inquiry", "询问合同条款", "Asked about the contract"
    REFERRAL_MADE = "referral_made", "推荐其他客户", "Referred another prospect"
    PURCHASE_INTENT = "purchase_intent", "明确购买意向", "Stated a clear purchase intent"


_EMPTY: Final[Mapping[str, object]] = MappingProxyType({})


_VALUES: Final = frozenset(kind.value for kind in ActivityKind)

MAX_KIND: Final = 100
"""The longest activity kind accepted (as ``desk.record_activity`` takes it)."""


def _refused(reason: str) -> ValidationError:
    return ValidationError([FieldProblem("kind", reason)], subject="activity")


@lru_cache(maxsize=1024)
def _named(text: str) -> str:
    """``text`` trimmed and in NFKC form (full-width ``ｄｅｍｏ`` is ``demo``), as the
    built-in kind it names or else the host's own."""
    clean = text.strip()
    if not clean.isascii():
        clean = unicodedata.normalize("NFKC", clean).strip()
    if not clean:
        raise _refused("must be a non-empty activity kind, e.g. 'pricing_page_visit'")
    try:
        clean = checks.text(clean, "kind", max_len=MAX_KIND)
    except ValidationError as e:
        raise _refused(e.problems[0].reason) from None
    try:
        return ActivityKind.parse(clean).value
    except ValueError:  # a host's own kind
        return clean


def activity_kind(text: str) -> str:
    """The kind ``text`` names: a built-in kind's value when ``text`` is its value, name or
    Chinese or English label (``"申请演示"``, ``"Demo requested"`` → ``"demo_requested"``;
    case-insensitive for ASCII, as enums are parsed everywhere), else the host's own kind.
    Either is trimmed and read in NFKC form, so surrounding spaces and full-width letters
    (``" ｔｒｉａｌ "`` is ``"trial"``) make no other kind. ``ValidationError`` naming
    ``kind`` for anything but non-blank one-line text of at most 100 characters."""
    if type(text) is str and text in _VALUES:
        return text
    if isinstance(text, ActivityKind):
        return text.value
    if not isinstance(text, str):
        raise _refused(
            "must be an activity kind as text, e.g. 'pricing_page_visit', "
            f"not {type(text).__name__}"
        )
    return _named(str(text))


def _kind(value: str) -> str:
    return activity_kind(value)


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError([FieldProblem("at", "must be a datetime")], subject="activity")
    return ensure_aware(value, "at")


def _freeze(data: Mapping[str, object]) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise ValidationError(
            [FieldProblem("data", f"must be a mapping of details, not {type(data).__name__}")],
            subject="activity",
        )
    return frozen_mapping(data)


def _lead_id(value: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(
            [FieldProblem("lead_id", f"must be a lead id or None, not {value!r:.40}")],
            subject="activity",
        )
    return value


@checked_constructor
@attrs.frozen(slots=True)
class Activity:
    """One recorded behaviour event of a prospect: its ``kind`` (an :class:`ActivityKind` value,
    also when given by its label, or a host's own string; see :func:`activity_kind`), the
    aware instant ``at`` (kept in UTC), optionally the lead and free-form ``data`` (e.g. the
    page or campaign)."""

    kind: str = attrs.field(converter=_kind)
    at: datetime = attrs.field(converter=_aware)
    lead_id: str | None = attrs.field(default=None, converter=_lead_id)
    data: Mapping[str, object] = attrs.field(default=_EMPTY, converter=_freeze)
    timestamp: float = attrs.field(init=False, eq=False, repr=False)
    """``at`` as POSIX seconds, computed once so scoring many leads stays cheap."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "timestamp", self.at.timestamp())
