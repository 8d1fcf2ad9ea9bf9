"""Conversion readiness: suggest converting when 3 or more of 5 signals hold.

How each signal is detected from what the library knows (a host may also pass signals it has
found itself, e.g. from a call transcript):

* budget range given (提供预算范围): the lead has a ``budget``;
* demo requested (申请演示): an activity ``demo_requested``;
* asked about the contract (询问合同条款): an activity ``contract_inquiry``;
* referred another prospect (推荐其他客户): an activity ``referral_made``;
* clear purchase intent (明确购买意向): an activity ``purchase_intent``, or the lead or one of
  its follow-ups is at the intent stage (``意向跟进``, the last default sales stage).

Activities later than ``now`` (when given) do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import DEFAULT_SALES_STAGES, FollowUp, Lead
from leadcore.scoring.activity import Activity, ActivityKind
from leadcore.scoring.scorer import check_activities
from leadcore.signatures import checked_constructor

__all__ = ["READY_AT", "Readiness", "ReadinessSignal", "readiness"]

READY_AT: Final = 3
"""How many signals suggest converting: 3 of the 5."""


class ReadinessSignal(LabelledEnum):
    """The five signals that a lead is ready to convert."""

    PURCHASE_INTENT = "purchase_intent", "明确购买意向", "Clear purchase intent"
    BUDGET_GIVEN = "budget_given", "提供预算范围", "Budget range given"
    DEMO_REQUESTED = "demo_requested", "申请演示", "Demo requested"
    CONTRACT_INQUIRY = "contract_inquiry", "询问合同条款", "Asked about the contract"
    REFERRAL_MADE = "referral_made", "推荐其他客户", "Referred another prospect"


def _freeze_reasons(
    reasons: Mapping[ReadinessSignal, str],
) -> Mapping[ReadinessSignal, str]:
    if not isinstance(reasons, Mapping):
        shown = type(reasons).__name__
        raise ValidationError(
            [FieldProblem("reasons", f"must map each signal to its reason, not {shown}")]
        )
    return MappingProxyType(dict(reasons))


_BY_ACTIVITY: Final[Mapping[str, ReadinessSignal]] = MappingProxyType(
    {
        ActivityKind.PURCHASE_INTENT.value: ReadinessSignal.PURCHASE_INTENT,
        ActivityKind.DEMO_REQUESTED.value: ReadinessSignal.DEMO_REQUESTED,
        ActivityKind.CONTRACT_INQUIRY.value: ReadinessSignal.CONTRACT_INQUIRY,
        ActivityKind.REFERRAL_MADE.value: ReadinessSignal.REFERRAL_MADE,
    }
)


@checked_constructor
@attrs.frozen(slots=True)
class Readiness:
    """Whether to suggest converting: ``held`` signals (in the order of :class:`ReadinessSignal`), ``missing`` ones, and
    ``reasons`` saying why each held signal holds."""

    suggest_convert: bool
    held: tuple[ReadinessSignal, ...]
    missing: tuple[ReadinessSignal, ...]
    reasons: Mapping[ReadinessSignal, str] = attrs.field(
        factory=dict, converter=_freeze_reasons, eq=False
    )

    def __str__(self) -> str:
        verdict = "suggest converting" if self.suggest_convert else "not ready yet"
        lines = [f"{verdict}: {len(self.held)} of {len(ReadinessSignal)} signals"]
        lines += [
            f"  ✓ {s.label} ({s.label_en}): {self.reasons.get(s, 'given')}" for s in self.held
        ]
        lines += [f"  ✗ {s.label} ({s.label_en})" for s in self.missing]
        return "\n".join(lines)


def _follow_ups(follow_ups: object) -> tuple[FollowUp, ...]:
    if isinstance(follow_ups, str | bytes | Mapping) or not isinstance(follow_ups, Iterable):
        raise ValidationError(
            [
                FieldProblem(
                    "follow_ups",
                    f"must be a list of FollowUp records, not {type(follow_ups).__name__}",
                )
            ]
        )
    found = tuple(follow_ups)
    for i, follow_up in enumerate(found):
        if not isinstance(follow_up, FollowUp):
            raise ValidationError(
                [
                    FieldProblem(
                        f"follow_ups[{i}]", f"must be a FollowUp, not {type(follow_up).__name__}"
                    )
                ]
            )
    return found


def readiness(
    lead: Lead | None = None,
    activities: Iterable[Activity] = (),
    follow_ups: Iterable[FollowUp] = (),
    *,
    signals: Iterable[ReadinessSignal | str] = (),
    now: datetime | None = None,
    intent_stage: str = DEFAULT_SALES_STAGES[-1],
    ready_at: int = READY_AT,
) -> Readiness:
    """Which readiness signals hold for a lead, and whether to suggest converting
    (``ready_at`` or more; 3 by default). ``signals`` are ones the host found itself (enum
    members, values or labels); a string naming no signal raises ``ValidationError``, as do
    activities of another lead (``lead_id`` set and different) and arguments of the wrong
    type."""
    if lead is not None and not isinstance(lead, Lead):
        raise ValidationError([FieldProblem("lead", f"must be a Lead, not {type(lead).__name__}")])
    given = check_activities(activities, None if lead is None else lead.id, "activities")
    stages = _follow_ups(follow_ups)
    found_signals = checks.choices(ReadinessSignal, signals, "signals")
    intent_stage = checks.text(intent_stage, "intent_stage")
    checks.whole(ready_at, "ready_at", most=len(ReadinessSignal))
    cutoff = checks.optional_aware(now, "now")
    reasons: dict[ReadinessSignal, str] = dict.fromkeys(found_signals, "given by the host")
    if lead is not None:
        if lead.budget is not None:
            reasons.setdefault(ReadinessSignal.BUDGET_GIVEN, f"budget {lead.budget}")
        if lead.stage == intent_stage:
            reasons.setdefault(ReadinessSignal.PURCHASE_INTENT, f"lead at stage {intent_stage}")
    for activity in given:
        found = _BY_ACTIVITY.get(activity.kind)
        if found is not None and (cutoff is None or activity.at <= cutoff):
            reasons.setdefault(found, f"{activity.kind} on {activity.at.date().isoformat()}")
    for follow_up in stages:
        if follow_up.stage == intent_stage and (cutoff is None or follow_up.at <= cutoff):
            reasons.setdefault(
                ReadinessSignal.PURCHASE_INTENT,
                f"follow-up at stage {intent_stage} on {follow_up.at.date().isoformat()}",
            )
    held = tuple(s for s in ReadinessSignal if s in reasons)
    missing = tuple(s for s in ReadinessSignal if s not in reasons)
    return Readiness(len(held) >= ready_at, held, missing, {s: reasons[s] for s in held})
