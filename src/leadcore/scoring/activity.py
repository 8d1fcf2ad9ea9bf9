"""Recorded behaviour: what a prospect did (visited the pricing page, opened an email, …) and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Final

import attrs

from leadcore.clock import ensure_aware
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum

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


@lru_cache(maxsize=1024)
def _named(text: str) -> str:
    try:
        return ActivityKind.parse(text).value
    except ValueError:  # a host's own kind
        return text


def activity_kind(text: str) -> str:
    """The kind ``text`` names: a built-in kind's value when ``text`` is its value, name or
    Chinese or English label (``"申请演示"``, ``"Demo requested"`` → ``"demo_requested"``;
    case-insensitive for ASCII, as enums are parsed everywhere), else ``text`` unchanged (a
    host's own kind)."""
    if text in _VALUES:
        return str(text)
    return _named(text)


def _kind(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            [FieldProblem("kind", "must be a non-empty string")], subject="activity"
        )
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


@attrs.frozen(slots=True)
class Activity:
    """One recorded behaviour event of a prospect: its ``kind`` (an :class:`ActivityKind` value,
    also when given by its label, or a host's own string), the aware instant ``at`` (kept in UTC), optionally the lead and
    free-form ``data`` (e.g. the page or campaign)."""

    kind: str = attrs.field(converter=_kind)
    at: datetime = attrs.field(converter=_aware)
    lead_id: str | None = attrs.field(default=None, converter=_lead_id)
    data: Mapping[str, object] = attrs.field(default=_EMPTY, converter=_freeze)
    timestamp: float = attrs.field(init=False, eq=False, repr=False)
    """``at`` as POSIX seconds, computed once so scoring many leads stays cheap."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "timestamp", self.at.timestamp())
