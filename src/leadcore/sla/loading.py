"""Plain data for SLA policies: structure and unstructure hooks on the project's one cattrs
converter, so ``SlaPolicy.from_toml`` and ``leadcore.config.structure(data, SlaPolicy)`` read
the same shape that ``to_dict`` writes. Imported by ``leadcore.sla`` itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadcore.cadence._reading import read_attrs, root_hook
from leadcore.config import make_converter, unstructure
from leadcore.sla.conditions import condition_data
from leadcore.sla.policy import Audience, LadderStep, RecycleRule, SlaPolicy

__all__ = ["register"]


def _audience(audience: frozenset[Audience]) -> list[str]:
    return [a.value for a in Audience if a in audience]


def _step(step: LadderStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "hours": step.hours,
        "notify": _audience(step.notify),
        "action": step.action.value,
    }


def _rule(rule: RecycleRule) -> dict[str, Any]:
    data: dict[str, Any] = {"name": rule.name, "when": condition_data(rule.when)}
    if rule.warn_hours is not None:
        data["warn_hours"] = rule.warn_hours
    data["action"] = rule.action.value
    data["notify"] = _audience(rule.notify)
    return data


def _policy(policy: SlaPolicy) -> dict[str, Any]:
    data: dict[str, Any] = {"clock": unstructure(policy.clock)}
    if policy.ladder:
        data["ladder"] = [_step(s) for s in policy.ladder]
    if policy.rules:
        data["rules"] = [_rule(r) for r in policy.rules]
    if policy.cadence is not None:
        data["cadence"] = unstructure(policy.cadence)
    if not policy.pool_hours:
        data["pool_hours"] = False
    return data


def _reader(cls: type[Any], what: str) -> Callable[[object, str], Any]:
    def read(data: object, path: str) -> Any:
        return read_attrs(cls, data, path, what=what)

    return read


def register() -> None:
    """Register the hooks on the project converter (idempotent)."""
    converter = make_converter()
    converter.register_structure_hook(SlaPolicy, root_hook(_reader(SlaPolicy, "SLA policy")))
    converter.register_unstructure_hook(SlaPolicy, _policy)
    converter.register_structure_hook(LadderStep, root_hook(_reader(LadderStep, "ladder step")))
    converter.register_unstructure_hook(LadderStep, _step)
    converter.register_structure_hook(RecycleRule, root_hook(_reader(RecycleRule, "recycle rule")))
    converter.register_unstructure_hook(RecycleRule, _rule)


register()
